-- Lists the interfaces and their IPv4/IPv6 addresses, then prints link and address events as
-- they happen (like `ip monitor link address`), until interrupted.
--   eco examples/netlink/linkwatch.lua
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'
local ip = require 'eco.ip'
local socket = require 'eco.socket'

for _, l in ipairs(assert(ip.link.list())) do
    print(string.format('%d: %s %s mtu %s %s', l.index, l.ifname, l.up and 'UP' or 'DOWN',
        tostring(l.mtu), l.address or ''))
end
for _, a in ipairs(assert(ip.address.get())) do
    print(string.format('   %s %s/%d scope %s', a.ifname, a.address, a.prefixlen, tostring(a.scope)))
end

local ev <close> = assert(nl.open(nl.NETLINK_ROUTE))
assert(ev:bind(rtnl.RTMGRP_LINK | rtnl.RTMGRP_IPV4_IFADDR | rtnl.RTMGRP_IPV6_IFADDR))
print('watching (Ctrl-C to stop)')
local ok, err = ev:recv_messages(function(rx, hdr)
    local t = hdr.type
    if t == rtnl.RTM_NEWLINK or t == rtnl.RTM_DELLINK then
        local ifi = rtnl.parse_ifinfomsg(rx)
        local attrs = rx:parse_attr(rtnl.IFINFOMSG_SIZE)
        if not ifi or not attrs then return end
        print(string.format('%s %d %s %s', t == rtnl.RTM_NEWLINK and 'link' or 'dellink', ifi.index,
            attrs[rtnl.IFLA_IFNAME] and nl.attr_get_str(attrs[rtnl.IFLA_IFNAME]) or '?',
            ifi.flags & rtnl.IFF_UP ~= 0 and 'UP' or 'DOWN'))
    elseif t == rtnl.RTM_NEWADDR or t == rtnl.RTM_DELADDR then
        local payload = rx:payload()
        local family, prefixlen, _, _, index = string.unpack('=BBBBI4', payload)
        local attrs = rx:parse_attr(rtnl.IFADDRMSG_SIZE)
        local a = attrs and (attrs[rtnl.IFA_LOCAL] or attrs[rtnl.IFA_ADDRESS])
        if a then
            print(string.format('%s %s/%d dev %d', t == rtnl.RTM_NEWADDR and 'addr' or 'deladdr',
                socket.inet_ntop(family, nl.attr_get_payload(a)), prefixlen, index))
        end
    end
end)
print('stopped:', ok, err)
