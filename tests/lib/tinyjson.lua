-- A small JSON decoder for tests that compare with tools printing JSON (`ip -j ...`).
-- decode(text) -> value; objects and arrays are tables (arrays 1-based), null is `json.null`,
-- numbers are Lua integers when they have no fraction or exponent. Raises on malformed text.
local M = { null = setmetatable({}, { __name = 'json.null', __tostring = function() return 'null' end }) }

local escapes = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

local function utf8char(cp) return utf8.char(cp) end

function M.decode(s)
    local pos = 1
    local function err(msg) error(string.format('json: %s at byte %d', msg, pos), 0) end
    local function ws() pos = s:find('[^ \t\r\n]', pos) or #s + 1 end
    local value
    local function str()
        pos = pos + 1
        local out = {}
        while true do
            local c = s:sub(pos, pos)
            if c == '' then err('unterminated string') end
            if c == '"' then pos = pos + 1 break end
            if c == '\\' then
                local e = s:sub(pos + 1, pos + 1)
                if e == 'u' then
                    local cp = tonumber(s:sub(pos + 2, pos + 5), 16) or err('bad \\u')
                    pos = pos + 6
                    if cp >= 0xd800 and cp < 0xdc00 and s:sub(pos, pos + 1) == '\\u' then
                        local lo = tonumber(s:sub(pos + 2, pos + 5), 16) or err('bad \\u')
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
                        pos = pos + 6
                    end
                    out[#out + 1] = utf8char(cp)
                else
                    out[#out + 1] = escapes[e] or err('bad escape')
                    pos = pos + 2
                end
            else
                local j = s:find('["\\]', pos) or err('unterminated string')
                out[#out + 1] = s:sub(pos, j - 1)
                pos = j
            end
        end
        return table.concat(out)
    end
    function value()
        ws()
        local c = s:sub(pos, pos)
        if c == '{' then
            pos = pos + 1
            local t = {}
            ws()
            if s:sub(pos, pos) == '}' then pos = pos + 1 return t end
            while true do
                ws()
                if s:sub(pos, pos) ~= '"' then err('key expected') end
                local k = str()
                ws()
                if s:sub(pos, pos) ~= ':' then err("':' expected") end
                pos = pos + 1
                t[k] = value()
                ws()
                local d = s:sub(pos, pos)
                pos = pos + 1
                if d == '}' then return t end
                if d ~= ',' then err("',' or '}' expected") end
            end
        elseif c == '[' then
            pos = pos + 1
            local t = {}
            ws()
            if s:sub(pos, pos) == ']' then pos = pos + 1 return t end
            while true do
                t[#t + 1] = value()
                ws()
                local d = s:sub(pos, pos)
                pos = pos + 1
                if d == ']' then return t end
                if d ~= ',' then err("',' or ']' expected") end
            end
        elseif c == '"' then
            return str()
        elseif s:find('^true', pos) then
            pos = pos + 4 return true
        elseif s:find('^false', pos) then
            pos = pos + 5 return false
        elseif s:find('^null', pos) then
            pos = pos + 4 return M.null
        else
            local num = s:match('^-?%d+%.?%d*[eE]?[-+]?%d*', pos)
            if not num or num == '' then err('unexpected character') end
            pos = pos + #num
            return math.tointeger(tonumber(num)) or tonumber(num)
        end
    end
    local v = value()
    ws()
    if pos <= #s then err('trailing text') end
    return v
end

return M
