-- eco.ssl certificate verification and file options, against `openssl s_server` as the peer and
-- against our own listener (spec/ssl.md checklist 8-10, 13, 14, 21; section 3).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')
local other, other_key = S.self_signed(dir, 'other', 'default.test')
local ca, leaf, leaf_key = S.ca_and_leaf(dir, 'wrong.example')

local VERIFY_PREFIX = 'SSL certificate verify fail: '

T.go(function()
    -- s_server presents `other` by default and `cert` (CN=localhost) to SNI "localhost";
    -- -rev echoes each line reversed.
    local sv, port = S.s_server(dir, 'sv', string.format('-rev -cert %s -key %s -servername localhost -cert2 %s -key2 %s',
        S.q(other), S.q(other_key), S.q(cert), S.q(key)))

    local function roundtrip(cli)
        T.same({ 6 }, cli:send('hello\n', 5))
        T.same({ 'olleh' }, cli:read('l', 5))
        cli:close()
    end

    -- 8: self-signed, no CA, not insecure
    local c, err = ssl.connect('127.0.0.1', port, { server_name = 'localhost' })
    T.eq(c, nil)                                                                      -- 8
    T.eq(type(err), 'string')
    T.eq(err:sub(1, #VERIFY_PREFIX), VERIFY_PREFIX, 'verify failure prefix')          -- 8
    T.ok(err:find('self.signed certificate'), 'OpenSSL reason: ' .. err)            -- 8
    T.eq(select('#', ssl.connect('127.0.0.1', port)), 2)

    -- 9: the same with insecure = true
    roundtrip(assert(ssl.connect('127.0.0.1', port, { insecure = true, server_name = 'localhost' }))) -- 9
    roundtrip(assert(ssl.connect('127.0.0.1', port, { insecure = true })))

    -- the CA file makes it verify (connecting by IP: no host name check)
    roundtrip(assert(ssl.connect('127.0.0.1', port, { ca = cert, server_name = 'localhost' })))

    -- SNI reaches the server: only with server_name = 'localhost' does it present `cert`,
    -- which is the one trusted here; without SNI it presents `other`, which fails verification
    local c2, err2 = ssl.connect('127.0.0.1', port, { ca = cert })
    T.eq(c2, nil, 'no SNI: the default certificate is not trusted')
    T.eq(err2:sub(1, #VERIFY_PREFIX), VERIFY_PREFIX)
    c2, err2 = ssl.connect('127.0.0.1', port, { ca = cert, server_name = 'default.test' })
    T.eq(c2, nil, 'SNI default.test: not the trusted certificate')
    roundtrip(assert(ssl.connect('127.0.0.1', port, { ca = other })))                   -- SNI absent
    -- a name OpenSSL refuses for SNI (empty) is ignored, as by the reference
    roundtrip(assert(ssl.connect('127.0.0.1', port, { ca = other, server_name = '' })))
    roundtrip(assert(ssl.connect('127.0.0.1', port, { ca = cert, server_name = 'localhost' })))

    -- 14: CA file that cannot be loaded
    T.fails('load ca file fail', ssl.connect('127.0.0.1', port, { ca = '/nonexistent', insecure = true })) -- 14
    T.fails('load ca file fail', ssl.connect('127.0.0.1', port, { ca = key, insecure = true }))
    -- client cert/key options: bad files
    T.fails('load cert file fail', ssl.connect('127.0.0.1', port, { cert = '/nonexistent', insecure = true }))
    T.fails('load key file fail', ssl.connect('127.0.0.1', port, { cert = cert, key = '/nonexistent', insecure = true }))
    -- load order: ca first
    T.fails('load ca file fail', ssl.connect('127.0.0.1', port, { ca = '/nonexistent', cert = '/nonexistent' }))
    -- a client certificate is accepted by a server that does not ask for one
    roundtrip(assert(ssl.connect('127.0.0.1', port, { cert = leaf, key = leaf_key, insecure = true })))

    -- 10: a trusted chain whose subject (wrong.example) does not match server_name
    local sv2, port2 = S.s_server(dir, 'sv2', string.format('-rev -cert %s -key %s', S.q(leaf), S.q(leaf_key)))
    roundtrip(assert(ssl.connect('127.0.0.1', port2, { ca = ca, server_name = 'localhost' })))  -- 10
    roundtrip(assert(ssl.connect('127.0.0.1', port2, { ca = ca })))                             -- 10
    c, err = ssl.connect('127.0.0.1', port2, { server_name = 'localhost' })
    T.eq(c, nil)
    T.ok(err:find(VERIFY_PREFIX, 1, true) == 1, err)
    T.ok(err:find('local issuer') or err:find('self.signed'), 'untrusted CA reason: ' .. err)

    -- the same checks against our own listener (presenting the CA-signed leaf)
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = leaf, key = leaf_key }))
    local lport = srv.sock:getsockname().port
    local accepted = 0
    eco.run(function()
        while true do
            local cl = srv:accept()
            if cl then
                accepted = accepted + 1
                local line = cl:read('l', 5)
                if line then cl:send(line:reverse() .. '\n') end
                cl:close()
            elseif srv.closed then
                break
            end
        end
    end)
    roundtrip(assert(ssl.connect('127.0.0.1', lport, { ca = ca, server_name = 'localhost' })))  -- 10
    c, err = ssl.connect('127.0.0.1', lport)
    T.eq(c, nil)                                                                                -- 8
    T.ok(err:find(VERIFY_PREFIX, 1, true) == 1, err)
    roundtrip(assert(ssl.connect('127.0.0.1', lport, { insecure = true })))                     -- 9

    -- 13: listener with files that cannot be loaded
    T.fails('load cert file fail', ssl.listen('127.0.0.1', 0, { cert = '/nonexistent', key = key })) -- 13
    T.fails('load key file fail', ssl.listen('127.0.0.1', 0, { cert = cert, key = '/nonexistent' }))   -- 13
    T.fails('load key file fail', ssl.listen('127.0.0.1', 0, { cert = cert, key = cert }))             -- 13
    T.fails('load key file fail', ssl.listen('127.0.0.1', 0, { cert = cert, key = other_key }))        -- mismatch
    T.fails('load ca file fail', ssl.listen('127.0.0.1', 0, { ca = '/nonexistent', cert = '/nonexistent' }))
    -- listen errors are returned unchanged
    local busy = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    T.fails('Address already in use', ssl.listen('127.0.0.1', busy.sock:getsockname().port, { cert = cert, key = key }))
    busy:close()

    -- 21: a listener without cert/key is created; client handshakes against it fail
    local bare = assert(ssl.listen('127.0.0.1', 0))                                             -- 21
    local bport = bare.sock:getsockname().port
    local srv_err
    eco.run(function()
        local r, e = bare:accept()
        T.eq(r, nil)
        srv_err = e
    end)
    c, err = ssl.connect('127.0.0.1', bport, { insecure = true })
    T.eq(c, nil)                                                                                -- 21
    T.ok(type(err) == 'string' and #err > 0, 'client handshake error text')                    -- 21
    T.wait_until(function() return srv_err end, 5, 'the bare listener accept')
    T.ok(type(srv_err) == 'string' and #srv_err > 0, 'server handshake error text')
    T.ok(srv_err:find('no shared cipher') or srv_err:find('no suitable'), 'OpenSSL text: ' .. srv_err)
    bare:close()

    srv:close()
    T.ok(accepted >= 2, 'our listener served the clients: ' .. accepted)
    T.ok(S.alive(sv) and S.alive(sv2), 's_server peers still running')
    S.cleanup()
    eco.sleep(0.05)
end)

S.cleanup()
