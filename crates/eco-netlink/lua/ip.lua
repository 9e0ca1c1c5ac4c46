--- eco.ip: `ip link` / `ip addr` style helpers on rtnetlink (docs/netlink.md, "eco.ip").
-- Each call opens a fresh NETLINK_ROUTE socket and closes it before returning; interface names
-- are resolved with if_nametoindex first. Beyond the reference: `link.list`, `link.add`,
-- `link.del`, `route.list`, `route.get`, `route.add`/`route.del`, `neigh.list`, `neigh.add`,
-- `neigh.del` (same conventions).
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'
local socket = require 'eco.socket'

local AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
local REQ_ACK = nl.NLM_F_REQUEST | nl.NLM_F_ACK
local REQ_DUMP = nl.NLM_F_REQUEST | nl.NLM_F_DUMP

local attr_get_u8, attr_get_u32, attr_get_str = nl.attr_get_u8, nl.attr_get_u32, nl.attr_get_str
local attr_get_payload = nl.attr_get_payload
local if_nametoindex, if_indextoname = socket.if_nametoindex, socket.if_indextoname
local inet_pton, inet_ntop = socket.inet_pton, socket.inet_ntop

local M = { link = {}, address = {}, route = {}, neigh = {} }

local SCOPES = { global = 0, site = 200, link = 253, host = 254, nowhere = 255 }
local SCOPE_NAMES = {}
for k, v in pairs(SCOPES) do SCOPE_NAMES[v] = k end

local function open()
    return nl.open(nl.NETLINK_ROUTE)
end

-- Runs `f(sock)` on a fresh socket and closes it whatever happens.
local function with_socket(f)
    local s, err = open()
    if not s then return nil, err end
    local r = table.pack(pcall(f, s))
    s:close()
    if not r[1] then error(r[2], 0) end
    return table.unpack(r, 2, r.n)
end

local function mac_bytes(s)
    if type(s) ~= 'string' or not s:match('^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$') then return nil end
    return (s:gsub('(%x%x):?', function(h) return string.char(tonumber(h, 16)) end))
end

local function mac_text(b)
    return (b:gsub('.', function(c) return string.format('%02x:', c:byte()) end):sub(1, -2))
end

-- a string attribute, tolerating a missing terminator
local function str(a)
    local p = attr_get_payload(a)
    return (p:match('^[^%z]*'))
end

-- link -----------------------------------------------------------------------------------------

local function link_info(rx)
    local ifi = rtnl.parse_ifinfomsg(rx)
    if not ifi then return nil end
    local attrs = rx:parse_attr(rtnl.IFINFOMSG_SIZE)
    if not attrs then return nil end
    local f = ifi.flags
    local info = {
        index = ifi.index,
        type = ifi.type,
        flags = f,
        up = f & rtnl.IFF_UP ~= 0,
        running = f & rtnl.IFF_RUNNING ~= 0,
        arp = f & rtnl.IFF_NOARP == 0,
        dynamic = f & rtnl.IFF_DYNAMIC ~= 0,
        multicast = f & rtnl.IFF_MULTICAST ~= 0,
        allmulticast = f & rtnl.IFF_ALLMULTI ~= 0,
        promisc = f & rtnl.IFF_PROMISC ~= 0,
    }
    local a = attrs[rtnl.IFLA_IFNAME]
    if a then info.ifname = str(a) end
    a = attrs[rtnl.IFLA_CARRIER]
    if a then info.carrier = attr_get_u8(a) == 1 end
    a = attrs[rtnl.IFLA_MTU]
    if a then info.mtu = attr_get_u32(a) end
    a = attrs[rtnl.IFLA_TXQLEN]
    if a then info.txqueuelen = attr_get_u32(a) end
    a = attrs[rtnl.IFLA_ADDRESS]
    if a then info.address = mac_text(attr_get_payload(a)) end
    a = attrs[rtnl.IFLA_BROADCAST]
    if a then info.broadcast = mac_text(attr_get_payload(a)) end
    a = attrs[rtnl.IFLA_IFALIAS]
    if a then info.alias = str(a) end
    a = attrs[rtnl.IFLA_MASTER]
    if a then info.master = if_indextoname(attr_get_u32(a)) end
    a = attrs[rtnl.IFLA_OPERSTATE]
    if a then info.operstate = attr_get_u8(a) end
    a = attrs[rtnl.IFLA_LINKINFO]
    if a then
        local li = nl.parse_attr_nested(a)
        if li[rtnl.IFLA_INFO_KIND] then info.kind = str(li[rtnl.IFLA_INFO_KIND]) end
    end
    return info
