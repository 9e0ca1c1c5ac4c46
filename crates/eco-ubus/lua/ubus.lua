--- eco.ubus: a native client of OpenWrt's ubusd (docs/ubus.md).
-- The wire codec is native (Rust: blob/blobmsg and message encode/decode, bounded). This file is
-- the connection state machine over an eco.socket unix stream: a dispatcher coroutine per
-- connection reads messages and completes pending requests by (seq, peer), runs method handlers,
-- event listeners and subscriber callbacks in new coroutines; every request parks only its caller.
local eco = require 'eco'
local socket = require 'eco.socket'
local sync = require 'eco.sync'
local time = require 'eco.time'
local native = ...

local encode, decode, body_len = native.encode, native.decode, native.body_len
local PREFIX_LEN = native.PREFIX_LEN

-- message types
local HELLO, STATUS, DATA, LOOKUP, INVOKE = 0, 1, 2, 4, 5
local ADD_OBJECT, REMOVE_OBJECT, SUBSCRIBE, UNSUBSCRIBE = 6, 7, 8, 9
local NOTIFY = 10
local EVENT_OBJECT = 1

local M = {
    STATUS_OK = 0,
    STATUS_INVALID_COMMAND = 1,
    STATUS_INVALID_ARGUMENT = 2,
    STATUS_METHOD_NOT_FOUND = 3,
    STATUS_NOT_FOUND = 4,
    STATUS_NO_DATA = 5,
    STATUS_PERMISSION_DENIED = 6,
    STATUS_TIMEOUT = 7,
    STATUS_NOT_SUPPORTED = 8,
    STATUS_UNKNOWN_ERROR = 9,
    STATUS_CONNECTION_FAILED = 10,
    ARRAY = 1, TABLE = 2, STRING = 3, INT64 = 4, INT32 = 5, INT16 = 6, INT8 = 7, BOOLEAN = 7,
    DOUBLE = 8,
    MAX_MSGLEN = native.MAX_MSGLEN,
    MAX_DEPTH = native.MAX_DEPTH,
    strerror = native.strerror,
}

local strerror = native.strerror

local DEFAULT_PATH = '/var/run/ubus/ubus.sock'
local LEGACY_PATH = '/var/run/ubus.sock'
local CONNECT_TIMEOUT = 3 -- for ubusd's HELLO
local CALL_TIMEOUT = 30
local REQUEST_TIMEOUT = 30 -- requests ubusd answers itself (lookup, add, subscribe, ...)
local RECONNECT_INTERVAL = 3

local function argerror(n, fname, msg)
    error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 3)
end

local function check_str(v, n, fname)
    if type(v) ~= 'string' then argerror(n, fname, 'string expected, got ' .. type(v)) end
end

local function check_params(v, n, fname)
    if v ~= nil and type(v) ~= 'table' then argerror(n, fname, 'table expected, got ' .. type(v)) end
end

local function check_func(v, n, fname)
    if type(v) ~= 'function' then argerror(n, fname, 'function expected, got ' .. type(v)) end
end

-- An id (u32) as the signed 32-bit integer blobmsg INT32 carries.
local function i32(id)
    if id > 0x7fffffff then return id - 0x100000000 end
    return id
end

--- Reads one message: the 12-byte prefix (header + container header), then the rest.
local function read_msg(rd, timeout)
    local prefix, err = rd:readfull(PREFIX_LEN, timeout)
    if not prefix then return nil, err end
    local n, lerr = body_len(prefix)
    if not n then return nil, lerr end
    if n == 0 then return decode(prefix) end
    local body, berr = rd:readfull(n, timeout)
    if not body then return nil, berr end
    return decode(prefix .. body)
end

--- Connects and reads ubusd's HELLO; returns the socket and the client id.
local function open(path)
    local sock = socket.connect_unix(path)
    if not sock then return nil end
    local m = read_msg(sock:reader(), CONNECT_TIMEOUT)
    if not m or m.type ~= HELLO then
        sock:close()
        return nil
    end
    return sock, m.peer
