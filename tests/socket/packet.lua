-- eco.socket AF_PACKET sockets on `lo` (needs root / CAP_NET_RAW; CI runs as root)
-- (spec/socket.md checklist 40, 41; sections 3.2, 4.4, 5.4).
local T = require 'testlib'
local socket = require 'eco.socket'

T.go(function()
    local proto = socket.htons(socket.ETH_P_ALL)
    local p, err = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, proto)
    T.ok(p, 'AF_PACKET socket (needs root): ' .. tostring(err))

    -- 40: interface lookup errors are soft
    T.fails("device 'nope0' not exists", p:bind({ ifname = 'nope0' }))          -- 40
    T.fails("no device with ifindex '9999'", p:bind({ ifindex = 9999 }))         -- 40
    T.fails("device 'nope0' not exists", p:sendto('x', { ifname = 'nope0' }))    -- 40
    T.raises('', p.bind, p, 'lo')                                                -- 3.2: a table is required
    -- ifname wins over ifindex
    T.fails("device 'nope0' not exists", p:bind({ ifname = 'nope0', ifindex = 1 }))

    -- 41: bind to lo and read the address back
    T.eq(p:bind({ ifname = 'lo' }), p)
    local a = p:getsockname()
    T.eq(a.family, 17)                 -- 41
    T.eq(a.ifindex, 1)                 -- 41
    T.eq(a.ifname, 'lo')               -- 41

    -- packet_add_membership (5.4)
    T.same({ true }, p:setoption('packet_add_membership', { ifname = 'lo', type = socket.PACKET_MR_PROMISC }))
    T.same({ true }, p:setoption('packet_drop_membership', { ifname = 'lo', type = socket.PACKET_MR_PROMISC }))
    T.same({ true }, p:setoption('packet_add_membership', { ifindex = 1, type = socket.PACKET_MR_ALLMULTI }))
    T.fails("No interface found with given name 'nope0'",
        p:setoption('packet_add_membership', { ifname = 'nope0', ifindex = 1 }))
    T.raises('address too long', p.setoption, p, 'packet_add_membership',
        { ifindex = 1, type = socket.PACKET_MR_MULTICAST, address = '123456789' })

    p:close()
    T.eq(p:getfd(), -1)

    -- a raw Ethernet frame sent on lo comes back through recvfrom; the receiver only listens to
    -- our local experimental ethertype, so other loopback traffic cannot crowd the frame out
    local ETH_P_TEST = 0x88b5
    p = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_TEST)))
    T.eq(p:bind({ ifname = 'lo' }), p)
    local marker = 'eco-packet-test-' .. tostring(os.time()) .. '-' .. tostring(math.random(1e9))
    local frame = string.rep('\0', 6) .. string.rep('\0', 6) .. '\x88\xb5' .. marker   -- local experimental ethertype
    local s2 = assert(socket.socket(socket.AF_PACKET, socket.SOCK_RAW, proto))
    T.same({ #frame }, s2:sendto(frame, { ifname = 'lo' }))
    T.same({ #frame }, s2:sendto(frame, { ifindex = 1 }))
    local found = 0
    local deadline = T.now() + 5
    while found < 1 and T.now() < deadline do
        local d, from = p:recvfrom(65536, 2)
        T.ok(d, 'recvfrom on AF_PACKET: ' .. tostring(from))
        if d:find(marker, 1, true) then
            found = found + 1
            T.eq(from.family, socket.AF_PACKET)
            T.eq(from.ifindex, 1)
            T.eq(from.ifname, 'lo')
            T.eq(d, frame)
        end
    end
    T.ok(found >= 1, 'the frame was captured on lo')
    s2:close()
    p:close()
end)
