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
print('ok')
