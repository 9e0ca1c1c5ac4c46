-- Driven by the unit test `crash_points` (src/lib.rs): globals shared, set_budget, budget_left,
-- prefix. For each scenario: build the "before" state, run the operation once to count the pages
-- it writes, then for every crash point k (0 .. pages) rebuild, run the operation with a budget
-- of k pages, and check the file through a fresh handle.
local big = string.rep('B', 1500)

local scenarios = {
    {
        name = 'set new key', size = 4096,
        setup = { { 'set', 'a', 1 }, { 'set', 'b', 'x' } },
        op = { 'set', 'c', 'new' },
    },
    {
        name = 'replace key', size = 4096,
        setup = { { 'set', 'a', 'old' }, { 'set', 'b', true } },
        op = { 'set', 'a', 'new value' },
    },
    {
        name = 'replace with compaction', size = 256,
        setup = { { 'set', 'a', 'old' }, { 'set', 'b', 2 }, { 'set', 'a', 'x1' }, { 'set', 'a', 'x2' },
            { 'set', 'a', 'x3' }, { 'del', 'b' } },
        op = { 'set', 'a', string.rep('n', 100) },
    },
    {
        name = 'compaction over several pages', size = 4 * 4096,
        setup = { { 'set', 'k1', big }, { 'set', 'k2', big }, { 'set', 'k3', big }, { 'set', 'k4', big },
            { 'set', 'k5', big }, { 'set', 'k6', big }, { 'set', 'k7', big }, { 'set', 'k1', big .. '1' },
            { 'set', 'k2', big .. '2' }, { 'del', 'k3' }, { 'set', 'k4', 'short' } },
        op = { 'set', 'k5', string.rep('N', 3000) },
    },
    {
        name = 'del', size = 4096,
        setup = { { 'set', 'a', 'x' }, { 'set', 'b', 'y' } },
        op = { 'del', 'a' },
    },
    {
        name = 'incr', size = 4096,
        setup = { { 'set', 'n', 41 }, { 'set', 'b', 'y' } },
        op = { 'incr', 'n', 1 },
    },
    {
        name = 'incr with exptime', size = 4096,
        setup = { { 'set', 'n', 41, 100 } },
        op = { 'incr', 'n', 1, -1 },
    },
    {
        name = 'expire', size = 4096,
        setup = { { 'set', 'a', 'x', 100 } },
        op = { 'expire', 'a', -1 },
    },
    {
        name = 'flush_all', size = 4096,
        setup = { { 'set', 'a', 'x' }, { 'set', 'b', 2 } },
        op = { 'flush_all' },
    },
}

local function apply(d, step)
    local m = step[1]
    return d[m](d, table.unpack(step, 2))
end

-- key -> value, from get_keys + get
local function snapshot(d)
    local t, seen = {}, {}
    for _, k in ipairs(d:get_keys()) do
        assert(not seen[k], 'key listed twice: ' .. k)
        seen[k] = true
        t[k] = d:get(k)
    end
    return t
end

local function run(sc, budget, id)
    local name = prefix .. id
    local d = assert(shared.new(name, sc.size))
    for _, step in ipairs(sc.setup) do assert(apply(d, step), sc.name .. ': setup step failed') end
    local before = snapshot(d)
    set_budget(budget)
    local ok = pcall(apply, d, sc.op)
    local left = budget_left()
    set_budget(nil)
    local g = assert(shared.get(name))
    local after = snapshot(g)
    -- more writes still work on the recovered file, and leave the old keys intact
    assert(g:set('zz', 'after crash'), sc.name .. ': set after the crash')
    assert(g:get('zz') == 'after crash')
    assert(g:del('zz'))
    local again = snapshot(g)
    for k, v in pairs(after) do assert(again[k] == v, sc.name .. ': key ' .. k .. ' changed by a later write') end
    g:close()
    d:close()
    return ok, left, before, after
end

local id = 0
local points = 0
for _, sc in ipairs(scenarios) do
    id = id + 1
    local ok, left, before, final = run(sc, 1000000, id)
    assert(ok, sc.name .. ': the operation failed without a crash')
    local pages = 1000000 - left
    assert(pages > 0, sc.name .. ': no write')
    for k = 0, pages - 1 do
        id = id + 1
        points = points + 1
        local crashed_ok, _, b, got = run(sc, k, id)
        assert(not crashed_ok, sc.name .. ': crash point ' .. k .. ' did not stop the operation')
        for key in pairs(got) do
            assert(b[key] ~= nil or final[key] ~= nil, sc.name .. ' @' .. k .. ': unknown key ' .. key)
        end
        for key, v in pairs(b) do
            local now = got[key]
            assert(now == v or now == final[key],
                string.format('%s @%d: key %s is %s, neither before (%s) nor after (%s)', sc.name, k, key,
                    tostring(now), tostring(v), tostring(final[key])))
        end
        for key, v in pairs(final) do
            local now = got[key]
            assert(now == v or now == b[key],
                string.format('%s @%d: key %s is %s, neither before (%s) nor after (%s)', sc.name, k, key,
                    tostring(now), tostring(b[key]), tostring(v)))
        end
    end
end
assert(points >= #scenarios, 'too few crash points')
