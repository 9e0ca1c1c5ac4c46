-- eco.nl80211's request/reply flow against a fake nl80211 family (this machine has no Wi-Fi
-- hardware and no mac80211_hwsim): `genl.get_family_id`/`get_group_id` and `nl.open` are
-- replaced; the fake sockets record what is sent and answer with datagrams built here from the
-- attribute layouts of <linux/nl80211.h> (host byte order, string.pack '='). Every request's
-- bytes are compared with the layout, every reply field is checked (docs/nl80211.md; checklist
-- items in comments).
-- The whole sequence runs twice: with netlink sockets emulated after docs/netlink.md, and with
-- eco.nl's real socket methods (request_dump, recv_messages, the error mapping) over a fake
-- eco.socket object (the `sock` field of a netlink socket).
local T = require 'testlib'
local nl = require 'eco.nl'
local genl = require 'eco.genl'
local socket = require 'eco.socket'
local sys = require 'eco.sys'
local N = require 'eco.nl80211'

local FAM = 0x22 -- the fake family id
local LO = assert(socket.if_nametoindex('lo'))
local NLMSG_ERROR, NLMSG_DONE = 2, 3
local F_REQUEST, F_MULTI, F_ACK, F_DUMP = 1, 2, 4, 0x300

-- ---- byte layouts --------------------------------------------------------------------------

