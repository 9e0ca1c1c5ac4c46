-- eco.rtnl: every constant of the contract, the fixed-header builders and parsers in host byte
-- order (docs/netlink.md checklist items 19, 20) and a link dump read with them.
local T = require 'testlib'
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'

local function check(prefix, list, first)
    local v = first
    for name in list:gmatch('%S+') do
        if name ~= '-' then
            T.eq(math.type(rtnl[prefix .. name]), 'integer', prefix .. name)
            T.eq(rtnl[prefix .. name], v, prefix .. name)
        end
        v = v + 1
    end
end

local RTM = {
    NEWLINK = 16, DELLINK = 17, GETLINK = 18, SETLINK = 19, NEWADDR = 20, DELADDR = 21,
    GETADDR = 22, NEWROUTE = 24, DELROUTE = 25, GETROUTE = 26, NEWNEIGH = 28, DELNEIGH = 29,
    GETNEIGH = 30, NEWRULE = 32, DELRULE = 33, GETRULE = 34, NEWQDISC = 36, DELQDISC = 37,
    GETQDISC = 38, NEWTCLASS = 40, DELTCLASS = 41, GETTCLASS = 42, NEWTFILTER = 44,
    DELTFILTER = 45, GETTFILTER = 46, NEWACTION = 48, DELACTION = 49, GETACTION = 50,
    NEWPREFIX = 52, GETMULTICAST = 58, GETANYCAST = 62, NEWNEIGHTBL = 64, GETNEIGHTBL = 66,
    SETNEIGHTBL = 67, NEWNDUSEROPT = 68, NEWADDRLABEL = 72, DELADDRLABEL = 73,
    GETADDRLABEL = 74, GETDCB = 78, SETDCB = 79, NEWNETCONF = 80, DELNETCONF = 81,
    GETNETCONF = 82, NEWMDB = 84, DELMDB = 85, GETMDB = 86, NEWNSID = 88, DELNSID = 89,
    GETNSID = 90, NEWSTATS = 92, GETSTATS = 94, NEWCACHEREPORT = 96,
}
for k, v in pairs(RTM) do T.eq(rtnl['RTM_' .. k], v, 'RTM_' .. k) end
local IFF = {
    UP = 0x1, BROADCAST = 0x2, DEBUG = 0x4, LOOPBACK = 0x8, POINTOPOINT = 0x10, NOTRAILERS = 0x20,
    RUNNING = 0x40, NOARP = 0x80, PROMISC = 0x100, ALLMULTI = 0x200, MASTER = 0x400, SLAVE = 0x800,
    MULTICAST = 0x1000, PORTSEL = 0x2000, AUTOMEDIA = 0x4000, DYNAMIC = 0x8000,
}
for k, v in pairs(IFF) do T.eq(rtnl['IFF_' .. k], v, 'IFF_' .. k) end
check('IFLA_', [[UNSPEC ADDRESS BROADCAST IFNAME MTU LINK QDISC STATS COST PRIORITY MASTER WIRELESS
    PROTINFO TXQLEN MAP WEIGHT OPERSTATE LINKMODE LINKINFO NET_NS_PID IFALIAS NUM_VF VFINFO_LIST
    STATS64 VF_PORTS PORT_SELF AF_SPEC GROUP NET_NS_FD EXT_MASK PROMISCUITY NUM_TX_QUEUES
    NUM_RX_QUEUES CARRIER PHYS_PORT_ID CARRIER_CHANGES PHYS_SWITCH_ID LINK_NETNSID PHYS_PORT_NAME
    PROTO_DOWN GSO_MAX_SEGS GSO_MAX_SIZE PAD XDP EVENT]], 0)
T.eq(rtnl['IFLA_NUM_VF\t'], 21); T.eq(rtnl['IFLA_GROUP\t'], 27); T.eq(rtnl['IFLA_EXT_MASK\t'], 29)
check('IFA_', 'UNSPEC ADDRESS LOCAL LABEL BROADCAST ANYCAST CACHEINFO MULTICAST FLAGS RT_PRIORITY', 0)
check('RTA_', [[- DST SRC IIF OIF GATEWAY PRIORITY PREFSRC METRICS MULTIPATH - FLOW CACHEINFO - -
    TABLE MARK MFC_STATS VIA NEWDST PREF ENCAP_TYPE ENCAP EXPIRES PAD UID TTL_PROPAGATE IP_PROTO
    SPORT DPORT NH_ID]], 0)
