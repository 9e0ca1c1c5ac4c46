-- eco.packet 802.11 summaries with the frame names of eco.nl80211 (docs/packet.md, checklist 19):
-- `tostring` asks `nl80211.ftype_name(type, subtype)` (eco.nl80211 is loaded on first use, and
-- must be installed for this test).
local T = require 'testlib'
local packet = require 'eco.packet'
local nl80211 = require 'eco.nl80211'

local function mac(s)
    return (s:gsub('(%x%x):?', function(h) return string.char(tonumber(h, 16)) end))
end

local function rt(frame)
    return string.pack('<BBI2I4', 0, 0, 8, 0) .. frame
end

local function hdr(typ, subtype, a1, a2, a3)
    return string.pack('<I2I2', (typ << 2) | (subtype << 4), 0) .. mac(a1) .. mac(a2) .. mac(a3) .. '\0\0'
end

local BCAST, A = 'ff:ff:ff:ff:ff:ff', '11:11:11:11:11:11'

T.go(function()
    -- 19
    local probe = T.nret(1, packet.from_radiotap(rt(hdr(nl80211.FTYPE_MGMT, nl80211.STYPE_PROBE_REQ, BCAST, A, BCAST)
        .. '\0\4test' .. '\1\2\x82\x84')))
    T.eq(tostring(probe), '11:11:11:11:11:11->ff:ff:ff:ff:ff:ff PROBE_REQ SSID="test"')

    -- a beacon: name, BI, SSID
    local beacon = packet.from_radiotap(rt(hdr(0, nl80211.STYPE_BEACON, BCAST, A, A)
        .. string.pack('<I8I2I2', 0, 100, 0x0401) .. '\0\3eco'))
    T.eq(tostring(beacon), A .. '->' .. BCAST .. ' BEACON BI=100 SSID="eco"')
    -- the names are nl80211's, trailing spaces included
    local resp = packet.from_radiotap(rt(hdr(0, 1, A, BCAST, BCAST)))
    T.eq(tostring(resp), BCAST .. '->' .. A .. ' ' .. nl80211.ftype_name(0, 1))
    -- a control frame with addr1 only, a data frame
    local ack = packet.from_radiotap(rt(string.pack('<I2I2', (1 << 2) | (13 << 4), 0) .. mac(A)))
    T.eq(tostring(ack), A .. ' ACK')
    local data = packet.from_radiotap(rt(hdr(nl80211.FTYPE_DATA, 0, BCAST, A, A)))
    T.eq(tostring(data), A .. '->' .. BCAST .. ' ' .. nl80211.ftype_name(2, 0))
    T.eq(nl80211.ftype_name(2, 0), 'DATA')
end)
