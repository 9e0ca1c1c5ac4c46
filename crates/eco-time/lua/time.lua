--- eco.time: wall clock, sleep, and one-shot timers on timerfd descriptors (spec/time.md).
-- A timer's callback runs in a coroutine of its own: `set` starts a waiter coroutine that blocks
-- reading the timer descriptor through an `eco.reader`; on expiry it marks itself finished and
-- calls `cb(tmr, ...)`.
local eco = require 'eco'
local native = ...

local M = {}

--- Wall-clock seconds since the epoch (float).
M.now = native.now

--- Same as `eco.sleep`.
M.sleep = eco.sleep

local timer = {}
timer.__index = timer

local function waiter(self)
    while true do
        local rd = self.rd
        local data = rd and rd:read(8)
        if data then break end
        -- Canceled (or failed). `cancel` followed at once by `set` keeps this waiter alive.
        if self.closed or not self.rearmed then
            self.waiting = false
            return
        end
        self.rearmed = false
    end
    self.waiting = false
    if self.closed then return end
    self.cb(self, table.unpack(self.args, 1, self.args.n))
end

--- (Re-)arms the timer: relative seconds, or absolute epoch seconds for `time.on` timers.
function timer:set(delay)
    if type(delay) ~= 'number' then error('delay must be a number', 2) end
    if delay < 0 then error('delay must be non-negative', 2) end
    if self.closed then return nil, 'closed' end
    if delay == 0 then delay = 0.001 end -- a zero expiry would disarm the timer
    local ok, err = native.timerfd_settime(self.tfd, self.flags, delay)
    if not ok then return nil, err end
    if self.waiting then
        self.rearmed = true
    else
        self.waiting = true
        self.rearmed = false
        eco.run(waiter, self)
    end
    return true
end

--- Disarms the timer; its waiter exits without calling the callback.
function timer:cancel()
    if self.closed then return end
    native.timerfd_settime(self.tfd, 0, 0)
    self.rearmed = false
    if self.waiting and self.rd and self.rd.cancel then self.rd:cancel() end
end

--- Cancels and releases the timer descriptor. Idempotent.
function timer:close()
    if self.closed then return end
    self:cancel()
    self.closed = true
    native.close(self.tfd)
end

timer.__gc = timer.close
timer.__close = timer.close

local function new(clock, flags, cb, ...)
    local fd, err = native.timerfd_create(clock)
    if not fd then return nil, err end
    local rd, rerr = eco.reader(fd)
    if not rd then
        native.close(fd)
        return nil, rerr
    end
    return setmetatable({
        tfd = fd, rd = rd, cb = cb, args = table.pack(...), flags = flags,
        waiting = false, rearmed = false, closed = false,
    }, timer)
end

--- A monotonic timer, not armed; call `tmr:set(delay)`.
function M.timer(cb, ...)
    assert(type(cb) == 'function')
    return new(native.CLOCK_MONOTONIC, 0, cb, ...)
end

--- `time.timer(cb, ...)` armed for `delay` seconds.
function M.at(delay, cb, ...)
    assert(type(delay) == 'number')
    assert(type(cb) == 'function')
    local tmr, err = new(native.CLOCK_MONOTONIC, 0, cb, ...)
    if not tmr then return nil, err end
    tmr:set(delay)
    return tmr
end

--- A wall-clock timer firing at absolute time `ts` (seconds since the epoch).
function M.on(ts, cb, ...)
    assert(type(ts) == 'number')
    assert(type(cb) == 'function')
    local tmr, err = new(native.CLOCK_REALTIME, native.TFD_TIMER_ABSTIME, cb, ...)
    if not tmr then return nil, err end
    tmr:set(ts)
    return tmr
end

return setmetatable(M, { __index = native })
