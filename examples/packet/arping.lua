-- ARP ping with eco.packet over an AF_PACKET socket (needs root or CAP_NET_RAW):
--   eco arping.lua IFACE TARGET_IP [SOURCE_IP]     (or lua5.4 with the modules on LUA_CPATH)
-- Broadcasts "who-has TARGET_IP" on IFACE three times and prints every ARP reply, decoded.
local eco = require 'eco'
local socket = require 'eco.socket'
local packet = require 'eco.packet'

local ifname, target, source = arg[1], arg[2], arg[3] or '0.0.0.0'
if not ifname or not target then
    io.stderr:write('usage: arping.lua IFACE TARGET_IP [SOURCE_IP]\n')
    os.exit(1)
end

local f = assert(io.open('/sys/class/net/' .. ifname .. '/address'))
local mac = f:read('l')
f:close()

local s = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(socket.ETH_P_ARP)))
assert(s:bind({ ifname = ifname }))

local request = packet.ether(mac, 'ff:ff:ff:ff:ff:ff', socket.ETH_P_ARP,
    packet.arp(socket.ARPOP_REQUEST, mac, source, nil, target))

eco.run(function()
    for _ = 1, 3 do
        assert(s:sendto(request, { ifname = ifname }))
        local data = s:recvfrom(2048, 1)
        while data do
            local arp = packet.from_ether(data)
            arp = arp and arp:next()
            if arp and arp.op == socket.ARPOP_REPLY and arp.sip == target then
                print(tostring(arp))
            end
            data = s:recvfrom(2048, 0.2)
        end
    end
    s:close()
end)

eco.loop()
