--- eco.nl: netlink sockets over eco.socket (docs/netlink.md). Message building and parsing
-- (`nlmsg`, `nlmsg_ker`, `attr_get_*`, `parse_attr_nested`) and the constants are native and
-- reached through this table's `__index`.
--
-- A socket is `{ sock = <eco.socket object> }`: receives park the calling coroutine on the eco
-- loop (`recvfrom` waits through the socket's eco.reader), sends are serialised by the socket's
-- write mutex.
local socket = require 'eco.socket'
local native = ...

local M = {}

local NLMSG_ERROR, NLMSG_DONE = native.NLMSG_ERROR, native.NLMSG_DONE
local nlmsg_ker, strerror = native.nlmsg_ker, native.strerror

-- Receive size when the caller gives none: larger than the reference's 8192 (allowed by the
-- contract) so that big dumps take fewer datagrams; the kernel sizes dump datagrams after the
-- largest receive buffer it has seen, capped at 32 KiB.
local DEFAULT_RECV = 32768

local methods = {}
local mt = { __index = methods, __name = 'eco.nl.socket' }

--- `bind([groups[, pid]])`: legacy group bitmask, port id (0: the kernel assigns one).
function methods:bind(groups, pid)
    local ok, err = self.sock:bind(groups or 0, pid or 0)
    if not ok then return nil, err end
    return true
end

function methods:add_membership(group)
    return self.sock:setoption('netlink_add_membership', group)
end

function methods:drop_membership(group)
    return self.sock:setoption('netlink_drop_membership', group)
end

--- Sends a built message (or a string) to the kernel; bytes sent or `nil, err`.
function methods:send(msg)
    if type(msg) ~= 'string' then msg = msg:binary() end
    return self.sock:send(msg)
end

--- One datagram (at most `n` bytes) as an `nlmsg_ker`. A datagram longer than `n` is an error
-- (`message truncated`), never delivered cut.
function methods:recv(n, timeout)
    local size = n or DEFAULT_RECV
    if math.type(size) ~= 'integer' or size <= 0 then
        error("bad argument #1 to 'recv' (invalid size)", 2)
    end
    -- one byte more than asked: a longer datagram shows as such (MSG_TRUNC)
    local data, err = self.sock:recvfrom(size + 1, timeout)
    if not data then return nil, err end
    if #data > size then return nil, 'message truncated' end
    return nlmsg_ker(data)
end

local function mapped(errno, on_error)
    if on_error then return on_error(errno) end
    return 'netlink error: ' .. strerror(errno)
end

function methods:request_ack(msg, on_error)
    local ok, err = self:send(msg)
    if not ok then return nil, err end
    local rx, rerr = self:recv()
    if not rx then return nil, rerr end
    local hdr = rx:next()
    if not hdr then return nil, 'no ack' end
    if hdr.type ~= NLMSG_ERROR then return nil, 'invalid msg received' end
    local e, perr = rx:parse_error()
    if not e then return nil, perr end
    if e < 0 then return nil, mapped(-e, on_error) end
    if e > 0 then return nil, 'invalid ack' end
    return true
end

-- The receive loop of request_dump / recv_messages; `dump` applies the DONE rule.
local function loop(self, on_msg, on_error, n, timeout, dump)
    while true do
        local rx, err = self:recv(n, timeout)
        if not rx then return nil, err end
        local hdr = rx:next()
        while hdr do
            local t = hdr.type
            if t == NLMSG_ERROR then
                local e = rx:parse_error()
                if e and e < 0 then return nil, mapped(-e, on_error) end
            elseif dump and t == NLMSG_DONE then
                return true
            elseif on_msg then
                local r, cerr = on_msg(rx, hdr)
                if r == true then return true end
                if r == false then return nil, cerr end
            end
            hdr = rx:next()
        end
    end
end

function methods:request_dump(msg, on_msg, on_error)
    local ok, err = self:send(msg)
    if not ok then return nil, err end
    return loop(self, on_msg, on_error, nil, nil, true)
end

function methods:recv_messages(on_msg, on_error, n, timeout)
    return loop(self, on_msg, on_error, n, timeout, false)
end

--- Closes the socket (idempotent); waiting coroutines get `nil, "canceled"`.
function methods:close()
    self.sock:close()
end

mt.__close = methods.close

--- A non-blocking netlink socket of `protocol`, or `nil, strerror`.
function M.open(protocol)
    if math.type(protocol) ~= 'integer' then
        error("bad argument #1 to 'open' (number expected, got " .. type(protocol) .. ')', 2)
    end
    local sock, err = socket.netlink(protocol)
    if not sock then return nil, err end
    return setmetatable({ sock = sock }, mt)
end

return setmetatable(M, { __index = native })
