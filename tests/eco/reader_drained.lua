-- The reader's short-read hint (ARCHITECTURE.md: after a short read of a stream socket or pipe,
-- the next read waits for readiness first) never loses data or fails a read that has data:
-- outside a coroutine (stock lua5.4's main chunk), with a zero timeout, inside coroutines.
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local a, b = et.socketpair()
local r = assert(eco.reader(a))
et.write(b, 'ab')
T.eq(r:read(10), 'ab')            -- short read: drained
et.write(b, 'cd')
T.eq(r:read(10), 'cd')            -- data is there: read it (no yield needed, or a yield that returns at once)
et.write(b, 'ef')
T.eq(r:read(10, 0.0001), 'ef')    -- near-zero timeout: the read is tried first
T.go(function()
    et.write(b, 'gh')
    T.eq(r:read(10, 1), 'gh')     -- inside a coroutine: parks, epoll reports the data at once
    eco.run(function()
        eco.sleep(0.05)
        et.write(b, 'ij')
    end)
    T.eq(r:read(10, 2), 'ij')     -- data arriving later
    et.close(b)
    T.fails('closed', r:read(10, 1)) -- end of stream (a socket's eof text) after a short read
end)
et.close(a)

-- a read with a short timeout whose data was queued before the call does not time out, even
-- when the rest of the epoll batch runs past its deadline (the hint parks without reading)
T.go(function()
    local time = require 'eco.time'
    local x1, x2 = et.socketpair()
    local y1, y2 = et.socketpair()
    local z1, z2 = et.socketpair()
    local rx, ry, rz = eco.reader(x1), eco.reader(y1), eco.reader(z1)
    et.write(z2, 'ab')
    T.eq(rz:read(10), 'ab')              -- short read: drained
    et.write(z2, 'cd')                   -- queued before the next read
    local got, gerr, done
    eco.run(function()
        assert(rx:read(1))               -- woken first in the batch
        got, gerr = rz:read(10, 0.005)
        done = true
    end)
    eco.run(function()
        assert(ry:read(1))               -- woken second: 30 ms of CPU
        local t = time.now() + 0.03
        while time.now() < t do end
    end)
    eco.sleep(0.05)
    et.write(x2, 'x')
    et.write(y2, 'y')
    T.wait_until(function() return done end, 5, 'the short-timeout read to return')
    T.eq(got, 'cd', tostring(gerr))
    for _, fd in ipairs({ x1, x2, y1, y2, z1, z2 }) do et.close(fd) end
end)
print('ok')
