--- eco.http.server: coroutine-per-connection HTTP/1.1 server (spec/http.md part C).
-- Request heads are parsed natively (httparse) over the bytes received so far, with limits that
-- `listen`'s options can change: `max_request_line` (8192 bytes, else 414), `max_header_line`
-- (8192, else 431), `max_headers` (100, else 431), `max_head` (65536 bytes for the whole head,
-- else 431; it bounds buffering and re-parsing), `header_timeout` (10 s for the whole head once
-- its first byte arrived, else 408), `max_body` (64 MiB of declared or chunked body, else 413),
-- `send_timeout` (30 s: each wait for the client to take response bytes), `body_timeout` (30 s:
-- each wait while `discard_body` drains a body the handler left).
-- Malformed requests get 400. Each of these closes the connection.
-- Extensions beyond the spec: chunked request bodies are decoded by `read_body`, and
-- `Expect: 100-continue` is answered when the handler first reads the body.
-- @module eco.http.server
local native = ...

local eco = require 'eco'
local socket = require 'eco.socket'
local file = require 'eco.file'

local M = {}
local concat = table.concat

local reasons = {
    [100] = 'Continue', [101] = 'Switching Protocols', [102] = 'Processing', [200] = 'OK',
    [201] = 'Created', [202] = 'Accepted', [203] = 'Non-Authoritative Information',
    [204] = 'No Content', [205] = 'Reset Content', [206] = 'Partial Content', [207] = 'Multi-Status',
    [208] = 'Already Reported', [226] = 'IM Used', [300] = 'Multiple Choices',
    [301] = 'Moved Permanently', [302] = 'Found', [303] = 'See Other', [304] = 'Not Modified',
    [305] = 'Use Proxy', [307] = 'Temporary Redirect', [308] = 'Permanent Redirect',
    [400] = 'Bad Request', [401] = 'Unauthorized', [402] = 'Payment Required', [403] = 'Forbidden',
    [404] = 'Not Found', [405] = 'Method Not Allowed', [406] = 'Not Acceptable',
    [407] = 'Proxy Authentication Required', [408] = 'Request Timeout', [409] = 'Conflict',
    [410] = 'Gone', [411] = 'Length Required', [412] = 'Precondition Failed',
    [413] = 'Payload Too Large', [414] = 'URI Too Long', [415] = 'Unsupported Media Type',
    [416] = 'Range Not Satisfiable', [417] = 'Expectation Failed', [421] = 'Misdirected Request',
    [422] = 'Unprocessable Entity', [423] = 'Locked', [424] = 'Failed Dependency',
    [426] = 'Upgrade Required', [428] = 'Precondition Required', [429] = 'Too Many Requests',
    [431] = 'Request Header Fields Too Large', [451] = 'Unavailable For Legal Reasons',
    [500] = 'Internal Server Error', [501] = 'Not Implemented', [502] = 'Bad Gateway',
    [503] = 'Service Unavailable', [504] = 'Gateway Timeout', [505] = 'HTTP Version Not Supported',
    [506] = 'Variant Also Negotiates', [507] = 'Insufficient Storage', [508] = 'Loop Detected',
    [510] = 'Not Extended', [511] = 'Network Authentication Required',
}

for code, reason in pairs(reasons) do
    M['STATUS_' .. reason:upper():gsub('[^%w]', '_')] = code
end

local mime = {}
for types, m in pairs({
    ['txt log lua README md cfg conf'] = 'text/plain', js = 'text/javascript', css = 'text/css',
    ['htm html'] = 'text/html', ['diff patch'] = 'text/x-patch', c = 'text/x-csrc',
    h = 'text/x-chdr', ['o ko'] = 'text/x-object', bmp = 'image/bmp', gif = 'image/gif',
    png = 'image/png', ['jpg jpeg'] = 'image/jpeg', svg = 'image/svg+xml',
    json = 'application/json', jsonp = 'application/javascript', zip = 'application/zip',
    pdf = 'application/pdf', ['xml xsl'] = 'application/xml', doc = 'application/msword',
    ppt = 'application/vnd.ms-powerpoint', xls = 'application/vnd.ms-excel',
    odt = 'application/vnd.oasis.opendocument.text',
    odp = 'application/vnd.oasis.opendocument.presentation', pl = 'application/x-perl',
    sh = 'application/x-shellscript', php = 'application/x-php', deb = 'application/x-deb',
    iso = 'application/x-cd-image', tgz = 'application/x-compressed-tar',
    gz = 'application/x-gzip', tbz = 'application/x-bzip-compressed-tar',
    bz2 = 'application/x-bzip', tar = 'application/x-tar', rar = 'application/x-rar-compressed',
    mp3 = 'audio/mpeg', ogg = 'audio/x-vorbis+ogg', wav = 'audio/x-wav', ['mpg mpeg'] = 'video/mpeg',
    avi = 'video/x-msvideo',
}) do
    for s in types:gmatch('%S+') do mime[s] = m end
