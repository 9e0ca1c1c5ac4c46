-- (f) eco.sleep(d) overshoot for d = 1, 5, 10, 100, 1000 ms, measured on the wall clock
-- (eco.time.now()): mean, p50, p99 and max in ms, and the number of early wake-ups (a sleep that
-- returned before d had elapsed). 200 samples for 1/5/10 ms, 20 for 100 ms, 10 for 1 s.
local eco  = require 'eco'
local time = require 'eco.time'

local cases = { { 1, 200 }, { 5, 200 }, { 10, 200 }, { 100, 20 }, { 1000, 10 } }

local function pct(sorted, p)
    local i = math.max(1, math.ceil(p * #sorted))
    return sorted[i]
end

eco.run(function()
    for _, case in ipairs(cases) do
        local ms, n = case[1], case[2]
        local d = ms / 1000
        local over, early, sum = {}, 0, 0
        eco.sleep(0)                    -- start each series right after a loop iteration
        for i = 1, n do
            local t0 = time.now()
            eco.sleep(d)
            local elapsed = time.now() - t0
            if elapsed < d then early = early + 1 end
            over[i] = (elapsed - d) * 1000
            sum = sum + over[i]
        end
        table.sort(over)
        print(('sleep_%dms_overshoot_mean %.3f ms'):format(ms, sum / n))
        print(('sleep_%dms_overshoot_p50 %.3f ms'):format(ms, pct(over, 0.50)))
        print(('sleep_%dms_overshoot_p99 %.3f ms'):format(ms, pct(over, 0.99)))
        print(('sleep_%dms_overshoot_max %.3f ms'):format(ms, over[#over]))
        print(('sleep_%dms_early %d count'):format(ms, early))
    end
end)

eco.loop()
