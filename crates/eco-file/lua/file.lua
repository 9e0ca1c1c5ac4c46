--- eco.file: files, directories, locks and inotify (spec/file.md).
-- The module table holds `readfile`, `writefile`, `open`, `inotify`, `walk` and `SKIP`; its
-- metatable falls back to the native helpers and constants (`stat`, `dir`, `O_RDONLY`, ...).
-- File objects read and write through one `eco.reader` and one `eco.writer` on their descriptor.
local eco = require 'eco'
local native, private = ...

local M = {}

--- Return value of a `walk` callback: do not descend into this entry.
M.SKIP = 1

local EWOULDBLOCK = private.EWOULDBLOCK
local monotonic = private.monotonic
local strerror = private.strerror
local native_close = native.close

-- `luaL_checklstring` with the public name: a wrapper checks what it passes down, so that the
-- error names the function the caller called (level 3: the caller of the wrapper).
local function check_string(fname, n, v)
    local t = type(v)
    if t ~= 'string' and t ~= 'number' then
        error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fname, t), 3)
    end
end

local READ_PIECE = 1 << 16

--- Reads a whole file (or `fmt` of it) with the standard `io` library. Does not yield.
-- @tparam string path
-- @param[opt='*a'] fmt any format of `io`'s `file:read`
-- @return the value read, or `nil, "<path>: <OS text>"`
function M.readfile(path, fmt)
    check_string('readfile', 1, path)
    local f, err = io.open(path, 'r')
    if not f then return nil, err end
    local data, rerr
    if math.type(fmt) == 'integer' and fmt > READ_PIECE then
        -- io's read(n) allocates n bytes before reading: a count far beyond the file (2^40)
        -- would fail for memory; read what there is, a piece at a time
        local parts, left = {}, fmt
        while left > 0 do
            local d
            d, rerr = f:read(math.min(left, READ_PIECE))
            if not d then break end
            parts[#parts + 1] = d
            left = left - #d
        end
        if #parts > 0 then data = table.concat(parts) end
    else
        data, rerr = f:read(fmt or '*a')
    end
    f:close()
    if data == nil and rerr ~= nil then return nil, rerr end
    return data
end

--- Writes `data` to `path`, truncating it (or appending when `append` is truthy). Does not yield.
-- @return `true`, or `nil, err`
function M.writefile(path, data, append)
    check_string('writefile', 1, path)
    check_string('writefile', 2, data)
    local f, err = io.open(path, append and 'a' or 'w')
    if not f then return nil, err end
    local ok, werr = f:write(data)
    f:close()
    if not ok then return nil, werr end
    return true
end

-- File objects ---------------------------------------------------------------------------------

local file = {}
file.__index = file

local function bad_fd() return nil, 'Bad file descriptor' end

--- `eco.reader:read` on the file (formats `a`, `l`, `L`, integer).
function file:read(format, timeout)
    if self.fd < 0 then return bad_fd() end
    return self.rd:read(format, timeout)
end

--- `eco.reader:readfull` on the file.
function file:readfull(size, timeout)
    if self.fd < 0 then return bad_fd() end
    return self.rd:readfull(size, timeout)
end

--- `eco.reader:readuntil` on the file.
function file:readuntil(needle, timeout)
    if self.fd < 0 then return bad_fd() end
    return self.rd:readuntil(needle, timeout)
end

--- `eco.writer:write` on the file: number of bytes written, or `nil, err`.
function file:write(data, timeout)
    if self.fd < 0 then return bad_fd() end
    return self.wr:write(data, timeout)
end

--- Repositions the descriptor (bytes the reader already buffered are still returned first).
function file:lseek(offset, whence)
    return native.lseek(self.fd, offset, whence)
end

--- `fstat` of the descriptor.
function file:stat()
    return native.fstat(self.fd)
end

--- Acquires or releases an advisory lock (`LOCK_SH`, `LOCK_EX`, `LOCK_UN`), polling with a
-- non-blocking `flock` and sleeps of 1 ms doubling up to 50 ms (+ up to 20 % jitter).
-- The deadline is measured on a monotonic sub-second clock. Sleeping needs a coroutine.
-- @tparam integer op
-- @tparam[opt] number timeout seconds; absent, `0` or negative: retry forever
-- @return `true`, `nil, "timeout"` or `nil, <OS text>`
function file:flock(op, timeout)
    timeout = tonumber(timeout)
    local deadline = timeout and timeout > 0 and monotonic() + timeout or nil
    local delay = 0.001
    while true do
        local ok, errno = native.flock(self.fd, op)
        if ok then return true end
        if errno ~= EWOULDBLOCK then return nil, strerror(errno) end
        local d = delay * (1 + math.random() * 0.2)
        if deadline then
            local left = deadline - monotonic()
            if left <= 0 then return nil, 'timeout' end
            if d > left then d = left end
        end
        eco.sleep(d)
        delay = delay * 2
        if delay > 0.05 then delay = 0.05 end
    end
end

--- Closes `obj.fd` once (sets it to -1), canceling waits on `obj.rd`/`obj.wr` when `cancel`.
local function close_fd(obj, cancel)
    local fd = obj.fd
    if fd < 0 then return end
    obj.fd = -1
    if cancel then
        if obj.rd then obj.rd:cancel() end
        if obj.wr then obj.wr:cancel() end
    end
    native_close(fd)
end

--- Closes the descriptor, cancels waits pending on its reader/writer (they get `"canceled"`)
-- and sets `fd` to `-1`. Idempotent.
function file:close()
    close_fd(self, true)
end

file.__close = file.close

-- An unreachable file cannot have a waiter (its coroutine would reference it), and its
-- reader/writer may already be finalized: just close.
function file.__gc(self)
    close_fd(self, false)
end

local function check_int(v, n, what)
    if math.type(v) ~= 'integer' then
        error(string.format("bad argument #%d to 'open' (%s must be an integer)", n, what), 3)
    end
end

--- Opens `path` (`flags` default `O_RDONLY`, `mode` default `0`) as a non-blocking file object.
-- @return a file object, or `nil, <OS text>`
function M.open(path, flags, mode)
    flags = flags == nil and native.O_RDONLY or flags
    mode = mode == nil and 0 or mode
    check_int(flags, 2, 'flags')
    check_int(mode, 3, 'mode')
    local fd, err = native.open(path, flags, mode)
    if not fd then return nil, err end
    local rd, rerr = eco.reader(fd)
    if not rd then
        native_close(fd)
        return nil, rerr
    end
    local wr, werr = eco.writer(fd)
    if not wr then
        native_close(fd)
        return nil, werr
    end
    return setmetatable({ fd = fd, rd = rd, wr = wr }, file)
end

-- walk -----------------------------------------------------------------------------------------

local dir = native.dir

-- Returns false when the callback asked to stop the whole walk.
local function walk(root, cb)
    for name, info in dir(root) do
        local path = root .. name
        local r = cb(path, name, info)
        if r == false then return false end
        if r ~= M.SKIP and info.type == 'DIR' then
            if walk(path .. '/', cb) == false then return false end
        end
    end
    return true
end

--- Depth-first, pre-order walk of `root` calling `cb(fullpath, name, info)` for every entry.
-- `cb` returning `false` stops the whole walk; `file.SKIP` does not descend into the entry.
function M.walk(root, cb)
    if type(root) ~= 'string' then error('root path must be a string', 2) end
    if root:sub(-1) ~= '/' then root = root .. '/' end
    walk(root, cb)
end

-- inotify --------------------------------------------------------------------------------------

local watcher = {}
watcher.__index = watcher

--- Adds or updates a watch (`mask` default `IN_ALL_EVENTS`); returns the watch descriptor.
function watcher:add(path, mask)
    local wd, err = native.inotify_add_watch(self.fd, path, mask or native.IN_ALL_EVENTS)
    if not wd then return nil, err end
    self.watches[wd] = path
    return wd
end

--- Removes a watch and forgets it.
function watcher:del(wd)
    local ok, err = native.inotify_rm_watch(self.fd, wd)
    if not ok then return nil, err end
    self.watches[wd] = nil
    return true
end

--- Returns the next event `{ name = <string>, mask = <integer> }`; buffered events first.
-- Events of unknown watch descriptors are skipped. Needs a coroutine when it has to read.
-- @return an event, or `nil, "timeout"|"canceled"|<OS text>`
function watcher:wait(timeout)
    local queue = self.queue
    while true do
        local ev = queue[self.head]
        if ev then
            queue[self.head] = nil
            self.head = self.head + 1
            local path = self.watches[ev.wd]
            if path then
                local name = path
                if ev.name then
                    name = path:sub(-1) == '/' and path .. ev.name or path .. '/' .. ev.name
                end
                return { name = name, mask = ev.mask }
            end
        else
            if self.fd < 0 then return bad_fd() end
            self.head, self.tail = 1, 0
            local data, err = self.rd:read(1024, timeout)
            if not data then return nil, err end
            for _, e in ipairs(native.inotify_parse_event(data)) do
                self.tail = self.tail + 1
                queue[self.tail] = e
            end
        end
    end
end

--- Closes the instance and cancels a pending `wait`. Idempotent.
function watcher:close()
    close_fd(self, true)
end

watcher.__close = watcher.close

function watcher.__gc(self)
    close_fd(self, false)
end

--- Creates a non-blocking inotify watcher.
-- @return a watcher, or `nil, err`
function M.inotify()
    local fd, err = native.inotify_init()
    if not fd then return nil, err end
    local rd, rerr = eco.reader(fd)
    if not rd then
        native_close(fd)
        return nil, rerr
    end
    return setmetatable({ fd = fd, rd = rd, watches = {}, queue = {}, head = 1, tail = 0 }, watcher)
end

return setmetatable(M, { __index = native })