end

local log_mod
local function log(level, ...)
    if log_mod == nil then
        local ok, m = pcall(require, 'eco.log')
        log_mod = ok and m or false
    end
    if log_mod then log_mod[level](...) end
end

local con = {}
con.__index = con

local HEAD_SENT = 'http head has been sent'

--- Peer address table.
function con:remote_addr()
    return self.peer
end

--- Sets the status (custom reason optional). @return true
function con:set_status(code, reason)
    local resp = self.resp
    if resp.head_sent then error(HEAD_SENT, 2) end
    -- CR, LF or NUL in a reason would let its text end the status line (response splitting)
    if type(reason) == 'string' and reason:find('[%z\r\n]') then
        error('invalid status reason: ' .. string.format('%q', tostring(reason)), 2)
    end
    resp.code = code
    resp.status = reason
    return true
end

-- Lowercased header names seen so far (bounded: handlers may build names at run time).
local lower_names, n_lower = {}, 0

--- Stores a response header under its lowercased name.
function con:add_header(name, value)
    local resp = self.resp
    if resp.head_sent then error(HEAD_SENT, 2) end
    local t = type(value)
    if t ~= 'string' and t ~= 'number' then error('value must be a string or number', 0) end
    local lname = lower_names[name]
    if not lname then
        -- names are RFC 9110 tokens; only checked ones are cached
        if type(name) ~= 'string' or not name:find("^[%w!#$%%&'*+%-.^_`|~]+$") then
            error('invalid http header name: ' .. string.format('%q', tostring(name)), 2)
        end
        lname = name:lower()
        if n_lower < 256 then
            n_lower = n_lower + 1
            lower_names[name] = lname
        end
    end
    -- CR or LF would end the line and start a header (or a response) of the sender's choosing
    if t == 'string' and value:find('[%z\r\n]') then
        error('invalid value of http header ' .. lname .. ': CR, LF or NUL', 2)
    end
    resp.headers[lname] = value
end

-- The head is built in Lua straight into the response buffer (`flush` joins it with the body in
-- one concat): measured cheaper than a native builder, whose table iteration through mlua alone
-- cost more than this whole function. Caches are bounded: handlers may make names at run time.
local status_lines, prefixes, n_cached = {}, {}, 0

local function status_line(minor, code, reason)
    if reason then return 'HTTP/1.' .. minor .. ' ' .. code .. ' ' .. reason .. '\r\n' end
    local key = code * 2 + minor
    local line = status_lines[key]
    if not line then
        reason = reasons[code]
        line = 'HTTP/1.' .. minor .. ' ' .. code .. (reason and ' ' .. reason or '') .. '\r\n'
        if n_cached < 512 then
            n_cached = n_cached + 1
            status_lines[key] = line
        end
    end
    return line
end

-- `content-type` => `Content-Type: `, `etag` => `ETag: `
local function prefix(name)
    local p = prefixes[name]
    if not p then
        p = name == 'etag' and 'ETag: '
            or name:gsub('^%l', string.upper):gsub('%-+%l', string.upper) .. ': '
        if n_cached < 512 then
            n_cached = n_cached + 1
            prefixes[name] = p
        end
    end
    return p
end

local date_sec, date_str = nil, nil
local function http_date()
    local now = os.time()
    if now ~= date_sec then date_sec, date_str = now, native.http_date(now) end
    return date_str
end

