-- (e) Cond ping-pong: 1,000,000 signals in total (500,000 each way) between two coroutines over
-- two condition variables. A signal with no waiter is lost, so each side signals only once the
-- other one is waiting (guaranteed by the order below; checked through signal's return value).
local eco  = require 'eco'
local time = require 'eco.time'
local sync = require 'eco.sync'

local N = 1000000
local ROUNDS = N // 2

local to_b, to_a = assert(sync.cond()), assert(sync.cond())
local signals = 0

eco.run(function()                      -- B: started first, so it waits before A signals
    for _ = 1, ROUNDS do
        assert(to_b:wait())
        assert(to_a:signal(), 'A was not waiting')
        signals = signals + 1
    end
end)

eco.run(function()                      -- A
    local t0 = time.now()
    for _ = 1, ROUNDS do
        assert(to_b:signal(), 'B was not waiting')
        signals = signals + 1
        assert(to_a:wait())
    end
    local dt = time.now() - t0
    print(('cond_pingpong %.0f signals/s'):format(N / dt))
end)

eco.loop()
assert(signals == N, ('%d of %d signals'):format(signals, N))
to_a:close()
to_b:close()
