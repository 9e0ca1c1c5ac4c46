-- Message framing and header injection (docs/http.md "Message framing" and "Response headers"):
-- conflicting Content-Length values, Transfer-Encoding split over lines or beside
-- Content-Length, chunk-size lines with junk, and CR/LF/NUL in response header names, values,
-- status reasons and redirect locations. Each of these lets a request or a response be read two
-- ways (by us and by a proxy); each must be refused.
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'

local served, raised = {}, {}
local function handler(con, req)
    served[#served + 1] = req.path
    if req.path == '/echo' then
        local d, err = con:read_body(nil, 5)
        if not d then return con:send_error(400, nil, err) end
        con:add_header('content-length', #d)
        return con:send(d)
    elseif req.path == '/inject' then
        -- a handler echoing a query parameter into a header, a reason and a redirect
        local v = req.query.v
        for _, f in ipairs {
            function() con:add_header('x-echo', v) end,
            function() con:add_header('x-' .. v, '1') end,
            function() con:set_status(200, v) end,
            function() con:redirect(302, '/next?' .. v) end,
        } do
            local ok, err = pcall(f)
            raised[#raised + 1] = ok and 'no error' or tostring(err)
        end
        if raised[4] == 'no error' then return end -- redirected
        con:add_header('content-length', 2)
        return con:send('ok')
    end
    con:add_header('content-length', 2)
    con:send('ok')
end

T.go(function()
    local port, opts = H.serve(handler, { http_keepalive = 5 })
    local function raw(data) return H.raw(port, data, 5) or '' end

    -- Content-Length: differing values (across lines, or in one list) are a 400 and nothing
    -- behind them is served; equal repeats are one value
    local n = #served
    local out = raw('POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 37\r\n\r\n'
        .. 'abcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    T.eq(#served, n, 'neither request served')
    out = raw('POST /echo HTTP/1.1\r\nContent-Length: 3, 4\r\nConnection: close\r\n\r\nabcd')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    for _, cl in ipairs { '+3', '3 3', '0x3', '' } do
        out = raw('POST /echo HTTP/1.1\r\nContent-Length: ' .. cl .. '\r\nConnection: close\r\n\r\nabc')
        T.ok(out:find('^HTTP/1.1 400 '), cl .. ': ' .. out)
    end
    out = raw('POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\nConnection: close\r\n\r\nabc')
    T.ok(out:find('^HTTP/1.1 200 OK\r\n') and out:find('\r\n\r\nabc$'), out)

    -- Transfer-Encoding: the codings of all lines together must be exactly chunked
    n = #served
    out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n'
        .. '3\r\nabc\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'
        .. '3\r\nabc\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n'
        .. '3\r\nabc\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    T.eq(#served, n, 'none of them reached the handler')

    -- chunk-size lines: hex digits, then nothing or `;` extensions after optional blanks
    for _, line in ipairs { '3zz', '3 ', '3\t', 'x3', '-3' } do
        out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
            .. line .. '\r\nabc\r\n0\r\n\r\n')
        T.ok(out:find('^HTTP/1.1 400 '), line .. ': ' .. out)
    end
    for _, line in ipairs { '3', '3;a=b', '3 ;a', '3\t; a = "b"', '003' } do
        out = raw('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
            .. line .. '\r\nabc\r\n0\r\n\r\n')
        T.ok(out:find('^HTTP/1.1 200 OK\r\n') and out:find('\r\n\r\nabc$'), line .. ': ' .. out)
    end
    -- response splitting: every injection raises, naming what was refused, and nothing of it
    -- reaches the wire
    for _, v in ipairs { 'a\r\nSet-Cookie: x=1', 'a\nb', 'a\0b', 'a\rb' } do
        raised = {}
        local q = v:gsub('[^%w]', function(c) return string.format('%%%02X', c:byte()) end)
        out = raw('GET /inject?v=' .. q .. ' HTTP/1.1\r\nConnection: close\r\n\r\n')
        T.ok(out:find('^HTTP/1.1 200 OK\r\n') and out:find('\r\n\r\nok$'), out)
        T.ok(not out:find('Set-Cookie', 1, true) and not out:find('X-Echo', 1, true), out)
        T.eq(#raised, 4)
        T.ok(raised[1]:find('invalid value of http header x-echo', 1, true), raised[1])
        T.ok(raised[2]:find('invalid http header name', 1, true), raised[2])
        T.ok(raised[3]:find('invalid status reason', 1, true), raised[3])
        T.ok(raised[4]:find('invalid value of http header location', 1, true), raised[4])
    end
    -- the same handler with a harmless value sets all of them
    raised = {}
    out = raw('GET /inject?v=fine HTTP/1.1\r\nConnection: close\r\n\r\n')
    T.eq(table.concat(raised, ','), 'no error,no error,no error,no error')
    T.ok(out:find('^HTTP/1.1 302 Found\r\n') and out:find('\r\nLocation: /next%?fine\r\n')
        and out:find('\r\nX%-Echo: fine\r\n'), out)

    -- the client: differing Content-Length values are an error, equal ones one value
    local p, got = H.fake(function(c)
        c:send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokxyz')
    end)
    local resp, err = http.get('http://127.0.0.1:' .. p .. '/')
    T.eq(resp, nil); T.eq(err, 'invalid content-length')
    T.wait_until(function() return got.done end, 5, 'fake peer done')
    p, got = H.fake(function(c)
        c:send('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nConnection: close\r\n\r\nok')
    end)
    resp, err = http.get('http://127.0.0.1:' .. p .. '/')
    T.ok(resp, err); T.eq(resp.body, 'ok'); T.eq(resp.headers['content-length'], '2')
    p, got = H.fake(function(c)
        c:send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n')
    end)
    resp, err = http.get('http://127.0.0.1:' .. p .. '/')
    T.eq(resp, nil); T.eq(err, 'invalid transfer-encoding')

    H.stop(opts)
end)
