-- curl (the real peer) against eco.http.server: keep-alive reuse, chunked uploads,
-- Expect: 100-continue, HEAD, large bodies both ways and file serving.
local T = require 'testlib'
local H = require 'httptest'

local dir = H.tmpdir()
H.write(dir .. '/index.html', '<h1>curl</h1>')
local big = {}
for i = 1, 20 * 1024 do big[i] = string.format('%07d', i) .. string.rep(string.char(65 + i % 26), 1017) end
big = table.concat(big)                                    -- 20 MiB
H.write(dir .. '/big.bin', big)

local cons, uploads = {}, {}
local function handler(con, req)
    if req.path == '/echo' then
        local parts = {}
        while true do
            local d, err = con:read_body(65536, 10)
            if not d then return con:send_error(400, nil, err) end
            if d == '' then break end
            parts[#parts + 1] = d
        end
        local body = table.concat(parts)
        uploads[#uploads + 1] = body
        local reply = string.format('%s %d', req.headers['transfer-encoding'] or 'identity', #body)
        con:add_header('content-length', #reply)
        con:send(reply)
    elseif req.path == '/who' then
        cons[#cons + 1] = con
        con:send('conn ', #cons)
    else
        con:serve_file(req)
    end
end

T.go(function()
    local port, opts = H.serve(handler, { docroot = dir, http_keepalive = 5 })
    local base = 'http://127.0.0.1:' .. port

    -- keep-alive: curl sends both requests on one connection (our con object is the same)
    local out, err = H.curl({ '-v', base .. '/who', base .. '/who' })
    T.eq(out, 'conn 1conn 2', err)
    T.eq(#cons, 2); T.ok(cons[1] == cons[2], 'second request reused the connection: ' .. err)

    -- file serving and HEAD
    out = H.curl({ base .. '/' })
    T.eq(out, '<h1>curl</h1>')
    out = H.curl({ '-I', base .. '/' })
    T.ok(out:find('^HTTP/1.1 200 OK\r\n'), out)
    T.ok(out:find('Content-Length: 13\r\n', 1, true) and out:find('Content-Type: text/html\r\n', 1, true)
        and out:find('ETag: ', 1, true) and out:find('Last-Modified: ', 1, true), out)
    out = H.curl({ '-s', '-o', '/dev/null', '-w', '%{http_code}', base .. '/missing' })
    T.eq(out, '404')

    -- large download (20 MiB) through sendfile
    out = H.curl({ '-o', dir .. '/got.bin', '-w', '%{http_code} %{size_download}', base .. '/big.bin' }, 60)
    T.eq(out, '200 ' .. #big)
    T.ok(H.read(dir .. '/got.bin') == big, 'downloaded body matches')

    -- large upload with Content-Length; Expect: 100-continue is answered at once
    -- (curl would wait 30 s for the 100 before sending the body on its own)
    local t0 = T.now()
    out, err = H.curl({ '-v', '--expect100-timeout', '30', '-H', 'Expect: 100-continue',
        '--data-binary', '@' .. dir .. '/big.bin', base .. '/echo' }, 60)
    T.eq(out, 'identity ' .. #big, err)
    T.ok(err:find('HTTP/1.1 100 Continue', 1, true), err)
    T.ok(T.now() - t0 < 20, 'no 30 s expect wait')
    T.ok(uploads[#uploads] == big, 'uploaded body matches')

    -- chunked upload
    out, err = H.curl({ '-H', 'Transfer-Encoding: chunked', '--data-binary', '@' .. dir .. '/big.bin',
        base .. '/echo' }, 60)
    T.eq(out, 'chunked ' .. #big, err)
    T.ok(uploads[#uploads] == big, 'chunked body matches')
    out = H.curl({ '-H', 'Transfer-Encoding: chunked', '--data-binary', 'small', base .. '/echo' })
    T.eq(out, 'chunked 5')
    T.eq(uploads[#uploads], 'small')

    -- a chunked response read by curl
    out = H.curl({ '-D', '-', base .. '/who' })
    T.ok(out:find('Transfer-Encoding: chunked', 1, true) and out:find('conn 3$'), out)
    H.stop(opts)
end)
