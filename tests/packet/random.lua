-- eco.packet decoders on random and mutated input: every decoder returns a packet or nil, err
-- (never raises), every decoded layer's data is a string no longer than the input, `next()` walks
-- end in nil, err, and tostring() of every decoded layer is a string. The mutated inputs are
-- valid frames (Ethernet/802.1Q/IPv4/IPv6/ARP/ICMP/TCP/UDP, radiotap beacons) with random bytes
-- changed and random cuts, so the decoders are reached at every depth.
local T = require 'testlib'
local packet = require 'eco.packet'

math.randomseed(20261204)

local S, D = '192.0.2.1', '192.0.2.2'
local M1, M2 = '02:00:00:00:00:01', '02:00:00:00:00:02'
local v6hdr = string.pack('>I4I2BB', 6 << 28, 0, 17, 64) .. string.rep('\0', 15) .. '\1' .. string.rep('\0', 15) .. '\2'
local seeds = {
    packet.ether(M1, M2, 0x0800, packet.ip(S, D, 17, packet.udp(1, 2, 'udp payload', S, D))),
    packet.ether(M1, M2, 0x0800, packet.ip(S, D, 6, packet.tcp(1, 2, 3, 4, { syn = true }, 5, S, D, 'tcp payload'))),
    packet.ether(M1, M2, 0x0800, packet.ip(S, D, 1, packet.icmp(8, 0, 1, 2, 'icmp', true))),
    packet.ether(M1, M2, 0x0806, packet.arp(1, M1, S, M2, D)),
    packet.ether(M1, M2, 0x8100, '\0\5\8\0' .. packet.ip(S, D, 17, packet.udp(1, 2, 'vlan'))),
    packet.ether(M1, M2, 0x86DD, v6hdr .. packet.udp(1, 2, 'v6')),
    packet.ether(M1, M2, 0x86DD, v6hdr:sub(1, 6) .. '\6' .. v6hdr:sub(8) .. packet.tcp(1, 2, 3, 4, nil, 5, S, D)),
}
local beacon = string.pack('<BBI2I4', 0, 0, 8, 0) .. string.pack('<I2I2', 0x80, 0) .. string.rep('\255', 6)
    .. string.rep('\17', 6) .. string.rep('\34', 6) .. '\0\0' .. string.pack('<I8I2I2', 1, 100, 0x401)
    .. '\0\3eco\1\2\130\132'

local function mutate(s)
    local b = { s:byte(1, -1) }
    for _ = 1, math.random(0, 4) do
        if #b > 0 then b[math.random(1, #b)] = math.random(0, 255) end
    end
    local cut = math.random() < 0.6 and #b or math.random(0, #b)
    return string.char(table.unpack(b, 1, cut))
end

local function random_bytes()
    local t = {}
    for i = 1, math.random(0, 80) do t[i] = math.random(0, 255) end
    return string.char(table.unpack(t))
end

local layers, failures, deep = 0, 0, 0

local function walk(input, pkt, err)
    if pkt == nil then
        T.eq(type(err), 'string', 'a decoder error is a string')
        failures = failures + 1
        return
    end
    local depth = 0
    while pkt do
        layers = layers + 1
        depth = depth + 1
        T.ok(depth <= 8, 'next() ends')
        if depth == 3 then deep = deep + 1 end
        T.eq(type(tostring(pkt)), 'string')
        if pkt.data ~= nil then
            T.eq(type(pkt.data), 'string')
            T.ok(#pkt.data <= #input, 'data within the input')
        end
        local nxt, nerr = pkt:next()
        if not nxt then T.eq(type(nerr), 'string', 'next() error is a string') end
        pkt = nxt
    end
end

T.go(function()
    for i = 1, 3000 do
        local input = (i % 3 == 0) and random_bytes() or mutate(seeds[i % #seeds + 1])
        walk(input, packet.from_ether(input))
        for _, f in ipairs({ packet.from_ip, packet.from_ip6, packet.from_icmp, packet.from_icmp6 }) do
            local ok, p, e = pcall(f, input)
            T.ok(ok, 'decoder raised: ' .. tostring(p))
            walk(input, p, e)
        end
        local rt = mutate(beacon)
        walk(rt, packet.from_radiotap(rt))
        walk(input, packet.from_radiotap(input))
    end
    T.ok(layers > 8000, 'layers decoded: ' .. layers)
    T.ok(deep > 500, 'walks three layers deep: ' .. deep)
    T.ok(failures > 1000, 'inputs refused: ' .. failures)
end)
