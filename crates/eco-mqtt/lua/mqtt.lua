--- eco.mqtt: an event-driven MQTT 3.1.1 client (spec/mqtt.md).
-- The packet codec is native (Rust); this file holds option validation, the session loop
-- (`run`), acknowledgements, timers (CONNACK, keep-alive, PINGRESP) and the events.
local socket = require 'eco.socket'
local time = require 'eco.time'
local native = ...

local M = {
    QOS0 = 0,
    QOS1 = 1,
    QOS2 = 2,
    SUBACK_FAILURE = 0x80,
    CONNACK_ACCEPTED = 0,
    CONNACK_REFUSED_PROTOCOL_VERSION = 1,
    CONNACK_REFUSED_IDENTIFIER_REJECTED = 2,
    CONNACK_REFUSED_SERVER_UNAVAILABLE = 3,
    CONNACK_REFUSED_BAD_USER_NAME_OR_PASSWORD = 4,
    CONNACK_REFUSED_NOT_AUTHORIZED = 5,
}

-- Packet types.
local CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 2, 3, 4, 5, 6, 7
local SUBACK, UNSUBACK, PINGRESP = 9, 11, 13

--- Default limit on the remaining length of an incoming packet (the `max_packet_size` option,
-- an extension: a larger packet ends the session with `packet too large: ...`).
M.MAX_PACKET_SIZE = 16 * 1024 * 1024

local CONNACK_TIMEOUT = 3
local PINGRESP_TIMEOUT = 3
local PACKET_TIMEOUT = 5

local connack_reasons = {
    [0] = 'connection accepted',
    'connection refused: unacceptable protocol version',
    'connection refused: identifier rejected',
    'connection refused: server unavailable',
    'connection refused: bad user name or password',
    'connection refused: not authorised',
}

local function is_int(v) return math.type(v) == 'integer' end
local function is_qos(v) return v == 0 or v == 1 or v == 2 end

local function check_will(w)
    if type(w) ~= 'table' then return 'expecting will to be a table' end
    if w.message ~= nil then w.payload = w.message end
    if type(w.topic) ~= 'string' then return 'expecting will.topic to be a string' end
    if type(w.payload) ~= 'string' then return 'expecting will.payload to be a string' end
    if w.retain ~= nil and type(w.retain) ~= 'boolean' then
        return 'expecting will.retain to be a boolean'
    end
    if w.qos ~= nil and not is_qos(w.qos) then return 'expecting will.qos to be 0 or 1 or 2' end
end

-- Per known option: a function returning an error message for an invalid (non-nil) value.
local function typed(ty, name)
    local msg = 'expecting ' .. name .. ' to be a ' .. ty
    return function(v) if type(v) ~= ty then return msg end end
end

local function integer(name)
    local msg = 'expecting ' .. name .. ' to be an integer'
    return function(v) if not is_int(v) then return msg end end
end

local validators = {
    ipaddr = typed('string', 'ipaddr'),
    port = integer('port'),
    ssl = typed('boolean', 'ssl'),
    ca = typed('string', 'ca'),
    cert = typed('string', 'cert'),
    key = typed('string', 'key'),
    insecure = typed('boolean', 'insecure'),
    mark = integer('mark'),
    device = typed('string', 'device'),
    id = typed('string', 'id'),
    keepalive = function(v)
        if not is_int(v) then return 'expecting keepalive to be an integer' end
        if v < 5 then return 'keepalive cannot be less than 5' end
    end,
    clean_session = typed('boolean', 'clean_session'),
    username = typed('string', 'username'),
    password = typed('string', 'password'),
    will = check_will,
    max_packet_size = function(v)
        if not is_int(v) or v < 0 then
            return 'expecting max_packet_size to be a non-negative integer'
        end
    end,
}

local function check_opt(name, value, level)
    local check = validators[name]
    if check and value ~= nil then
        local err = check(value)
        if err then error(err, level + 1) end
    end
end

local client = {}
client.__index = client

local function fire(self, event, data)
    local h = self.handlers[event]
    if h then h(data, self) end
end

local function next_mid(self)
    local mid = self.mid + 1
    if mid > 65535 then mid = 1 end
    self.mid = mid
    return mid
end

local function next_seq(self)
    self.tx_seq = self.tx_seq + 1
    return self.tx_seq
end

-- Writes one packet; re-arms the keep-alive timer unless `no_rearm`. Returns true | nil, err.
local function send(self, data, no_rearm)
    local sock = self.sock
    if not sock then return nil, 'network: closed' end
    local ok, err = sock:send(data)
    if not ok then return nil, 'network: ' .. tostring(err) end
    if not no_rearm and self.ping_tmr and self.connected then
        self.ping_tmr:set(self.opts.keepalive)
    end
    return true
