-- eco.http.server driven by our client and raw sockets (spec/http.md checklist 29-54).
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'
local server = require 'eco.http.server'
local socket = require 'eco.socket'

local dir = H.tmpdir()
H.write(dir .. '/index.html', '<h1>hi</h1>')
H.write(dir .. '/hello.txt', 'hello')
H.write(dir .. '/secret', 'secret')
H.write(dir .. '/b.txt', 'plain b')
H.write(dir .. '/b.txt.gz', 'GZIPPED')
H.write(dir .. '/a.tar.gz', 'tgz')
H.write(dir .. '/x.unknownext', 'x')
H.write(dir .. '/empty.txt', '')
os.execute('mkdir -p ' .. dir .. '/sub/deeper')

local function handler(con, req)
    local p = req.path
    if p == '/chunks' then
        con:send('chunk-'); con:send('body')                          -- 29
    elseif p == '/onechunk' then
        con:send('a', 1, true); con:send('')                         -- 30
    elseif p == '/identity' then
        con:add_header('content-length', '2'); con:send('ok')        -- 31
    elseif p == '/headers' then
        con:add_header('X-my-HEADER', 'v'); con:add_header('www-authenticate', 'Basic')
        con:add_header('content-type', 'text/x'); con:add_header('etag', 'e')
        con:add_header('content-length', 0)
    elseif p == '/299' then
        con:set_status(299); con:add_header('content-length', 0)     -- 33
    elseif p == '/201' then
        con:set_status(201, 'Yay'); con:add_header('content-length', 0)
    elseif p == '/float' then
        con:set_status(200.0); con:add_header('content-length', 0)   -- e.g. from a JSON decoder
    elseif p == '/err500' then
        con:send_error(500)                                          -- 35
    elseif p == '/err404' then
        con:send_error(404, nil, 'missing')
    elseif p == '/redirect' then
        con:redirect(302, '/index.html')                             -- 36
        local ok, err = pcall(con.redirect, con, 200, '/')
        con.bad_redirect_raised = not ok and err
        con:flush()
        T.ok(con.bad_redirect_raised, 'redirect(200) raises')
    elseif p == '/flushed' then
        con:add_header('content-length', 2)
        con:send('ok'); con:flush()
        local ok, err = pcall(con.add_header, con, 'x', 'y')        -- 37
        T.ok(not ok and err:find('http head has been sent', 1, true), tostring(err))
        T.raises('http head has been sent', con.set_status, con, 200)
    elseif p == '/false' then
        con:send('never'); return false                              -- 38
    elseif p == '/body' then
        local a = con:read_body(3)                                   -- 39
        local b = con:read_body()
        local c = con:read_body()
        con:add_header('content-length', #(a .. '|' .. b .. '|' .. c))
        con:send(a, '|', b, '|', c)
    elseif p == '/req' then                                          -- 40
        local q = {}
        for k, v in pairs(req.query) do q[#q + 1] = k .. '=' .. v end
        table.sort(q)
        con:send(req.path, ' ', req.query_string, ' ', table.concat(q, ','), ' ', req.raw_path,
            ' ', req.major_version, '.', req.minor_version)
    elseif p == '/sendfile' then
        local ok = con:send_file(dir .. '/hello.txt', 3, 1)          -- 51
        T.eq(ok, true)
        T.fails('forbidden', con:send_file(dir .. '/sub'))
        con:send_file(dir .. '/empty.txt')
    elseif p == '/form' then
        local events = {}
        while true do
            local ev, data = con:read_formdata(req, 5)                -- 52
            if not ev then events[#events + 1] = 'ERR ' .. data break end
            if ev == 'header' then events[#events + 1] = 'H ' .. data[1] .. '=' .. data[2]
            elseif ev == 'body' then events[#events + 1] = 'B ' .. data[1] .. (data[2] and '!' or '')
            else events[#events + 1] = 'END' break end
        end
        con:send(table.concat(events, ';'))
    elseif p == '/formget' then
        local a, b = con:read_formdata(req)
        con:send(tostring(a), ',', tostring(b))
    elseif p == '/error' then
        error('handler failure')
    else
        con:serve_file(req)
    end
end

T.go(function()
    local port, opts = H.serve(handler, { docroot = dir .. '/', http_keepalive = 2, gzip = false })
    T.eq(opts.docroot, dir)                                          -- trailing / removed
    local base = 'http://127.0.0.1:' .. port
    local resp

    -- 29
    resp = assert(http.get(base .. '/chunks'))
    T.eq(resp.body, 'chunk-body'); T.eq(resp.headers['transfer-encoding'], 'chunked')
    -- 30
    local raw = H.raw(port, 'GET /onechunk HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('\r\n\r\n6\r\na1true\r\n0\r\n\r\n$'), raw)
    -- 31
    resp = assert(http.get(base .. '/identity'))
    T.eq(resp.body, 'ok'); T.eq(resp.headers['transfer-encoding'], nil); T.eq(resp.headers['content-length'], '2')
    -- 32
    raw = H.raw(port, 'GET /headers HTTP/1.1\r\nConnection: close\r\n\r\n')
    for _, h in ipairs({ 'X-My-Header: v', 'Www-Authenticate: Basic', 'ETag: e', 'Keep-Alive: timeout=2',
        'Content-Type: text/x', 'Server: Lua-eco/' .. eco.VERSION }) do
        T.ok(raw:find('\r\n' .. h .. '\r\n', 1, true), h .. ' in ' .. raw)
    end
    T.ok(raw:find('\r\nDate: %a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT\r\n'), raw)
    -- 33
    raw = H.raw(port, 'GET /299 HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 299\r\n'), raw)
    raw = H.raw(port, 'GET /201 HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 201 Yay\r\n'), raw)
    -- an integral float status is written as the integer, now and for later responses
    raw = H.raw(port, 'GET /float HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 200 OK\r\n'), raw)
    raw = H.raw(port, 'GET /identity HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 200 OK\r\n'), raw)
    -- HEAD: the head of the would-be chunked response and no body, not even the last chunk, so
    -- the next response on the connection is intact
    raw = H.raw(port, 'HEAD /chunks HTTP/1.1\r\n\r\nGET /identity HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 200 OK\r\n.-Transfer%-Encoding: chunked\r\n.-\r\n\r\nHTTP/1.1 200 OK\r\n.-\r\n\r\nok$'), raw)
    -- 34
    raw = H.raw(port, 'GET /identity HTTP/1.0\r\n\r\n')
    T.ok(raw:find('^HTTP/1.0 200 OK\r\n') and raw:find('ok$'), raw)
    -- 35
    raw = H.raw(port, 'GET /err500 HTTP/1.1\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 500 Internal Server Error\r\n') and raw:find('\r\nContent-Length: 0\r\n', 1, true)
        and raw:find('\r\nConnection: close\r\n'), raw)
    resp = assert(http.get(base .. '/err404'))
    T.eq(resp.code, 404); T.eq(resp.body, 'missing')
    -- 36
    resp = assert(http.get(base .. '/redirect'))
    T.eq(resp.code, 302); T.eq(resp.headers.location, '/index.html')
    -- redirect following (client extension) lands on the index
    resp = assert(http.get(base .. '/redirect', { follow_redirects = 3 }))
    T.eq(resp.code, 200); T.eq(resp.body, '<h1>hi</h1>')
    -- 37
    resp = assert(http.get(base .. '/flushed'))
    T.eq(resp.body, 'ok')
    -- 38
    raw = H.raw(port, 'GET /false HTTP/1.1\r\n\r\n')
    T.eq(raw, '')
    -- 39
    resp = assert(http.post(base .. '/body', 'abcdefg'))
    T.eq(resp.body, 'abc|defg|')
    -- 40
    resp = assert(http.get(base .. '/re%71?a=1&b=%41+B&c&=d&a=2&e='))
    T.eq(resp.body, '/req a=1&b=%41+B&c&=d&a=2&e= a=2,b=A+B,e= /re%71?a=1&b=%41+B&c&=d&a=2&e= 1.1')
    -- 41 (resolved with the issue: malformed requests get 400 and a close, not a silent drop)
    raw = H.raw(port, 'get / HTTP/1.1\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 400 Bad Request\r\n'), raw)
    resp = assert(http.get(base .. '/identity'))
    T.eq(resp.body, 'ok')
    -- 42
    raw = H.raw(port, 'POST /body HTTP/1.1\r\nContent-Length: abc\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 400 '), raw)
    resp = assert(http.get(base .. '/identity'))
    T.eq(resp.code, 200)
    -- 43: pipelined keep-alive requests, then the idle close after http_keepalive (2 s)
    do
        local c = assert(socket.connect_tcp('127.0.0.1', port))
        c:send('GET /identity HTTP/1.1\r\n\r\nGET /chunks HTTP/1.1\r\n\r\n')
        local t0 = T.now()
        local all = c:read('a', 10)
        local _, n = all:gsub('HTTP/1.1 200 OK', '')
        T.eq(n, 2, all)
        T.ok(all:find('10\r\nchunk-body', 1, true) or all:find('6\r\nchunk-\r\n4\r\nbody', 1, true), all)
        T.between(T.now() - t0, 1.5, 6, 'idle keep-alive close')
        c:close()
    end
    -- 44
    raw = H.raw(port, '\r\n\r\nGET /identity HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 200 OK') and raw:find('ok$'), raw)

    -- 45
    local r1 = assert(http.get(base .. '/'))
    T.eq(r1.body, '<h1>hi</h1>'); T.eq(r1.headers['content-type'], 'text/html')
    T.eq(r1.headers['content-length'], '11')
    T.ok(r1.headers.etag and r1.headers.etag:find('^%x+%-b$'), tostring(r1.headers.etag))
    T.ok(r1.headers['last-modified']:find(' GMT$'), r1.headers['last-modified'])
    local h1 = assert(http.request('HEAD', base .. '/'))
    T.eq(h1.body, nil); T.eq(h1.headers.etag, r1.headers.etag); T.eq(h1.headers['content-length'], '11')
    -- 46
    raw = H.raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\nIf-None-Match: ' .. r1.headers.etag .. '\r\n\r\n')
    T.ok(raw:find('^HTTP/1.1 304 Not Modified\r\n') and raw:find('\r\nContent-Length: 0\r\n', 1, true)
        and not raw:find('Transfer-Encoding', 1, true) and raw:find('\r\n\r\n$'), raw)
    resp = assert(http.get(base .. '/', { headers = { ['if-modified-since'] = 'Fri, 01 Jan 2100 00:00:00 GMT' } }))
    T.eq(resp.code, 304); T.eq(resp.body, '')
    -- 47
    resp = assert(http.get(base .. '/..%2Fsecret'))
    T.eq(resp.code, 403); T.eq(resp.body, '')
    T.eq(assert(http.get(base .. '/nope.txt')).code, 404)
    T.eq(assert(http.post(base .. '/hello.txt', 'x')).code, 405)
    T.eq(assert(http.get(base .. '/sub')).code, 403)
    T.eq(assert(http.get(base .. '/sub/../hello.txt')).body, 'hello')
    -- 49
    T.eq(assert(http.get(base .. '/a.tar.gz')).headers['content-type'], 'application/x-gzip')
    T.eq(assert(http.get(base .. '/x.unknownext')).headers['content-type'], 'application/octet-stream')
    -- 50
    resp = assert(http.get(base .. '/hello.txt', { headers = { range = 'bytes=0-1' } }))
    T.eq(resp.code, 200); T.eq(resp.body, 'hello')
    -- 51
    resp = assert(http.get(base .. '/sendfile'))
    T.eq(resp.body, 'ell'); T.eq(resp.headers['transfer-encoding'], 'chunked')
    -- 52
    local form = http.form()
    form:add('name', 'eco'); form:add('note', 'ok')
    assert(form:add_file('file', dir .. '/hello.txt'))
    resp = assert(http.post(base .. '/form', form))
    T.eq(resp.body, 'H content-disposition=form-data; name="name";B eco!;'
        .. 'H content-disposition=form-data; name="note";B ok!;'
        .. 'H content-disposition=form-data; name="file"; filename="hello.txt";'
        .. 'H content-type=application/octet-stream;B hello!;END')
    T.eq(assert(http.get(base .. '/formget')).body, 'nil,not allowed method')
    T.eq(assert(http.post(base .. '/formget', 'x')).body, 'nil,bad request')
    -- 53
    T.fails('Address already in use', server.listen('127.0.0.1', port, {}, handler))
    -- 54
    local okc, done = 0, 0
    for w = 1, 8 do
        eco.run(function()
            for i = 1, 60 do
                local r = http.get(base .. '/req?w=' .. w .. '&i=' .. i)
                if r and r.code == 200 and r.body:find('i=' .. i, 1, true) then okc = okc + 1 end
            end
            done = done + 1
        end)
    end
    T.wait_until(function() return done == 8 end, 60, 'workers done')
    T.eq(okc, 480)
    H.stop(opts)

    -- 48: gzip
    port, opts = H.serve(handler, { docroot = dir, gzip = true, http_keepalive = 0 })
    resp = assert(http.get('http://127.0.0.1:' .. port .. '/b.txt'))
    T.eq(resp.body, 'GZIPPED'); T.eq(resp.headers['content-encoding'], 'gzip')
    T.eq(resp.headers['content-type'], 'text/plain')
    T.eq(resp.headers['keep-alive'], nil)
    H.stop(opts)
end)