-- Status line and headers into `resp.data`: `Server`, `Date` and `Keep-Alive` are ours
-- (`self.tail`); the framing rules of spec C.6 decide `resp.chunked`.
local function build_head(self)
    local resp = self.resp
    -- an integral float (200.0, e.g. from a JSON decoder) is the integer, as '%d' formatted it
    local code = math.tointeger(resp.code)
    if not code then error('invalid code: ' .. tostring(resp.code), 3) end
    local data = resp.data
    local n = #data + 1
    local reason = resp.status
    data[n] = not reason and status_lines[code * 2 + resp.minor_version]
        or status_line(resp.minor_version, code, reason)
    local te, has_cl
    for k, v in next, resp.headers do
        if k == 'transfer-encoding' then
            te = v
        elseif k ~= 'server' and k ~= 'date' and (k ~= 'keep-alive' or not self.own_keepalive) then
            if k == 'content-length' then has_cl = true end
            if type(v) ~= 'string' then v = tostring(v) end
            data[n + 1] = prefixes[k] or prefix(k)
            data[n + 2] = v
            data[n + 3] = '\r\n'
            n = n + 3
        end
    end
    local chunked = false
    if (code >= 100 and code < 200) or code == 204 or code == 304 then
        if code ~= 101 and not has_cl then
            n = n + 1
            data[n] = 'Content-Length: 0\r\n'
        end
    elseif te then
        te = tostring(te)
        data[n + 1] = 'Transfer-Encoding: '
        data[n + 2] = te
        data[n + 3] = '\r\n'
        n = n + 3
        chunked = te:lower() == 'chunked'
    elseif not has_cl then
        n = n + 1
        data[n] = 'Transfer-Encoding: chunked\r\n'
        chunked = true
    end
    data[n + 1] = self.tail
    data[n + 2] = http_date()
    data[n + 3] = '\r\n\r\n'
    resp.chunked = chunked
    resp.head_sent = true
end

