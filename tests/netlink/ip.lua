-- eco.ip and eco.rtnl dumps against iproute2 in a network namespace of its own (the script
-- re-runs itself under `unshare -n`; needs root and iproute2). Veth pairs, a bridge, a macvlan
-- and a vxlan are made with `ip`, read with eco.ip and compared field by field with
-- `ip -j link/addr/route/neigh show`; changes made with eco.ip are checked with `ip -j`
-- (docs/netlink.md checklist items 21-25, numbers in comments).
local T = require 'testlib'

if arg[1] ~= 'inside' then
    T.ok(os.execute('command -v ip >/dev/null'), 'iproute2 (ip) is missing')
    local ok, how, code = os.execute(string.format('unshare -n %s %s inside',
        T.sh_quote(arg[-1]), T.sh_quote(arg[0])))
    if not ok then
        io.stderr:write(string.format('inside the namespace: %s %s\n', tostring(how), tostring(code)))
        os.exit(1)
    end
    os.exit(0)
end

local json = require 'tinyjson'
local ip = require 'eco.ip'
local socket = require 'eco.socket'

local function sh(cmd)
    local ok = os.execute(cmd)
    T.ok(ok, 'command failed: ' .. cmd)
end

local function ipj(args)
    return json.decode(T.capture('ip -j ' .. args))
end

local function has(list, v)
    for _, x in ipairs(list or {}) do if x == v then return true end end
    return false
end

sh('ip link set lo up')
sh('ip link add v0 type veth peer name v1')
sh('ip link add br0 type bridge')
sh('ip link add mv0 link v1 type macvlan mode bridge')
sh('ip link add vx0 type vxlan id 42 dstport 4789 dev v1')
sh('ip link set v1 up')
sh('ip link set br0 up')

-- one interface of eco.ip against one object of `ip -j -d link show`
local function same_link(e, j)
    local name = j.ifname
    T.eq(e.ifname, name)
    T.eq(e.index, j.ifindex, name .. ' index')
    T.eq(e.mtu, j.mtu, name .. ' mtu')
    T.eq(e.txqueuelen, j.txqlen, name .. ' txqlen')
    T.eq(e.address, j.address, name .. ' address')
    T.eq(e.broadcast, j.broadcast, name .. ' broadcast')
    T.eq(e.up, has(j.flags, 'UP'), name .. ' up')
    T.eq(e.arp, not has(j.flags, 'NOARP'), name .. ' arp')
    T.eq(e.multicast, has(j.flags, 'MULTICAST'), name .. ' multicast')
    T.eq(e.allmulticast, has(j.flags, 'ALLMULTI'), name .. ' allmulticast')
    T.eq(e.promisc, has(j.flags, 'PROMISC'), name .. ' promisc')
    T.eq(e.dynamic, has(j.flags, 'DYNAMIC'), name .. ' dynamic')
    T.eq(e.running, has(j.flags, 'UP') and (j.operstate == 'UP' or j.operstate == 'UNKNOWN'), name .. ' running')
    T.eq(e.master, j.master, name .. ' master')
    T.eq(e.alias, j.ifalias, name .. ' alias')
    T.eq(e.kind, j.linkinfo and j.linkinfo.info_kind, name .. ' kind')
    T.eq(e.type, ({ ether = 1, loopback = 772, none = 65534 })[j.link_type], name .. ' type')
end

