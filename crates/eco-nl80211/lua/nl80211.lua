-- eco.nl80211 (docs/nl80211.md): the nl80211 request/reply flow over eco.nl and eco.genl. The
-- constants, the naming helpers and every parser of kernel bytes are native (`n`, also
-- `eco.internal.nl80211`); `p` holds private helpers (strerror).
local n, p = ...

local nl = require 'eco.nl'
local genl = require 'eco.genl'
local socket = require 'eco.socket'

local M = {}

for k, v in pairs(n) do
    if type(k) == 'string' and (not k:find('^parse_') or k == 'parse_sta_flag_update') then
        M[k] = v
    end
end

local GENLMSGHDR_SIZE = 4
local NLMSG_MIN_TYPE = 16

function M.freq_to_channel(freq)
    if freq >= 2412 and freq <= 2484 then
        if freq == 2484 then return 14 end
        return (freq - 2407) // 5
    elseif freq >= 5180 and freq <= 5925 then
        return (freq - 5000) // 5
    elseif freq >= 5955 and freq <= 7115 then
        return (freq - 5950) // 5
    end
    return 0
end

function M.freq_to_band(freq)
    if freq >= 2412 and freq <= 2484 then
        return 2.4
    elseif freq >= 5160 and freq <= 5885 then
        return 5
    elseif freq >= 5925 and freq <= 7125 then
        return 6
    elseif freq >= 58320 and freq <= 69120 then
        return 60
    end
    return 'Unknown'
end

-- The PHY index in /sys/class/ieee80211/<name>/index, or false.
function M.phy_lookup(name)
    local f = io.open('/sys/class/ieee80211/' .. tostring(name) .. '/index', 'r')
    if not f then return false end
    local v = f:read('n')
    f:close()
    return v or false
end

-- ---- request helpers -----------------------------------------------------------------------

local function phy_index(phy)
    if type(phy) == 'string' then
        local idx = M.phy_lookup(phy)
        if not idx then return nil, '"' .. phy .. '" not exists' end
        return idx
    elseif type(phy) == 'number' then
        return phy
    end
    error('invalid phy', 3)
end

-- "xx:xx:xx:xx:xx:xx" -> 6 raw bytes; anything else raises.
local function mac_bytes(mac)
    local parts = { tostring(mac):match('^(%x%x):(%x%x):(%x%x):(%x%x):(%x%x):(%x%x)$') }
    if #parts ~= 6 then error('invalid mac address: ' .. tostring(mac), 3) end
    for i = 1, 6 do parts[i] = string.char(tonumber(parts[i], 16)) end
    return table.concat(parts)
end

local function request(fam, cmd, flags, size)
    local msg = nl.nlmsg(fam, nl.NLM_F_REQUEST | flags, 0, size)
    msg:put(genl.genlmsghdr({ cmd = cmd }))
    return msg
end

-- The interface attributes (`type`, `mac`, `4addr`), in that order.
local function put_if_attrs(msg, attrs)
    if type(attrs) ~= 'table' then return end
    if attrs.type ~= nil then msg:put_attr_u32(n.ATTR_IFTYPE, attrs.type) end
    if attrs.mac ~= nil then msg:put_attr(n.ATTR_MAC, mac_bytes(attrs.mac)) end
    if attrs['4addr'] ~= nil then msg:put_attr_u8(n.ATTR_4ADDR, attrs['4addr'] and 1 or 0) end
end

local function open()
    return nl.open(nl.NETLINK_GENERIC)
end

