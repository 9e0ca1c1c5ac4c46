-- Peers that stop moving cost their own connection for a bounded time, never for ever: a client
-- that never reads its response (send_timeout), one that never sends the body it announced
-- (body_timeout, in read_body and in the drain after the handler), one that never reads a file
-- sent with send_file. The server keeps serving others meanwhile.
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'
local socket = require 'eco.socket'

local dir = H.tmpdir()
local big = string.rep('0123456789abcdef', 1024 * 1024) -- 16 MiB
H.write(dir .. '/big.bin', big)

local results = {}
local function handler(con, req)
    if req.path == '/big' then
        con:add_header('content-length', #big)
        con:send(big)
        results.big = table.pack(con:flush())
    elseif req.path == '/big.bin' then
        results.file = table.pack(con:serve_file(req))
    elseif req.path == '/body' then
        results.body = table.pack(con:read_body())
    else
        con:add_header('content-length', 2)
        con:send('ok')
    end
end

local function stalled_client(port, data)
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    c:setoption('rcvbuf', 4096)
    c:send(data)
    return c
end

T.go(function()
    local port, opts = H.serve(handler, { send_timeout = 1, body_timeout = 1, docroot = dir })
    local base = 'http://127.0.0.1:' .. port
    local function still_serving()
        local r = assert(http.get(base .. '/'))
        T.eq(r.body, 'ok', 'server keeps serving')
    end

    -- a client that never reads a 16 MiB response: the flush fails with timeout after ~1 s
    local t0 = T.now()
    local c = stalled_client(port, 'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
    still_serving()
    T.wait_until(function() return results.big end, 10, 'the flush ended')
    T.same({ nil, 'timeout', n = 2 }, table.unpack(results.big, 1, results.big.n))
    T.between(T.now() - t0, 0.9, 5, 'after send_timeout')
    c:close()

    -- the same with send_file
    t0 = T.now()
    c = stalled_client(port, 'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
    T.wait_until(function() return results.file end, 10, 'send_file ended')
    T.same({ nil, 'timeout', n = 2 }, table.unpack(results.file, 1, results.file.n))
    T.between(T.now() - t0, 0.9, 5, 'after send_timeout')
    c:close()
    still_serving()
    -- a body announced and never sent: read_body() without a timeout ends after body_timeout
    t0 = T.now()
    c = stalled_client(port, 'POST /body HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789')
    T.wait_until(function() return results.body end, 10, 'read_body ended')
    T.same({ nil, 'timeout', n = 2 }, table.unpack(results.body, 1, results.body.n))
    T.between(T.now() - t0, 0.9, 5, 'after body_timeout')
    c:close()

    -- a body the handler ignores: answered, then drained for at most body_timeout, then closed
    t0 = T.now()
    c = stalled_client(port, 'POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789')
    local out = c:read('a', 10)
    T.ok(out and out:find('^HTTP/1.1 200 OK\r\n') and out:find('ok$'), tostring(out))
    T.between(T.now() - t0, 0.9, 5, 'connection closed after body_timeout')
    c:close()
    still_serving()

    H.stop(opts)
    eco.run(function() os.remove(dir .. '/big.bin'); os.remove(dir) end)
end)
