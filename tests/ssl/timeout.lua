-- eco.ssl handshake timeouts: 15 s per wait on both sides (spec/ssl.md section 4 "Handshake",
-- 5.1 accept). A silent TCP peer makes connect return nil, "timeout"; a silent client makes
-- accept return nil, "timeout", after which the listener serves the next client. Both run at once
-- so the file takes about 15 s.
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local socket = require 'eco.socket'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

T.go(function()
    -- client side: a TCP server that accepts and never answers the ClientHello
    local mute = assert(socket.listen_tcp('127.0.0.1', 0))
    local held
    eco.run(function() held = mute:accept(5) end)
    local client_result
    eco.run(function()
        local t0 = T.now()
        local r = table.pack(ssl.connect('127.0.0.1', mute:getsockname().port, { insecure = true }))
        r.elapsed = T.now() - t0
        client_result = r
    end)

    -- server side: a client that connects and sends nothing
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    local port = srv.sock:getsockname().port
    local silent = assert(socket.connect_tcp('127.0.0.1', port))
    local t0 = T.now()
    local a, err = srv:accept()
    local elapsed = T.now() - t0
    T.eq(a, nil)
    T.eq(err, 'timeout')
    T.between(elapsed, 14.5, 20, 'accept handshake wait')
    -- the listener goes on
    local served
    eco.run(function()
        local c = assert(srv:accept())
        c:send(c:read('l', 5):upper() .. '\n')
        c:close()
        served = true
    end)
    local cli = assert(ssl.connect('127.0.0.1', port, { insecure = true }))
    cli:send('next\n')
    T.same({ 'NEXT' }, cli:read('l', 5))
    cli:close()
    T.wait_until(function() return served end, 5, 'next client served')
    silent:close()

    T.wait_until(function() return client_result end, 10, 'the client handshake timeout')
    T.same({ nil, 'timeout', n = 2 }, T.unpack(client_result))
    T.between(client_result.elapsed, 14.5, 20, 'connect handshake wait')
    if held then held:close() end
    mute:close()
    srv:close()
    eco.sleep(0.05)
end)

S.cleanup()
