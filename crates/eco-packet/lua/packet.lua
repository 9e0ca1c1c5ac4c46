--- eco.packet: raw packet builders and layered decoders (docs/packet.md).
-- The builders are native and exported as they are. Each decoded layer is one native call that
-- returns the layer's fields (bounds-checked in Rust); here they become a plain table with the
-- shared ParsedPacket metatable: `pkt:next()` and the one-line summaries (`tostring(pkt)`).
local native = ...

local M = {}

for k, f in pairs(native.build) do M[k] = f end

local type, error, setmetatable = type, error, setmetatable
local format, concat = string.format, table.concat

local methods = {}
local meta = { __index = methods }

-- what the length operator of the original raises for a non-string `data`
local function not_string(data)
    error(format("attempt to get length of a %s value (local 'data')", type(data)), 3)
end

-- ---- one constructor per layer: the native decoder returns the fields, or nil, err ----------

local n_ether, n_vlan, n_arp, n_ip, n_ip6 = native.ether, native.vlan, native.arp, native.ip, native.ip6
local n_icmp, n_icmp6, n_tcp, n_udp, n_radiotap = native.icmp, native.icmp6, native.tcp, native.udp,
    native.radiotap

local function ether(data)
    local dest, source, proto, rest = n_ether(data)
    if dest == nil then return nil, source end
    return setmetatable({ name = 'ETHER', dest = dest, source = source, proto = proto, data = rest }, meta)
end

local function vlan(data)
    if type(data) ~= 'string' then not_string(data) end
    local pri, vid, proto, rest = n_vlan(data)
    if pri == nil then return nil, vid end
    return setmetatable({ name = '8021Q', pri = pri, vid = vid, proto = proto, data = rest }, meta)
end

local function arp(data)
    if type(data) ~= 'string' then not_string(data) end
    local hrd, pro, hln, pln, op, sha, sip, tha, tip = n_arp(data)
    if hrd == nil then return nil, pro end
    return setmetatable({ name = 'ARP', ar_hrd = hrd, ar_pro = pro, ar_hln = hln, ar_pln = pln, op = op,
        sha = sha, sip = sip, tha = tha, tip = tip }, meta)
end

local function ip(data)
    if type(data) ~= 'string' then not_string(data) end
    local version, ihl, tos, tot_len, id, frag_off, ttl, protocol, sum, saddr, daddr, rest = n_ip(data)
    if version == nil then return nil, ihl end
    return setmetatable({ name = 'IP', version = version, ihl = ihl, tos = tos, tot_len = tot_len, id = id,
        frag_off = frag_off, ttl = ttl, protocol = protocol, check = sum, saddr = saddr, daddr = daddr,
        data = rest }, meta)
end

local function ip6(data)
    if type(data) ~= 'string' then not_string(data) end
    local version, priority, payload_len, nexthdr, hop_limit, saddr, daddr, rest = n_ip6(data)
    if version == nil then return nil, priority end
    local pkt = setmetatable({ name = 'IPV6', version = version, priority = priority,
        payload_len = payload_len, nexthdr = nexthdr, hop_limit = hop_limit, saddr = saddr,
        daddr = daddr, data = rest }, meta)
    if nexthdr == 6 or nexthdr == 17 then
        pkt.protocol = nexthdr
    elseif nexthdr == 4 then
        pkt.proto = 0x0800  -- IPv4 in IPv6
    elseif nexthdr == 41 then
        pkt.proto = 0x86DD  -- IPv6 in IPv6
    end
    return pkt
end

local function icmp_with(decode, name)
    return function(data)
        if type(data) ~= 'string' then not_string(data) end
        local typ, code, sum, id, seq, gateway, rest = decode(data)
        if typ == nil then return nil, code end
        return setmetatable({ name = name, type = typ, code = code, checksum = sum, id = id,
            sequence = seq, gateway = gateway, data = rest }, meta)
    end
end
local icmp, icmp6 = icmp_with(n_icmp, 'ICMP'), icmp_with(n_icmp6, 'ICMPV6')

-- The payload length comes from the IP layer: IPv4 `tot_len - ihl * 4`, IPv6 `payload_len`
-- (the original raised on IPv6; docs/packet.md).
local function tcp(data, parent)
    if type(data) ~= 'string' then not_string(data) end
    local avail
    local tot_len, ihl = parent.tot_len, parent.ihl
    if tot_len ~= nil and ihl ~= nil then
        avail = tot_len - ihl * 4
    else
        avail = parent.payload_len
    end
    local source, dest, seq, ack_seq, doff, fl, window, sum, urg_ptr, rest = n_tcp(data, avail)
    if source == nil then return nil, dest end
    return setmetatable({ name = 'TCP', source = source, dest = dest, seq = seq, ack_seq = ack_seq,
        doff = doff, cwr = fl & 0x80 ~= 0, ece = fl & 0x40 ~= 0, urg = fl & 0x20 ~= 0,
        ack = fl & 0x10 ~= 0, psh = fl & 0x08 ~= 0, rst = fl & 0x04 ~= 0, syn = fl & 0x02 ~= 0,
        fin = fl & 0x01 ~= 0, window = window, check = sum, urg_ptr = urg_ptr, data = rest }, meta)
end

local function udp(data)
    if type(data) ~= 'string' then not_string(data) end
    local source, dest, len, sum, rest = n_udp(data)
    if source == nil then return nil, dest end
    return setmetatable({ name = 'UDP', source = source, dest = dest, len = len, check = sum,
        data = rest }, meta)
end

