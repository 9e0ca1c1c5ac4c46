-- eco.sync waitgroup (spec/sync.md checklist 12-15).
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'

-- 12 (section 3): wait on a zero counter returns without yielding: works on stock Lua's main thread
do
    local wg = sync.waitgroup()
    T.same({ true }, wg:wait(0.01))
    T.same({ true }, wg:wait())
end

T.go(function()
    -- 12: counter 0: true immediately, without yielding (checked inside a plain coroutine)
    do
        local wg = sync.waitgroup()
        local co = coroutine.create(function() return wg:wait(0.01) end)
        local ok, v = coroutine.resume(co)
        T.ok(ok, '12: wait in a plain coroutine raised: ' .. tostring(v))
        T.eq(coroutine.status(co), 'dead', '12: wait(0.01) on a zero counter did not yield')
        T.eq(v, true, '12: wait(0.01) on a zero counter')
    end

    -- 13: three done() calls at 10/20/30 ms release wait(1.0)
    do
        local wg = sync.waitgroup()
        wg:add(3)
        for i = 1, 3 do
            eco.run(function()
                eco.sleep(0.01 * i)
                wg:done()
            end)
        end
        local t0 = T.now()
        T.same({ true }, wg:wait(1.0))
        T.between(T.now() - t0, 0.02, 0.9, '13: wait(1.0) returned after (s)')
        T.same({ true }, wg:wait(0.01))
    end

    -- 14: the counter cannot go negative
    do
        local wg = sync.waitgroup()
        T.raises('negative waitgroup counter', function() return wg:add(-1) end)
        T.raises('negative wait group counter', function() return wg:done() end)
        T.same({ true }, wg:wait(0.01)) -- counter unchanged (still 0)
        wg:add(2)
        T.raises('negative waitgroup counter', function() return wg:add(-3) end)
        wg:add(-1)                       -- 1 left (add may be negative)
        T.fails('timeout', wg:wait(0.01))
        wg:done()
        T.same({ true }, wg:wait(0.01))
    end

    -- 15: nobody calls done in time
    do
        local wg = sync.waitgroup()
        wg:add(1)
        local t0 = T.now()
        T.fails('timeout', wg:wait(0.03))
        T.between(T.now() - t0, 0.02, 0.5, '15: wait(0.03) timed out after (s)')
        wg:done()
        T.same({ true }, wg:wait(0.01))
    end

    -- (section 3) done() reaching zero wakes every waiter
    do
        local wg = sync.waitgroup()
        wg:add(1)
        local results = {}
        for i = 1, 5 do
            eco.run(function() results[i] = table.pack(wg:wait(2)) end)
        end
        eco.sleep(0.01)
        wg:done()
        T.wait_until(function()
            for i = 1, 5 do if not results[i] then return false end end
            return true
        end, 2, 'all waitgroup waiters')
        for i = 1, 5 do T.same({ true, n = 1 }, T.unpack(results[i])) end
    end
end)

print('ok')
