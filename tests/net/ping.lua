-- eco.net ping/ping6 (spec/net.md checklist; item numbers in comments): real echo requests to
-- 127.0.0.1 and ::1 over ping sockets (the test widens net.ipv4.ping_group_range; tests run as
-- root), a name resolved by eco.dns through a fake DNS server, then the request/reply handling
-- against fake sockets and a fake dns.query.
local T = require 'testlib'
local ecotest = require 'ecotest'
local eco = require 'eco'
local socket = require 'eco.socket'
local dns = require 'eco.dns'
local time = require 'eco.time'
local net = require 'eco.net'

T.ok(os.execute('sysctl -qw net.ipv4.ping_group_range="0 2147483647"'), 'sysctl ping_group_range')

-- A fake DNS server answering every A query with 127.0.0.1 and every AAAA query with ::1.
local function dns_server()
    local udp = assert(socket.listen_udp('127.0.0.1', 0))
    local srv = { port = udp:getsockname().port, queries = 0 }
    eco.run(function()
        while true do
            local q, from = udp:recvfrom(512)
            if not q then break end
            srv.queries = srv.queries + 1
            local id = string.unpack('>I2', q)
            local i = 13
            while q:byte(i) ~= 0 do i = i + q:byte(i) + 1 end
            local qtype = string.unpack('>I2', q, i + 1)
            local rdata = qtype == 28 and socket.inet_pton(socket.AF_INET6, '::1') or '\127\0\0\1'
            udp:sendto(string.pack('>I2I2I2I2I2I2', id, 0x8180, 1, 1, 0, 0) .. q:sub(13, i + 4)
                .. string.pack('>I2I2I2I4s2', 0xC00C, qtype, 1, 60, rdata), from.ipaddr, from.port)
        end
    end)
    srv.close = function() udp:close() end
    return srv
end

