-- (d) Channel ping-pong: 1,000,000 messages in total (500,000 each way) between two coroutines
-- over two capacity-1 channels. Every message makes the other side runnable.
local eco     = require 'eco'
local time    = require 'eco.time'
local channel = require 'eco.channel'

local N = 1000000
local ROUNDS = N // 2

local ping, pong = channel.new(1), channel.new(1)
local t0, received = nil, 0

eco.run(function()                      -- echo side
    for _ = 1, ROUNDS do
        local v = ping:recv()
        received = received + 1
        pong:send(v)
    end
end)

eco.run(function()                      -- driving side
    t0 = time.now()
    for i = 1, ROUNDS do
        ping:send(i)
        local v = pong:recv()
        received = received + 1
        if v ~= i then error(('got %s, expected %d'):format(tostring(v), i)) end
    end
    local dt = time.now() - t0
    print(('channel_pingpong %.0f msgs/s'):format(N / dt))
end)

eco.loop()
assert(received == N, ('received %d of %d messages'):format(received, N))
