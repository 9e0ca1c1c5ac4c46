-- eco core: module table, run, sleep, count, all, _resume, _init, panic hook and watchdog
-- argument checks (spec/eco.md checklist 1-10, 14, 15).
local eco = require 'eco'
local T = require 'testlib'

-- 6 (interpreter part): under the `eco` interpreter the entry script is itself tracked, so an
-- otherwise idle script sees 1; under stock lua5.4 nothing is tracked yet.
if coroutine.isyieldable() then
    T.eq(eco.count(), 1, '6: eco.count() at the top of a script run by the eco interpreter')
else
    T.eq(eco.count(), 0, '6: eco.count() at the top of a script under stock lua5.4')
end

-- 1: constants
T.eq(type(eco.VERSION), 'string', '1: type of eco.VERSION')
T.ok(eco.VERSION:match('^%d+%.%d+%.%d+$'), '1: eco.VERSION is MAJOR.MINOR.PATCH, got ' .. tostring(eco.VERSION))
for _, k in ipairs({ 'VERSION_MAJOR', 'VERSION_MINOR', 'VERSION_PATCH', 'READ', 'WRITE' }) do
    T.eq(math.type(eco[k]), 'integer', '1: math.type(eco.' .. k .. ')')
end
T.eq(eco.VERSION, string.format('%d.%d.%d', eco.VERSION_MAJOR, eco.VERSION_MINOR, eco.VERSION_PATCH),
    '1: VERSION agrees with VERSION_MAJOR/MINOR/PATCH')
T.eq(eco.READ, 1, '1: eco.READ (EPOLLIN)')
T.eq(eco.WRITE, 4, '1: eco.WRITE (EPOLLOUT)')

-- 3: run's argument check (raises before doing anything)
T.raises('function expected', eco.run, 1)
T.raises('function expected', eco.run)

-- 10: _init in the process that created the scheduler
T.raises('only allowed', eco._init)

-- 14: panic hook argument checks (the hook itself is exercised by tests/interp/run.sh, item 13)
T.raises('function expected', eco.set_panic_hook, 1)
T.raises('function expected', eco.set_panic_hook, 'x')
T.nret(0, eco.set_panic_hook(nil))
T.nret(0, eco.set_panic_hook())
T.nret(0, eco.set_panic_hook(function() end))
eco.set_panic_hook(nil)

-- 15: watchdog argument checks
T.raises('range', eco.set_watchdog_timeout, -1)
T.raises('range', eco.set_watchdog_timeout, 5001)
T.raises('timeout must be in range [0, 5000]', eco.set_watchdog_timeout, 5001)
T.raises('number expected', eco.set_watchdog_timeout, 'x')
T.raises('number has no integer representation', eco.set_watchdog_timeout, 1.5)
T.nret(0, eco.set_watchdog_timeout(0))
T.nret(0, eco.set_watchdog_timeout(1000))
eco.set_watchdog_timeout(5000) -- back to the default

