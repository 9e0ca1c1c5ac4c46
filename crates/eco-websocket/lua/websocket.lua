--- eco.websocket: RFC 6455 handshake and frame I/O (spec/websocket.md).
-- The frame codec, the accept-key math and the UTF-8 check are native (src/frame.rs); the
-- handshakes and the receive flow are here, over any stream with `readfull`/`readuntil`/`send`/
-- `close` (an `eco.socket` TCP socket or an `eco.ssl` client).
--
-- Extension (off by default, so reference scripts behave unchanged): `opts.strict = true` makes
-- `recv_frame` enforce the RFC's rules the reference leaves to the application — clients must
-- mask, servers must not, continuation frames must continue a message, text messages (across
-- fragments) and close reasons must be valid UTF-8. Any protocol failure (these and the spec's
-- own receive errors) then also sends a close frame with the matching code (1002 protocol error,
-- 1007 invalid payload, 1009 too big) and `recv_frame` returns `nil, nil, err, code`. A received
-- close code that is reserved or unassigned is a protocol error (1002) too, and `send_close`
-- refuses to send one (`nil, 'bad status code'`).
local socket = require 'eco.socket'
local native = ...

local parse_frame, build_frame = native.parse_frame, native.build_frame
local utf8_check = native.utf8_check
local byte, char, sub = string.byte, string.char, string.sub

local M = {}

local DEFAULT_MAX_PAYLOAD = 65535
local MAX_HEAD_LINE = 8192
local MAX_HEADERS = 100

local TYPES = {
    [0x0] = 'continuation', [0x1] = 'text', [0x2] = 'binary',
    [0x8] = 'close', [0x9] = 'ping', [0xA] = 'pong',
}

local methods = {}
local mt = { __index = methods }

--- Frames are read from `sock` (an eco.socket or eco.ssl client): its reader may already hold
-- bytes the client sent right after its handshake (the HTTP server parsed the head in place).
local function new_conn(sock, opts, masking)
    opts.max_payload_len = opts.max_payload_len or DEFAULT_MAX_PAYLOAD
    return setmetatable({
        sock = sock, rd = sock, opts = opts, masking = masking, strict = opts.strict and true or false,
    }, mt)
end