end

local FLAG_KEYS = {
    { 'arp', 'IFF_NOARP', true }, { 'dynamic', 'IFF_DYNAMIC' }, { 'multicast', 'IFF_MULTICAST' },
    { 'allmulticast', 'IFF_ALLMULTI' }, { 'promisc', 'IFF_PROMISC' },
}

--- `ip link set dev DEV ...`: `true` or `nil, err`.
function M.link.set(dev, attrs)
    local index = if_nametoindex(dev)
    if not index then return nil, 'no such device' end
    attrs = attrs or {}
    local flags, change = 0, 0
    if attrs.up then
        change, flags = change | rtnl.IFF_UP, flags | rtnl.IFF_UP
    elseif attrs.down then
        change = change | rtnl.IFF_UP
    end
    for _, k in ipairs(FLAG_KEYS) do
        local v = attrs[k[1]]
        if v ~= nil then
            local bit = rtnl[k[2]]
            change = change | bit
            if (v and not k[3]) or (not v and k[3]) then flags = flags | bit end
        end
    end
    local address, broadcast
    if attrs.address ~= nil then
        address = mac_bytes(attrs.address)
        if not address then error('not a valid address', 2) end
    end
    if attrs.broadcast ~= nil then
        broadcast = mac_bytes(attrs.broadcast)
        if not broadcast then error('not a valid broadcast', 2) end
    end
    local master
    if attrs.master then
        master = if_nametoindex(attrs.master)
        if not master then return nil, 'Device does not exist: ' .. tostring(attrs.master) end
    end

    local msg = nl.nlmsg(rtnl.RTM_SETLINK, REQ_ACK)
    msg:put(rtnl.ifinfomsg({ family = AF_UNSPEC, index = index, flags = flags, change = change }))
    if attrs.carrier ~= nil then msg:put_attr_u8(rtnl.IFLA_CARRIER, attrs.carrier and 1 or 0) end
    if attrs.txqueuelen then msg:put_attr_u32(rtnl.IFLA_TXQLEN, attrs.txqueuelen) end
    if address then msg:put_attr(rtnl.IFLA_ADDRESS, address) end
    if broadcast then msg:put_attr(rtnl.IFLA_BROADCAST, broadcast) end
    if attrs.mtu then msg:put_attr_u32(rtnl.IFLA_MTU, attrs.mtu) end
    if attrs.alias then msg:put_attr_str(rtnl.IFLA_IFALIAS, attrs.alias) end
    if master then msg:put_attr_u32(rtnl.IFLA_MASTER, master) end
    if attrs.nomaster then msg:put_attr_u32(rtnl.IFLA_MASTER, 0) end
    return with_socket(function(s) return s:request_ack(msg) end)
end

--- `ip link show dev DEV`: an info table or `nil, err`.
function M.link.get(dev)
    local index = if_nametoindex(dev)
    if not index then return nil, 'no such device' end
    local msg = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST)
    msg:put(rtnl.ifinfomsg({ family = AF_UNSPEC, index = index }))
    return with_socket(function(s)
        local info
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type == rtnl.RTM_NEWLINK or hdr.type == rtnl.RTM_DELLINK then
                info = link_info(rx)
            end
            return true
        end)
        if not ok then return nil, err end
        if not info then return nil, 'no ack' end
        return info
    end)
end

--- Every link (a dump), in kernel order: the fields of `link.get` plus `index`, `flags`,
-- `operstate` and `kind` (IFLA_INFO_KIND) when present.
function M.link.list()
    local msg = nl.nlmsg(rtnl.RTM_GETLINK, REQ_DUMP)
    msg:put(rtnl.ifinfomsg({ family = AF_UNSPEC }))
    return with_socket(function(s)
        local list = {}
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type == rtnl.RTM_NEWLINK then list[#list + 1] = link_info(rx) end
        end)
        if not ok then return nil, err end
        return list
    end)
