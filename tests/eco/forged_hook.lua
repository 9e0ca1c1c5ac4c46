-- A native read/write hook is accepted only if a native module registered it through the ABI
-- (spec/eco.md 10.6): a light userdata made by Lua code is rejected, never called.
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local a, b = et.socketpair()
T.ok(a, 'socketpair: ' .. tostring(b))

local up = 1
local function f() return up end
local lud = debug.upvalueid(f, 1)
T.eq(type(lud), 'userdata')

T.raises('not a native read hook', eco.reader, a, lud, lud)
T.raises('not a native read hook', eco.reader, a, lud)
T.raises('not a native write hook', eco.writer, a, lud, lud)
-- the other arguments still follow spec/eco.md 10
T.raises('userdata expected', eco.reader, a, 1)
T.raises('userdata expected', eco.reader, a, nil)

-- without hooks the wrappers still work
local rd, wr = assert(eco.reader(a)), assert(eco.writer(b))
eco.run(function()
    T.eq(wr:write('ok\n'), 3)
    T.eq(rd:read('l'), 'ok')
end)
eco.loop()
et.close(a)
et.close(b)
print('ok')
