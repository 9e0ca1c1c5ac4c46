-- eco.nl80211 pure helpers, constants and parse_sta_flag_update; eco.internal.nl80211
-- (docs/nl80211.md; checklist items in comments). The constants' values are checked against
-- <linux/nl80211.h> by the crate's unit tests (constants_match_uapi_header); here the Lua side
-- is checked to carry them unchanged and as integers.
local T = require 'testlib'
local nl80211 = require 'eco.nl80211'
local internal = require 'eco.internal.nl80211'

-- 1. freq_to_channel
T.eq(nl80211.freq_to_channel(2484), 14)
T.eq(nl80211.freq_to_channel(2412), 1)
T.eq(nl80211.freq_to_channel(2472), 13)
T.eq(nl80211.freq_to_channel(5180), 36)
T.eq(nl80211.freq_to_channel(5925), 185)
T.eq(nl80211.freq_to_channel(5955), 1)
T.eq(nl80211.freq_to_channel(7115), 233)
T.eq(nl80211.freq_to_channel(100), 0)
T.eq(nl80211.freq_to_channel(4920), 0)
T.eq(nl80211.freq_to_channel(5935), 0)
T.eq(nl80211.freq_to_channel(60480), 0)
T.eq(math.type(nl80211.freq_to_channel(2437)), 'integer')

-- 2. freq_to_band
T.eq(nl80211.freq_to_band(2412), 2.4)
T.eq(math.type(nl80211.freq_to_band(2484)), 'float')
T.eq(nl80211.freq_to_band(5160), 5)
T.eq(nl80211.freq_to_band(5885), 5)
T.eq(nl80211.freq_to_band(5905), 'Unknown')
T.eq(nl80211.freq_to_channel(5905), 181)
T.eq(nl80211.freq_to_band(5925), 6)
T.eq(nl80211.freq_to_band(7125), 6)
T.eq(nl80211.freq_to_band(60000), 60)
T.eq(nl80211.freq_to_band(100), 'Unknown')

-- 3. ftype_name
T.eq(nl80211.ftype_name(0, 1), 'ASSOC_RESP  ')
T.eq(nl80211.ftype_name(0, 2), 'REASSOC_REQ ')
T.eq(nl80211.ftype_name(0, 0), 'ASSOC_REQ')
T.eq(nl80211.ftype_name(0, 8), 'BEACON')
T.eq(nl80211.ftype_name(0, 6), nil)
T.eq(nl80211.ftype_name(1, 13), 'ACK')
T.eq(nl80211.ftype_name(1, 0), nil)
T.eq(nl80211.ftype_name(2, 0), 'DATA')
T.eq(nl80211.ftype_name(2, 12), 'QOS_NULLFUNC')
T.eq(nl80211.ftype_name(3, 0), nil)
T.eq(nl80211.ftype_name(nl80211.FTYPE_MGMT, nl80211.STYPE_PROBE_RESP), 'PROBE_RESP')
-- Every STYPE_* of a type names its own subtype.
local groups = {
    [0] = { 'ASSOC_REQ', 'ASSOC_RESP', 'REASSOC_REQ', 'REASSOC_RESP', 'PROBE_REQ', 'PROBE_RESP',
        'BEACON', 'ATIM', 'DISASSOC', 'AUTH', 'DEAUTH', 'ACTION' },
    [1] = { 'TRIGGER', 'CTL_EXT', 'BACK_REQ', 'BACK', 'PSPOLL', 'RTS', 'CTS', 'ACK', 'CFEND', 'CFENDACK' },
    [2] = { 'DATA', 'DATA_CFACK', 'DATA_CFPOLL', 'DATA_CFACKPOLL', 'NULLFUNC', 'CFACK', 'CFPOLL',
        'CFACKPOLL', 'QOS_DATA', 'QOS_DATA_CFACK', 'QOS_DATA_CFPOLL', 'QOS_DATA_CFACKPOLL',
        'QOS_NULLFUNC', 'QOS_CFACK', 'QOS_CFPOLL', 'QOS_CFACKPOLL' },
}
for typ, names in pairs(groups) do
    for _, name in ipairs(names) do
        local v = nl80211['STYPE_' .. name]
        T.eq(math.type(v), 'integer', name)
        local got = nl80211.ftype_name(typ, v)
        T.eq(got and got:gsub(' +$', ''), name, name)
    end
end

