--- Bounded first-in-first-out channel between eco coroutines.
--
-- `send` blocks while the buffer is full and `recv` blocks while it is empty. After `close`,
-- buffered values can still be drained; then `recv` returns a single `nil` and `send` raises.
--
-- Built on two `eco.sync` condition variables: one that senders wait on for free space,
-- one that receivers wait on for data. Every wake-up re-checks the state in a loop, because
-- another coroutine may have taken the slot or the value before the woken one runs.
-- @module eco.channel

local sync = require 'eco.sync'

local M = {}

local methods = {}

local metatable = { __index = methods }

local CLOSED = 'sending on closed channel'

--- Number of buffered values (0..capacity).
-- @treturn integer
function methods:length()
    return self.tail - self.head
end

--- Sends `value`, waiting for free space while the buffer is full.
--
-- Raises `sending on closed channel` if the channel is closed on entry or while waiting.
-- `nil` cannot be transported: it is accepted (after waiting for room like any value)
-- and dropped.
-- @param value any value
-- @tparam[opt] number timeout seconds, for each wait separately
-- @treturn boolean `true`
-- @return nil, "timeout"
function methods:send(value, timeout)
    if self.closed then error(CLOSED, 0) end

    while self.tail - self.head >= self.capacity do
        local ok, err = self.space:wait(timeout)
        if self.closed then error(CLOSED, 0) end
        -- A slot freed just as the timer fired still counts.
        if not ok and self.tail - self.head >= self.capacity then
            return nil, err
        end
    end

    if value ~= nil then
        self.tail = self.tail + 1
        self.buf[self.tail] = value
        self.data:signal()
    end

    return true
end

--- Receives the oldest buffered value, waiting while the buffer is empty.
--
-- Returns a single `nil` once the channel is closed and drained.
-- @tparam[opt] number timeout seconds, for each wait separately
-- @return the value
-- @return nil, "timeout"
function methods:recv(timeout)
    while self.tail == self.head do
        if self.closed then return nil end

        local ok, err = self.data:wait(timeout)
        -- A value (or the close) that came in just as the timer fired still counts.
        if not ok and self.tail == self.head and not self.closed then
            return nil, err
        end
    end

    local head = self.head + 1
    local value = self.buf[head]
    self.buf[head] = nil
    self.head = head

    self.space:signal()

    return value
end

--- Closes the channel. Idempotent.
--
-- Blocked receivers wake up and drain what is left, then get `nil`; blocked senders wake
-- up and raise. Buffered values stay available to `recv`.
function methods:close()
    if self.closed then return end
    self.closed = true
    self.data:broadcast()
    self.space:broadcast()
end

--- Creates a channel.
-- @tparam[opt] integer capacity buffer size; `nil`, 0 or negative mean 1
-- @treturn channel
function M.new(capacity)
    if capacity ~= nil and math.type(capacity) ~= 'integer' then
        error('capacity must be an integer', 0)
    end

    if capacity == nil or capacity < 1 then capacity = 1 end

    return setmetatable({
        capacity = capacity,
        -- values live in buf[head + 1 .. tail]; both indices only grow
        buf = {},
        head = 0,
        tail = 0,
        closed = false,
        space = assert(sync.cond()),  -- senders wait here for a free slot
        data = assert(sync.cond()),   -- receivers wait here for a value
    }, metatable)
end

return M
