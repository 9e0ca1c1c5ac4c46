--- eco.http.client: HTTP/1.1 and HTTPS client (spec/http.md part B).
-- The response head is parsed natively (httparse); body framing is done here.
-- Extensions (off by default, so the spec's behaviour is unchanged): `opts.keepalive` on a client
-- object reuses its connection for the next request to the same scheme/host/port, and
-- `opts.follow_redirects = N` makes the module-level helpers follow up to N redirects.
-- @module eco.http.client
local native = ...

local eco = require 'eco'
local socket = require 'eco.socket'
local file = require 'eco.file'
local url = require 'eco.http.url'

local M = {}

local file_mt = {}
local form_mt = {}
form_mt.__index = form_mt

local schemes = {
    http = { port = 80 },
    https = { port = 443, tls = true },
    ws = { port = 80, ws = true },
    wss = { port = 443, tls = true, ws = true },
}

local function random_bytes(n)
    local t = {}
    for i = 1, n do t[i] = string.char(math.random(0, 255)) end
    return table.concat(t)
end

local function random_hex(n)
    local t = {}
    for i = 1, n do t[i] = string.format('%x', math.random(0, 15)) end
    return table.concat(t)
end

local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(s)
    return ((s:gsub('.', function(x)
        local r, b = '', x:byte()
        for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
        return r
    end) .. '0000'):gsub('%d%d?%d?%d?%d?%d?', function(x)
        if #x < 6 then return '' end
        local c = 0
        for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
        return b64chars:sub(c + 1, c + 1)
    end) .. ({ '', '==', '=' })[#s % 3 + 1])
end

-- stat checks shared by body_with_file and form:add_file: size | nil, err
local function check_file(path)
    local st, err = file.stat(path)
    if not st then return nil, err end
    if st.type ~= 'REG' then return nil, 'not a regular file' end
    if not file.access(path, 'r') then return nil, 'no permission for read' end
    return st.size
end

--- File body descriptor `{ name = path, size = bytes }`. @return table | nil, err
function M.body_with_file(path)
    local t = type(path)
    if t ~= 'string' and t ~= 'number' then
        -- the type check of file.stat, named after this function
        error(string.format("bad argument #1 to 'body_with_file' (string expected, got %s)",
            path == nil and 'no value' or t), 2)
    end
    local size, err = check_file(path)
    if not size then return nil, err end
    return setmetatable({ name = path, size = size }, file_mt)
end

--- New multipart/form-data body builder.
function M.form()
    return setmetatable({
        boundary = string.rep('-', 24) .. random_hex(16),
        length = 0,
        contents = {},
    }, form_mt)
end

local function form_append(self, part)
    self.contents[#self.contents + 1] = part
    self.length = self.length + (type(part) == 'string' and #part or part.size)
end

--- Appends a field. Both arguments must be strings (raises otherwise). @return true
function form_mt:add(name, value)
    assert(type(name) == 'string', 'name must be a string')
    assert(type(value) == 'string', 'value must be a string')
    form_append(self, '--' .. self.boundary .. '\r\nContent-Disposition: form-data; name="' .. name
        .. '"\r\n\r\n' .. value .. '\r\n')
    return true
end

--- Appends a file part (sent with sendfile). @return true | nil, err
function form_mt:add_file(name, path)
    assert(type(name) == 'string', 'name must be a string')
    assert(type(path) == 'string', 'path must be a string')
    local size, err = check_file(path)
    if not size then return nil, err end
    form_append(self, '--' .. self.boundary .. '\r\nContent-Disposition: form-data; name="' .. name
        .. '"; filename="' .. (path:match('[^/]*$')) .. '"\r\n'
        .. 'Content-Type: application/octet-stream\r\n\r\n')
    form_append(self, { name = path, size = size })
    form_append(self, '\r\n')
    return true
end

local function form_tail(self)
    return '--' .. self.boundary .. '--\r\n'
end

local function header_name(k)
    return (k:gsub('^%l', string.upper):gsub('%-%l', string.upper))
end

local client = {}
client.__index = client

--- New client object (no connection yet).
function M.new()
    return setmetatable({}, client)
end

--- Closes the current connection (idempotent).
function client:close()
    if self.conn then
        self.conn:close()
        self.conn = nil
    end
    self.conn_key = nil
end

client.__gc = client.close
client.__close = client.close

--- Current connection | nil, "not connected".
function client:sock()
    if not self.conn then return nil, 'not connected' end
    return self.conn
end

local function resolve(host, opts)
    if socket.is_ipv4_address(host) or socket.is_ipv6_address(host) then return { host } end
    local dns = require 'eco.dns'
    local qtype = opts.ipv6 and dns.TYPE_AAAA or dns.TYPE_A
    local answers, err = dns.query(host, {
        type = qtype, mark = opts.mark, device = opts.device, nameservers = opts.nameservers,
    })
    if not answers then return nil, string.format('resolve "%s" fail: %s', host, err) end
    local addrs = {}
    for _, a in ipairs(answers) do
        if a.type == qtype and a.address then addrs[#addrs + 1] = a.address end
    end
    if #addrs == 0 then return nil, string.format('resolve "%s" fail: not found', host) end
    return addrs
end

local function connect(u, scheme, port, opts)
    local addrs, err = resolve(u.host, opts)
    if not addrs then return nil, err end
    for _, addr in ipairs(addrs) do
        local sock, cerr
        if scheme.tls then
            opts.server_name = u.host
            sock, cerr = require('eco.ssl').connect(addr, port, opts)
        else
            sock, cerr = socket.connect_tcp(addr, port, opts)
        end
        if sock then return sock end
        err = string.format('connect "%s %d" fail: %s', addr, port, cerr)
    end
    return nil, err
end

local function send_body(sock, body)
    local ok, err = true, nil
    if type(body) == 'string' then
        ok, err = sock:send(body)
    elseif getmetatable(body) == file_mt then
        ok, err = sock:sendfile(body.name, body.size)
    elseif getmetatable(body) == form_mt then
        for _, part in ipairs(body.contents) do
            if type(part) == 'string' then
                ok, err = sock:send(part)
            else
                ok, err = sock:sendfile(part.name, part.size)
            end
            if not ok then break end
        end
        if ok then ok, err = sock:send(form_tail(body)) end
    end
    if not ok then return nil, 'send body fail: ' .. tostring(err) end
    return true
end

-- Limits of the chunked decoder: longest size/trailer line, total trailer bytes.
local CHUNK_MAX_LINE, CHUNK_MAX_TRAILER = 4096, 65536
-- Sum of the chunk sizes when `opts.max_body` is not set and the body is kept in memory.
local CHUNK_MAX_BODY = 1 << 30
-- Chunked decoder error codes ⇒ the spec's client errors.
local chunk_errors = {
    ['bad size'] = 'not a vaild http chunked body',
    ['line too long'] = 'not a vaild http chunked body',
    ['bad trailer'] = 'invalid http trailer',
    ['too large'] = 'http chunked body too large',
}

-- Reads the body per B.4 from `sock` (its reader holds what came after the head) into `sink`;
-- returns true | nil, err. `max_body` bounds the sum of the chunk sizes of a chunked body.
local function read_body(sock, resp, timeout, sink, max_body)
    local te = resp.headers['transfer-encoding']
    local cl = resp.headers['content-length']
    if te and te:lower() == 'chunked' then
        -- native decoder over the reader's buffer: one call yields the data of one chunk at
        -- most (one sink call per chunk when it was received at once); what it decoded is
        -- skipped, the rest stays buffered
        local dec = native.chunked(CHUNK_MAX_LINE, CHUNK_MAX_TRAILER, max_body)
        local need = 1
        while true do
            local buf, err = sock:peek(need, timeout)
            if not buf then return nil, err end
            local pos, data, used, done = 1, nil, nil, false
            repeat
                data, used, done = dec:decode(buf, math.maxinteger, pos)
                if not data then return nil, chunk_errors[used] or used end
                pos = pos + used
                if #data > 0 then sink(data) end
            until done or used == 0
            sock:skip(pos - 1)
            if done then return true end
            need = #buf - pos + 2 -- more than what is left buffered
        end
    elseif cl then
        local n = tonumber(cl)
        if not n or n < 0 or n ~= math.floor(n) then return nil, 'invalid content-length' end
        resp.length = n
        while n > 0 do
            local data, err = sock:read(math.min(n, 4096), timeout)
            if not data then return nil, 'read body fail: ' .. err end
            sink(data)
            n = n - #data
        end
        return true
    else
        resp.until_close = true
        while true do
            local data, err = sock:read(4096, timeout)
            if not data then
                if err == 'closed' then return true end
                return nil, 'read body fail: ' .. err
            end
            sink(data)
        end
    end
end

local function do_request(self, method, u, scheme, body, opts)
    local port = u.port or scheme.port
    local headers = {
        ['user-agent'] = 'Lua-eco/' .. eco.VERSION,
        host = (port == 80 or port == 443) and u.host or (u.host .. ':' .. port),
    }
    if scheme.ws then
        headers.connection = 'upgrade'
        headers.upgrade = 'websocket'
        headers['sec-websocket-version'] = 13
        headers['sec-websocket-key'] = base64(random_bytes(16))
    else
        headers.connection = opts.keepalive and 'keep-alive' or 'close'
    end
    if body then
        if getmetatable(body) == form_mt then
            headers['content-type'] = 'multipart/form-data; boundary=' .. body.boundary
            headers['content-length'] = body.length + #form_tail(body)
        else
            headers['content-type'] = 'text/plain'
            headers['content-length'] = type(body) == 'string' and #body or body.size
        end
    end
    if type(opts.headers) == 'table' then
        for k, v in pairs(opts.headers) do headers[tostring(k):lower()] = v end
    end

    local key = u.scheme .. '://' .. u.host .. ':' .. port
    local sock
    self.stale = false
    if opts.keepalive and self.conn and self.conn_key == key and self.reusable then
        sock = self.conn
        self.stale = true -- until the first response byte: the server may have closed it
    else
        local err
        sock, err = connect(u, scheme, port, opts)
        if not sock then return nil, err end
        self:close()
        self.conn, self.conn_key = sock, key
    end
    self.reusable = false

    local lines = { method .. ' ' .. u.raw_path .. ' HTTP/1.1\r\n' }
    for k, v in pairs(headers) do
        lines[#lines + 1] = header_name(k) .. ': ' .. tostring(v) .. '\r\n'
    end
    lines[#lines + 1] = '\r\n'
    local ok, err = sock:send(table.concat(lines))
    if not ok then return nil, err end
    if body then
        ok, err = send_body(sock, body)
        if not ok then return nil, err end
    end
    if self.stale then
        ok, err = sock:peek(1, opts.timeout and opts.timeout > 0 and opts.timeout or 30)
        if not ok then return nil, err end
        self.stale = false
    end

    local timeout = opts.timeout
    if type(timeout) ~= 'number' or timeout <= 0 then timeout = 30 end

    local code, reason, minor, rheaders, len
    local buf = ''
    while true do
        code, reason, minor, rheaders, len = native.parse_response(buf)
        if code then break end
        if code == nil then return nil, reason end
        -- the spec reads the status line first: a complete bad line fails even without more data
        local more
        more, err = sock:peek(#buf + 1, timeout)
        if not more then
            if err == 'closed' and #buf > 0 then return nil, 'invalid http header' end
            return nil, err
        end
        buf = more
    end
    sock:skip(len)
    local resp = { code = code, status = reason, headers = rheaders }
    if method == 'HEAD' or code == 101 then
        self.reusable = code ~= 101
        return resp
    end

    local sink, parts, f
    local btf = opts.body_to_file
    if btf ~= nil then
        if type(btf) == 'string' then
            local ferr
            f, ferr = io.open(btf, 'w')
            if not f then return nil, string.format('create "%s" fail: %s', btf, ferr) end
            sink = function(d) f:write(d) end
        else
            sink = btf
        end
    else
        parts = {}
        sink = function(d) parts[#parts + 1] = d end
    end
    -- chunked bodies are bounded in memory only, unless opts.max_body says otherwise
    local max_body = math.tointeger(opts.max_body)
        or (btf == nil and CHUNK_MAX_BODY or math.maxinteger)
    ok, err = read_body(sock, resp, timeout, sink, max_body)
    if f then f:close() end
    if not ok then return nil, err end
    if parts then resp.body = table.concat(parts) end
    local conn = rheaders.connection and rheaders.connection:lower()
    self.reusable = not resp.until_close and conn ~= 'close' and (minor == 1 or conn == 'keep-alive')
    resp.length = nil
    resp.until_close = nil
    return resp
end

--- Performs one request on this client (keeps the connection). @return resp | nil, err
function client:request(method, u, body, opts)
    opts = opts or {}
    local btf = opts.body_to_file
    assert(btf == nil or type(btf) == 'string' or type(btf) == 'function',
        'body_to_file must be a string or function')
    local parsed = url.parse(u)
    if not parsed then return nil, 'invalid url' end
    local scheme = schemes[parsed.scheme]
    if not scheme then return nil, 'unsupported scheme: ' .. parsed.scheme end
    local resp, err = do_request(self, method, parsed, scheme, body, opts)
    if not resp and self.stale then
        -- a reused keep-alive connection that the server had closed: retry once on a new one
        self:close()
        resp, err = do_request(self, method, parsed, scheme, body, opts)
    end
    if not resp then
        self:close()
        return nil, err
    end
    return resp
end

local function valid_body(body)
    return body == nil or type(body) == 'string' or getmetatable(body) == file_mt
        or getmetatable(body) == form_mt
end

-- Resolves a Location against the URL it answered.
local function join(base, loc)
    if loc:find('^%a[%w]*://') then return loc end
    local u = url.parse(base)
    local host = u.host:find(':', 1, true) and ('[' .. u.host .. ']') or u.host
    local prefix = u.scheme .. '://' .. host .. (u.port and (':' .. u.port) or '')
    if loc:sub(1, 1) == '/' then return prefix .. loc end
    return prefix .. (u.path or '/'):gsub('[^/]*$', '') .. loc
end

--- One request on a temporary client that is always closed afterwards.
-- @return resp | nil, err
function M.request(method, u, body, opts)
    if not valid_body(body) then return nil, 'invalid body' end
    if getmetatable(body) == form_mt and #body.contents == 0 then body = nil end
    opts = opts or {}
    local redirects = math.tointeger(opts.follow_redirects) or 0
    local c = M.new()
    local resp, err
    while true do
        resp, err = c:request(method, u, body, opts)
        c:close()
        if not resp then break end
        local loc = resp.headers.location
        if redirects <= 0 or resp.code < 300 or resp.code > 308 or not loc then break end
        redirects = redirects - 1
        u = join(u, loc)
        if resp.code == 303 or ((resp.code == 301 or resp.code == 302) and method == 'POST') then
            method = method == 'HEAD' and 'HEAD' or 'GET'
            body = nil
        end
    end
    return resp, err
end

--- `request('GET', url, nil, opts)`
function M.get(u, opts)
    return M.request('GET', u, nil, opts)
end

--- `request('POST', url, body, opts)`
function M.post(u, body, opts)
    return M.request('POST', u, body, opts)
end

return M
