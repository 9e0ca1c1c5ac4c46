-- eco.websocket: the behaviour checklist of spec/websocket.md section 7 (items in comments).
-- eco.http.server does not exist yet: `upgrade` is exercised with a stand-in `con` object that
-- implements the spec's C.5 interface, and the wire-level server tests use a minimal accept loop
-- (socket.listen_tcp + websocket.read_request + websocket.accept).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local websocket = require 'eco.websocket'

local KEY, ACCEPT = 'dGhlIHNhbXBsZSBub25jZQ==', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='

-- A stand-in for an eco.http.server connection (spec/http.md C.5), recording what upgrade does.
local function fake_con(sock)
    local con = { sock = sock, resp = { headers = {}, head_sent = false }, flushes = 0, discarded = 0 }
    function con:discard_body() self.discarded = self.discarded + 1 return true end
    function con:set_status(code, reason)
        if self.resp.head_sent then error('http head has been sent') end
        self.resp.code, self.resp.status = code, reason
        return true
    end
    function con:add_header(name, value)
        if self.resp.head_sent then error('http head has been sent') end
        self.resp.headers[name:lower()] = value
    end
    function con:flush()
        self.flushes = self.flushes + 1
        if not self.resp.head_sent then
            self.resp.head_sent = true
            if self.sock then
                local head = { 'HTTP/1.1 ' .. self.resp.code .. ' ' .. (self.resp.status or '') }
                for k, v in pairs(self.resp.headers) do
                    local name = k:gsub('^%l', string.upper):gsub('%-+%l', string.upper)
                    head[#head + 1] = name .. ': ' .. v
                end
                return self.sock:send(table.concat(head, '\r\n') .. '\r\n\r\n') and true
            end
        end
        return true
    end
    return con
end

local function req_of(headers, major, minor)
    return { method = 'GET', path = '/', major_version = major or 1, minor_version = minor or 1, headers = headers }
end

local function good_headers()
    return {
        upgrade = 'websocket', connection = 'keep-alive, Upgrade',
        ['sec-websocket-version'] = '13', ['sec-websocket-key'] = KEY,
        ['sec-websocket-protocol'] = 'chat, echo',
    }
end

local function pair()
    local a, b = assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
    return a, b
end

T.go(function()
    T.eq(websocket.accept_key(KEY), ACCEPT) -- known answer (spec 3)

    -- the native parser (extension): frame, need-more, error
    T.same({ true, 1, 'hi', 4, false, n = 5 }, websocket.parse_frame('\x81\x02hiXX', 100))
    T.same({ false, 2, 'h', 7, true, n = 5 }, websocket.parse_frame('\x02\x81abcd' .. string.char(('h'):byte() ~ 0x61), 100))
    T.same({ false, 2, n = 2 }, websocket.parse_frame('\x81', 100))
    T.same({ false, 4, n = 2 }, websocket.parse_frame('\x81\x7e', 100))
    T.same({ false, 10, n = 2 }, websocket.parse_frame('\x81\x7f\0', 100))
    T.same({ false, 12, n = 2 }, websocket.parse_frame('\x81\x86ab', 100)) -- 2 + mask 4 + 6
    T.same({ nil, 1009, 'payload len too large', n = 3 }, websocket.parse_frame('\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff', 100))
    T.same({ nil, 1009, 'exceeding max payload len', n = 3 }, websocket.parse_frame('\x82\x65', 100))
    T.same({ nil, 1002, 'too long payload for control frame', n = 3 }, websocket.parse_frame('\x8a\x7e\0\x7e', 1000))
    T.same({ nil, 1009, 'exceeding max payload len', n = 3 }, websocket.parse_frame('\x82\x01x', -5))

    -- 1: successful upgrade sets 101, accept, first protocol, flushes
    do
        local con = fake_con(nil)
        local ws = websocket.upgrade(con, req_of(good_headers()), { max_payload_len = 4096 })
        T.ok(ws)
        T.eq(con.resp.code, 101)
        T.eq(con.resp.headers['sec-websocket-accept'], ACCEPT)
        T.eq(con.resp.headers['sec-websocket-protocol'], 'chat')
        T.eq(con.resp.headers['upgrade'], 'websocket')
        T.eq(con.resp.headers['connection'], 'upgrade')
        T.eq(con.flushes, 1)
        T.eq(con.discarded, 1)
        T.eq(ws.masking, false)
        T.eq(ws.opts.max_payload_len, 4096)
    end
    -- 2: no key: error, status untouched, no flush
    do
        local con = fake_con(nil)
        local h = good_headers()
        h['sec-websocket-key'] = nil
        T.fails('not found "sec-websocket-key" request header', websocket.upgrade(con, req_of(h)))
        T.eq(con.resp.code, nil)
        T.eq(con.flushes, 0)
    end
    -- 3: key that does not decode to 16 bytes
    do
        local h = good_headers()
        h['sec-websocket-key'] = '===='
        T.fails('bad "sec-websocket-key" request header', websocket.upgrade(fake_con(nil), req_of(h)))
        h['sec-websocket-key'] = 'YWJj' -- 'abc'
        T.fails('bad "sec-websocket-key" request header', websocket.upgrade(fake_con(nil), req_of(h)))
    end
    -- 4: HTTP/1.0; head already sent
    do
        T.fails('bad http version', websocket.upgrade(fake_con(nil), req_of(good_headers(), 1, 0)))
        local con = fake_con(nil)
        con:set_status(200)
        con:flush()
        T.fails('response header already sent', websocket.upgrade(con, req_of(good_headers())))
    end
    -- 5: bad upgrade / version, and the other header checks in order
    do
        local h = good_headers()
        h.upgrade = 'h2c'
        T.fails('bad "upgrade" request header:h2c', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h['sec-websocket-version'] = '8'
        T.fails('bad "sec-websocket-version" request header: 8', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h.upgrade = nil
        T.fails('not found "upgrade" request header', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h.connection = nil
        T.fails('not found "connection" request header', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h.connection = 'close'
        T.fails('bad "connection" request header: close', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h['sec-websocket-version'] = nil
        T.fails('not found "sec-websocket-version" request header', websocket.upgrade(fake_con(nil), req_of(h)))
        h = good_headers()
        h.upgrade = 'foo, WebSocket '
        T.ok(websocket.upgrade(fake_con(nil), req_of(h)))
    end
    -- 7: the 101 head on the wire (upgrade through con:flush, and the plain-socket accept)
    do
        local a, b = pair()
        local ws = assert(websocket.upgrade(fake_con(a), req_of(good_headers())))
        local head = {}
        while true do
            local l = assert(b:read('l', 5))
            if l == '' then break end
            head[#head + 1] = l
        end
        T.eq(head[1], 'HTTP/1.1 101 Switching Protocols')
        local all = table.concat(head, '\n')
        T.ok(all:find('Upgrade: websocket', 1, true), all)
        T.ok(all:find('Connection: upgrade', 1, true), all)
        T.ok(all:find('Sec-Websocket-Accept: ' .. ACCEPT, 1, true), all)
        T.ok(all:find('Sec-Websocket-Protocol: chat', 1, true), all)
        ws.sock:close()
        b:close()

        a, b = pair()
        assert(websocket.accept(a, req_of(good_headers())))
        local raw = assert(b:readuntil('\r\n\r\n', 5))
        T.ok(raw:find('^HTTP/1.1 101 Switching Protocols\r\n'), raw)
        T.ok(raw:find('\r\nUpgrade: websocket', 1, true), raw)
        T.ok(raw:find('\r\nConnection: upgrade', 1, true), raw)
        T.ok(raw:find('\r\nSec%-Websocket%-Accept: s3pPLMBiTxaQ9kYGzzhZRbK%+xOo='), raw)
        a:close()
        b:close()
    end

    -- 6, 8, 9, 12, 14: a real TCP server (minimal accept loop) and our client
    do
        local srv = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
        local port = srv:getsockname().port
        local seen = {}
        eco.run(function()
            while true do
                local c = srv:accept()
                if not c then return end
                eco.run(function()
                    local req = websocket.read_request(c, 5)
                    if not req then c:close() return end
                    seen[#seen + 1] = req
                    local ws, err = websocket.accept(c, req)
                    if not ws then
                        c:send('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: ' .. #err .. '\r\n\r\n' .. err)
                        c:close()
                        return
                    end
                    while true do
                        local data, typ, extra = ws:recv_frame(5)
                        if not data then break end
                        if typ == 'text' then
                            ws:send_text('you said: ' .. data)
                        elseif typ == 'binary' then
                            ws:send_binary(data)
                        elseif typ == 'ping' then
                            ws:send_pong(data)
                        elseif typ == 'close' then
                            ws:send_close(extra or 1000, 'bye')
                            break
                        end
                    end
                    c:close()
                end)
            end
        end)

        -- 6: a raw handshake without key gets a 400 and the server keeps serving
        local raw = assert(socket.connect_tcp('127.0.0.1', port))
        raw:send('GET /chat HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-version: 13\r\n\r\n')
        local line = assert(raw:read('l', 5))
        T.ok(line:find('HTTP/1.1 400 ', 1, true) == 1, line)
        raw:close()

        -- 8, 9: the client's handshake headers
        local ws = assert(websocket.connect('ws://127.0.0.1:' .. port .. '/chat?x=1', {
            protocols = { 'chat', 'echo' },
            headers = { ['X-Extra'] = 'yes', ['Sec-WebSocket-Key'] = 'AAAAAAAAAAAAAAAAAAAAAA==' },
            origin = 'http://example.org',
        }))
        local req = seen[#seen]
        T.eq(req.path, '/chat')
        T.eq(req.raw_path, '/chat?x=1')
        T.eq(req.headers['connection'], 'upgrade')
        T.eq(req.headers['upgrade'], 'websocket')
        T.eq(req.headers['sec-websocket-version'], '13')
        T.eq(req.headers['sec-websocket-protocol'], 'chat,echo')
        T.eq(req.headers['x-extra'], 'yes')
        T.eq(req.headers['origin'], 'http://example.org')
        T.eq(req.headers['host'], '127.0.0.1:' .. port)
        local key = req.headers['sec-websocket-key']
        T.ok(key ~= 'AAAAAAAAAAAAAAAAAAAAAA==', 'user key must not replace the generated one') -- 9
        local b64 = require 'eco.encoding.base64'
        T.eq(#assert(b64.decode(key)), 16) -- 8
        T.eq(ws.masking, true)
        T.eq(ws.protocol, 'chat')
        T.ok(ws.hc and ws.sock, 'fields hc and sock')
        T.eq(ws.opts.max_payload_len, 65535)

        -- 12: text round trip (the server echoes with a prefix); 22: client send size
        T.eq(ws:send_text('hello'), 11)
        T.same({ 'you said: hello', 'text', nil, n = 3 }, ws:recv_frame(5))
        -- 13: ping answered by the application
        ws:send_ping('probe')
        T.same({ 'probe', 'pong', nil, n = 3 }, ws:recv_frame(5))
        -- 16 through TCP with masking: a 60000-byte binary message
        local big = string.rep('0123456789', 6000)
        T.eq(ws:send_binary(big), 4 + 4 + 60000)
        local got, typ = ws:recv_frame(5)
        T.eq(typ, 'binary')
        T.ok(got == big, 'binary echo intact')
        -- 14: close handshake
        ws:send_close(1000, 'done')
        T.same({ 'bye', 'close', 1000, n = 3 }, ws:recv_frame(5))
        ws:close()

        -- the server still serves another client
        local ws2 = assert(websocket.connect('ws://127.0.0.1:' .. port .. '/'))
        ws2:send_text('again')
        T.eq((ws2:recv_frame(5)), 'you said: again')
        ws2:send_close()
        T.same({ 'bye', 'close', 1000, n = 3 }, ws2:recv_frame(5))
        ws2.sock:close()
        srv:close()
    end

    -- 10, 11: bad handshake responses; the HTTP connection is closed each time
    do
        local srv = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
        local port = srv:getsockname().port
        local mode
        local closed_seen = 0
        eco.run(function()
            while true do
                local c = srv:accept()
                if not c then return end
                local req = assert(websocket.read_request(c, 5))
                local acc = websocket.accept_key(req.headers['sec-websocket-key'])
                local h = {
                    status = 'HTTP/1.1 101 Switching Protocols', upgrade = 'websocket', connection = 'Upgrade',
                    accept = acc, proto = nil,
                }
                if mode == 'accept' then h.accept = ACCEPT
                elseif mode == 'upgrade' then h.upgrade = 'h2c'
                elseif mode == 'connection' then h.connection = 'close'
                elseif mode == 'protocol' then h.proto = 'other'
                elseif mode == 'status' then h.status = 'HTTP/1.1 403 Forbidden' end
                local resp = h.status .. '\r\nUpgrade: ' .. h.upgrade .. '\r\nConnection: ' .. h.connection ..
                    '\r\nSec-WebSocket-Accept: ' .. h.accept .. '\r\n' ..
                    (h.proto and ('Sec-WebSocket-Protocol: ' .. h.proto .. '\r\n') or '') .. '\r\n'
                c:send(resp)
                local d, err = c:read(1, 5)
                if d == nil and err == 'closed' then closed_seen = closed_seen + 1 end
                c:close()
            end
        end)
        local uri = 'ws://127.0.0.1:' .. port .. '/'
        local cases = {
            { 'accept', 'bad "sec-websocket-accept" response header' },
            { 'upgrade', 'bad "upgrade" response header' },
            { 'connection', 'bad "connection" response header' },
            { 'protocol', 'bad "sec-websocket-protocol" response header' },
            { 'status', 'connect fail with status code: 403' },
        }
        for i, c in ipairs(cases) do
            mode = c[1]
            T.fails(c[2], websocket.connect(uri, { protocols = 'chat' }))
            T.wait_until(function() return closed_seen == i end, 5, 'client closed after ' .. c[1])
        end
        -- connect errors
        local ok, err = websocket.connect('ws://127.0.0.1:1/')
        T.eq(ok, nil)
        T.eq(err, 'connect "127.0.0.1 1" fail: Connection refused')
        T.fails('unsupported scheme: http2', websocket.connect('http2://127.0.0.1/'))
        srv:close()
    end

    -- frame level over a socket pair: s = server side (unmasked), c = client side (masked)
    local a, b = pair()
    local s = websocket.wrap(a, {}, false)
    local c = websocket.wrap(b, {}, true)

    -- 12: client frames masked, server frames unmasked (raw bytes)
    do
        local cs, ss = pair()
        local wc = websocket.wrap(cs, {}, true)
        local wsrv = websocket.wrap(ss, {}, false)
        T.eq(wc:send_text('hello'), 11) -- 22-like: 2 + 4 + 5
        local raw = assert(ss:readfull(11, 5))
        T.eq(raw:byte(1), 0x81)
        T.eq(raw:byte(2), 0x80 | 5)
        T.eq(wsrv:send_text('hello'), 7)
        raw = assert(cs:readfull(7, 5))
        T.eq(raw, '\x81\x05hello')
        cs:close()
        ss:close()
    end

    T.eq(c:send_text('hello'), 11)
    T.same({ 'hello', 'text', nil, n = 3 }, s:recv_frame(5)) -- 12

    -- 13: ping answered by the application
    c:send_ping('probe')
    local d, typ = s:recv_frame(5)
    T.eq(typ, 'ping')
    s:send_pong(d)
    T.same({ 'probe', 'pong', nil, n = 3 }, c:recv_frame(5))

    -- 14: close frames
    c:send_close(1000, 'done')
    T.same({ 'done', 'close', 1000, n = 3 }, s:recv_frame(5))
    c:send_close()
    T.same({ '', 'close', nil, n = 3 }, s:recv_frame(5))

    -- 15: unmasked fragments
    b:send('\x01\x03hel\x80\x02lo')
    T.same({ 'hel', 'text', 'again', n = 3 }, s:recv_frame(5))
    T.same({ 'lo', 'continuation', nil, n = 3 }, s:recv_frame(5))
    -- fragmentation through the API with an interleaved ping
    c:send_frame(false, 0x2, 'ab')
    c:send_ping('p')
    c:send_frame(true, 0x0, 'cd')
    T.same({ 'ab', 'binary', 'again', n = 3 }, s:recv_frame(5))
    T.same({ 'p', 'ping', nil, n = 3 }, s:recv_frame(5))
    T.same({ 'cd', 'continuation', nil, n = 3 }, s:recv_frame(5))

    -- 16: 70000-byte binary frame with a 64-bit length
    do
        local big = string.rep('x', 69999) .. 'y'
        s.opts.max_payload_len = 70000
        local cc = websocket.wrap(b, { max_payload_len = 70000 }, true)
        T.eq(cc:send_binary(big), 2 + 8 + 4 + 70000)
        local got, t2, extra = s:recv_frame(5)
        T.eq(t2, 'binary')
        T.eq(extra, nil)
        T.ok(got == big, '70000 bytes intact')
        s.opts.max_payload_len = 65535
    end

    -- 17: top bit set in the 64-bit length
    b:send('\x82\x7f\x80\0\0\0\0\0\0\0')
    T.same({ nil, nil, 'payload len too large', n = 3 }, s:recv_frame(5))
    -- the frame level of a 2^63 - 1 claim exceeds the max payload
    a:close() b:close()
    a, b = pair()
    s = websocket.wrap(a, {}, false)
    c = websocket.wrap(b, {}, true)
    b:send('\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff')
    T.same({ nil, nil, 'exceeding max payload len', n = 3 }, s:recv_frame(5))
    -- 18: frame larger than max_payload_len
    b:send('\x82\x7f\0\0\0\0\0\x01\0\0') -- 65536 > default 65535
    T.same({ nil, nil, 'exceeding max payload len', n = 3 }, s:recv_frame(5))

    -- 19: protocol errors (each on a fresh pair: the stream is out of sync afterwards)
    local function recv_raw(bytes)
        local x, y = pair()
        local w = websocket.wrap(x, {}, false)
        y:send(bytes)
        y:close() -- the peer is gone after these bytes (read errors see 'closed')
        local r = table.pack(w:recv_frame(5))
        x:close()
        return table.unpack(r, 1, r.n)
    end
    T.same({ nil, nil, 'bad RSV1, RSV2, or RSV3 bits', n = 3 }, recv_raw('\xc1\x00'))
    T.same({ nil, nil, 'reserved non-control frames', n = 3 }, recv_raw('\x83\x00'))
    T.same({ nil, nil, 'reserved control frames', n = 3 }, recv_raw('\x8b\x00'))
    T.same({ nil, nil, 'too long payload for control frame', n = 3 }, recv_raw('\x89\x7e\x00\x7e'))
    T.same({ nil, nil, 'fragmented control frame', n = 3 }, recv_raw('\x09\x00'))
    T.same({ nil, nil, 'close frame with a body must carry a 2-byte status code', n = 3 }, recv_raw('\x88\x01x'))
    -- both masked and unmasked frames accepted by default (spec 5.1 step 7)
    T.same({ 'hi', 'text', nil, n = 3 }, recv_raw('\x81\x02hi'))
    -- read errors at each stage
    T.same({ nil, nil, 'failed to receive the 2 byte payload length: closed', n = 3 }, recv_raw('\x82\x7e\x01'))
    T.same({ nil, nil, 'failed to receive the 8 byte payload length: closed', n = 3 }, recv_raw('\x82\x7f\0\0'))
    T.same({ nil, nil, 'failed to read masking-len and payload: closed', n = 3 }, recv_raw('\x82\x85ab'))
    T.same({ nil, nil, 'failed to receive the first 2 bytes: closed', n = 3 }, recv_raw('\x82'))

    -- 20: timeout
    T.same({ nil, nil, 'failed to receive the first 2 bytes: timeout', n = 3 }, s:recv_frame(0.05))

    -- 21: send-side checks
    T.fails('bad status code', s:send_close(70000))
    T.fails('bad status code', s:send_close('x'))
    T.fails('too much payload for control frame', s:send_ping(string.rep('x', 126)))
    T.fails('fragmented control frame', s:send_frame(false, 0x9, 'x'))
    T.fails('payload too big', s:send_text(string.rep('x', 65536)))
    T.raises('attempt to perform', s.send_frame, s, true, {}, 'x')

    -- 22: sizes
    T.eq(c:send_text('hi'), 8)
    T.eq(s:send_text('hi'), 4)
    T.same({ 'hi', 'text', nil, n = 3 }, s:recv_frame(5))
    T.same({ 'hi', 'text', nil, n = 3 }, c:recv_frame(5))
    -- send_frame payload conversions
    T.eq(s:send_frame(true, 0x1), 2)
    T.same({ '', 'text', nil, n = 3 }, c:recv_frame(5))
    T.eq(s:send_frame(true, 0x1, 42), 4)
    T.same({ '42', 'text', nil, n = 3 }, c:recv_frame(5))

    -- 23: a received ping is not answered automatically
    c:send_ping('x')
    T.same({ 'x', 'ping', nil, n = 3 }, s:recv_frame(5))
    T.same({ nil, nil, 'failed to receive the first 2 bytes: timeout', n = 3 }, c:recv_frame(0.1))

    -- concurrent senders: frames never interleave (spec 5.2)
    do
        local x, y = pair()
        local ws1 = websocket.wrap(x, { max_payload_len = 1 << 20 }, true)
        local r = websocket.wrap(y, { max_payload_len = 1 << 20 }, false)
        local done = 0
        for i = 1, 3 do
            eco.run(function()
                ws1:send_binary(string.rep(string.char(64 + i), 300000))
                done = done + 1
            end)
        end
        local seen = {}
        for _ = 1, 3 do
            local d, t = r:recv_frame(10)
            T.eq(t, 'binary')
            T.eq(#d, 300000)
            T.ok(d == string.rep(d:sub(1, 1), 300000), 'frame not interleaved')
            seen[d:sub(1, 1)] = true
        end
        T.ok(seen.A and seen.B and seen.C, 'all three frames')
        T.wait_until(function() return done == 3 end, 5, 'senders done')
        x:close() y:close()
    end

    -- strict mode (extension) on the client side: a masked server frame is a protocol error,
    -- answered with a (masked) close frame carrying 1002
    do
        local x, y = pair()
        local cl = websocket.wrap(x, { strict = true }, true)
        y:send('\x81\x82abcd' .. string.char(('h'):byte() ~ 0x61, ('i'):byte() ~ 0x62))
        T.same({ nil, nil, 'masked frame from server', 1002, n = 4 }, cl:recv_frame(5))
        local raw = assert(y:readfull(8, 5))
        T.eq(raw:byte(1), 0x88)
        T.eq(raw:byte(2), 0x82)
        local srv = websocket.wrap(y, {}, false)
        x:send(raw) -- loop it back through a reader to unmask it
        local reason, typ, code = srv:recv_frame(5)
        T.eq(typ, 'close')
        T.eq(code, 1002)
        T.eq(reason, '')
        x:close() y:close()
    end

    -- send on a closed transport
    a:close()
    local n, err = s:send_text('x')
    T.eq(n, nil)
    T.ok(tostring(err):find('^failed to send frame: '), err)
    b:close()
end)
