-- Three tasks sleep concurrently; the script ends when all of them are done.
-- Run with: cargo run --release -- examples/hello.lua   (or: lua5.4 examples/hello.lua with the .so modules)
local eco = require 'eco'
local time = require 'eco.time'

local done = 0
for id = 1, 3 do
    eco.run(function(n)
        time.sleep(0.1 * n)
        done = done + 1
        print('task', n, 'finished')
    end, id)
end

eco.loop()
print('all done:', done)