local function pad(s) return s .. string.rep('\0', (4 - #s % 4) % 4) end
local function attr(t, p) return pad(string.pack('=I2I2', 4 + #p, t) .. p) end
local function u8(t, v) return attr(t, string.pack('=B', v)) end
local function s8(t, v) return attr(t, string.pack('=b', v)) end
local function u16(t, v) return attr(t, string.pack('=I2', v)) end
local function u32(t, v) return attr(t, string.pack('=I4', v)) end
local function s32(t, v) return attr(t, string.pack('=i4', v)) end
local function u64(t, v) return attr(t, string.pack('=I8', v)) end
local function flag(t) return attr(t, '') end
local function nest(t, ...) return attr(t | 0x8000, table.concat({ ... })) end
-- struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; } + payload (padded).
local function nlmsg(typ, flags, payload)
    return pad(string.pack('=I4I2I2I4I4', 16 + #payload, typ, flags, 0, 0) .. payload)
end
-- struct genlmsghdr { u8 cmd; u8 version; u16 reserved; } + attributes.
local function genlmsg(cmd, ...) return string.pack('=BBI2', cmd, 1, 0) .. table.concat({ ... }) end
local function reply(cmd, ...) return nlmsg(FAM, F_MULTI, genlmsg(cmd, ...)) end
local function request(flags, cmd, ...) return nlmsg(FAM, F_REQUEST | flags, genlmsg(cmd, ...)) end
local function done() return nlmsg(NLMSG_DONE, F_MULTI, string.pack('=i4', 0)) end
-- struct nlmsgerr { int error; struct nlmsghdr msg; }
local function nlerr(e) return nlmsg(NLMSG_ERROR, 0, string.pack('=i4', e) .. string.rep('\0', 16)) end
local function ack() return nlerr(0) end
local function neterr(errno) return 'netlink error: ' .. sys.strerror(errno) end

local MAC = '\2\171\0\16\254\127'
local MAC_TEXT = '02:ab:00:10:fe:7f'

-- ---- the fake ------------------------------------------------------------------------------

-- `script` lists, per socket opened (in order), the datagrams its receives return.
local script, sockets

local Fake = {}
Fake.__index = Fake
Fake.__close = function(s) s:close() end

function Fake:send(msg)
    local b = msg:binary()
    self.sent[#self.sent + 1] = b
    return #b
end

function Fake:recv()
    local d = table.remove(self.datagrams, 1)
    if not d then return nil, 'timeout' end
    return nl.nlmsg_ker(d)
end

-- request_dump / recv_messages as docs/netlink.md describes them.
local function loop(self, on_msg, done_stops)
    while true do
        local rx, err = self:recv()
        if not rx then return nil, err end
        while true do
            local hdr = rx:next()
            if not hdr then break end
            if hdr.type == NLMSG_ERROR then
                local e = rx:parse_error()
                if e < 0 then return nil, neterr(-e) end
            elseif hdr.type == NLMSG_DONE and done_stops then
                return true
            elseif on_msg then
                local r, e = on_msg(rx, hdr)
                if r == true then return true end
                if r == false then return nil, e end
            end
        end
    end
end

function Fake:request_dump(msg, on_msg)
    self:send(msg)
    return loop(self, on_msg, true)
end

function Fake:recv_messages(on_msg, _, _, timeout)
    self.timeout = timeout
    return loop(self, on_msg, false)
end

function Fake:bind(groups) self.bound = groups return true end
function Fake:add_membership(g) self.group = g return true end
function Fake:close() self.closed = true end

local real = { open = nl.open, family = genl.get_family_id, group = genl.get_group_id }

-- The fake eco.socket under a real eco.nl socket.
local Sock = {}
Sock.__index = Sock
function Sock:send(data)
    self.sent[#self.sent + 1] = data
    return #data
end
function Sock:recvfrom(_, timeout)
    self.timeout = timeout
    local d = table.remove(self.datagrams, 1)
    if not d then return nil, 'timeout' end
    return d, { family = 16 }
end
function Sock:bind(groups) self.bound = groups return true end
function Sock:setoption(name, v)
    T.eq(name, 'netlink_add_membership')
    self.group = v
    return true
end
function Sock:close() self.closed = true end

local MODE -- 'emulated' or 'real'
local NLSOCK_MT

local function mock(...)
    script, sockets = { ... }, {}
    nl.open = function(proto)
        T.eq(proto, nl.NETLINK_GENERIC)
        local state = { sent = {}, datagrams = table.remove(script, 1) or {} }
        sockets[#sockets + 1] = state
        if MODE == 'real' then
            return setmetatable({ sock = setmetatable(state, Sock) }, NLSOCK_MT)
        end
        return setmetatable(state, Fake)
    end
    genl.get_family_id = function(name)
        T.eq(name, 'nl80211')
        return FAM
    end
    genl.get_group_id = function(family, group)
        T.eq(family, 'nl80211')
        if group == 'scan' then return 0x15 end
        return nil
    end
end

local function unmock()
    nl.open, genl.get_family_id, genl.get_group_id = real.open, real.family, real.group
end

-- Every socket opened was closed, and each sent exactly the expected requests.
local function sent(...)
    local want = { ... }
    local got = {}
    for _, s in ipairs(sockets) do
        T.ok(s.closed, 'socket closed')
        for _, b in ipairs(s.sent) do got[#got + 1] = b end
    end
    T.eq(#got, #want, 'number of requests')
    for i = 1, #want do
        if got[i] ~= want[i] then
            local hex = function(s) return (s:gsub('.', function(c) return string.format('%02x ', c:byte()) end)) end
            error(string.format('request %d:\n got  %s\n want %s', i, hex(got[i]), hex(want[i])), 2)
        end
    end
end

local function keys(t)
    local k = {}
    for name in pairs(t) do k[#k + 1] = tostring(name) end
    table.sort(k)
    return table.concat(k, ',')
end

-- ---- fixtures ------------------------------------------------------------------------------

local function interface_reply(ifindex, name, extra)
    return reply(N.CMD_NEW_INTERFACE,
        u32(N.ATTR_IFINDEX, ifindex),
        attr(N.ATTR_IFNAME, name .. '\0'),
        u32(N.ATTR_WIPHY, 2),
        u32(N.ATTR_IFTYPE, N.IFTYPE_STATION),
        u64(N.ATTR_WDEV, 0x200000001),
        attr(N.ATTR_MAC, MAC),
        u32(N.ATTR_GENERATION, 9),
        u8(N.ATTR_4ADDR, 0),
        extra or '')
end

local RSN_PSK = '\1\0' .. '\0\15\172\4' .. '\1\0\0\15\172\4' .. '\1\0\0\15\172\2'

local function ie(id, payload) return string.char(id, #payload) .. payload end

local function bss_reply(...)
    return reply(N.CMD_NEW_SCAN_RESULTS, u32(N.ATTR_GENERATION, 5), u32(N.ATTR_IFINDEX, LO),
        nest(N.ATTR_BSS, ...))
end

local function survey_reply(...)
    return reply(N.CMD_GET_SURVEY + 1, u32(N.ATTR_IFINDEX, LO), nest(N.ATTR_SURVEY_INFO, ...))
end

local function station_reply(mac, ...)
    return reply(N.CMD_NEW_STATION, u32(N.ATTR_IFINDEX, LO), attr(N.ATTR_MAC, mac),
        nest(N.ATTR_STA_INFO, ...))
end

local function sta_flags(mask, set)
    return attr(N.STA_INFO_STA_FLAGS, string.pack('=I4I4', mask, set))
end

-- ---- tests ---------------------------------------------------------------------------------

local function body()
    -- get_interface: request layout, every field, no reply, kernel error.
    mock({ interface_reply(LO, 'wlan0', attr(N.ATTR_SSID, 'my\0net') .. u32(N.ATTR_WIPHY_FREQ, 5180)
        .. u32(N.ATTR_CHANNEL_WIDTH, N.CHAN_WIDTH_80) .. u32(N.ATTR_CENTER_FREQ1, 5210)
        .. u32(N.ATTR_CENTER_FREQ2, 0) .. u32(N.ATTR_WIPHY_CHANNEL_TYPE, 1)
        .. u32(N.ATTR_WIPHY_TX_POWER_LEVEL, 2000)) })
    local info = assert(N.get_interface('lo'))
    sent(request(0, N.CMD_GET_INTERFACE, u32(N.ATTR_IFINDEX, LO)))
    T.eq(info.phy, 2)
    T.eq(info.iftype, 2)
    T.eq(info.ifname, 'wlan0')
    T.eq(info.ifindex, LO)
    T.eq(info.wdev, 0x200000001)
    T.eq(info['4addr'], false)
    T.eq(info.use_4addr, nil)
    T.eq(info.mac, MAC_TEXT)
    T.eq(info.ssid, 'my\0net')
    T.eq(info.freq, 5180)
    T.eq(info.channel_width, 3)
    T.eq(info.center_freq1, 5210)
    T.eq(info.center_freq2, 0)
    T.eq(info.channel_type, nil) -- only without a channel width
    T.eq(info.txpower, 2000)
    T.eq(keys(info), '4addr,center_freq1,center_freq2,channel_width,freq,ifindex,ifname,iftype,mac,phy,ssid,txpower,wdev')

    mock({ interface_reply(LO, 'wlan1', u32(N.ATTR_WIPHY_FREQ, 2437) .. u32(N.ATTR_WIPHY_CHANNEL_TYPE, 1)) })
    info = assert(N.get_interface('lo'))
    T.eq(info.channel_type, 1)
    T.eq(info.channel_width, nil)
    mock({ done() })
    T.fails('no msg responsed', N.get_interface('lo'))
    mock({ nlerr(-19) })
    T.fails(neterr(19), N.get_interface('lo'))
    -- A malformed reply (an attribute running past the message) is reported, not read.
    mock({ nlmsg(FAM, 0, genlmsg(7, string.pack('=I2I2', 40, 3) .. 'abcd')) })
    T.fails('malformed attributes', N.get_interface('lo'))
    sent(request(0, N.CMD_GET_INTERFACE, u32(N.ATTR_IFINDEX, LO)))

    -- get_interfaces: dump, kernel order, optional phy filter.
    mock({ interface_reply(7, 'wlan0') .. interface_reply(8, 'wlan1'), done() }, { done() })
    local list = assert(N.get_interfaces())
    T.eq(#list, 2)
    T.eq(list[1].ifname, 'wlan0')
    T.eq(list[2].ifindex, 8)
    T.eq(#assert(N.get_interfaces(1)), 0)
    sent(request(F_DUMP, N.CMD_GET_INTERFACE), request(F_DUMP, N.CMD_GET_INTERFACE, u32(N.ATTR_WIPHY, 1)))
    mock({})
    T.raises('invalid phy index', N.get_interfaces, 'phy0')
    T.ok(sockets[1].closed, 'socket closed after the raise')

    -- add_interface: the kernel's NEW_INTERFACE description before the ACK is skipped.
    mock({ interface_reply(42, 'ecotest0'), ack() })
    T.same({ true }, N.add_interface(0, 'ecotest0',
        { type = N.IFTYPE_MONITOR, mac = '02:00:00:00:00:01', ['4addr'] = true, other = 1 }))
    sent(request(F_ACK, N.CMD_NEW_INTERFACE, u32(N.ATTR_WIPHY, 0), attr(N.ATTR_IFNAME, 'ecotest0\0'),
        u32(N.ATTR_IFTYPE, 6), attr(N.ATTR_MAC, '\2\0\0\0\0\1'), u8(N.ATTR_4ADDR, 1)))
    mock({ nlerr(-16) })
    T.fails(neterr(16), N.add_interface(3, 'ecotest0'))
    sent(request(F_ACK, N.CMD_NEW_INTERFACE, u32(N.ATTR_WIPHY, 3), attr(N.ATTR_IFNAME, 'ecotest0\0')))
    mock({})
    T.raises('invalid mac', N.add_interface, 0, 'ecotest0', { mac = '02:00:00:00:00' })

    -- set_interface / del_interface
    mock({ ack() }, { ack() })
    T.same({ true }, N.set_interface('lo', { type = N.IFTYPE_AP, ['4addr'] = false }))
    T.same({ true }, N.del_interface('lo'))
    sent(request(F_ACK, N.CMD_SET_INTERFACE, u32(N.ATTR_IFINDEX, LO), u32(N.ATTR_IFTYPE, 3), u8(N.ATTR_4ADDR, 0)),
        request(F_ACK, N.CMD_DEL_INTERFACE, u32(N.ATTR_IFINDEX, LO)))
    mock({ nlerr(-1) })
    T.fails(neterr(1), N.del_interface('lo'))

    -- 9 (second half): with a family, ifname is checked after the socket is opened.
    mock({})
    T.raises('invalid ifname', N.scan, 'dump', { ifname = 1 })
    T.ok(sockets[1].closed, 'socket closed after the raise')
    T.raises('invalid ifname', N.scan, 'dump')
    mock({})
    T.fails('no such device', N.scan('dump', { ifname = 'nope0' }))

    -- scan trigger: nested SSIDs (1-based, no NUL), frequencies, extra IEs; passive; abort.
    mock({ ack() }, { ack() }, { nlerr(-16) }, { ack() })
    T.same({ true }, N.scan('trigger', { ifname = 'lo', ssids = { '', 'home' }, freqs = { 2412, 5180 },
        ie = ie(221, '\0\1\2\3') }))
    T.same({ true }, N.scan('trigger', { ifname = 'lo' }))
    T.fails(neterr(16), N.scan('trigger', { ifname = 'lo', ssids = { '' } }))
    T.same({ true }, N.scan('abort', { ifname = 'lo' }))
    sent(request(F_ACK, N.CMD_TRIGGER_SCAN, u32(N.ATTR_IFINDEX, LO),
            nest(N.ATTR_SCAN_SSIDS, attr(1, ''), attr(2, 'home')),
            nest(N.ATTR_SCAN_FREQUENCIES, u32(1, 2412), u32(2, 5180)),
            attr(N.ATTR_IE, ie(221, '\0\1\2\3'))),
        request(F_ACK, N.CMD_TRIGGER_SCAN, u32(N.ATTR_IFINDEX, LO)),
        request(F_ACK, N.CMD_TRIGGER_SCAN, u32(N.ATTR_IFINDEX, LO), nest(N.ATTR_SCAN_SSIDS, attr(1, ''))),
        request(F_ACK, N.CMD_ABORT_SCAN, u32(N.ATTR_IFINDEX, LO)))
    -- Many SSIDs: the request grows past the default 4096-byte builder.
    mock({ ack() })
    local many = {}
    for i = 1, 200 do many[i] = string.rep('s', 32) end
    T.same({ true }, N.scan('trigger', { ifname = 'lo', ssids = many }))

    -- scan dump: 14 (caps, signal), 15 (RSN), 16 (WPA), status, skipped entries.
    local wpa_no_akm = '\0\80\242\1' .. '\1\0' .. '\0\80\242\2' .. '\1\0\0\80\242\2'
    local bss1 = bss_reply(attr(N.BSS_BSSID, MAC), u32(N.BSS_FREQUENCY, 2437), u64(N.BSS_TSF, 1),
        u16(N.BSS_BEACON_INTERVAL, 100), u16(N.BSS_CAPABILITY, 0x11),
        attr(N.BSS_INFORMATION_ELEMENTS, ie(0, 'home') .. ie(1, '\130\132') .. ie(48, RSN_PSK)),
        s32(N.BSS_SIGNAL_MBM, -4500), attr(N.BSS_BEACON_IES, ie(0, 'beacon')), u32(N.BSS_STATUS, 1))
    local bss2 = bss_reply(attr(N.BSS_BSSID, '\0\17\34\51\68\85'), u32(N.BSS_FREQUENCY, 5180),
        u16(N.BSS_CAPABILITY, 0x02),
        attr(N.BSS_INFORMATION_ELEMENTS, ie(0, 'x') .. ie(114, 'mesh') .. ie(48, '\1\0')
            .. ie(221, '\0\80\242\1\1\0')))
    local bss3 = bss_reply(attr(N.BSS_BSSID, MAC), u32(N.BSS_FREQUENCY, 2412)) -- no capability
    local bss4 = bss_reply(attr(N.BSS_BSSID, MAC), u16(N.BSS_CAPABILITY, 1),
        u32(N.BSS_FREQUENCY, 5905), attr(N.BSS_INFORMATION_ELEMENTS, ie(221, wpa_no_akm)))
    mock({ bss1 .. bss2, bss3 .. bss4 .. done() })
    list = assert(N.scan('dump', { ifname = 'lo' }))
    sent(request(F_DUMP, N.CMD_GET_SCAN, u32(N.ATTR_IFINDEX, LO)))
    T.eq(#list, 3)
    local b = list[1]
    T.eq(b.bssid, MAC_TEXT)
    T.eq(keys(b.caps), 'ESS,PRIVACY')
    T.eq(b.freq, 2437)
    T.eq(b.channel, 6)
    T.eq(b.band, 2.4)
    T.eq(b.beacon_interval, 100)
    T.eq(b.signal, -45.0)
    T.eq(math.type(b.signal), 'float')
    T.eq(b.ssid, 'home')
    T.eq(b.status, 'associated')
    T.eq(b.wpa, nil)
    T.eq(b.elems, nil)
    T.eq(b.rsn.version, 1)
    T.eq(b.rsn.group_cipher, 'CCMP')
    T.eq(keys(b.rsn.pair_ciphers), 'CCMP')
    T.eq(b.rsn.pair_ciphers.CCMP, true)
    T.eq(keys(b.rsn.auth_suites), 'PSK')
    T.eq(keys(b), 'band,beacon_interval,bssid,caps,channel,freq,rsn,signal,ssid,status')
    b = list[2]
    T.eq(b.bssid, '00:11:22:33:44:55')
    T.eq(keys(b.caps), 'IBSS')
    T.eq(b.band, 5)
    T.eq(b.channel, 36)
    T.eq(b.ssid, 'mesh')
    T.eq(b.signal, nil)
    T.eq(b.status, nil)
    T.eq(b.rsn.group_cipher, 'CCMP')
    T.eq(keys(b.rsn.pair_ciphers), 'CCMP')
    T.eq(next(b.rsn.auth_suites), nil)
    T.eq(b.wpa.version, 1)
    T.eq(b.wpa.group_cipher, 'TKIP')
    T.eq(keys(b.wpa.pair_ciphers), 'TKIP')
    T.eq(next(b.wpa.auth_suites), nil)
    b = list[3]
    T.eq(b.band, 'Unknown')
    T.eq(b.channel, 181)
    T.eq(keys(b.wpa.pair_ciphers), 'TKIP')
    T.eq(keys(b.wpa.auth_suites), 'PSK')
    T.eq(b.wpa.group_cipher, 'TKIP')

    -- 17. keep_elems
    mock({ bss1 .. bss2 .. done() })
    list = assert(N.scan('dump', { ifname = 'lo', keep_elems = true }))
    T.eq(list[1].elems[0][1], 'home')
    T.eq(#list[1].elems[0], 1)
    T.eq(list[1].elems[1][1], '\130\132')
    T.eq(list[1].elems[48][1], RSN_PSK)
    T.eq(keys(list[1].elems), '0,1,48')
    T.eq(list[2].elems[0][1], 'x')
    T.eq(list[2].elems[114][1], 'mesh')
    mock({ nlerr(-100) })
    T.fails(neterr(100), N.scan('dump', { ifname = 'lo' }))

    -- get_surveys / get_noise
    local surveys = survey_reply(u32(N.SURVEY_INFO_FREQUENCY, 2412), u64(N.SURVEY_INFO_TIME, 5000000000),
            u64(N.SURVEY_INFO_TIME_BUSY, 7)) ..
        survey_reply(u32(N.SURVEY_INFO_FREQUENCY, 2437), s8(N.SURVEY_INFO_NOISE, -95), flag(N.SURVEY_INFO_IN_USE)) ..
        reply(N.CMD_GET_SURVEY + 1, u32(N.ATTR_IFINDEX, LO)) .. done()
    mock({ surveys }, { surveys })
    list = assert(N.get_surveys('lo'))
    T.eq(#list, 2)
    T.eq(keys(list[1]), 'active_time,busy_time,frequency')
    T.eq(list[1].frequency, 2412)
    T.eq(list[1].active_time, 5000000000)
    T.eq(list[1].busy_time, 7)
    T.eq(keys(list[2]), 'frequency,in_use,noise')
    T.eq(list[2].noise, -95)
    T.eq(list[2].in_use, true)
    T.same({ -95 }, N.get_noise('lo'))
    sent(request(F_DUMP, N.CMD_GET_SURVEY, u32(N.ATTR_IFINDEX, LO)),
        request(F_DUMP, N.CMD_GET_SURVEY, u32(N.ATTR_IFINDEX, LO)))
    mock({ survey_reply(u32(N.SURVEY_INFO_FREQUENCY, 2412)) .. done() })
    T.same({ 0 }, N.get_noise('lo'))

    -- get_station: request layout, every field, 18 (rates), noise from the surveys.
    local STA_MASK = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7)
    local sta = station_reply(MAC,
        u32(N.STA_INFO_INACTIVE_TIME, 10), u32(N.STA_INFO_CONNECTED_TIME, 3600),
        u32(N.STA_INFO_BEACON_LOSS, 2), u64(N.STA_INFO_BEACON_RX, 999),
        u32(N.STA_INFO_RX_BYTES, 1), u64(N.STA_INFO_RX_BYTES64, 5000000000), u32(N.STA_INFO_TX_BYTES, 77),
        u32(N.STA_INFO_RX_PACKETS, 11), u32(N.STA_INFO_TX_PACKETS, 12), u32(N.STA_INFO_TX_RETRIES, 13),
        u32(N.STA_INFO_TX_FAILED, 14), s8(N.STA_INFO_SIGNAL, -40), s8(N.STA_INFO_SIGNAL_AVG, -41),
        s8(N.STA_INFO_BEACON_SIGNAL_AVG, -42), s8(N.STA_INFO_ACK_SIGNAL, -43),
        s8(N.STA_INFO_ACK_SIGNAL_AVG, -44), sta_flags(STA_MASK, (1 << 1) | (1 << 2) | (1 << 5)),
        nest(N.STA_INFO_TX_BITRATE, u16(N.RATE_INFO_BITRATE, 65)),
        nest(N.STA_INFO_RX_BITRATE, u32(N.RATE_INFO_BITRATE32, 8667), u8(N.RATE_INFO_VHT_MCS, 9),
            u8(N.RATE_INFO_VHT_NSS, 2), flag(N.RATE_INFO_80_MHZ_WIDTH), flag(N.RATE_INFO_SHORT_GI)))
    mock({ sta }, { surveys })
    local st = assert(N.get_station('lo', MAC_TEXT))
    sent(request(0, N.CMD_GET_STATION, u32(N.ATTR_IFINDEX, LO), attr(N.ATTR_MAC, MAC)),
        request(F_DUMP, N.CMD_GET_SURVEY, u32(N.ATTR_IFINDEX, LO)))
    T.eq(st.mac, MAC_TEXT)
    T.eq(st.inactive_time, 10)
    T.eq(st.connected_time, 3600)
    T.eq(st.beacon_loss, 2)
    T.eq(st.beacon_rx, 999)
    T.eq(st.rx_bytes, 5000000000)
    T.eq(st.tx_bytes, 77)
    T.eq(st.rx_packets, 11)
    T.eq(st.tx_packets, 12)
    T.eq(st.tx_retries, 13)
    T.eq(st.tx_failed, 14)
    T.eq(st.signal, -40)
    T.eq(st.signal_avg, -41)
    T.eq(st.beacon_signal_avg, -42)
    T.eq(st.ack_signal, -43)
    T.eq(st.ack_signal_avg, -44)
    T.eq(st.authorized, true)
    T.eq(st.authenticated, true)
    T.eq(st.associated, false)
    T.eq(st.wme, false)
    T.eq(st.mfp, false)
    T.eq(st.preamble, 'short')
    T.eq(st.noise, -95)
    T.eq(keys(st.tx_rate), 'rate,width')
    T.eq(st.tx_rate.rate, 6.5)
    T.eq(st.tx_rate.width, 20)
    T.eq(keys(st.rx_rate), 'mcs,nss,rate,short_gi,vht,width')
    T.eq(st.rx_rate.rate, 866.7)
    T.eq(st.rx_rate.vht, true)
    T.eq(st.rx_rate.mcs, 9)
    T.eq(st.rx_rate.nss, 2)
    T.eq(st.rx_rate.width, 80)
    T.eq(st.rx_rate.short_gi, true)
    T.eq(keys(st), 'ack_signal,ack_signal_avg,associated,authenticated,authorized,beacon_loss,beacon_rx,'
        .. 'beacon_signal_avg,connected_time,inactive_time,mac,mfp,noise,preamble,rx_bytes,rx_packets,'
        .. 'rx_rate,signal,signal_avg,tx_bytes,tx_failed,tx_packets,tx_rate,tx_retries,wme')
    -- Noise failure -> 0; reply without STA_INFO; no reply; unknown station; bad mac; no device.
    mock({ sta }, { nlerr(-95) })
    T.eq(assert(N.get_station('lo', MAC_TEXT)).noise, 0)
    mock({ reply(N.CMD_NEW_STATION, attr(N.ATTR_MAC, MAC)) })
    T.fails('invalid received', N.get_station('lo', MAC_TEXT))
    mock({ done() })
    T.fails('no msg responsed', N.get_station('lo', MAC_TEXT))
    mock({ nlerr(-2) })
    T.fails(neterr(2), N.get_station('lo', MAC_TEXT))
    mock({})
    T.raises('invalid mac', N.get_station, 'lo', 'zz:00:00:00:00:00')
    T.fails('no dev', N.get_station('nope0', MAC_TEXT))

    -- get_stations: noise once, copied into every entry; replies without STA_INFO skipped.
    mock({ surveys }, { station_reply(MAC, u32(N.STA_INFO_RX_BYTES, 5)) ..
        reply(N.CMD_NEW_STATION, attr(N.ATTR_MAC, MAC)),
        station_reply('\0\0\0\0\0\1', s8(N.STA_INFO_SIGNAL, -70)) .. done() })
    list = assert(N.get_stations('lo'))
    sent(request(F_DUMP, N.CMD_GET_SURVEY, u32(N.ATTR_IFINDEX, LO)),
        request(F_DUMP, N.CMD_GET_STATION, u32(N.ATTR_IFINDEX, LO)))
    T.eq(#list, 2)
    T.eq(keys(list[1]), 'mac,noise,rx_bytes')
    T.eq(list[1].rx_bytes, 5)
    T.eq(list[1].noise, -95)
    T.eq(list[2].mac, '00:00:00:00:00:01')
    T.eq(list[2].signal, -70)
    T.eq(list[2].noise, -95)
    mock({})
    T.fails('no dev', N.get_stations('nope0'))

    -- get_protocol_features
    mock({ reply(N.CMD_GET_PROTOCOL_FEATURES, u32(N.ATTR_PROTOCOL_FEATURES, 1)) },
        { reply(N.CMD_GET_PROTOCOL_FEATURES) }, { done() })
    T.same({ N.PROTOCOL_FEATURE_SPLIT_WIPHY_DUMP }, N.get_protocol_features(0))
    T.same({ 0 }, N.get_protocol_features(5))
    T.fails('no msg responsed', N.get_protocol_features(0))
    sent(request(0, N.CMD_GET_PROTOCOL_FEATURES, u32(N.ATTR_WIPHY, 0)),
        request(0, N.CMD_GET_PROTOCOL_FEATURES, u32(N.ATTR_WIPHY, 5)),
        request(0, N.CMD_GET_PROTOCOL_FEATURES, u32(N.ATTR_WIPHY, 0)))

    -- get_freqlist: a split dump (one band per reply), kernel order, 19 (flags).
    local function freq(i, f, ...) return nest(i, u32(N.FREQUENCY_ATTR_FREQ, f), ...) end
    local wiphy1 = reply(N.CMD_GET_WIPHY + 2, u32(N.ATTR_WIPHY, 0), attr(N.ATTR_WIPHY_NAME, 'phy0\0'))
    local wiphy2 = reply(N.CMD_GET_WIPHY + 2, u32(N.ATTR_WIPHY, 0), nest(N.ATTR_WIPHY_BANDS,
        nest(N.BAND_2GHZ, attr(N.BAND_ATTR_HT_MCS_SET, string.rep('\0', 16)), nest(N.BAND_ATTR_FREQS,
            freq(0, 2412, flag(N.FREQUENCY_ATTR_NO_HT40_MINUS)),
            freq(1, 2484, flag(N.FREQUENCY_ATTR_NO_HT40_PLUS), flag(N.FREQUENCY_ATTR_DISABLED),
                flag(N.FREQUENCY_ATTR_NO_HE))))))
    local wiphy3 = reply(N.CMD_GET_WIPHY + 2, u32(N.ATTR_WIPHY, 0), nest(N.ATTR_WIPHY_BANDS,
        nest(N.BAND_5GHZ, nest(N.BAND_ATTR_FREQS,
            freq(0, 5260, flag(N.FREQUENCY_ATTR_NO_IR), flag(N.FREQUENCY_ATTR_RADAR),
                flag(N.FREQUENCY_ATTR_NO_80MHZ), flag(N.FREQUENCY_ATTR_NO_160MHZ),
                flag(N.FREQUENCY_ATTR_NO_20MHZ), flag(N.FREQUENCY_ATTR_NO_10MHZ),
                flag(N.FREQUENCY_ATTR_NO_320MHZ), flag(N.FREQUENCY_ATTR_NO_EHT),
                flag(N.FREQUENCY_ATTR_INDOOR_ONLY)),
            freq(1, 5180, flag(N.FREQUENCY_ATTR_NO_IR)))),
        nest(N.BAND_60GHZ, nest(N.BAND_ATTR_FREQS, freq(0, 60480))),
        nest(N.BAND_6GHZ, nest(N.BAND_ATTR_FREQS, freq(0, 5955))),
        nest(7, nest(N.BAND_ATTR_FREQS, freq(0, 900)))))
    mock({ wiphy1 .. wiphy2, wiphy3 .. done() })
    list = assert(N.get_freqlist(0))
    sent(request(F_DUMP, N.CMD_GET_WIPHY, u32(N.ATTR_WIPHY, 0), flag(N.ATTR_SPLIT_WIPHY_DUMP)))
    T.eq(#list, 7)
    local function fl(e) return e.band .. ' ' .. e.freq .. ' ' .. e.channel .. ' [' .. keys(e.flags) .. ']' end
    T.eq(fl(list[1]), '2.4 2412 1 [NO_HT40+]')
    T.eq(list[1].NO_HE, nil)
    T.eq(fl(list[2]), '2.4 2484 14 [NO_HT40-]')
    T.eq(list[2].NO_HE, true)
    T.eq(list[2].flags.NO_HE, nil)
    T.eq(fl(list[3]), '5 5260 52 [INDOOR_ONLY,NO_10MHZ,NO_160MHZ,NO_20MHZ,NO_320MHZ,NO_80MHZ,NO_EHT,RADAR]')
    T.eq(fl(list[4]), '5 5180 36 [NO_IR]')
    T.eq(fl(list[5]), '60 60480 0 []')
    T.eq(fl(list[6]), '6 5955 1 []')
    T.eq(fl(list[7]), '7 900 0 []')
    T.eq(math.type(list[1].band), 'float')
    T.eq(math.type(list[7].band), 'integer')

    -- get_link: 12 (not connected), the station's figures over the BSS's.
    local assoc = bss_reply(attr(N.BSS_BSSID, MAC), u16(N.BSS_CAPABILITY, 1), u32(N.BSS_FREQUENCY, 2437),
        s32(N.BSS_SIGNAL_MBM, -5000), u32(N.BSS_STATUS, 1))
    local other = bss_reply(attr(N.BSS_BSSID, '\0\0\0\0\0\2'), u16(N.BSS_CAPABILITY, 1),
        u32(N.BSS_STATUS, 0))
    mock({ other .. done() })
    T.fails('not connected', N.get_link('lo'))
    mock({ nlerr(-100) })
    T.fails('not connected', N.get_link('lo'))
    mock({})
    T.fails('not connected', N.get_link('nope0'))
    mock({ other .. assoc .. done() }, { sta }, { surveys })
    local link = assert(N.get_link('lo'))
    sent(request(F_DUMP, N.CMD_GET_SCAN, u32(N.ATTR_IFINDEX, LO)),
        request(0, N.CMD_GET_STATION, u32(N.ATTR_IFINDEX, LO), attr(N.ATTR_MAC, MAC)),
        request(F_DUMP, N.CMD_GET_SURVEY, u32(N.ATTR_IFINDEX, LO)))
    T.eq(link.bssid, MAC_TEXT)
    T.eq(link.status, 'associated')
    T.eq(link.signal, -40)
    T.eq(math.type(link.signal), 'integer')
    T.eq(link.rx_bytes, 5000000000)
    T.eq(link.tx_bytes, 77)
    T.eq(link.rx_packets, 11)
    T.eq(link.tx_packets, 12)
    T.eq(link.ack_signal_avg, -44)
    T.eq(link.tx_rate.rate, 6.5)
    T.eq(link.rx_rate.mcs, 9)
    T.eq(link.inactive_time, nil)
    T.eq(link.freq, 2437)
    -- The station lookup failing leaves the BSS as it is.
    mock({ assoc .. done() }, { nlerr(-2) })
    link = assert(N.get_link('lo'))
    T.eq(link.signal, -50.0)
    T.eq(link.rx_bytes, nil)

    -- 20. wait_event: group lookup, bind(0) + membership, callback results, data, timeout.
    local function event(cmd, ifindex) return reply(cmd, u32(N.ATTR_WIPHY, 0), u32(N.ATTR_IFINDEX, ifindex)) end
    local seen = {}
    local function cb(cmd, attrs, data)
        seen[#seen + 1] = { cmd, nl.attr_get_u32(attrs[N.ATTR_IFINDEX]), data }
        if nl.attr_get_u32(attrs[N.ATTR_IFINDEX]) ~= LO then return end
        if cmd == N.CMD_NEW_SCAN_RESULTS then return true end
        if cmd == N.CMD_SCAN_ABORTED then return false, 'scan aborted' end
        return 'other values keep waiting'
    end
    mock({ event(N.CMD_NEW_SCAN_RESULTS, 99) .. done(), event(N.CMD_TRIGGER_SCAN, LO) .. event(N.CMD_NEW_SCAN_RESULTS, LO) })
    T.same({ true }, N.wait_event('scan', 3, cb, 'mydata'))
    T.eq(sockets[1].bound, 0)
    T.eq(sockets[1].group, 0x15)
    T.eq(sockets[1].timeout, 3)
    T.ok(sockets[1].closed)
    T.eq(#seen, 3)
    T.same({ N.CMD_NEW_SCAN_RESULTS, 99, 'mydata' }, table.unpack(seen[1]))
    T.same({ N.CMD_TRIGGER_SCAN, LO, 'mydata' }, table.unpack(seen[2]))
    T.same({ N.CMD_NEW_SCAN_RESULTS, LO, 'mydata' }, table.unpack(seen[3]))
    mock({ event(N.CMD_SCAN_ABORTED, LO) })
    T.fails('scan aborted', N.wait_event('scan', 1, cb))
    mock({ event(N.CMD_TRIGGER_SCAN, LO) })
    T.fails('timeout', N.wait_event('scan', 0.1, cb))
    mock({})
    T.fails('not support', N.wait_event('nosuchgroup', 0.1, cb))
    T.ok(sockets[1].closed)
end

T.go(function()
    local s = assert(real.open(nl.NETLINK_GENERIC))
    NLSOCK_MT = getmetatable(s)
    s:close()
    T.ok(NLSOCK_MT and NLSOCK_MT.__index, 'eco.nl sockets have a method table')
    for _, mode in ipairs({ 'emulated', 'real' }) do
        MODE = mode
        local ok, err = pcall(body)
        unmock()
        if not ok then error(mode .. ' sockets: ' .. tostring(err), 0) end
    end
end)

print('nl80211 flow: ok')
