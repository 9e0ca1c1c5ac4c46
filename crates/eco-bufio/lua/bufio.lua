--- Legacy buffered reader (compatibility module).
--
-- `bufio.new(fd[, opts])` wraps a descriptor in a reader with a fixed-capacity buffer and the
-- methods `size/length/read/peek/readfull/readuntil/discard/close` that lua-eco shipped before
-- `eco.reader` replaced it. Compared with `eco.reader`: lines must fit in the buffer, `"\r"` is
-- kept, a concurrent read returns `nil, "busy reading"` instead of raising, once end of stream
-- is seen every read fails, and `read('a')`/`readfull` return the partial data on failure.
--
-- Waiting is done with `eco.io(fd):wait(eco.READ, timeout)`; the descriptor is read by a small
-- native helper (set `O_NONBLOCK`, one `read(2)`), handed to this chunk as its argument.
-- The `fill`/`ctx` native hooks of the legacy module are ignored: the fd is always read.
-- @module eco.bufio

local native = ...

local eco = require 'eco'

local M = {}

local methods = {}

local metatable = { __index = methods }

local concat = table.concat

--- Raises a C-style argument error (the number does not count `self`, as in C methods).
local function argerror(i, fname, detail)
    error(string.format("bad argument #%d to '%s' (%s)", i, fname, detail), 3)
end

--- Checks an integer argument the way luaL_checkinteger does.
local function checkinteger(v, i, fname)
    local n = math.tointeger(v)
    if n == nil then
        if type(v) == 'number' then
            argerror(i, fname, 'number has no integer representation')
        end
        argerror(i, fname, 'number expected, got ' .. (v == nil and 'no value' or type(v)))
    end
    return n
end

--- nil/0/negative/non-numeric timeouts mean "no timeout".
local function normalize_timeout(timeout)
    timeout = tonumber(timeout)
    if timeout and timeout > 0 then return timeout end
    return nil
end

--- Rules 1 and 2 of every reading method: closed/EOF first, then busy.
local function unavailable(self)
    if self.eof then return self.eof_error end
    if self.reading then return 'busy reading' end
end

--- Waits until the fd is readable. The `reading` flag marks this object busy exactly while
-- a coroutine is suspended in one of its reading methods.
local function wait_readable(self, timeout)
    self.reading = true
    local ok, res, err = pcall(self.io.wait, self.io, eco.READ, timeout)
    self.reading = false

    -- Not yieldable, or the fd is already waited on through another object: a usage error.
    if not ok then error(res, 0) end

    -- close() wakes the waiter through cancel; a readiness that raced with close loses too.
    if self.eof then return nil, self.eof_error end

    return res, err
end

--- One refill: a single read of at most the free space, appended to the buffer, waiting
-- while the descriptor would block.
-- Returns true, or nil, err[, true] where the third value marks a real end of stream.
local function fill(self, timeout)
    local free = self.cap - #self.buf
    if free < 1 then return nil, 'buffer is full' end

    while true do
        local data, err = native.read(self.fd, free)
        if data then
            if data == '' then
                self.eof = true
                return nil, self.eof_error, true
            end
            self.buf = self.buf .. data
            return true
        end

        if err ~= 'again' then return nil, err end

        local ok, werr = wait_readable(self, timeout)
        if not ok then return nil, werr end
    end
end

--- Removes and returns the first `n` bytes of the buffer.
local function take(self, n)
    local buf = self.buf
    if n >= #buf then
        self.buf = ''
        return buf
    end
    self.buf = buf:sub(n + 1)
    return buf:sub(1, n)
end

--- Buffer capacity in bytes.
-- @treturn integer
function methods:size()
    return self.cap
end

--- Number of unread bytes currently buffered.
-- @treturn integer
function methods:length()
    return #self.buf
end

--- Up to `n` bytes: the buffered ones, or the result of one refill if none is buffered.
local function read_bytes(self, n, timeout)
    if n <= 0 then return '' end

    if #self.buf == 0 then
        local ok, err = fill(self, timeout)
        if not ok then return nil, err end
    end

    return take(self, n)
end

--- The next line; it must fit in the buffer. `keep_nl` keeps the "\n"; "\r" is always kept.
local function read_line(self, keep_nl, timeout)
    local from = 1
    while true do
        local buf = self.buf
        local pos = buf:find('\n', from, true)
        if pos then
            local line = take(self, pos)
            return keep_nl and line or line:sub(1, -2)
        end

        -- A line longer than the buffer can never complete; its bytes stay buffered.
        if #buf >= self.cap then return nil, 'buffer is full' end

        from = #buf + 1

        local ok, err = fill(self, timeout)
        if not ok then return nil, err end
    end
end