-- Sends `msg` (NLM_F_ACK set) and waits for its ACK, skipping the other replies the kernel sends
-- before it (NEW_INTERFACE answers with the new interface's description first).
local function ack(s, msg)
    local ok, err = s:send(msg)
    if not ok then return nil, err end
    while true do
        local rx, rerr = s:recv()
        if not rx then return nil, rerr end
        while true do
            local hdr = rx:next()
            if not hdr then break end
            if hdr.type == nl.NLMSG_ERROR then
                local e, perr = rx:parse_error()
                if not e then return nil, perr end
                if e == 0 then return true end
                if e < 0 then return nil, 'netlink error: ' .. p.strerror(-e) end
                return nil, 'invalid ack'
            end
        end
    end
end

-- The first genl reply to `msg`, through `parse(payload)`. Returns the parsed value; `nil, err`
-- for a kernel or parse error; `nil, "no msg responsed"` without a reply. `got` tells whether a
-- reply came (a parser's plain nil means "reply without the expected attribute").
local function first(s, msg, parse)
    local got, res, perr = false, nil, nil
    local ok, err = s:request_dump(msg, function(rx, hdr)
        if hdr.type < NLMSG_MIN_TYPE then return end
        got = true
        res, perr = parse(rx:payload())
        return true
    end)
    if not ok then return nil, err end
    if perr then return nil, perr end
    if not got then return nil, 'no msg responsed' end
    return res, nil, got
end

-- Dumps `msg`; `each(payload)` runs for every genl reply and may return an error to stop.
local function dump(s, msg, each)
    local perr
    local ok, err = s:request_dump(msg, function(rx, hdr)
        if hdr.type < NLMSG_MIN_TYPE then return end
        local e = each(rx:payload())
        if e then
            perr = e
            return false, e
        end
    end)
    if not ok then return nil, err end
    return true
end

-- Collects the non-nil results of `parse(payload)` over a dump.
local function collect(s, msg, parse, ...)
    local out, extra = {}, table.pack(...)
    local ok, err = dump(s, msg, function(payload)
        local v, e = parse(payload, table.unpack(extra, 1, extra.n))
        if e then return e end
        if v ~= nil then out[#out + 1] = v end
    end)
    if not ok then return nil, err end
    return out
end

local function check_ifname(ifname)
    if type(ifname) ~= 'string' then error('invalid ifname', 3) end
end

-- ---- interfaces ----------------------------------------------------------------------------

function M.add_interface(phy, ifname, attrs)
    local idx, err = phy_index(phy)
    if not idx then return nil, err end
    check_ifname(ifname)
    if socket.if_nametoindex(ifname) then return nil, '"' .. ifname .. '" already exists' end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local msg = request(fam, n.CMD_NEW_INTERFACE, nl.NLM_F_ACK)
    msg:put_attr_u32(n.ATTR_WIPHY, idx)
    msg:put_attr_strz(n.ATTR_IFNAME, ifname)
    put_if_attrs(msg, attrs)
    local s <close>, serr = open()
    if not s then return nil, serr end
    return ack(s, msg)
end

local function if_request(ifname, cmd, attrs)
    check_ifname(ifname)
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, '"' .. ifname .. '" not exists' end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local msg = request(fam, cmd, nl.NLM_F_ACK)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    put_if_attrs(msg, attrs)
    local s <close>, serr = open()
    if not s then return nil, serr end
    return ack(s, msg)
end

function M.set_interface(ifname, attrs)
    return if_request(ifname, n.CMD_SET_INTERFACE, attrs)
end

function M.del_interface(ifname)
    return if_request(ifname, n.CMD_DEL_INTERFACE)
end

function M.get_interface(ifname)
    check_ifname(ifname)
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'no dev' end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_INTERFACE, 0)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    local info, err = first(s, msg, n.parse_interface)
    if not info then return nil, err end
    return info
end

function M.get_interfaces(phy)
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_INTERFACE, nl.NLM_F_DUMP)
    if phy ~= nil then
        if type(phy) ~= 'number' then error('invalid phy index', 2) end
        msg:put_attr_u32(n.ATTR_WIPHY, phy)
    end
    return collect(s, msg, n.parse_interface)
end

-- ---- scans and events ----------------------------------------------------------------------

local scan_actions = { trigger = true, dump = true, abort = true }

local function scan_dump(s, fam, idx, keep_elems)
    local msg = request(fam, n.CMD_GET_SCAN, nl.NLM_F_DUMP)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    return collect(s, msg, n.parse_bss, keep_elems and true or false)
end

local function scan_trigger(s, fam, idx, params)
    local ssids = type(params.ssids) == 'table' and params.ssids or {}
    local freqs = type(params.freqs) == 'table' and params.freqs or {}
    local size = 64 + 8 * #freqs
    for _, ssid in ipairs(ssids) do size = size + 8 + #ssid end
    if type(params.ie) == 'string' then size = size + 8 + #params.ie end
    local msg = request(fam, n.CMD_TRIGGER_SCAN, nl.NLM_F_ACK, size)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    local ok, err = true, nil
    if #ssids > 0 then
        msg:put_attr_nest_start(n.ATTR_SCAN_SSIDS)
        for i, ssid in ipairs(ssids) do
            ok, err = msg:put_attr(i, ssid)
            if not ok then return nil, err end
        end
        msg:put_attr_nest_end()
    end
    if #freqs > 0 then
        msg:put_attr_nest_start(n.ATTR_SCAN_FREQUENCIES)
        for i, f in ipairs(freqs) do
            ok, err = msg:put_attr_u32(i, f)
            if not ok then return nil, err end
        end
        msg:put_attr_nest_end()
    end
    if type(params.ie) == 'string' then
        ok, err = msg:put_attr(n.ATTR_IE, params.ie)
        if not ok then return nil, err end
    end
    return ack(s, msg)
end

function M.scan(action, params)
    if not scan_actions[action] then error('invalid scan action', 2) end
    params = params or {}
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local ifname = params.ifname
    if type(ifname) ~= 'string' then error('invalid ifname', 2) end
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'no such device' end
    if action == 'trigger' then
        return scan_trigger(s, fam, idx, params)
    elseif action == 'abort' then
        local msg = request(fam, n.CMD_ABORT_SCAN, nl.NLM_F_ACK)
        msg:put_attr_u32(n.ATTR_IFINDEX, idx)
        return ack(s, msg)
    end
    return scan_dump(s, fam, idx, params.keep_elems)
end

function M.wait_event(grp_name, timeout, cb, data)
    local s <close>, serr = open()
    if not s then return nil, serr end
    local grp = genl.get_group_id('nl80211', grp_name)
    if not grp then return nil, 'not support' end
    local ok, err = s:bind(0)
    if not ok then return nil, err end
    ok, err = s:add_membership(grp)
    if not ok then return nil, err end
    ok, err = s:recv_messages(function(rx, hdr)
        if hdr.type < NLMSG_MIN_TYPE then return end
        local g = genl.parse_genlmsghdr(rx)
        if not g then return end
        local attrs = rx:parse_attr(GENLMSGHDR_SIZE)
        if not attrs then return end
        local r, e = cb(g.cmd, attrs, data)
        if r == true then return true end
        if r == false then return false, e end
    end, nil, nil, timeout)
    if not ok then return nil, err end
    return true
end

-- ---- statistics and status -----------------------------------------------------------------

function M.get_surveys(ifname)
    check_ifname(ifname)
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'no dev' end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_SURVEY, nl.NLM_F_DUMP)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    return collect(s, msg, n.parse_survey)
end

