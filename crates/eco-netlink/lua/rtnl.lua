--- eco.rtnl: rtnetlink fixed headers and constants (docs/netlink.md). The builders
-- (`rtgenmsg`, `ifinfomsg`, `ifaddrmsg`, `rtmsg`, `ndmsg`) and parsers (`parse_ifinfomsg`,
-- `parse_ifaddrmsg`, `parse_rtmsg`, `parse_ndmsg`) are native, in host byte order.
local native = ...

local M = {}
for k, v in pairs(native) do M[k] = v end

-- Constant groups as (prefix, names from value `first` on, stepping `step`); `false` skips a value.
local function seq(prefix, first, names, step)
    local v = first
    for _, name in ipairs(names) do
        if name then M[prefix .. name] = v end
        v = v + (step or 1)
    end
end

seq('RTM_', 16, {
    'NEWLINK', 'DELLINK', 'GETLINK', 'SETLINK', 'NEWADDR', 'DELADDR', 'GETADDR', false,
    'NEWROUTE', 'DELROUTE', 'GETROUTE', false, 'NEWNEIGH', 'DELNEIGH', 'GETNEIGH', false,
    'NEWRULE', 'DELRULE', 'GETRULE', false, 'NEWQDISC', 'DELQDISC', 'GETQDISC', false,
    'NEWTCLASS', 'DELTCLASS', 'GETTCLASS', false, 'NEWTFILTER', 'DELTFILTER', 'GETTFILTER', false,
    'NEWACTION', 'DELACTION', 'GETACTION', false, 'NEWPREFIX', false, false, false,
    false, false, 'GETMULTICAST', false, false, false, 'GETANYCAST', false,
    'NEWNEIGHTBL', false, 'GETNEIGHTBL', 'SETNEIGHTBL', 'NEWNDUSEROPT', false, false, false,
    'NEWADDRLABEL', 'DELADDRLABEL', 'GETADDRLABEL', false, false, false, 'GETDCB', 'SETDCB',
    'NEWNETCONF', 'DELNETCONF', 'GETNETCONF', false, 'NEWMDB', 'DELMDB', 'GETMDB', false,
    'NEWNSID', 'DELNSID', 'GETNSID', false, 'NEWSTATS', false, 'GETSTATS', false,
    'NEWCACHEREPORT',
})

do
    local names = { 'UP', 'BROADCAST', 'DEBUG', 'LOOPBACK', 'POINTOPOINT', 'NOTRAILERS', 'RUNNING',
        'NOARP', 'PROMISC', 'ALLMULTI', 'MASTER', 'SLAVE', 'MULTICAST', 'PORTSEL', 'AUTOMEDIA',
        'DYNAMIC', 'LOWER_UP', 'DORMANT', 'ECHO' }
    for i, name in ipairs(names) do M['IFF_' .. name] = 1 << (i - 1) end
end

seq('IFLA_', 0, {
    'UNSPEC', 'ADDRESS', 'BROADCAST', 'IFNAME', 'MTU', 'LINK', 'QDISC', 'STATS', 'COST',
    'PRIORITY', 'MASTER', 'WIRELESS', 'PROTINFO', 'TXQLEN', 'MAP', 'WEIGHT', 'OPERSTATE',
    'LINKMODE', 'LINKINFO', 'NET_NS_PID', 'IFALIAS', 'NUM_VF', 'VFINFO_LIST', 'STATS64',
    'VF_PORTS', 'PORT_SELF', 'AF_SPEC', 'GROUP', 'NET_NS_FD', 'EXT_MASK', 'PROMISCUITY',
    'NUM_TX_QUEUES', 'NUM_RX_QUEUES', 'CARRIER', 'PHYS_PORT_ID', 'CARRIER_CHANGES',
    'PHYS_SWITCH_ID', 'LINK_NETNSID', 'PHYS_PORT_NAME', 'PROTO_DOWN', 'GSO_MAX_SEGS',
    'GSO_MAX_SIZE', 'PAD', 'XDP', 'EVENT',
    -- beyond the reference (linux/if_link.h)
    'NEW_NETNSID', 'IF_NETNSID', 'CARRIER_UP_COUNT', 'CARRIER_DOWN_COUNT', 'NEW_IFINDEX',
    'MIN_MTU', 'MAX_MTU', 'PROP_LIST', 'ALT_IFNAME', 'PERM_ADDRESS', 'PROTO_DOWN_REASON',
    'PARENT_DEV_NAME', 'PARENT_DEV_BUS_NAME',
})
-- the reference registers these three under keys ending with a TAB
M['IFLA_NUM_VF\t'], M['IFLA_GROUP\t'], M['IFLA_EXT_MASK\t'] = M.IFLA_NUM_VF, M.IFLA_GROUP, M.IFLA_EXT_MASK
-- IFLA_LINKINFO's nested attributes
seq('IFLA_INFO_', 0, { 'UNSPEC', 'KIND', 'DATA', 'XSTATS', 'SLAVE_KIND', 'SLAVE_DATA' })

