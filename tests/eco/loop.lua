-- eco.loop / eco.unloop driven directly from the main chunk (spec/eco.md checklist 11, 12).
-- Under stock lua5.4 these are top-level loops; under the eco interpreter they are nested loops
-- run by the entry coroutine (section 12.3), which must behave the same way.
local eco = require 'eco'
local T = require 'testlib'

local base = eco.count()

-- 11: loop returns zero values once all timers and waits are gone
do
    local fired = 0
    eco.run(function() eco.sleep(0.02) fired = fired + 1 end)
    eco.run(function() eco.sleep(0.01) fired = fired + 1 end)
    local t0 = T.now()
    T.eq(select('#', eco.loop()), 0, '11: number of values returned by eco.loop()')
    T.eq(fired, 2, '11: both sleepers finished before eco.loop() returned')
    T.between(T.now() - t0, 0.01, 3, '11: eco.loop() duration (s) with a 20 ms sleeper')
    T.eq(eco.count(), base, '11: no tracked coroutine left')

    -- nothing to wait for: returns at once, and may be called again
    t0 = T.now()
    T.nret(0, eco.loop())
    T.between(T.now() - t0, 0, 0.5, '11: eco.loop() with nothing pending returns at once (s)')

    -- a coroutine parked in a bare coroutine.yield() does not keep the loop alive, but stays tracked
    local parked = eco.run(function() coroutine.yield() end)
    t0 = T.now()
    T.nret(0, eco.loop())
    T.between(T.now() - t0, 0, 0.5, '11: a bare-yield coroutine does not keep eco.loop() alive (s)')
    T.eq(eco.count(), base + 1, '11: the parked coroutine is still tracked')
    eco._resume(parked)
    T.nret(0, eco.loop())
    T.eq(coroutine.status(parked), 'dead', '11: parked coroutine finished once _resume-d and looped')
    T.eq(eco.count(), base, '11: count back to base')
end

-- 12: unloop ends the loop; pending sleepers complete when the loop runs again
do
    local log = {}
    local parked = eco.run(function()
        coroutine.yield()
        log[#log + 1] = 'queued-in-same-drain'
    end)
    eco.run(function()
        eco.sleep(0.01)
        T.nret(0, eco.unloop())
        log[#log + 1] = 'after-unloop'   -- the caller continues normally until it yields
        eco._resume(parked)              -- queued during the drain: still runs before loop returns
    end)
    eco.run(function()
        eco.sleep(1.0)
        log[#log + 1] = 'sleeper'
    end)
    local t0 = T.now()
    T.nret(0, eco.loop())
    T.between(T.now() - t0, 0.005, 0.8, '12: eco.loop() ended by unloop well before the 1 s sleeper (s)')
    T.eq(table.concat(log, ','), 'after-unloop,queued-in-same-drain',
        '12: what ran before the unlooped eco.loop() returned')
    T.eq(eco.count(), base + 1, '12: the sleeper is still tracked after unloop')

    -- the unloop flag is cleared on entry: the next loop runs the sleeper to completion
    T.nret(0, eco.loop())
    T.eq(table.concat(log, ','), 'after-unloop,queued-in-same-drain,sleeper',
        '12: the pending sleeper completed in the second eco.loop()')
    T.eq(eco.count(), base, '12: count back to base')
end

-- and the usual wrapper still works after all that
T.go(function() eco.sleep(0.01) end)

print('ok')
