--- eco.ssl: TLS streams on top of eco.socket (spec/ssl.md).
-- A TLS client object holds the TCP socket object (`sock`), the native session (`ssock`) and a
-- reader/writer pair built on the socket's descriptor with the session's native hooks, so reads
-- and writes park the coroutine exactly like plain socket reads and writes. The handshake is a
-- native step repeated here after waiting for the direction OpenSSL asked for.
local eco = require 'eco'
local sync = require 'eco.sync'
local socket = require 'eco.socket'
local native = ...

local M = {
    OK = native.OK,
    ERROR = native.ERROR,
    WANT_READ = native.WANT_READ,
    WANT_WRITE = native.WANT_WRITE,
    INSECURE = native.INSECURE,
    -- opaque native hooks for eco.reader/eco.writer (spec 6); scripts should not use them
    read = native.read,
    write = native.write,
}

local WANT_READ, WANT_WRITE = native.WANT_READ, native.WANT_WRITE
local HANDSHAKE_TIMEOUT = 15 -- seconds per wait (spec 4)
local SENDFILE_CHUNK = 4096

local function argerror(n, fname, msg)
    error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 3)
end

--- ssl.context([is_server]) -> context (raises "new ssl context fail").
function M.context(is_server)
    return native.context(is_server)
end

--- Loads the `ca`, `cert` and `key` options into `ctx`, in that order; the first failure wins.
local function load_files(ctx, options)
    if options.ca and not ctx:load_ca_cert_file(options.ca) then return nil, 'load ca file fail' end
    if options.cert and not ctx:load_cert_file(options.cert) then return nil, 'load cert file fail' end
    if options.key and not ctx:load_key_file(options.key) then return nil, 'load key file fail' end
    return true
end

--- Drives the handshake of `ssock` over the socket object `sock`: each time OpenSSL needs I/O,
-- waits up to 15 s for that direction. Returns true or nil, err.
local function handshake(sock, ssock)
    while true do
        local r, err = ssock:handshake()
        if r == true then return true end
        if r == nil then return nil, err end
        local ok, werr
        if r == WANT_READ then
            ok, werr = sock.rd:wait(HANDSHAKE_TIMEOUT)
        else
            ok, werr = sock.wr:wait(HANDSHAKE_TIMEOUT)
        end
        if not ok then return nil, werr end
    end
end

-- ssl_client ------------------------------------------------------------------------------------

local client = {}
local client_mt = { __index = client, __name = 'eco.ssl.client' }

--- Wraps an established session. `ctx` is nil for accepted clients (the server owns it).
local function new_client(sock, ctx, ssock, keep_ctx)
    local fd = sock:getfd()
    local ptr = ssock:pointer()
    return setmetatable({
        sock = sock,
        ctx = ctx,
        ssock = ssock, -- owns the hook state: referenced as long as rd/wr are
        rd = assert(eco.reader(fd, native.read, ptr)),
        wr = assert(eco.writer(fd, native.write, ptr)),
        mutex = sync.mutex(),
        keep_ctx = keep_ctx,
        closed = false,
    }, client_mt)
end

--- Encrypts and writes all of `data`; concurrent senders are serialised.
-- @return #data | nil, err
function client:send(data, timeout)
    local t = type(data)
    if t ~= 'string' and t ~= 'number' then argerror(1, 'send', 'string expected, got ' .. t) end
    if self.closed then return nil, 'closed' end
    local m = self.mutex
    m:lock()
    if self.closed then
        m:unlock()
        return nil, 'canceled'
    end
    local n, err = self.wr:write(data, timeout)
    m:unlock()
    if n == nil then return nil, err end
    return n
end
client.write = client.send

