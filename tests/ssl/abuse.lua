-- eco.ssl against peers that do not speak TLS: a plaintext server, plaintext and garbage clients,
-- clients that hang up mid-handshake. A failed handshake costs one connection; the listener keeps
-- serving (spec/ssl.md checklist 19; section 5.1).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local socket = require 'eco.socket'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

T.go(function()
    -- 19 (client side): TLS to a plaintext server
    local plain = assert(socket.listen_tcp('127.0.0.1', 0))
    local pport = plain:getsockname().port
    eco.run(function()
        for _ = 1, 2 do
            local c = plain:accept(5)
            if not c then break end
            c:read(1, 2) -- the ClientHello begins
            c:send('HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
            c:close()
        end
    end)
    local c, err = ssl.connect('127.0.0.1', pport, { insecure = true })
    T.eq(c, nil)                                                                       -- 19
    T.ok(type(err) == 'string' and #err > 0, 'client error text')                     -- 19
    T.ok(err:find('wrong version number') or err:find('packet length') or err:find('record'),
        'OpenSSL text: ' .. err)
    -- a server that accepts and closes at once
    c, err = ssl.connect('127.0.0.1', pport, { insecure = true })
    T.eq(c, nil)
    T.ok(type(err) == 'string' and #err > 0)
    plain:close()

    -- 19 (server side): a TLS listener that receives plaintext / garbage keeps serving
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    local port = srv.sock:getsockname().port
    local results = {}
    eco.run(function()
        while true do
            local cl, e = srv:accept()
            if cl then
                results[#results + 1] = 'ok'
                local line = cl:read('l', 5)
                if line then cl:send(line:upper() .. '\n') end
                cl:close()
            else
                if e == 'canceled' then break end
                results[#results + 1] = e
            end
        end
    end)

    local function good_client()
        local cl = assert(ssl.connect('127.0.0.1', port, { insecure = true }))
        T.same({ 5 }, cl:send('ping\n', 5))
        T.same({ 'PING' }, cl:read('l', 5))
        cl:close()
    end
    local function raw(payload, close_after)
        local s = assert(socket.connect_tcp('127.0.0.1', port))
        if payload then s:send(payload) end
        if close_after then
            s:close()
            return
        end
        local r = s:read(4096, 5) -- whatever the server answers (an alert), then EOF
        s:close()
        return r
    end

    good_client()
    local before = #results
    raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n')                                           -- 19
    T.wait_until(function() return #results > before end, 5, 'the plaintext client handled')
    local perr = results[#results]
    T.ok(type(perr) == 'string' and perr ~= 'ok' and #perr > 0, 'accept error text')  -- 19
    T.ok(perr:find('http request') or perr:find('wrong version number') or perr:find('packet'),
        'OpenSSL text: ' .. perr)
    good_client()                                                                      -- keeps serving

    -- garbage instead of a ClientHello
    local junk = {}
    for i = 1, 2000 do junk[i] = string.char((i * 7919 + 13) % 256) end
    before = #results
    raw(table.concat(junk))
    T.wait_until(function() return #results > before end, 5, 'the garbage client handled')
    T.ok(results[#results] ~= 'ok' and #results[#results] > 0, 'garbage -> error')
    good_client()

    -- a TLS record header claiming a huge handshake message, then nothing: the client hangs up
    before = #results
    raw('\22\3\1\255\255\1\255\255\255', true)
    T.wait_until(function() return #results > before end, 5, 'the truncated client handled')
    T.ok(results[#results] ~= 'ok', 'truncated hello -> error')
    good_client()

    -- connect and hang up without a byte
    before = #results
    raw(nil, true)
    T.wait_until(function() return #results > before end, 5, 'the silent client handled')
    T.ok(results[#results] ~= 'ok' and #results[#results] > 0, 'hang-up -> error: ' .. tostring(results[#results]))
    good_client()

    -- a real ClientHello cut in the middle: TLS client whose socket is closed by a server-side
    -- timeout is covered by the 15 s rule; here the client gives up after its hello
    before = #results
    local s = assert(socket.connect_tcp('127.0.0.1', port))
    local ctx = ssl.context()
    local ss = assert(ctx:new(s:getfd(), true))
    local r = ss:handshake() -- sends the ClientHello
    T.eq(r, ssl.WANT_READ)
    ss:free()
    s:close()
    ctx:free()
    T.wait_until(function() return #results > before end, 5, 'the quitter handled')
    T.ok(results[#results] ~= 'ok', 'client quitting mid-handshake -> error')
    good_client()

    -- extension: accept_tcp + handshake in their own coroutines, so a silent client does not hold
    -- up the others
    local srv2 = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    local port2 = srv2.sock:getsockname().port
    local hs_errors = {}
    eco.run(function()
        while true do
            local sock = srv2:accept_tcp()
            if not sock then break end
            eco.run(function()
                local cl, e = srv2:handshake(sock)
                if not cl then
                    hs_errors[#hs_errors + 1] = e
                    return
                end
                local line = cl:read('l', 5)
                if line then cl:send(line:upper() .. '\n') end
                cl:close()
            end)
        end
    end)
    local silent = assert(socket.connect_tcp('127.0.0.1', port2)) -- sends nothing
    local t0 = T.now()
    local cl = assert(ssl.connect('127.0.0.1', port2, { insecure = true }))
    T.same({ 3 }, cl:send('ok\n'))
    T.same({ 'OK' }, cl:read('l', 5))
    cl:close()
    T.between(T.now() - t0, 0, 3, 'not held up by the silent client')
    silent:close()
    T.wait_until(function() return #hs_errors == 1 end, 5, 'the silent client failed')
    srv2:close()

    srv:close()
    eco.sleep(0.05)
    local oks = 0
    for _, v in ipairs(results) do if v == 'ok' then oks = oks + 1 end end
    T.eq(oks, 6, 'every good client was served')
end)

S.cleanup()
