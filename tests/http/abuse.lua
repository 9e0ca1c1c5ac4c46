-- Abuse of eco.http.server: limits and their statuses (414, 431, 408, 413, 400), a 1 MB header
-- line, 10,000 headers, a one-byte-per-second client, truncated/garbled chunked bodies. Each costs
-- only its own connection; the server keeps serving others.
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'
local socket = require 'eco.socket'

local body_errors = {}
local function handler(con, req)
    if req.path == '/echo' then
        local d, err = con:read_body(nil, 5)
        if not d then
            body_errors[#body_errors + 1] = err
            return con:send_error(400, nil, err)
        end
        con:add_header('content-length', #d)
        con:send(d)
    else
        con:add_header('content-length', 2)
        con:send('ok')
    end
end

-- Sends `data` from its own coroutine (the server may answer before all of it is taken) and
-- returns everything read until the server closes.
local function abuse(port, data)
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    local sent = false
    eco.run(function()
        c:send(data, 10)
        sent = true
    end)
    local out = c:read('a', 15)
    T.wait_until(function() return sent end, 15, 'sender finished')
    c:close()
    return out or ''
end

T.go(function()
    local port, opts = H.serve(handler, { http_keepalive = 5, header_timeout = 3, max_body = 1024 * 1024 })
    local base = 'http://127.0.0.1:' .. port
    local function still_serving()
        local r = assert(http.get(base .. '/'))
        T.eq(r.body, 'ok', 'server keeps serving')
    end

    -- a 1 MB header line: 431 once 8 KB are exceeded
    local out = abuse(port, 'GET / HTTP/1.1\r\nX-Big: ' .. string.rep('a', 1024 * 1024) .. '\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 431 Request Header Fields Too Large\r\n'), out:sub(1, 200))
    T.ok(out:find('Connection: close', 1, true), out)
    still_serving()
    -- a 1 MB request line: 414
    out = abuse(port, 'GET /' .. string.rep('a', 1024 * 1024) .. ' HTTP/1.1\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 414 URI Too Long\r\n'), out:sub(1, 200))
    still_serving()
    -- 10,000 headers: 431
    local hs = {}
    for i = 1, 10000 do hs[i] = 'X-H' .. i .. ': v\r\n' end
    out = abuse(port, 'GET / HTTP/1.1\r\n' .. table.concat(hs) .. '\r\n')
    T.ok(out:find('^HTTP/1.1 431 '), out:sub(1, 200))
    still_serving()
    -- 100 headers are fine, 101 are not
    out = H.raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n' .. table.concat(hs, '', 1, 99) .. '\r\n')
    T.ok(out:find('^HTTP/1.1 200 OK'), out:sub(1, 200))
    out = H.raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n' .. table.concat(hs, '', 1, 100) .. '\r\n')
    T.ok(out:find('^HTTP/1.1 431 '), out:sub(1, 200))

    -- one byte per second: 408 after header_timeout (3 s), others served meanwhile
    do
        local c = assert(socket.connect_tcp('127.0.0.1', port))
        local stop = false
        eco.run(function()
            local req = 'GET / HTTP/1.1\r\nHost: slow\r\n\r\n'
            for i = 1, #req do
                if stop or not c:send(req:sub(i, i)) then break end
                eco.sleep(1)
            end
        end)
        eco.sleep(1.5)
        still_serving()
        local t0 = T.now()
        out = c:read('a', 15)
        stop = true
        T.ok(out and out:find('^HTTP/1.1 408 Request Timeout\r\n'), tostring(out))
        T.between(T.now() - t0, 0.5, 6, '408 after the header time limit')
        eco.sleep(1.1)
        c:close()
        still_serving()
    end

    -- truncated chunked body: the handler sees the read error, the server goes on
    do
        local c = assert(socket.connect_tcp('127.0.0.1', port))
        c:send('POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc')
        eco.sleep(0.2)
        c:close()
        T.wait_until(function() return #body_errors == 1 end, 10, 'handler saw the truncated body')
        T.eq(body_errors[1], 'closed')
        still_serving()
    end
    -- a garbled chunk size and a chunked body over max_body
    out = H.raw(port, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    out = abuse(port, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n'
        .. string.rep('x', 3 * 1024 * 1024) .. '\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 4%d%d '), out:sub(1, 200))
    -- the decoder's limits and grammar: a size line over max_header_line, a trailer line without ':'
    out = H.raw(port, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
        .. string.rep('0', 9000) .. '1\r\nx\r\n0\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    T.eq(body_errors[#body_errors], 'bad chunk')
    out = H.raw(port, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nno colon\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    T.eq(body_errors[#body_errors], 'bad chunk')
    -- a head trickling in a byte at a time (with a 3 KB header line) is still parsed
    do
        local c = assert(socket.connect_tcp('127.0.0.1', port))
        c:setoption('tcp_nodelay', true)
        local head = 'GET / HTTP/1.1\r\nX-Long: ' .. string.rep('v', 3000) .. '\r\nConnection: close\r\n\r\n'
        for i = 1, #head do
            c:send(head:sub(i, i))
            if i % 64 == 0 then eco.sleep(0) end
        end
        local r = c:read('a', 10) or ''
        c:close()
        T.ok(r:find('^HTTP/1.1 200 OK\r\n') and r:find('ok$'), r)
    end
    -- 30,000 one-byte chunks in one request: decoded in one pass over each read, not by
    -- re-slicing the buffer after every chunk
    do
        local now = require('eco.time').now
        local t0 = now()
        local body = string.rep('1\r\nx\r\n', 30000) .. '0\r\n\r\n'
        out = abuse(port, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' .. body)
        T.ok(out:find('^HTTP/1.1 200 OK\r\n'), out:sub(1, 200) .. ' / ' .. tostring(body_errors[#body_errors]))
        T.ok(out:find('\r\n\r\n' .. string.rep('x', 30000) .. '$'), 'all 30,000 bytes echoed')
        T.ok(now() - t0 < 5, 'in well under 5 s')
    end
    -- declared body over max_body: 413 before the handler runs
    out = abuse(port, 'POST /echo HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n' .. string.rep('x', 2000000))
    T.ok(out:find('^HTTP/1.1 413 Payload Too Large\r\n'), out:sub(1, 200))
    -- malformed request line and header: 400
    out = H.raw(port, 'GARBAGE\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 Bad Request\r\n'), out)
    out = H.raw(port, 'GET / HTTP/1.1\r\nno colon here\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 Bad Request\r\n'), out)
    out = H.raw(port, 'GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')
    T.ok(out:find('^HTTP/1.1 400 '), out)
    still_serving()
    H.stop(opts)

    -- limits are configurable
    port, opts = H.serve(handler, { max_request_line = 32, max_header_line = 18, max_headers = 2 })
    T.ok(H.raw(port, 'GET /' .. string.rep('a', 40) .. ' HTTP/1.1\r\n\r\n'):find('^HTTP/1.1 414 '))
    T.ok(H.raw(port, 'GET / HTTP/1.1\r\nX: ' .. string.rep('a', 20) .. '\r\n\r\n'):find('^HTTP/1.1 431 '))
    T.ok(H.raw(port, 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n'):find('^HTTP/1.1 431 '))
    T.ok(H.raw(port, 'GET / HTTP/1.1\r\nA: 1\r\nConnection: close\r\n\r\n'):find('^HTTP/1.1 200 '))
    H.stop(opts)
    port, opts = H.serve(handler, { max_head = 64 })
    T.ok(H.raw(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'):find('^HTTP/1.1 200 '))
    T.ok(H.raw(port, 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n')
        :find('^HTTP/1.1 431 '))
    H.stop(opts)
end)
