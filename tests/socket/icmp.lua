-- eco.socket ICMP "ping" sockets: echo to 127.0.0.1 (and ::1) with socket.icmp()/icmp6()
-- (issue 3; spec/socket.md 4.3). Ping sockets need net.ipv4.ping_group_range to include our group:
-- on a permission error the test widens it with sysctl (tests run as root) and retries.
local T = require 'testlib'
local socket = require 'eco.socket'

local function open(ctor)
    local s, err = ctor()
    if not s and (err == 'Permission denied' or err == 'Operation not permitted') then
        os.execute('sysctl -w net.ipv4.ping_group_range="0 2147483647" >/dev/null')
        s, err = ctor()
    end
    T.ok(s, 'ping socket: ' .. tostring(err))
    return s
end

T.go(function()
    -- IPv4
    do
        local s = open(socket.icmp)
        -- 4.3: bind(nil, id) sets the echo identifier (random: parallel runs must not collide)
        local id, r, err
        for _ = 1, 20 do
            id = math.random(1000, 65000)
            r, err = s:bind(nil, id)
            if r then break end
        end
        T.eq(r, s, 'bind(nil, id): ' .. tostring(err))
        T.eq(s:getsockname().port, id)
        for seq = 1, 3 do
            local payload = 'eco-ping-' .. seq .. string.rep('.', 32)
            -- type, code, checksum (kernel), id (kernel), sequence
            local pkt = string.pack('>BBI2I2I2', socket.ICMP_ECHO, 0, 0, 0, seq) .. payload
            T.same({ #pkt }, s:sendto(pkt, '127.0.0.1', 0))
            local reply, from = s:recvfrom(1500, 5)
            T.ok(reply, 'echo reply: ' .. tostring(from))
            T.eq(from.family, socket.AF_INET)
            T.eq(from.ipaddr, '127.0.0.1')
            local typ, code, _, rid, rseq = string.unpack('>BBI2I2I2', reply)
            T.eq(typ, socket.ICMP_ECHOREPLY)
            T.eq(code, 0)
            T.eq(rid, id)
            T.eq(rseq, seq)
            T.eq(reply:sub(9), payload)
        end
        T.fails('timeout', s:recvfrom(1500, 0.05))
        s:close()
    end

    -- IPv6
    do
        local s = open(socket.icmp6)
        local payload = 'eco-ping6'
        local pkt = string.pack('>BBI2I2I2', socket.ICMPV6_ECHO_REQUEST, 0, 0, 0, 7) .. payload
        T.same({ #pkt }, s:sendto(pkt, '::1', 0))
        local reply, from = s:recvfrom(1500, 5)
        T.ok(reply, 'echo6 reply: ' .. tostring(from))
        T.eq(from.family, socket.AF_INET6)
        T.eq(from.ipaddr, '::1')
        local typ, _, _, _, rseq = string.unpack('>BBI2I2I2', reply)
        T.eq(typ, socket.ICMPV6_ECHO_REPLY)
        T.eq(rseq, 7)
        T.eq(reply:sub(9), payload)
        s:close()
    end
end)