--- Everything until end of stream. Data is moved out of the buffer as it arrives, so the
-- result is not limited by the buffer size and is the partial data on failure.
local function read_all(self, timeout)
    local parts = {}

    while true do
        if #self.buf > 0 then
            parts[#parts + 1] = take(self, #self.buf)
        end

        local ok, err, at_eof = fill(self, timeout)
        if not ok then
            if at_eof then return concat(parts) end

            local partial = concat(parts)
            if partial == '' then return nil, err end
            return nil, err, partial
        end
    end
end

--- Reads according to `what`.
-- @param what a byte count (number or numeric string; non-integral counts as 0), or a
--   pattern: optional `*`, then `l` (line without "\n"), `L` (line with "\n") or `a` (all);
--   only the first character after the `*` matters
-- @tparam[opt] number timeout idle timeout in seconds for each wait
-- @treturn string data
-- @return nil, err (`"a"`: nil, err, partial when some data was collected)
function methods:read(what, timeout)
    local err = unavailable(self)
    if err then return nil, err end

    timeout = normalize_timeout(timeout)

    local n = tonumber(what)
    if n then
        return read_bytes(self, math.tointeger(n) or 0, timeout)
    end

    if type(what) ~= 'string' then
        argerror(1, 'read', 'string expected, got ' .. (what == nil and 'no value' or type(what)))
    end

    local p = what:sub(1, 1) == '*' and what:sub(2, 2) or what:sub(1, 1)

    if p == 'l' then
        return read_line(self, false, timeout)
    elseif p == 'L' then
        return read_line(self, true, timeout)
    elseif p == 'a' then
        return read_all(self, timeout)
    end

    argerror(1, 'read', 'invalid pattern')
end

--- The first `n` bytes, without consuming them. `n` must fit in the buffer.
-- @tparam integer n
-- @tparam[opt] number timeout
-- @treturn string
-- @return nil, err
function methods:peek(n, timeout)
    local err = unavailable(self)
    if err then return nil, err end

    n = checkinteger(n, 1, 'peek')
    timeout = normalize_timeout(timeout)

    if n > self.cap or n < 0 then return nil, 'buffer is full' end

    while #self.buf < n do
        local ok, ferr = fill(self, timeout)
        if not ok then return nil, ferr end
    end

    return self.buf:sub(1, n)
end

--- Exactly `n` bytes (`n` may exceed the buffer size).
-- @tparam integer n
-- @tparam[opt] number timeout
-- @treturn string
-- @return nil, err[, partial] with the bytes received so far (they are consumed)
function methods:readfull(n, timeout)
    local err = unavailable(self)
    if err then return nil, err end

    n = checkinteger(n, 1, 'readfull')
    if n < 0 then argerror(1, 'readfull', 'size must be greater than or equal to 0') end
    timeout = normalize_timeout(timeout)

    local parts, need = {}, n

    while true do
        local have = #self.buf
        if have >= need then
            parts[#parts + 1] = take(self, need)
            return concat(parts)
        end

        -- Collect what is there and refill with the whole buffer free.
        if have > 0 then
            parts[#parts + 1] = take(self, have)
            need = need - have
        end

        local ok, ferr = fill(self, timeout)
        if not ok then
            local partial = concat(parts)
            if partial == '' then return nil, ferr end
            return nil, ferr, partial
        end
    end
end

--- Streaming delimiter search.
-- @tparam string pattern non-empty delimiter (plain text)
-- @tparam[opt] number timeout
-- @treturn string the bytes before the delimiter, plus `true` when the delimiter was found
--   (and consumed); a partial chunk alone otherwise
-- @return nil, err
function methods:readuntil(pattern, timeout)
    local err = unavailable(self)
    if err then return nil, err end

    if type(pattern) == 'number' then pattern = tostring(pattern) end
    if type(pattern) ~= 'string' then
        argerror(1, 'readuntil', 'string expected, got ' .. (pattern == nil and 'no value' or type(pattern)))
    end
    if pattern == '' then argerror(1, 'readuntil', 'Cannot be an empty string') end

    timeout = normalize_timeout(timeout)

    local plen = #pattern

    while true do
        local buf = self.buf
        local pos = buf:find(pattern, 1, true)
        if pos then
            local chunk = buf:sub(1, pos - 1)
            self.buf = buf:sub(pos + plen)
            return chunk, true
        end

        -- Return what cannot be part of a delimiter; keep a possible delimiter prefix.
        if #buf > plen then
            return take(self, #buf - plen + 1)
        end

        local ok, ferr = fill(self, timeout)
        if not ok then return nil, ferr end
    end
end

--- Skips exactly `n` bytes of the stream.
-- @tparam integer n
-- @tparam[opt] number timeout
-- @treturn boolean true
-- @return nil, err
function methods:discard(n, timeout)
    local err = unavailable(self)
    if err then return nil, err end

    n = checkinteger(n, 1, 'discard')
    if n < 0 then argerror(1, 'discard', 'size must be greater than or equal to 0') end
    timeout = normalize_timeout(timeout)

    while true do
        local have = #self.buf
        if have >= n then
            take(self, n)
            return true
        end

        self.buf = ''
        n = n - have

        local ok, ferr = fill(self, timeout)
        if not ok then return nil, ferr end
    end
end

--- Marks the reader closed: every later read fails with the eof error, and a coroutine
-- suspended in a reading method is woken (from the ready queue) with that error.
-- The descriptor is not closed. Idempotent.
function methods:close()
    if self.closed then return end
    self.closed = true
    self.eof = true
    if self.reading then self.io:cancel() end
end

--- Creates a buffered reader on `fd`, switching it to non-blocking mode.
-- @tparam integer fd descriptor (never closed by bufio)
-- @tparam[opt] table opts `size` (buffer capacity, default: page size) and `eof_error`
--   (failure string at end of stream, default `"eof"`)
-- @treturn bufio
-- @return nil, err if the descriptor flags cannot be read or changed
function M.new(fd, opts)
    fd = checkinteger(fd, 1, 'new')

    local ok, err = native.set_nonblock(fd)
    if not ok then return nil, err end

    local io
    io, err = eco.io(fd)
    if not io then return nil, err end

    if type(opts) ~= 'table' then opts = {} end

    local cap = type(opts.size) == 'number' and math.tointeger(opts.size)
    if not cap or cap < 1 then cap = native.page_size end

    local eof_error = opts.eof_error
    if type(eof_error) ~= 'string' then eof_error = 'eof' end

    return setmetatable({
        fd = fd,
        io = io,
        cap = cap,
        eof_error = eof_error,
        buf = '',           -- unread bytes, at most `cap` of them
        eof = false,        -- end of stream seen, or closed
        closed = false,
        reading = false,    -- a coroutine is suspended in a reading method
    }, metatable)
end

return M
