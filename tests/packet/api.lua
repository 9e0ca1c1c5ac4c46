-- eco.packet builders and decoders (docs/packet.md; numbers in comments are the items of the
-- behaviour checklist). Checksums are verified with an independent RFC 1071 sum written here.
local T = require 'testlib'
local packet = require 'eco.packet'

local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function unhex(h)
    return (h:gsub('%s', ''):gsub('%x%x', function(x) return string.char(tonumber(x, 16)) end))
end

-- RFC 1071 over `s`: the one's complement of the folded sum of big-endian 16-bit words.
local function csum(s)
    local sum = 0
    for i = 1, #s - 1, 2 do sum = sum + (s:byte(i) << 8) + s:byte(i + 1) end
    if #s % 2 == 1 then sum = sum + (s:byte(#s) << 8) end
    while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
    return ~sum & 0xffff
end

local function quad(s)
    local a, b, c, d = s:match('^(%d+)%.(%d+)%.(%d+)%.(%d+)$')
    return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

local function pseudo(s, d, proto, seg)
    return quad(s) .. quad(d) .. '\0' .. string.char(proto) .. string.pack('>I2', #seg) .. seg
end

local MAC_A, MAC_B = '02:00:00:00:00:0A', '02:00:00:00:00:0b'
local S, D = '10.1.1.1', '10.1.1.2'

T.go(function()
    -- 1
    T.same({ nil, 'not a valid ether packet' }, packet.from_ether(string.rep('x', 13)))

    -- 2: MACs come back lower-case; argument order source, dest; dest first on the wire
    local frame = packet.ether(MAC_A, MAC_B, 0x0800, 'xyz')
    T.eq(hex(frame:sub(1, 14)), '02000000000b' .. '02000000000a' .. '0800')
    local e = T.nret(1, packet.from_ether(frame))
    T.eq(e.name, 'ETHER')
    T.eq(e.source, '02:00:00:00:00:0a')
    T.eq(e.dest, '02:00:00:00:00:0b')
    T.eq(e.proto, 0x0800)
    T.eq(e.data, 'xyz')
    T.eq(tostring(e), '02:00:00:00:00:0a->02:00:00:00:00:0b IP')

    -- 3
    local u = packet.udp(1234, 5678, 'hello', S, D)
    local ipkt = packet.ip(S, D, 17, u)
    local ip = T.nret(1, packet.from_ip(ipkt))
    T.eq(ip.name, 'IP')
    T.eq(ip.saddr, S); T.eq(ip.daddr, D)
    T.eq(ip.protocol, 17); T.eq(ip.ihl, 5); T.eq(ip.ttl, 64); T.eq(ip.tot_len, 33)
    T.eq(ip.version, 4); T.eq(ip.tos, 0); T.eq(ip.id, 0); T.eq(ip.frag_off, 0)
    T.eq(ip.check, string.unpack('>I2', ipkt, 11))             -- the true header checksum
    T.eq(ip.data, u)
    T.eq(tostring(ip), '10.1.1.1->10.1.1.2 UDP')
    local up = T.nret(1, ip:next())
    T.eq(up.name, 'UDP')
    T.eq(up.source, 1234); T.eq(up.dest, 5678); T.eq(up.data, 'hello')
    T.eq(up.len, 13); T.eq(up.check, string.unpack('>I2', u, 7))
    T.eq(tostring(up), '1234->5678 len 5')
    T.same({ nil, 'no upper protocol layer' }, up:next())

    -- 4: the header checksum verifies; the layout of 4.5
    T.eq(#ipkt, 20 + #u)
    T.eq(csum(ipkt:sub(1, 20)), 0)
    T.eq(hex(ipkt:sub(1, 10)), '4500' .. '0021' .. '0000' .. '0000' .. '40' .. '11')
    T.eq(ipkt:sub(13, 20), quad(S) .. quad(D))
    T.eq(#packet.ip(S, D, 6), 20)

    -- 5
    local u0 = packet.udp(1, 2, 'a')
    T.eq(u0:sub(7, 8), '\0\0')
    T.eq(hex(u0), '0001' .. '0002' .. '0009' .. '0000' .. '61')
    T.eq(packet.udp(1, 2, 'a', S):sub(7, 8), '\0\0')              -- both addresses are needed
    local u1 = packet.udp(1, 2, 'a', S, D)
    T.ok(u1:sub(7, 8) ~= '\0\0', 'udp checksum filled')
    T.eq(csum(pseudo(S, D, 17, u1)), 0)
    T.eq(#packet.udp(7, 9), 8)
    -- `x or default` arguments: false counts as absent
    T.eq(packet.udp(1, 2, false, S, false), packet.udp(1, 2))
    T.eq(packet.arp(1, false, false, false, false), packet.arp(1))

    -- 6
    local seg = packet.tcp(1, 2, 3, 4, { syn = true, ack = true }, 100, S, D, 'xy')
    T.eq(seg:byte(13), 0x50); T.eq(seg:byte(14), 0x12)
    T.eq(csum(pseudo(S, D, 6, seg)), 0)
    T.eq(hex(seg:sub(1, 16)), '0001' .. '0002' .. '00000003' .. '00000004' .. '5012' .. '0064')
    T.eq(seg:sub(19, 20), '\0\0')                                   -- urg_ptr
    local t = T.nret(1, T.nret(1, packet.from_ip(packet.ip(S, D, 6, seg))):next())
    T.eq(t.name, 'TCP')
    T.eq(t.syn, true); T.eq(t.ack, true); T.eq(t.fin, false)
    T.eq(t.cwr, false); T.eq(t.ece, false); T.eq(t.urg, false); T.eq(t.psh, false); T.eq(t.rst, false)
    T.eq(t.data, 'xy')
    T.eq(t.source, 1); T.eq(t.dest, 2); T.eq(t.seq, 3); T.eq(t.ack_seq, 4)
    T.eq(t.doff, 5); T.eq(t.window, 100); T.eq(t.urg_ptr, 0)
    T.eq(t.check, string.unpack('>I2', seg, 17))
    T.eq(tostring(t), '1->2 len 2 SYN ACK')
    T.same({ nil, 'no upper protocol layer' }, t:next())
    -- every flag bit, and the summary's order SYN ACK RST FIN
    local all = packet.tcp(1, 2, 0xffffffff, 0, { cwr = 1, ece = 1, urg = 1, ack = 1, psh = 1, rst = 1, syn = 1, fin = 1 }, 0, S, D)
    T.eq(all:byte(14), 0xff)
    T.eq(packet.tcp(1, 2, 0, 0, nil, 0, S, D):byte(14), 0)
    local ta = packet.from_ip(packet.ip(S, D, 6, all)):next()
    T.eq(ta.seq, 0xffffffff)
    T.eq(tostring(ta), '1->2 len 0 SYN ACK RST FIN')
    -- the IP total length bounds the TCP payload (Ethernet padding after it is dropped)
    local padded = packet.from_ip(packet.ip(S, D, 6, seg) .. '\0\0\0\0')
    T.eq(padded.data, seg .. '\0\0\0\0')
    T.eq(padded:next().data, 'xy')
    -- saddr/daddr are required
    T.raises("bad argument #7 to 'eco.packet.tcp'", packet.tcp, 1, 2, 3, 4, nil, 100, nil, D)
    T.raises("bad argument #8 to 'eco.packet.tcp'", packet.tcp, 1, 2, 3, 4, nil, 100, S)

    -- 7
    T.raises('assertion failed!', packet.icmp, 3, 0, 1, 1)
    T.raises('assertion failed!', packet.icmp6, 8, 0, 1, 1)
    T.raises('assertion failed!', packet.icmp, '8', 0, 1, 1)
    T.eq(#packet.icmp(0, 0, 1, 1), 8)
    T.eq(#packet.icmp6(129, 0, 1, 1), 8)

    -- 8
    T.eq(hex(packet.icmp(8, 0, 1, 2, 'abc', true)), '0800339a00010002616263')
    T.eq(hex(packet.icmp(8, 0, 1, 2, 'abc')), '0800000000010002616263')
    T.eq(hex(packet.icmp(8, 0, 1, 2, 'abc', false)), '0800000000010002616263')
    -- ICMPv6: the same sum over the message alone (no pseudo-header)
    local i6 = packet.icmp6(128, 0, 7, 9, 'ping', true)
    T.eq(i6:byte(1), 128)
    T.eq(csum(i6), 0)
    T.eq(hex(packet.icmp6(128, 0, 7, 9, 'ping')), '80000000000700097069' .. '6e67')

    -- 9
    local ic = T.nret(1, packet.from_icmp(packet.icmp(8, 0, 0x1234, 7, 'data', true)))
    T.eq(ic.name, 'ICMP'); T.eq(ic.type, 8); T.eq(ic.code, 0)
    T.eq(ic.id, 0x1234); T.eq(ic.sequence, 7); T.eq(ic.data, 'data')
    T.eq(ic.checksum, string.unpack('>I2', packet.icmp(8, 0, 0x1234, 7, 'data', true), 3))
    T.eq(tostring(ic), 'ECHO seq 7 id 4660 len 4')
    T.eq(tostring(packet.from_icmp(packet.icmp(0, 0, 1, 2))), 'ECHOREPLY seq 2 id 1 len 0')
    T.same({ nil, 'no upper protocol layer' }, ic:next())
    local redirect = T.nret(1, packet.from_icmp(unhex('0501 0000 c0a80101') .. 'old header'))
    T.eq(redirect.gateway, '192.168.1.1'); T.eq(redirect.id, nil); T.eq(redirect.code, 1)
    T.eq(tostring(redirect), 'type 5 len 10')
    local unreach = packet.from_icmp(unhex('0303 0000 00000000'))
    T.eq(unreach.gateway, nil); T.eq(unreach.sequence, nil)
    local i6p = T.nret(1, packet.from_icmp6(packet.icmp6(129, 0, 5, 6, 'x')))
    T.eq(i6p.name, 'ICMPV6'); T.eq(i6p.id, 5); T.eq(i6p.sequence, 6)
    T.eq(tostring(i6p), 'ECHOREPLY seq 6 id 5 len 1')
    T.eq(tostring(packet.from_icmp6(packet.icmp6(128, 0, 5, 6))), 'ECHO seq 6 id 5 len 0')
    local ns = packet.from_icmp6(unhex('8700 0000 00000000'))
    T.eq(ns.id, nil); T.eq(tostring(ns), 'type 135 len 0')
    T.same({ nil, 'no upper protocol layer' }, i6p:next())

    -- 10
    T.same({ nil, 'not a valid ICMP packet' }, packet.from_icmp('abc'))
    T.same({ nil, 'not a valid ICMPV6 packet' }, packet.from_icmp6('abc'))
    T.same({ nil, 'not a valid IPv4 packet' }, packet.from_ip('abc'))
    T.same({ nil, 'not a valid IPV6 packet' }, packet.from_ip6('abc'))
    -- an IHL beyond the input; the version nibble is not checked
    T.same({ nil, 'not a valid IPv4 packet' }, packet.from_ip('\x46' .. string.rep('\0', 20)))
    local v9 = packet.from_ip('\x95' .. string.rep('\0', 19))
    T.eq(v9.version, 9); T.eq(v9.data, '')

    -- 11
    local odd = T.nret(1, packet.from_ether(packet.ether(MAC_A, MAC_B, 0x1234, 'x')))
    T.same({ nil, 'unknown L3 proto "4660"' }, odd:next())
    T.ok(tostring(odd):sub(-5) == ' 4660', tostring(odd))

    -- 12
    local p99 = packet.from_ip(packet.ip(S, D, 99, 'payload'))
    T.same({ nil, 'unknown L4 protocol "99"' }, p99:next())
    T.eq(tostring(p99), '10.1.1.1->10.1.1.2 99')

    -- 13
    local req = packet.arp(1, 'AA:BB:CC:DD:EE:FF', '192.168.1.1', nil, '192.168.1.2')
    T.eq(#req, 28)
    T.eq(hex(req:sub(1, 8)), '0001' .. '0800' .. '06' .. '04' .. '0001')
    local a = T.nret(1, packet.from_ether(packet.ether(MAC_A, 'ff:ff:ff:ff:ff:ff', 0x0806, req)):next())
    T.eq(a.name, 'ARP')
    T.eq(a.op, 1); T.eq(a.ar_hrd, 1); T.eq(a.ar_pro, 0x0800); T.eq(a.ar_hln, 6); T.eq(a.ar_pln, 4)
    T.eq(a.sha, 'aa:bb:cc:dd:ee:ff'); T.eq(a.sip, '192.168.1.1')
    T.eq(a.tha, '00:00:00:00:00:00'); T.eq(a.tip, '192.168.1.2')
    T.eq(tostring(a), 'Request who-has 192.168.1.2 (00:00:00:00:00:00) tell 192.168.1.1')
    T.same({ nil, 'no upper protocol layer' }, a:next())
    local rep = packet.from_ether(packet.ether(MAC_A, MAC_B, 0x0806,
        packet.arp(2, MAC_A, '192.168.1.2', MAC_B, '192.168.1.1'))):next()
    T.eq(tostring(rep), 'Reply 192.168.1.2 is-at 02:00:00:00:00:0a')
    T.eq(hex(packet.arp(1)), '0001080006040001' .. string.rep('0', 40))

    -- 14
    local other = T.nret(1, packet.from_ether(packet.ether(MAC_A, MAC_B, 0x0806,
        unhex('0006 0800 0604 0001') .. string.rep('\1', 20))):next())
    T.eq(other.ar_hrd, 6); T.eq(other.op, 1)
    T.eq(other.sha, nil); T.eq(other.sip, nil); T.eq(other.tha, nil); T.eq(other.tip, nil)
    T.eq(tostring(other), '')
    T.same({ nil, 'not a valid ARP packet' }, packet.from_ether(packet.ether(MAC_A, MAC_B, 0x0806, '1234567')):next())
    -- the lengths the header announces must be there
    T.same({ nil, 'not a valid ARP packet' },
        packet.from_ether(packet.ether(MAC_A, MAC_B, 0x0806, unhex('0006 0800 0604 0001') .. '123')):next())

    -- 15
    T.same({ nil, 'not a valid 8021Q packet' }, packet.from_ether(packet.ether(MAC_A, MAC_B, 0x8100, 'abc')):next())
    local tagged = packet.ether(MAC_A, MAC_B, 0x8100, string.pack('>I2I2', (5 << 13) | (1 << 12) | 42, 0x0800)
        .. packet.ip(S, D, 17, u))
    local eth = packet.from_ether(tagged)
    T.eq(tostring(eth), '02:00:00:00:00:0a->02:00:00:00:00:0b 8021Q')
    local q = T.nret(1, eth:next())
    T.eq(q.name, '8021Q'); T.eq(q.pri, 5); T.eq(q.vid, 42); T.eq(q.proto, 0x0800)
    T.eq(tostring(q), 'pri 5 vid 42 IP')
    local qip = T.nret(1, q:next())
    T.eq(qip.name, 'IP')
    T.eq(qip:next().data, 'hello')
    T.eq(tostring(packet.from_ether(packet.ether(MAC_A, MAC_B, 0x8100, '\0\1\0\9')):next()), 'pri 0 vid 1 9')

    -- 16
    local function v6(nexthdr, payload)
        return string.pack('>I4I2BB', (6 << 28) | (0xa << 24) | 0x12345, #payload, nexthdr, 33)
            .. unhex('fe800000000000000000000000000001') .. unhex('fe800000000000000000000000000002')
            .. payload
    end
    local p6 = T.nret(1, packet.from_ip6(v6(17, u)))
    T.eq(p6.name, 'IPV6'); T.eq(p6.version, 6); T.eq(p6.priority, 0xa)
    T.eq(p6.payload_len, #u); T.eq(p6.nexthdr, 17); T.eq(p6.hop_limit, 33)
    T.eq(p6.saddr, 'fe80::1'); T.eq(p6.daddr, 'fe80::2'); T.eq(p6.protocol, 17); T.eq(p6.proto, nil)
    T.eq(tostring(p6), 'fe80::1->fe80::2')
    local u6 = T.nret(1, p6:next())
    T.eq(u6.name, 'UDP'); T.eq(u6.data, 'hello')
    T.same({ nil, 'no upper protocol layer' }, packet.from_ip6(v6(58, packet.icmp6(128, 0, 1, 1))):next())
    local in6 = packet.from_ip6(v6(4, ipkt))
    T.eq(in6.proto, 0x0800); T.eq(in6.protocol, nil)
    T.eq(in6:next().saddr, S)
    T.eq(packet.from_ip6(v6(41, v6(17, u))).proto, 0x86DD)
    T.eq(packet.from_ip6(v6(41, v6(17, u))):next():next().data, 'hello')
    -- through Ethernet
    T.eq(tostring(packet.from_ether(packet.ether(MAC_A, MAC_B, 0x86DD, v6(17, u)))), '02:00:00:00:00:0a->02:00:00:00:00:0b IPV6')
    -- TCP inside IPv6 decodes (its length from payload_len) instead of raising
    local t6 = T.nret(1, packet.from_ip6(v6(6, seg .. 'trailer')):next())
    T.eq(t6.data, 'xytrailer')
    local t6b = packet.from_ip6(v6(6, seg))
    t6b.payload_len = #seg
    T.eq(t6b:next().data, 'xy')

    -- fields are ordinary table fields: next() follows what the script set
    local m = packet.from_ether(packet.ether(MAC_A, MAC_B, 0x1234, ipkt))
    m.proto = 0x0800
    T.eq(m:next().saddr, S)
    m.data = packet.icmp(8, 0, 1, 1)
    m.proto = nil
    m.protocol = 1
    T.eq(m:next().name, 'ICMP')
    m.protocol = nil
    T.same({ nil, 'no upper protocol layer' }, m:next())
    T.eq(getmetatable(m), getmetatable(ic))
    T.eq(type(getmetatable(m).__index.next), 'function')
    -- an unknown name has an empty summary
    m.name = 'NOPE'
    T.eq(tostring(m), '')

    -- 20
    T.raises('', packet.ether, 'zz', 'ff:ff:ff:ff:ff:ff', 1)
    T.raises('', packet.ether, MAC_A, '00:11:22:33:44', 1)
    T.raises('', packet.arp, 1, 'not a mac')
    T.eq(#packet.ether(MAC_A, MAC_B, 0x0800), 14)
    T.eq(packet.ether('00112233aabb', MAC_B, 1):sub(7, 12), unhex('00112233aabb'))

    -- IPv4 text like inet_aton: unparsable text is 0.0.0.0, nil raises
    T.eq(packet.ip('bogus', '1', 17):sub(13, 20), unhex('00000000 00000001'))
    T.eq(packet.ip('10.1', '0x7f.1', 17):sub(13, 20), unhex('0a000001 7f000001'))
    T.raises("bad argument #1 to 'eco.packet.ip'", packet.ip, nil, D, 17)
    T.raises("bad argument #5 to 'eco.packet.arp'", packet.arp, 1, nil, nil, nil, {})

    -- string.pack ranges
    T.raises("bad argument #3 to 'eco.packet.icmp'", packet.icmp, 8, 0, 65536, 1)
    T.raises("bad argument #4 to 'eco.packet.icmp'", packet.icmp, 8, 0, 1, -1)
    T.raises("bad argument #2 to 'eco.packet.icmp'", packet.icmp, 8, 256, 1, 1)
    T.raises("bad argument #1 to 'eco.packet.udp'", packet.udp, 'x', 1)
    T.raises("bad argument #2 to 'eco.packet.udp'", packet.udp, 1, 1.5)
    T.raises("bad argument #3 to 'eco.packet.tcp'", packet.tcp, 1, 2, 1 << 32, 0, nil, 0, S, D)
    T.raises("bad argument #3 to 'eco.packet.ip'", packet.ip, S, D, 256)
    T.raises("bad argument #3 to 'eco.packet.ether'", packet.ether, MAC_A, MAC_B, 0x10000)
    T.raises("bad argument #1 to 'eco.packet.arp'", packet.arp, 70000)
    T.raises("bad argument #4 to 'eco.packet.ip'", packet.ip, S, D, 17, string.rep('x', 65516))
    T.eq(#packet.ip(S, D, 17, string.rep('x', 65515)), 65535)

    -- decoders and non-strings
    T.raises('assertion failed!', packet.from_ether, nil)
    T.eq(select(2, pcall(packet.from_ether, nil)), 'assertion failed!')      -- as assert() words it
    T.eq(select(2, pcall(packet.icmp, 3, 0, 1, 1)), 'assertion failed!')
    T.raises('assertion failed!', packet.from_ether, 12345678901234)
    T.raises('assertion failed!', packet.from_radiotap, {})
    T.raises('attempt to get length', packet.from_ip, nil)
    T.raises('attempt to get length', packet.from_ip6, 5)
    T.raises('attempt to get length', packet.from_icmp, {})
    T.raises('attempt to get length', packet.from_icmp6, true)

    -- UDP: bytes beyond its length are dropped
    local short = packet.from_ip(packet.ip(S, D, 17, packet.udp(1, 2, 'abc') .. 'junk')):next()
    T.eq(short.data, 'abc'); T.eq(short.len, 11)
    T.same({ nil, 'not a valid UDP packet' }, packet.from_ip(packet.ip(S, D, 17, 'short')):next())
    T.same({ nil, 'not a valid TCP packet' }, packet.from_ip(packet.ip(S, D, 6, string.rep('t', 19))):next())
    T.same({ nil, 'not a valid ICMP packet' }, packet.from_ip(packet.ip(S, D, 1, 'icmp')):next())
end)