T.go(function()
    dns._files.hosts = '/nonexistent/hosts'
    dns._files.resolv = '/nonexistent/resolv.conf'

    -- 1: IPv4 loopback
    local rtt = T.nret(1, net.ping('127.0.0.1', { timeout = 0.5, data = 'smoke' }))
    T.between(rtt, 0, 0.5, 'ping rtt')
    T.eq(math.type(rtt), 'float')
    -- 2: IPv6 loopback
    rtt = T.nret(1, net.ping6('::1', { timeout = 0.5 }))
    T.between(rtt, 0, 0.5, 'ping6 rtt')

    -- a host name through eco.dns (a fake server given as nameservers) and through /etc/hosts
    local srv = dns_server()
    local ns = { { '127.0.0.1', srv.port } }
    T.between(net.ping('loop.example', { nameservers = ns, timeout = 2 }), 0, 2)
    T.between(net.ping6('loop.example', { nameservers = ns, timeout = 2 }), 0, 2)
    T.eq(srv.queries, 2)
    srv.close()
    local hosts = ecotest.tmpfile('127.0.0.1 pinghost\n')
    dns._files.hosts = hosts
    T.between(net.ping('pinghost', { timeout = 2 }), 0, 2)
    dns._files.hosts = '/nonexistent/hosts'
    os.remove(hosts)

    -- 15: repeated pings leak no sockets; memory plateaus across equal bursts
    local fds = ecotest.fd_count()
    local function burst()
        for _ = 1, 50 do T.ok(net.ping('127.0.0.1', { timeout = 2 })) end
        T.full_gc()
        return collectgarbage('count')
    end
    local m1 = burst()
    local m2 = burst()
    local m3 = burst()
    T.eq(ecotest.fd_count(), fds)
    T.ok(m3 <= m1 * 1.2 + 64 and m2 <= m1 * 1.2 + 64,
        string.format('memory plateau: %.0f, %.0f, %.0f KiB', m1, m2, m3))

    -- fakes ---------------------------------------------------------------------------------
    local real = { icmp = socket.icmp, icmp6 = socket.icmp6, query = dns.query, now = time.now }
    local log, handler, send_err, create_err, queries
    local function fake(kind)
        local s = { kind = kind, calls = {} }
        log[#log + 1] = s
        local function note(c) s.calls[#s.calls + 1] = c end
        function s:setoption(k, v) note('setoption ' .. k .. '=' .. tostring(v)) return true end
        function s:bind(ip, id)
            note('bind ' .. tostring(ip))
            self.id = id
            return self
        end
        function s:getsockname() return { port = self.id } end
        function s:sendto(pkt, ip, port)
            note('sendto')
            self.pkt, self.to = pkt, { ip, port }
            if send_err then return nil, send_err end
            return #pkt
        end
        function s:recvfrom(n, timeout)
            note('recvfrom')
            self.recv_args = { n, timeout }
            return handler(self)
        end
        function s:close() self.closed = true end
        return s
    end
    local function echo_reply(s, o)
        o = o or {}
        local typ = o.type or (s.kind == 'icmp6' and 129 or 0)
        return string.pack('>BBI2I2I2', typ, 0, 0, o.id or s.id, 1) .. s.pkt:sub(9), { ipaddr = s.to[1], port = 0 }
    end
    local function mock(h)
        log, handler, send_err, create_err, queries = {}, h or echo_reply, nil, nil, {}
        socket.icmp = function() if create_err then return nil, create_err end return fake('icmp') end
        socket.icmp6 = function() if create_err then return nil, create_err end return fake('icmp6') end
    end
    local function fake_dns(answers_or_err)
        dns.query = function(host, opts)
            queries[#queries + 1] = { host = host, opts = opts }
            if type(answers_or_err) == 'string' then return nil, answers_or_err end
            return answers_or_err
        end
    end

    -- 3: literals skip DNS; names do one dns.query with the type and the forwarded options
    mock()
    fake_dns({ { type = 1, address = '192.0.2.1' }, { type = 28, address = '2001:db8::1' } })
    T.ok(net.ping('192.0.2.7'))
    T.eq(#queries, 0)
    T.ok(net.ping6('2001:db8::7'))
    T.eq(#queries, 0)
    local o = { mark = 3, device = 'lo', nameservers = { '192.0.2.53' } }
    T.ok(net.ping('h.example', o))
    T.eq(#queries, 1)
    T.eq(queries[1].host, 'h.example'); T.eq(queries[1].opts.type, 1)
    T.eq(queries[1].opts.mark, 3); T.eq(queries[1].opts.device, 'lo')
    T.eq(queries[1].opts.nameservers, o.nameservers)
    T.eq(log[3].to[1], '192.0.2.1')
    T.ok(net.ping6('h.example', o))
    T.eq(#queries, 2); T.eq(queries[2].opts.type, 28)
    T.eq(log[4].to[1], '2001:db8::1')
    -- an IPv6 literal given to ping goes through DNS and is not accepted
    fake_dns({ { type = 28, address = '::1' } })
    T.fails('resolve "::1" fail: not found', net.ping('::1'))

    -- 4: the first answer of the wanted type is used
    mock()
    fake_dns({ { type = 99, spf = 'x' }, { type = 1, address = '198.51.100.9' }, { type = 1, address = '198.51.100.10' } })
    T.ok(net.ping('multi.example'))
    T.eq(log[1].to[1], '198.51.100.9')

    -- 5: DNS error
    fake_dns('nxdomain')
    T.fails('resolve "bad.example" fail: nxdomain', net.ping('bad.example'))
    -- 6: only AAAA answers for ping
    fake_dns({ { type = 28, address = '2001:db8::1' } })
    T.fails('resolve "v6only.example" fail: not found', net.ping('v6only.example'))
    dns.query = real.query

    -- 7, 8, 9, 10: the request, sendto/bind arguments, option order, recvfrom arguments
    mock()
    T.ok(net.ping('192.0.2.1', { mark = 9, device = 'lo' }))
    local s = log[1]
    local typ, code, sum, id, seq = string.unpack('>BBI2I2I2', s.pkt)
    T.eq(typ, 8); T.eq(code, 0); T.eq(sum, 0); T.eq(id, 0); T.eq(seq, 1)
    T.eq(s.pkt:sub(9), 'hello')
    T.eq(s.to[1], '192.0.2.1'); T.eq(s.to[2], 0)
    T.eq(math.type(s.id), 'integer'); T.between(s.id, 0, 65535)
    T.eq(table.concat(s.calls, ','), 'setoption bindtodevice=lo,setoption mark=9,bind nil,sendto,recvfrom')
    T.eq(s.recv_args[1], 1024); T.eq(s.recv_args[2], 5.0)
    T.ok(s.closed, 'socket closed')
    T.ok(net.ping6('::1', { data = 'payload6', timeout = 0.7 }))
    s = log[2]
    typ, code, sum, id, seq = string.unpack('>BBI2I2I2', s.pkt)
    T.eq(typ, 128); T.eq(code, 0); T.eq(seq, 1)
    T.eq(s.pkt:sub(9), 'payload6')
    T.eq(s.recv_args[2], 0.7)

    -- 11: errors returned verbatim
    mock()
    create_err = 'permission denied'
    T.fails('permission denied', net.ping('192.0.2.1'))
    mock()
    send_err = 'send failed'
    T.fails('send failed', net.ping('192.0.2.1'))
    mock(function() return nil, 'timeout' end)
    T.fails('timeout', net.ping('192.0.2.1'))

    -- 12: another ICMP type
    mock(function(sock) return echo_reply(sock, { type = 3 }) end)
    T.fails('unexpected type ICMP 3', net.ping('192.0.2.1'))
    mock(function(sock) return echo_reply(sock, { type = 1 }) end)
    T.fails('unexpected type ICMP 1', net.ping6('::1'))

    -- a reply too short for an ICMP header: eco.packet's decoder error
    mock(function() return 'abc', { ipaddr = '192.0.2.1', port = 0 } end)
    T.fails('not a valid ICMP packet', net.ping('192.0.2.1'))
    T.fails('not a valid ICMPV6 packet', net.ping6('::1'))

    -- 13: echo reply with another id
    mock(function(sock) return echo_reply(sock, { id = (sock.id + 1) % 65536 }) end)
    local ok, err = T.nret(2, net.ping('192.0.2.1'))
    T.eq(ok, nil)
    T.ok(err:find('^unexpected icmp id: got %d+, expected %d+$'), err)

    -- 14: rtt = clock after receive - clock after send
    mock()
    local ticks = { 100.0, 100.25 }
    time.now = function() return table.remove(ticks, 1) end
    T.eq(net.ping('192.0.2.1'), 0.25)
    time.now = real.now

    socket.icmp, socket.icmp6 = real.icmp, real.icmp6
end)
