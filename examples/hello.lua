#!/usr/bin/env eco
-- Under the eco interpreter the script itself runs in a coroutine and the loop starts on its own:
-- blocking calls work at top level. Run with: cargo run --release -- examples/hello.lua [name]
local time    = require 'eco.time'
local channel = require 'eco.channel'

local name = arg[1] or 'world'
local ch = channel.new(4)

-- a producer coroutine, sending one greeting every 50 ms
eco.run(function()
    for i = 1, 3 do
        time.sleep(0.05)
        ch:send(string.format('hello, %s (%d)', name, i))
    end
    ch:close()
end)

-- the main chunk consumes until the channel is closed
while true do
    local msg = ch:recv()
    if msg == nil then break end
    print(msg)
end
print('done; other coroutines still running:', eco.count() - 1)
