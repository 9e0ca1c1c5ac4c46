--- eco.packet: raw packet builders and layered decoders (docs/packet.md).
-- The builders, the decoders and `pkt:next()` are native (one call per layer); this file adds
-- the one-line summaries of the packet objects (`tostring(pkt)`).
local native = ...

local M = {}

for _, k in ipairs({ 'from_ether', 'from_radiotap', 'from_ip', 'from_ip6', 'from_icmp',
    'from_icmp6', 'icmp', 'icmp6', 'udp', 'tcp', 'ip', 'arp', 'ether' }) do
    M[k] = native[k]
end

local format, concat = string.format, table.concat

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

native.meta.__tostring = function(self)
    local f = summaries[self.name]
    return f and f(self) or ''
end

return M
