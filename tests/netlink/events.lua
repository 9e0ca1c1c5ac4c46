-- rtnetlink events in a network namespace of its own (the script re-runs itself under
-- `unshare -n`): RTM_NEWLINK / RTM_DELLINK / RTM_NEWADDR / RTM_DELADDR while `ip` and eco.ip add,
-- change and delete, on a socket bound to the legacy group mask and on one that joined groups with
-- add_membership; the waiting receivers park on the eco loop (other coroutines keep running).
local T = require 'testlib'

if arg[1] ~= 'inside' then
    T.ok(os.execute('command -v ip >/dev/null'), 'iproute2 (ip) is missing')
    local ok = os.execute(string.format('unshare -n %s %s inside', T.sh_quote(arg[-1]), T.sh_quote(arg[0])))
    os.exit(ok and 0 or 1)
end

local eco = require 'eco'
local nl = require 'eco.nl'
local rtnl = require 'eco.rtnl'
local ip = require 'eco.ip'
local socket = require 'eco.socket'

local function sh(cmd) T.ok(os.execute(cmd), 'command failed: ' .. cmd) end

-- collects events of socket `s` into `log` as strings until `stop.now`
local function listen(s, log, stop)
    eco.run(function()
        local ok, err = s:recv_messages(function(rx, hdr)
            local t = hdr.type
            if t == rtnl.RTM_NEWLINK or t == rtnl.RTM_DELLINK then
                local ifi = assert(rtnl.parse_ifinfomsg(rx))
                local a = assert(rx:parse_attr(rtnl.IFINFOMSG_SIZE))
                local name = nl.attr_get_str(a[rtnl.IFLA_IFNAME])
                local mtu = nl.attr_get_u32(a[rtnl.IFLA_MTU])
                log[#log + 1] = string.format('%s %s %d %d', t == rtnl.RTM_NEWLINK and 'newlink' or 'dellink',
                    name, ifi.index, mtu)
            elseif t == rtnl.RTM_NEWADDR then
                local ifa = assert(rtnl.parse_ifaddrmsg(rx))
                local a = assert(rx:parse_attr(rtnl.IFADDRMSG_SIZE))
                if ifa.family == 2 then
                    log[#log + 1] = string.format('newaddr %s/%d %d',
                        socket.inet_ntop(2, nl.attr_get_payload(a[rtnl.IFA_LOCAL])), ifa.prefixlen,
                        ifa.index)
                end
            elseif t == rtnl.RTM_DELADDR then
                -- parse_ifaddrmsg accepts RTM_NEWADDR only (as the reference): read it by hand
                T.fails('invalid nlmsg type', rtnl.parse_ifaddrmsg(rx))
                local fam, plen = string.unpack('=BB', rx:payload())
                local a = assert(rx:parse_attr(rtnl.IFADDRMSG_SIZE))
                if fam == 2 then
                    log[#log + 1] = string.format('deladdr %s/%d',
                        socket.inet_ntop(2, nl.attr_get_payload(a[rtnl.IFA_LOCAL])), plen)
                end
            end
            if stop.now then return true end
        end)
        stop[s] = { ok, err }
    end)
end

local function find(log, pattern)
    for _, l in ipairs(log) do if l:find(pattern) then return l end end
end