end

--- Sets option `name` (validated as in `new`); takes effect at the next `run()`.
function client:set(name, value)
    check_opt(name, value, 2)
    self.opts[name] = value
end

--- Registers event handlers: `on(event, fn)` or `on({ event = fn, ... })`.
function client:on(...)
    local n = select('#', ...)
    if n ~= 1 and n ~= 2 then error('invalid args: expected only one or two arguments', 2) end
    local evs, func = ...
    if n == 2 or type(evs) ~= 'table' then
        if type(evs) ~= 'string' then error('expecting event to be a string', 2) end
        if type(func) ~= 'function' then error('expecting func to be a function', 2) end
        self.handlers[evs] = func
        return
    end
    for event, fn in pairs(evs) do
        if type(event) ~= 'string' then error('expecting event to be a string', 2) end
        if type(fn) ~= 'function' then error('expecting func to be a function', 2) end
    end
    for event, fn in pairs(evs) do self.handlers[event] = fn end
end

--- Publishes `payload` on `topic`. Returns true once written to the socket, or nil, err.
function client:publish(topic, payload, qos, retain)
    assert(type(topic) == 'string', 'expecting topic to be a string')
    assert(type(payload) == 'string', 'expecting payload to be a string')
    assert(retain == nil or type(retain) == 'boolean', 'expecting retain to be a boolean')
    if not self.connected then return nil, 'unconnected' end
    qos = qos or 0
    assert(is_qos(qos), 'expecting qos to be 0 or 1 or 2')
    if qos == 0 then
        return send(self, native.publish(topic, payload, 0, retain or false, false))
    end
    local mid = next_mid(self)
    local pkt = native.publish(topic, payload, qos, retain or false, false, mid)
    local pending = qos == 1 and self.wait_for_puback or self.wait_for_pubrec
    pending[mid] = { pkt = pkt, seq = next_seq(self) }
    local ok, err = send(self, pkt)
    if not ok then
        pending[mid] = nil
        return nil, err
    end
    return true
end

--- Subscribes to one or more topic filters: `subscribe(topic, qos?, topic2, qos2, ...)`.
function client:subscribe(topic, qos, ...)
    if type(topic) ~= 'string' or topic == '' then
        error('expecting topic to be a non-empty string', 2)
    end
    if qos ~= nil and not is_qos(qos) then error('expecting qos to be 0 or 1 or 2', 2) end
    local topics, qoss = { topic }, { qos or 0 }
    local n = select('#', ...)
    if n % 2 ~= 0 then error('expecting topic and qos to appear in pairs', 2) end
    for i = 1, n, 2 do
        local t, q = select(i, ...)
        local idx = #topics + 1
        if type(t) ~= 'string' or t == '' then
            error('expecting topic #' .. idx .. ' to be a non-empty string', 2)
        end
        if q ~= nil and not is_qos(q) then error('expecting qos #' .. idx .. ' to be 0 or 1 or 2', 2) end
        topics[idx], qoss[idx] = t, q or 0
    end
    if not self.connected then return nil, 'unconnected' end
    local mid = next_mid(self)
    local pkt = native.subscribe(mid, topics, qoss)
    self.wait_for_suback[mid] = { pkt = pkt, seq = next_seq(self), topics = topics }
    local ok, err = send(self, pkt)
    if not ok then
        self.wait_for_suback[mid] = nil
        return nil, err
    end
    return true
end

--- Unsubscribes from one or more topic filters.
function client:unsubscribe(...)
    local topics = { ... }
    local n = select('#', ...)
    if n == 0 or type(topics[1]) ~= 'string' or topics[1] == '' then
        error('expecting topic to be a non-empty string', 2)
    end
    for i = 2, n do
        if type(topics[i]) ~= 'string' or topics[i] == '' then
            error('expecting topic #' .. i .. ' to be a non-empty string', 2)
        end
    end
    if not self.connected then return nil, 'unconnected' end
    local mid = next_mid(self)
    local pkt = native.unsubscribe(mid, topics)
    self.wait_for_unsuback[mid] = { pkt = pkt, seq = next_seq(self), topics = topics }
    local ok, err = send(self, pkt)
    if not ok then
        self.wait_for_unsuback[mid] = nil
        return nil, err
    end
    return true
end

--- Sends DISCONNECT (when connected); the broker then closes the connection and `run()` ends.
function client:disconnect()
    if not self.connected then return true end
    return send(self, native.DISCONNECT, true)
