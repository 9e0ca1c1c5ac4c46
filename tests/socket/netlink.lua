-- eco.socket netlink sockets: an RTM_GETLINK dump over NETLINK_ROUTE, address tables with `pid`
-- (spec/socket.md 3.1, 3.2, 4.3).
local T = require 'testlib'
local socket = require 'eco.socket'

local NETLINK_ROUTE, RTM_NEWLINK, RTM_GETLINK = 0, 16, 18
local NLM_F_REQUEST, NLM_F_DUMP, NLMSG_DONE = 0x1, 0x300, 3
local IFLA_IFNAME = 3

T.go(function()
    local nl = socket.netlink(NETLINK_ROUTE)
    T.ok(nl, 'netlink(NETLINK_ROUTE)')
    T.eq(nl:bind(0, 0), nl)                          -- groups, pid (3.2)
    local me = nl:getsockname()
    T.eq(me.family, socket.AF_NETLINK)
    T.ok(me.pid ~= 0, 'the kernel assigned a port id')

    -- nlmsghdr + ifinfomsg
    local body = string.pack('<BBI2i4I4I4', socket.AF_UNSPEC, 0, 0, 0, 0, 0)
    local msg = string.pack('<I4I2I2I4I4', 16 + #body, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) .. body
    T.same({ #msg }, nl:sendto(msg, 0, 0))           -- to the kernel (pid 0)

    local names, done = {}, false
    local deadline = T.now() + 5
    while not done and T.now() < deadline do
        local d, from = nl:recvfrom(65536, 2)
        T.ok(d, 'recvfrom: ' .. tostring(from))
        T.eq(from.family, socket.AF_NETLINK)
        T.eq(from.pid, 0)                            -- from the kernel
        local pos = 1
        while pos + 16 <= #d + 1 do
            local len, typ, _, seq = string.unpack('<I4I2I2I4', d, pos)
            if len < 16 then break end
            T.eq(seq, 1)
            if typ == NLMSG_DONE then done = true break end
            if typ == RTM_NEWLINK then
                -- walk the rtattrs after the 16-byte ifinfomsg
                local apos, aend = pos + 32, pos + len
                while apos + 4 <= aend do
                    local alen, atype = string.unpack('<I2I2', d, apos)
                    if alen < 4 then break end
                    if atype == IFLA_IFNAME then
                        names[#names + 1] = d:sub(apos + 4, apos + alen - 1):gsub('%z+$', '')
                    end
                    apos = apos + ((alen + 3) & ~3)
                end
            end
            pos = pos + ((len + 3) & ~3)
        end
    end
    T.ok(done, 'NLMSG_DONE received')
    local has_lo = false
    for _, n in ipairs(names) do if n == 'lo' then has_lo = true end end
    T.ok(has_lo, 'the dump lists lo: ' .. table.concat(names, ','))
    nl:close()

    -- group membership through bind(groups) (RTMGRP_LINK = 1)
    local mon = assert(socket.netlink(NETLINK_ROUTE))
    T.eq(mon:bind(1), mon)
    T.eq(mon:getsockname().family, socket.AF_NETLINK)
    mon:close()
end)
