-- eco.socket send path: whole-string sends, serialised concurrent writers, send timeout and
-- cancellation, argument errors never wedge the write mutex
-- (spec/socket.md checklist 11, 12, 13 and section 5.6).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

local function tcp_pair()
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local c = assert(socket.connect_tcp('127.0.0.1', l:getsockname().port))
    local s = assert(l:accept(5))
    l:close()
    return c, s
end

T.go(function()
    -- 11: send returns #s; concurrent large sends are not interleaved
    do
        local c, s = tcp_pair()
        T.same({ 5 }, c:send('hello'))                       -- 11
        T.same({ "hello" }, s:readfull(5, 5))
        T.same({ 3 }, c:write('abc'))                        -- write alias
        T.same({ 'abc' }, s:readfull(3, 5))

        local size = 4 * 1024 * 1024
        local payloads = { string.rep('A', size), string.rep('B', size), string.rep('C', size) }
        local results = {}
        for i, p in ipairs(payloads) do
            eco.run(function() results[i] = table.pack(c:send(p, 20)) end)
        end
        local got, order = {}, ''
        for i = 1, #payloads do
            local chunk, err = s:readfull(size, 20)
            T.ok(chunk, 'readfull: ' .. tostring(err))
            local first = chunk:sub(1, 1)
            T.eq(chunk, string.rep(first, size), 'payload ' .. i .. ' is unmixed')  -- 11
            got[first] = true
            order = order .. first
        end
        T.ok(got.A and got.B and got.C, 'all three payloads arrived')              -- 11
        T.eq(order, 'ABC', 'writers are served in FIFO order (5.6)')
        T.wait_until(function() return #results == 3 and results[1] and results[2] and results[3] end, 10,
            'the senders to finish')
        for i = 1, 3 do T.same({ size }, T.unpack(results[i])) end                  -- 11
        c:close(); s:close()
    end

    -- 12: send to a peer that never reads times out
    do
        local c, s = tcp_pair()
        T.ok(c:setoption('sndbuf', 4096))
        T.ok(s:setoption('rcvbuf', 4096))
        local big = string.rep('x', 32 * 1024 * 1024)
        local t0 = T.now()
        T.fails('timeout', c:send(big, 0.2))                -- 12
        T.between(T.now() - t0, 0.15, 10, 'send(big, 0.2) duration')
        c:close(); s:close()
    end

    -- 13: a pending send is canceled by close() from another coroutine
    do
        local c, s = tcp_pair()
        T.ok(c:setoption('sndbuf', 4096))
        local big = string.rep('y', 32 * 1024 * 1024)
        local res
        eco.run(function() res = table.pack(c:send(big)) end)
        eco.sleep(0.1)
        T.eq(res, nil, 'send is still pending')
        c:close()
        T.eq(res, nil, 'close() does not resume the sender synchronously')
        T.wait_until(function() return res end, 5, 'send to return')
        T.same({ nil, 'canceled' }, T.unpack(res))          -- 13
        -- a second writer queued on the mutex behind a canceled one fails too, never hangs
        s:close()
    end
    do
        local c, s = tcp_pair()
        T.ok(c:setoption('sndbuf', 4096))
        local big = string.rep('z', 32 * 1024 * 1024)
        local r1, r2
        eco.run(function() r1 = table.pack(c:send(big)) end)
        eco.run(function() r2 = table.pack(c:send('queued')) end)
        eco.sleep(0.1)
        c:close()
        T.wait_until(function() return r1 and r2 end, 5, 'both writers to return')
        T.same({ nil, 'canceled' }, T.unpack(r1))           -- 13
        T.eq(r2[1], nil, 'queued writer after close')
        T.eq(type(r2[2]), 'string')
        s:close()
    end

    -- 5.6: argument errors do not leave the write mutex locked
    do
        local c, s = tcp_pair()
        T.raises('', c.send, c, {})
        T.same({ 2 }, c:send('ok', 5))
        T.raises('offset must be greater than or equal to 0', c.sendfile, c, '/etc/hostname', nil, -1)
        T.raises('len must be great than 0', c.sendfile, c, '/etc/hostname', 0)
        T.same({ 2 }, c:send('ok', 5))
        T.raises('', c.sendto, c, 'data', 'not-an-ip', 1)
        T.same({ 2 }, c:send('ok', 5))
        T.same({ 'okokok' }, s:readfull(6, 5))
        c:close(); s:close()
    end

    -- sendto without an address on a connected stream: loops until everything is sent (5.6);
    -- numbers are sent as their string form
    do
        local c, s = tcp_pair()
        T.ok(c:setoption('sndbuf', 8192))
        local big = string.rep('0123456789ABCDEF', 256 * 1024)    -- 4 MiB
        local got
        eco.run(function() got = s:readfull(#big, 10) end)
        T.same({ #big }, c:sendto(big))
        T.wait_until(function() return got end, 10, 'the receiver')
        T.ok(got == big, 'sendto payload intact')
        T.same({ 3 }, c:send(123))
        T.same({ '123' }, s:readfull(3, 5))
        c:close(); s:close()
    end

    -- a send that raises (it must wait where no yield is allowed: inside a gsub callback)
    -- releases the write mutex: the next send on the socket goes through
    do
        local c, s = tcp_pair()
        T.ok(c:setoption('sndbuf', 4096))
        local big = string.rep('x', 8 * 1024 * 1024)
        local ok, err = pcall(string.gsub, 'a', 'a', function() c:send(big, 5) end)
        T.eq(ok, false)
        T.ok(tostring(err):find('yield', 1, true), tostring(err))
        local got
        eco.run(function() got = s:read('a', 10) end)
        T.same({ 5 }, c:send('after', 5))
        c:close()
        T.wait_until(function() return got end, 10, 'the receiver')
        T.ok(got:sub(-5) == 'after', 'the send after the raise arrived')
        s:close()
    end

    -- datagram sockets: one send = one datagram
    do
        local a, b = assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))
        T.same({ 3 }, a:send('one'))
        T.same({ 3 }, a:send('two'))
        T.same({ 'one' }, b:read(100, 5))
        T.same({ 'two' }, b:read(100, 5))
        a:close(); b:close()
    end
end)
