-- eco.packet radiotap / 802.11 decoding (docs/packet.md, checklist 17 and 18): validation in
-- order, per-type header lengths, IE scanning, and the summary of frames eco.nl80211 has no name
-- for (`type 0xTT subtype 0xSS`). The summaries with names are tests/packet/dot11_names.lua.
local T = require 'testlib'
local packet = require 'eco.packet'

local function mac(s)
    return (s:gsub('(%x%x):?', function(h) return string.char(tonumber(h, 16)) end))
end

-- radiotap header of `len` bytes (version 0, pad, length LE, present bitmap 0, filler)
local function rt(frame, len)
    len = len or 8
    return string.pack('<BBI2I4', 0, 0, len, 0) .. string.rep('\0', len - 8) .. frame
end

-- frame control: type, subtype, flag byte (to_ds = 1 ... plus_htc = 0x80)
local function fc(typ, subtype, flags)
    return string.pack('<I2', (typ << 2) | (subtype << 4) | ((flags or 0) << 8))
end

local BCAST, A2, A3 = 'ff:ff:ff:ff:ff:ff', '11:11:11:11:11:11', '22:22:22:22:22:22'

local function mgmt(subtype, flags, body)
    return fc(0, subtype, flags) .. '\x3a\x01' .. mac(BCAST) .. mac(A2) .. mac(A3) .. '\x10\x00'
        .. (body or '')
end

local function fixed(ts, bi, cap)
    return string.pack('<I8I2I2', ts, bi, cap)
end

local BAD = 'not a valid radiotap packet'

