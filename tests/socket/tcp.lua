-- eco.socket over TCP on loopback: listen/connect/accept, cancellation, busy rules and the
-- buffered reader (spec/socket.md checklist 2-10, 14-24).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

-- A connected pair over 127.0.0.1: client, server-side socket, listener.
local function tcp_pair()
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local port = l:getsockname().port
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    local s, peer = l:accept(5)
    T.ok(s, 'accept: ' .. tostring(peer))
    return c, s, l, peer
end

T.go(function()
    -- 2: listen_tcp on 127.0.0.1, port 0
    do
        local l = socket.listen_tcp('127.0.0.1', 0)
        T.ok(l, 'listen_tcp')
        local a = l:getsockname()
        T.eq(a.family, socket.AF_INET)          -- 2
        T.eq(a.ipaddr, '127.0.0.1')             -- 2
        T.ok(math.type(a.port) == 'integer' and a.port > 0, 'port > 0')  -- 2

        -- 4: a second listener on the occupied port
        T.fails('Address already in use', socket.listen_tcp('127.0.0.1', a.port))  -- 4
        local s2 = assert(socket.tcp())
        T.fails('Address already in use', s2:bind('127.0.0.1', a.port))            -- 4
        s2:close()
        l:close()
    end

    -- 3: IPv6 wildcard listener
    do
        local l = socket.listen_tcp(nil, 0, { ipv6 = true })
        T.ok(l, 'listen_tcp ipv6')
        local a = l:getsockname()
        T.eq(a.family, socket.AF_INET6)
        T.eq(a.ipaddr, '::')                    -- 3
        T.ok(a.port > 0)
        -- and it works: connect over ::1
        local c = assert(socket.connect_tcp('::1', a.port))
        local s, peer = l:accept(5)
        T.ok(s, 'accept ipv6')
        T.eq(peer.family, socket.AF_INET6)
        T.eq(peer.ipaddr, '::1')
        T.eq(c:send('six'), 3)
        T.eq(s:read(3, 5), 'six')
        c:close(); s:close(); l:close()
    end

    -- 5: connect helpers need IP literals
    T.raises('not a valid IP address', socket.connect_tcp, 'not-an-ip', 80)  -- 5
    T.raises('not a valid IP address', socket.connect_udp, 'x', 1)           -- 5

    -- 6: connection refused on a closed local port
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local port = l:getsockname().port
        l:close()
        T.fails('Connection refused', socket.connect_tcp('127.0.0.1', port))  -- 6
        local c = assert(socket.tcp())
        T.fails('Connection refused', c:connect('127.0.0.1', port))           -- 6 (method form)
        c:close()
    end

    -- 7: accept timeout
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local t0 = T.now()
        T.fails('timeout', l:accept(0.05))                  -- 7
        T.between(T.now() - t0, 0.04, 3, 'accept(0.05) duration')
        l:close()
    end

    -- 8, 9: close() from another coroutine cancels a blocked accept, asynchronously
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local res
        eco.run(function() res = table.pack(l:accept()) end)
        eco.sleep(0.05)
        T.eq(res, nil, 'accept still blocked')
        l:close()
        T.eq(res, nil, 'close() must not resume the waiter synchronously')  -- 9
        T.wait_until(function() return res end, 5, 'accept to return')
        T.same({ nil, 'canceled' }, T.unpack(res))                          -- 8
        T.eq(l:closed(), true)
    end

    -- 10: two concurrent waiters on one direction: the second raises the busy error
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local first
        eco.run(function() first = table.pack(l:accept()) end)
        eco.sleep(0.02)
        local ok, err = pcall(l.accept, l, 1)
        T.eq(ok, false, 'second accept must raise')                          -- 10
        T.ok(tostring(err):find('another coroutine is already waiting', 1, true), tostring(err))  -- 10
        l:close()
        T.wait_until(function() return first end, 5, 'first accept to return')
        T.same({ nil, 'canceled' }, T.unpack(first))

        local c, s, l2 = tcp_pair()
        local r1
        eco.run(function() r1 = table.pack(s:read(10)) end)
        eco.sleep(0.02)
        ok, err = pcall(s.read, s, 10, 1)
        T.eq(ok, false, 'second read must raise')                            -- 10
        T.ok(tostring(err):find('another coroutine is already waiting', 1, true), tostring(err))  -- 10
        c:send('abc')
        T.wait_until(function() return r1 end, 5, 'first read to return')
        T.same({ 'abc' }, T.unpack(r1))
        c:close(); s:close(); l2:close()
    end

    -- accept's peer address and getpeername
    do
        local c, s, l, peer = tcp_pair()
        T.eq(peer.family, socket.AF_INET)
        T.eq(peer.ipaddr, '127.0.0.1')
        T.eq(peer.port, c:getsockname().port)
        local p = c:getpeername()
        T.eq(p.ipaddr, '127.0.0.1')
        T.eq(p.port, l:getsockname().port)
        c:close(); s:close(); l:close()
    end

    -- 14: read(n) returns at most n bytes; buffered bytes come back without blocking
    do
        local c, s, l = tcp_pair()
        T.eq(c:send('hello world'), 11)
        eco.sleep(0.05)
        T.same({ 'hello' }, s:read(5, 5))                   -- 14
        -- the rest is buffered: returned at once (the peer sends nothing more)
        local t0 = T.now()
        T.same({ ' world' }, s:read(100, 2))                -- 14
        T.ok(T.now() - t0 < 1, 'buffered read must not block')
        T.eq(c:send('0123456789'), 10)
        local got = s:read(4, 5)
        T.ok(got and #got >= 1 and #got <= 4, 'read(4) returned ' .. tostring(got))  -- 14
        c:close(); s:close(); l:close()
    end

    -- 15, 16: line formats
    do
        local c, s, l = tcp_pair()
        c:send('x\r\ny\n')
        T.same({ 'x' }, s:read('l', 5))                     -- 15
        T.same({ 'y' }, s:read('l', 5))                     -- 15
        c:send('x\r\n')
        T.same({ 'x\r\n' }, s:read('L', 5))                 -- 15
        c:send('a\nb\r\nc\n')
        T.same({ 'a' }, s:read('*l', 5))                    -- 16
        T.same({ 'b' }, s:read('*l', 5))                    -- 16
        T.same({ 'c\n' }, s:read('*L', 5))
        T.raises('invalid format', s.read, s, 'x')          -- 16
        T.raises('invalid format', s.read, s, 1.5)          -- 16
        T.raises('expected size must be greater than 0', s.read, s, 0)  -- 16
        T.raises('invalid format', s.read, s, {})
        -- recv is an alias of read, recvfull of readfull
        c:send('zz')
        T.same({ 'zz' }, s:recv(2, 5))
        c:send('full')
        T.same({ 'full' }, s:recvfull(4, 5))
        c:close(); s:close(); l:close()
    end

    -- no maximum line length (5.7); a needle split across reads (readuntil streaming)
    do
        local c, s, l = tcp_pair()
        local line = string.rep('L', 5 * 1024 * 1024)
        eco.run(function() c:send(line .. '\r\nnext\n') end)
        local got = s:read('l', 10)
        T.ok(got == line, 'a 5 MiB line: got ' .. tostring(got and #got))
        T.same({ 'next' }, s:read('l', 5))
        eco.run(function()
            c:send('abcE')
            eco.sleep(0.05)
            c:send('NDtail')
        end)
        local acc, found = '', nil
        for _ = 1, 10 do
            local d, f = s:readuntil('END', 5)
            T.ok(d, 'readuntil')
            acc = acc .. d
            if f then found = f break end
        end
        T.eq(acc, 'abc')
        T.eq(found, true)
        T.same({ 'tail' }, s:readfull(4, 5))
        c:close(); s:close(); l:close()
    end

    -- 17: a partial line at EOF is discarded
    do
        local c, s, l = tcp_pair()
        c:send('partial')
        c:close()
        T.fails('closed', s:read('l', 5))                   -- 17
        s:close(); l:close()
    end

    -- 18: read('a') at EOF
    do
        local c, s, l = tcp_pair()
        c:close()
        T.same({ '' }, s:read('a', 5))                      -- 18
        T.fails('closed', s:read('a', 5))                   -- 18
        s:close(); l:close()
    end
    do -- 'a' collects everything until EOF
        local c, s, l = tcp_pair()
        eco.run(function()
            for i = 1, 5 do c:send('chunk' .. i); eco.sleep(0.01) end
            c:close()
        end)
        T.same({ 'chunk1chunk2chunk3chunk4chunk5' }, s:read('*a', 5))
        s:close(); l:close()
    end

    -- 19: readfull with EOF before n bytes
    do
        local c, s, l = tcp_pair()
        c:send('123456')
        c:close()
        T.fails('closed', s:readfull(10, 5))                -- 19
        s:close(); l:close()
    end

    -- 20, 21: readuntil
    do
        local c, s, l = tcp_pair()
        c:send('abcENDtail')
        eco.sleep(0.05)                                     -- all 10 bytes are queued
        T.same({ 'abc', true }, s:readuntil('END', 5))      -- 20
        T.same({ 'tail' }, s:readfull(4, 5))                -- 20
        T.raises('needle length must be 1~256 bytes', s.readuntil, s, '')                      -- 21
        T.raises('needle length must be 1~256 bytes', s.readuntil, s, string.rep('n', 257))    -- 21
        T.raises('size must be greater than 0', s.readfull, s, 0)
        -- "rest" + EOF with needle "END": "re", "st", then closed (section 5.7)
        c:send('rest')
        c:close()
        eco.sleep(0.05)
        T.same({ 're' }, s:readuntil('END', 5))
        T.same({ 'st' }, s:readuntil('END', 5))
        T.fails('closed', s:readuntil('END', 5))
        s:close(); l:close()
    end

    -- 22: read timeout, re-armed on every blocking wait
    do
        local c, s, l = tcp_pair()
        local t0 = T.now()
        T.fails('timeout', s:read(10, 0.05))                -- 22
        T.between(T.now() - t0, 0.04, 3, 'read(10, 0.05) duration')
        -- 6 bytes, one every 0.5 s (3 s in all) against an idle timeout of 2 s: no timeout
        eco.run(function()
            for i = 1, 6 do
                eco.sleep(0.5)
                c:send(tostring(i))
            end
        end)
        t0 = T.now()
        T.same({ '123456' }, s:readfull(6, 2))             -- 22
        T.ok(T.now() - t0 > 2.2, 'the readfull spanned more than one timeout period')
        c:close(); s:close(); l:close()
    end

    -- 1.3: a timeout of 0 or a negative value means "wait forever"
    do
        local c, s, l = tcp_pair()
        eco.run(function()
            eco.sleep(0.2)
            c:send('late')
        end)
        T.same({ 'late' }, s:read(10, 0))
        eco.run(function()
            eco.sleep(0.2)
            c:send('later')
        end)
        T.same({ 'later' }, s:readfull(5, -1))
        local c2
        eco.run(function()
            eco.sleep(0.2)
            c2 = socket.connect_tcp('127.0.0.1', l:getsockname().port)
        end)
        local s2 = l:accept(0)
        T.ok(s2, 'accept(0) waits')
        T.wait_until(function() return c2 end, 5, 'connect')
        c2:close(); s2:close()
        c:close(); s:close(); l:close()
    end

    -- 23, 24: after close
    do
        local c, s, l = tcp_pair()
        c:close()
        T.eq(c:closed(), true)                              -- 23
        T.eq(c:getfd(), -1)                                 -- 23
        local n, err = c:send('x')
        T.eq(n, nil)                                        -- 23
        T.eq(type(err), 'string')                           -- 23
        c:close()                                           -- 24
        T.same({}, c:close())                               -- 24: harmless, returns nothing
        T.eq(c:closed(), true)                              -- 24
        local r, rerr = c:read(1)
        T.eq(r, nil); T.eq(type(rerr), 'string')
        local a, aerr = l:accept(0.1)
        T.eq(a, nil)
        l:close()
        a, aerr = l:accept(0.1)
        T.eq(a, nil); T.eq(type(aerr), 'string')
        s:close()
        T.eq(s:closed(), true)
    end

    -- a blocked read is canceled by close() from another coroutine (5.1)
    do
        local c, s, l = tcp_pair()
        local res
        eco.run(function() res = table.pack(s:read('l')) end)
        eco.sleep(0.02)
        s:close()
        T.eq(res, nil)
        T.wait_until(function() return res end, 5, 'read to return')
        T.same({ nil, 'canceled' }, T.unpack(res))
        c:close(); l:close()
    end

    -- bind/listen/connect return the object; recvfrom on a stream at EOF returns "" (5.2, 5.3, 5.7)
    do
        local l = assert(socket.tcp())
        T.same({ l }, l:bind('127.0.0.1', 0))
        T.same({ l }, l:listen())
        local c = assert(socket.tcp())
        T.same({ c }, c:connect('127.0.0.1', l:getsockname().port))
        local s = assert(l:accept(5))
        c:send('abc')
        local d, from = s:recvfrom(10, 5)
        T.eq(d, 'abc')
        T.eq(type(from), 'table')
        c:close()
        d, from = s:recvfrom(10, 5)
        T.eq(d, '')
        T.eq(type(from), 'table')
        s:close(); l:close()
    end

    -- __close (to-be-closed variable)
    do
        local keep
        do
            local l <close> = assert(socket.listen_tcp('127.0.0.1', 0))
            keep = l
            T.eq(l:closed(), false)
        end
        T.eq(keep:closed(), true)
    end
end)
