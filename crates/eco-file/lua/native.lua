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

native.inotify_parse_event = raising('inotify_parse_event', 1, native.inotify_parse_event)

local raw_mkdir = native.mkdir
native.mkdir = function(path, mode)
    if mode ~= nil and math.type(mode) == 'integer' and mode < 0 then
        error("bad argument #2 to 'mkdir' (invalid mode)", 2)
    end
    return raw_mkdir(path, mode)
end

return native