end

local con = {}
local mt = { __index = con }

-- the next 16-bit sequence number not used by a pending request (nil if all 65536 are)
local function next_seq(c)
    local seq, pending = c.seq, c.pending
    for _ = 1, 0x10000 do
        seq = (seq + 1) & 0xffff
        if pending[seq] == nil then
            c.seq = seq
            return seq
        end
    end
end

--- Sends one message; returns true or nil, err ('msg too long' or the socket's error).
local function send(c, typ, seq, peer, fields)
    if not c.up then return nil, strerror(M.STATUS_CONNECTION_FAILED) end
    local msg, err = encode(typ, seq, peer, fields)
    if not msg then return nil, err end
    local ok, serr = c.sock:send(msg)
    if not ok then return nil, serr end
    return true
end

--- Sends a request and parks the caller until its STATUS (or the timeout). Returns the pending
-- record (`status`, `results`: the DATA messages in arrival order) or nil, err.
local function request(c, typ, peer, fields, timeout)
    if not c.up then return nil, strerror(M.STATUS_CONNECTION_FAILED) end
    local seq = next_seq(c)
    if not seq then return nil, strerror(M.STATUS_NO_DATA) end
    local msg, err = encode(typ, seq, peer, fields)
    if not msg then return nil, err end
    local p = { peer = peer, results = {}, cond = sync.cond() }
    local pending = c.pending
    pending[seq] = p
    local ok = c.sock:send(msg)
    if not ok then
        if pending[seq] == p then pending[seq] = nil end
        return nil, strerror(M.STATUS_NO_DATA)
    end
    if not p.done then
        local woken = p.cond:wait(timeout)
        if not woken and not p.done then
            -- aborted locally: a late reply finds no pending entry and is discarded
            if pending[seq] == p then pending[seq] = nil end
            return nil, 'timeout'
        end
    end
    return p
end

-- the status error of a finished request, or nil when it succeeded
local function status_error(p)
    if p.status ~= 0 then return strerror(p.status) end
end

--- Looks up `path` (nil: all objects); returns the DATA messages (possibly none) or nil, err.
local function lookup(c, path, timeout)
    local p, err = request(c, LOOKUP, 0, { objpath = path }, timeout or REQUEST_TIMEOUT)
    if not p then return nil, err end
    if p.status ~= 0 and p.status ~= M.STATUS_NOT_FOUND then return nil, strerror(p.status) end
    return p.results
end

--- Adds an object (path and signature, or an anonymous one); returns its id or nil, err.
local function add_object(c, fields)
    local p, err = request(c, ADD_OBJECT, 0, fields, REQUEST_TIMEOUT)
    if not p then return nil, err end
    local e = status_error(p)
    if e then return nil, e end
    for _, m in ipairs(p.results) do
        if m.objid then return m.objid end
    end
    return nil, strerror(M.STATUS_NO_DATA)
end

local function remove_object(c, id)
    local p, err = request(c, REMOVE_OBJECT, 0, { objid = id }, REQUEST_TIMEOUT)
    if not p then return nil, err end
    local e = status_error(p)
    if e then return nil, e end
    return true
end

--- Registers event listener object `id` for `pattern` with ubusd's event object.
local function register_event(c, id, pattern)
    local p, err = request(c, INVOKE, EVENT_OBJECT, {
        objid = EVENT_OBJECT, method = 'register', data = { object = i32(id), pattern = pattern },
    }, REQUEST_TIMEOUT)
    if not p then return nil, err end
    local e = status_error(p)
    if e then return nil, e end
    return true
end

--- An anonymous object receiving `pattern` events, calling `cb(event, msg)`; returns its
-- record or nil, err.
local function new_listener(c, pattern, cb)
    local id, err = add_object(c, {})
    if not id then return nil, err end
    local l = { kind = 'listener', id = id, pattern = pattern, cb = cb }
    c.byid[id] = l
    local ok, rerr = register_event(c, id, pattern)
    if not ok then
        c.byid[id] = nil
        remove_object(c, id)
        return nil, rerr
    end
    return l
end

local function subscribe_to(c, s, target)
    -- ubusd keeps a duplicate subscription (notifications would arrive twice): an auto
    -- subscriber's lookup and its "ubus.object.add" event may both find the same object
    if s.target == target then return true end
    s.target = target
    local p, err = request(c, SUBSCRIBE, 0, { objid = s.id, target = target }, REQUEST_TIMEOUT)
    local e = p and status_error(p) or err
    if e then
        if s.target == target then s.target = nil end
        return nil, e
    end
    return true
end

--- Attaches auto subscriber `s`: an internal listener on "ubus.object.add", then whatever
-- object has the path now.
local function attach_auto(c, s)
    local l, err = new_listener(c, 'ubus.object.add', function(_, msg)
        if msg.path == s.path and not s.dead and type(msg.id) == 'number' then
            subscribe_to(c, s, msg.id & 0xffffffff)
        end
    end)
    if not l then return nil, err end
    s.watch = l
    local found = lookup(c, s.path)
    if found and found[1] and found[1].objid then subscribe_to(c, s, found[1].objid) end
    return true
end

-- Replies --------------------------------------------------------------------------------------

local function send_status(c, m, status, objid)
    send(c, STATUS, m.seq, m.peer, { status = status, objid = objid })
end

-- a status sent on behalf of the dispatcher, in its own coroutine: a full socket buffer parks
-- that coroutine, never the dispatcher (which must keep reading)
local function status_later(c, m, status, objid)
    eco.run(send_status, c, m, status, objid)
end

-- a handler's return value as a status: integers as they are, other numbers truncated,
-- anything else success
local function rc_status(rc)
    if type(rc) ~= 'number' then return 0 end
    local i = math.tointeger(rc)
    if i then return i end
    if rc ~= rc or rc == math.huge or rc == -math.huge then return M.STATUS_UNKNOWN_ERROR end
    return math.tointeger(rc >= 0 and math.floor(rc) or math.ceil(rc)) or M.STATUS_UNKNOWN_ERROR
end

local function on_invoke(c, m)
    local o = c.byid[m.objid]
    if not o then
        if not m.no_reply then status_later(c, m, M.STATUS_NOT_FOUND, m.objid) end
        return
    end
    local kind = o.kind
    if kind == 'object' then
        if not m.method or not m.data then
            if not m.no_reply then status_later(c, m, M.STATUS_INVALID_ARGUMENT, m.objid) end
            return
        end
        local def = o.methods[m.method]
        if not def then
            if not m.no_reply then status_later(c, m, M.STATUS_METHOD_NOT_FOUND, m.objid) end
            return
        end
        local req = { con = c, seq = m.seq, peer = m.peer, objid = m.objid, no_reply = m.no_reply }
        eco.run(function()
            local rc = def[1](req, m.data, c)
            req.done = true
            if not req.no_reply and c.up and not c.closed then
                send_status(c, req, rc_status(rc), req.objid)
            end
        end)
    elseif kind == 'listener' then
        eco.run(o.cb, m.method, m.data or {}, c)
    elseif kind == 'subscriber' then
        if not o.dead then eco.run(o.cb, m.method, m.data or {}, c) end
        if not m.no_reply then status_later(c, m, 0, m.objid) end
    end
end

local function on_message(c, m)
    local t = m.type
    if t == STATUS or t == DATA then
        local p = c.pending[m.seq]
        if not p or p.peer ~= m.peer then return end -- late, aborted or foreign: dropped
        if t == DATA then
            local r = p.results
            r[#r + 1] = m
        else
            p.status = m.status or M.STATUS_UNKNOWN_ERROR
            p.done = true
            c.pending[m.seq] = nil
            p.cond:signal()
        end
    elseif t == INVOKE then
        on_invoke(c, m)
    elseif t == UNSUBSCRIBE then
        -- the subscribed object vanished
        local s = c.byid[m.objid]
        if s and s.kind == 'subscriber' then
            s.target = nil
            if not s.auto then
                s.dead = true
                c.byid[s.id] = nil
                eco.run(remove_object, c, s.id)
            end
        end
    end
    -- NOTIFY (subscription state) and HELLO are not used
end

-- Connection loss and reconnection --------------------------------------------------------------

local function fail_pending(c)
    local pending = c.pending
    c.pending = {}
    for _, p in pairs(pending) do
        p.status = M.STATUS_TIMEOUT
        p.done = true
        p.cond:signal()
    end
end

--- Re-publishes objects, listeners and subscribers after a reconnection (new ids, same handles).
local function restore(c)
    c.byid = {}
    for _, o in pairs(c.objs) do
        local id = add_object(c, { objpath = o.path, signature = o.sig })
        if id then
            o.id = id
            c.byid[id] = o
        end
    end
    local old = c.listeners
    c.listeners = {}
    for _, l in ipairs(old) do
        local nl = new_listener(c, l.pattern, l.cb)
        if nl then c.listeners[#c.listeners + 1] = nl end
    end
    for _, s in pairs(c.subs) do
        if not s.dead then
            s.target, s.watch = nil, nil
            local id = add_object(c, {})
            if id then
                s.id = id
                c.byid[id] = s
                if s.auto then attach_auto(c, s) end
            end
        end
    end
end

local function dispatcher(c)
    while not c.closed do
        local m, err = read_msg(c.rd)
        if m then
            on_message(c, m)
        elseif not c.closed then
            -- lost (peer closed, or a malformed/oversized message): this connection ends
            c.lost_reason = err
            c.up = false
            c.sock:close()
            fail_pending(c)
            if not c.auto_reconnect then break end
            while not c.closed do
                time.sleep(RECONNECT_INTERVAL)
                if c.closed then break end
                local sock, id = open(c.path)
                if sock then
                    if c.closed then
                        sock:close()
                        break
                    end
                    c.sock, c.rd, c.client_id, c.up, c.lost_reason = sock, sock:reader(), id, true, nil
                    eco.run(restore, c)
                    break
                end
            end
        end
    end
end

-- Module functions ------------------------------------------------------------------------------

--- connect([path[, auto_reconnect]]) -> connection | nil, err
function M.connect(path, auto_reconnect)
    if path ~= nil and type(path) ~= 'string' then
        argerror(1, 'connect', 'string expected, got ' .. type(path))
    end
    if native.geteuid() ~= 0 then return nil, 'Operation not permitted, must be run as root' end
    local sock, id
    if path then
        sock, id = open(path)
    else
        -- the default socket; releases before OpenWrt 21.02 used the legacy one
        path = DEFAULT_PATH
        sock, id = open(path)
        if not sock then
            sock, id = open(LEGACY_PATH)
            if sock then path = LEGACY_PATH end
        end
    end
    if not sock then return nil, 'failed to connect to ubus' end
    local c = setmetatable({
        path = path,
        auto_reconnect = not not auto_reconnect,
        sock = sock,
        rd = sock:reader(),
        client_id = id,
        up = true,
        closed = false,
        seq = 0,
        pending = {},
        objs = {}, -- handle -> object record (the record is the handle)
        subs = {},    -- handle -> subscriber record
        listeners = {},
        byid = {},    -- ubus object id -> object, listener or subscriber record
    }, mt)
    eco.run(dispatcher, c)
    return c
end

--- The reason the connection was lost (nil while it is up).
function con:error()
    return self.lost_reason
end

-- errors of a call's lookup step returned as they are (others become "not found")
local PASS_THROUGH = {
    timeout = true, ['msg too long'] = true,
    [strerror(M.STATUS_TIMEOUT)] = true, [strerror(M.STATUS_CONNECTION_FAILED)] = true,
    [strerror(M.STATUS_NO_DATA)] = true,
}

--- call(object, method[, params[, timeout]]) -> res1[, res2, ...] | nil, err
function con:call(object, method, params, timeout)
    if self.closed then return end
    check_str(object, 1, 'call')
    check_str(method, 2, 'call')
    check_params(params, 3, 'call')
    if timeout == nil then
        timeout = CALL_TIMEOUT
    elseif not timeout or timeout <= 0 then
        timeout = nil
    end
    local deadline = timeout and time.now() + timeout
    local found, err = lookup(self, object, timeout)
    if not found then
        -- a lookup ubusd refused is "not found"; a connection problem is said as it is
        if PASS_THROUGH[err] then return nil, err end
        return nil, 'not found'
    end
    local objid = found[1] and found[1].objid
    if not objid then return nil, 'not found' end
    if deadline then
        timeout = deadline - time.now()
        if timeout <= 0 then return nil, 'timeout' end
    end
    local p, rerr = request(self, INVOKE, objid,
        { objid = objid, method = method, data = params or {} }, timeout)
    if not p then return nil, rerr end
    local e = status_error(p)
    if e then return nil, e end
    local res, n = {}, 0
    for _, m in ipairs(p.results) do
        if m.data then
            n = n + 1
            res[n] = m.data
        end
    end
    if n == 0 then return {} end
    return table.unpack(res, 1, n)
end

--- send(event[, params]) -> true | nil, err
function con:send(event, params)
    if self.closed then return end
    check_str(event, 1, 'send')
    check_params(params, 2, 'send')
    local p, err = request(self, INVOKE, EVENT_OBJECT, {
        objid = EVENT_OBJECT, method = 'send', data = { id = event },
        data_name = 'data', data_table = params or {},
    }, REQUEST_TIMEOUT)
    if not p then return nil, err end
    local e = status_error(p)
    if e then return nil, e end
    return true
end

--- listen(pattern, cb) -> true | nil, err; cb(event, msg, con) runs in a new coroutine.
function con:listen(pattern, cb)
    if self.closed then return end
    check_str(pattern, 1, 'listen')
    check_func(cb, 2, 'listen')
    -- ubusd refuses the empty pattern; ubusd before OpenWrt 24.10.4 read past it
    -- (CVE-2025-62526), so it is refused here without asking
    if pattern == '' then return nil, strerror(M.STATUS_PERMISSION_DENIED) end
    local l, err = new_listener(self, pattern, cb)
    if not l then return nil, err end
    self.listeners[#self.listeners + 1] = l
    return true
end

--- add(object, defs) -> object handle | nil, err
function con:add(object, defs)
    if self.closed then return end
    check_str(object, 1, 'add')
    if type(defs) ~= 'table' then argerror(2, 'add', 'table expected, got ' .. type(defs)) end
    local methods, sig = {}, {}
    for name, def in pairs(defs) do
        assert(type(def) == 'table')
        assert(type(def[1]) == 'function')
        assert(def[2] == nil or type(def[2]) == 'table')
        local policy = {}
        for arg, typ in pairs(def[2] or {}) do
            assert(math.type(typ) == 'integer')
            policy[arg] = typ
        end
        methods[name] = { def[1], policy }
        sig[name] = policy
    end
    local found, lerr = lookup(self, object)
    if not found then return nil, lerr end
    if found[1] then return nil, 'object exists' end
    local id, err = add_object(self, { objpath = object, signature = sig })
    if not id then return nil, err end
    local o = { kind = 'object', id = id, path = object, methods = methods, sig = sig }
    self.objs[o] = o
    self.byid[id] = o
    return o
end

--- reply(req[, msg]) -> true | nil, err: one DATA reply to the request being handled.
function con:reply(req, msg)
    if self.closed then return end
    if type(req) ~= 'table' or req.con ~= self then
        argerror(1, 'reply', 'request expected, got ' .. type(req))
    end
    check_params(msg, 2, 'reply')
    if req.no_reply then return true end
    local ok, err = send(self, DATA, req.seq, req.peer, { objid = req.objid, data = msg or {} })
    if not ok then
        if err == 'msg too long' then return nil, err end
        return nil, strerror(M.STATUS_NO_DATA)
    end
    return true
end

--- notify(obj, method[, params]) -> true | nil, err: fire-and-forget to the subscribers.
function con:notify(obj, method, params)
    if self.closed then return end
    check_str(method, 2, 'notify')
    check_params(params, 3, 'notify')
    local o = self.objs[obj]
    if not o then return nil, 'invalid object' end
    local ok, err = send(self, NOTIFY, 0, o.id,
        { objid = o.id, method = method, data = params or {}, no_reply = true })
    if not ok then
        if err == 'msg too long' then return nil, err end
        return nil, strerror(M.STATUS_NO_DATA)
    end
    return true
end

--- subscribe(path, cb[, auto]) -> subscriber handle | nil, err
function con:subscribe(path, cb, auto)
    if self.closed then return end
    check_str(path, 1, 'subscribe')
    check_func(cb, 2, 'subscribe')
    local target
    if not auto then
        local found, err = lookup(self, path)
        if not found then return nil, err end
        target = found[1] and found[1].objid
        if not target then return nil, 'not found' end
    end
    local id, err = add_object(self, {})
    if not id then return nil, err end
    local s = { kind = 'subscriber', id = id, path = path, cb = cb, auto = not not auto }
    self.byid[id] = s
    local ok, serr
    if auto then
        ok, serr = attach_auto(self, s)
    else
        ok, serr = subscribe_to(self, s, target)
    end
    if not ok then
        self.byid[id] = nil
        remove_object(self, id)
        return nil, serr
    end
    self.subs[s] = s
    return s
end

--- unsubscribe(sub) -> true | nil, err
function con:unsubscribe(sub)
    if self.closed then return end
    local s = self.subs[sub]
    if not s then return nil, 'not found' end
    if s.dead then return nil, 'invalid subscriber' end
    self.subs[s] = nil
    s.dead = true
    if self.byid[s.id] == s then self.byid[s.id] = nil end
    if s.watch then
        self.byid[s.watch.id] = nil
        remove_object(self, s.watch.id)
    end
    remove_object(self, s.id)
    return true
end

--- objects() -> {[id] = path} | nil, err
function con:objects()
    if self.closed then return end
    local found, err = lookup(self, nil)
    if not found then return nil, err end
    local t = {}
    for _, m in ipairs(found) do
        if m.objid and m.objpath then t[m.objid] = m.objpath end
    end
    return t
end

--- signatures(object) -> {[method] = {[arg] = type}} | nil, err
function con:signatures(object)
    if self.closed then return end
    check_str(object, 1, 'signatures')
    local found, err = lookup(self, object)
    if not found then return nil, err end
    local last = found[#found]
    if not last then return nil, strerror(M.STATUS_NOT_FOUND) end
    return last.signature or {}
end

--- close(): idempotent; ubusd drops this client's objects, subscriptions and listeners.
function con:close()
    if self.closed then return end
    self.closed = true
    self.up = false
    self.sock:close()
    self.objs, self.subs, self.listeners, self.byid = {}, {}, {}, {}
end

mt.__close = con.close
mt.__gc = con.close

-- One-shot helpers: a temporary connection per operation.
local function oneshot(op)
    return function(...)
        local c, err = M.connect()
        if not c then return nil, err end
        local res = table.pack(pcall(op, c, ...))
        c:close()
        if not res[1] then error(res[2], 0) end
        return table.unpack(res, 2, res.n)
    end
end

M.call = oneshot(con.call)
M.send = oneshot(con.send)
M.objects = oneshot(con.objects)
M.signatures = oneshot(con.signatures)

return M
