--- eco.http.url: percent-encoding and a permissive URL splitter (spec/http.md part A).
-- @module eco.http.url
local M = {}

--- Escapes every byte that is not `[A-Za-z0-9_]` as `%xx` (lowercase hex).
-- @return escaped, count
function M.escape(s)
    return s:gsub('[^%w_]', function(c) return string.format('%%%02x', c:byte()) end)
end

--- Decodes every `%XY` (two hex digits); `+` stays. @return decoded, count
function M.unescape(s)
    return s:gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end)
end

--- Splits `u` into scheme, user, password, host, port, raw_path, path, params, query, frag.
-- @return table | nil, "invalid url"
function M.parse(u)
    if type(u) ~= 'string' then return nil, 'invalid url' end
    local scheme, rest = u:match('^(%a[%w]*)://(.*)$')
    if not scheme then return nil, 'invalid url' end
    local t = { scheme = scheme }
    local userinfo, after = rest:match('^([^@/?#]*)@(.*)$')
    if userinfo then
        local user, pw = userinfo:match('^([^:@]+):([^:@]*)$')
        if user then
            t.user, t.password = user, pw
        elseif userinfo:find('^[^:@]+$') then
            t.user = userinfo
        else
            return nil, 'invalid url'
        end
        rest = after
    end
    local host
    if rest:sub(1, 1) == '[' then
        local h, r = rest:match('^%[([^%]]*)%](.*)$')
        if not h then return nil, 'invalid url' end
        host, rest = h, r
    else
        host, rest = rest:match('^([^:/?#]*)(.*)$')
    end
    if host == '' then return nil, 'invalid url' end
    t.host = host
    local port, r = rest:match('^:(%d+)(.*)$')
    if port then
        t.port = math.tointeger(tonumber(port))
        rest = r
    end
    if rest:sub(1, 1) ~= '/' then rest = '/' .. rest end
    t.raw_path = rest
    local p = rest
    local frag = p:match('#(.*)$')
    if frag then
        t.frag = frag
        p = p:match('^([^#]*)')
    end
    t.path = p:match('^(/[^;?#]*)')
    for q in p:gmatch('%?([^;?#]*)') do t.query = q end
    t.params = p:match(';([^;?#]*)')
    return t
end

return M
