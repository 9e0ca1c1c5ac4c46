-- Event latency: for each of N rounds, `ip link add latA<i> type veth peer name latB<i>` is started
-- (eco.sys.exec) and the time until the RTM_NEWLINK of latA<i> reaches the Lua callback of a
-- socket bound to RTMGRP_LINK is taken, beside the time until the ip process has exited.
-- Prints the median and max of both in milliseconds.
local eco = require 'eco'
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'
local sys = require 'eco.sys'
local time = require 'eco.time'

local N = tonumber(arg[1]) or 50
local s <close> = assert(nl.open(nl.NETLINK_ROUTE))
assert(s:bind(rtnl.RTMGRP_LINK))
local seen = {}
eco.run(function()
    s:recv_messages(function(rx, hdr)
        if hdr.type ~= rtnl.RTM_NEWLINK then return end
        local a = rx:parse_attr(rtnl.IFINFOMSG_SIZE)
        local name = a and a[rtnl.IFLA_IFNAME] and nl.attr_get_str(a[rtnl.IFLA_IFNAME])
        if name and not seen[name] then seen[name] = time.now() end
    end)
end)

local ev, ex = {}, {}
for i = 1, N do
    local name = 'latA' .. i
    local t0 = time.now()
    local p = assert(sys.exec('ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', 'latB' .. i))
    assert(p:wait(10))
    local t2 = time.now()
    while not seen[name] do eco.sleep(0.0005) end
    ev[i], ex[i] = (seen[name] - t0) * 1000, (t2 - t0) * 1000
end
local function stats(t)
    table.sort(t)
    return t[(#t + 1) // 2], t[#t]
end
local em, emax = stats(ev)
local xm, xmax = stats(ex)
print(string.format('event: median %.3f ms max %.3f ms; ip exit: median %.3f ms max %.3f ms', em, emax, xm, xmax))
s:close()
