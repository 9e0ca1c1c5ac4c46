-- eco.http.client against scripted raw-socket peers (spec/http.md checklist 7-28).
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'

local function reply(text)
    return function(c) c:send(text) end
end

T.go(function()
    -- 7
    T.fails('unsupported scheme: ftp', http.request('GET', 'ftp://127.0.0.1/x'))
    T.fails('unsupported scheme: HTTP', http.request('GET', 'HTTP://x/'))
    T.fails('invalid url', http.get('nourl'))
    -- 8
    T.fails('invalid body', http.request('POST', 'http://127.0.0.1:1/', {}))

    -- 9, 10, 11: request line, Host, User-Agent, Connection, header casing, string body
    local port, got = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))
    local resp = assert(http.post('http://127.0.0.1:' .. port .. '/p;a?q=1#frag', 'hello',
        { headers = { ['X-CUSTOM-hdr'] = '1', ['user-agent'] = 'ua' } }))
    T.eq(got.line, 'POST /p;a?q=1#frag HTTP/1.1')                                   -- 9
    T.eq(got.headers.Host, '127.0.0.1:' .. port)                                    -- 9
    T.eq(got.headers.Connection, 'close')                                           -- 9
    T.eq(got.headers['X-Custom-Hdr'], '1')                                          -- 10
    T.eq(got.headers['User-Agent'], 'ua')                                           -- 10
    T.eq(got.headers['Content-Type'], 'text/plain')                                 -- 11
    T.eq(got.headers['Content-Length'], '5')                                        -- 11
    T.eq(got.body, 'hello')                                                         -- 11
    T.eq(resp.code, 200); T.eq(resp.body, 'ok')
    port, got = H.fake(reply('HTTP/1.1 204 No Content\r\n\r\n'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(got.headers['User-Agent'], 'Lua-eco/' .. eco.VERSION)                      -- 9

    -- 12, 13
    port = H.fake(reply('HTTP/1.0 404\r\nX-A:  one  \r\nX-A: two\r\nContent-Length: 0\r\n\r\n'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.headers['x-a'], 'two')                                                -- 12
    T.eq(resp.code, 404); T.eq(resp.status, '')                                     -- 13
    T.eq(resp.body, '')                                                             -- 19
    port = H.fake(reply('HTTP/1.1 200 OK\r\nX-B:   padded \r\n\r\n'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.headers['x-b'], 'padded')                                             -- 12

    -- 14
    port = H.fake(reply('HTTP/2 200 OK\r\n\r\n'))
    T.fails('invalid http status line', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nnocolon\r\n\r\n'))
    T.fails('invalid http header', http.get('http://127.0.0.1:' .. port .. '/'))

    -- 15
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n0\r\nTrailer: x\r\n\r\n'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.body, 'abc')
    -- 16
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'))
    T.fails('not a vaild http chunked body', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n'))
    T.fails('invalid http trailer', http.get('http://127.0.0.1:' .. port .. '/'))
    -- 16, native decoder limits: size line over 4096 bytes, size over 64 bits
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;' .. string.rep('x', 5000) .. '\r\nabc\r\n0\r\n\r\n'))
    T.fails('not a vaild http chunked body', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;' .. string.rep('x', 5000)))
    T.fails('not a vaild http chunked body', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n'))
    T.fails('not a vaild http chunked body', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n'
        .. string.rep('X-T: ' .. string.rep('t', 1000) .. '\r\n', 70) .. '\r\n'))
    T.fails('http chunked body too large', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'))
    T.fails('http chunked body too large', http.get('http://127.0.0.1:' .. port .. '/', { max_body = 4 }))
    -- chunked: LF-only lines, the line after the data is ignored, chunks split over many sends
    port = H.fake(function(c)
        c:send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
        for _, p in ipairs({ '1', '0', ';e\n', '0123', '456789', 'abcdef', 'XYZ\r', '\n3\n', 'xyz\n0\nA:', 'b\n\n' }) do
            c:send(p)
            eco.sleep(0.02)
        end
    end)
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/', { max_body = 19 }))
    T.eq(resp.body, '0123456789abcdefxyz')
    -- chunked: read errors are returned raw
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'))
    T.fails('closed', http.get('http://127.0.0.1:' .. port .. '/'))
    port, got = H.fake(function(c) c:send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n') eco.sleep(1.5) end)
    T.fails('timeout', http.get('http://127.0.0.1:' .. port .. '/', { timeout = 0.5 }))
    T.wait_until(function() return got.done end, 5)

    -- 17
    port = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'))
    T.fails('invalid content-length', http.get('http://127.0.0.1:' .. port .. '/'))
    port = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345'))
    T.fails('read body fail: closed', http.get('http://127.0.0.1:' .. port .. '/'))

    -- 18
    port = H.fake(reply('HTTP/1.1 200 OK\r\n\r\nuntil close'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.body, 'until close')
    port, got = H.fake(function(c) c:send('HTTP/1.1 200 OK\r\n\r\npartial') eco.sleep(1.5) end)
    T.fails('read body fail: timeout', http.get('http://127.0.0.1:' .. port .. '/', { timeout = 0.5 }))
    T.wait_until(function() return got.done end, 5)

    -- 19
    port = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'))
    resp = assert(http.request('HEAD', 'http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.body, nil); T.eq(resp.headers['content-length'], '100')

    -- 20
    port, got = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'))
    local r, err = http.get('http://127.0.0.1:' .. port .. '/', { body_to_file = '/nonexistent/dir/f' })
    T.eq(r, nil)
    T.ok(err:find('create "/nonexistent/dir/f" fail: ', 1, true) == 1, err)
    T.wait_until(function() return got.done end, 5)
    T.raises('body_to_file', http.get, 'http://127.0.0.1:1/', { body_to_file = 42 })

    -- 21
    port, got = H.fake(function(c)
        c:send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')
        eco.sleep(0.2)
        c:send('2\r\nde\r\n0\r\n\r\n')
        got.eof = c:read(1, 5)
    end)
    local pieces = {}
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/', { body_to_file = function(d) pieces[#pieces + 1] = d end }))
    T.same({ 'abc', 'de' }, table.unpack(pieces))
    T.eq(resp.body, nil)
    T.wait_until(function() return got.done end, 5)
    T.eq(got.eof, nil, 'connection closed after the request')                      -- 21, 28
    -- 21: chunks received at once still give one call per chunk
    port = H.fake(reply('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n'))
    pieces = {}
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/', { body_to_file = function(d) pieces[#pieces + 1] = d end }))
    T.same({ 'abc', 'de', 'f' }, table.unpack(pieces))
    -- body_to_file path
    local dir = H.tmpdir()
    port = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfile'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/', { body_to_file = dir .. '/out' }))
    T.eq(H.read(dir .. '/out'), 'file'); T.eq(resp.body, nil)

    -- 22
    port = H.fake(reply('HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n'))
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/'))
    T.eq(resp.code, 301); T.eq(resp.headers.location, '/new')

    -- 23
    T.fails('connect "127.0.0.1 1" fail: Connection refused', http.get('http://127.0.0.1:1/'))

    -- 24
    r, err = http.get('http://nonexistent.invalid/', { nameservers = { { '127.0.0.1', 1 } } })
    T.eq(r, nil)
    T.ok(err:find('resolve "nonexistent.invalid" fail: ', 1, true) == 1, err)

    -- 25
    r, err = http.body_with_file('/nonexistent')
    T.eq(r, nil); T.eq(type(err), 'string')
    T.fails('not a regular file', http.body_with_file('/tmp'))
    local f5 = H.write(dir .. '/five.txt', '12345')
    local fb = assert(http.body_with_file(f5))
    T.eq(fb.size, 5)
    port, got = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    assert(http.post('http://127.0.0.1:' .. port .. '/', fb))
    T.eq(got.body, '12345')

    -- 26
    local form = http.form()
    T.fails('No such file or directory', form:add_file('x', '/nonexistent'))
    T.raises('', form.add, form, 1, 'x')
    -- 27
    T.eq(#form.boundary, 40)
    T.ok(form.boundary:find('^' .. string.rep('%-', 24) .. '%x+$'), form.boundary)
    T.eq(form:add('name', 'eco'), true)
    T.eq(form:add_file('file', f5), true)
    port, got = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    assert(http.post('http://127.0.0.1:' .. port .. '/', form))
    T.eq(got.headers['Content-Type'], 'multipart/form-data; boundary=' .. form.boundary)
    T.eq(tonumber(got.headers['Content-Length']), #got.body)
    T.ok(got.body:find('name="name"\r\n\r\neco\r\n', 1, true), got.body)
    T.ok(got.body:find('filename="five.txt"\r\nContent-Type: application/octet-stream\r\n\r\n12345\r\n', 1, true))
    T.ok(got.body:sub(-(#form.boundary + 6)) == '--' .. form.boundary .. '--\r\n')
    port, got = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    assert(http.post('http://127.0.0.1:' .. port .. '/', http.form()))
    T.eq(got.headers['Content-Type'], nil); T.eq(got.headers['Content-Length'], nil)

    -- client object: sock() and close()
    local c = http.new()
    T.fails('not connected', c:sock())
    port = H.fake(reply('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
    assert(c:request('GET', 'http://127.0.0.1:' .. port .. '/'))
    T.ok(c:sock(), 'connected after request')
    c:close(); c:close()
    T.fails('not connected', c:sock())

    -- extension: keepalive reuse of one connection for two requests
    port, got = H.fake(function(s)
        s:send('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na')
        local second = s:readuntil('\r\n\r\n', 5)
        got.second = second
        s:send('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb')
    end)
    c = http.new()
    local r1 = assert(c:request('GET', 'http://127.0.0.1:' .. port .. '/1', nil, { keepalive = true }))
    local r2 = assert(c:request('GET', 'http://127.0.0.1:' .. port .. '/2', nil, { keepalive = true }))
    T.eq(r1.body, 'a'); T.eq(r2.body, 'b')
    T.eq(got.headers.Connection, 'keep-alive')
    T.ok(got.second and got.second:find('^GET /2 HTTP/1.1'), 'second request on the same connection')
    c:close()
    T.wait_until(function() return got.done end, 5)

    -- extension: a kept connection that the server closed meanwhile is replaced transparently
    local socket = require 'eco.socket'
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    port = l:getsockname().port
    local accepted = 0
    eco.run(function()
        for i = 1, 2 do
            local s = l:accept(10)
            if not s then break end
            accepted = accepted + 1
            s:readuntil('\r\n\r\n', 5)
            s:send('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n' .. i)
            eco.sleep(0.1)
            s:close()
        end
        l:close()
    end)
    c = http.new()
    r1 = assert(c:request('GET', 'http://127.0.0.1:' .. port .. '/1', nil, { keepalive = true }))
    eco.sleep(0.3)
    r2 = assert(c:request('GET', 'http://127.0.0.1:' .. port .. '/2', nil, { keepalive = true }))
    T.eq(r1.body, '1'); T.eq(r2.body, '2'); T.eq(accepted, 2)
    c:close()
    T.wait_until(function() return l:closed() end, 5)
end)