end

-- One attribute as bytes (for payloads nested deeper than the builder's one tracked level).
local function attr(typ, payload)
    return nl.nlmsg(0, 0, 0, #payload + 8):put_attr(typ, payload):binary():sub(17)
end

local NESTED = nl.NLA_F_NESTED
local MACVLAN_MODES = { private = 1, vepa = 2, bridge = 4, passthru = 8, source = 16 }

--- `ip link add NAME [link DEV] type KIND ...` (beyond the reference): `kind` is `"veth"`
-- (`opts.peer` names the peer), `"bridge"`, `"macvlan"` (`opts.link`, `opts.mode`, default
-- `"bridge"`), `"vxlan"` (`opts.id`, `opts.port`, `opts.link`) or any other kind the kernel knows
-- without data; `opts.mtu`, `opts.address` apply to all. `true` or `nil, err`.
function M.link.add(name, kind, opts)
    if type(name) ~= 'string' then error('invalid name', 2) end
    if type(kind) ~= 'string' then error('invalid kind', 2) end
    opts = opts or {}
    local address
    if opts.address ~= nil then
        address = mac_bytes(opts.address)
        if not address then error('not a valid address', 2) end
    end
    local link
    if opts.link then
        link = if_nametoindex(opts.link)
        if not link then return nil, 'Device does not exist: ' .. tostring(opts.link) end
    end
    local data
    if kind == 'veth' then
        if opts.peer then
            local peer = rtnl.ifinfomsg({}) .. attr(rtnl.IFLA_IFNAME, opts.peer .. '\0')
            data = attr(1 | NESTED, peer) -- VETH_INFO_PEER
        end
    elseif kind == 'macvlan' then
        local mode = MACVLAN_MODES[opts.mode or 'bridge']
        if not mode then return nil, 'invalid mode' end
        data = attr(1, string.pack('=I4', mode)) -- IFLA_MACVLAN_MODE
    elseif kind == 'vxlan' then
        if math.type(opts.id) ~= 'integer' then return nil, 'invalid id' end
        data = attr(1, string.pack('=I4', opts.id)) -- IFLA_VXLAN_ID
        if link then data = data .. attr(3, string.pack('=I4', link)) end -- IFLA_VXLAN_LINK
        if opts.port then data = data .. attr(15, string.pack('>I2', opts.port)) end -- network order
    end
    local info = attr(rtnl.IFLA_INFO_KIND, kind)
    if data then info = info .. attr(rtnl.IFLA_INFO_DATA | NESTED, data) end

    local msg = nl.nlmsg(rtnl.RTM_NEWLINK, REQ_ACK | nl.NLM_F_CREATE | nl.NLM_F_EXCL)
    msg:put(rtnl.ifinfomsg({ family = AF_UNSPEC }))
    msg:put_attr_strz(rtnl.IFLA_IFNAME, name)
    if opts.mtu then msg:put_attr_u32(rtnl.IFLA_MTU, opts.mtu) end
    if address then msg:put_attr(rtnl.IFLA_ADDRESS, address) end
    if link and kind ~= 'vxlan' then msg:put_attr_u32(rtnl.IFLA_LINK, link) end
    msg:put_attr(rtnl.IFLA_LINKINFO | NESTED, info)
    return with_socket(function(s) return s:request_ack(msg) end)
end

--- `ip link del DEV` (beyond the reference).
function M.link.del(dev)
    local index = if_nametoindex(dev)
    if not index then return nil, 'no such device' end
    local msg = nl.nlmsg(rtnl.RTM_DELLINK, REQ_ACK)
    msg:put(rtnl.ifinfomsg({ family = AF_UNSPEC, index = index }))
    return with_socket(function(s) return s:request_ack(msg) end)
end

-- address --------------------------------------------------------------------------------------

local function addr_change(typ, dev, addr)
    local index = if_nametoindex(dev)
    if not index then return nil, 'no such device' end
    local address = addr.address
    local prefix = addr.prefix or 32
    if type(prefix) == 'string' then prefix = tonumber(prefix) end
    prefix = math.tointeger(prefix)
    if not prefix then error('invalid prefix', 2) end
    if address:find('/', 1, true) then
        local ip, len = address:match('^(%d+%.%d+%.%d+%.%d+)/(%d+)$')
        if not ip then return nil, 'invalid local address' end
        address, prefix = ip, tonumber(len)
    end
    if prefix > 32 or prefix < 0 then return nil, 'invalid prefix length' end
    local binaddr = inet_pton(AF_INET, address)
    if not binaddr then return nil, 'invalid local address' end
    local scope = SCOPES[addr.scope or 'global']
    if not scope then return nil, 'invalid scope' end
    local brd
    if addr.broadcast then
        brd = inet_pton(AF_INET, addr.broadcast)
        if not brd then return nil, 'invalid broadcast address' end
    end

    local msg = nl.nlmsg(typ, REQ_ACK)
    msg:put(rtnl.ifaddrmsg({ family = AF_INET, prefixlen = prefix, scope = scope, index = index }))
    msg:put_attr(rtnl.IFA_LOCAL, binaddr)
    if brd then msg:put_attr(rtnl.IFA_BROADCAST, brd) end
    if addr.label then msg:put_attr_str(rtnl.IFA_LABEL, addr.label) end
    if rtnl.IFA_RT_PRIORITY then
        if addr.metric then msg:put_attr_u32(rtnl.IFA_RT_PRIORITY, addr.metric) end
        if addr.priority then msg:put_attr_u32(rtnl.IFA_RT_PRIORITY, addr.priority) end
    end
    return with_socket(function(s) return s:request_ack(msg) end)
end

--- `ip addr add ADDR dev DEV` (IPv4).
function M.address.add(dev, addr)
    return addr_change(rtnl.RTM_NEWADDR, dev, addr)
end

--- `ip addr del ADDR dev DEV` (IPv4).
function M.address.del(dev, addr)
    return addr_change(rtnl.RTM_DELADDR, dev, addr)
end

--- `ip addr show [dev DEV]`: an array of `{ifname, family, scope, address, broadcast, label}`
-- (plus `prefixlen` and `index`, beyond the reference).
function M.address.get(dev)
    local want
    if dev ~= nil then
        want = if_nametoindex(dev)
        if not want then return nil, 'no such device' end
    end
    local msg = nl.nlmsg(rtnl.RTM_GETADDR, REQ_DUMP)
    msg:put(rtnl.ifaddrmsg({ family = AF_UNSPEC }))
    return with_socket(function(s)
        local list = {}
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type ~= rtnl.RTM_NEWADDR then return end
            local ifa = rtnl.parse_ifaddrmsg(rx)
            if not ifa or (want and ifa.index ~= want) then return end
            local attrs = rx:parse_attr(rtnl.IFADDRMSG_SIZE)
            if not attrs then return end
            local fam = ifa.family
            local a
            if fam == AF_INET then a = attrs[rtnl.IFA_LOCAL]
            elseif fam == AF_INET6 then a = attrs[rtnl.IFA_ADDRESS] end
            if not a then return end
            local e = {
                ifname = if_indextoname(ifa.index),
                index = ifa.index,
                family = fam,
                prefixlen = ifa.prefixlen,
                scope = SCOPE_NAMES[ifa.scope],
                address = inet_ntop(fam, attr_get_payload(a)),
            }
            if fam == AF_INET and attrs[rtnl.IFA_BROADCAST] then
                e.broadcast = inet_ntop(AF_INET, attr_get_payload(attrs[rtnl.IFA_BROADCAST]))
            end
            if attrs[rtnl.IFA_LABEL] then e.label = str(attrs[rtnl.IFA_LABEL]) end
            list[#list + 1] = e
        end)
        if not ok then return nil, err end
        if want and #list == 0 then return nil, 'not found' end
        return list
    end)
end

-- route (beyond the reference) -----------------------------------------------------------------

local function ip_text(fam, a)
    if not a then return nil end
    return inet_ntop(fam, attr_get_payload(a))
end

local function route_info(rx)
    local rt = rtnl.parse_rtmsg(rx)
    local attrs = rt and rx:parse_attr(rtnl.RTMSG_SIZE)
    if not attrs then return nil end
    local oif = attrs[rtnl.RTA_OIF] and attr_get_u32(attrs[rtnl.RTA_OIF])
    return {
        family = rt.family,
        dst = ip_text(rt.family, attrs[rtnl.RTA_DST]),
        dst_len = rt.dst_len,
        gateway = ip_text(rt.family, attrs[rtnl.RTA_GATEWAY]),
        prefsrc = ip_text(rt.family, attrs[rtnl.RTA_PREFSRC]),
        dev = oif and if_indextoname(oif),
        table = attrs[rtnl.RTA_TABLE] and attr_get_u32(attrs[rtnl.RTA_TABLE]) or rt.table,
        protocol = rt.protocol,
        scope = rt.scope,
        type = rt.type,
        metric = attrs[rtnl.RTA_PRIORITY] and attr_get_u32(attrs[rtnl.RTA_PRIORITY]),
    }
end

--- `ip route show [table all]`: every route of `family` (default: IPv4) as
-- `{family, dst, dst_len, gateway, prefsrc, dev, table, protocol, scope, type, metric}`;
-- `dst` is nil for a default route.
function M.route.list(family)
    family = family or AF_INET
    local msg = nl.nlmsg(rtnl.RTM_GETROUTE, REQ_DUMP)
    msg:put(rtnl.rtmsg({ family = family }))
    return with_socket(function(s)
        local list = {}
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type ~= rtnl.RTM_NEWROUTE then return end
            local r = route_info(rx)
            if r and r.family == family then list[#list + 1] = r end
        end)
        if not ok then return nil, err end
        return list
    end)
end

--- `ip route get ADDR`: the route the kernel would use for `addr` (IPv4 or IPv6), a table like
-- those of `route.list` (`dst` is `addr`), or `nil, err`.
function M.route.get(addr)
    if type(addr) ~= 'string' then error('invalid address', 2) end
    local family, bin = AF_INET, inet_pton(AF_INET, addr)
    if not bin then family, bin = AF_INET6, inet_pton(AF_INET6, addr) end
    if not bin then return nil, 'invalid address' end
    local msg = nl.nlmsg(rtnl.RTM_GETROUTE, nl.NLM_F_REQUEST)
    msg:put(rtnl.rtmsg({ family = family, dst_len = #bin * 8 }))
    msg:put_attr(rtnl.RTA_DST, bin)
    return with_socket(function(s)
        local r
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type == rtnl.RTM_NEWROUTE then r = route_info(rx) end
            return true
        end)
        if not ok then return nil, err end
        if not r then return nil, 'no route' end
        return r
    end)
end

local function route_change(typ, flags, r)
    local dst, len = r.dst, nil
    local family = AF_INET
    if dst and dst ~= 'default' then
        local ip, l = dst:match('^(.-)/(%d+)$')
        dst, len = ip or dst, tonumber(l)
        if not inet_pton(AF_INET, dst) then family = AF_INET6 end
    else
        dst, len = nil, 0
    end
    local bdst = dst and inet_pton(family, dst)
    if dst and not bdst then return nil, 'invalid destination' end
    len = len or (family == AF_INET and 32 or 128)
    local gw
    if r.gateway then
        gw = inet_pton(family, r.gateway)
        if not gw then return nil, 'invalid gateway' end
    end
    local oif
    if r.dev then
        oif = if_nametoindex(r.dev)
        if not oif then return nil, 'no such device' end
    end
    local scope = gw and 0 or (oif and r.type == nil and 253 or 0)
    if typ == rtnl.RTM_DELROUTE then scope = 255 end -- RT_SCOPE_NOWHERE: any scope
    local tbl = r.table or rtnl.RT_TABLE_MAIN
    local msg = nl.nlmsg(typ, flags)
    msg:put(rtnl.rtmsg({
        family = family, dst_len = len, table = tbl < 256 and tbl or 0,
        protocol = r.protocol or rtnl.RTPROT_BOOT, scope = scope, type = r.type or rtnl.RTN_UNICAST,
    }))
    if bdst then msg:put_attr(rtnl.RTA_DST, bdst) end
    if gw then msg:put_attr(rtnl.RTA_GATEWAY, gw) end
    if oif then msg:put_attr_u32(rtnl.RTA_OIF, oif) end
    if r.metric then msg:put_attr_u32(rtnl.RTA_PRIORITY, r.metric) end
    if tbl >= 256 then msg:put_attr_u32(rtnl.RTA_TABLE, tbl) end
    return with_socket(function(s) return s:request_ack(msg) end)
end

--- `ip route add DST [via GW] [dev DEV] [metric N] [table T]`: `r` is
-- `{dst = 'a.b.c.d/len' | 'default', gateway =, dev =, metric =, table =, protocol =, type =}`.
function M.route.add(r)
    return route_change(rtnl.RTM_NEWROUTE, REQ_ACK | nl.NLM_F_CREATE | nl.NLM_F_EXCL, r)
end

--- `ip route del ...` with the same table as `route.add`.
function M.route.del(r)
    return route_change(rtnl.RTM_DELROUTE, REQ_ACK, r)
end

-- neighbours (beyond the reference) ------------------------------------------------------------

--- `ip neigh show`: `{family, dst, lladdr, dev, state}` for every neighbour entry.
function M.neigh.list(family)
    local msg = nl.nlmsg(rtnl.RTM_GETNEIGH, REQ_DUMP)
    msg:put(rtnl.ndmsg({ family = family or AF_UNSPEC }))
    return with_socket(function(s)
        local list = {}
        local ok, err = s:request_dump(msg, function(rx, hdr)
            if hdr.type ~= rtnl.RTM_NEWNEIGH then return end
            local nd = rtnl.parse_ndmsg(rx)
            local attrs = nd and rx:parse_attr(rtnl.NDMSG_SIZE)
            if not attrs or (nd.family ~= AF_INET and nd.family ~= AF_INET6) then return end
            list[#list + 1] = {
                family = nd.family,
                dst = ip_text(nd.family, attrs[rtnl.NDA_DST]),
                lladdr = attrs[rtnl.NDA_LLADDR] and mac_text(attr_get_payload(attrs[rtnl.NDA_LLADDR])),
                dev = if_indextoname(nd.index),
                state = nd.state,
            }
        end)
        if not ok then return nil, err end
        return list
    end)
end

local function neigh_change(typ, flags, dev, n)
    local index = if_nametoindex(dev)
    if not index then return nil, 'no such device' end
    if type(n) ~= 'table' or type(n.dst) ~= 'string' then error('invalid neighbour', 2) end
    local family, dst = AF_INET, inet_pton(AF_INET, n.dst)
    if not dst then family, dst = AF_INET6, inet_pton(AF_INET6, n.dst) end
    if not dst then return nil, 'invalid address' end
    local lladdr
    if n.lladdr ~= nil then
        lladdr = mac_bytes(n.lladdr)
        if not lladdr then error('not a valid lladdr', 2) end
    end
    local msg = nl.nlmsg(typ, flags)
    msg:put(rtnl.ndmsg({ family = family, index = index, state = n.state or rtnl.NUD_PERMANENT }))
    msg:put_attr(rtnl.NDA_DST, dst)
    if lladdr then msg:put_attr(rtnl.NDA_LLADDR, lladdr) end
    return with_socket(function(s) return s:request_ack(msg) end)
end

--- `ip neigh replace DST lladdr MAC dev DEV nud permanent`: `n = {dst =, lladdr =, state =}`
-- (`state`: NUD_* bits, default NUD_PERMANENT).
function M.neigh.add(dev, n)
    return neigh_change(rtnl.RTM_NEWNEIGH, REQ_ACK | nl.NLM_F_CREATE | nl.NLM_F_REPLACE, dev, n)
end

--- `ip neigh del DST dev DEV`.
function M.neigh.del(dev, n)
    return neigh_change(rtnl.RTM_DELNEIGH, REQ_ACK, dev, n)
end

return M