check('RTNLGRP_', [[LINK NOTIFY NEIGH TC IPV4_IFADDR IPV4_MROUTE IPV4_ROUTE IPV4_RULE IPV6_IFADDR
    IPV6_MROUTE IPV6_ROUTE IPV6_IFINFO DECnet_IFADDR NOP2 DECnet_ROUTE DECnet_RULE NOP4 IPV6_PREFIX
    IPV6_RULE ND_USEROPT PHONET_IFADDR PHONET_ROUTE DCB IPV4_NETCONF IPV6_NETCONF MDB MPLS_ROUTE NSID
    MPLS_NETCONF IPV4_MROUTE_R IPV6_MROUTE_R]], 1)
local RTMGRP = { LINK = 0x1, NOTIFY = 0x2, NEIGH = 0x4, IPV4_IFADDR = 0x10, IPV4_MROUTE = 0x20,
    IPV4_ROUTE = 0x40, IPV4_RULE = 0x80, IPV6_IFADDR = 0x100, IPV6_MROUTE = 0x200,
    IPV6_ROUTE = 0x400, IPV6_IFINFO = 0x800 }
for k, v in pairs(RTMGRP) do T.eq(rtnl['RTMGRP_' .. k], v, 'RTMGRP_' .. k) end
for k, v in pairs({ UNIVERSE = 0, SITE = 200, LINK = 253, HOST = 254, NOWHERE = 255 }) do
    T.eq(rtnl['RT_SCOPE_' .. k], v, 'RT_SCOPE_' .. k)
end
check('RTN_', 'UNSPEC UNICAST LOCAL BROADCAST ANYCAST MULTICAST BLACKHOLE UNREACHABLE PROHIBIT THROW NAT XRESOLVE', 0)
check('RTPROT_', 'UNSPEC REDIRECT KERNEL BOOT STATIC', 0)
T.eq(rtnl.IFINFOMSG_SIZE, 16); T.eq(rtnl.IFADDRMSG_SIZE, 8); T.eq(rtnl.RTMSG_SIZE, 12)
T.eq(rtnl.NDMSG_SIZE, 12)

-- 19: builders, host order, truncation, "to integer" semantics
T.eq(rtnl.ifinfomsg({ family = 0, type = 1, index = 2, flags = 3, change = 4 }),
    string.pack('=BBI2i4I4I4', 0, 0, 1, 2, 3, 4))
