-- eco.sync mutex: lock, unlock, hand-off, timeouts (spec/sync.md checklist 6-11).
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'

-- 6 (section 2): locking a free mutex does not yield: it works on the main thread of stock Lua
do
    local m = sync.mutex()
    T.same({ true }, m:lock())
    m:unlock()
end

T.go(function()
    -- 6: lock / timed-out lock / lock succeeding after unlock
    do
        local m = sync.mutex()
        T.same({ true }, m:lock())
        local r1
        local t0 = T.now()
        eco.run(function() r1 = table.pack(m:lock(0.02)) end)
        T.wait_until(function() return r1 end, 2, '6: the timed lock to return')
        T.fails('timeout', T.unpack(r1))
        T.between(T.now() - t0, 0.01, 0.5, '6: lock(0.02) on a held mutex timed out after (s)')

        local r2
        eco.run(function()
            r2 = table.pack(m:lock(0.2))
            if r2[1] then m:unlock() end
        end)
        eco.sleep(0.02)
        T.eq(r2, nil, '6: lock(0.2) waits while the mutex is held')
        T.nret(0, m:unlock())
        T.wait_until(function() return r2 end, 2, '6: lock(0.2) to return after unlock')
        T.same({ true, n = 1 }, T.unpack(r2))
        -- free again
        T.same({ true }, m:lock(0.1))
        m:unlock()
    end

    -- 7: unlock of an unlocked mutex raises
    do
        local m = sync.mutex()
        T.raises('unlock of unlocked mutex', function() return m:unlock() end)
        m:lock()
        m:unlock()
        T.raises('unlock of unlocked mutex', function() return m:unlock() end)
    end

    -- 8: 16 workers x 100 iterations, yielding while holding the lock
    do
        local m = sync.mutex()
        local counter, finished = 0, 0
        for _ = 1, 16 do
            eco.run(function()
                for _ = 1, 100 do
                    T.same({ true }, m:lock())
                    local v = counter
                    eco.sleep(0)
                    counter = v + 1
                    m:unlock()
                end
                finished = finished + 1
            end)
        end
        T.wait_until(function() return finished == 16 end, 30, '8: 16 workers')
        T.eq(counter, 1600, '8: protected counter')
    end

    -- 9: 64 workers x 150 iterations, each lock with a 1 s timeout
    do
        local m = sync.mutex()
        local counter, finished, failures = 0, 0, 0
        for _ = 1, 64 do
            eco.run(function()
                for _ = 1, 150 do
                    local ok, err = m:lock(1.0)
                    if ok then
                        local v = counter
                        eco.sleep(0)
                        counter = v + 1
                        m:unlock()
                    else
                        failures = failures + 1
                        io.stderr:write('9: lock(1.0) failed: ' .. tostring(err) .. '\n')
                    end
                end
                finished = finished + 1
            end)
        end
        T.wait_until(function() return finished == 64 end, 50, '9: 64 workers')
        T.eq(failures, 0, '9: failed lock(1.0) calls')
        T.eq(counter, 9600, '9: protected counter')
    end

    -- 10: two coroutines relocking alternately; direct hand-off makes them alternate
    do
        local m = sync.mutex()
        local acquired, order, finished = { 0, 0 }, {}, 0
        for id = 1, 2 do
            eco.run(function()
                for _ = 1, 4 do
                    T.same({ true }, m:lock(1.0))
                    acquired[id] = acquired[id] + 1
                    order[#order + 1] = id
                    eco.sleep(id == 1 and 0.01 or 0)
                    m:unlock()
                end
                finished = finished + 1
            end)
        end
        T.wait_until(function() return finished == 2 end, 5, '10: both coroutines')
        T.eq(acquired[1], 4, '10: acquisitions by the coroutine sleeping 10 ms while holding')
        T.eq(acquired[2], 4, '10: acquisitions by the other coroutine')
        T.eq(table.concat(order, ','), '1,2,1,2,1,2,1,2', '10: lock hand-off order')
    end

    -- 11: hand-off beats timeout
    do
        local m = sync.mutex()
        T.same({ true }, m:lock())
        local res, unlocked_by_waiter = nil, false
        eco.run(function()
            res = table.pack(m:lock(0.001))
            if res[1] then
                m:unlock()
                unlocked_by_waiter = true
            end
        end)
        T.spin(0.02)  -- the waiter's 1 ms deadline passes while we do not yield ...
        m:unlock()    -- ... and ownership is handed to it before it resumes
        T.wait_until(function() return res end, 2, '11: the waiter to resume')
        T.same({ true, n = 1 }, T.unpack(res))
        T.ok(unlocked_by_waiter, '11: the waiter owned the mutex and unlocked it')
        T.same({ true }, m:lock(0.1))
        m:unlock()
    end

    -- (section 2) not reentrant: relocking a held mutex waits for itself
    do
        local m = sync.mutex()
        T.same({ true }, m:lock())
        T.fails('timeout', m:lock(0.02))
        m:unlock()
    end
end)

print('ok')
