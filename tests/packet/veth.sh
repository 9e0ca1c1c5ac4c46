#!/usr/bin/env bash
# eco.packet frames on a real link: a veth pair between two network namespaces the test creates
# (needs root and iproute2; CI runs as root).
#   ns A (ecopktA$$): veth0 10.78.0.1/24    ns B (ecopktB$$): veth1 10.78.0.2/24
# In ns A, frames built by eco.packet leave through an AF_PACKET socket on veth0:
#   - an ARP request: ns B's kernel answers, the reply decodes to its MAC;
#   - an ICMP echo request (IPv4 and ICMP checksums by eco.packet): ns B's kernel echoes it;
#   - a UDP datagram to a closed port, first with a broken checksum (the kernel drops it: no
#     answer), then with eco.packet's checksum: the kernel's "port unreachable" quotes our
#     IPv4 + UDP header, which decodes back;
#   - a TCP SYN to a closed port (checksum by eco.packet): the kernel's RST+ACK acknowledges it.
# In ns B, an AF_PACKET socket on veth1 captures what arrives: every frame sent from ns A must be
# there byte for byte, and eco.packet in ns B decodes it to the same summaries.
#
# usage: tests/packet/veth.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: veth.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}
case $eco in /*) ;; *) eco=$PWD/$eco ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "FAIL veth.sh needs root (CI runs as root)"
    exit 1
fi
command -v ip >/dev/null || { echo "FAIL iproute2 (ip) is missing"; exit 1; }

nsa=ecopktA$$
nsb=ecopktB$$
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
ip -n "$nsa" addr add 10.78.0.1/24 dev veth0
ip -n "$nsb" addr add 10.78.0.2/24 dev veth1
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip -n "$nsa" link set veth0 up
ip -n "$nsb" link set veth1 up
# no IPv6 chatter (router solicitations, DAD) on the link
ip netns exec "$nsa" sysctl -qw net.ipv6.conf.veth0.disable_ipv6=1 || true
ip netns exec "$nsb" sysctl -qw net.ipv6.conf.veth1.disable_ipv6=1 || true
mac_b=$(ip netns exec "$nsb" cat /sys/class/net/veth1/address)
set +e

cat >"$tmp/capture.lua" <<'EOF'
-- ns B: captures every frame on veth1 until the end marker (EtherType 0x88b5) arrives; writes
-- "<hex> <summary of each layer, ' | '-separated>" lines, then "done"
local T = require 'testlib'
local socket = require 'eco.socket'
local packet = require 'eco.packet'
local out_path, ready = arg[1], arg[2]

local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end

T.go(function()
    local p = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(socket.ETH_P_ALL)))
    assert(p:bind({ ifname = 'veth1' }))
    local f = assert(io.open(ready, 'w')); f:write('ready\n'); f:close()
    local out = assert(io.open(out_path, 'w'))
    local deadline = T.now() + 25
    while T.now() < deadline do
        local d, from = p:recvfrom(65536, 5)
        if d then
            local parts = {}
            local layer = packet.from_ether(d)
            while layer do
                parts[#parts + 1] = tostring(layer)
                layer = layer:next()
            end
            out:write(hex(d), ' ', table.concat(parts, ' | '), '\n')
            if d:sub(13, 14) == '\x88\xb5' then break end
        end
    end
    out:write('done\n')
    out:close()
    p:close()
end)
EOF

cat >"$tmp/client.lua" <<'EOF'
-- ns A: sends eco.packet frames on veth0, decodes the kernel's answers, then checks the capture
local T = require 'testlib'
local socket = require 'eco.socket'
local packet = require 'eco.packet'
local mac_b, ready, capture = arg[1], arg[2], arg[3]
local A, B = '10.78.0.1', '10.78.0.2'

local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end

local function file_has(path, text)
    local f = io.open(path)
    if not f then return false end
    local s = f:read('a')
    f:close()
    return s:find(text, 1, true) and s
end

T.go(function()
    T.wait_until(function() return file_has(ready, 'ready') end, 15, 'the capture in ns B')
    local f = assert(io.open('/sys/class/net/veth0/address'))
    local mac_a = f:read('l')
    f:close()

    local p = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(socket.ETH_P_ALL)))
    T.eq(p:bind({ ifname = 'veth0' }), p)
    local sent = {}
    local function send(frame)
        T.same({ #frame }, p:sendto(frame, { ifname = 'veth0' }))
        sent[#sent + 1] = frame
    end
    -- the decoded layers (by name) of the first incoming frame that `match` accepts, or nil
    local function expect(match, timeout)
        local deadline = T.now() + timeout
        while T.now() < deadline do
            local d, from = p:recvfrom(65536, math.max(0.05, deadline - T.now()))
            if d then
                local all, layer = { frame = d }, packet.from_ether(d)
                while layer do
                    all[layer.name] = layer
                    layer = layer:next()
                end
                if match(all) then return all end
            end
        end
        return nil
    end

    -- ARP: ns B's kernel answers our request
    send(packet.ether(mac_a, 'ff:ff:ff:ff:ff:ff', socket.ETH_P_ARP, packet.arp(socket.ARPOP_REQUEST, mac_a, A, nil, B)))
    local r = expect(function(l) return l.ARP and l.ARP.op == socket.ARPOP_REPLY and l.ARP.sip == B end, 5)
    T.ok(r, 'an ARP reply from ns B')
    T.eq(r.ETHER.dest, mac_a); T.eq(r.ETHER.source, mac_b)
    T.eq(r.ARP.sha, mac_b); T.eq(r.ARP.tha, mac_a); T.eq(r.ARP.tip, A)
    T.eq(tostring(r.ARP), 'Reply ' .. B .. ' is-at ' .. mac_b)

    -- ICMP echo (the kernel drops bad IPv4 header or ICMP checksums)
    local id = math.random(1, 65535)
    send(packet.ether(mac_a, mac_b, socket.ETH_P_IP, packet.ip(A, B, socket.IPPROTO_ICMP,
        packet.icmp(socket.ICMP_ECHO, 0, id, 1, 'eco-veth', true))))
    r = expect(function(l) return l.ICMP and l.ICMP.type == socket.ICMP_ECHOREPLY and l.ICMP.id == id end, 5)
    T.ok(r, 'an echo reply from ns B')
    T.eq(r.IP.saddr, B); T.eq(r.IP.daddr, A); T.eq(r.IP.protocol, 1)
    T.eq(r.ICMP.sequence, 1); T.eq(r.ICMP.data, 'eco-veth')
    T.eq(tostring(r.ICMP), 'ECHOREPLY seq 1 id ' .. id .. ' len 8')
    T.eq(tostring(r.IP), B .. '->' .. A .. ' ICMP')

    -- UDP to a closed port: a broken checksum gets no answer, ours gets "port unreachable"
    local udp = packet.udp(40000, 9, 'probe', A, B)
    local broken = udp:sub(1, 6) .. string.char(udp:byte(7) ~ 0x55, udp:byte(8)) .. udp:sub(9)
    local function unreachable(l) return l.ICMP and l.ICMP.type == 3 and l.ICMP.code == 3 end
    send(packet.ether(mac_a, mac_b, socket.ETH_P_IP, packet.ip(A, B, socket.IPPROTO_UDP, broken)))
    T.eq(expect(unreachable, 1.0), nil, 'no answer to a bad UDP checksum')
    send(packet.ether(mac_a, mac_b, socket.ETH_P_IP, packet.ip(A, B, socket.IPPROTO_UDP, udp)))
    r = expect(unreachable, 5)
    T.ok(r, 'port unreachable for a good UDP checksum')
    local quoted = T.nret(1, packet.from_ip(r.ICMP.data))
    T.eq(quoted.saddr, A); T.eq(quoted.daddr, B); T.eq(quoted.protocol, 17); T.eq(quoted.tot_len, 33)
    local qu = T.nret(1, quoted:next())
    T.eq(qu.source, 40000); T.eq(qu.dest, 9); T.eq(qu.len, 13)
    T.eq(qu.check, string.unpack('>I2', udp, 7))

    -- TCP SYN to a closed port: RST+ACK acknowledging seq + 1
    local seq = math.random(0, 0x7fffffff)
    send(packet.ether(mac_a, mac_b, socket.ETH_P_IP, packet.ip(A, B, socket.IPPROTO_TCP,
        packet.tcp(40001, 9, seq, 0, { syn = true }, 64240, A, B))))
    r = expect(function(l) return l.TCP and l.TCP.dest == 40001 end, 5)
    T.ok(r, 'a TCP answer from ns B')
    T.eq(r.TCP.rst, true); T.eq(r.TCP.ack, true); T.eq(r.TCP.syn, false)
    T.eq(r.TCP.ack_seq, seq + 1); T.eq(r.TCP.source, 9)
    T.eq(tostring(r.TCP), '9->40001 len 0 ACK RST')

    -- the end marker, then every frame we sent must be in ns B's capture, decoded the same way
    send(packet.ether(mac_a, mac_b, 0x88b5, 'eco-packet-done'))
    local cap = T.wait_until(function() return file_has(capture, 'done\n') end, 15, 'the capture to end')
    local lines = {}
    for hx, summary in cap:gmatch('(%x+) ([^\n]*)\n') do lines[hx] = summary end
    for i, frame in ipairs(sent) do
        T.ok(lines[hex(frame)], 'frame ' .. i .. ' captured byte for byte in ns B')
    end
    T.eq(lines[hex(sent[1])], mac_a .. '->ff:ff:ff:ff:ff:ff ARP | Request who-has ' .. B .. ' (00:00:00:00:00:00) tell ' .. A)
    T.eq(lines[hex(sent[2])], mac_a .. '->' .. mac_b .. ' IP | ' .. A .. '->' .. B .. ' ICMP | ECHO seq 1 id ' .. id .. ' len 8')
    T.eq(lines[hex(sent[4])], mac_a .. '->' .. mac_b .. ' IP | ' .. A .. '->' .. B .. ' UDP | 40000->9 len 5')
    T.eq(lines[hex(sent[5])], mac_a .. '->' .. mac_b .. ' IP | ' .. A .. '->' .. B .. ' TCP | 40001->9 len 0 SYN')
    p:close()
end)
EOF

failures=0
for runner in "$eco" "$lua"; do
    name=$(basename "$runner")
    rm -f "$tmp/ready" "$tmp/capture.txt"
    timeout 40 ip netns exec "$nsb" "$runner" "$tmp/capture.lua" "$tmp/capture.txt" "$tmp/ready" >"$tmp/capture.out" 2>&1 &
    cpid=$!
    if timeout 40 ip netns exec "$nsa" "$runner" "$tmp/client.lua" "$mac_b" "$tmp/ready" "$tmp/capture.txt" >"$tmp/client.out" 2>&1; then
        echo "PASS $name frames from ns A"
    else
        echo "FAIL $name frames from ns A"; cat "$tmp/client.out"; failures=$((failures + 1))
        kill "$cpid" 2>/dev/null
    fi
    if wait "$cpid"; then
        echo "PASS $name capture in ns B"
    else
        echo "FAIL $name capture in ns B"; cat "$tmp/capture.out"; failures=$((failures + 1))
    fi
done
exit $failures