function M.get_noise(ifname)
    local surveys, err = M.get_surveys(ifname)
    if not surveys then return nil, err end
    for _, sv in ipairs(surveys) do
        if sv.noise then return sv.noise end
    end
    return 0
end

local function noise_of(ifname)
    return M.get_noise(ifname) or 0
end

function M.get_station(ifname, mac)
    check_ifname(ifname)
    if type(mac) ~= 'string' then error('invalid mac', 2) end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'no dev' end
    local msg = request(fam, n.CMD_GET_STATION, 0)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    msg:put_attr(n.ATTR_MAC, mac_bytes(mac))
    local sta, err
    do
        local s <close>, serr = open()
        if not s then return nil, serr end
        sta, err = first(s, msg, n.parse_station)
    end
    if not sta then return nil, err or 'invalid received' end
    sta.noise = noise_of(ifname)
    return sta
end

function M.get_stations(ifname)
    check_ifname(ifname)
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'no dev' end
    local noise = noise_of(ifname)
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_STATION, nl.NLM_F_DUMP)
    msg:put_attr_u32(n.ATTR_IFINDEX, idx)
    local list, err = collect(s, msg, n.parse_station)
    if not list then return nil, err end
    for _, sta in ipairs(list) do sta.noise = noise end
    return list
end

function M.get_protocol_features(phy)
    local idx, err = phy_index(phy)
    if not idx then return nil, err end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_PROTOCOL_FEATURES, 0)
    msg:put_attr_u32(n.ATTR_WIPHY, idx)
    local v, ferr2 = first(s, msg, n.parse_protocol_features)
    if not v then return nil, ferr2 end
    return v
end

function M.get_freqlist(phy)
    local idx, err = phy_index(phy)
    if not idx then return nil, err end
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local s <close>, serr = open()
    if not s then return nil, serr end
    local msg = request(fam, n.CMD_GET_WIPHY, nl.NLM_F_DUMP)
    msg:put_attr_u32(n.ATTR_WIPHY, idx)
    msg:put_attr_flag(n.ATTR_SPLIT_WIPHY_DUMP)
    local out = {}
    local ok, derr = dump(s, msg, function(payload)
        local done, e = n.parse_freqlist(payload, out)
        if not done then return e end
    end)
    if not ok then return nil, derr end
    return out
end

local link_fields = { 'rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets', 'tx_rate', 'rx_rate',
    'signal', 'ack_signal_avg' }

function M.get_link(ifname)
    check_ifname(ifname)
    local fam, ferr = genl.get_family_id('nl80211')
    if not fam then return nil, ferr end
    local idx = socket.if_nametoindex(ifname)
    if not idx then return nil, 'not connected' end
    local list
    do
        local s <close> = open()
        if not s then return nil, 'not connected' end
        list = scan_dump(s, fam, idx, false)
    end
    local bss
    for _, b in ipairs(list or {}) do
        if b.status == 'associated' or b.status == 'ibss_joined' then
            bss = b
            break
        end
    end
    if not bss then return nil, 'not connected' end
    local sta = M.get_station(ifname, bss.bssid)
    if sta then
        for _, k in ipairs(link_fields) do bss[k] = sta[k] end
    end
    return bss
end

return M