T.eq(#rtnl.ifinfomsg({}), 16)
T.eq(rtnl.ifinfomsg({ family = 0x102, type = 'x', index = -1, flags = '7', change = 2.0 }),
    string.pack('=BBI2i4I4I4', 2, 0, 0, -1, 7, 2))
T.eq(rtnl.ifaddrmsg({ family = 2, prefixlen = 24, flags = 0x80, scope = 253, index = 9 }),
    string.pack('=BBBBI4', 2, 24, 0x80, 253, 9))
T.eq(#rtnl.ifaddrmsg({}), 8)
T.eq(rtnl.rtmsg({ family = 10, dst_len = 64, src_len = 1, tos = 2, table = 254, protocol = 4,
    scope = 253, type = 1, flags = 0x1000 }), string.pack('=BBBBBBBBI4', 10, 64, 1, 2, 254, 4, 253, 1, 0x1000))
T.eq(#rtnl.rtmsg({}), 12)
T.eq(rtnl.rtgenmsg({ family = 2 }), '\2')
T.eq(rtnl.ndmsg({ family = 2, index = 3, state = 0x80, flags = 1, type = 1 }),
    string.pack('=BBI2i4I2BB', 2, 0, 0, 3, 0x80, 1, 1))
T.raises('table expected', rtnl.ifinfomsg, 1)
T.raises('table expected', rtnl.ifaddrmsg)
T.raises('table expected', rtnl.rtmsg, 'x')

-- parsers: accepted types, short payloads, no current message
local function rx_of(typ, payload)
    local rx = nl.nlmsg_ker(nl.nlmsg(typ, 0):put(payload):binary())
    rx:next()
    return rx
end
local ifi = string.pack('=BBI2i4I4I4', 7, 0, 772, -5, 0x49, 1)
for _, typ in ipairs({ rtnl.RTM_NEWLINK, rtnl.RTM_DELLINK }) do
    local r = rtnl.parse_ifinfomsg(rx_of(typ, ifi))
    T.eq(r.family, 7); T.eq(r.type, 772); T.eq(r.index, -5); T.eq(r.flags, 0x49); T.eq(r.change, 1)
end
T.fails('invalid nlmsg type', rtnl.parse_ifinfomsg(rx_of(rtnl.RTM_NEWADDR, ifi)))
T.fails('invalid nlmsg', rtnl.parse_ifinfomsg(rx_of(rtnl.RTM_NEWLINK, 'short')))
T.fails('invalid nlmsg', rtnl.parse_ifinfomsg(nl.nlmsg_ker(nl.nlmsg(16, 0):put(ifi):binary())))
local ifa = string.pack('=BBBBI4', 2, 24, 0x80, 253, 9)
local r = rtnl.parse_ifaddrmsg(rx_of(rtnl.RTM_NEWADDR, ifa))
T.eq(r.family, 2); T.eq(r.prefixlen, 24); T.eq(r.flags, 0x80); T.eq(r.scope, 253); T.eq(r.index, 9)
T.fails('invalid nlmsg type', rtnl.parse_ifaddrmsg(rx_of(rtnl.RTM_DELADDR, ifa)))   -- 20
T.fails('invalid nlmsg', rtnl.parse_ifaddrmsg(rx_of(rtnl.RTM_NEWADDR, 'abc')))
local rtm = string.pack('=BBBBBBBBI4', 10, 64, 1, 2, 254, 4, 253, 1, 0x1000)
for _, typ in ipairs({ rtnl.RTM_NEWROUTE, rtnl.RTM_DELROUTE }) do
    r = rtnl.parse_rtmsg(rx_of(typ, rtm))
    T.eq(r.family, 10); T.eq(r.dst_len, 64); T.eq(r.src_len, 1); T.eq(r.tos, 2); T.eq(r.table, 254)
    T.eq(r.protocol, 4); T.eq(r.scope, 253); T.eq(r.type, 1); T.eq(r.flags, 0x1000)
end
T.fails('invalid nlmsg type', rtnl.parse_rtmsg(rx_of(rtnl.RTM_NEWLINK, rtm)))
T.fails('invalid nlmsg', rtnl.parse_rtmsg(rx_of(rtnl.RTM_NEWROUTE, 'abc')))
r = rtnl.parse_ndmsg(rx_of(rtnl.RTM_NEWNEIGH, rtnl.ndmsg({ family = 2, index = 3, state = 0x80, flags = 1, type = 1 })))
T.eq(r.family, 2); T.eq(r.index, 3); T.eq(r.state, 0x80); T.eq(r.flags, 1); T.eq(r.type, 1)
T.raises('nlmsg_ker expected', rtnl.parse_rtmsg, {})

-- a real dump: every RTM_NEWLINK parses, lo is there with its flags
T.go(function()
    local s <close> = assert(nl.open(nl.NETLINK_ROUTE))
    local req = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST | nl.NLM_F_DUMP)
    req:put(rtnl.ifinfomsg({}))
    local lo
    T.same({ true }, s:request_dump(req, function(rx, hdr)
        local info = assert(rtnl.parse_ifinfomsg(rx))
        local attrs = assert(rx:parse_attr(rtnl.IFINFOMSG_SIZE))
        if nl.attr_get_str(attrs[rtnl.IFLA_IFNAME]) == 'lo' then lo = info end
        T.eq(hdr.type, rtnl.RTM_NEWLINK)
    end))
    T.ok(lo, 'lo')
    T.eq(lo.type, 772)
    T.ok(lo.flags & rtnl.IFF_LOOPBACK ~= 0)
end)
