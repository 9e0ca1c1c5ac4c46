--- eco.termios (docs/termios.md): the module table holds the natives and constants built in Rust
-- (`tcgetattr`, `tcsetattr`, `tcflush`, `tcflow`, `outq`, `inq`, `openpty`, the `attr` methods);
-- this file adds `tcdrain`, which waits for the output queue to empty without blocking the loop.
local eco = require 'eco'
local M, private = ...

local drain, delay, monotonic = private.tcdrain, private.delay, private.monotonic

--- Waits until everything written to the terminal `fd` has been sent. The output queue is polled
-- (`TIOCOUTQ`) with `eco.sleep` between looks (the time the queued bytes take on the line, 1 ms to
-- 50 ms); once it is empty, tcdrain(3) waits for the last character to leave the transmitter
-- (at most a few character times). On a pseudo-terminal the queue is always empty.
-- Sleeping needs a coroutine; an empty queue does not sleep.
-- @tparam integer fd
-- @tparam[opt] number timeout seconds, a deadline for the whole wait; absent, `0`, negative or
-- not a number: no timeout
-- @return `true`, `nil, "timeout"` or `nil, <OS text>`
function M.tcdrain(fd, timeout)
    local ifd = math.tointeger(fd)
    if not ifd then
        local detail = type(fd) == 'number' and 'number has no integer representation'
            or ('number expected, got ' .. (fd == nil and 'no value' or type(fd)))
        error("bad argument #1 to 'tcdrain' (" .. detail .. ')', 2)
    end
    fd = ifd
    timeout = tonumber(timeout)
    local deadline = timeout and timeout > 0 and monotonic() + timeout or nil
    while true do
        -- (looked up at each call: tests give it a queue that drains, a pty never has one)
        local n, err = M.outq(fd)
        if not n then return nil, err end
        if n == 0 then return drain(fd) end
        local d = delay(fd, n)
        if deadline then
            local left = deadline - monotonic()
            if left <= 0 then return nil, 'timeout' end
            if d > left then d = left end
        end
        eco.sleep(d)
    end
end

return M