end

--- Closes the socket; a `run()` blocked in a read ends with the `error` event `canceled`.
function client:close()
    if self.sock then self.sock:close() end
end

-- Reads one packet: first byte (no timeout), remaining length, body (5 s per wait).
-- Returns first_byte, body | nil, err.
local function read_packet(self, sock)
    local b, err = sock:readfull(1)
    if not b then return nil, tostring(err) end
    local hdr = ''
    local len
    while true do
        local c, rerr = sock:readfull(1, PACKET_TIMEOUT)
        if not c then return nil, 'network: ' .. tostring(rerr) end
        hdr = hdr .. c
        local l, lerr = native.remaining_length(hdr)
        if l == nil then return nil, lerr end
        if l then
            len = l
            break
        end
    end
    local max = self.opts.max_packet_size or M.MAX_PACKET_SIZE
    if len > max then
        return nil, string.format('packet too large: remaining length %d exceeds the limit of %d',
            len, max)
    end
    local body = ''
    if len > 0 then
        body, err = sock:readfull(len, PACKET_TIMEOUT)
        if not body then return nil, 'network: ' .. tostring(err) end
    end
    return b:byte(), body
end

local function resend_pending(self)
    local list = {}
    for _, tbl in ipairs({ self.wait_for_puback, self.wait_for_pubrec }) do
        for _, e in pairs(tbl) do
            e.pkt = string.char(e.pkt:byte(1) | 0x08) .. e.pkt:sub(2)
            list[#list + 1] = e
        end
    end
    for _, e in pairs(self.wait_for_pubcomp) do list[#list + 1] = e end
    table.sort(list, function(a, b) return a.seq < b.seq end)
    for _, e in ipairs(list) do
        local ok, err = send(self, e.pkt)
        if not ok then return nil, err end
    end
    return true
end

-- Packet handlers: return true to continue, or false, reason to end the session. Non-fatal
-- problems are reported through the `error` event directly.
local handlers = {}

handlers[CONNACK] = function(self, pkt)
    if self.connected then
        fire(self, 'error', 'unexpecting CONNACK received')
        return true
    end
    if self.connack_tmr then self.connack_tmr:cancel() end
    local rc = pkt.rc
    local reason = connack_reasons[rc] or ('connection refused: unknown reason code ' .. rc)
    if rc == 0 then
        self.connected = true
        if not self.opts.clean_session and pkt.session_present then
            local ok, err = resend_pending(self)
            if not ok then return false, err end
        end
        self.ping_tmr:set(self.opts.keepalive)
    end
    fire(self, 'conack', { rc = rc, reason = reason, session_present = pkt.session_present })
    return true
end

handlers[PUBLISH] = function(self, pkt)
    local qos, mid = pkt.qos, pkt.mid
    if qos == 1 then
        local ok, err = send(self, native.ack(PUBACK, mid))
        if not ok then return false, err end
    elseif qos == 2 then
        if self.wait_for_pubrel[mid] then return true end
        local ok, err = send(self, native.ack(PUBREC, mid))
        if not ok then return false, err end
        self.wait_for_pubrel[mid] = true
    end
    fire(self, 'publish', {
        topic = pkt.topic, payload = pkt.payload, qos = qos, dup = pkt.dup, retain = pkt.retain,
    })
    return true
end

handlers[PUBREL] = function(self, pkt)
    self.wait_for_pubrel[pkt.mid] = nil
    local ok, err = send(self, native.ack(PUBCOMP, pkt.mid))
    if not ok then return false, err end
    return true
end

handlers[PUBACK] = function(self, pkt)
    self.wait_for_puback[pkt.mid] = nil
    return true
end

handlers[PUBREC] = function(self, pkt)
    local mid = pkt.mid
    if self.wait_for_pubcomp[mid] then return true end
    if not self.wait_for_pubrec[mid] then return true end
    self.wait_for_pubrec[mid] = nil
    local rel = native.ack(PUBREL, mid)
    self.wait_for_pubcomp[mid] = { pkt = rel, seq = next_seq(self) }
    local ok, err = send(self, rel)
    if not ok then return false, err end
    return true
end

handlers[PUBCOMP] = function(self, pkt)
    self.wait_for_pubcomp[pkt.mid] = nil
    return true
end

handlers[SUBACK] = function(self, pkt)
    local pending = self.wait_for_suback[pkt.mid]
    if not pending then return true end
    self.wait_for_suback[pkt.mid] = nil
    local topics, rcs = pending.topics, pkt.rcs
    if #rcs ~= #topics then
        fire(self, 'error', string.format('SUBACK return code count mismatch: expecting %d, got %d',
            #topics, #rcs))
        return true
    end
    local results = {}
    for i, rc in ipairs(rcs) do
        if rc ~= 0 and rc ~= 1 and rc ~= 2 and rc ~= M.SUBACK_FAILURE then
            fire(self, 'error', string.format('SUBACK for topic "%s" with invalid return code %d',
                topics[i], rc))
            return true
        end
        results[i] = { rc = rc, topic = topics[i] }
    end
    fire(self, 'suback', { results = results })
    return true
end

handlers[UNSUBACK] = function(self, pkt)
    local pending = self.wait_for_unsuback[pkt.mid]
    if not pending then return true end
    self.wait_for_unsuback[pkt.mid] = nil
    for _, topic in ipairs(pending.topics) do fire(self, 'unsuback', topic) end
    return true
end

handlers[PINGRESP] = function() return true end

-- Processes one received packet; returns true to continue, or false, reason.
local function handle_packet(self, first, body)
    local typ = first >> 4
    if self.pingresp_tmr then self.pingresp_tmr:cancel() end
    if not self.connected and typ ~= CONNACK then
        return false, 'expecting CONNACK but received ' .. typ
    end
    local h = handlers[typ]
    if not h then
        fire(self, 'error', 'unknown packet type ' .. typ)
        return true
    end
    local pkt, err = native.decode(first, body)
    if not pkt then return false, err end
    return h(self, pkt)
end

local function connect(opts)
    local ipaddr = opts.ipaddr or '127.0.0.1'
    if opts.ssl then
        local ssl = require 'eco.ssl'
        return ssl.connect(ipaddr, opts.port or 8883, opts)
    end
    return socket.connect_tcp(ipaddr, opts.port or 1883, opts)
end

local function session(self)
    local opts = self.opts
    local will = opts.will
    local pkt = native.connect(opts.id, opts.keepalive, opts.clean_session or false,
        will and will.topic, will and will.payload, will and will.qos, will and will.retain,
        opts.username, opts.password)

    self.connack_tmr = time.at(CONNACK_TIMEOUT, function()
        fire(self, 'error', 'wait CONACK timeout')
        self:close()
    end)
    self.ping_tmr = time.timer(function()
        self.pingresp_tmr:set(PINGRESP_TIMEOUT)
        local ok, err = send(self, native.PINGREQ)
        if not ok then
            self.pingresp_tmr:cancel()
            fire(self, 'error', err)
        end
    end)
    self.pingresp_tmr = time.timer(function()
        fire(self, 'error', 'wait PINGRESP timeout')
        self:close()
    end)

    local ok, err = send(self, pkt)
    if not ok then return err end

    local sock = self.sock
    while true do
        local first, body = read_packet(self, sock)
        if not first then return body end
        ok, err = handle_packet(self, first, body)
        if not ok then return err end
    end
end

--- Connects, sends CONNECT and processes packets until the session ends. Everything that
-- goes wrong is reported through the `error` event; returns nothing.
function client:run()
    local opts = self.opts
    local sock, err = connect(opts)
    if not sock then
        fire(self, 'error', 'network: ' .. tostring(err))
        return
    end
    self.sock = sock
    if opts.id == nil then opts.id = string.format('lua-eco-%07x', math.random(1, 0xFFFFFFF)) end
    if opts.keepalive == nil then opts.keepalive = 30 end

    -- A handler that raises ends the session too: clean up, then re-raise its error.
    local ok, reason = pcall(session, self)
    self.connected = false
    for _, name in ipairs({ 'connack_tmr', 'ping_tmr', 'pingresp_tmr' }) do
        local tmr = self[name]
        if tmr then
            tmr:close()
            self[name] = nil
        end
    end
    sock:close()
    if not ok then error(reason, 0) end
    fire(self, 'error', reason)
end

--- Creates a client. `opts` (kept by reference) is validated per spec/mqtt.md §3.
function M.new(opts)
    if opts == nil then opts = {} end
    if type(opts) ~= 'table' then error('expecting opts to be a table', 2) end
    for name in pairs(validators) do check_opt(name, opts[name], 2) end
    return setmetatable({
        opts = opts,
        handlers = {},
        mid = 0,
        tx_seq = 0,
        connected = false,
        wait_for_puback = {},
        wait_for_pubrec = {},
        wait_for_pubrel = {},
        wait_for_pubcomp = {},
        wait_for_suback = {},
        wait_for_unsuback = {},
    }, client)
end

return M
