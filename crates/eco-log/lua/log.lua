--- eco.log: leveled logging to stdout, syslog or a rolling file (spec/log.md).
-- Records are written synchronously; nothing here yields. The state (level, flags, ident, path,
-- rotation) is shared by all code of the Lua state that loaded the module.
local native = ...

local M = {
    EMERG = 0, ALERT = 1, CRIT = 2, ERR = 3, WARNING = 4, NOTICE = 5, INFO = 6, DEBUG = 7,
    FLAG_LF = 1, FLAG_FILE = 2, FLAG_PATH = 4,
}

local LABELS = { [0] = 'emerg', 'alert', 'crit ', 'err  ', 'warn ', 'notice', 'info ', 'debug' }
local LOG_DAEMON = 3 << 3
local MAX_MSG = 8191
local MAX_IDENT = 31
local DEFAULT_ROLL_COUNT = 10

local level = M.INFO
local flags = M.FLAG_LF
local roll_size = 102400
local roll_count = DEFAULT_ROLL_COUNT
local ident = native.process_name()
local path -- file backend when set
local to_stdout -- default backend: stdout on a terminal, else syslog

local function pick_default_backend()
    path = nil
    to_stdout = native.isatty(1)
end
pick_default_backend()

local type, select, tostring, tonumber = type, select, tostring, tonumber
local concat, format = table.concat, string.format
local date = os.date

-- Argument checks in the style of the C auxiliary library (`bad argument #n to 'f' (...)`).
-- `lvl` 1 is the caller of argerr.
local function argerr(n, fname, detail, lvl)
    error(format("bad argument #%d to '%s' (%s)", n, fname, detail), (lvl or 1) + 2)
end

local function check_integer(v, n, fname)
    local t = type(v)
    local num = (t == 'number' or t == 'string') and tonumber(v) or nil
    if num == nil then
        argerr(n, fname, 'number expected, got ' .. (v == nil and 'no value' or t), 2)
    end
    local i = math.tointeger(num)
    if i == nil then argerr(n, fname, 'number has no integer representation', 2) end
    return i
end

local function check_string(v, n, fname)
    local t = type(v)
    if t == 'number' then return tostring(v) end
    if t ~= 'string' then
        argerr(n, fname, 'string expected, got ' .. (v == nil and 'no value' or t), 2)
    end
    return v
end

-- Joins the arguments with single spaces (the separator goes by argument position, so a skipped
-- first argument still yields a leading space); tables, functions, userdata, threads are skipped.
local function join(...)
    local n = select('#', ...)
    local parts, k = {}, 0
    for i = 1, n do
        local v = select(i, ...)
        local t = type(v)
        local s
        if t == 'string' then
            s = v
        elseif t == 'number' or t == 'boolean' or t == 'nil' then
            s = tostring(v)
        end
        if s then
            if i > 1 then
                k = k + 1
                parts[k] = ' '
            end
            k = k + 1
            parts[k] = s
        end
    end
    local msg = concat(parts, '', 1, k)
    if #msg > MAX_MSG then msg = msg:sub(1, MAX_MSG) end
    return msg
end

local function location()
    -- 1 = location, 2 = emit, 3 = the public log function, 4 = its caller.
    local info = debug.getinfo(4, 'Sl')
    if not info then return '' end
    local name = info.short_src
    if flags & M.FLAG_PATH == 0 then name = name:match('([^/]*)$') end
    return format('(%s:%3d) ', name, info.currentline)
end

local function write_record(prio, msg)
    if path then
        local rec = format('%s %s %s[%d]: %s%s', date('%Y/%m/%d %H:%M:%S'), LABELS[prio], ident,
            native.getpid(), msg, flags & M.FLAG_LF ~= 0 and '\n' or '')
        if roll_size > 0 and native.size(path) >= roll_size then
            native.rotate(path, roll_count, date('%Y%m%d-%H%M%S'))
        end
        native.append(path, rec)
    elseif to_stdout then
        io.stdout:write(date('%Y/%m/%d %H:%M:%S'), ' ', LABELS[prio], ' ', ident, '[',
            native.getpid(), ']: ', msg, flags & M.FLAG_LF ~= 0 and '\n' or '')
    else
        native.syslog_send(format('<%d>%s %s[%d]: %s', LOG_DAEMON | prio,
            date('%b %e %H:%M:%S'), ident, native.getpid(), msg))
    end
end

-- Must be called (not tail-called) directly by a public log function, for `location`.
local function emit(prio, ...)
    prio = prio & 7
    if prio > level then return end
    local msg = join(...)
    local prefix = flags & (M.FLAG_FILE | M.FLAG_PATH) ~= 0 and location() or ''
    local start = 1
    while true do
        local nl = msg:find('\n', start, true)
        local piece = msg:sub(start, nl and nl - 1 or -1)
        if piece:sub(-1) == '\r' then piece = piece:sub(1, -2) end
        write_record(prio, prefix .. piece)
        if not nl then break end
        start = nl + 1
    end
end

--- Logs at `priority` (integer; only its low 3 bits are used).
function M.log(priority, ...)
    priority = check_integer(priority, 1, 'log')
    emit(priority, ...)
end

--- Logs at DEBUG.
function M.debug(...)
    emit(M.DEBUG, ...)
end

--- Logs at INFO.
function M.info(...)
    emit(M.INFO, ...)
end

--- Logs at ERR.
function M.err(...)
    emit(M.ERR, ...)
end

--- Records with a priority above `lvl` are dropped.
function M.set_level(lvl)
    level = check_integer(lvl, 1, 'set_level')
end

--- The current level (extension: lets callers skip formatting records that would be dropped).
function M.get_level()
    return level
end

--- Bitmask of `FLAG_LF`, `FLAG_FILE`, `FLAG_PATH`.
function M.set_flags(f)
    flags = check_integer(f, 1, 'set_flags')
end

--- Sets the identity used in records and for syslog (truncated to 31 bytes).
function M.set_ident(id)
    id = check_string(id, 1, 'set_ident')
    ident = id:sub(1, MAX_IDENT)
    if not path and not to_stdout then native.syslog_close() end
end

local function valid_path(p)
    if #p >= 4096 or p:sub(-1) == '/' then return false end
    if p:find('..', 1, true) or p:find('./', 1, true) or p:find('/.', 1, true)
        or p:find('//', 1, true) then
        return false
    end
    local dir = p:match('^(.*)/[^/]*$')
    if dir == nil then dir = '.' elseif dir == '' then dir = '/' end
    return native.writable(dir)
end

--- Appends every record to the file `p` (`""`: back to stdout/syslog). Invalid paths are
-- silently rejected (the default backend is used then).
function M.set_path(p)
    p = check_string(p, 1, 'set_path')
    if p ~= '' and valid_path(p) then
        path = p
    else
        pick_default_backend()
    end
end

--- Rotation threshold in bytes (`0` disables rotation).
function M.set_roll_size(size)
    size = check_integer(size, 1, 'set_roll_size')
    if size < 0 then argerr(1, 'set_roll_size', 'size must be >= 0') end
    roll_size = size
end

--- Maximum number of rotated files kept (`<= 0`: the default 10).
function M.set_roll_count(count)
    count = check_integer(count, 1, 'set_roll_count')
    roll_count = count > 0 and count or DEFAULT_ROLL_COUNT
end

return M