T.go(function()
    -- 2: run calls f(...) synchronously; code after the first sleep runs later
    do
        local log = {}
        local args
        eco.run(function(...)
            args = table.pack(...)
            log[#log + 1] = 'before-sleep'
            eco.sleep(0)
            log[#log + 1] = 'after-sleep'
        end, 1, 2)
        T.ok(args, '2: f has run before eco.run returned')
        T.same({ 1, 2, n = 2 }, T.unpack(args))
        T.eq(args.n, 2, '2: number of arguments passed to f')
        T.eq(#log, 1, '2: only the part before the first sleep ran before eco.run returned')
        T.eq(log[1], 'before-sleep')
        T.wait_until(function() return #log == 2 end, 2, '2: the part after the sleep')
        T.eq(log[2], 'after-sleep')
    end

    -- 3: run returns the thread, also when the body already finished
    do
        local co = eco.run(function() eco.sleep(0) end)
        T.eq(type(co), 'thread', '3: eco.run returns a thread (suspended body)')
        T.eq(type(eco.run(function() end)), 'thread', '3: eco.run returns a thread (finished body)')
        eco.sleep(0.01)
    end

    -- 4: equal wake-up times resume in start order
    do
        local order = {}
        for i = 1, 5 do
            eco.run(function()
                eco.sleep(0)
                order[#order + 1] = i
            end)
        end
        T.wait_until(function() return #order == 5 end, 2, '4: five sleep(0) coroutines')
        T.eq(table.concat(order, ','), '1,2,3,4,5', '4: sleep(0) resume order')

        local order2 = {}
        for i = 1, 5 do
            eco.run(function()
                eco.sleep(0.03)
                order2[#order2 + 1] = i
            end)
        end
        T.wait_until(function() return #order2 == 5 end, 2, '4: five sleep(0.03) coroutines')
        T.eq(table.concat(order2, ','), '1,2,3,4,5', '4: equal non-zero delays resume order')
    end

    -- 5: sleep argument checks and return values
    T.raises('delay must be greater than or equal to 0', eco.sleep, -1)
    T.raises('delay must be greater than or equal to 0', eco.sleep, 0 / 0) -- NaN (section 4)
    T.raises('number expected', eco.sleep, 'x')
    T.raises('number expected', eco.sleep, {})
    T.nret(0, eco.sleep(0))
    T.nret(0, eco.sleep(0.001))

    -- 6: count follows started / finished coroutines
    do
        local base = eco.count()
        local release = false
        for i = 1, 3 do
            eco.run(function()
                while not release do eco.sleep(0.005) end
            end)
            T.eq(eco.count(), base + i, '6: count after starting suspended coroutine #' .. i)
        end
        eco.run(function() end)
        T.eq(eco.count(), base + 3, '6: a coroutine that finished inside eco.run is not counted')
        release = true
        T.wait_until(function() return eco.count() == base end, 2, '6: count back to its base')
    end

    -- 7: all() lists tracked coroutines, including one parked in a plain coroutine.yield()
    do
        local co = eco.run(function() coroutine.yield() end)
        T.eq(coroutine.status(co), 'suspended', '7: a coroutine parked in coroutine.yield()')
        local all = eco.all()
        T.eq(type(all), 'table', '7: eco.all() returns a table')
        T.eq(#all, eco.count(), '7: #eco.all() == eco.count()')
        local found, self_found = false, false
        for i = 1, #all do
            T.eq(type(all[i]), 'thread', '7: entry #' .. i .. ' of eco.all()')
            if all[i] == co then found = true end
            if all[i] == coroutine.running() then self_found = true end
        end
        T.ok(found, '7: eco.all() contains the coroutine parked in coroutine.yield()')
        T.ok(self_found, '7: eco.all() contains the calling (tracked) coroutine')
        -- modifying the returned table has no effect
        local n = eco.count()
        all[#all + 1] = coroutine.create(function() end)
        all[1] = nil
        T.eq(eco.count(), n, '7: modifying eco.all() result does not change count()')
        T.ok(eco.all() ~= all, '7: eco.all() returns a new table each call')
        eco._resume(co) -- let it finish (no leak)
        T.wait_until(function() return coroutine.status(co) == 'dead' end, 2, '7: parked coroutine to finish')
    end

    -- 8: a finished coroutine becomes collectable
    do
        local weak = setmetatable({}, { __mode = 'v' })
        local function start()
            weak[1] = eco.run(function() eco.sleep(0) end)
            weak[2] = eco.run(function() end) -- finished synchronously
        end
        start()
        T.ok(weak[1], '8: the coroutine is reachable while it is suspended (tracked)')
        T.full_gc()
        T.ok(weak[1] ~= nil, '8: a suspended tracked coroutine is not collected')
        eco.sleep(0.02)
        -- (in a function of its own, so that no dead register of this body keeps a thread alive)
        local function check_not_listed()
            local w1 = weak[1]
            for _, t in ipairs(eco.all()) do
                T.ok(t ~= w1, '8: a finished coroutine is no longer in eco.all()')
            end
        end
        check_not_listed()
        T.full_gc()
        T.eq(weak[1], nil, '8: finished coroutine collected after a full GC')
        T.eq(weak[2], nil, '8: coroutine that finished inside eco.run collected after a full GC')
    end

    -- 9: _resume queues a coroutine parked in a plain yield; it runs on the next drain
    do
        eco.sleep(0) -- make sure we run from the loop
        local step, nvals = 0, nil
        local co = eco.run(function()
            step = 1
            nvals = select('#', coroutine.yield())
            step = 2
        end)
        T.eq(step, 1, '9: coroutine parked after step 1')
        T.nret(0, eco._resume(co))
        T.eq(step, 1, '9: _resume does not run the coroutine synchronously')
        eco.sleep(0)
        T.eq(step, 2, '9: the resumed coroutine ran before our sleep(0) returned')
        T.eq(nvals, 0, '9: coroutine.yield() returns no values after _resume')
        T.raises('thread expected', eco._resume, 1)
    end
end)

print('ok')