seq('IFA_', 0, { 'UNSPEC', 'ADDRESS', 'LOCAL', 'LABEL', 'BROADCAST', 'ANYCAST', 'CACHEINFO',
    'MULTICAST', 'FLAGS', 'RT_PRIORITY', 'TARGET_NETNSID', 'PROTO' })
do
    local names = { 'SECONDARY', 'NODAD', 'OPTIMISTIC', 'DADFAILED', 'HOMEADDRESS', 'DEPRECATED',
        'TENTATIVE', 'PERMANENT', 'MANAGETEMPADDR', 'NOPREFIXROUTE', 'MCAUTOJOIN', 'STABLE_PRIVACY' }
    for i, name in ipairs(names) do M['IFA_F_' .. name] = 1 << (i - 1) end
    M.IFA_F_TEMPORARY = M.IFA_F_SECONDARY
end

seq('RTA_', 0, { 'UNSPEC', 'DST', 'SRC', 'IIF', 'OIF', 'GATEWAY', 'PRIORITY', 'PREFSRC',
    'METRICS', 'MULTIPATH', false, 'FLOW', 'CACHEINFO', false, false, 'TABLE', 'MARK',
    'MFC_STATS', 'VIA', 'NEWDST', 'PREF', 'ENCAP_TYPE', 'ENCAP', 'EXPIRES', 'PAD', 'UID',
    'TTL_PROPAGATE', 'IP_PROTO', 'SPORT', 'DPORT', 'NH_ID' })

seq('RTNLGRP_', 1, { 'LINK', 'NOTIFY', 'NEIGH', 'TC', 'IPV4_IFADDR', 'IPV4_MROUTE', 'IPV4_ROUTE',
    'IPV4_RULE', 'IPV6_IFADDR', 'IPV6_MROUTE', 'IPV6_ROUTE', 'IPV6_IFINFO', 'DECnet_IFADDR', 'NOP2',
    'DECnet_ROUTE', 'DECnet_RULE', 'NOP4', 'IPV6_PREFIX', 'IPV6_RULE', 'ND_USEROPT',
    'PHONET_IFADDR', 'PHONET_ROUTE', 'DCB', 'IPV4_NETCONF', 'IPV6_NETCONF', 'MDB', 'MPLS_ROUTE',
    'NSID', 'MPLS_NETCONF', 'IPV4_MROUTE_R', 'IPV6_MROUTE_R' })

M.RTMGRP_LINK, M.RTMGRP_NOTIFY, M.RTMGRP_NEIGH = 0x1, 0x2, 0x4
M.RTMGRP_TC = 0x8
M.RTMGRP_IPV4_IFADDR, M.RTMGRP_IPV4_MROUTE, M.RTMGRP_IPV4_ROUTE = 0x10, 0x20, 0x40
M.RTMGRP_IPV4_RULE, M.RTMGRP_IPV6_IFADDR, M.RTMGRP_IPV6_MROUTE = 0x80, 0x100, 0x200
M.RTMGRP_IPV6_ROUTE, M.RTMGRP_IPV6_IFINFO = 0x400, 0x800

M.RT_SCOPE_UNIVERSE, M.RT_SCOPE_SITE, M.RT_SCOPE_LINK = 0, 200, 253
M.RT_SCOPE_HOST, M.RT_SCOPE_NOWHERE = 254, 255

seq('RTN_', 0, { 'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE',
    'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE' })
seq('RTPROT_', 0, { 'UNSPEC', 'REDIRECT', 'KERNEL', 'BOOT', 'STATIC' })
-- routing tables (beyond the reference)
M.RT_TABLE_UNSPEC, M.RT_TABLE_DEFAULT, M.RT_TABLE_MAIN, M.RT_TABLE_LOCAL = 0, 253, 254, 255

-- neighbours (beyond the reference): NDA_* attributes, NUD_* states, NTF_* flags
seq('NDA_', 0, { 'UNSPEC', 'DST', 'LLADDR', 'CACHEINFO', 'PROBES', 'VLAN', 'PORT', 'VNI',
    'IFINDEX', 'MASTER', 'LINK_NETNSID', 'SRC_VNI', 'PROTOCOL' })
M.NUD_INCOMPLETE, M.NUD_REACHABLE, M.NUD_STALE, M.NUD_DELAY = 0x01, 0x02, 0x04, 0x08
M.NUD_PROBE, M.NUD_FAILED, M.NUD_NOARP, M.NUD_PERMANENT, M.NUD_NONE = 0x10, 0x20, 0x40, 0x80, 0x00
M.NTF_USE, M.NTF_SELF, M.NTF_MASTER, M.NTF_PROXY, M.NTF_ROUTER = 0x01, 0x02, 0x04, 0x08, 0x80

return M
