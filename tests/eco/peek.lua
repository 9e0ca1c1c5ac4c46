-- eco.reader: peek and skip (docs/reader.md): partial fills, the growth bound, the delimiter,
-- EOF, timeouts over the whole call, cancel, and the other methods seeing what peek left.
local eco = require 'eco'
local time = require 'eco.time'
local T = require 'testlib'
local et = require 'ecotest'

local to_close = {}

-- A reader on socket `a` whose peer is `b`.
local function sock_reader()
    local a, b = et.socketpair()
    T.ok(a, 'socketpair: ' .. tostring(b))
    to_close[#to_close + 1] = a
    to_close[#to_close + 1] = b
    return assert(eco.reader(a)), b
end

local function write_all(fd, data)
    local off = 1
    while off <= #data do
        local n, err = et.write(fd, data:sub(off))
        T.ok(n, 'ecotest.write: ' .. tostring(err))
        off = off + n
    end
end

-- Writes `parts` one at a time, `gap` seconds apart, in another coroutine.
local function trickle(fd, parts, gap)
    eco.run(function()
        for _, p in ipairs(parts) do
            time.sleep(gap)
            write_all(fd, p)
        end
    end)
end

T.go(function()
    -- argument checks
    do
        local r = sock_reader()
        T.raises('size must be 1~1073741824', function() return r:peek(0) end)
        T.raises('size must be 1~1073741824', function() return r:peek(-1) end)
        T.raises('size must be 1~1073741824', function() return r:peek((1 << 30) + 1) end)
        T.raises('number expected', function() return r:peek('x') end)
        T.raises('delimiter length must be 1~256 bytes', function() return r:peek(1, 1, '') end)
        T.raises('delimiter length must be 1~256 bytes', function() return r:peek(1, 1, string.rep('x', 257)) end)
        T.raises('string expected, got table', function() return r:peek(1, 1, {}) end)
        T.raises('size must be greater than or equal to 0', function() return r:skip(-1) end)
        T.raises('number expected', function() return r:skip() end)
    end

    -- peek does not consume; skip consumes; the other methods read what is left
    do
        local r, peer = sock_reader()
        write_all(peer, 'hello world\nrest')
        T.same({ 'hello world\nrest' }, r:peek(1, 1))
        T.same({ 'hello world\nrest' }, r:peek(16, 1)) -- enough buffered: no read
        T.same({ 6 }, r:skip(6))
        T.same({ 'world\nrest' }, r:peek(1, 1))
        T.same({ 'world' }, r:read('l', 1))
        T.same({ 'rest' }, r:peek(4, 1))
        T.same({ 4 }, r:skip(100)) -- at most what is buffered
        T.same({ 0 }, r:skip(5))
        T.fails('timeout', r:peek(1, 0.02))
        write_all(peer, 'abcdef')
        T.same({ 'abc' }, r:readfull(3, 1))
        T.same({ 'def' }, r:peek(1, 1))
        T.same({ 'de', true }, r:readuntil('f', 1))
    end

    -- partial fills: peek(n) reads until n bytes are buffered, returning all of them
    do
        local r, peer = sock_reader()
        trickle(peer, { 'ab', 'cd', 'efgh' }, 0.01)
        local t0 = T.now()
        T.same({ 'abcdefgh' }, r:peek(5, 2))
        T.ok(T.now() - t0 >= 0.025, 'peek(5) waited for three writes')
        T.same({ 8 }, r:skip(8))
    end

    -- the buffer grows past its 4 KiB default to hold n bytes, and back after skipping all
    do
        local r, peer = sock_reader()
        local big = string.rep('x', 10000) .. '\r\n\r\n'
        eco.run(function() write_all(peer, big) end)
        local d = assert(r:peek(#big, 2))
        T.eq(#d, #big, 'peek of a 10 KiB head')
        T.same({ #big }, r:skip(#big))
        write_all(peer, 'y')
        T.same({ 'y' }, r:peek(1, 1))
        T.same({ 'y' }, r:read(10, 1))
    end

    -- delim: returns once a read brings the delimiter, even short of n; bytes buffered before
    -- the call do not count
    do
        local r, peer = sock_reader()
        write_all(peer, 'GET / HTTP/1.1\r\nHost')
        T.same({ 'GET / HTTP/1.1\r\nHost' }, r:peek(1, 1))
        trickle(peer, { ': x', '\r', '\n', '\r\n' }, 0.01)
        T.same({ 'GET / HTTP/1.1\r\nHost: x\r\n' }, r:peek(1000, 2, '\n'))
        T.same({ 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' }, r:peek(1000, 2, '\n'))
        -- a multi-byte delimiter split over two reads
        r:skip(1000)
        trickle(peer, { 'ab\r\n\r', '\ncd' }, 0.01)
        local d = r:peek(1000, 2, '\r\n\r\n')
        T.ok(d == 'ab\r\n\r\n' or d == 'ab\r\n\r\ncd', 'delimiter across reads: ' .. tostring(d))
        r:skip(1000)
    end

    -- EOF: nil, "closed" (a socket); what was buffered stays for the other methods
    do
        local r, peer = sock_reader()
        write_all(peer, 'tail')
        et.close(peer)
        T.fails('closed', r:peek(10, 1))
        T.same({ 'tail' }, r:peek(1, 1))
        T.same({ 'tail' }, r:read(10, 1))
        T.fails('closed', r:peek(1, 1))
    end

    -- the timeout bounds the whole call, not each wait
    do
        local r, peer = sock_reader()
        local parts = {}
        for i = 1, 30 do parts[i] = 'z' end
        trickle(peer, parts, 0.02)
        local t0 = T.now()
        T.fails('timeout', r:peek(100, 0.15))
        T.between(T.now() - t0, 0.14, 0.5, 'peek timeout over several reads')
        -- the bytes that arrived are buffered
        local d = assert(r:peek(1, 1))
        T.ok(#d >= 3 and d:match('^z+$'), 'bytes kept after a timeout: ' .. #d)
        r:skip(#d)
        time.sleep(0.7) -- the writer finishes
        r:skip(#assert(r:peek(1, 1)))
        T.fails('timeout', r:peek(1, 0.02))
    end

    -- cancel of a pending peek; busy rule
    do
        local r, peer = sock_reader()
        local res
        eco.run(function() res = table.pack(r:peek(1, 2)) end)
        time.sleep(0.01)
        T.raises('another coroutine is already waiting', function() return r:peek(1) end)
        T.nret(0, r:cancel())
        T.wait_until(function() return res end, 2, 'canceled peek to return')
        T.fails('canceled', T.unpack(res))
        write_all(peer, 'ok')
        T.same({ 'ok' }, r:peek(1, 1))
    end

    -- pipelined data: two "requests" in one read, consumed one at a time
    do
        local r, peer = sock_reader()
        write_all(peer, 'one;two;')
        local d = assert(r:peek(1, 1))
        T.eq(d, 'one;two;')
        r:skip(4)
        T.same({ 'two;' }, r:peek(1, 1))
        r:skip(4)
        T.fails('timeout', r:peek(1, 0.02))
    end
end)

for _, fd in ipairs(to_close) do et.close(fd) end

print('ok')
