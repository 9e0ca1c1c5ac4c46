--- The native layer of eco.file (also `eco.internal.file`). The Rust functions that must raise
-- on bad input return `false, detail` instead; these wrappers raise the standard argument error
-- (a plain string carrying the caller's position).
local native = ...

local function raising(name, argn, raw)
    local prefix = string.format("bad argument #%d to '%s' (", argn, name)
    return function(...)
        local r, detail = raw(...)
        if r == false and type(detail) == 'string' then error(prefix .. detail .. ')', 2) end
        return r, detail
    end
end

-- `luaL_checklstring` with the public name: a wrapper checks what it passes down, so that the
-- error names the function the caller called (level 3: the caller of the wrapper).
local function check_string(fname, n, v)
    local t = type(v)
    if t ~= 'string' and t ~= 'number' then
        error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fname, t), 3)
    end
end

local raw_parse = raising('inotify_parse_event', 1, native.inotify_parse_event)
native.inotify_parse_event = function(buf)
    check_string('inotify_parse_event', 1, buf)
    return raw_parse(buf)
end

local raw_mkdir = native.mkdir
native.mkdir = function(path, mode)
    check_string('mkdir', 1, path)
    if mode ~= nil and math.type(mode) == 'integer' and mode < 0 then
        error("bad argument #2 to 'mkdir' (invalid mode)", 2)
    end
    return raw_mkdir(path, mode)
end

return native