T.go(function()
    -- 17: the validation steps, in order
    T.same({ nil, BAD }, packet.from_radiotap('1234567'))
    T.same({ nil, BAD }, packet.from_radiotap(string.pack('<BBI2I4', 0, 0, 7, 0) .. string.rep('\0', 20)))
    T.same({ nil, BAD }, packet.from_radiotap(string.pack('<BBI2I4', 0, 0, 30, 0) .. string.rep('\0', 21)))
    T.same({ nil, BAD }, packet.from_radiotap(rt(string.rep('\0', 9))))
    T.same({ nil, BAD }, packet.from_radiotap(rt(mgmt(8):sub(1, 23))))                 -- mgmt < 24
    T.same({ nil, BAD }, packet.from_radiotap(rt(mgmt(8, 0x80, '\0\0\0'))))             -- +HTC: 28
    T.same({ nil, BAD }, packet.from_radiotap(rt(mgmt(8, 0, fixed(1, 100, 1):sub(1, 11))))) -- beacon fixed
    T.same({ nil, BAD }, packet.from_radiotap(rt(mgmt(5, 0, '12345678901'))))          -- probe resp fixed
    T.same({ nil, BAD }, packet.from_radiotap(rt(fc(2, 0) .. string.rep('\1', 21))))   -- data < 24
    T.same({ nil, BAD }, packet.from_radiotap(rt(fc(2, 0, 3) .. string.rep('\1', 27)))) -- 4 addresses < 30
    T.same({ nil, BAD }, packet.from_radiotap(rt(fc(2, 0, 0x80) .. string.rep('\1', 25)))) -- +HTC < 28
    T.same({ nil, BAD }, packet.from_radiotap(rt(fc(2, 0, 0x83) .. string.rep('\1', 31)))) -- +HTC 4-addr < 34
    for _, st in ipairs({ 8, 9, 10, 11, 14, 15 }) do                                    -- listed control
        T.same({ nil, BAD }, packet.from_radiotap(rt(fc(1, st) .. string.rep('\2', 13))))
    end

    -- the radiotap header's own length is honoured (fields inside it are ignored)
    local ack = T.nret(1, packet.from_radiotap(rt(fc(1, 13) .. '\0\0' .. mac(A2), 18)))
    T.eq(ack.name, '80211'); T.eq(ack.type, 1); T.eq(ack.subtype, 13)
    T.eq(ack.addr1, A2); T.eq(ack.addr2, nil)
    T.same({ nil, 'no upper protocol layer' }, ack:next())
    -- listed control frames with 16 bytes: addr2 not extracted
    local rts = T.nret(1, packet.from_radiotap(rt(fc(1, 11) .. '\0\0' .. mac(BCAST) .. mac(A2))))
    T.eq(rts.addr1, BCAST); T.eq(rts.addr2, nil)

    -- 18: a beacon with SSID "eco" among other IEs
    local ies = '\1\4\x82\x84\x8b\x96' .. '\0\3eco' .. '\3\1\6'
    local b = T.nret(1, packet.from_radiotap(rt(mgmt(8, 0, fixed(0x0102030405060708, 100, 0x0431) .. ies), 12)))
    T.eq(b.name, '80211')
    T.eq(b.version, 0); T.eq(b.type, 0); T.eq(b.subtype, 8)
    T.eq(b.ssid, 'eco')
    T.eq(b.beacon_interval, 100)
    T.eq(b.capability, 0x0431)
    T.eq(b.timestamp, 0x0102030405060708)
    T.eq(b.addr1, BCAST); T.eq(b.addr2, A2); T.eq(b.addr3, A3); T.eq(b.addr4, nil)
    T.eq(b.duration, 0x013a)
    for _, k in ipairs({ 'to_ds', 'from_ds', 'more_frag', 'retry', 'pwr_mgmt', 'more_data', 'protected', 'plus_htc' }) do
        T.eq(b[k], false, k)
    end
    T.same({ nil, 'no upper protocol layer' }, b:next())
    -- MACs come back lower-case
    local up = packet.from_radiotap(rt(fc(0, 4) .. '\0\0' .. mac('AA:BB:CC:DD:EE:FF') .. mac(A2) .. mac(A3) .. '\0\0'))
    T.eq(up.addr1, 'aa:bb:cc:dd:ee:ff')
    T.eq(up.ssid, nil)

    -- IE scan: the last SSID wins; an overrunning element stops the scan (not an error)
    local two = packet.from_radiotap(rt(mgmt(4, 0, '\0\1a' .. '\0\2bc' .. '\0\9short')))
    T.eq(two.ssid, 'bc')
    local over = packet.from_radiotap(rt(mgmt(4, 0, '\0\20short' .. '\0\3eco')))
    T.eq(over.ssid, nil)
    T.eq(packet.from_radiotap(rt(mgmt(4, 0, '\0'))).ssid, nil)
    T.eq(packet.from_radiotap(rt(mgmt(4, 0, '\0\0'))).ssid, '')
    -- +HTC management header: 28 bytes, IEs after it
    local htc = T.nret(1, packet.from_radiotap(rt(mgmt(4, 0x80, 'HTC!' .. '\0\4test'))))
    T.eq(htc.plus_htc, true); T.eq(htc.ssid, 'test')

    -- frame control flags, bits 8..15 in order
    for i, k in ipairs({ 'to_ds', 'from_ds', 'more_frag', 'retry', 'pwr_mgmt', 'more_data', 'protected', 'plus_htc' }) do
        local f = packet.from_radiotap(rt(fc(3, 0, 1 << (i - 1)) .. string.rep('\0', 8)))
        T.eq(f[k], true, k)
        T.eq(f.type, 3)
    end

    -- data frames: addr2/addr3, addr4 with to_ds and from_ds
    local d4 = T.nret(1, packet.from_radiotap(rt(fc(2, 8, 3) .. '\0\0' .. mac(BCAST) .. mac(A2) .. mac(A3)
        .. '\0\0' .. mac('33:33:33:33:33:33') .. 'qos')))
    T.eq(d4.addr2, A2); T.eq(d4.addr3, A3); T.eq(d4.addr4, '33:33:33:33:33:33')
    T.eq(d4.to_ds, true); T.eq(d4.from_ds, true); T.eq(d4.subtype, 8)
    T.eq(packet.from_radiotap(rt(fc(2, 0, 1) .. string.rep('\0', 22))).addr4, nil)

    -- summaries that do not depend on eco.nl80211's names: management subtype 6 and 7 have none
    local m6 = packet.from_radiotap(rt(mgmt(6, 0, '\0\3eco')))
    T.eq(tostring(m6), A2 .. '->' .. BCAST .. ' type 0x00 subtype 0x06')
    local x = packet.from_radiotap(rt(fc(3, 5) .. '\0\0' .. mac(A3)))
    T.eq(tostring(x), A3 .. ' type 0x03 subtype 0x05')
end)
