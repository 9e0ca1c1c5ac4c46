-- HTTPS: eco.http.server with cert/key (eco.ssl) against `curl -k` and against our own client;
-- a failed handshake costs only that connection.
local T = require 'testlib'
local H = require 'httptest'
local S = require 'ssltest'
local http = require 'eco.http.client'
local socket = require 'eco.socket'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')
H.write(dir .. '/index.html', '<h1>tls</h1>')

T.go(function()
    local port, opts = H.serve(function(con, req)
        if req.path == '/echo' then
            local body = con:read_body(nil, 10)
            con:add_header('content-length', #body)
            con:send(body)
        else
            con:serve_file(req)
        end
    end, { cert = cert, key = key, docroot = dir, http_keepalive = 5 })
    T.eq(opts.ssl, true)
    local base = 'https://127.0.0.1:' .. port

    local out, err = H.curl({ '-k', base .. '/' })
    T.eq(out, '<h1>tls</h1>', err)
    out, err = H.curl({ '-k', '-v', base .. '/', base .. '/' })
    T.eq(out, '<h1>tls</h1><h1>tls</h1>', err)
    local big = string.rep('tls-body', 256 * 1024)  -- 2 MiB
    H.write(dir .. '/up.bin', big)
    out, err = H.curl({ '-k', '--data-binary', '@' .. dir .. '/up.bin', base .. '/echo' }, 60)
    T.ok(out == big, 'echoed 2 MiB over TLS: ' .. #out .. ' ' .. err)
    out = H.curl({ '-k', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'chunky', base .. '/echo' })
    T.eq(out, 'chunky')

    -- a plain-text client fails its handshake; the server keeps serving
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    c:send('GET / HTTP/1.1\r\n\r\n')
    c:read('a', 10)
    c:close()

    local resp = assert(http.get(base .. '/', { insecure = true }))
    T.eq(resp.code, 200); T.eq(resp.body, '<h1>tls</h1>')
    resp = assert(http.post(base .. '/echo', 'hello tls', { insecure = true }))
    T.eq(resp.body, 'hello tls')
    local r, e = http.get(base .. '/')   -- verification on by default: self-signed fails
    T.eq(r, nil); T.ok(type(e) == 'string' and e:find('^connect "127.0.0.1 ' .. port .. '" fail: '), tostring(e))
    H.stop(opts)
end)
