-- eco.websocket.upgrade wired to the real eco.http.server (spec/websocket.md 3, 6; checklist
-- 1, 6, 7, 12-14 end to end), with our client and raw TCP clients.
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local http = require 'eco.http.server'
local websocket = require 'eco.websocket'

T.go(function()
    local opts = { reuseaddr = true }
    local errors = {}
    eco.run(function()
        http.listen('127.0.0.1', 0, opts, function(con, req)
            if req.path ~= '/chat' then
                return con:send_error(404)
            end
            local ws, err = websocket.upgrade(con, req, { max_payload_len = 4096 })
            if not ws then
                errors[#errors + 1] = err
                return con:send_error(400, nil, err)
            end
            while true do
                local data, typ, extra = ws:recv_frame(10)
                if not data then return end
                if typ == 'text' then
                    ws:send_text('you said: ' .. data)
                elseif typ == 'ping' then
                    ws:send_pong(data)
                elseif typ == 'close' then
                    ws:send_close(extra or 1000, 'bye')
                    return
                end
            end
        end)
    end)
    T.wait_until(function() return opts.listener ~= nil end, 5, 'listening')
    local port = opts.listener:getsockname().port
    local base = 'ws://127.0.0.1:' .. port

    -- 6: a raw handshake without a key gets a 400 and the server keeps serving
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    c:send('GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' ..
        'Sec-WebSocket-Version: 13\r\n\r\n')
    local line = assert(c:read('l', 10))
    T.ok(line:find('HTTP/1.1 400 ', 1, true) == 1, line)
    T.eq(errors[1], 'not found "sec-websocket-key" request header')
    c:close()

    -- 7 (and 1 on the wire): the 101 head; a frame pipelined right behind the handshake is not lost
    c = assert(socket.connect_tcp('127.0.0.1', port))
    c:send('GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n' ..
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' ..
        'Sec-WebSocket-Protocol: chat, echo\r\n\r\n' .. '\x81\x82abcd' .. string.char(('h'):byte() ~ 0x61, ('i'):byte() ~ 0x62))
    local head = assert(c:readuntil('\r\n\r\n', 10)) .. '\r\n'
    T.ok(head:find('^HTTP/1.1 101 Switching Protocols\r\n'), head)
    T.ok(head:find('\r\nUpgrade: websocket\r\n', 1, true), head)
    T.ok(head:find('\r\nConnection: upgrade\r\n', 1, true), head)
    T.ok(head:find('\r\nSec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n', 1, true), head)
    T.ok(head:find('\r\nSec-Websocket-Protocol: chat\r\n', 1, true), head)
    T.ok(head:find('\r\nServer: ', 1, true), head)
    -- 12: server frames unmasked
    T.eq(c:readfull(2 + 12, 10), '\x81\x0cyou said: hi')
    c:close()

    -- our client end to end (spec section 6 example)
    local ws = assert(websocket.connect(base .. '/chat', { protocols = { 'chat' } }))
    ws:send_text('hi')
    T.same({ 'you said: hi', 'text', nil, n = 3 }, ws:recv_frame(5))
    ws:send_ping('probe')
    T.same({ 'probe', 'pong', nil, n = 3 }, ws:recv_frame(5))
    ws:send_close(1000, 'done')
    T.same({ 'bye', 'close', 1000, n = 3 }, ws:recv_frame(5))
    -- the HTTP server closes the connection when the handler returns
    T.same({ nil, nil, 'failed to receive the first 2 bytes: closed', n = 3 }, ws:recv_frame(5))
    ws:close()

    -- 11 against the real server: a 404 for another path
    T.fails('connect fail with status code: 404', websocket.connect(base .. '/other'))
    -- max_payload_len given to upgrade (4096) is enforced
    ws = assert(websocket.connect(base .. '/chat'))
    ws:send_text(string.rep('x', 4097))
    -- the server drops the connection (closed, or reset because our frame was left unread)
    local d, t, e = ws:recv_frame(5)
    T.eq(d, nil)
    T.eq(t, nil)
    T.ok(e == 'failed to receive the first 2 bytes: closed'
        or e == 'failed to receive the first 2 bytes: Connection reset by peer', e)
    ws:close()

    opts.listener:close()
end)
