--- eco.socket: coroutine-aware BSD sockets (spec/socket.md).
-- A socket object wraps a native low-level socket (`sock`, whose calls never block) with the
-- core's reader (`rd`), writer (`wr`) and a mutex serialising writers. Blocking happens only in
-- the core: `rd`/`wr` park the calling coroutine until the descriptor is ready.
local eco = require 'eco'
local sync = require 'eco.sync'
local native = ...

local M = {}

local AF_INET, AF_INET6, AF_UNIX = native.AF_INET, native.AF_INET6, native.AF_UNIX
local SOCK_STREAM, SOCK_DGRAM = native.SOCK_STREAM, native.SOCK_DGRAM
local CONNECT_TIMEOUT = 5
local EBADF = 'Bad file descriptor'

local function argerror(n, fname, msg, level)
    error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), (level or 2) + 1)
end

-- the type word of an argument error (a missing argument reads as nil)
local function typename(v)
    if v == nil then return 'no value' end
    return type(v)
end

--- Turns the native return convention into Lua's: `nil, msg, true` raises `msg`.
-- Success values are passed through unchanged (same count).
local function check(level, ...)
    local a, b, c = ...
    if a == nil then
        if c == true then error(b, level + 1) end
        if b == nil then return nil end
        return nil, b
    end
    return ...
end

local methods = {}
local mt = { __index = methods, __name = 'eco.socket' }

local function wrap(sock, accepted)
    local fd = sock:getfd()
    local obj = setmetatable({
        sock = sock,
        rd = assert(eco.reader(fd)),
        wr = assert(eco.writer(fd)),
        mutex = sync.mutex(),
        accepted = accepted or nil,
    }, mt)
    return obj
end

--- The descriptor, or -1 after close.
function methods:getfd()
    return self.sock:getfd()
end

function methods:closed()
    return self.sock:closed()
end

--- Closes the socket; coroutines blocked on it get `nil, "canceled"` (queued, not resumed here).
-- Unix sockets not produced by `accept` unlink their bound path.
function methods:close()
    local sock = self.sock
    if self.dead then return end
    self.dead = true -- checked on hot paths instead of a native call
    local path
    if not self.accepted and sock:family() == AF_UNIX then
        local name = sock:getsockname()
        if name and name.path and #name.path > 0 and name.path:byte(1) ~= 0 then path = name.path end
    end
    self.rd:cancel()
    self.wr:cancel()
    sock:close()
    if path then os.remove(path) end
end

methods.__close = methods.close
mt.__close = function(self) self:close() end

function methods:bind(...)
    local ok, err = check(2, self.sock:bind(...))
    if not ok then return nil, err end
    return self
end

function methods:listen(backlog)
    local ok, err = self.sock:listen(backlog)
    if not ok then return nil, err end
    return self
end

--- Waits for a connection; returns the new socket and the peer's address table.
function methods:accept(timeout)
    local sock = self.sock
    while true do
        local c, addr = sock:accept()
        if c then return wrap(c, true), addr end
        if c == nil then return nil, addr end
        local ok, err = self.rd:wait(timeout)
        if not ok then return nil, err end
    end
end

--- Connects; waits up to 5 s for a connection in progress.
function methods:connect(...)
    local r, err = check(2, self.sock:connect(...))
    if r == nil then return nil, err end
    if r == false then
        local ok, werr = self.wr:wait(CONNECT_TIMEOUT)
        if not ok then return nil, werr end
        local soerr = self.sock:getoption('error')
        if soerr then return nil, soerr end
    end
    return self
end

function methods:setoption(name, value)
    return check(2, self.sock:setoption(name, value))
end

function methods:getoption(name)
    return check(2, self.sock:getoption(name))
end

function methods:getsockname()
    return self.sock:getsockname()
end

function methods:getpeername()
    return self.sock:getpeername()
end

