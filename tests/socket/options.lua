-- eco.socket constructors' option tables and setoption/getoption
-- (spec/socket.md checklist 31-37; sections 4.1, 4.6, 5.4).
local T = require 'testlib'
local socket = require 'eco.socket'

T.go(function()
    -- 31: a bad device
    do
        local s, err = socket.socket(socket.AF_INET, socket.SOCK_STREAM, nil, { device = 'nosuchdev0' })
        T.eq(s, nil)                                                                   -- 31
        T.ok(tostring(err):find("failed to set socket option 'device'", 1, true), err)  -- 31
        T.ok(tostring(err):find('No such device', 1, true), err)                       -- 31
        T.eq(err, "failed to set socket option 'device': No such device")
        -- the same through listen_tcp / listen_udp / connect_tcp
        T.fails("failed to set socket option 'device': No such device",
            socket.listen_tcp('127.0.0.1', 0, { device = 'nosuchdev0' }))
        T.fails("failed to set socket option 'device': No such device",
            socket.listen_udp('127.0.0.1', 0, { device = 'nosuchdev0' }))
        T.fails("failed to set socket option 'device': No such device",
            socket.connect_tcp('127.0.0.1', 1, { device = 'nosuchdev0' }))
    end

    -- 32: ipv6_v6only is skipped on IPv4
    do
        local s, err = socket.socket(socket.AF_INET, socket.SOCK_STREAM, nil, { ipv6_v6only = false })
        T.ok(s, 'ipv6_v6only on AF_INET: ' .. tostring(err))                  -- 32
        s:close()
        -- and applied on IPv6
        local s6 = assert(socket.socket(socket.AF_INET6, socket.SOCK_STREAM, nil, { ipv6_v6only = true }))
        s6:close()
    end

    -- 33: listen_tcp with TCP options
    do
        local l, err = socket.listen_tcp('127.0.0.1', 0, { tcp_nodelay = true, tcp_keepidle = 10,
            tcp_keepcnt = 3, tcp_keepintvl = 10, tcp_fastopen = 5, ipv6_v6only = false })
        T.ok(l, 'listen_tcp with options: ' .. tostring(err))               -- 33
        l:close()
        -- all constructor options, keepalive, backlog, and foreign keys ignored
        l, err = socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true, reuseport = true, mark = 0,
            keepalive = true, backlog = 8, http_keepalive = 30, cert = 'x.pem' })
        T.ok(l, 'listen_tcp with more options: ' .. tostring(err))
        local c = assert(socket.connect_tcp('127.0.0.1', l:getsockname().port,
            { reuseaddr = true, tcp_nodelay = 'ignored', ipv6 = 'ignored' }))
        c:close()
        l:close()
        -- wrong option type in a constructor table raises (4.1)
        T.raises('boolean expected, got number', socket.socket, socket.AF_INET, socket.SOCK_STREAM, nil,
            { reuseaddr = 1 })
        T.raises('boolean expected, got number', socket.listen_tcp, '127.0.0.1', 0, { tcp_nodelay = 1 })
        -- invalid literal in listen_tcp raises; unknown family fails softly
        T.raises('not a valid IPv4 address', socket.listen_tcp, 'localhost', 0)
        T.fails('Address family not supported by protocol', socket.socket(12345, socket.SOCK_STREAM))
        T.raises('', socket.socket, 'inet', socket.SOCK_STREAM)
        -- a failing TCP option in listen_tcp: tcp_fastopen on a UNIX-like bad value
        local bad, berr = socket.listen_tcp('127.0.0.1', 0, { tcp_keepidle = -1 })
        T.eq(bad, nil)
        T.eq(berr, "failed to set socket option 'tcp_keepidle': Invalid argument")
    end

    -- 34: unknown option names and wrong value types raise
    do
        local s = assert(socket.tcp())
        T.raises("unsupported option 'no_such_option'", s.setoption, s, 'no_such_option', true)  -- 34
        T.raises('boolean expected', s.setoption, s, 'reuseaddr', 1)                           -- 34
        T.raises('number expected', s.setoption, s, 'sndbuf', 'big')
        T.raises("unsupported option '" .. string.rep('o', 35) .. "'", s.setoption, s, string.rep('o', 50), 1)
        local err = T.raises('unsupported option', s.setoption, s, string.rep('o', 50), 1)
        T.ok(not err:find(string.rep('o', 36), 1, true), 'option name truncated to 35 chars')
        -- every option of the table on a socket it applies to
        for _, o in ipairs({
            { 'reuseaddr', true }, { 'reuseport', false }, { 'keepalive', true }, { 'broadcast', false },
            { 'sndbuf', 65536 }, { 'rcvbuf', 65536 }, { 'mark', 0 }, { 'bindtodevice', 'lo' },
            { 'bindtodevice', '' },
            { 'tcp_keepidle', 30 }, { 'tcp_keepintvl', 5 }, { 'tcp_keepcnt', 4 }, { 'tcp_nodelay', true },
        }) do
            T.same({ true }, s:setoption(o[1], o[2]))
        end
        local l = assert(socket.tcp())
        T.ok(l:bind('127.0.0.1', 0))
        T.same({ true }, l:setoption('tcp_fastopen', 5))
        l:close()
        -- getoption: 'error' only
        T.eq(T.nret(1, s.sock:getoption('error')), nil)
        T.raises("unsupported option 'reuseaddr'", s.sock.getoption, s.sock, 'reuseaddr')
        s:close()
        -- ipv6_v6only on an IPv6 socket
        local s6 = assert(socket.tcp6())
        T.same({ true }, s6:setoption('ipv6_v6only', true))
        s6:close()
        -- netlink membership on a netlink socket (NETLINK_ROUTE = 0, RTNLGRP_LINK = 1)
        local nl = assert(socket.netlink(0))
        T.eq(nl:bind(), nl)
        T.eq(nl:getsockname().family, socket.AF_NETLINK)
        T.ok(math.type(nl:getsockname().pid) == 'integer')
        T.same({ true }, nl:setoption('netlink_add_membership', 1))
        T.same({ true }, nl:setoption('netlink_drop_membership', 1))
        nl:close()
    end

    -- 35: an option that does not apply to the socket type fails softly
    do
        local u = assert(socket.udp())
        T.fails('Protocol not available', u:setoption('tcp_nodelay', true))   -- 35
        T.same({ true }, u:setoption('broadcast', true))
        u:close()
    end

    -- 36: bindtodevice name too long
    do
        local s = assert(socket.tcp())
        T.raises('ifname too long', s.setoption, s, 'bindtodevice', string.rep('a', 20))  -- 36
        T.raises('ifname too long', s.setoption, s, 'bindtodevice', string.rep('a', 16))
        T.fails('No such device', s:setoption('bindtodevice', 'nosuchdev0'))
        s:close()
    end

    -- 37: ip_add_membership with a bad multicast address
    do
        local u = assert(socket.udp())
        T.raises('multiaddr: not a valid IP address', u.setoption, u, 'ip_add_membership',
            { multiaddr = '1.2.3' })                                                      -- 37
        T.raises('multiaddr: not a valid IP address', u.setoption, u, 'ip_add_membership', {})
        T.raises('interface: not a valid IP address', u.setoption, u, 'ip_add_membership',
            { multiaddr = '224.0.0.9', interface = 'eth0' })
        u:close()
    end

    -- 3.2: address arguments for a family without an address format raise "invalid domain"
    -- (AF_VSOCK, AF_ALG, AF_KEY: whichever this kernel offers)
    do
        local tried = {}
        local other
        for _, ft in ipairs({ { 40, socket.SOCK_STREAM }, { 38, 5 }, { 15, socket.SOCK_RAW, 2 } }) do
            local s, err = socket.socket(ft[1], ft[2], ft[3])
            if s then other = s break end
            tried[#tried + 1] = ft[1] .. ': ' .. tostring(err)
        end
        if other then
            T.raises('invalid domain', other.bind, other, 'x', 1)
            T.raises('invalid domain', other.connect, other, 'x', 1)
            other:close()
        else
            io.stderr:write('note: no exotic address family available, "invalid domain" unchecked ('
                .. table.concat(tried, '; ') .. ')\n')
        end
    end

    -- setoption after close fails softly
    do
        local s = assert(socket.tcp())
        s:close()
        T.fails('Bad file descriptor', s:setoption('reuseaddr', true))
        local u = assert(socket.udp())
        u:close()
        T.fails('Bad file descriptor', u:getsockname())
    end
end)