-- 4. names
T.eq(nl80211.iftype_name(7), 'mesh point"')
T.eq(nl80211.iftype_name(0), 'unspecified')
T.eq(nl80211.iftype_name(2), 'managed')
T.eq(nl80211.iftype_name(11), 'outside context of a BSS')
T.eq(nl80211.iftype_name(99), 'Unknown')
T.eq(nl80211.width_name(13), '320 MHz')
T.eq(nl80211.width_name(4), '80+80 MHz')
T.eq(nl80211.width_name(6), 'Unknown')
T.eq(nl80211.width_name(7), 'Unknown')
T.eq(nl80211.channel_type_name(3), 'HT40+')
T.eq(nl80211.channel_type_name(0), 'NO HT')
T.eq(nl80211.channel_type_name(4), 'Unknown')

-- 5. escape_ssid
T.eq(nl80211.escape_ssid(nil), '')
T.eq(nl80211.escape_ssid(' a b\\\1 '), '\\x20a b\\x5c\\x01\\x20')
T.eq(nl80211.escape_ssid('caf\xc3\xa9~'), 'caf\\xc3\\xa9~')

-- 6. phy_lookup
T.eq(nl80211.phy_lookup('nonexistent'), false)

-- 13. parse_sta_flag_update (host byte order)
local mask = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7)
local set = (1 << 1) | (1 << 2) | (1 << 5)
for _, f in ipairs({ nl80211.parse_sta_flag_update, internal.parse_sta_flag_update }) do
    local t = f(string.pack('=I4I4', mask, set))
    T.eq(t.authorized, true)
    T.eq(t.authenticated, true)
    T.eq(t.associated, false)
    T.eq(t.preamble, 'short')
    T.eq(t.wme, false)
    T.eq(t.mfp, false)
    T.eq(t.tdls_peer, nil)
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    T.eq(n, 6)
    local long = f(string.pack('=I4I4', mask, set) .. 'trailing')
    T.eq(long.authorized, true)
    T.eq(long.preamble, 'short')
    T.raises('invalid sta flags', f, string.pack('=I4I4', mask, set):sub(1, 7))
    T.raises('invalid sta flags', f, '')
    local t2 = f(string.pack('=I4I4', (1 << 2) | (1 << 6), 1 << 6))
    T.eq(t2.preamble, 'long')
    T.eq(t2.tdls_peer, true)
    T.eq(t2.authorized, nil)
    T.eq(next(f(string.pack('=I4I4', 0, 0xffffffff))), nil)
end

-- Constants: integers, the documented values (spot checks; all are compared with the kernel
-- header in the crate's unit tests) and the module-defined 802.11 values.
local spot = {
    CMD_GET_WIPHY = 1, CMD_NEW_INTERFACE = 7, CMD_GET_REG = 31, CMD_TRIGGER_SCAN = 33,
    CMD_ABORT_SCAN = 114, CMD_CH_SWITCH_STARTED_NOTIFY = 110, ATTR_IFINDEX = 3, ATTR_MAC = 6,
    ATTR_4ADDR = 83, ATTR_BSS_SELECT = 227, ATTR_SCAN_SSIDS = 45, ATTR_SPLIT_WIPHY_DUMP = 174,
    IFTYPE_OCB = 11, CHAN_WIDTH_320 = 13, CHAN_WIDTH_20_NOHT = 0, CHAN_HT40PLUS = 3,
    BAND_ATTR_VHT_CAPA = 8, FREQUENCY_ATTR_NO_EHT = 27, BSS_PRESP_DATA = 14,
    BSS_STATUS_IBSS_JOINED = 2, STA_INFO_ASSOC_AT_BOOTTIME = 42, RATE_INFO_EHT_GI = 21,
    SURVEY_INFO_TIME_BUSY = 5, PROTOCOL_FEATURE_SPLIT_WIPHY_DUMP = 1, BAND_6GHZ = 3,
    FTYPE_MGMT = 0, FTYPE_CTL = 1, FTYPE_DATA = 2, FTYPE_EXT = 17,
    WLAN_EID_SSID = 0, WLAN_EID_RSN = 48, WLAN_EID_MESH_ID = 114, WLAN_EID_VENDOR_SPECIFIC = 221,
}
for k, v in pairs(spot) do
    T.eq(nl80211[k], v, k)
    T.eq(math.type(nl80211[k]), 'integer', k)
end
T.eq(nl80211.RATE_INFO_HE_RU_ALLOC, nil)
-- Every upper-case name is an integer, and eco.internal.nl80211 carries the same constants.
local count = 0
for k, v in pairs(nl80211) do
    if k:match('^[A-Z]') then
        count = count + 1
        T.eq(math.type(v), 'integer', k)
        T.eq(internal[k], v, k)
    end
end
T.eq(count, 378 + 46)

print('nl80211 helpers: ok')
