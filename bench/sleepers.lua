-- (a) 100,000 coroutines, each doing eco.sleep(0.1).
-- Prints the wall time from the first spawn until eco.loop() returns; bench/run.sh adds the
-- process's wall time and peak RSS.
local eco  = require 'eco'
local time = require 'eco.time'

local N = 100000
local done = 0

local function sleeper()
    eco.sleep(0.1)
    done = done + 1
end

local t0 = time.now()
for _ = 1, N do
    eco.run(sleeper)
end
local spawned = time.now()
eco.loop()
local t1 = time.now()

assert(done == N, ('only %d of %d sleepers finished'):format(done, N))
print(('sleepers_100k_spawn %.3f s'):format(spawned - t0))
print(('sleepers_100k_wall %.3f s'):format(t1 - t0))