T.go(function()
    sh('ip link set lo up')
    local a = assert(nl.open(nl.NETLINK_ROUTE))
    T.same({ true }, a:bind(rtnl.RTMGRP_LINK | rtnl.RTMGRP_IPV4_IFADDR))
    local b = assert(nl.open(nl.NETLINK_ROUTE))
    T.same({ true }, b:bind())
    T.same({ true }, b:add_membership(rtnl.RTNLGRP_LINK))
    T.same({ true }, b:add_membership(rtnl.RTNLGRP_IPV4_IFADDR))
    local la, lb, stop = {}, {}, {}
    listen(a, la, stop)
    listen(b, lb, stop)

    -- the receivers are parked on the loop: a ticker runs meanwhile
    local ticks = 0
    for _ = 1, 5 do eco.sleep(0.002) ticks = ticks + 1 end
    T.eq(ticks, 5)
    T.eq(#la, 0)

    sh('ip link add ev0 type veth peer name ev1')
    local idx = socket.if_nametoindex('ev0')
    sh('ip addr add 10.4.4.4/24 dev ev0')
    T.same({ true }, ip.link.set('ev0', { mtu = 1300 }))
    T.same({ true }, ip.address.add('ev0', { address = '10.5.5.5/16' }))
    T.same({ true }, ip.address.del('ev0', { address = '10.5.5.5/16' }))
    sh('ip addr del 10.4.4.4/24 dev ev0')
    sh('ip link del ev0')

    for _, log in ipairs({ la, lb }) do
        T.wait_until(function() return find(log, '^dellink ev0 ') end, 5, 'RTM_DELLINK of ev0')
        T.ok(find(log, '^newlink ev0 ' .. idx .. ' 1500$'), 'RTM_NEWLINK of ev0')
        T.ok(find(log, '^newlink ev1 '), 'RTM_NEWLINK of ev1')
        T.ok(find(log, '^newlink ev0 ' .. idx .. ' 1300$'), 'RTM_NEWLINK of the mtu change')
        T.ok(find(log, '^newaddr 10%.4%.4%.4/24 ' .. idx .. '$'), 'RTM_NEWADDR 10.4.4.4')
        T.ok(find(log, '^newaddr 10%.5%.5%.5/16 ' .. idx .. '$'), 'RTM_NEWADDR 10.5.5.5 (eco.ip)')
        T.ok(find(log, '^deladdr 10%.5%.5%.5/16$'), 'RTM_DELADDR 10.5.5.5 (eco.ip)')
        T.ok(find(log, '^deladdr 10%.4%.4%.4/24$'), 'RTM_DELADDR 10.4.4.4')
        -- kernel order: the add before the delete
        local first_new, first_del
        for i, l in ipairs(log) do
            if not first_new and l:find('^newaddr 10%.4') then first_new = i end
            if not first_del and l:find('^deladdr 10%.4') then first_del = i end
        end
        T.ok(first_new < first_del, 'order')
    end

    -- dropping the membership stops the events on b
    T.same({ true }, b:drop_membership(rtnl.RTNLGRP_LINK))
    T.same({ true }, b:drop_membership(rtnl.RTNLGRP_IPV4_IFADDR))
    local nb = #lb
    stop.now = true
    sh('ip link add ev2 type veth peer name ev3')
    T.wait_until(function() return find(la, '^newlink ev[23] ') end, 5, 'RTM_NEWLINK of ev2 or ev3 on a')
    eco.sleep(0.05)
    T.eq(#lb, nb, 'no event after drop_membership')
    T.same({ true }, table.unpack(stop[a]))          -- its callback stopped it
    T.eq(stop[b], nil)
    -- overrun: a small receive buffer nobody reads while 40 links appear -> ENOBUFS on recv
    local c <close> = assert(nl.open(nl.NETLINK_ROUTE))
    T.same({ true }, c:bind(rtnl.RTMGRP_LINK))
    T.ok(c.sock:setoption('rcvbuf', 1024))
    local f = assert(io.open('/tmp/eco-nl-batch-' .. idx, 'w'))
    for i = 1, 20 do f:write(string.format('link add ov%d type veth peer name ow%d\n', i, i)) end
    f:close()
    sh('ip -batch /tmp/eco-nl-batch-' .. idx)
    os.remove('/tmp/eco-nl-batch-' .. idx)
    T.fails('No buffer space available', c:recv(nil, 1))
    T.ok(c:recv(nil, 1), 'the socket works after the overrun report')
    c:close()

    -- close cancels b's waiting receiver: recv_messages returns nil, "canceled"
    b:close()
    eco.sleep(0.01)
    T.same({ nil, 'canceled', n = 2 }, stop[b][1], stop[b][2])
    a:close()
end)