local function check_all_links()
    local ref = ipj('-d link show')
    local list = assert(ip.link.list())
    T.eq(#list, #ref, 'number of links')
    for i, j in ipairs(ref) do
        same_link(list[i], j)
        same_link(assert(ip.link.get(j.ifname)), j)
    end
end

T.go(function()
    -- 21
    local lo = assert(ip.link.get('lo'))
    T.eq(lo.type, 772); T.eq(lo.up, true); T.eq(lo.arp, true); T.eq(lo.ifname, 'lo')
    T.eq(lo.address, '00:00:00:00:00:00')
    T.fails('no such device', ip.link.get('nope0'))
    check_all_links()

    -- 22
    T.same({ true }, ip.link.set('lo', {}))
    T.same({ true }, ip.link.set('lo'))
    T.fails('Device does not exist: nope0', ip.link.set('lo', { master = 'nope0' }))
    T.raises('not a valid address', ip.link.set, 'lo', { address = 'zz' })
    T.raises('not a valid address', ip.link.set, 'v0', { address = '02:00:00:00:00:0' })
    T.raises('not a valid broadcast', ip.link.set, 'v0', { broadcast = '02:00:00:00:00:00:00' })
    T.fails('no such device', ip.link.set('nope0', { up = true }))

    -- changes made with eco.ip, read back with ip -j
    local function v0() return ipj('-d link show dev v0')[1] end
    T.same({ true }, ip.link.set('v0', { up = true, mtu = 1400, txqueuelen = 77,
        address = '02:11:22:33:44:55', alias = 'uplink', promisc = true, allmulticast = true }))
    local j = v0()
    T.ok(has(j.flags, 'UP'), 'v0 up')
    T.eq(j.mtu, 1400); T.eq(j.txqlen, 77); T.eq(j.address, '02:11:22:33:44:55'); T.eq(j.ifalias, 'uplink')
    T.ok(has(j.flags, 'PROMISC'), 'promisc on')
    T.ok(has(j.flags, 'ALLMULTI'), 'allmulticast on')
    same_link(assert(ip.link.get('v0')), j)
    T.same({ true }, ip.link.set('v0', { down = true, promisc = false, allmulticast = false,
        arp = false, multicast = false, dynamic = true }))
    j = v0()
    T.ok(not has(j.flags, 'UP'), 'v0 down')
    T.ok(not has(j.flags, 'PROMISC'), 'promisc off')
    T.ok(has(j.flags, 'NOARP'), 'arp off')
    T.ok(not has(j.flags, 'MULTICAST'), 'multicast off')
    T.ok(has(j.flags, 'DYNAMIC'), 'dynamic on')
    same_link(assert(ip.link.get('v0')), j)
    T.same({ true }, ip.link.set('v0', { up = true, down = true, arp = true, multicast = true, dynamic = false }))
    j = v0()
    T.ok(has(j.flags, 'UP'), 'up wins over down')
    T.ok(not has(j.flags, 'NOARP') and has(j.flags, 'MULTICAST') and not has(j.flags, 'DYNAMIC'))
    T.same({ true }, ip.link.set('v0', { master = 'br0' }))
    T.eq(v0().master, 'br0')
    T.eq(ip.link.get('v0').master, 'br0')
    T.same({ true }, ip.link.set('v0', { nomaster = true }))
    T.eq(v0().master, nil)
    T.same({ true }, ip.link.set('br0', { broadcast = 'ff:ff:ff:ff:ff:fe' }))
    T.eq(ipj('link show dev br0')[1].broadcast, 'ff:ff:ff:ff:ff:fe')
    T.fails('netlink error: Invalid argument', ip.link.set('v0', { mtu = 1 }))
    -- veth has no carrier control
    T.fails('netlink error: Operation not supported', ip.link.set('v0', { carrier = false }))
    check_all_links()

    -- 23: validation order and strings
    T.fails('no such device', ip.address.add('nope0', { address = '1.2.3.4' }))
    T.fails('invalid prefix length', ip.address.add('lo', { address = '1.2.3.4/33' }))
    T.fails('invalid prefix length', ip.address.add('lo', { address = '1.2.3.4', prefix = 40 }))
    T.fails('invalid local address', ip.address.add('lo', { address = 'fe80::1' }))
    T.fails('invalid local address', ip.address.add('lo', { address = 'fe80::1/64' }))
    T.fails('invalid local address', ip.address.add('lo', { address = '1.2.3.999' }))
    T.fails('invalid scope', ip.address.add('lo', { address = '1.2.3.4', scope = 'x' }))
    T.fails('invalid broadcast address', ip.address.add('lo', { address = '1.2.3.4', broadcast = 'x' }))
    T.raises('', ip.address.add, 'lo', {})
    T.raises('prefix', ip.address.add, 'lo', { address = '1.2.3.4', prefix = 'x' })

    -- 24: add, duplicate, delete, missing
    T.same({ true }, ip.address.add('v0', { address = '10.9.0.1/24', broadcast = '10.9.0.255', label = 'v0:a' }))
    T.same({ true }, ip.address.add('v0', { address = '10.9.1.1', prefix = '16', scope = 'link', metric = 7 }))
    T.same({ true }, ip.address.add('lo', { address = '127.1.2.3', scope = 'host' }))
    T.fails('netlink error: File exists', ip.address.add('v0', { address = '10.9.0.1/24' }))
    local a = ipj('-4 addr show dev v0')[1].addr_info
    T.eq(#a, 2)
    if a[1]['local'] ~= '10.9.0.1' then a[1], a[2] = a[2], a[1] end   -- kernel order: by scope
    T.eq(a[1]['local'], '10.9.0.1'); T.eq(a[1].prefixlen, 24); T.eq(a[1].broadcast, '10.9.0.255')
    T.eq(a[1].label, 'v0:a'); T.eq(a[1].scope, 'global')
    T.eq(a[2]['local'], '10.9.1.1'); T.eq(a[2].prefixlen, 16); T.eq(a[2].scope, 'link')
    T.eq(a[2].metric, 7)

    -- 25: address.get against ip -j addr show
    sh('ip addr add 2001:db8::5/64 dev v0 nodad')
    local function same_addrs(dev)
        local ref = {}
        for _, l in ipairs(ipj('addr show' .. (dev and (' dev ' .. dev) or ''))) do
            for _, ai in ipairs(l.addr_info or {}) do
                ref[#ref + 1] = { ifname = l.ifname, family = ai.family == 'inet' and 2 or 10, ai = ai }
            end
        end
        local got = assert(ip.address.get(dev))
        T.eq(#got, #ref, 'number of addresses')
        -- the same multiset, order-independent
        local key = function(e) return e.ifname .. ' ' .. e.family .. ' ' .. e.address end
        local idx = {}
        for _, e in ipairs(got) do idx[key(e)] = e end
        for _, r in ipairs(ref) do
            local e = idx[r.ifname .. ' ' .. r.family .. ' ' .. r.ai['local']]
            T.ok(e, 'address ' .. r.ai['local'] .. ' on ' .. r.ifname)
            T.eq(e.scope, r.ai.scope, 'scope')
            T.eq(e.prefixlen, r.ai.prefixlen, 'prefixlen')
            T.eq(e.broadcast, r.ai.broadcast, 'broadcast')
            if e.family == 2 then
                T.eq(e.label, r.ai.label, 'label')
            else
                T.eq(e.label, nil, 'no IPv6 label')
            end
        end
        return got
    end
    local all = same_addrs()
    local saw6
    for _, e in ipairs(all) do if e.address == '2001:db8::5' then saw6 = e.family == 10 end end
    T.ok(saw6, 'the IPv6 address')
    same_addrs('v0')
    same_addrs('lo')
    T.fails('no such device', ip.address.get('nope0'))
    T.fails('not found', ip.address.get('vx0'))               -- down: no address

    T.same({ true }, ip.address.del('v0', { address = '10.9.0.1/24' }))
    T.fails('netlink error: Cannot assign requested address', ip.address.del('v0', { address = '10.9.0.1/24' }))
    T.eq(#ipj('-4 addr show dev v0')[1].addr_info, 1)

    -- routes (beyond the reference): add/del with eco.ip, list against ip -j route show
    local function same_routes()
        local ref = ipj('-4 route show table all')
        local got = assert(ip.route.list())
        T.eq(#got, #ref, 'number of IPv4 routes')
        local idx = {}
        local tables = { main = 254, ['local'] = 255 }
        for _, r in ipairs(got) do
            local dst = r.dst and (r.dst_len == 32 and r.dst or (r.dst .. '/' .. r.dst_len)) or 'default'
            idx[dst .. ' ' .. r.table .. ' ' .. tostring(r.dev)] = r
        end
        for _, j in ipairs(ref) do
            local tbl = tables[j.table or 'main'] or tonumber(j.table)
            local r = idx[j.dst .. ' ' .. tbl .. ' ' .. tostring(j.dev)]
            T.ok(r, 'route ' .. j.dst .. ' table ' .. tbl)
            T.eq(r.gateway, j.gateway, 'gateway of ' .. j.dst)
            T.eq(r.prefsrc, j.prefsrc, 'prefsrc of ' .. j.dst)
            T.eq(r.metric, j.metric, 'metric of ' .. j.dst)
        end
    end
    T.same({ true }, ip.route.add({ dst = '192.168.50.0/24', gateway = '10.9.1.2', metric = 5 }))
    T.same({ true }, ip.route.add({ dst = '192.168.60.0/24', dev = 'v0', table = 300 }))
    T.same({ true }, ip.route.add({ dst = 'default', gateway = '10.9.1.254' }))
    T.fails('netlink error: File exists', ip.route.add({ dst = '192.168.50.0/24', gateway = '10.9.1.2', metric = 5 }))
    local r = ipj('route show 192.168.50.0/24')[1]
    T.eq(r.gateway, '10.9.1.2'); T.eq(r.dev, 'v0'); T.eq(r.metric, 5)
    T.eq(ipj('route show table 300')[1].dst, '192.168.60.0/24')
    same_routes()
    for _, dst in ipairs({ '192.168.50.7', '10.9.1.3', '8.8.8.8', '127.0.0.1' }) do
        local g = assert(ip.route.get(dst))
        local j = ipj('route get ' .. dst)[1]
        T.eq(g.dst, j.dst, 'route get ' .. dst)
        T.eq(g.gateway, j.gateway, 'route get gateway ' .. dst)
        T.eq(g.dev, j.dev, 'route get dev ' .. dst)
        T.eq(g.prefsrc, j.prefsrc, 'route get prefsrc ' .. dst)
    end
    T.fails('invalid address', ip.route.get('nope'))
    T.raises('invalid address', ip.route.get, nil)
    T.same({ true }, ip.route.del({ dst = '192.168.50.0/24', gateway = '10.9.1.2', metric = 5 }))
    T.eq(#ipj('route show 192.168.50.0/24'), 0)
    T.fails('netlink error: No such process', ip.route.del({ dst = '192.168.50.0/24' }))
    T.fails('invalid gateway', ip.route.add({ dst = '192.168.70.0/24', gateway = 'x' }))
    T.fails('no such device', ip.route.add({ dst = '192.168.70.0/24', dev = 'nope0' }))
    same_routes()

    -- neighbours (beyond the reference)
    sh('ip neigh add 10.9.1.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent')
    sh('ip neigh add 2001:db8::9 lladdr 02:00:00:00:00:0a dev v0 nud permanent')
    local ref = ipj('neigh show nud all')
    local got = assert(ip.neigh.list())
    local n = 0
    for _, j in ipairs(ref) do
        if j.dst then
            n = n + 1
            local e
            for _, x in ipairs(got) do if x.dst == j.dst and x.dev == j.dev then e = x end end
            T.ok(e, 'neighbour ' .. j.dst)
            T.eq(e.lladdr, j.lladdr)
            if has(j.state, 'PERMANENT') then T.eq(e.state, 0x80) end
        end
    end
    T.ok(n >= 2, 'the two neighbours')
    T.eq(#got, n)

    T.same({ true }, ip.neigh.add('v0', { dst = '10.9.1.77', lladdr = '02:00:00:00:00:77' }))
    T.same({ true }, ip.neigh.add('v0', { dst = '10.9.1.77', lladdr = '02:00:00:00:00:78' }))  -- replace
    local nj = ipj('neigh show 10.9.1.77 dev v0')[1]
    T.eq(nj.lladdr, '02:00:00:00:00:78'); T.ok(has(nj.state, 'PERMANENT'))
    T.same({ true }, ip.neigh.del('v0', { dst = '10.9.1.77' }))
    T.eq(#ipj('neigh show 10.9.1.77 dev v0'), 0)
    T.fails('netlink error: No such file or directory', ip.neigh.del('v0', { dst = '10.9.1.77' }))
    T.fails('no such device', ip.neigh.add('nope0', { dst = '10.9.1.77' }))
    T.fails('invalid address', ip.neigh.add('v0', { dst = 'x' }))
    T.raises('not a valid lladdr', ip.neigh.add, 'v0', { dst = '10.9.1.78', lladdr = 'x' })

    -- link.add / link.del (beyond the reference), nested attributes three levels deep
    T.same({ true }, ip.link.add('pa0', 'veth', { peer = 'pb0', mtu = 1450, address = '02:aa:bb:cc:dd:ee' }))
    local pa = ipj('-d link show dev pa0')[1]
    T.eq(pa.linkinfo.info_kind, 'veth'); T.eq(pa.mtu, 1450); T.eq(pa.address, '02:aa:bb:cc:dd:ee')
    T.eq(ipj('-d link show dev pb0')[1].linkinfo.info_kind, 'veth')
    T.eq(ip.link.get('pa0').kind, 'veth')
    T.same({ true }, ip.link.add('brx', 'bridge'))
    T.eq(ipj('-d link show dev brx')[1].linkinfo.info_kind, 'bridge')
    T.same({ true }, ip.link.add('mvx', 'macvlan', { link = 'v0', mode = 'private' }))
    local mv = ipj('-d link show dev mvx')[1]
    T.eq(mv.linkinfo.info_kind, 'macvlan'); T.eq(mv.linkinfo.info_data.mode, 'private'); T.eq(mv.link, 'v0')
    T.same({ true }, ip.link.add('vxx', 'vxlan', { id = 77, port = 4790, link = 'v0' }))
    local vx = ipj('-d link show dev vxx')[1]
    T.eq(vx.linkinfo.info_data.id, 77); T.eq(vx.linkinfo.info_data.port, 4790); T.eq(vx.linkinfo.info_data.link, 'v0')
    T.fails('netlink error: File exists', ip.link.add('brx', 'bridge'))
    T.fails('Device does not exist: nope0', ip.link.add('mvy', 'macvlan', { link = 'nope0' }))
    T.fails('invalid mode', ip.link.add('mvy', 'macvlan', { link = 'v0', mode = 'x' }))
    T.fails('invalid id', ip.link.add('vxy', 'vxlan', {}))
    T.ok(select(2, ip.link.add('zz0', 'nosuchkind')):find('^netlink error: '))
    T.raises('not a valid address', ip.link.add, 'zz0', 'bridge', { address = 'x' })
    T.raises('invalid kind', ip.link.add, 'zz0')
    check_all_links()
    for _, d in ipairs({ 'pa0', 'brx', 'mvx', 'vxx' }) do T.same({ true }, ip.link.del(d)) end
    T.eq(socket.if_nametoindex('pb0'), nil)
    T.fails('no such device', ip.link.del('pa0'))

    -- names resolve through if_nametoindex after a rename
    sh('ip link set v1 down && ip link set v1 name v1x')
    T.eq(ip.link.get('v1x').index, socket.if_nametoindex('v1x'))
    check_all_links()
end)
