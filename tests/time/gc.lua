-- eco.time timers: collection and descriptor release, bursts of timers
-- (spec/time.md checklist 16, 17).
local eco = require 'eco'
local T = require 'testlib'
local time = require 'eco.time'
local et = require 'ecotest'

T.go(function()
    -- warm-up: whatever the implementation opens lazily on first use is opened now
    do
        local w = assert(time.at(0.001, function() end))
        eco.sleep(0.02)
        w:close()
    end
    T.full_gc()

    -- 16: a fired, unreferenced timer is collected and its descriptor closed
    do
        local base_fds = et.fd_count()
        local weak = setmetatable({}, { __mode = 'k' })
        local fired = 0
        local tfd
        -- in a function of its own, so that no stack slot of the body keeps the timer alive
        local function make()
            local tmr = assert(time.at(0.01, function() fired = fired + 1 end))
            weak[tmr] = true
            local ok, v = pcall(function() return tmr.tfd end)
            if ok and math.type(v) == 'integer' then tfd = v end
        end
        make()
        T.ok(et.fd_count() > base_fds, '16: an armed timer holds a descriptor')
        T.wait_until(function() return fired == 1 end, 2, '16: the timer to fire')
        eco.sleep(0.02) -- the waiter finishes after the callback
        T.full_gc()
        T.eq(next(weak), nil, '16: a fired, unreferenced timer is collected by a full GC')
        T.ok(et.fd_count() <= base_fds, string.format(
            '16: the timer descriptor was closed by the finalizer (%d fds open, %d before)', et.fd_count(), base_fds))
        if tfd then
            T.fails('Bad file descriptor', et.close(tfd))
        end
    end

    -- 17: 1000 timers all fire; repeated bursts do not grow memory or descriptors
    do
        local N = 1000
        local function burst(round)
            local fired = 0
            for i = 1, N do
                local tmr, err = time.at(0.01, function() fired = fired + 1 end)
                if not tmr then
                    error(string.format('17: time.at #%d of burst %d failed: %s', i, round, tostring(err)))
                end
            end
            T.wait_until(function() return fired == N end, 20,
                string.format('17: %d timers of burst %d to fire', N, round))
            eco.sleep(0.02)
            T.eq(fired, N, '17: callbacks run in burst ' .. round)
        end

        burst(1)
        T.full_gc()
        local mem1, fds1 = collectgarbage('count'), et.fd_count()
        for round = 2, 4 do
            burst(round)
            T.full_gc()
        end
        local mem2, fds2 = collectgarbage('count'), et.fd_count()
        T.ok(fds2 <= fds1, string.format('17: descriptors after 4 bursts: %d, after 1: %d', fds2, fds1))
        T.ok(mem2 - mem1 < 256, string.format(
            '17: Lua memory grew by %.0f KB over 3 more bursts of %d timers (limit 256 KB)', mem2 - mem1, N))
    end
end)

print('ok')
