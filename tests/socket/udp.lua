-- eco.socket UDP over loopback: sendto/recvfrom, timeouts, connected UDP, IPv6, multicast,
-- address errors, and a UDP echo with concurrent clients
-- (spec/socket.md checklist 29, 30, 38, 39; sections 4.6, 5.3, 8).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

T.go(function()
    -- 29: sendto/recvfrom
    do
        local r = assert(socket.listen_udp('127.0.0.1', 0))
        local port = r:getsockname().port
        T.ok(port > 0)
        local s = assert(socket.udp())
        T.same({ 5 }, s:sendto('hello', '127.0.0.1', port))      -- 29
        local data, from = r:recvfrom(64, 1)
        T.eq(data, 'hello')                                        -- 29
        T.eq(from.ipaddr, '127.0.0.1')                             -- 29
        T.eq(from.family, socket.AF_INET)
        T.eq(from.port, s:getsockname().port)
        -- reply to the sender
        T.same({ 4 }, r:sendto('pong', from.ipaddr, from.port))
        local d2, f2 = s:recvfrom(64, 1)
        T.eq(d2, 'pong')
        T.eq(f2.port, port)
        -- recvfrom(n) truncates a datagram to n bytes
        s:sendto('0123456789', '127.0.0.1', port)
        T.eq((r:recvfrom(4, 1)), '0123')
        T.raises('must be greater than 0', function()
            s:sendto('x', '127.0.0.1', port)
            return r:recvfrom(0, 1)
        end)
        T.eq((r:recvfrom(64, 1)), 'x')   -- the datagram is still queued
        -- 30: nothing queued
        local t0 = T.now()
        T.fails('timeout', r:recvfrom(64, 0.03))                   -- 30
        T.between(T.now() - t0, 0.02, 3, 'recvfrom(64, 0.03) duration')
        r:close(); s:close()
    end

    -- an unbound UDP socket reports 0.0.0.0:0 (5.5)
    do
        local u = assert(socket.udp())
        local a = u:getsockname()
        T.eq(a.ipaddr, '0.0.0.0')
        T.eq(a.port, 0)
        -- 38: not connected
        T.fails('Transport endpoint is not connected', u:getpeername())  -- 38
        -- 39: bad literal raises; missing port raises
        T.raises('not a valid IPv4 address', u.bind, u, 'x.y', 1)        -- 39
        T.raises('number expected, got no value', u.bind, u, nil)        -- 39
        T.raises('not a valid IPv4 address', u.sendto, u, 'x', '::1', 1)
        T.raises('not a valid IPv4 address', u.connect, u, '1.2.3', 1)
        T.eq(u:bind({}, 0), u)                 -- a non-string address = wildcard (3.2)
        T.eq(u:getsockname().ipaddr, '0.0.0.0')
        u:close()
        local u6 = assert(socket.udp6())
        T.raises('not a valid IPv6 address', u6.bind, u6, '1.2.3.4', 1)
        u6:close()
    end

    -- connected UDP, and an ICMP port-unreachable surfacing as "Connection refused" (5.3)
    do
        local r = assert(socket.listen_udp('127.0.0.1', 0))
        local port = r:getsockname().port
        local c = assert(socket.connect_udp('127.0.0.1', port))
        T.eq(c:getpeername().port, port)
        T.same({ 3 }, c:send('abc'))
        local d, from = r:recvfrom(10, 1)
        T.eq(d, 'abc')
        r:sendto('reply', from.ipaddr, from.port)
        T.same({ 'reply' }, c:read(100, 1))
        r:close()
        c:send('nobody listens')
        local got, err = c:read(100, 2)
        T.eq(got, nil)
        T.eq(err, 'Connection refused')
        c:close()
    end

    -- IPv6 UDP
    do
        local r = assert(socket.listen_udp('::1', 0, { ipv6 = true }))
        local a = r:getsockname()
        T.eq(a.family, socket.AF_INET6)
        T.eq(a.ipaddr, '::1')
        local c = assert(socket.connect_udp('::1', a.port))
        T.same({ 2 }, c:send('v6'))
        local d, from = r:recvfrom(10, 1)
        T.eq(d, 'v6')
        T.eq(from.ipaddr, '::1')
        T.eq(from.family, socket.AF_INET6)
        c:close(); r:close()
        -- v4-mapped peer on a dual-stack socket
        local dual = assert(socket.listen_udp(nil, 0, { ipv6 = true, ipv6_v6only = false }))
        local s4 = assert(socket.udp())
        s4:sendto('mapped', '127.0.0.1', dual:getsockname().port)
        local d2, f2 = dual:recvfrom(10, 1)
        T.eq(d2, 'mapped')
        T.eq(f2.ipaddr, '::ffff:127.0.0.1')
        s4:close(); dual:close()
    end

    -- multicast on loopback (section 8): join, receive, leave
    do
        local r = assert(socket.listen_udp(nil, 0, { reuseaddr = true }))
        local port = r:getsockname().port
        T.same({ true }, r:setoption('ip_add_membership', { multiaddr = '224.0.0.251', interface = '127.0.0.1' }))
        T.raises('interface: not a valid IP address', r.setoption, r, 'ip_add_membership',
            { multiaddr = '224.0.0.252', interface = 'lo' })
        T.raises('multiaddr: not a valid IP address', r.setoption, r, 'ip_drop_membership', {})
        local s = assert(socket.udp())
        -- send through the loopback interface (IP_MULTICAST_IF is not exposed: bind to it)
        T.ok(s:setoption('bindtodevice', 'lo'))
        local n = s:sendto('group', '224.0.0.251', port)
        T.eq(n, 5)
        local d = r:recvfrom(64, 2)
        T.eq(d, 'group')
        T.same({ true }, r:setoption('ip_drop_membership', { multiaddr = '224.0.0.251', interface = '127.0.0.1' }))
        s:close(); r:close()
        local r6 = assert(socket.listen_udp(nil, 0, { ipv6 = true }))
        T.same({ true }, r6:setoption('ipv6_add_membership', { multiaddr = 'ff02::1:3', interface = socket.if_nametoindex('lo') }))
        T.same({ true }, r6:setoption('ipv6_drop_membership', { multiaddr = 'ff02::1:3', interface = socket.if_nametoindex('lo') }))
        T.raises('multiaddr: not a valid IPv6 address', r6.setoption, r6, 'ipv6_add_membership', { multiaddr = '224.0.0.1' })
        r6:close()
    end

    -- UDP echo: one server coroutine, 20 concurrent clients x 50 datagrams
    do
        local srv = assert(socket.listen_udp('127.0.0.1', 0))
        local port = srv:getsockname().port
        local stop = false
        eco.run(function()
            while true do
                local d, from = srv:recvfrom(2048)
                if not d then break end
                srv:sendto(d, from.ipaddr, from.port)
            end
        end)
        local done, bad = 0, {}
        for i = 1, 20 do
            eco.run(function()
                local c = assert(socket.connect_udp('127.0.0.1', port))
                for j = 1, 50 do
                    local msg = string.format('client %d msg %d %s', i, j, string.rep('u', j * 10))
                    local d, err
                    -- loopback UDP may drop under load: retry a few times
                    for _ = 1, 5 do
                        c:send(msg)
                        d, err = c:read(2048, 1)
                        if d then break end
                    end
                    if d ~= msg then bad[#bad + 1] = string.format('%d/%d: %s %s', i, j, tostring(d), tostring(err)) end
                end
                c:close()
                done = done + 1
            end)
        end
        T.wait_until(function() return done == 20 end, 15, 'UDP clients')
        T.eq(#bad, 0, 'UDP echo mismatches: ' .. table.concat(bad, '; '))
        srv:close()   -- cancels the server coroutine's recvfrom
        eco.sleep(0.01)
        T.ok(stop == false)
    end
end)
