#!/usr/bin/env bash
# eco.socket across a veth pair between two network namespaces the test creates (issue 3: packet
# sockets "inside a network namespace the test creates"; needs root and iproute2; CI runs as root).
#   ns A (ecotestA$$): veth0 10.77.0.1/24    ns B (ecotestB$$): veth1 10.77.0.2/24
# Checks, under both runners: AF_PACKET bind/getsockname on veth0 and an ARP request/reply frame
# exchange with the kernel of ns B (spec/socket.md 4.4, 3.1 packet addresses, 40/41 on a real
# NIC), the `device` constructor option and `bindtodevice` on an existing device (4.1, 5.4), an
# ICMP echo to the other namespace (ping_group_range is per namespace: the test's sysctl fallback),
# and a TCP echo between an eco process in ns B and one in ns A.
#
# usage: tests/socket/netns.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: netns.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}
# xtask passes relative paths; we cd nowhere, but make them absolute anyway
case $eco in /*) ;; *) eco=$PWD/$eco ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "FAIL netns.sh needs root (CI runs as root)"
    exit 1
fi
command -v ip >/dev/null || { echo "FAIL iproute2 (ip) is missing"; exit 1; }

nsa=ecotestA$$
nsb=ecotestB$$
tmp=$(mktemp -d)
cleanup() {
    ip netns del "$nsa" 2>/dev/null
    ip netns del "$nsb" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

set -e
ip netns add "$nsa"
ip netns add "$nsb"
ip link add veth0 netns "$nsa" type veth peer name veth1 netns "$nsb"
ip -n "$nsa" addr add 10.77.0.1/24 dev veth0
ip -n "$nsb" addr add 10.77.0.2/24 dev veth1
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip -n "$nsa" link set veth0 up
ip -n "$nsb" link set veth1 up
mac1=$(ip netns exec "$nsb" cat /sys/class/net/veth1/address)
set +e

cat >"$tmp/server.lua" <<'EOF'
-- TCP echo server in ns B: serves one connection line by line, then exits
local T = require 'testlib'
local socket = require 'eco.socket'
T.go(function()
    local l = assert(socket.listen_tcp('10.77.0.2', tonumber(arg[1]), { reuseaddr = true }))
    local f = assert(io.open(arg[2], 'w')); f:write('ready\n'); f:close()
    local c = assert(l:accept(20))
    while true do
        local line = c:read('l', 20)
        if not line then break end
        c:send('echo:' .. line .. '\n')
    end
    c:close()
    l:close()
end)
EOF

cat >"$tmp/client.lua" <<'EOF'
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local mac1, port, ready = arg[1], tonumber(arg[2]), arg[3]

local function mac_bytes(s)
    return (s:gsub('(%x%x):?', function(h) return string.char(tonumber(h, 16)) end))
end

T.go(function()
    local idx = socket.if_nametoindex('veth0')
    T.ok(idx, 'veth0 exists')
    T.eq(socket.if_indextoname(idx), 'veth0')
    local f = assert(io.open('/sys/class/net/veth0/address'))
    local mac0 = mac_bytes(f:read('l'))
    f:close()

    -- AF_PACKET: bind to veth0, address table, ARP request/reply with ns B's kernel
    local p = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(socket.ETH_P_ARP)))
    T.fails("device 'nope0' not exists", p:bind({ ifname = 'nope0' }))          -- 40
    T.fails("no device with ifindex '9999'", p:bind({ ifindex = 9999 }))         -- 40
    T.eq(p:bind({ ifindex = idx }), p)
    local a = p:getsockname()
    T.eq(a.family, socket.AF_PACKET)                                              -- 41
    T.eq(a.ifindex, idx)
    T.eq(a.ifname, 'veth0')
    T.same({ true }, p:setoption('packet_add_membership', { ifname = 'veth0', type = socket.PACKET_MR_PROMISC }))
    local arp = string.pack('>I2I2BBI2', 1, socket.ETH_P_IP, 6, 4, socket.ARPOP_REQUEST)
        .. mac0 .. socket.inet_pton(socket.AF_INET, '10.77.0.1')
        .. string.rep('\0', 6) .. socket.inet_pton(socket.AF_INET, '10.77.0.2')
    local frame = string.rep('\xff', 6) .. mac0 .. string.pack('>I2', socket.ETH_P_ARP) .. arp
    T.same({ #frame }, p:sendto(frame, { ifname = 'veth0' }))
    local reply
    local deadline = T.now() + 5
    while not reply and T.now() < deadline do
        local d, from = p:recvfrom(2048, 2)
        T.ok(d, 'recvfrom ARP: ' .. tostring(from))
        T.eq(from.family, socket.AF_PACKET)
        T.eq(from.ifname, 'veth0')
        T.eq(from.ifindex, idx)
        local op = string.unpack('>I2', d, 21)
        if d:sub(13, 14) == '\x08\x06' and op == socket.ARPOP_REPLY then reply = d end
    end
    T.ok(reply, 'an ARP reply from ns B')
    T.eq(reply:sub(1, 6), mac0)                                  -- to us
    T.eq(reply:sub(23, 28), mac_bytes(mac1))                     -- sender hardware address: veth1
    T.eq(reply:sub(29, 32), socket.inet_pton(socket.AF_INET, '10.77.0.2'))
    p:close()

    -- 4.1 / 5.4: an existing device
    local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, nil, { device = 'veth0' })
    T.ok(s, 'device = veth0')
    T.same({ true }, s:setoption('bindtodevice', 'veth0'))
    s:close()

    -- ICMP echo to ns B (ping_group_range is per namespace: widen it if needed)
    local ic, err = socket.icmp()
    if not ic then
        os.execute('sysctl -w net.ipv4.ping_group_range="0 2147483647" >/dev/null')
        ic, err = socket.icmp()
    end
    T.ok(ic, 'icmp(): ' .. tostring(err))
    local pkt = string.pack('>BBI2I2I2', socket.ICMP_ECHO, 0, 0, 0, 1) .. 'across'
    T.same({ #pkt }, ic:sendto(pkt, '10.77.0.2', 0))
    local r, from = ic:recvfrom(1500, 5)
    T.ok(r, 'echo reply: ' .. tostring(from))
    T.eq(r:byte(1), socket.ICMP_ECHOREPLY)
    T.eq(from.ipaddr, '10.77.0.2')
    ic:close()

    -- TCP echo with the eco process in ns B
    T.wait_until(function()
        local rf = io.open(ready)
        if rf then rf:close() return true end
    end, 15, 'the server in ns B')
    local c = assert(socket.connect_tcp('10.77.0.2', port))
    T.eq(c:getpeername().ipaddr, '10.77.0.2')
    T.eq(c:getsockname().ipaddr, '10.77.0.1')
    for i = 1, 50 do
        c:send('line ' .. i .. '\n')
        T.same({ 'echo:line ' .. i }, c:read('l', 5))
    end
    c:close()
end)
EOF

failures=0
port=7700
for runner in "$eco" "$lua"; do
    port=$((port + 1))
    name=$(basename "$runner")
    rm -f "$tmp/ready"
    timeout 30 ip netns exec "$nsb" "$runner" "$tmp/server.lua" "$port" "$tmp/ready" >"$tmp/server.out" 2>&1 &
    spid=$!
    if timeout 30 ip netns exec "$nsa" "$runner" "$tmp/client.lua" "$mac1" "$port" "$tmp/ready" >"$tmp/client.out" 2>&1; then
        echo "PASS $name client in $nsa"
    else
        echo "FAIL $name client in $nsa"; cat "$tmp/client.out"; failures=$((failures + 1))
        kill "$spid" 2>/dev/null   # the server would wait for a client that never comes
    fi
    if wait "$spid"; then
        echo "PASS $name server in $nsb"
    else
        echo "FAIL $name server in $nsb"; cat "$tmp/server.out"; failures=$((failures + 1))
    fi
done
exit $failures
