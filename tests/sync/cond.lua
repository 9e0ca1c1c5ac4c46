-- eco.sync cond: signal, broadcast, timeout, close (spec/sync.md checklist 1-5).
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'

T.go(function()
    -- 1: a signal with no waiter is not remembered
    do
        local c = assert(sync.cond())
        T.same({ false }, c:signal('x'))
        T.fails('timeout', c:wait(0.03))
        c:close()
    end

    -- 2: signal hands its data to the waiter; falsy data becomes true
    do
        local c = assert(sync.cond())
        local got = {}
        eco.run(function()
            got[1] = table.pack(c:wait(1))
            got[2] = table.pack(c:wait(1))
        end)
        T.same({ true }, c:signal('payload'))
        T.eq(got[1], nil, '2: the waiter is not resumed synchronously by signal()')
        T.wait_until(function() return got[1] end, 2, '2: first wait to return')
        T.same({ 'payload', n = 1 }, T.unpack(got[1]))
        T.eq(got[1].n, 1, '2: wait returns one value')
        T.same({ true }, c:signal(false))
        T.wait_until(function() return got[2] end, 2, '2: second wait to return')
        T.same({ true, n = 1 }, T.unpack(got[2]))
        T.eq(got[2].n, 1, '2: wait returns one value')

        -- (section 1) signal(), signal(nil) -> true; signal(0) -> 0
        for _, case in ipairs({ { n = 0 }, { n = 1, nil }, { n = 1, 0 } }) do
            local res
            eco.run(function() res = table.pack(c:wait(1)) end)
            T.same({ true }, c:signal(table.unpack(case, 1, case.n)))
            T.wait_until(function() return res end, 2, '2: wait after signal')
            local want = (case.n == 1 and case[1] == 0) and 0 or true
            T.same({ want, n = 1 }, T.unpack(res))
        end
        c:close()
    end

    -- 3: a wait with nobody signaling times out after about its timeout
    do
        local c = assert(sync.cond())
        local t0 = T.now()
        T.fails('timeout', c:wait(0.03))
        T.between(T.now() - t0, 0.02, 0.5, '3: cond:wait(0.03) timed out after (s)')
        c:close()
    end

    -- 4: broadcast wakes every waiter
    do
        local c = assert(sync.cond())
        local results, n = {}, 24
        for i = 1, n do
            eco.run(function() results[i] = table.pack(c:wait(2)) end)
        end
        T.same({ n }, c:broadcast())
        T.wait_until(function()
            for i = 1, n do if not results[i] then return false end end
            return true
        end, 2, '4: all broadcast waiters')
        for i = 1, n do
            T.same({ true, n = 1 }, T.unpack(results[i]))
            T.eq(results[i].n, 1, '4: waiter ' .. i .. ' got one value')
        end
        T.same({ 0 }, c:broadcast())
        c:close()
    end

    -- 5: close wakes every waiter with "closed"; afterwards everything reports closed
    do
        local c = assert(sync.cond())
        local results, n = {}, 12
        for i = 1, n do
            eco.run(function() results[i] = table.pack(c:wait()) end) -- no timeout
        end
        c:close()
        T.wait_until(function()
            for i = 1, n do if not results[i] then return false end end
            return true
        end, 2, '5: all waiters woken by close()')
        for i = 1, n do T.fails('closed', T.unpack(results[i])) end
        c:close() -- idempotent
        T.same({ false }, c:signal('late'))
        T.same({ 0 }, c:broadcast())
        T.fails('closed', c:wait(0.01))
    end

    -- (section 1) several signals wake as many waiters; FIFO order is the recommended behaviour
    do
        local c = assert(sync.cond())
        local woke = {}
        for i = 1, 3 do
            eco.run(function() if c:wait(5) then woke[#woke + 1] = i end end)
        end
        T.same({ true }, c:signal())
        T.same({ true }, c:signal())
        T.wait_until(function() return #woke == 2 end, 2, 'two signals to wake two waiters')
        eco.sleep(0.02)
        T.eq(#woke, 2, 'two signals woke exactly two waiters')
        T.same({ true }, c:signal())
        T.wait_until(function() return #woke == 3 end, 2, 'third waiter')
        c:close()
    end

    -- (section 1) `<close>` support
    do
        local c <close> = assert(sync.cond())
        T.same({ false }, c:signal())
    end
end)

print('ok')