-- Close codes a peer may send (RFC 6455 7.4 and IANA's registry): 1000-1003, 1007-1014 and the
-- 3000-4999 ranges for libraries and applications. 1004-1006 and 1015 are reserved (never on the
-- wire), the rest below 3000 unassigned.
local function valid_close_code(code)
    return (code >= 1000 and code <= 1003) or (code >= 1007 and code <= 1014)
        or (code >= 3000 and code <= 4999)
end

--- Protocol failure: `nil, nil, err` (strict mode: close frame sent, `nil, nil, err, code`).
local function protocol_error(self, code, msg)
    if not self.strict then return nil, nil, msg end
    self.error_code = code
    if not self.close_sent then
        self.close_sent = true
        self:send_frame(true, 0x8, char(code >> 8, code & 0xff))
    end
    return nil, nil, msg, code
end

local function strict_checks(self, fin, opcode, payload, masked)
    if self.masking and masked then
        return 1002, 'masked frame from server'
    elseif not self.masking and not masked then
        return 1002, 'unmasked frame from client'
    end
    if opcode == 0x8 then
        if #payload >= 2 then
            local ok, tail = utf8_check(sub(payload, 3))
            if not ok or tail > 0 then return 1007, 'invalid UTF-8 in close reason' end
        end
        return
    elseif opcode >= 0x8 then
        return
    end
    if opcode == 0 then
        if not self.frag then return 1002, 'unexpected continuation frame' end
    elseif self.frag then
        return 1002, 'expected continuation frame'
    else
        self.frag = opcode == 0x1 and 'text' or 'binary'
    end
    if self.frag == 'text' then
        local s = self.utf8_tail and (self.utf8_tail .. payload) or payload
        local ok, tail = utf8_check(s)
        if not ok or (fin and tail > 0) then
            return 1007, 'invalid UTF-8 in text frame'
        end
        self.utf8_tail = tail > 0 and sub(s, -tail) or nil
    end
    if fin then self.frag = nil end
end

--- recv_frame(timeout?) -> data, typ, extra | nil, nil, err
-- Reads 2 header bytes, then the extended length if any, then mask + payload in one read
-- (spec 5.1); the native parser tells how many bytes it needs next.
function methods:recv_frame(timeout)
    local sock = self.rd
    local buf, err = sock:readfull(2, timeout)
    if not buf then
        return nil, nil, 'failed to receive the first 2 bytes: ' .. tostring(err)
    end
    local max = self.opts.max_payload_len or DEFAULT_MAX_PAYLOAD
    while true do
        -- frame: fin, opcode, payload, consumed, masked | need more: false, need | nil, code, err
        local fin, opcode, payload, _, masked = parse_frame(buf, max)
        if fin == false and payload == nil then
            local what = 'failed to read masking-len and payload: '
            if #buf == 2 then
                local lc = byte(buf, 2) & 0x7f
                if lc == 126 then
                    what = 'failed to receive the 2 byte payload length: '
                elseif lc == 127 then
                    what = 'failed to receive the 8 byte payload length: '
                end
            end
            local more
            more, err = sock:readfull(opcode - #buf, timeout)
            if not more then return nil, nil, what .. tostring(err) end
            buf = buf .. more
        elseif fin == nil then
            return protocol_error(self, opcode, payload)
        else
            if self.strict then
                local code, msg = strict_checks(self, fin, opcode, payload, masked)
                if code then return protocol_error(self, code, msg) end
            end
            if opcode == 0x8 then
                if #payload == 0 then return '', 'close', nil end
                if #payload < 2 then
                    return protocol_error(self, 1002, 'close frame with a body must carry a 2-byte status code')
                end
                local hi, lo = byte(payload, 1, 2)
                local code = (hi << 8) | lo
                if self.strict and not valid_close_code(code) then
                    return protocol_error(self, 1002, 'invalid close code ' .. code)
                end
                return sub(payload, 3), 'close', code
            end
            return payload, TYPES[opcode], (not fin) and 'again' or nil
        end
    end
end

--- send_frame(fin, opcode, payload?) -> bytes written | nil, err
function methods:send_frame(fin, opcode, payload)
    if payload == nil then
        payload = ''
    elseif type(payload) ~= 'string' then
        payload = tostring(payload)
    end
    if #payload > (self.opts.max_payload_len or DEFAULT_MAX_PAYLOAD) then
        return nil, 'payload too big'
    end
    if opcode & 0x8 ~= 0 then
        if #payload > 125 then return nil, 'too much payload for control frame' end
        if not fin then return nil, 'fragmented control frame' end
    end
    local frame, err = build_frame(fin and (0x80 | opcode) or opcode, payload, self.masking and true or false)
    if not frame then return nil, 'failed to build frame: ' .. err end
    local n
    n, err = self.sock:send(frame)
    if not n then return nil, 'failed to send frame: ' .. tostring(err) end
    return #frame
end

function methods:send_text(data) return self:send_frame(true, 0x1, data) end
function methods:send_binary(data) return self:send_frame(true, 0x2, data) end
function methods:send_ping(data) return self:send_frame(true, 0x9, data) end
function methods:send_pong(data) return self:send_frame(true, 0xA, data) end

--- send_close(code?, msg?) -> bytes written | nil, err (does not close the transport)
function methods:send_close(code, msg)
    local payload
    if code ~= nil then
        if type(code) ~= 'number' or code > 0x7FFF then return nil, 'bad status code' end
        if self.strict and not valid_close_code(code) then return nil, 'bad status code' end
        payload = char((code >> 8) & 0xff, code & 0xff) .. (msg or '')
    end
    self.close_sent = true
    return self:send_frame(true, 0x8, payload)
end

--- close(): extension — closes the transport (the HTTP client's connection on the client side).
function methods:close()
    if self.hc then return self.hc:close() end
    return self.sock:close()
end

--- wrap(sock, opts?, masking?) -> ws: extension — a connection object over a stream that is
-- already upgraded (tests, custom servers); `masking` true for the client side.
function M.wrap(sock, opts, masking)
    return new_conn(sock, opts or {}, masking and true or false)
end

-- Handshake helpers ---------------------------------------------------------------------------

local function trim(s) return (s:match('^%s*(.-)%s*$')) end

local function has_token(value, token)
    for item in tostring(value):gmatch('[^,]+') do
        if trim(item):lower() == token then return true end
    end
    return false
end

--- Header checks 4-11 of spec 3; returns the key and the first offered protocol.
local function check_request_headers(h)
    local v = h['upgrade']
    if not v then return nil, 'not found "upgrade" request header' end
    if not has_token(v, 'websocket') then return nil, 'bad "upgrade" request header:' .. v end
    v = h['connection']
    if not v then return nil, 'not found "connection" request header' end
    if not has_token(v, 'upgrade') then return nil, 'bad "connection" request header: ' .. v end
    v = h['sec-websocket-version']
    if not v then return nil, 'not found "sec-websocket-version" request header' end
    if v ~= '13' then return nil, 'bad "sec-websocket-version" request header: ' .. v end
    local key = h['sec-websocket-key']
    if not key then return nil, 'not found "sec-websocket-key" request header' end
    if not native.key_ok(key) then return nil, 'bad "sec-websocket-key" request header' end
    local proto = h['sec-websocket-protocol']
    if proto then
        proto = trim(proto:match('^[^,]*'))
        if proto == '' then proto = nil end
    end
    return key, proto
end

--- accept_key(key) -> base64(SHA1(key .. GUID)), the `Sec-WebSocket-Accept` value.
M.accept_key = native.accept_key

--- parse_frame(buf, max_payload) -> fin, opcode, payload, consumed, masked
--   | false, need (total bytes needed) | nil, close_code, err: extension — the native parser
-- (payload unmasked) for code that buffers frames itself.
M.parse_frame = native.parse_frame

--- upgrade(con, req, opts?) -> ws | nil, err: server side on an `eco.http.server` connection.
function M.upgrade(con, req, opts)
    opts = opts or {}
    if not (req.major_version == 1 and req.minor_version == 1) then
        return nil, 'bad http version'
    end
    if con.resp and con.resp.head_sent then return nil, 'response header already sent' end
    local ok, err = con:discard_body()
    if not ok then return nil, err end
    local key, proto = check_request_headers(req.headers or {})
    if not key then return nil, proto end
    con:set_status(101, 'Switching Protocols')
    con:add_header('upgrade', 'websocket')
    con:add_header('connection', 'upgrade')
    con:add_header('sec-websocket-accept', native.accept_key(key))
    if proto then con:add_header('sec-websocket-protocol', proto) end
    ok, err = con:flush()
    if not ok then return nil, err end
    return new_conn(con.sock, opts, false)
end

--- Reads one CRLF/LF-terminated line of at most `limit` bytes (without the terminator).
local function read_line(sock, timeout, limit)
    local parts, n = {}, 0
    while true do
        local data, found = sock:readuntil('\n', timeout)
        if not data then return nil, found end
        n = n + #data
        if n > limit then return nil, 'line too long' end
        parts[#parts + 1] = data
        if found then
            local line = table.concat(parts)
            if sub(line, -1) == '\r' then line = sub(line, 1, -2) end
            return line
        end
    end
end

--- Reads header lines up to the empty line into a table with lowercase names.
local function read_headers(sock, timeout)
    local headers, count = {}, 0
    while true do
        local line, err = read_line(sock, timeout, MAX_HEAD_LINE)
        if not line then return nil, err end
        if line == '' then return headers end
        count = count + 1
        if count > MAX_HEADERS then return nil, 'too many headers' end
        local name, value = line:match('^([^:%s]+):%s*(.-)%s*$')
        if not name then return nil, 'bad header line' end
        name = name:lower()
        headers[name] = headers[name] and (headers[name] .. ', ' .. value) or value
    end
end

--- read_request(sock, timeout?) -> req | nil, err: extension for servers without eco.http —
-- reads a request head (line ≤ 8 KB, ≤ 100 headers) into `{ method, raw_path, path,
-- major_version, minor_version, headers }`.
function M.read_request(sock, timeout)
    local line, err = read_line(sock, timeout, MAX_HEAD_LINE)
    if not line then return nil, err end
    local method, target, major, minor = line:match('^(%u+) (%S+) HTTP/(%d)%.(%d)$')
    if not method then return nil, 'bad request line' end
    local headers
    headers, err = read_headers(sock, timeout)
    if not headers then return nil, err end
    return {
        method = method, raw_path = target, path = target:match('^[^?]*'),
        major_version = tonumber(major), minor_version = tonumber(minor), headers = headers,
    }
end

--- accept(sock, req, opts?) -> ws | nil, err: extension — the server handshake on a plain
-- connected stream whose request head was already parsed (e.g. by `read_request`). Same checks
-- as `upgrade` (minus the HTTP-server ones); writes the 101 head itself.
function M.accept(sock, req, opts)
    opts = opts or {}
    if not (req.major_version == 1 and req.minor_version == 1) then
        return nil, 'bad http version'
    end
    local key, proto = check_request_headers(req.headers or {})
    if not key then return nil, proto end
    local head = {
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: upgrade',
        'Sec-Websocket-Accept: ' .. native.accept_key(key),
    }
    if proto then head[#head + 1] = 'Sec-Websocket-Protocol: ' .. proto end
    local ok, err = sock:send(table.concat(head, '\r\n') .. '\r\n\r\n')
    if not ok then return nil, err end
    return new_conn(sock, opts, false)
end

-- Client ----------------------------------------------------------------------------------------

local DEFAULT_PORTS = { ws = 80, wss = 443, http = 80, https = 443 }
local FORCED = {
    connection = true, upgrade = true, ['sec-websocket-version'] = true, ['sec-websocket-key'] = true,
}

local function parse_uri(uri)
    local scheme, rest = tostring(uri):match('^(%a[%w+.-]*)://(.*)$')
    if not scheme then return nil, 'invalid url' end
    scheme = scheme:lower()
    if not DEFAULT_PORTS[scheme] then return nil, 'unsupported scheme: ' .. scheme end
    local authority, path = rest:match('^([^/?#]*)(.*)$')
    path = path:gsub('#.*$', '')
    if path == '' then path = '/' elseif sub(path, 1, 1) == '?' then path = '/' .. path end
    authority = authority:gsub('^.*@', '')
    local host, port = authority:match('^%[([%x:.]+)%]:?(%d*)$')
    if not host then host, port = authority:match('^([^:]+):?(%d*)$') end
    if not host or host == '' then return nil, 'invalid url' end
    port = port ~= '' and tonumber(port) or DEFAULT_PORTS[scheme]
    if port < 1 or port > 65535 then return nil, 'invalid url' end
    return { scheme = scheme, host = host, port = port, path = path }
end

local function resolve(host)
    if socket.is_ipv4_address(host) or socket.is_ipv6_address(host) then return host end
    local ok, dns = pcall(require, 'eco.dns')
    if not ok then return nil, 'resolve "' .. host .. '" fail: eco.dns not installed' end
    local answers, err = dns.query(host)
    if answers then
        for _, a in ipairs(answers) do
            if a.type == 1 or a.type == 28 then return a.address end
        end
        err = 'no address'
    end
    return nil, 'resolve "' .. host .. '" fail: ' .. tostring(err)
end

--- The minimal HTTP client object kept as `ws.hc` (keeps the connection; `close()` ends it).
local hc_mt = { __index = {
    close = function(self)
        if not self.closed then
            self.closed = true
            self.sock:close()
        end
        return true
    end,
} }

--- connect(uri, opts?) -> ws | nil, err: client handshake over ws://, wss:// (http(s):// too).
function M.connect(uri, opts)
    opts = opts or {}
    opts.max_payload_len = opts.max_payload_len or DEFAULT_MAX_PAYLOAD
    local u, err = parse_uri(uri)
    if not u then return nil, err end
    local ip
    ip, err = resolve(u.host)
    if not ip then return nil, err end
    local sock
    if u.scheme == 'wss' or u.scheme == 'https' then
        local ssl = require 'eco.ssl'
        local sopts = { insecure = opts.insecure }
        if not (socket.is_ipv4_address(u.host) or socket.is_ipv6_address(u.host)) then
            sopts.server_name = u.host
        end
        sock, err = ssl.connect(ip, u.port, sopts)
    else
        sock, err = socket.connect_tcp(ip, u.port)
    end
    if not sock then return nil, string.format('connect "%s %d" fail: %s', ip, u.port, tostring(err)) end
    local hc = setmetatable({ sock = sock }, hc_mt)

    local key = native.new_key()
    local hostport = u.host:find(':', 1, true) and ('[' .. u.host .. ']') or u.host
    if u.port ~= DEFAULT_PORTS[u.scheme] then hostport = hostport .. ':' .. u.port end
    local headers = {
        host = hostport,
        ['user-agent'] = 'Lua-eco/' .. tostring(require('eco').VERSION or ''),
    }
    for k, v in pairs(opts.headers or {}) do
        local name = tostring(k):lower()
        if not FORCED[name] then headers[name] = tostring(v) end
    end
    local protocols = opts.protocols
    if type(protocols) == 'table' then protocols = table.concat(protocols, ',') end
    if protocols then headers['sec-websocket-protocol'] = tostring(protocols) end
    if opts.origin then headers['origin'] = tostring(opts.origin) end
    headers['connection'] = 'upgrade'
    headers['upgrade'] = 'websocket'
    headers['sec-websocket-version'] = '13'
    headers['sec-websocket-key'] = key
    local lines = { 'GET ' .. u.path .. ' HTTP/1.1' }
    for k, v in pairs(headers) do lines[#lines + 1] = k .. ': ' .. v end
    local ok
    ok, err = sock:send(table.concat(lines, '\r\n') .. '\r\n\r\n')
    if not ok then hc:close() return nil, err end

    local timeout = opts.timeout or 30
    local function fail(msg) hc:close() return nil, msg end
    local status
    status, err = read_line(sock, timeout, MAX_HEAD_LINE)
    if not status then return fail(err) end
    local code = status:match('^HTTP/%d%.%d (%d%d%d)')
    if not code then return fail('invalid http response') end
    local rh
    rh, err = read_headers(sock, timeout)
    if not rh then return fail(err) end
    if code ~= '101' then return fail('connect fail with status code: ' .. code) end
    if not has_token(rh['upgrade'] or '', 'websocket') then return fail('bad "upgrade" response header') end
    if not has_token(rh['connection'] or '', 'upgrade') then return fail('bad "connection" response header') end
    if rh['sec-websocket-accept'] ~= native.accept_key(key) then
        return fail('bad "sec-websocket-accept" response header')
    end
    local proto = rh['sec-websocket-protocol']
    if proto then
        proto = trim(proto)
        local found = false
        for p in tostring(protocols or ''):gmatch('[^,]+') do
            if trim(p) == proto then found = true break end
        end
        if not found then return fail('bad "sec-websocket-protocol" response header') end
    end
    local ws = new_conn(sock, opts, true)
    ws.hc = hc
    ws.protocol = proto
    return ws
end

return M