--- Buffers the arguments (tostring'd); in chunked mode one call is one chunk. @return true
function con:send(...)
    local resp = self.resp
    if not resp.head_sent then build_head(self) end
    if self.head_req then return true end -- a response to HEAD carries no body (RFC 9110 9.3.2)
    local s
    if select('#', ...) == 1 then
        s = ...
        if type(s) ~= 'string' then s = tostring(s) end
    else
        local parts = { ... }
        for i = 1, select('#', ...) do parts[i] = tostring(parts[i]) end
        s = table.concat(parts)
    end
    if #s == 0 then return true end
    if resp.chunked then
        s = string.format('%x\r\n', #s) .. s .. '\r\n'
    end
    resp.data[#resp.data + 1] = s
    return true
end

-- A response write failed (timeout, peer gone): part of the response may be on the wire, so the
-- connection ends after the handler, and later writes on it fail the same way.
local function write_failed(self, err)
    self.write_err = err
    return nil, err
end

--- Writes the head (built if needed) and the buffered data. @return true | nil, err
function con:flush()
    if self.write_err then return nil, self.write_err end
    local resp = self.resp
    if not resp.head_sent then build_head(self) end
    local data = resp.data
    local n = #data
    if n == 0 then return true end
    local s = n == 1 and data[1] or concat(data, '', 1, n)
    for i = 1, n do data[i] = nil end
    local ok, err = self.sock:send(s, self.options.send_timeout)
    if not ok then return write_failed(self, err) end
    return true
end

--- Error response; the connection closes afterwards. @return true
function con:send_error(code, reason, content)
    if type(code) ~= 'number' then error('invalid code: ' .. tostring(code), 2) end
    self:set_status(code, reason)
    self:add_header('connection', 'close')
    if content then
        self:send(content)
    else
        self:add_header('content-length', 0)
        build_head(self)
    end
    return true
end

--- Redirect (code 300..308). @return true
function con:redirect(code, location)
    assert(type(code) == 'number' and code >= 300 and code <= 308, 'invalid redirect code')
    self:add_header('location', location)
    return self:send_error(code)
end

local function continue100(self)
    if self.expect_continue then
        self.expect_continue = false
        local ok, err = self.sock:send('HTTP/1.1 100 Continue\r\n\r\n', self.options.send_timeout)
        if not ok then return write_failed(self, err) end
    end
    return true
end

-- Up to `want` bytes of a chunked request body through the native decoder (its limits: size and
-- trailer lines of `max_header_line` bytes, `max_head` bytes of trailers, `max_body` bytes of
-- data), decoding the socket reader's buffer in place (peek, then skip what was decoded).
-- @return data | nil, err
local function read_chunked(self, want, timeout)
    local sock, dec = self.sock, self.chunk_dec
    local parts, need = {}, 1
    while want > 0 do
        local buf, err = sock:peek(need, timeout)
        if not buf then return nil, err end
        local pos, data, used, done = 1, nil, nil, false
        repeat
            data, used, done = dec:decode(buf, want, pos)
            if not data then
                -- the connection ends after this response; the decoder keeps failing, and the
                -- rest of the body is drained by the lingering close
                sock:skip(#buf)
                self.linger = true
                if used == 'too large' then
                    self.too_large = true
                    return nil, 'payload too large'
                end
                return nil, 'bad chunk'
            end
            pos = pos + used
            if #data > 0 then
                parts[#parts + 1] = data
                want = want - #data
            end
        until done or used == 0 or want <= 0
        sock:skip(pos - 1)
        if done then
            self.chunked_req = false
            break
        end
        -- the decoder needs more than what is left buffered
        need = used == 0 and #buf - pos + 2 or 1
    end
    return table.concat(parts)
end

--- Up to `count` bytes (default all) of the request body; "" when none remains.
-- @return data | nil, err
function con:read_body(count, timeout)
    timeout = timeout or self.options.body_timeout
    local ok, err = continue100(self)
    if not ok then return nil, err end
    local want = count and math.floor(count) or math.maxinteger
    if want < 1 then return '' end
    if self.chunked_req then return read_chunked(self, want, timeout) end
    local parts = {}
    while want > 0 and self.body_remain > 0 do
        local n = math.min(want, self.body_remain)
        local data, rerr = self.sock:readfull(n, timeout)
        if not data then return nil, rerr end
        self.body_remain = self.body_remain - n
        want = want - n
        parts[#parts + 1] = data
    end
    return table.concat(parts)
end

--- Reads and drops the rest of the request body. @return true | nil, err
function con:discard_body()
    if self.expect_continue then
        -- the client waits for our go-ahead: it never sent the body
        self.body_remain, self.chunked_req = 0, false
        return nil, 'expectation not met'
    end
    while self.body_remain > 0 or self.chunked_req do
        local d, err = self:read_body(65536, self.options.body_timeout)
        if not d then return nil, err end
        if d == '' then break end
    end
    return true
end

--- Streaming multipart/form-data parser (C.7). @return event, data | nil, err
function con:read_formdata(req, timeout)
    local f = req.form
    self.formdata_used = true
    if f.state == 'end' then return 'end' end
    local sock = self.sock
    if not f.state then
        if req.method ~= 'POST' then return nil, 'not allowed method' end
        local ct = req.headers['content-type'] or ''
        local b = ct:lower():find('^%s*multipart/form%-data') and ct:match('[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=%s*"?([^";]+)"?')
        if not b then return nil, 'bad request' end
        b = b:match('^%s*(.-)%s*$')
        local ok, err = continue100(self)
        if not ok then return nil, err end
        local line, lerr = sock:read('l', timeout)
        if not line then return nil, lerr end
        if line ~= '--' .. b then return nil, 'bad request' end
        f.delim = '\r\n--' .. b
        f.state = 'header'
    end
    if f.state == 'header' then
        local line, err = sock:read('l', timeout)
        if not line then return nil, err end
        if line == '' then
            f.state = 'body'
        else
            local name, value = line:match('^([^:%s]+)%s*:%s*(.-)%s*$')
            if not name then return nil, 'invalid http header' end
            return 'header', { name:lower(), value }
        end
    end
    if f.state == 'body' then
        -- the data before the delimiter (consumed with it), or a chunk that cannot hold it
        local data, found = sock:readuntil(f.delim, timeout)
        if not data then return nil, found end
        if found then
            f.state = 'after'
            return 'body', { data, true }
        end
        return 'body', { data }
    end
    -- after a delimiter: "--" ends, CRLF starts the next part
    local two, err = sock:readfull(2, timeout)
    if not two then return nil, err end
    if two == '--' then
        f.state = 'end'
        return 'end'
    elseif two == '\r\n' then
        f.state = 'header'
        return self:read_formdata(req, timeout)
    end
    return nil, 'bad request'
end

--- Sends `count` bytes of a file from `offset`. @return true | nil, err
function con:send_file(path, count, offset)
    local st, err = file.stat(path)
    if not st then return nil, err end
    if st.type ~= 'REG' then return nil, 'forbidden' end
    local ok, ferr = self:flush()
    if not ok then return nil, ferr end
    local size = st.size
    if offset and offset > -1 then size = size - offset else offset = 0 end
    if not count or count > size then count = size end
    if count <= 0 then return true end
    if self.resp.chunked then
        ok, ferr = self.sock:send(string.format('%x\r\n', count), self.options.send_timeout)
        if not ok then return write_failed(self, ferr) end
    end
    ok, ferr = self.sock:sendfile(path, count, offset, self.options.send_timeout)
    if not ok then return write_failed(self, ferr) end
    if self.resp.chunked then
        ok, ferr = self.sock:send('\r\n', self.options.send_timeout)
        if not ok then return write_failed(self, ferr) end
    end
    return true
end

--- Static file serving from options.docroot (C.9). @return true | nil, err
function con:serve_file(req)
    local segs = {}
    for seg in req.path:gmatch('[^/]+') do
        if seg == '..' then
            if #segs == 0 then return self:send_error(403) end
            segs[#segs] = nil
        elseif seg ~= '.' then
            segs[#segs + 1] = seg
        end
    end
    local path = '/' .. table.concat(segs, '/')
    if path == '/' then path = '/' .. self.options.index end
    local phy = self.options.docroot .. path
    local suffix = phy:match('[%w]*$')
    local h = {}
    if self.options.gzip and suffix ~= 'gz' and file.access(phy .. '.gz', 'r') then
        phy = phy .. '.gz'
        h['content-encoding'] = 'gzip'
    end
    if not file.access(phy) then return self:send_error(404) end
    if not file.access(phy, 'r') then return self:send_error(403) end
    local st, err = file.stat(phy)
    if not st then
        return self:send_error(500, nil, string.format('stat "%s" fail: %s', phy, err))
    end
    if st.type ~= 'REG' then return self:send_error(403) end
    if req.method ~= 'GET' and req.method ~= 'HEAD' then return self:send_error(405) end
    for k, v in pairs(h) do self:add_header(k, v) end
    local etag = string.format('%x-%x', st.ino, st.size)
    self:add_header('etag', etag)
    self:add_header('last-modified', native.http_date(st.mtime))
    local ims = req.headers['if-modified-since']
    ims = ims and native.parse_http_date(ims)
    if req.headers['if-none-match'] == etag or (ims and ims >= st.mtime) then
        self:set_status(304)
        self:add_header('content-length', 0)
        return true
    end
    self:add_header('content-type', mime[suffix] or 'application/octet-stream')
    self:add_header('content-length', st.size)
    if req.method == 'HEAD' then return true end
    return self:send_file(phy)
end

-- Lingering close: drains what the client is still sending (at most 2 s, 0.5 s idle, 8 MiB)
-- so that closing with unread data does not reset the response away.
local function linger(self)
    local t_end, n = native.clock() + 2, 0
    while n < 8 * 1024 * 1024 do
        local left = t_end - native.clock()
        if left <= 0 then break end
        local d = self.sock:read(65536, math.min(left, 0.5))
        if not d then break end
        n = n + #d
    end
end

-- Sends a bare error status for a rejected head and closes (400, 408, 413, 414, 431).
local function reject(self, code, why)
    log('err', self.tag .. why)
    self.resp = { code = code, headers = {}, data = {}, major_version = 1, minor_version = 1 }
    self:send_error(code)
    if self:flush() then self.linger = true end
end

-- The `req` table (spec C.4) from what the native parser returns (`path` nil: same as raw_path).
local function new_req(method, raw_path, path, qs, minor, headers, query)
    return {
        method = method, raw_path = raw_path, path = path or raw_path, query_string = qs,
        query = query or {}, major_version = 1, minor_version = minor, headers = headers,
        form = {},
    }
end

-- Reads one request head, `buf` being what the socket's reader holds (not consumed).
-- @return req | nil (close)
-- A head can only complete at a LF, and a line limit can only be crossed after that many more
-- bytes: the reader is asked for bytes until one of these (`peek` with a delimiter), so a
-- client sending a byte at a time costs linear, not quadratic, work.
local function read_head(self, buf)
    local opts, parse, rd = self.options, self.parse, self.rd
    local slack = math.max(opts.max_request_line, opts.max_header_line)
    local max_head = opts.max_head
    local deadline = buf:find('%S') and native.clock() + opts.header_timeout
    while true do
        local method, raw_path, path, qs, minor, headers, query, len = parse(buf)
        if method == nil then
            local why = ({ [414] = 'request line too long', [431] = 'request header too large' })[raw_path]
            return reject(self, raw_path, why or 'malformed http request')
        elseif (method and len or #buf) > max_head then
            return reject(self, 431, 'request header too large')
        elseif method then
            rd:skip(len)
            return new_req(method, raw_path, path, qs, minor, headers, query)
        end
        local d, err
        if deadline then
            local timeout = deadline - native.clock()
            if timeout <= 0 then return reject(self, 408, 'request header timeout') end
            d, err = rd:peek(math.min(#buf + slack + 1, max_head + 1), timeout, '\n')
        else
            -- only blank lines so far: the header timeout starts with the first other byte
            d, err = rd:peek(#buf + 1, self.idle_timeout)
        end
        if not d then
            if err == 'timeout' and deadline then
                return reject(self, 408, 'request header timeout')
            end
            if err ~= 'timeout' and err ~= 'closed' then log('err', self.tag .. err) end
            return nil
        end
        if not deadline and d:find('%S') then
            deadline = native.clock() + opts.header_timeout
        end
        buf = d
    end
end

local function log_access(self, req, code)
    log_mod.debug(string.format('%s"%s %s HTTP/1.%d" %d', self.tag, req.method, req.raw_path,
        req.minor_version, code))
end

local function serve(self, handler)
    local opts, parse = self.options, self.parse
    -- heads are read from the socket's reader itself (no wrapper per call): the loop only comes
    -- back here after a response was sent, which fails once the socket is closed
    local rd = self.rd
    local idle_timeout, max_head = self.idle_timeout, opts.max_head
    local keepalive = opts.http_keepalive >= 1
    while true do
        -- the common case inline: what the reader holds, or one read, is a whole head
        local buf, err = rd:peek(1, idle_timeout)
        if not buf then
            if err ~= 'timeout' and err ~= 'closed' then log('err', self.tag .. err) end
            return
        end
        local req
        local method, raw_path, path, qs, minor, headers, query, len = parse(buf)
        if method and len <= max_head then
            rd:skip(len)
            req = new_req(method, raw_path, path, qs, minor, headers, query)
        else
            req = read_head(self, buf)
            if not req then return end
        end
        local headers, minor = req.headers, req.minor_version
        self.head_req = req.method == 'HEAD'
        local resp = self.resp
        if resp then -- the previous request's, flushed: its data buffer is empty
            local rh = resp.headers
            for k in next, rh do rh[k] = nil end
            resp.code, resp.status, resp.head_sent, resp.chunked = 200, nil, false, false
            resp.minor_version = minor
        else
            resp = { code = 200, headers = {}, data = {}, head_sent = false, chunked = false,
                major_version = 1, minor_version = minor }
            self.resp = resp
        end
        self.body_remain, self.chunked_req = 0, false
        local te, cl = headers['transfer-encoding'], headers['content-length']
        if te then
            if te:lower() ~= 'chunked' or cl then
                return reject(self, 400, 'unsupported transfer-encoding: ' .. te)
            end
            self.chunked_req = true
            self.chunk_dec = native.chunked(opts.max_header_line, opts.max_head, opts.max_body)
        elseif cl then
            if not cl:find('^%d+$') or #cl > 15 then
                return reject(self, 400, 'invalid content-length: ' .. cl)
            end
            self.body_remain = math.tointeger(tonumber(cl))
            if self.body_remain > opts.max_body then
                return reject(self, 413, 'request body too large: ' .. cl)
            end
        end
        local expect = headers.expect
        self.expect_continue = expect and minor >= 1 and expect:lower() == '100-continue'
            and (self.body_remain > 0 or self.chunked_req)

        local ret = handler(self, req)
        if ret == false then return end
        if self.write_err then
            log('err', self.tag .. 'send response: ' .. tostring(self.write_err))
            return
        end
        resp = self.resp
        if self.too_large and not resp.head_sent then
            return reject(self, 413, 'request body too large')
        end
        if resp.code == 101 then return end
        if not resp.head_sent then build_head(self) end
        if resp.chunked and not self.head_req then resp.data[#resp.data + 1] = '0\r\n\r\n' end
        local ok, err = self:flush()
        if not ok then
            log('err', self.tag .. 'flush data: ' .. tostring(err))
            return
        end
        if log_mod and (not log_mod.get_level or log_mod.get_level() >= (log_mod.DEBUG or 7)) then
            log_access(self, req, resp.code)
        end
        local conn = headers.connection
        conn = conn and conn:lower()
        local rconn = resp.headers.connection
        rconn = rconn and tostring(rconn):lower()
        if not keepalive or minor == 0 or conn == 'close' or conn == 'upgrade'
            or rconn == 'close' or self.formdata_used then
            return
        end
        if self.body_remain > 0 or self.chunked_req or self.expect_continue then
            ok, err = self:discard_body()
            if not ok then
                log('err', self.tag .. 'discard body: ' .. tostring(err))
                return
            end
        end
    end
end

-- `ctx`: what `listen` shares with its connections (options, handler, ssl_server, live
-- sockets, the request parser and the head builder made for these options).
local function run_connection(sock, peer, ctx)
    local options, handler, ssl_server, live = ctx.options, ctx.handler, ctx.ssl_server, ctx.live
    live[sock] = true
    -- responses go out whole (one write each): Nagle's algorithm would only delay them
    sock:setoption('tcp_nodelay', true)
    if ssl_server then
        local s, err = ssl_server:handshake(sock)
        if not s then
            log('err', string.format('%s:%s: ssl handshake: %s', peer.ipaddr, peer.port, err))
            return
        end
        live[sock] = nil
        sock = s
        live[sock] = true
    end
    local ka = options.http_keepalive
    local self = setmetatable({
        sock = sock, rd = sock:reader(), peer = peer, options = options,
        tag = string.format('%s:%s: ', peer.ipaddr, peer.port), body_remain = 0,
        parse = ctx.parse, tail = ctx.tail, idle_timeout = ka > 0 and ka or 3,
        own_keepalive = ka > 0,
    }, con)
    log('debug', self.tag .. 'new connection')
    local ok, err = pcall(serve, self, handler)
    if ok and (self.linger or self.body_remain > 0 or self.chunked_req) then
        linger(self)
    end
    live[sock] = nil
    sock:close()
    if not ok then error(err, 0) end
end

-- accept(2) errors that say nothing about the listener: a full descriptor table or memory
-- shortage (listen pauses and retries), or a connection that ended in the queue (skipped).
-- The texts are strerror's, of glibc and of musl (OpenWrt).
local ACCEPT_BACKOFF = {
    ['Too many open files'] = true, ['No file descriptors available'] = true, -- EMFILE
    ['Too many open files in system'] = true,                                 -- ENFILE
    ['No buffer space available'] = true,                                     -- ENOBUFS
    ['Cannot allocate memory'] = true, ['Out of memory'] = true,              -- ENOMEM
}
local ACCEPT_SKIP = {
    ['Software caused connection abort'] = true, ['Connection aborted'] = true, -- ECONNABORTED
}

local defaults = {
    docroot = '.', index = 'index.html', http_keepalive = 30, max_request_line = 8192,
    max_header_line = 8192, max_headers = 100, max_head = 65536, header_timeout = 10, max_body = 64 * 1024 * 1024,
    -- a client that stops reading (or sending a body that must be drained) holds its connection
    -- this long per stalled wait, not for ever
    send_timeout = 30, body_timeout = 30,
}

-- raises at the caller of listen (argerror < check_listen_args < listen < caller)
local function argerror(n, fname, msg)
    error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 4)
end

local function typename(v)
    if v == nil then return 'no value' end
    return type(v)
end

-- the socket options of eco.socket.listen_tcp (spec/socket.md 4.1, 4.6) in the order it applies
-- them, with their types (`ipv6_v6only` only applies to IPv6 listeners)
local SOCKET_OPTIONS = {
    { 'reuseaddr', 'boolean' }, { 'reuseport', 'boolean' }, { 'ipv6_v6only', 'boolean', true },
    { 'mark', 'number' }, { 'device', 'string' }, { 'tcp_nodelay', 'boolean' },
    { 'keepalive', 'boolean' }, { 'tcp_keepidle', 'number' }, { 'tcp_keepcnt', 'number' },
    { 'tcp_keepintvl', 'number' }, { 'tcp_fastopen', 'number' },
}

--- listen's arguments, checked once per server so that errors name `listen` (the port as
-- eco.socket's bind takes it: an integer, a float with an integer value or a decimal string).
local function check_listen_args(port, options, handler)
    if math.type(port) ~= 'integer' then
        local t, msg = type(port), nil
        if t == 'number' then
            if port % 1 ~= 0 then msg = 'number has no integer representation' end
        elseif t == 'string' then
            local d = port:match('^%s*([+-]?%d+)%s*$')
            if not (d and math.tointeger(tonumber(d))) then msg = 'number expected, got string' end
        else
            msg = 'number expected, got ' .. typename(port)
        end
        if msg then argerror(2, 'listen', msg) end
    end
    -- false, like nil, is no options (as before)
    if options and type(options) ~= 'table' then
        argerror(3, 'listen', 'table expected, got ' .. type(options))
    end
    if options then
        for _, o in ipairs(SOCKET_OPTIONS) do
            local key, want, only6 = o[1], o[2], o[3]
            local v = options[key]
            if v ~= nil and type(v) ~= want and (not only6 or options.ipv6) then
                argerror(3, 'listen', want .. ' expected, got ' .. type(v))
            end
        end
    end
    if type(handler) ~= 'function' then
        local mt = getmetatable(handler)
        if not (type(mt) == 'table' and mt.__call) then
            argerror(4, 'listen', 'function expected, got ' .. typename(handler))
        end
    end
end

--- Listens and serves forever; returns only on failure.
-- @return nil, err
function M.listen(ipaddr, port, options, handler)
    check_listen_args(port, options, handler)
    options = options or {}
    for k, v in pairs(defaults) do
        if options[k] == nil then options[k] = v end
    end
    local docroot = options.docroot
    if docroot ~= '/' and docroot:sub(-1) == '/' then options.docroot = docroot:sub(1, -2) end
    local l, err, ssl_server
    if options.cert and options.key then
        ssl_server, err = require('eco.ssl').listen(ipaddr, port, options)
        if not ssl_server then return nil, err end
        options.ssl = true
        l = ssl_server
    else
        l, err = socket.listen_tcp(ipaddr, port, options)
        if not l then return nil, err end
    end
    -- extension: closing options.listener makes listen return nil, "canceled" and closes the
    -- connections still open
    options.listener = l
    local ka = options.http_keepalive
    local ctx = {
        options = options, handler = handler, ssl_server = ssl_server, live = {},
        parse = native.request_parser(options.max_request_line, options.max_header_line,
            options.max_headers),
        -- after the handler's headers: ours, up to the date's value
        tail = 'Server: Lua-eco/' .. eco.VERSION .. '\r\n'
            .. (ka > 0 and 'Keep-Alive: timeout=' .. ka .. '\r\n' or '') .. 'Date: ',
    }
    local live = ctx.live
    log('debug', string.format('listen on: %s %s%s', ipaddr or '*', port, ssl_server and ' ssl' or ''))
    local backoff = 0
    while true do
        local sock, peer
        if ssl_server then
            sock, peer = ssl_server:accept_tcp()
        else
            sock, peer = l:accept()
        end
        if sock then
            if backoff > 0 then
                log('info', 'accept: connections accepted again')
                backoff = 0
            end
            eco.run(run_connection, sock, peer, ctx)
        elseif ACCEPT_SKIP[peer] then
            -- the client gave up while queued: nothing to do with the listener
        elseif ACCEPT_BACKOFF[peer] then
            -- out of descriptors or memory: the listener and the live connections stay; accept
            -- pauses (growing to 0.5 s, as nginx does) so the freed resources let it go on
            if backoff == 0 then log('err', 'accept: ' .. peer .. ', pausing accept') end
            backoff = math.min(backoff > 0 and backoff * 2 or 0.01, 0.5)
            eco.sleep(backoff)
        else
            l:close()
            for s in pairs(live) do s:close() end
            return nil, peer
        end
    end
end

return M
