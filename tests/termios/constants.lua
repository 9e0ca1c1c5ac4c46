-- eco.termios constants against the system (docs/termios.md, checklist 1): every integer the
-- module publishes is compared with the C library's headers of this machine
-- (/usr/include/<multiarch>/bits/termios*.h, parsed here) and with Python's termios module
-- (/usr/bin/python3, which takes them from the same headers at its build). Each constant must be
-- found in at least one of the two, and must agree with every source that has it.
local T = require 'testlib'
local termios = require 'eco.termios'

-- The module's integer fields.
local mine = {}
local count = 0
for k, v in pairs(termios) do
    if math.type(v) == 'integer' then
        mine[k] = v
        count = count + 1
    end
end
T.ok(count >= 101 + 5, 'the module publishes the spec constants and the extensions: ' .. count)

-- 1. The glibc headers. Values are C integer literals: octal (leading 0), hex or decimal.
local function literal(s)
    if s:match('^0[xX]%x+$') then return tonumber(s:sub(3), 16) end
    if s:match('^0[0-7]*$') then return tonumber(s, 8) end
    if s:match('^[1-9]%d*$') then return tonumber(s, 10) end
    return nil
end
local headers = T.capture('ls /usr/include/*/bits/termios*.h /usr/include/bits/termios*.h 2>/dev/null')
local from_headers, nheaders = {}, 0
for path in headers:gmatch('[^\n]+') do
    nheaders = nheaders + 1
    for line in io.lines(path) do
        local name, value = line:match('^%s*#%s*define%s+([%u%d_]+)%s+([%w]+)')
        local v = value and literal(value)
        if v then
            if from_headers[name] and from_headers[name] ~= v then
                error(string.format('%s has two values in the headers: %d and %d', name, from_headers[name], v))
            end
            from_headers[name] = v
        end
    end
end
T.ok(nheaders >= 5, 'found the bits/termios*.h headers of the C library (' .. nheaders .. ')')

-- 2. Python's termios module.
local py = io.open('/usr/bin/python3')
T.ok(py, '/usr/bin/python3 is needed (Debian python3)')
py:close()
local names = {}
for k in pairs(mine) do names[#names + 1] = k end
table.sort(names)
local out = T.capture("/usr/bin/python3 -c 'import sys, termios\nfor n in sys.argv[1:]:\n"
    .. "    v = getattr(termios, n, None)\n    print(n, \"-\" if v is None else v)' "
    .. table.concat(names, ' '))
local from_python, npy = {}, 0
for name, v in out:gmatch('(%S+) (%S+)\n') do
    if v ~= '-' then
        from_python[name] = math.tointeger(tonumber(v))
        npy = npy + 1
    end
end
T.ok(npy >= 90, 'python3 knows most of the names: ' .. npy)

local checked = 0
for _, k in ipairs(names) do
    local h, p = from_headers[k], from_python[k]
    T.ok(h ~= nil or p ~= nil, k .. ' is in neither the headers nor python')
    if h ~= nil then T.eq(mine[k], h, k .. ' (headers)') end
    if p ~= nil then T.eq(mine[k], p, k .. ' (python)') end
    checked = checked + 1
end
T.eq(checked, count, 'every constant checked')
-- Both sources were really used: some names come only from the headers (python lacks IUTF8 and
-- CMSPAR), most are in both.
T.ok(from_headers.IUTF8 and from_python.IUTF8 == nil or from_python.IUTF8, 'IUTF8 found')
T.ok(from_headers.ECHO ~= nil and from_python.ECHO ~= nil, 'ECHO in both sources')
print(string.format('%d constants: %d in the headers, %d in python', checked,
    (function() local n = 0 for _, k in ipairs(names) do if from_headers[k] then n = n + 1 end end return n end)(),
    npy))
