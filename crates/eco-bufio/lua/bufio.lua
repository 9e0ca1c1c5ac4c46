--- Legacy buffered reader (compatibility module).
--
-- `bufio.new(fd[, opts])` wraps a descriptor in a reader with a fixed-capacity buffer and the
-- methods `size/length/read/peek/readfull/readuntil/discard/close` that lua-eco shipped before
-- `eco.reader` replaced it. Compared with `eco.reader`: lines must fit in the buffer, `"\r"` is
-- kept, a concurrent read returns `nil, "busy reading"` instead of raising, once end of stream
-- is seen every read fails, and `read('a')`/`readfull` return the partial data on failure.
--
-- The bytes live in one place: an `eco.reader` of the descriptor (docs/reader.md). bufio
-- reads with `reader:peek` (one successful read per refill, so its timeout is armed for each
-- wait, as bufio's is) and consumes with `reader:skip`; unread bytes stay in the reader.
--
-- State above the reader (no bytes of its own):
--   * `view`/`off`: the string the last `peek` returned, and how many of its bytes were
--     consumed (skipped) since. The reader's buffered bytes are exactly `view:sub(off + 1)`:
--     nothing else reads this reader, so the view stays valid until the next `peek`.
--   * `n`: how many of those bytes are in bufio's fixed-capacity buffer (`n <= cap`). The
--     reader reads as much as its own buffer takes; the bytes beyond `n` count as not read
--     yet, and a refill moves `min(free, extra)` of them into the buffer without a syscall,
--     exactly what one `read(2)` of the free space would have returned. So `length()`,
--     `read(n)`, the line limit and "buffer is full" behave as with a private buffer.
--
-- The `fill`/`ctx` native hooks of the legacy module are ignored: the fd is always read.
-- @module eco.bufio

local native = ...

local eco = require 'eco'

local M = {}

local methods = {}

local metatable = { __index = methods }

local concat = table.concat
local find, sub = string.find, string.sub
local tointeger = math.tointeger
local pcall, error, type = pcall, error, type

--- Raises a C-style argument error (the number does not count `self`, as in C methods).
local function argerror(i, fname, detail)
    error(string.format("bad argument #%d to '%s' (%s)", i, fname, detail), 3)
end

--- Checks an integer argument the way luaL_checkinteger does.
local function checkinteger(v, i, fname)
    local n = tointeger(v)
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
    if timeout == nil then return nil end
    timeout = tonumber(timeout)
    if timeout and timeout > 0 then return timeout end
    return nil
end

--- Rules 1 and 2 of every reading method: closed/EOF first, then busy.
local function unavailable(self)
    if self.eof then return self.eof_error end
    if self.reading then return 'busy reading' end
end

--- One refill: moves up to the free space into the buffer, from the bytes the reader holds
-- beyond it or else from one successful read (`peek` of one byte more than it holds).
-- The `reading` flag marks this object busy exactly while a coroutine can be suspended in it.
-- Returns true, or nil, err[, true] where the third value marks a real end of stream.
local function fill(self, timeout)
    local n = self.n
    local free = self.cap - n
    if free < 1 then return nil, 'buffer is full' end

    local avail = #self.view - self.off
    if avail == n then
        self.reading = true
        local ok, data, err = pcall(self.rd.peek, self.rd, n + 1, timeout)
        self.reading = false

        -- Not yieldable, or the fd is already waited on through another object: a usage error.
        if not ok then error(data, 0) end

        -- close() wakes the waiter through cancel; a read that raced with close loses too.
        if self.eof then return nil, self.eof_error end

        if not data then
            if err == 'eof' or err == 'closed' then
                self.eof = true
                return nil, self.eof_error, true
            end
            return nil, err
        end

        self.view, self.off = data, 0
        avail = #data
    end

    local extra = avail - n
    self.n = n + (extra < free and extra or free)
    return true
end

--- Removes and returns the first `k` (<= n) bytes of the buffer.
local function take(self, k)
    local off = self.off
    local s = sub(self.view, off + 1, off + k)
    self.rd:skip(k)
    self.n = self.n - k
    off = off + k
    if off == #self.view then
        self.view, self.off = '', 0
    else
        self.off = off
    end
    return s
end

--- Drops the first `k` (<= n) bytes of the buffer.
local function drop(self, k)
    self.rd:skip(k)
    self.n = self.n - k
    local off = self.off + k
    if off == #self.view then
        self.view, self.off = '', 0
    else
        self.off = off
    end
end

--- Buffer capacity in bytes.
-- @treturn integer
function methods:size()
    return self.cap
end

--- Number of unread bytes currently buffered.
-- @treturn integer
function methods:length()
    return self.n
end

--- Up to `n` bytes: the buffered ones, or the result of one refill if none is buffered.
local function read_bytes(self, n, timeout)
    if n <= 0 then return '' end

    if self.n == 0 then
        local ok, err = fill(self, timeout)
        if not ok then return nil, err end
    end

    local have = self.n
    return take(self, n < have and n or have)
end

--- The next line; it must fit in the buffer. `keep_nl` keeps the "\n"; "\r" is always kept.
local function read_line(self, keep_nl, timeout)
    local searched = 0  -- bytes after `off` known to hold no "\n"
    while true do
        local view, off = self.view, self.off
        local pos = find(view, '\n', off + searched + 1, true)
        if pos then
            local len = pos - off
            local n = self.n
            if len > n then
                -- refills from the bytes the reader holds beyond the buffer cost nothing
                local avail = #view - off
                n = avail < self.cap and avail or self.cap
                self.n = n
            end
            if len <= n then
                local line = take(self, len)
                if keep_nl then return line end
                return sub(line, 1, -2)
            end
        else
            searched = #view - off
            local cap, n = self.cap, self.n
            if n < searched then
                n = searched < cap and searched or cap
                self.n = n
            end
        end

        -- A line longer than the buffer can never complete; its bytes stay buffered.
        if self.n >= self.cap then return nil, 'buffer is full' end

        local ok, err = fill(self, timeout)
        if not ok then return nil, err end
    end
end

--- Everything until end of stream. Data is moved out of the buffer as it arrives, so the
-- result is not limited by the buffer size and is the partial data on failure.
local function read_all(self, timeout)
    local parts = {}

    while true do
        if self.n > 0 then
            parts[#parts + 1] = take(self, self.n)
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
    if self.eof then return nil, self.eof_error end
    if self.reading then return nil, 'busy reading' end

    timeout = normalize_timeout(timeout)

    -- the common patterns first
    if what == 'l' then
        return read_line(self, false, timeout)
    elseif what == 'L' then
        return read_line(self, true, timeout)
    end

    local n = tonumber(what)
    if n then
        return read_bytes(self, tointeger(n) or 0, timeout)
    end

    if type(what) ~= 'string' then
        argerror(1, 'read', 'string expected, got ' .. (what == nil and 'no value' or type(what)))
    end

    local p = sub(what, 1, 1) == '*' and sub(what, 2, 2) or sub(what, 1, 1)

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

    while self.n < n do
        local ok, ferr = fill(self, timeout)
        if not ok then return nil, ferr end
    end

    local off = self.off
    return sub(self.view, off + 1, off + n)
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
        local have = self.n
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
        -- a match within the buffer (the first match in the view is the first one there)
        local off, n = self.off, self.n
        local pos = find(self.view, pattern, off + 1, true)
        if pos and pos + plen - 1 <= off + n then
            local chunk = take(self, pos - off - 1)
            drop(self, plen)
            return chunk, true
        end

        -- Return what cannot be part of a delimiter; keep a possible delimiter prefix.
        if n > plen then
            return take(self, n - plen + 1)
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
        local have = self.n
        if have >= n then
            drop(self, n)
            return true
        end

        drop(self, have)
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
    if self.reading then
        -- (the reader ends its call also when the cancel lands during its fairness yield)
        self.rd:cancel()
    end
end

--- Creates a buffered reader on `fd`, switching it to non-blocking mode.
-- @tparam integer fd descriptor (never closed by bufio)
-- @tparam[opt] table opts `size` (buffer capacity, default: page size) and `eof_error`
--   (failure string at end of stream, default `"eof"`)
-- @treturn bufio
-- @return nil, err if the descriptor flags cannot be read or changed
function M.new(fd, opts)
    fd = checkinteger(fd, 1, 'new')

    -- (eco.reader switches the descriptor to non-blocking mode, or fails with the OS text)
    local rd, err = eco.reader(fd)
    if not rd then return nil, err end

    if type(opts) ~= 'table' then opts = {} end

    local cap = type(opts.size) == 'number' and tointeger(opts.size)
    if not cap or cap < 1 then cap = native.page_size end

    local eof_error = opts.eof_error
    if type(eof_error) ~= 'string' then eof_error = 'eof' end

    return setmetatable({
        rd = rd,
        cap = cap,
        eof_error = eof_error,
        view = '',          -- the last peek's result (the reader's bytes from `off` on)
        off = 0,
        n = 0,              -- bytes in the fixed-capacity buffer
        eof = false,        -- end of stream seen, or closed
        closed = false,
        reading = false,    -- a coroutine may be suspended in a reading method
    }, metatable)
end

return M
