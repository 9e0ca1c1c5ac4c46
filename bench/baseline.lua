-- Baseline for the scheduler figures, measured in the same run: plain Lua coroutines with no
-- scheduler at all. eco.spawn / baseline_create_resume and eco.sleep0 / baseline_resume_yield are
-- the fraction of bare-Lua speed the scheduler keeps.
local clock = os.clock
local N = 1000000

local empty = function() end
local t0 = clock()
for _ = 1, N do
    coroutine.resume(coroutine.create(empty))
end
print(('baseline_create_resume %.0f coroutines/s'):format(N / (clock() - t0)))

local co = coroutine.wrap(function()
    while true do coroutine.yield() end
end)
t0 = clock()
for _ = 1, N do
    co()
end
print(('baseline_resume_yield %.0f round-trips/s'):format(N / (clock() - t0)))
