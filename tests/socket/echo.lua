-- eco.socket real-world echo: a TCP and a Unix stream echo server (one coroutine per
-- connection) against 50 concurrent clients x 20 round trips each (issue 3).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

local CLIENTS, ROUNDS = 50, 20

-- Serves `l` until it is closed: one coroutine per accepted connection echoing
-- length-prefixed frames ("<len>\n<payload>") back.
local function serve(l, stats)
    eco.run(function()
        while true do
            local c = l:accept()
            if not c then break end
            stats.accepted = stats.accepted + 1
            eco.run(function()
                while true do
                    local hdr = c:read('l')
                    if not hdr then break end
                    local n = tonumber(hdr)
                    local body = n > 0 and c:readfull(n) or ''
                    if not body then break end
                    if not c:send(hdr .. '\n' .. body) then break end
                    stats.echoed = stats.echoed + 1
                end
                c:close()
                stats.closed = stats.closed + 1
            end)
        end
    end)
end

local function run_clients(connect, label)
    local done, bad = 0, {}
    for i = 1, CLIENTS do
        eco.run(function()
            local c, err = connect()
            if not c then
                bad[#bad + 1] = 'connect: ' .. tostring(err)
                done = done + 1
                return
            end
            for j = 1, ROUNDS do
                -- sizes from 0 to ~40 KiB so some frames need several reads/writes
                local n = ((i * 7919 + j * 104729) % 41) * 1000 + (j % 3)
                local payload = string.rep(string.char(65 + (i + j) % 26), n)
                local ok, serr = c:send(n .. '\n' .. payload, 10)
                if not ok then bad[#bad + 1] = 'send: ' .. tostring(serr) break end
                local hdr, rerr = c:read('l', 10)
                local body = hdr and (n > 0 and c:readfull(n, 10) or '')
                if tonumber(hdr) ~= n or body ~= payload then
                    bad[#bad + 1] = string.format('%s client %d round %d: %s %s', label, i, j, tostring(hdr), tostring(rerr))
                    break
                end
            end
            c:close()
            done = done + 1
        end)
    end
    T.wait_until(function() return done == CLIENTS end, 30, label .. ' clients')
    T.eq(#bad, 0, label .. ' echo errors: ' .. table.concat(bad, '; ', 1, math.min(#bad, 5)))
end

T.go(function()
    -- TCP
    do
        local l = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true, tcp_nodelay = true }))
        local port = l:getsockname().port
        local stats = { accepted = 0, echoed = 0, closed = 0 }
        serve(l, stats)
        run_clients(function() return socket.connect_tcp('127.0.0.1', port) end, 'TCP')
        T.wait_until(function() return stats.closed == CLIENTS end, 10, 'TCP server coroutines to end')
        T.eq(stats.accepted, CLIENTS)
        T.eq(stats.echoed, CLIENTS * ROUNDS)
        l:close()
    end

    -- TCP over IPv6 loopback
    do
        local l = assert(socket.listen_tcp('::1', 0, { ipv6 = true }))
        local port = l:getsockname().port
        local stats = { accepted = 0, echoed = 0, closed = 0 }
        serve(l, stats)
        run_clients(function() return socket.connect_tcp('::1', port) end, 'TCP6')
        T.wait_until(function() return stats.closed == CLIENTS end, 10, 'TCP6 server coroutines to end')
        T.eq(stats.echoed, CLIENTS * ROUNDS)
        l:close()
    end

    -- Unix stream
    do
        local path = os.tmpname()
        os.remove(path)
        path = path .. '.echo.sock'
        local l = assert(socket.listen_unix(path, { backlog = 128 }))
        local stats = { accepted = 0, echoed = 0, closed = 0 }
        serve(l, stats)
        run_clients(function() return socket.connect_unix(path) end, 'Unix')
        T.wait_until(function() return stats.closed == CLIENTS end, 10, 'Unix server coroutines to end')
        T.eq(stats.accepted, CLIENTS)
        T.eq(stats.echoed, CLIENTS * ROUNDS)
        l:close()
        T.ok(not os.rename(path, path), 'listener path removed')
    end
end)
