-- eco.socket: constants, address and byte-order helpers, eco.internal.socket
-- (spec/socket.md checklist 1, 44-48; spec/internal.md checklist 1 and 4).
local T = require 'testlib'
local socket = require 'eco.socket'

T.go(function()
    -- 1: constants
    T.eq(socket.AF_INET, 2)                 -- 1
    T.eq(socket.SOCK_DGRAM, 2)              -- 1
    T.eq(socket.ETH_P_ALL, 3)               -- 1
    T.eq(socket.IFF_NO_PI, 0x1000)          -- 1
    -- the rest of the table of section 2 (1)
    local consts = {
        AF_UNSPEC = 0, AF_INET6 = 10, AF_UNIX = 1, AF_PACKET = 17, AF_NETLINK = 16,
        SOCK_STREAM = 1, SOCK_RAW = 3, IPPROTO_ICMP = 1, IPPROTO_ICMPV6 = 58, IPPROTO_TCP = 6,
        IPPROTO_UDP = 17, ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_8021Q = 0x8100,
        ETH_P_PPP_DISC = 0x8863, ETH_P_PPP_SES = 0x8864, ETH_P_IPV6 = 0x86DD,
        ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772, ARPHRD_IEEE80211_RADIOTAP = 803,
        ARPOP_REQUEST = 1, ARPOP_REPLY = 2, PACKET_MR_MULTICAST = 0, PACKET_MR_PROMISC = 1,
        PACKET_MR_ALLMULTI = 2, PACKET_MR_UNICAST = 3, ICMP_ECHOREPLY = 0, ICMP_ECHO = 8,
        ICMP_REDIRECT = 5, ICMPV6_ECHO_REQUEST = 128, ICMPV6_ECHO_REPLY = 129, IFF_TUN = 1,
        IFF_TAP = 2,
    }
    for k, v in pairs(consts) do
        T.eq(socket[k], v, k)                -- 1
        T.eq(math.type(socket[k]), 'integer', k)
    end

    -- 44: is_ip_address / is_ipv4_address / is_ipv6_address
    T.eq(socket.is_ip_address('127.0.0.1'), true)     -- 44
    T.eq(socket.is_ip_address('::1'), true)           -- 44
    T.eq(socket.is_ip_address('not-an-ip'), false)    -- 44
    T.eq(socket.is_ipv4_address('1.2.3'), false)      -- 44
    T.eq(socket.is_ipv4_address('1.2.3.4'), true)     -- 44
    T.eq(socket.is_ipv6_address('::ffff:1.2.3.4'), true)  -- 44 (section 7)
    T.eq(socket.is_ipv4_address('::1'), false)
    T.eq(socket.is_ip_address('fe80::1%eth0'), false) -- section 7: no zone ids
    T.eq(socket.is_ip_address(' 1.2.3.4'), false)    -- section 7: no leading spaces
    T.raises('', socket.is_ipv4_address, {})          -- section 7: other types raise

    -- 45: inet_aton / inet_ntoa
    T.eq(socket.inet_ntoa(socket.inet_aton('127.0.0.1')), '127.0.0.1')  -- 45
    T.eq(socket.inet_aton('bad'), 0)                                     -- 45
    T.eq(socket.inet_aton('1.2.3.4'), 0x04030201)                        -- section 7 (little endian)
    T.eq(socket.inet_ntoa(socket.inet_aton('0x7f.1')), '127.0.0.1')      -- liberal forms

    -- 46: inet_ntop / inet_pton
    T.eq(socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, '127.0.0.1') .. 'x'),
        '127.0.0.1')                                                      -- 46
    T.raises('address too short', socket.inet_ntop, socket.AF_INET, '\1') -- 46
    T.raises('family must be AF_INET or AF_INET6', socket.inet_ntop, socket.AF_UNIX, '1234') -- 46
    T.eq(socket.inet_pton(socket.AF_INET6, '1.2.3.4'), nil)              -- 46
    T.eq(socket.inet_pton(socket.AF_INET, '127.0.0.1'), '\127\0\0\1')
    T.eq(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, '::1')), '::1')
    T.raises('family must be AF_INET or AF_INET6', socket.inet_pton, socket.AF_UNIX, '1.2.3.4')
    T.raises('address too short', socket.inet_ntop, socket.AF_INET6, string.rep('\0', 15))
    T.eq(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, '2001:db8::1') .. 'xx'), '2001:db8::1')
    T.eq(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, '::ffff:1.2.3.4')), '::ffff:1.2.3.4')
    T.eq(socket.is_ipv4_address(1), false)             -- numbers are converted to strings

    -- 47: byte order
    T.eq(socket.ntohl(socket.htonl(0x12345678)), 0x12345678)  -- 47
    T.eq(socket.ntohs(socket.htons(0x1234)), 0x1234)          -- 47
    T.eq(socket.htonl(0x12345678), 0x78563412)
    T.eq(socket.htons(0x12345), 0x4523)                       -- section 7 (truncated)

    -- 48: interface names
    T.eq(socket.if_nametoindex('nope'), nil)                           -- 48
    T.eq(socket.if_indextoname(socket.if_nametoindex('lo')), 'lo')     -- 48
    T.eq(socket.if_indextoname(99999), '')                             -- 48

    -- internal 1: require 'eco.internal.socket' succeeds
    local ok, internal = pcall(require, 'eco.internal.socket')
    T.ok(ok, 'require eco.internal.socket: ' .. tostring(internal))   -- internal 1
    T.eq(type(internal), 'table')
    -- internal 4: socket(AF_INET, SOCK_DGRAM) returns an object with getfd() >= 0
    local s = internal.socket(internal.AF_INET, internal.SOCK_DGRAM)   -- internal 4
    T.ok(s, 'internal.socket')
    T.eq(math.type(s:getfd()), 'integer')                              -- internal 4
    T.ok(s:getfd() >= 0)                                               -- internal 4
    -- the same object as eco.socket returns: :bind/:send work
    T.eq(s:bind('127.0.0.1', 0), s)
    s:close()
    T.eq(s:getfd(), -1)
    -- every constant is a field of the internal module; helpers are identical
    for k, v in pairs(consts) do T.eq(internal[k], v, 'internal.' .. k) end
    T.eq(internal.AF_INET, 2)
    for _, name in ipairs({ 'socketpair', 'open_tun', 'is_ipv4_address', 'is_ipv6_address', 'inet_aton',
            'inet_ntoa', 'inet_ntop', 'inet_pton', 'if_nametoindex', 'if_indextoname', 'htonl', 'htons',
            'ntohl', 'ntohs' }) do
        T.eq(type(internal[name]), 'function', 'internal.' .. name)
    end
    T.eq(internal.htons(0x1234), 0x3412)
    T.eq(internal.inet_ntoa(internal.inet_aton('10.1.2.3')), '10.1.2.3')
    local a, b = internal.socketpair(internal.AF_UNIX, internal.SOCK_STREAM)
    T.ok(a and b, 'internal.socketpair')
    T.eq(a:send('hi'), 2)
    T.eq(b:read(2, 5), 'hi')
    a:close()
    b:close()
end)
