-- run with: lua5.4 pinger.lua   (modules on LUA_CPATH/LUA_PATH), or: eco pinger.lua
local eco  = require 'eco'
local time = require 'eco.time'

local done = 0
for id = 1, 3 do
    eco.run(function(n)
        time.sleep(0.1 * n)
        done = done + 1
        print('task', n, 'finished')
    end, id)
end

eco.loop()                 -- returns once all three tasks are finished
print('all done:', done)   --> all done: 3
