-- eco.socket open_tun: TAP/TUN creation, flag rules, and a real packet round trip through a TUN
-- interface configured with iproute2 (needs root; CI runs as root)
-- (spec/socket.md checklist 49; sections 4.5, 6).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local et = require 'ecotest'

-- ARPHRD type of an interface: 1 (ether) for TAP, 65534 (none) for TUN.
local function iftype(name)
    local f = assert(io.open('/sys/class/net/' .. name .. '/type'))
    local t = tonumber(f:read('l'))
    f:close()
    return t
end

local function sh(cmd)
    local ok, how, code = os.execute(cmd)
    T.ok(ok, string.format('%s: %s %s', cmd, tostring(how), tostring(code)))
end

-- RFC 1071 checksum of a byte string.
local function csum(s)
    local sum = 0
    if #s % 2 == 1 then s = s .. '\0' end
    for i = 1, #s, 2 do sum = sum + s:byte(i) * 256 + s:byte(i + 1) end
    while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
    return (~sum) & 0xffff
end

T.go(function()
    -- 49: argument checks
    T.raises('device name too long', socket.open_tun, string.rep('a', 16))          -- 49

    -- 49: a TAP device without packet information
    local tap, name = socket.open_tun(nil, { tap = true, no_pi = true })
    T.ok(tap, 'open_tun tap (needs root): ' .. tostring(name))                      -- 49
    T.eq(type(name), 'string')
    T.eq(name:sub(1, 3), 'tap')                                                      -- 49
    T.ok(math.type(tap:getfd()) == 'integer' and tap:getfd() >= 0)
    T.eq(tap:closed(), false)
    T.eq(iftype(name), 1, 'a TAP device is an Ethernet device')
    -- socket-only methods are not meaningful on a TUN object (4.5: they raise)
    T.raises('', tap.bind, tap, '127.0.0.1', 1)
    T.raises('', tap.setoption, tap, 'reuseaddr', true)
    tap:close()
    T.eq(tap:closed(), true)
    T.eq(tap:getfd(), -1)
    tap:close()

    -- flag rules (4.5): the default is TUN without PI; { no_pi = true } alone is rejected
    local tun0, n0 = socket.open_tun()
    T.ok(tun0, 'open_tun(): ' .. tostring(n0))
    T.eq(n0:sub(1, 3), 'tun')
    T.eq(iftype(n0), 65534)
    tun0:close()
    T.fails('Invalid argument', socket.open_tun(nil, { no_pi = true }))
    local tpi, npi = socket.open_tun('ecopi%d', { tun = true, tap = true })
    T.ok(tpi, 'tun wins over tap: ' .. tostring(npi))
    T.eq(npi:sub(1, 5), 'ecopi')
    T.eq(iftype(npi), 65534, 'tun wins over tap')
    tpi:close()

    -- a real round trip: kernel -> TUN (read a UDP/IPv4 packet) and TUN -> kernel (write one).
    -- With `no_pi` the fd carries bare IP packets; `{ tun = true }` alone keeps the 4-byte packet
    -- information header (flags, protocol) in front of each packet (4.5).
    local function round_trip(no_pi, third)
        local net = string.format('10.%d.%d', 100 + et.getpid() % 100, (math.random(1, 120) * 2 + third) % 250 + 1)
        local tun, ifname = socket.open_tun('ecotun%d', { tun = true, no_pi = no_pi })
        T.ok(tun, 'open_tun ecotun%d: ' .. tostring(ifname))
        T.eq(ifname:sub(1, 6), 'ecotun')
        sh(string.format('ip addr add %s.1/24 dev %s && ip link set %s up', net, ifname, ifname))
        local pi = no_pi and '' or '\0\0\x08\x00'     -- flags 0, ETH_P_IP
        local hl = #pi

        local u = assert(socket.udp())
        T.ok(u:bind(net .. '.1', 0))
        local uport = u:getsockname().port
        local marker = 'eco-tun-payload'
        -- the kernel routes 10.x.y.2 through the TUN device: the packet shows up on the fd
        local deadline = T.now() + 5
        local pkt
        eco.run(function()
            while not pkt and T.now() < deadline do
                u:sendto(marker, net .. '.2', 9999)
                eco.sleep(0.1)
            end
        end)
        while T.now() < deadline do
            local d, err = tun:read(65536, 2)
            T.ok(d, 'tun:read: ' .. tostring(err))
            -- skip IPv6 router solicitations and the like; take our IPv4/UDP packet
            if d:byte(hl + 1) >> 4 == 4 and d:byte(hl + 10) == 17 and d:find(marker, 1, true) then
                pkt = d
                break
            end
        end
        T.ok(pkt, 'the UDP packet was read from the TUN device')
        T.eq(pkt:sub(1, hl), pi, 'packet information header')
        pkt = pkt:sub(hl + 1)
        T.eq(pkt:sub(13, 16), socket.inet_pton(socket.AF_INET, net .. '.1'))   -- source
        T.eq(pkt:sub(17, 20), socket.inet_pton(socket.AF_INET, net .. '.2'))   -- destination
        T.eq(pkt:sub(-#marker), marker)

        -- write a reply packet from 10.x.y.2:9999 to our UDP socket through the TUN device
        local reply = 'eco-tun-reply'
        local udp = string.pack('>I2I2I2I2', 9999, uport, 8 + #reply, 0) .. reply
        local hdr = string.pack('>BBI2I2I2BBI2', 0x45, 0, 20 + #udp, 1, 0, 64, 17, 0)
            .. socket.inet_pton(socket.AF_INET, net .. '.2') .. socket.inet_pton(socket.AF_INET, net .. '.1')
        hdr = hdr:sub(1, 10) .. string.pack('>I2', csum(hdr)) .. hdr:sub(13)
        T.same({ hl + #hdr + #udp }, tun:write(pi .. hdr .. udp))
        local d, from = u:recvfrom(100, 5)
        T.eq(d, reply)
        T.eq(from.ipaddr, net .. '.2')
        T.eq(from.port, 9999)

        u:close()
        tun:close()
        T.eq(tun:closed(), true)
        -- the non-persistent device is gone with its fd
        T.wait_until(function() return socket.if_nametoindex(ifname) == nil end, 5, 'the TUN device to vanish')
    end
    round_trip(true, 0)
    round_trip(false, 1)
end)
