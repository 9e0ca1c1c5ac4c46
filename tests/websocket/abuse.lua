-- eco.websocket abuse: hostile frames sent over real TCP to a server in strict mode must end
-- with the right close code (1009 too big, 1002 protocol error, 1007 invalid UTF-8), the
-- right error from recv_frame, and leave the server serving other clients. Default (reference)
-- mode returns the same errors without sending a close frame.
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local websocket = require 'eco.websocket'

local function mask(payload, key)
    local out = {}
    for i = 1, #payload do
        out[i] = string.char(payload:byte(i) ~ key:byte((i - 1) % 4 + 1))
    end
    return table.concat(out)
end

-- a masked client frame (b0 = FIN|opcode) with a 7-bit length
local function cframe(b0, payload)
    local key = 'k3y!'
    return string.char(b0, 0x80 | #payload) .. key .. mask(payload, key)
end

local function close_frame(code)
    return string.char(0x88, 2, code >> 8, code & 0xff)
end

T.go(function()
    local results = {}
    local function start(opts)
        local srv = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
        eco.run(function()
            while true do
                local c = srv:accept()
                if not c then return end
                eco.run(function()
                    local req = websocket.read_request(c, 10)
                    local ws = req and websocket.accept(c, req, { strict = opts.strict })
                    if not ws then c:close() return end
                    while true do
                        local d, t, x, code = ws:recv_frame(10)
                        if not d then
                            results[#results + 1] = { err = x, code = code }
                            break
                        end
                        if t == 'text' or t == 'binary' then ws:send_frame(x == nil, t == 'text' and 1 or 2, d)
                        elseif t == 'continuation' then ws:send_frame(x == nil, 0, d)
                        elseif t == 'close' then ws:send_close(x) break end
                    end
                    c:close()
                end)
            end
        end)
        return srv, srv:getsockname().port
    end

    local function raw_client(port)
        local c = assert(socket.connect_tcp('127.0.0.1', port))
        c:send('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' ..
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
        local head = assert(c:readuntil('\r\n\r\n', 10))
        T.ok(head:find('^HTTP/1.1 101 '), head)
        return c
    end

    local function good_client(port)
        local ws = assert(websocket.connect('ws://127.0.0.1:' .. port .. '/'))
        ws:send_text('still here')
        T.same({ 'still here', 'text', nil, n = 3 }, ws:recv_frame(10))
        ws:send_close(1000)
        T.same({ '', 'close', 1000, n = 3 }, ws:recv_frame(10))
        ws:close()
    end

    local srv, port = start({ strict = true })
    local cases = {
        -- frame claiming a 2^63-byte payload (masked, 64-bit length with the top bit set)
        { '\x82\xff\x80\0\0\0\0\0\0\0', 1009, 'payload len too large' },
        -- 2^63 - 1: fits the Lua integer range, still far over the limit
        { '\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff', 1009, 'exceeding max payload len' },
        { '\x82\xff\0\0\0\0\0\x01\0\0', 1009, 'exceeding max payload len' },
        -- control frame > 125 bytes
        { '\x89\xfe\0\x7e', 1002, 'too long payload for control frame' },
        { cframe(0x09, 'x'), 1002, 'fragmented control frame' },
        { '\xc1\x80abcd', 1002, 'bad RSV1, RSV2, or RSV3 bits' },
        { '\x83\x80abcd', 1002, 'reserved non-control frames' },
        { '\x8c\x80abcd', 1002, 'reserved control frames' },
        -- unmasked client frame
        { '\x81\x02hi', 1002, 'unmasked frame from client' },
        -- invalid UTF-8 text, whole and split across fragments
        { cframe(0x81, '\xff\xfe'), 1007, 'invalid UTF-8 in text frame' },
        { cframe(0x81, 'ok\xed\xa0\x80'), 1007, 'invalid UTF-8 in text frame' }, -- surrogate
        { cframe(0x01, 'a\xe2\x82') .. cframe(0x80, 'x'), 1007, 'invalid UTF-8 in text frame', 1 },
        { cframe(0x01, 'a\xe2\x82'), 1007, 'invalid UTF-8 in text frame', 0, cframe(0x80, '') },
        { cframe(0x88, '\x03\xe8\xff'), 1007, 'invalid UTF-8 in close reason' },
        { cframe(0x88, 'x'), 1002, 'close frame with a body must carry a 2-byte status code' },
        -- reserved (1004-1006, 1015) and unassigned (below 1000, 1016-2999, 5000 up) close codes
        { cframe(0x88, '\x03\xe7'), 1002, 'invalid close code 999' },
        { cframe(0x88, '\x03\xec'), 1002, 'invalid close code 1004' },
        { cframe(0x88, '\x03\xed'), 1002, 'invalid close code 1005' },
        { cframe(0x88, '\x03\xee'), 1002, 'invalid close code 1006' },
        { cframe(0x88, '\x03\xf7'), 1002, 'invalid close code 1015' },
        { cframe(0x88, '\x03\xf8'), 1002, 'invalid close code 1016' },
        { cframe(0x88, '\x0b\xb7'), 1002, 'invalid close code 2999' },
        { cframe(0x88, '\x13\x88'), 1002, 'invalid close code 5000' },
        { cframe(0x88, '\0\0'), 1002, 'invalid close code 0' },
        -- fragmentation sequence
        { cframe(0x80, 'x'), 1002, 'unexpected continuation frame' },
        { cframe(0x01, 'x') .. cframe(0x81, 'y'), 1002, 'expected continuation frame', 1 },
    }
    for i, case in ipairs(cases) do
        local bytes, code, err, echoes, later = case[1], case[2], case[3], case[4] or 0, case[5]
        local c = raw_client(port)
        c:send(bytes)
        -- frames the server echoed before the bad one (fragments)
        for _ = 1, echoes do
            local h = assert(c:readfull(2, 10))
            assert(c:readfull(h:byte(2) & 0x7f, 10))
        end
        if later then
            local h = assert(c:readfull(2, 10)) -- the echo of the first fragment
            assert(c:readfull(h:byte(2) & 0x7f, 10))
            c:send(later)
        end
        T.eq(c:readfull(4, 10), close_frame(code), 'case ' .. i .. ' (' .. err .. ')')
        T.wait_until(function() return #results == i end, 10, 'server result ' .. i)
        T.eq(results[i].err, err, 'case ' .. i)
        T.eq(results[i].code, code, 'case ' .. i)
        -- the server closes the TCP connection after the error
        T.same({ nil, 'closed', n = 2 }, c:read(1, 10))
        c:close()
        good_client(port)
    end
    -- valid UTF-8 split across fragments passes in strict mode (the euro sign)
    do
        local c = raw_client(port)
        c:send(cframe(0x01, 'a\xe2\x82') .. cframe(0x80, '\xac'))
        local ws = websocket.wrap(c, {}, true)
        T.same({ 'a\xe2\x82', 'text', 'again', n = 3 }, ws:recv_frame(10))
        T.same({ '\xac', 'continuation', nil, n = 3 }, ws:recv_frame(10))
        ws:send_close(1000)
        T.same({ '', 'close', 1000, n = 3 }, ws:recv_frame(10))
        c:close()
    end
    -- codes that are valid on the wire pass in strict mode: 1001, 1014, 3000 and 4999
    for _, code in ipairs { 1001, 1014, 3000, 4999 } do
        local c = raw_client(port)
        c:send(cframe(0x88, string.char(code >> 8, code & 0xff)))
        T.eq(c:readfull(4, 10), close_frame(code), 'close code ' .. code .. ' echoed')
        c:close()
    end
    -- send_close refuses what strict mode would refuse to receive; the reference mode sends it
    do
        local a, b = assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        local strict = websocket.wrap(a, { strict = true }, false)
        for _, code in ipairs { 999, 1004, 1005, 1006, 1015, 2000, 5000 } do
            T.same({ nil, 'bad status code', n = 2 }, strict:send_close(code))
        end
        T.eq(strict:send_close(1000), 4)
        local lax = websocket.wrap(a, {}, false)
        T.eq(lax:send_close(999), 4)
        T.eq(b:readfull(8, 5), close_frame(1000) .. close_frame(999))
        a:close(); b:close()
    end
    srv:close()

    -- default (reference) mode: same errors, nothing sent, process and server survive
    results = {}
    srv, port = start({})
    local c = raw_client(port)
    c:send('\x82\xff\x80\0\0\0\0\0\0\0')
    T.same({ nil, 'closed', n = 2 }, c:read(1, 10))
    T.eq(results[1].err, 'payload len too large')
    T.eq(results[1].code, nil)
    c:close()
    c = raw_client(port)
    c:send('\x81\x02hi') -- unmasked: accepted by default
    T.eq(c:readfull(4, 10), '\x81\x02hi')
    c:send(cframe(0x81, '\xff')) -- invalid UTF-8: accepted by default (spec 2)
    T.eq(c:readfull(3, 10), '\x81\x01\xff')
    c:close()
    good_client(port)
    srv:close()
end)
