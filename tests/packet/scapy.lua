-- eco.packet against Scapy (Debian's python3-scapy, run as /usr/bin/python3 through eco.sys):
--   1. frames Scapy builds (IPv4 with options, TCP with options, DF, 802.1Q, ARP, ICMP redirect,
--      IPv6/UDP/TCP, ICMPv6 echo, radiotap with fields + beacon / probe request / 4-address data)
--      decode here to the fields Scapy put in;
--   2. frames eco.packet builds dissect in Scapy to the fields given to the builders, and Scapy
--      finds the IPv4, UDP, TCP and ICMP checksums correct.
-- A missing python3 or scapy fails the test.
local T = require 'testlib'
local packet = require 'eco.packet'
local sys = require 'eco.sys'

local PY = '/usr/bin/python3'
local dir = debug.getinfo(1, 'S').source:match('^@(.*)/[^/]*$') or '.'
local PEER = dir .. '/scapy_peer.py'

local function hex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function unhex(h)
    return (h:gsub('%x%x', function(x) return string.char(tonumber(x, 16)) end))
end

-- the peer's text form of the value of `key` (payloads and SSIDs are bytes)
local function text(v, key)
    if type(v) == 'string' and (key:find('%.data$') or key:find('%.ssid$')) then return 'hex:' .. hex(v) end
    return tostring(v)
end

-- runs the peer; returns { [name] = { frame = <bytes>, fields = { [key] = value }, keys = n } }
local function peer(...)
    local out, err, e2 = sys.sh({ PY, PEER, ... }, 120)
    T.ok(out, 'python3 scapy peer: ' .. tostring(e2))
    T.ok(#out > 0, 'the scapy peer printed nothing (is python3-scapy installed?): ' .. tostring(err))
    local r, order = {}, {}
    for line in out:gmatch('[^\n]+') do
        local name, key, value = line:match('^(%S+)\t(%S+)\t(.*)$')
        T.ok(name, 'peer line: ' .. line)
        if not r[name] then
            r[name] = { fields = {}, keys = 0 }
            order[#order + 1] = name
        end
        if key == 'frame' then
            r[name].frame = unhex(value)
        else
            r[name].fields[key] = value
            r[name].keys = r[name].keys + 1
        end
    end
    return r, order
end

-- every layer of a frame by name, walking next() to the end (ICMPv6 through from_icmp6)
local function layers(frame, radiotap)
    local pkt = assert((radiotap and packet.from_radiotap or packet.from_ether)(frame))
    local all = {}
    while pkt do
        all[pkt.name] = pkt
        local nxt, err = pkt:next()
        if not nxt then
            T.eq(err, 'no upper protocol layer', 'walk ends at the last layer')
            if pkt.name == 'IPV6' and pkt.nexthdr == 58 then nxt = assert(packet.from_icmp6(pkt.data)) end
        end
        pkt = nxt
    end
    return all
end

T.go(function()
    -- 1. Scapy's frames, our decoders
    local built, order = peer('build')
    local frames = 0
    for _, name in ipairs(order) do
        local b = built[name]
        T.ok(b.frame and b.keys > 0, name .. ': a frame and its fields')
        local all = layers(b.frame, name == 'beacon' or name == 'probereq' or name == 'data4')
        for key, want in pairs(b.fields) do
            local lname, field = key:match('^(.-)%.(.*)$')
            T.ok(all[lname], name .. ': layer ' .. lname .. ' decoded')
            T.eq(text(all[lname][field], key), want, name .. ' ' .. key)
        end
        frames = frames + 1
    end
    T.eq(frames, 13, 'frames from scapy')

    -- 2. our frames, Scapy's dissector
    local M1, M2 = '02:00:00:00:00:aa', '02:00:00:00:00:bb'
    local S, D = '172.16.0.1', '172.16.0.2'
    local ours = {
        { 'udp', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 17, packet.udp(1234, 53, 'eco-udp', S, D))), {
            ['ETHER.source'] = M1, ['ETHER.dest'] = M2, ['ETHER.proto'] = 2048,
            ['IP.version'] = 4, ['IP.ihl'] = 5, ['IP.tos'] = 0, ['IP.tot_len'] = 35, ['IP.id'] = 0,
            ['IP.frag_off'] = 0, ['IP.ttl'] = 64, ['IP.protocol'] = 17, ['IP.saddr'] = S, ['IP.daddr'] = D,
            ['IP.check_ok'] = true, ['UDP.source'] = 1234, ['UDP.dest'] = 53, ['UDP.len'] = 15,
            ['UDP.data'] = 'eco-udp', ['UDP.check_ok'] = true } },
        { 'udp_odd', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 17, packet.udp(9, 10, 'odd', S, D))), {
            ['UDP.data'] = 'odd', ['UDP.check_ok'] = true, ['IP.check_ok'] = true } },
        { 'udp_nosum', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 17, packet.udp(7, 8, 'x'))), {
            ['UDP.check'] = 0, ['UDP.len'] = 9 } },
        { 'tcp', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 6, packet.tcp(40001, 22, 0xfffffff0, 99,
            { syn = true, ack = true, psh = true, fin = true }, 29200, S, D, 'SSH-2.0-eco\r\n'))), {
            ['IP.protocol'] = 6, ['IP.check_ok'] = true, ['TCP.source'] = 40001, ['TCP.dest'] = 22,
            ['TCP.seq'] = 0xfffffff0, ['TCP.ack_seq'] = 99, ['TCP.doff'] = 5, ['TCP.window'] = 29200,
            ['TCP.urg_ptr'] = 0, ['TCP.syn'] = true, ['TCP.ack'] = true, ['TCP.psh'] = true, ['TCP.fin'] = true,
            ['TCP.rst'] = false, ['TCP.urg'] = false, ['TCP.ece'] = false, ['TCP.cwr'] = false,
            ['TCP.data'] = 'SSH-2.0-eco\r\n', ['TCP.check_ok'] = true } },
        { 'tcp_flags', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 6, packet.tcp(1, 2, 3, 4,
            { cwr = true, ece = true, urg = true, rst = true }, 0, S, D))), {
            ['TCP.cwr'] = true, ['TCP.ece'] = true, ['TCP.urg'] = true, ['TCP.rst'] = true, ['TCP.syn'] = false,
            ['TCP.data'] = '', ['TCP.check_ok'] = true } },
        { 'icmp', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 1, packet.icmp(8, 0, 0x1234, 5, 'eco-ping', true))), {
            ['IP.protocol'] = 1, ['ICMP.type'] = 8, ['ICMP.code'] = 0, ['ICMP.id'] = 0x1234, ['ICMP.sequence'] = 5,
            ['ICMP.data'] = 'eco-ping', ['ICMP.check_ok'] = true } },
        { 'icmp_reply', packet.ether(M1, M2, 0x0800, packet.ip(S, D, 1, packet.icmp(0, 0, 65535, 65535, 'odd', true))), {
            ['ICMP.type'] = 0, ['ICMP.id'] = 65535, ['ICMP.sequence'] = 65535, ['ICMP.check_ok'] = true } },
        { 'arp', packet.ether(M1, 'ff:ff:ff:ff:ff:ff', 0x0806, packet.arp(1, M1, S, nil, D)), {
            ['ETHER.dest'] = 'ff:ff:ff:ff:ff:ff', ['ETHER.proto'] = 0x0806, ['ARP.ar_hrd'] = 1, ['ARP.ar_pro'] = 0x0800,
            ['ARP.ar_hln'] = 6, ['ARP.ar_pln'] = 4, ['ARP.op'] = 1, ['ARP.sha'] = M1, ['ARP.sip'] = S,
            ['ARP.tha'] = '00:00:00:00:00:00', ['ARP.tip'] = D } },
        { 'arp_reply', packet.ether(M2, M1, 0x0806, packet.arp(2, M2, D, M1, S)), {
            ['ARP.op'] = 2, ['ARP.sha'] = M2, ['ARP.sip'] = D, ['ARP.tha'] = M1, ['ARP.tip'] = S } },
        { 'vlan', packet.ether(M1, M2, 0x8100, string.pack('>I2I2', (3 << 13) | 100, 0x0800)
            .. packet.ip(S, D, 17, packet.udp(5, 6, 'tagged', S, D))), {
            ['8021Q.pri'] = 3, ['8021Q.vid'] = 100, ['8021Q.proto'] = 0x0800, ['UDP.data'] = 'tagged',
            ['UDP.check_ok'] = true, ['IP.check_ok'] = true } },
        { 'icmp6', packet.ether(M1, M2, 0x86DD, string.pack('>I4I2BB', 6 << 28, 13, 58, 64)
            .. unhex('20010db8000000000000000000000001') .. unhex('20010db8000000000000000000000002')
            .. packet.icmp6(128, 0, 4321, 8765, 'v6!!!')), {
            ['IPV6.saddr'] = '2001:db8::1', ['IPV6.daddr'] = '2001:db8::2', ['IPV6.nexthdr'] = 58,
            ['ICMPV6.type'] = 128, ['ICMPV6.id'] = 4321, ['ICMPV6.sequence'] = 8765, ['ICMPV6.data'] = 'v6!!!' } },
    }
    local path = os.tmpname()
    local f = assert(io.open(path, 'w'))
    for _, o in ipairs(ours) do f:write(o[1], ' ', hex(o[2]), '\n') end
    f:close()
    local seen = peer('dissect', path)
    os.remove(path)
    for _, o in ipairs(ours) do
        local got = seen[o[1]]
        T.ok(got, o[1] .. ': dissected by scapy')
        for key, want in pairs(o[3]) do
            T.ok(got.fields[key] ~= nil, o[1] .. ': scapy reports ' .. key)
            T.eq(got.fields[key], text(want, key), o[1] .. ' ' .. key)
        end
    end
end)