--- Sends `len` bytes of the file at `path` from `offset` (4096-byte chunks through `send`).
-- Stops early at end of file and returns the number of bytes actually sent.
function client:sendfile(path, len, offset, timeout)
    local f, err = io.open(path, 'rb')
    if not f then
        -- io.open prefixes the path: keep the strerror text only
        local prefix = tostring(path) .. ': '
        if err and err:sub(1, #prefix) == prefix then err = err:sub(#prefix + 1) end
        return nil, err
    end
    if offset then
        local ok, serr = f:seek('set', offset)
        if not ok then
            f:close()
            return nil, serr
        end
    end
    local sent = 0
    while sent < len do
        local chunk = f:read(math.min(SENDFILE_CHUNK, len - sent))
        if not chunk then break end
        local n, serr = self:send(chunk, timeout)
        if not n then
            f:close()
            return nil, serr
        end
        sent = sent + n
    end
    f:close()
    return sent
end

--- Buffered read of decrypted data (formats as eco.socket / eco.reader).
function client:read(format, timeout)
    if self.closed then return nil, 'closed' end
    return self.rd:read(format, timeout)
end
client.recv = client.read

function client:readfull(size, timeout)
    if self.closed then return nil, 'closed' end
    return self.rd:readfull(size, timeout)
end

function client:readuntil(needle, timeout)
    if self.closed then return nil, 'closed' end
    return self.rd:readuntil(needle, timeout)
end

--- The buffered decrypted bytes, not consumed, once at least `n` are buffered (or a read
-- brought `delim`); see eco.reader's peek (docs/reader.md).
function client:peek(n, timeout, delim)
    if self.closed then return nil, 'closed' end
    return self.rd:peek(n, timeout, delim)
end

--- The client's eco.reader (decrypted data), as eco.socket's `reader()`.
function client:reader()
    return self.rd
end

--- Drops up to `n` buffered bytes; returns how many.
function client:skip(n)
    if self.closed then return 0 end
    return self.rd:skip(n)
end

--- Closes the connection: pending waits get nil, "canceled"; a close_notify is sent if the socket
-- takes it at once (never waited for); the TCP socket is closed and the session freed; the
-- context too unless it was supplied by the caller.
function client:close()
    if self.closed then return end
    self.closed = true
    self.rd:cancel()
    self.wr:cancel()
    self.ssock:shutdown()
    self.sock:close()
    self.ssock:free()
    if not self.keep_ctx and self.ctx then self.ctx:free() end
end

client_mt.__close = function(self) self:close() end
client_mt.__gc = function(self) pcall(client.close, self) end

-- module functions --------------------------------------------------------------------------------

--- ssl.connect(ipaddr, port[, options]) -> ssl_client | nil, err
function M.connect(ipaddr, port, options)
    options = type(options) == 'table' and options or {}
    local sock, err = socket.connect_tcp(ipaddr, port, options)
    if not sock then return nil, err end

    local ctx, keep_ctx = options.ctx, false
    if ctx ~= nil then
        if not native.is_context(ctx) then
            sock:close()
            error("bad argument #3 to 'connect' (ctx: ssl context expected)", 2)
        end
        keep_ctx = true
    else
        ctx = native.context(false)
        local ok, lerr = load_files(ctx, options)
        if not ok then
            sock:close()
            ctx:free()
            return nil, lerr
        end
    end

    local function fail(e, ssock)
        if ssock then ssock:free() end
        sock:close()
        if not keep_ctx then ctx:free() end
        return nil, e
    end

    local ssock, serr = ctx:new(sock:getfd(), options.insecure)
    if not ssock then return fail(serr) end
    if options.server_name ~= nil then ssock:set_server_name(tostring(options.server_name)) end
    local ok, herr = handshake(sock, ssock)
    if not ok then return fail(herr, ssock) end
    return new_client(sock, ctx, ssock, keep_ctx)
end

-- ssl_server ------------------------------------------------------------------------------------

local server = {}
local server_mt = { __index = server, __name = 'eco.ssl.server' }

--- ssl.listen([ipaddr], port[, options]) -> ssl_server | nil, err
function M.listen(ipaddr, port, options)
    -- checked here so that the error names `listen`, not the `bind` it would reach (a
    -- non-string ipaddr is the wildcard address, as for socket.listen_tcp)
    local tp = type(port)
    if tp ~= 'number' and not (tp == 'string' and tonumber(port)) then
        error(string.format("bad argument #2 to 'listen' (number expected, got %s)",
            port == nil and 'no value' or tp), 2)
    end
    options = type(options) == 'table' and options or {}
    local sock, err = socket.listen_tcp(ipaddr, port, options)
    if not sock then return nil, err end
    local ctx = native.context(true)
    local ok, lerr = load_files(ctx, options)
    if not ok then
        ctx:free()
        sock:close()
        return nil, lerr
    end
    return setmetatable({ sock = sock, ctx = ctx, insecure = options.insecure }, server_mt)
end

--- Extension: waits (no timeout unless given) for a TCP client without handshaking it, so that
-- a server can run each handshake in its own coroutine (`server:handshake(sock)`).
-- @return eco.socket object, peer address | nil, err
function server:accept_tcp(timeout)
    if self.closed then return nil, 'canceled' end
    return self.sock:accept(timeout)
end

--- Extension: performs the server handshake on a socket from `accept_tcp` (15 s per wait).
-- On failure the socket is closed. @return ssl_client | nil, err
function server:handshake(sock)
    if self.closed then
        sock:close()
        return nil, 'canceled'
    end
    local ssock, err = self.ctx:new(sock:getfd(), self.insecure)
    if not ssock then
        sock:close()
        return nil, err
    end
    local ok, herr = handshake(sock, ssock)
    if not ok then
        ssock:free()
        sock:close()
        return nil, herr
    end
    return new_client(sock, nil, ssock, true)
end

--- Waits for a client and performs the server handshake.
-- @return ssl_client, peer address | nil, err (a failed handshake costs only that connection)
function server:accept()
    local c, peer = self:accept_tcp()
    if not c then return nil, peer end
    local cli, err = self:handshake(c)
    if not cli then return nil, err end
    return cli, peer
end

--- Closes the listening socket and frees the context (sessions keep it alive while they exist).
function server:close()
    if self.closed then return end
    self.closed = true
    self.sock:close()
    self.ctx:free()
end

server_mt.__close = function(self) self:close() end
server_mt.__gc = function(self) pcall(server.close, self) end

return M
