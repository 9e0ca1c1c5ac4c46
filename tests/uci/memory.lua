-- eco.uci memory (docs/uci.md checklist 7 and 15): foreach over 3000 sections with callbacks
-- returning large strings runs in bounded memory; unreachable cursors are collected (their
-- libuci contexts freed) and cursor/load/get/close cycles do not grow the process.
local T = require 'testlib'
local uci = require 'eco.uci'

local function rss_kb()
    local f = assert(io.open('/proc/self/status'))
    local s = f:read('a')
    f:close()
    return tonumber(s:match('VmRSS:%s*(%d+)'))
end

T.go(function()
    local conf, save = T.tmpdir(), T.tmpdir()
    local parts = {}
    for i = 1, 3000 do
        parts[#parts + 1] = string.format("config item 'i%d'\n\toption v '%d'\n\tlist l 'a'\n\tlist l 'b'\n", i, i)
    end
    local f = assert(io.open(conf .. '/big', 'w'))
    f:write(table.concat(parts, '\n'))
    f:close()
    f = assert(io.open(conf .. '/small', 'w'))
    f:write("config a 'x'\n\toption o 'v'\n")
    f:close()

    -- 7. foreach over 3000 sections, the callback returning large strings
    local c = uci.cursor(conf, save)
    T.eq(c:load('big'), true)
    local big = string.rep('y', 64 * 1024)
    T.full_gc()
    local before = collectgarbage('count')
    local peak = before
    local n = 0
    T.eq(c:foreach('big', 'item', function(s)
        n = n + 1
        if n % 100 == 0 then
            peak = math.max(peak, collectgarbage('count'))
        end
        return big .. s['.name'], big, s
    end), true)
    T.eq(n, 3000)
    T.full_gc()
    local after = collectgarbage('count')
    T.ok(after - before < 2048, string.format('foreach grew the Lua heap by %.0f KB', after - before))
    -- the incremental collector keeps up with the per-iteration garbage: it does not pile up
    T.ok(peak - before < 64 * 1024, string.format('foreach peak %.0f KB above start', peak - before))
    -- each() too
    n = 0
    for s in c:each('big') do n = n + #s['.name'] end
    T.ok(n > 3000)
    c:close()

    -- 15. unreachable cursors are collected
    local weak = setmetatable({}, { __mode = 'k' })
    do
        local x = uci.cursor(conf, save)
        T.eq(x:get('small', 'x', 'o'), 'v')
        weak[x] = true
    end
    T.full_gc()
    T.eq(next(weak), nil, 'cursor collected')

    -- repeated cycles (closed and dropped ones) do not grow the process
    local function cycles(k)
        for i = 1, k do
            local x = uci.cursor(conf, save)
            T.eq(x:load('small'), true)
            T.eq(x:get('small', 'x', 'o'), 'v')
            T.eq(x:set('small', 'x', 'o', 'w' .. i), true)
            if i % 2 == 0 then x:close() end
            if i % 100 == 0 then T.full_gc() end
        end
        T.full_gc()
    end
    cycles(500)
    local r0 = rss_kb()
    local l0 = collectgarbage('count')
    cycles(5000)
    local r1 = rss_kb()
    local l1 = collectgarbage('count')
    T.ok(l1 - l0 < 512, string.format('Lua heap grew by %.0f KB', l1 - l0))
    T.ok(r1 - r0 < 2048, string.format('RSS grew by %d KB over 5000 cycles', r1 - r0))
    T.remove_tmpdirs()
end)
print('uci memory: ok')
