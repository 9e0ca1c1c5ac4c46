-- One RTM_GETLINK dump through eco.nl + eco.rtnl (mode "raw": every message parsed to index,
-- name, mtu, flags, MAC) or eco.ip (mode "ip": link.list(), the whole info table per link).
-- Prints: links seconds VmHWM_kB
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'
local time = require 'eco.time'

local mode = arg[1] or 'raw'
local t0 = time.now()
local n = 0
if mode == 'ip' then
    n = #assert(require('eco.ip').link.list())
else
    local s <close> = assert(nl.open(nl.NETLINK_ROUTE))
    local req = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST | nl.NLM_F_DUMP)
    req:put(rtnl.ifinfomsg({}))
    local get_str, get_u32, payload = nl.attr_get_str, nl.attr_get_u32, nl.attr_get_payload
    local links = {}
    assert(s:request_dump(req, function(rx)
        local ifi = rtnl.parse_ifinfomsg(rx)
        local a = rx:parse_attr(rtnl.IFINFOMSG_SIZE)
        links[#links + 1] = {
            index = ifi.index, flags = ifi.flags, ifname = get_str(a[rtnl.IFLA_IFNAME]),
            mtu = get_u32(a[rtnl.IFLA_MTU]), address = a[rtnl.IFLA_ADDRESS] and payload(a[rtnl.IFLA_ADDRESS]),
        }
    end))
    n = #links
end
local dt = time.now() - t0
local f = assert(io.open('/proc/self/status'))
local hwm = f:read('a'):match('VmHWM:%s*(%d+)')
f:close()
print(n, string.format('%.4f', dt), hwm)
