-- eco.uci property test: random changes (values with quotes, backslashes, '#', tabs, CR/LF,
-- bytes >= 0x80, empty-string deletes, lists, anonymous sections, renames, reorders) applied
-- both to a cursor and to a plain Lua model; after every round the model must equal what a
-- fresh cursor reads back through the saved delta file, and after commit through the rewritten
-- config file. Seeded: a failure prints the seed.
local T = require 'testlib'
local uci = require 'eco.uci'

local seed = tonumber(os.getenv('UCI_SEED') or '') or os.time()
math.randomseed(seed)

local CHARS = { 'a', 'b', 'Z', '0', ' ', "'", '"', '\\', '#', ';', '\t', '\n', '\r', '=', '.', '@',
    '[', ']', '$', '\195\169', '\255', '`', '{', '}' }
local function rvalue()
    local n = math.random(1, 12)
    local t = {}
    for i = 1, n do t[i] = CHARS[math.random(#CHARS)] end
    return table.concat(t)
end
local NAMES = { 'o1', 'o2', 'opt_x', 'L' }
local TYPES = { 'rule', 'zone', 'x-y', 'a.b' }

-- model: array of { name, type, anonymous, opts = { [name] = string or array }, order = {...} }
local function model_find(m, name)
    for i, s in ipairs(m) do if s.name == name then return s, i end end
end

local function snapshot(c)
    local out = {}
    for s in c:each('p') do
        local opts = {}
        for k, v in pairs(s) do
            if k:sub(1, 1) ~= '.' then opts[k] = v end
        end
        out[#out + 1] = { name = s['.name'], type = s['.type'], anonymous = s['.anonymous'], opts = opts }
    end
    return out
end

local function show(v)
    if type(v) == 'table' then
        local t = {}
        for i, x in ipairs(v) do t[i] = string.format('%q', x) end
        return '{' .. table.concat(t, ',') .. '}'
    end
    return string.format('%q', v)
end

local function compare(m, got, what, any_anon_name)
    local function fail(msg)
        error(string.format('seed %d, %s: %s', seed, what, msg), 3)
    end
    if #m ~= #got then fail(string.format('%d sections, expected %d', #got, #m)) end
    for i, s in ipairs(m) do
        local g = got[i]
        local same_name = g.name == s.name or (any_anon_name and s.anonymous and g.anonymous)
        if not same_name or g.type ~= s.type or g.anonymous ~= s.anonymous then
            fail(string.format('section %d: %s/%s/%s, expected %s/%s/%s', i, g.name, g.type,
                tostring(g.anonymous), s.name, s.type, tostring(s.anonymous)))
        end
        for k, v in pairs(s.opts) do
            if show(g.opts[k] or '<nil>') ~= show(v) then
                fail(string.format('%s.%s = %s, expected %s', s.name, k, show(g.opts[k] or '<nil>'), show(v)))
            end
        end
        for k in pairs(g.opts) do
            if s.opts[k] == nil then fail(string.format('%s.%s unexpected', s.name, k)) end
        end
    end
end

T.go(function()
    local conf, save = T.tmpdir(), T.tmpdir()
    local f = assert(io.open(conf .. '/p', 'w'))
    f:write("config rule 'start'\n\toption o1 'x'\n")
    f:close()
    local m = { { name = 'start', type = 'rule', anonymous = false, opts = { o1 = 'x' } } }
    local c = uci.cursor(conf, save)
    local named = 0

    for round = 1, 60 do
        for _ = 1, math.random(1, 8) do
            local op = math.random(1, 9)
            local s = m[math.random(math.max(#m, 1))]
            if op <= 3 and s then -- set an option
                local o, v = NAMES[math.random(#NAMES)], rvalue()
                assert(c:set('p', s.name, o, v))
                s.opts[o] = v
            elseif op == 4 and s then -- set a list
                local o = NAMES[math.random(#NAMES)]
                local l = {}
                for i = 1, math.random(1, 4) do l[i] = rvalue() end
                assert(c:set('p', s.name, o, l))
                s.opts[o] = l
            elseif op == 5 and s then -- delete an option by empty string
                local o = NAMES[math.random(#NAMES)]
                assert(c:set('p', s.name, o, ''))
                s.opts[o] = nil
            elseif op == 6 then -- add an anonymous section
                local ty = TYPES[math.random(#TYPES)]
                local name = assert(c:add('p', ty))
                m[#m + 1] = { name = name, type = ty, anonymous = true, opts = {} }
            elseif op == 7 then -- a named section
                named = named + 1
                local name, ty = 'n' .. named, TYPES[math.random(#TYPES)]
                assert(c:set('p', name, ty))
                m[#m + 1] = { name = name, type = ty, anonymous = false, opts = {} }
            elseif op == 8 and s and #m > 1 then -- delete or reorder a section
                local _, i = model_find(m, s.name)
                if math.random(2) == 1 then
                    assert(c:delete('p', s.name))
                    table.remove(m, i)
                else
                    local pos = math.random(0, #m - 1)
                    assert(c:reorder('p', s.name, pos))
                    table.remove(m, i)
                    table.insert(m, pos + 1, s)
                end
            elseif op == 9 and s then -- rename a section
                named = named + 1
                local new = 'r' .. named
                assert(c:rename('p', s.name, new))
                s.name, s.anonymous = new, false
            end
        end
        compare(m, snapshot(c), 'in memory, round ' .. round)
        assert(c:save('p'))
        local r = uci.cursor(conf, save)
        compare(m, snapshot(r), 'through the delta file, round ' .. round)
        r:close()
        if round % 3 == 0 then
            assert(c:commit('p'))
            local r2 = uci.cursor(conf, save)
            -- (anonymous sections are named anew when the file is parsed again)
            compare(m, snapshot(r2), 'through the committed file, round ' .. round, true)
            r2:close()
            -- anonymous names are regenerated on reload: follow the reloaded ones
            assert(c:load('p'))
            local got = snapshot(c)
            for i, s in ipairs(m) do s.name = got[i].name end
        end
    end
    c:close()
    T.remove_tmpdirs()
end)
print('uci property: ok (seed ' .. seed .. ')')