local function radiotap(data)
    local fc, duration, addr1, addr2, addr3, addr4, timestamp, bi, capability, ssid = n_radiotap(data)
    if fc == nil then return nil, duration end
    return setmetatable({ name = '80211', version = fc & 3, type = (fc >> 2) & 3,
        subtype = (fc >> 4) & 0xf, to_ds = fc & 0x100 ~= 0, from_ds = fc & 0x200 ~= 0,
        more_frag = fc & 0x400 ~= 0, retry = fc & 0x800 ~= 0, pwr_mgmt = fc & 0x1000 ~= 0,
        more_data = fc & 0x2000 ~= 0, protected = fc & 0x4000 ~= 0, plus_htc = fc & 0x8000 ~= 0,
        duration = duration, addr1 = addr1, addr2 = addr2, addr3 = addr3, addr4 = addr4,
        timestamp = timestamp, beacon_interval = bi, capability = capability, ssid = ssid }, meta)
end

-- next layer by EtherType (`proto`) and by IP protocol (`protocol`)
local by_proto = { [0x8100] = vlan, [0x0806] = arp, [0x0800] = ip, [0x86DD] = ip6 }
local by_protocol = { [1] = icmp, [58] = icmp6, [6] = tcp, [17] = udp }

--- Decodes the layer after this one from `self.data` (docs/packet.md, "pkt:next()").
function methods:next()
    local proto = self.proto
    if proto ~= nil then
        local f = by_proto[proto]
        if not f then return nil, 'unknown L3 proto "' .. proto .. '"' end
        return f(self.data)
    end
    local protocol = self.protocol
    if protocol ~= nil then
        local f = by_protocol[protocol]
        if not f then return nil, 'unknown L4 protocol "' .. protocol .. '"' end
        return f(self.data, self)
    end
    return nil, 'no upper protocol layer'
end

function M.from_ether(data)
    if type(data) ~= 'string' then error('assertion failed!', 0) end
    return ether(data)
end

function M.from_radiotap(data)
    if type(data) ~= 'string' then error('assertion failed!', 0) end
    return radiotap(data)
end

M.from_ip, M.from_ip6, M.from_icmp, M.from_icmp6 = ip, ip6, icmp, icmp6

-- ---- summaries ------------------------------------------------------------------------------

local L3 = { [0x8100] = '8021Q', [0x0806] = 'ARP', [0x0800] = 'IP', [0x86DD] = 'IPV6' }
local L4 = { [1] = 'ICMP', [58] = 'ICMPV6', [6] = 'TCP', [17] = 'UDP' }

-- 802.11 frame names come from eco.nl80211 (an optional package): loaded on the first 802.11
-- summary; without it every frame reads `type 0xTT subtype 0xSS`.
local nl80211
local function ftype_name(typ, subtype)
    if nl80211 == nil then
        local ok, m = pcall(require, 'eco.nl80211')
        nl80211 = ok and type(m) == 'table' and type(m.ftype_name) == 'function' and m or false
    end
    if nl80211 then return nl80211.ftype_name(typ, subtype) end
    return nil
end

-- ICMP / ICMPv6 summary: `req`/`rep` are the echo request and reply types.
local function echo(self, req, rep)
    local typ = self.type
    if typ == req or typ == rep then
        return format('%s seq %s id %s len %d', typ == req and 'ECHO' or 'ECHOREPLY',
            self.sequence, self.id, #self.data)
    end
    return 'type ' .. typ .. ' len ' .. #self.data
end

local summaries = {
    ETHER = function(self)
        return self.source .. '->' .. self.dest .. ' ' .. (L3[self.proto] or self.proto)
    end,
    ['8021Q'] = function(self)
        return 'pri ' .. self.pri .. ' vid ' .. self.vid .. ' ' .. (L3[self.proto] or self.proto)
    end,
    ARP = function(self)
        if self.ar_hrd ~= 1 or self.ar_pro ~= 0x0800 then return '' end
        if self.op == 1 then
            return format('Request who-has %s (%s) tell %s', self.tip, self.tha, self.sip)
        end
        return format('Reply %s is-at %s', self.sip, self.sha)
    end,
    IP = function(self)
        return self.saddr .. '->' .. self.daddr .. ' ' .. (L4[self.protocol] or self.protocol)
    end,
    IPV6 = function(self)
        return self.saddr .. '->' .. self.daddr
    end,
    ICMP = function(self) return echo(self, 8, 0) end,
    ICMPV6 = function(self) return echo(self, 128, 129) end,
    TCP = function(self)
        local s = self.source .. '->' .. self.dest .. ' len ' .. #self.data
        if self.syn then s = s .. ' SYN' end
        if self.ack then s = s .. ' ACK' end
        if self.rst then s = s .. ' RST' end
        if self.fin then s = s .. ' FIN' end
        return s
    end,
    UDP = function(self)
        return self.source .. '->' .. self.dest .. ' len ' .. #self.data
    end,
    ['80211'] = function(self)
        local typ, subtype = self.type, self.subtype
        local parts = {}
        if self.addr1 then
            parts[1] = self.addr2 and (self.addr2 .. '->' .. self.addr1) or self.addr1
        end
        local name = ftype_name(typ, subtype)
        if name then
            parts[#parts + 1] = name
        else
            parts[#parts + 1] = format('type 0x%02x', typ)
            parts[#parts + 1] = format('subtype 0x%02x', subtype)
        end
        if typ == 0 then -- management (nl80211.FTYPE_MGMT)
            if self.beacon_interval then parts[#parts + 1] = 'BI=' .. self.beacon_interval end
            if self.ssid then parts[#parts + 1] = 'SSID="' .. self.ssid .. '"' end
        end
        return concat(parts, ' ')
    end,
}

meta.__tostring = function(self)
    local f = summaries[self.name]
    return f and f(self) or ''
end

return M
