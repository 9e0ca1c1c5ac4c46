-- eco.uci: the cursor methods that call Lua back (docs/uci.md). They walk the package one
-- section at a time through the native `_section`, so a callback may yield (nothing native is
-- on the stack while it runs) and its return values are dropped at once.
local section = ...

local M = {}

-- c:foreach(pkg, [type,] cb) -> boolean
function M.foreach(c, pkg, typ, cb)
    if type(typ) == 'function' and cb == nil then
        typ, cb = nil, typ
    end
    if type(pkg) ~= 'string' and type(pkg) ~= 'number' then
        error(string.format("bad argument #1 to 'foreach' (string expected, got %s)",
            pkg == nil and 'no value' or type(pkg)), 2)
    end
    if typ ~= nil and type(typ) ~= 'string' and type(typ) ~= 'number' then
        error(string.format("bad argument #2 to 'foreach' (string expected, got %s)", type(typ)), 2)
    end
    if type(cb) ~= 'function' then
        error(string.format("bad argument #3 to 'foreach' (function expected, got %s)",
            cb == nil and 'no value' or type(cb)), 2)
    end
    local s, i = section(c, pkg, typ, 0)
    if s == false then
        return false
    end
    while s do
        local name = s['.name']
        if cb(s) == false then
            break
        end
        s, i = section(c, pkg, typ, i, name)
    end
    return true
end

-- c:each(pkg[, type]) -> iterator over section tables
function M.each(c, pkg, typ)
    if type(pkg) ~= 'string' and type(pkg) ~= 'number' then
        error(string.format("bad argument #1 to 'each' (string expected, got %s)",
            pkg == nil and 'no value' or type(pkg)), 2)
    end
    if typ ~= nil and type(typ) ~= 'string' and type(typ) ~= 'number' then
        error(string.format("bad argument #2 to 'each' (string expected, got %s)", type(typ)), 2)
    end
    local i, last = 0, nil
    return function()
        if not i then
            return nil
        end
        local s, n = section(c, pkg, typ, i, last)
        if not s then
            i = nil
            return nil
        end
        i, last = n, s['.name']
        return s
    end
end

return M
