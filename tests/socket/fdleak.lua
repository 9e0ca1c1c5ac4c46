-- eco.socket descriptor hygiene: 10,000 open/close cycles, thousands of TCP connect/accept pairs,
-- and sockets dropped without close() reclaimed by a full GC; the process's fd count must come back
-- to where it started (issue 3; spec/socket.md checklist 25, section 5).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local et = require 'ecotest'

T.go(function()
    local base = assert(et.fd_count())

    -- 10,000 UDP sockets opened and closed
    for i = 1, 10000 do
        local u, err = socket.udp()
        if not u then T.ok(false, 'udp() #' .. i .. ': ' .. tostring(err)) end
        u:close()
    end
    T.eq(et.fd_count(), base, 'fd count after 10,000 udp()+close')

    -- 3,000 TCP connect/accept pairs, each exchanging a few bytes
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0, { backlog = 512 }))
        local port = l:getsockname().port
        local lfds = et.fd_count()
        for i = 1, 3000 do
            local c, err = socket.connect_tcp('127.0.0.1', port)
            if not c then T.ok(false, 'connect #' .. i .. ': ' .. tostring(err)) end
            local s, aerr = l:accept(5)
            if not s then T.ok(false, 'accept #' .. i .. ': ' .. tostring(aerr)) end
            if i % 100 == 0 then
                c:send('ping')
                T.eq(s:readfull(4, 5), 'ping')
            end
            s:close()
            c:close()
        end
        T.eq(et.fd_count(), lfds, 'fd count after 3,000 TCP pairs')
        l:close()
    end
    T.eq(et.fd_count(), base, 'fd count after the TCP pairs')

    -- Unix stream pairs and listeners
    for _ = 1, 500 do
        local a, b = assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        a:close(); b:close()
    end
    T.eq(et.fd_count(), base, 'fd count after 500 socketpairs')

    -- 25: a dropped socket is closed by a full GC
    do
        local u = assert(socket.udp())
        local fd = u:getfd()
        T.ok(et.fd_open(fd))
        u = nil -- luacheck: ignore
        T.full_gc()
        T.eq(et.fd_open(fd), false, 'the fd of a collected socket is closed')   -- 25
    end

    -- many sockets of every kind dropped without close(), some of them used and parked once
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local port = l:getsockname().port
        for _ = 1, 200 do
            local c = assert(socket.connect_tcp('127.0.0.1', port))
            local s = assert(l:accept(5))
            c:send('x')
            T.eq(s:read(1, 5), 'x')
            T.fails('timeout', s:read(1, 0.001))   -- registers a wait on the fd, then times out
        end
        for _ = 1, 200 do
            assert(socket.udp())
            assert(socket.tcp6())
            assert(socket.unix_dgram())
            assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))
        end
        l:close()
        T.full_gc()
        T.eq(et.fd_count(), base, 'fd count after dropping sockets and a full GC')       -- 25
    end

    -- descriptors reused after GC still work with the scheduler (no stale registration)
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0))
        local port = l:getsockname().port
        local got = {}
        for i = 1, 20 do
            local c = assert(socket.connect_tcp('127.0.0.1', port))
            local s = assert(l:accept(5))
            eco.run(function()
                eco.sleep(0.01)
                c:send('reused ' .. i .. '\n')
            end)
            got[i] = s:read('l', 5)
            c:close(); s:close()
        end
        for i = 1, 20 do T.eq(got[i], 'reused ' .. i) end
        l:close()
    end
    T.full_gc()
    T.eq(et.fd_count(), base, 'fd count at the end')
end)
