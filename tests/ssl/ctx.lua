-- eco.ssl low-level API: contexts shared between connections, freeing, sessions driven by hand
-- over a socket pair (spec/ssl.md checklist 11, 12; section 6).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local et = require 'ecotest'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

T.go(function()
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    local port = srv.sock:getsockname().port
    eco.run(function()
        while true do
            local c, err = srv:accept()
            if not c then
                if err == 'canceled' then break end
            else
                eco.run(function()
                    while true do
                        local line = c:read('l', 5)
                        if not line then break end
                        c:send(line:upper() .. '\n')
                    end
                    c:close()
                end)
            end
        end
    end)

    -- 11: a caller-supplied context is reused and not freed by the client's close
    local ctx = ssl.context()
    local c1 = assert(ssl.connect('127.0.0.1', port, { ctx = ctx, insecure = true }))   -- 11
    T.eq(c1.ctx, ctx)
    T.eq(c1.keep_ctx, true)
    T.same({ 4 }, c1:send('abc\n'))
    T.same({ 'ABC' }, c1:read('l', 5))
    c1:close()
    local c2 = assert(ssl.connect('127.0.0.1', port, { ctx = ctx, insecure = true }))   -- 11
    T.same({ 4 }, c2:send('def\n'))
    T.same({ 'DEF' }, c2:read('l', 5))
    -- ca/cert/key are ignored when ctx is given
    local c3 = assert(ssl.connect('127.0.0.1', port, { ctx = ctx, insecure = true, ca = '/nonexistent' }))
    c3:close()
    -- verification still applies with a supplied context
    local n, err = ssl.connect('127.0.0.1', port, { ctx = ctx })
    T.eq(n, nil)
    T.ok(err:find('SSL certificate verify fail: ', 1, true) == 1, err)
    -- a context that trusts the certificate
    local trusting = ssl.context(false)
    T.eq(trusting:load_ca_cert_file(cert), true)
    local c4 = assert(ssl.connect('127.0.0.1', port, { ctx = trusting }))
    c4:close()
    trusting:free()

    -- 12: after free, new sessions fail; free twice is harmless; existing clients keep working
    ctx:free()
    T.fails('context closed', ctx:new(0, true))                                          -- 12
    ctx:free()                                                                           -- 12
    T.same({ 4 }, c2:send('ghi\n'))                                                      -- 12
    T.same({ 'GHI' }, c2:read('l', 5))                                                   -- 12
    c2:close()
    T.fails('context closed', ssl.connect('127.0.0.1', port, { ctx = ctx, insecure = true }))
    T.eq(ctx:load_ca_cert_file(cert), false)
    T.eq(ctx:load_cert_file(cert), false)
    T.eq(ctx:load_key_file(key), false)
    T.eq(ctx:set_ciphers('DEFAULT'), false)

    -- context methods on a live context
    local x = ssl.context(true)
    T.eq(x:load_cert_file(cert), true)
    T.eq(x:load_key_file(key), true)
    T.eq(x:load_cert_file('/nonexistent'), false)
    T.eq(x:load_key_file(cert), false)
    T.eq(x:load_ca_cert_file(dir .. '/nothing'), false)
    T.eq(x:set_ciphers('ECDHE-ECDSA-AES128-GCM-SHA256'), true)
    T.eq(x:set_ciphers('NOT-A-CIPHER'), false)
    T.same({}, x:require_validation(false))
    x:free()
    T.raises('bad argument', ssl.connect, '127.0.0.1', port, { ctx = 'nope' })

    -- sessions driven by hand over a socket pair: WANT_READ / WANT_WRITE / true
    local a, b = et.socketpair()
    local ioa, iob = eco.io(a), eco.io(b) -- sets O_NONBLOCK
    local cctx, sctx = ssl.context(false), ssl.context(true)
    T.ok(sctx:load_cert_file(cert) and sctx:load_key_file(key))
    local cs = assert(cctx:new(a, true))
    local ss = assert(sctx:new(b))
    cs:set_server_name('localhost')
    T.eq(type(cs:pointer()), 'userdata')
    local seen = {}
    local cdone, sdone = false, false
    for _ = 1, 50 do
        if not cdone then
            local r, e = cs:handshake()
            T.ok(r ~= nil, e)
            if r == true then cdone = true else seen[r] = true end
        end
        if not sdone then
            local r, e = ss:handshake()
            T.ok(r ~= nil, e)
            if r == true then sdone = true else seen[r] = true end
        end
        if cdone and sdone then break end
    end
    T.ok(cdone and sdone, 'both handshakes completed')
    T.ok(seen[ssl.WANT_READ], 'WANT_READ was reported')
    T.same({ true }, cs:handshake())
    -- application data through readers/writers built on the hooks
    local crd, cwr = eco.reader(a, ssl.read, cs:pointer()), eco.writer(a, ssl.write, cs:pointer())
    local srd, swr = eco.reader(b, ssl.read, ss:pointer()), eco.writer(b, ssl.write, ss:pointer())
    T.same({ 5 }, cwr:write('hello'))
    T.same({ 'hello' }, srd:readfull(5, 5))
    T.same({ 3 }, swr:write('bye'))
    T.same({ 'bye' }, crd:readfull(3, 5))
    -- a freed session: handshake says closed, hooks fail, set_server_name raises
    cs:free()
    cs:free()
    T.fails('closed', cs:handshake())
    T.fails('closed', crd:read(1, 1))
    T.raises('closed', cs.set_server_name, cs, 'x')
    ss:free()
    et.close(a)
    et.close(b)
    cctx:free()
    sctx:free()
    -- a session without a handshake gets the peer close as an error
    local p, q = et.socketpair()
    local iop = eco.io(p)
    local lone = assert(ssl.context():new(p, true))
    et.close(q)
    local r1, e1 = lone:handshake()
    T.eq(r1, nil)
    T.ok(type(e1) == 'string' and #e1 > 0, 'handshake error text')
    lone:free()
    et.close(p)

    srv:close()
    eco.sleep(0.05)
end)

S.cleanup()
