-- (b) 1,000,000 eco.run of an empty function, from inside a coroutine.
local eco  = require 'eco'
local time = require 'eco.time'

local N = 1000000

eco.run(function()
    local empty = function() end
    local t0 = time.now()
    for _ = 1, N do
        eco.run(empty)
    end
    local dt = time.now() - t0
    print(('spawn %.0f spawns/s'):format(N / dt))
end)

eco.loop()
