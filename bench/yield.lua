-- (c) 1,000,000 eco.sleep(0) in one coroutine (each one a trip through the loop).
local eco  = require 'eco'
local time = require 'eco.time'

local N = 1000000

eco.run(function()
    local sleep = eco.sleep
    local t0 = time.now()
    for _ = 1, N do
        sleep(0)
    end
    local dt = time.now() - t0
    print(('sleep0 %.0f yields/s'):format(N / dt))
end)

eco.loop()
