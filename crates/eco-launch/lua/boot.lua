-- The eco launcher's start-up (docs/packaging.md, "The eco commands"): what the self-contained `eco`
-- interpreter does, on the system's Lua and the installed modules. Receives argv (argv[0] is the
-- launcher as invoked) and returns the exit status.
local argv = ...

local USAGE = 'usage: eco [options] [script [args]]\n'
    .. 'Available options are:\n'
    .. '  -h       show this help\n'
    .. '  -e stat  execute string \'stat\'\n'
    .. '  -v       show version information\n'

local stderr = io.stderr

local function usage(msg)
    if msg then stderr:write('eco: ', msg, '\n') end
    stderr:write(USAGE)
    return 1
end

-- An error value as lua5.4's message handler prints it.
local function message(e)
    if type(e) == 'string' then return e end
    local mt = getmetatable(e)
    if mt and mt.__tostring then
        local ok, s = pcall(tostring, e)
        if ok and type(s) == 'string' then return s end
    end
    return string.format('(error object is a %s value)', type(e))
end

local function fail(e)
    stderr:write('eco: ', message(e), '\n')
    return 1
end

local first = argv[1]
if not first then return usage() end

local mode, payload
if first == '-v' then
    local ok, eco = pcall(require, 'eco')
    stderr:write(_VERSION, '\n', 'Lua-eco ', ok and tostring(eco.VERSION) or '?', '\n')
    return 0
elseif first == '-h' then
    return usage()
elseif first == '-e' then
    if not argv[2] then return usage("'-e' needs argument") end
    mode, payload = 'eval', argv[2]
elseif first:sub(1, 1) == '-' and #first > 1 and first:sub(1, 2) ~= '--' then
    return usage("unrecognized option '" .. first .. "'")
else
    mode, payload = 'script', first
end

collectgarbage('generational')

local ok, eco = pcall(require, 'eco')
if not ok then return fail(eco) end
_G.eco = eco

local chunk, err
if mode == 'eval' then
    chunk, err = load(payload, '=(command line)', 't')
else
    local t = { [-1] = argv[0], [0] = payload }
    for i = 2, #argv do t[i - 1] = argv[i] end
    _G.arg = t
    -- loadfile skips a first line starting with '#' (a shebang) as the interpreter does.
    chunk, err = loadfile(payload)
end
if not chunk then return fail(err) end

-- The main chunk runs in a coroutine and the loop starts by itself.
local rok, rerr = pcall(eco.run, chunk)
if not rok then return fail(rerr) end
local lok, lerr = pcall(eco.loop)
if not lok then return fail(lerr) end
if lerr then return fail(lerr) end
return 0
