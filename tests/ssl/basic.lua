-- eco.ssl between our own TLS server and client: constants, echo, readuntil, sendfile, close,
-- cancel, peer close, no name resolution (spec/ssl.md checklist 1-7, 15-17, 20).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local et = require 'ecotest'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

local function file(content)
    local p = dir .. '/f' .. tostring(math.random(1 << 30))
    local f = assert(io.open(p, 'wb'))
    f:write(content)
    f:close()
    return p
end

-- 1: result constants are integers with the reference's values
T.eq(math.type(ssl.OK), 'integer')
T.same({ 0, -1, -2, -3, -4 }, ssl.OK, ssl.ERROR, ssl.WANT_READ, ssl.WANT_WRITE, ssl.INSECURE) -- 1
for _, k in ipairs({ 'ERROR', 'WANT_READ', 'WANT_WRITE', 'INSECURE' }) do
    T.eq(math.type(ssl[k]), 'integer', k)                                              -- 1
end

T.go(function()
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key, reuseaddr = true }))
    local port = srv.sock:getsockname().port
    T.ok(math.type(port) == 'integer' and port > 0, 'listener port')                 -- 4
    T.eq(srv.insecure, nil)
    T.ok(srv.ctx ~= nil and srv.sock ~= nil)

    -- the server side: one coroutine per accepted client, driven by a script per connection
    local scripts = {}
    local served = 0
    eco.run(function()
        while true do
            local c, peer = srv:accept()
            if not c then
                T.eq(peer, 'canceled')                     -- listener closed at the end
                break
            end
            served = served + 1
            T.eq(type(peer), 'table')                                                 -- 3
            T.ok(peer.port and peer.ipaddr, 'peer address fields')
            T.eq(c.ctx, nil, 'accepted client has no context of its own')
            local script = table.remove(scripts, 1)
            eco.run(script, c)
        end
    end)

    local function connect()
        return ssl.connect('127.0.0.1', port, { insecure = true, server_name = 'localhost' })
    end

    -- 2: echo both ways
    local done2 = false
    scripts[#scripts + 1] = function(c)
        T.same({ 'hello' }, c:readfull(5, 2))                                         -- 2
        T.same({ 5 }, c:send('world', 2))                                             -- 2
        done2 = true
        c:close()
    end
    local cli = assert(connect())
    T.same({ 5 }, cli:send('hello', 2))                                               -- 2
    T.same({ 'world' }, cli:readfull(5, 2))                                           -- 2
    T.wait_until(function() return done2 end, 5, 'server script 2')
    -- 17: the server closed: read returns nil, "closed"
    T.fails('closed', cli:read(10, 1))                                                -- 17
    T.eq(cli.closed, false)
    cli:close()
    T.eq(cli.closed, true)

    -- 5: readuntil on TLS data; then readfull gets the tail
    scripts[#scripts + 1] = function(c)
        c:send('abcENDtail')
        c:readfull(1, 5) -- wait for the client to finish
        c:close()
    end
    cli = assert(connect())
    T.same({ 'abc', true }, cli:readuntil('END', 2))                                  -- 5
    T.same({ 'tail' }, cli:readfull(4))                                               -- 5
    -- formats of eco.reader work on decrypted data
    cli:send('x')
    cli:close()

    scripts[#scripts + 1] = function(c)
        c:send('line one\r\nline two\nrest')
        c:close()
    end
    cli = assert(connect())
    T.same({ 'line one' }, cli:read('l', 2))
    T.same({ 'line two\n' }, cli:read('L', 2))
    T.same({ 'rest' }, cli:read('a', 2))
    cli:close()

    -- 6, 7: sendfile in 4 KiB chunks through send
    local got6
    scripts[#scripts + 1] = function(c)
        got6 = { c:readfull(5, 2) }
        got6[2] = c:readfull(8, 2)
        got6[3] = c:readfull(9000, 5)
        c:close()
    end
    cli = assert(connect())
    local ten = file('0123456789')
    T.same({ 5 }, cli:sendfile(ten, 5, 2, 2))                                         -- 6
    T.same({ 8 }, cli:sendfile(ten, 100, 2, 2))                                       -- 7
    local big = string.rep('abcdefghi', 1000)
    T.same({ 9000 }, cli:sendfile(file(big), 9000))
    T.fails('No such file or directory', cli:sendfile(dir .. '/missing', 5))
    T.raises('compare', cli.sendfile, cli, ten)        -- len is required
    T.wait_until(function() return got6 end, 5, 'sendfile receiver')
    T.eq(got6[1], '23456')                                                            -- 6
    T.eq(got6[2], '23456789')                                                         -- 7
    T.ok(got6[3] == big, 'multi-chunk sendfile payload')
    cli:close()

    -- a large transfer both ways with concurrent reading (many records, partial writes)
    local blob = string.rep('0123456789abcdef', 64 * 1024) -- 1 MiB
    scripts[#scripts + 1] = function(c)
        local data = c:readfull(#blob, 10)
        c:send(data, 10)
        c:close()
    end
    cli = assert(connect())
    local echoed
    eco.run(function() echoed = cli:readfull(#blob, 10) end)
    T.same({ #blob }, cli:send(blob, 10))
    T.wait_until(function() return echoed end, 10, 'the 1 MiB echo')
    T.ok(echoed == blob, '1 MiB echo intact')
    cli:close()

    -- 15: a blocked reader gets "canceled" when another coroutine closes the client
    local hold = {}
    scripts[#scripts + 1] = function(c)
        T.wait_until(function() return hold.done end, 10, 'cancel test')
        c:close()
    end
    cli = assert(connect())
    local r15
    eco.run(function() r15 = table.pack(cli:readfull(1, 5)) end)
    eco.sleep(0.05)
    local t0 = T.now()
    cli:close()
    T.wait_until(function() return r15 end, 2, 'the canceled reader')
    T.same({ nil, 'canceled', n = 2 }, T.unpack(r15))                                -- 15
    T.between(T.now() - t0, 0, 1)
    -- 16: close twice; closed field; read after close
    cli:close()                                                                       -- 16
    T.eq(cli.closed, true)                                                            -- 16
    local a, b = cli:read(10)
    T.eq(a, nil)                                                                      -- 16
    T.eq(type(b), 'string')                                                           -- 16
    T.eq(cli.sock:getfd(), -1, 'the TCP socket is closed')
    local s1, s2 = cli:send('x')
    T.eq(s1, nil)
    T.ok(s2 == 'closed' or s2 == 'canceled', 'send after close')
    hold.done = true

    -- a pending send is canceled by close too (peer does not read; the writer blocks)
    scripts[#scripts + 1] = function(c)
        T.wait_until(function() return hold.done2 end, 10, 'send cancel test')
        c:close()
    end
    cli = assert(connect())
    local r_send
    eco.run(function() r_send = table.pack(cli:send(string.rep('x', 16 * 1024 * 1024), 10)) end)
    eco.sleep(0.2)
    T.eq(r_send, nil, 'the big send is blocked')
    cli:close()
    T.wait_until(function() return r_send end, 2, 'the canceled sender')
    T.eq(r_send[1], nil)
    T.eq(r_send[2], 'canceled')
    hold.done2 = true

    -- timeouts on TLS reads
    scripts[#scripts + 1] = function(c)
        T.wait_until(function() return hold.done3 end, 10, 'timeout test')
        c:close()
    end
    cli = assert(connect())
    t0 = T.now()
    T.fails('timeout', cli:read(1, 0.1))
    T.between(T.now() - t0, 0.09, 2)
    hold.done3 = true
    cli:close()

    -- 20: no name resolution
    T.raises('not a valid IP address', ssl.connect, 'example.com', 443)               -- 20
    -- connect errors are returned unchanged
    local probe = assert(require('eco.socket').listen_tcp('127.0.0.1', 0))
    local dead = probe:getsockname().port
    probe:close()
    T.fails('Connection refused', ssl.connect('127.0.0.1', dead, { insecure = true }))

    T.wait_until(function() return #scripts == 0 end, 5, 'all scripts consumed')
    local fd = srv.sock:getfd()
    srv:close()
    srv:close() -- idempotent
    T.eq(et.fd_open(fd), false, 'listener fd closed')
    T.wait_until(function() return served >= 8 end, 2, 'served clients')
    eco.sleep(0.05)
end)

S.cleanup()