--- Sends the whole string (writers are serialised by the socket's mutex).
function methods:send(data, timeout)
    local t = type(data)
    if t ~= 'string' and t ~= 'number' then argerror(1, 'send', 'string expected, got ' .. t) end
    if self.dead then return nil, EBADF end
    local m = self.mutex
    if not m:trylock() then
        m:lock()
        if self.dead then
            m:unlock()
            return nil, 'canceled'
        end
    end
    -- the lock is released however the write ends: it raises when it cannot wait (called
    -- where no yield is allowed), and a raise must not wedge every later writer
    local ok, n, err = pcall(self.wr.write, self.wr, data, timeout)
    m:unlock()
    if not ok then error(n, 0) end
    if n == nil then return nil, err end
    return n
end

--- Alias of `send` whose argument errors name `write`.
local send = methods.send
function methods:write(data, timeout)
    local t = type(data)
    if t ~= 'string' and t ~= 'number' then argerror(1, 'write', 'string expected, got ' .. t) end
    return send(self, data, timeout)
end

--- Sends one datagram (or all of `data` on a stream) to the given address.
function methods:sendto(data, ...)
    local t = type(data)
    if t ~= 'string' and t ~= 'number' then argerror(1, 'sendto', 'string expected, got ' .. t) end
    data = tostring(data)
    local sock = self.sock
    local sent, total = 0, #data
    local m = self.mutex
    m:lock()
    while true do
        local n, err, raise = sock:sendto(sent == 0 and data or data:sub(sent + 1), ...)
        if n == nil then
            -- release the lock before raising (spec 5.6: an argument error must not wedge writers)
            m:unlock()
            if raise == true then error(err, 2) end
            return nil, err
        end
        if n then
            sent = sent + n
            if sent >= total then break end
        else
            local ok, werr = self.wr:wait(CONNECT_TIMEOUT)
            if not ok then
                m:unlock()
                return nil, werr
            end
        end
    end
    m:unlock()
    return total
end

--- Zero-copy file transmission; `len` defaults to the rest of the file after `offset`.
function methods:sendfile(path, len, offset, timeout)
    if type(path) ~= 'string' then argerror(1, 'sendfile', 'string expected, got ' .. type(path)) end
    offset = offset or 0
    if math.type(offset) ~= 'integer' then argerror(3, 'sendfile', 'number expected, got ' .. type(offset)) end
    if offset < 0 then argerror(3, 'sendfile', 'offset must be greater than or equal to 0') end
    if len == nil then
        local size, err = native.file_size(path)
        if not size then return nil, err end
        len = size - offset
        if len <= 0 then return 0 end
    elseif math.type(len) ~= 'integer' then
        argerror(2, 'sendfile', 'number expected, got ' .. type(len))
    elseif len <= 0 then
        argerror(2, 'sendfile', 'len must be great than 0')
    end
    if self.dead then return nil, EBADF end
    local m = self.mutex
    m:lock()
    local ok, n, err = pcall(self.wr.sendfile, self.wr, path, offset, len, timeout)
    m:unlock()
    if not ok then error(n, 0) end
    if n == nil then return nil, err end
    return n
end

--- Buffered read: integer n, 'l', 'L', 'a' (spec/eco.md 10.1).
function methods:read(format, timeout)
    if self.dead then return nil, EBADF end
    return self.rd:read(format, timeout)
end

-- the formats `read` takes besides a positive integer (the reader's own check, eco-sched io.rs)
local READ_FORMATS = { l = true, L = true, a = true, ['*l'] = true, ['*L'] = true, ['*a'] = true }

--- Alias of `read` whose argument errors name `recv` (the format is checked as the reader does).
function methods:recv(format, timeout)
    if self.dead then return nil, EBADF end
    if not READ_FORMATS[format] and not (math.type(format) == 'integer' and format > 0) then
        argerror(1, 'recv', math.type(format) == 'integer' and 'expected size must be greater than 0'
            or 'invalid format')
    end
    return self.rd:read(format, timeout)
end

function methods:readfull(size, timeout)
    if self.dead then return nil, EBADF end
    return self.rd:readfull(size, timeout)
end

--- Alias of `readfull` whose argument errors name `recvfull` (the size is checked as the
-- reader's luaL_checkinteger-like check does).
function methods:recvfull(size, timeout)
    if self.dead then return nil, EBADF end
    if math.type(size) ~= 'integer' or size <= 0 then
        local n = math.tointeger(size)
        if n == nil and type(size) == 'string' then n = math.tointeger(tonumber(size)) end
        if n then
            if n <= 0 then argerror(1, 'recvfull', 'size must be greater than 0') end
        elseif tonumber(size) then
            argerror(1, 'recvfull', 'number has no integer representation')
        else
            argerror(1, 'recvfull', 'number expected, got ' .. typename(size))
        end
    end
    return self.rd:readfull(size, timeout)
end

function methods:readuntil(needle, timeout)
    if self.dead then return nil, EBADF end
    return self.rd:readuntil(needle, timeout)
end

--- The buffered bytes, not consumed, once at least `n` are buffered (or a read brought
-- `delim`); see eco.reader's peek (docs/reader.md).
function methods:peek(n, timeout, delim)
    if self.dead then return nil, EBADF end
    return self.rd:peek(n, timeout, delim)
end

--- The socket's eco.reader, for parse loops over peek/skip that want no wrapper per call. It
-- reads this socket's descriptor: do not use it once the socket is closed.
function methods:reader()
    return self.rd
end

--- Drops up to `n` buffered bytes; returns how many.
function methods:skip(n)
    if self.dead then return 0 end
    return self.rd:skip(n)
end

--- One datagram (or one read on a stream) of at most n bytes, with the sender's address.
function methods:recvfrom(n, timeout)
    local sock = self.sock
    while true do
        local data, addr = check(2, sock:recvfrom(n))
        if data then return data, addr end
        if data == nil then return nil, addr end
        local ok, err = self.rd:wait(timeout)
        if not ok then return nil, err end
    end
end

-- constructors ----------------------------------------------------------------------------------

-- Socket options accepted by constructors, in the order they are applied (spec 4.1).
local CREATE_OPTIONS = {
    { 'reuseaddr', 'reuseaddr', 'boolean' },
    { 'reuseport', 'reuseport', 'boolean' },
    { 'ipv6_v6only', 'ipv6_v6only', 'boolean', AF_INET6 },
    { 'mark', 'mark', 'number' },
    { 'device', 'bindtodevice', 'string' },
}

--- Sets the options of `list` found in the table `options` (argument #n of the public function
-- `fname`); a value of the wrong type raises at `level` (counted from this function).
local function apply_options(sock, family, options, list, n, fname, level)
    if type(options) ~= 'table' then return true end
    for _, o in ipairs(list) do
        local key, name, want, only = o[1], o[2], o[3], o[4]
        local v = options[key]
        if v ~= nil and (not only or only == family) then
            if type(v) ~= want then
                argerror(n, fname, want .. ' expected, got ' .. type(v), level)
            end
            local ok, err = check(level, sock:setoption(name, v))
            if not ok then
                return nil, string.format("failed to set socket option '%s': %s", key, err)
            end
        end
    end
    return true
end

local function check_int(v, n, fname, level)
    if math.type(v) ~= 'integer' then
        argerror(n, fname, 'number expected, got ' .. (v == nil and 'no value' or type(v)), level + 1)
    end
end

--- A socket object with the constructor options (argument #n of the public function `fname`)
-- applied; an option of the wrong type raises at `level` (counted from this function).
local function new_socket(family, typ, protocol, options, n, fname, level)
    local sock, err = native.socket(family, typ, protocol)
    if not sock then return nil, err end
    local ok, oerr = apply_options(sock, family, options, CREATE_OPTIONS, n, fname, level + 1)
    if not ok then
        sock:close()
        return nil, oerr
    end
    return wrap(sock)
end

--- socket(family, type[, protocol[, options]]) -> socket | nil, err
function M.socket(family, typ, protocol, options)
    check_int(family, 1, 'socket', 2)
    check_int(typ, 2, 'socket', 2)
    if protocol ~= nil then check_int(protocol, 3, 'socket', 2) end
    local s, err = new_socket(family, typ, protocol or 0, options, 4, 'socket', 3) -- not a tail call: error levels count this frame
    if not s then return nil, err end
    return s
end

--- socketpair(family, type[, protocol[, options]]) -> sock1, sock2 | nil, err
function M.socketpair(family, typ, protocol, options)
    check_int(family, 1, 'socketpair', 2)
    check_int(typ, 2, 'socketpair', 2)
    local a, b = native.socketpair(family, typ, protocol or 0)
    if not a then return nil, b end
    for _, s in ipairs({ a, b }) do
        local ok, err = apply_options(s, family, options, CREATE_OPTIONS, 4, 'socketpair', 3)
        if not ok then
            a:close()
            b:close()
            return nil, err
        end
    end
    return wrap(a), wrap(b)
end

function M.tcp() return M.socket(AF_INET, SOCK_STREAM) end
function M.tcp6() return M.socket(AF_INET6, SOCK_STREAM) end
function M.udp() return M.socket(AF_INET, SOCK_DGRAM) end
function M.udp6() return M.socket(AF_INET6, SOCK_DGRAM) end
function M.icmp() return M.socket(AF_INET, SOCK_DGRAM, native.IPPROTO_ICMP) end
function M.icmp6() return M.socket(AF_INET6, SOCK_DGRAM, native.IPPROTO_ICMPV6) end
function M.unix() return M.socket(AF_UNIX, SOCK_STREAM) end
function M.unix_dgram() return M.socket(AF_UNIX, SOCK_DGRAM) end
function M.netlink(protocol)
    if protocol ~= nil then check_int(protocol, 1, 'netlink', 2) end
    return M.socket(native.AF_NETLINK, native.SOCK_RAW, protocol)
end

-- TUN/TAP ---------------------------------------------------------------------------------------

local tun = {}
local tun_mt = { __index = tun, __name = 'eco.tun' }
for _, name in ipairs({ 'getfd', 'closed', 'send', 'write', 'read', 'recv', 'readfull', 'recvfull', 'readuntil', 'peek', 'skip', 'reader' }) do
    tun[name] = methods[name]
end
function tun:close()
    if self.dead then return end
    self.dead = true
    self.rd:cancel()
    self.wr:cancel()
    self.sock:close()
end
tun_mt.__close = tun.close
for _, name in ipairs({ 'bind', 'listen', 'accept', 'connect', 'setoption', 'getoption', 'getsockname',
        'getpeername', 'sendto', 'recvfrom', 'sendfile' }) do
    tun[name] = function() error(name .. ': not supported on a TUN/TAP device', 2) end
end

--- open_tun([dev[, opts]]) -> obj, ifname | nil, err
function M.open_tun(dev, opts)
    if dev ~= nil then
        if type(dev) ~= 'string' then argerror(1, 'open_tun', 'string expected, got ' .. type(dev)) end
        if #dev >= 16 then error('device name too long', 2) end
    end
    opts = type(opts) == 'table' and opts or {}
    local flags = 0
    if opts.tun then
        flags = native.IFF_TUN
    elseif opts.tap then
        flags = native.IFF_TAP
    end
    if opts.no_pi then flags = flags | native.IFF_NO_PI end
    if flags == 0 then flags = native.IFF_TUN | native.IFF_NO_PI end
    local sock, ifname = native.open_tun(dev, flags)
    if not sock then return nil, ifname end
    local fd = sock:getfd()
    return setmetatable({ sock = sock, rd = assert(eco.reader(fd)), wr = assert(eco.writer(fd)),
        mutex = sync.mutex() }, tun_mt), ifname
end

-- helpers ---------------------------------------------------------------------------------------

local TCP_OPTIONS = {
    { 'tcp_nodelay', 'tcp_nodelay', 'boolean' },
    { 'keepalive', 'keepalive', 'boolean' },
    { 'tcp_keepidle', 'tcp_keepidle', 'number' },
    { 'tcp_keepcnt', 'tcp_keepcnt', 'number' },
    { 'tcp_keepintvl', 'tcp_keepintvl', 'number' },
    { 'tcp_fastopen', 'tcp_fastopen', 'number' },
}

--- Family of an IP literal; raises at the caller of the public helper otherwise.
local function ip_family(ipaddr)
    if type(ipaddr) == 'string' then
        if native.is_ipv4_address(ipaddr) then return AF_INET end
        if native.is_ipv6_address(ipaddr) then return AF_INET6 end
    end
    error('not a valid IP address', 4)
end

--- Returns `s` when the step succeeded, else closes `s` and returns `nil, err`.
local function or_close(s, ok, err)
    if not ok then
        s:close()
        return nil, err
    end
    return s
end

--- Raises `bad argument #n to 'fname'` (at `level`, counted from the caller) unless `port` is
-- what bind takes as a port: an integer, a float with an integer value or a decimal string
-- (`arg_int` in src/lib.rs).
local function check_port(port, n, fname, level)
    if math.type(port) == 'integer' then return end
    local t, msg = type(port), nil
    if t == 'number' then
        if port % 1 == 0 then return end
        msg = 'number has no integer representation'
    elseif t == 'string' then
        local d = port:match('^%s*([+-]?%d+)%s*$')
        if d and math.tointeger(tonumber(d)) then return end
        msg = 'number expected, got string'
    else
        msg = 'number expected, got ' .. typename(port)
    end
    argerror(n, fname, msg, level + 1)
end

--- A socket of `typ` bound to ipaddr:port (`options.ipv6` picks IPv6), plus `extra` options;
-- errors name `fname`, called by the public helper (the caller's caller).
local function bound_ip(typ, ipaddr, port, options, extra, fname)
    check_port(port, 2, fname, 3)
    options = type(options) == 'table' and options or {}
    local family = options.ipv6 and AF_INET6 or AF_INET
    local s, err = new_socket(family, typ, 0, options, 3, fname, 4)
    if not s then return nil, err end
    if extra then
        local ok, oerr = apply_options(s.sock, family, options, extra, 3, fname, 4)
        if not ok then return or_close(s, nil, oerr) end
    end
    return or_close(s, check(3, s.sock:bind(ipaddr, port)))
end

--- A socket of `typ` connected to an IP literal; errors name `fname`, as for bound_ip.
local function connected_ip(typ, ipaddr, port, options, fname)
    local s, err = new_socket(ip_family(ipaddr), typ, 0, options, 3, fname, 4)
    if not s then return nil, err end
    return or_close(s, s:connect(ipaddr, port))
end

--- listen_tcp([ipaddr], port[, options]) -> listening socket | nil, err
function M.listen_tcp(ipaddr, port, options)
    local s, err = bound_ip(SOCK_STREAM, ipaddr, port, options, TCP_OPTIONS, 'listen_tcp')
    if not s then return nil, err end
    return or_close(s, s:listen(type(options) == 'table' and options.backlog or nil))
end

--- connect_tcp(ipaddr, port[, options]) -> connected socket | nil, err
function M.connect_tcp(ipaddr, port, options)
    local s, err = connected_ip(SOCK_STREAM, ipaddr, port, options, 'connect_tcp') -- not a tail call: error levels count this frame
    if not s then return nil, err end
    return s
end

--- listen_udp([ipaddr], port[, options]) -> bound socket | nil, err
function M.listen_udp(ipaddr, port, options)
    local s, err = bound_ip(SOCK_DGRAM, ipaddr, port, options, nil, 'listen_udp') -- not a tail call: error levels count this frame
    if not s then return nil, err end
    return s
end

--- connect_udp(ipaddr, port[, options]) -> connected socket | nil, err
function M.connect_udp(ipaddr, port, options)
    local s, err = connected_ip(SOCK_DGRAM, ipaddr, port, options, 'connect_udp') -- not a tail call: error levels count this frame
    if not s then return nil, err end
    return s
end

--- listen_unix(path[, options]) -> listening socket | nil, err
function M.listen_unix(path, options)
    if type(path) ~= 'string' then argerror(1, 'listen_unix', 'string expected, got ' .. typename(path)) end
    local s, err = M.unix()
    if not s then return nil, err end
    local b, berr = check(2, s.sock:bind(path))
    if not b then
        -- not `s:close()`: the path belongs to someone else, it must not be unlinked
        s.sock:close()
        return nil, berr
    end
    return or_close(s, s:listen(type(options) == 'table' and options.backlog or nil))
end

--- connect_unix(server_path[, local_path]) -> connected socket | nil, err
function M.connect_unix(server_path, local_path)
    if type(server_path) ~= 'string' then
        argerror(1, 'connect_unix', 'string expected, got ' .. typename(server_path))
    end
    -- a false local_path is no local path, as before
    if local_path and type(local_path) ~= 'string' then
        argerror(2, 'connect_unix', 'string expected, got ' .. type(local_path))
    end
    local s, err = M.unix()
    if not s then return nil, err end
    if local_path then
        local b, berr = s:bind(local_path)
        if not b then return or_close(s, nil, berr) end
    end
    return or_close(s, s:connect(server_path))
end

local function str_arg(s, fname)
    local t = type(s)
    if t == 'number' then return tostring(s) end
    if t ~= 'string' then argerror(1, fname, 'string expected, got ' .. t, 2) end
    return s
end

function M.is_ipv4_address(s) return native.is_ipv4_address(str_arg(s, 'is_ipv4_address')) end
function M.is_ipv6_address(s) return native.is_ipv6_address(str_arg(s, 'is_ipv6_address')) end

local function family_check(family)
    if family ~= AF_INET and family ~= AF_INET6 then error('family must be AF_INET or AF_INET6', 3) end
end

function M.inet_pton(family, s)
    family_check(family)
    return native.inet_pton(family, str_arg(s, 'inet_pton'))
end

function M.inet_ntop(family, bin)
    family_check(family)
    if type(bin) ~= 'string' then argerror(2, 'inet_ntop', 'string expected, got ' .. type(bin)) end
    if #bin < (family == AF_INET and 4 or 16) then error('address too short', 2) end
    return native.inet_ntop(family, bin)
end

return setmetatable(M, { __index = native })
