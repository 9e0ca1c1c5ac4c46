-- eco.websocket against Python's `websockets` package (python3-websockets in Debian), both ways:
-- our client against its server over ws:// and wss://, its client against our server (a minimal
-- accept loop: socket.listen_tcp + websocket.read_request + websocket.accept). A missing python3
-- or websockets package fails the test.
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local sys = require 'eco.sys'
local socket = require 'eco.socket'
local websocket = require 'eco.websocket'

-- Debian's python3 (python3-websockets is installed for it), not another python3 first on PATH.
local PY = io.open('/usr/bin/python3') and '/usr/bin/python3' or 'python3'
if not os.execute(PY .. ' -c "import websockets" 2>/dev/null') then
    io.stderr:write('FAIL: ' .. PY .. ' with the websockets package is missing (apt-get install python3-websockets)\n')
    os.exit(1)
end

local here = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
local PEER = here .. 'peer.py'
local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

local function start_server(...)
    local p = assert(sys.exec({ PY, PEER, 'server', ... }))
    local line, err = p:read_stdout('l', 30)
    T.ok(line, 'python server did not start: ' .. tostring(err))
    local port = tonumber(line:match('^port (%d+)$'))
    T.ok(port, line)
    return p, port
end

local function session(ws)
    -- 12: text; 16: a 70000-byte binary message (64-bit length both ways)
    T.eq(ws:send_text('hi'), 8)
    T.same({ 'hi', 'text', nil, n = 3 }, ws:recv_frame(10))
    local big = string.rep('abcdefg', 10000)
    T.eq(ws:send_binary(big), 2 + 8 + 4 + 70000)
    local data, typ, extra = ws:recv_frame(10)
    T.eq(typ, 'binary')
    T.eq(extra, nil)
    T.ok(data == big, 'binary echo intact')
    -- 15: fragments reassembled by the peer
    ws:send_frame(false, 0x1, 'ab')
    ws:send_frame(false, 0x0, 'c')
    ws:send_frame(true, 0x0, 'd')
    T.same({ 'abcd', 'text', nil, n = 3 }, ws:recv_frame(10))
    -- UTF-8 text
    ws:send_text('héllo ✓')
    T.same({ 'héllo ✓', 'text', nil, n = 3 }, ws:recv_frame(10))
    -- 13: the peer answers pings
    ws:send_ping('probe')
    T.same({ 'probe', 'pong', nil, n = 3 }, ws:recv_frame(10))
    -- 14: the peer starts the closing handshake
    ws:send_text('close-me')
    T.same({ 'server bye', 'close', 4000, n = 3 }, ws:recv_frame(10))
    ws:send_close(4000)
    ws:close()
end

-- python client -> our server on listener `srv` (strict mode: clients must mask, text must be
-- UTF-8); `uri` is where the python client connects.
local function python_client_session(srv, uri)
    local served, server_err = 0, nil
    eco.run(function()
        while true do
            local c = srv:accept()
            if not c then return end
            eco.run(function()
                local req = websocket.read_request(c, 10)
                local w, e = websocket.accept(c, req, { strict = true })
                if not w then server_err = e c:close() return end
                T.eq(req.headers['sec-websocket-protocol'], 'chat')
                local msg, mtyp = {}, nil
                while true do
                    local d, t, x = w:recv_frame(10)
                    if not d then server_err = t or x break end
                    if t == 'text' or t == 'binary' then
                        msg, mtyp = { d }, t
                    elseif t == 'continuation' then
                        msg[#msg + 1] = d
                    elseif t == 'ping' then
                        w:send_pong(d)
                    elseif t == 'close' then
                        T.eq(x, 1000)
                        T.eq(d, 'done')
                        w:send_close(x, 'bye')
                        break
                    end
                    if (t == 'text' or t == 'binary' or t == 'continuation') and x == nil then
                        local whole = table.concat(msg)
                        if mtyp == 'text' then w:send_text(whole) else w:send_binary(whole) end
                    end
                end
                served = served + 1
                c:close()
            end)
        end
    end)
    local pc = assert(sys.exec({ PY, PEER, 'client', uri }))
    local out = {}
    while true do
        local line = pc:read_stdout('l', 30)
        if not line then break end
        out[#out + 1] = line
    end
    local errout = pc:read_stderr('a', 5)
    local _, st = pc:wait(30)
    local text = table.concat(out, '\n')
    T.eq(st and st.exited and st.status, 0, 'python client exit: ' .. text .. '\n' .. tostring(errout))
    T.eq(out[1], 'subprotocol chat')
    T.eq(out[2], 'text hello')
    T.eq(out[3], 'binary bytes 3000 True')
    T.eq(out[4], 'pong ok')
    T.eq(out[5], 'frag frag1-frag2-frag3')
    T.eq(out[6], 'closed 1000 bye')
    T.wait_until(function() return served == 1 end, 10, 'server session finished')
    T.eq(server_err, nil)
    pc:close()
    srv:close()
end

T.go(function()
    -- our client -> python server, ws://
    local p, port = start_server()
    local ws = assert(websocket.connect('ws://127.0.0.1:' .. port .. '/', { max_payload_len = 1 << 20 }))
    session(ws)
    -- client-initiated close: the peer echoes the close frame
    ws = assert(websocket.connect('ws://localhost:' .. port .. '/path?q=1', { max_payload_len = 1 << 20 }))
    T.eq(ws:send_close(1000, 'done'), 2 + 4 + 6)
    local reason, typ, code = ws:recv_frame(10)
    T.eq(typ, 'close')
    T.eq(code, 1000)
    T.ok(reason == 'done' or reason == '', reason)
    ws:close()
    p:close()
    p:stop(5)

    -- our client -> python server, wss://
    p, port = start_server(cert, key)
    -- verification is on by default: a self-signed certificate is rejected
    local bad, err = websocket.connect('wss://127.0.0.1:' .. port .. '/')
    T.eq(bad, nil)
    T.ok(type(err) == 'string' and #err > 0, 'verify failure reported')
    ws = assert(websocket.connect('wss://127.0.0.1:' .. port .. '/', { insecure = true, max_payload_len = 1 << 20 }))
    T.ok(ws.sock.ssock, 'TLS stream')
    session(ws)
    p:close()
    p:stop(5)

    -- python client -> our server, ws:// and wss:// (eco.ssl listener)
    local srv = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
    python_client_session(srv, 'ws://127.0.0.1:' .. srv:getsockname().port .. '/chat')
    local ssl = require 'eco.ssl'
    local tls = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key, reuseaddr = true }))
    python_client_session(tls, 'wss://127.0.0.1:' .. tls.sock:getsockname().port .. '/chat')
    S.cleanup()
end)
