-- The eco interpreter's script environment (spec/eco.md section 12.2, checklist 36).
-- Run only by the `eco` binary. tests/interp/run.sh also runs it with the arguments
-- `first second` (then arg[1]/arg[2] are checked too).
local eco = require 'eco'
local T = require 'testlib'

-- 36: arg table
T.eq(type(arg), 'table', '36: the global arg table exists in script mode')
T.ok(type(arg[0]) == 'string' and arg[0]:match('args%.lua$'),
    '36: arg[0] is the script path, got ' .. tostring(arg[0]))
T.eq(type(arg[-1]), 'string', '36: arg[-1] is the interpreter path')
if arg[1] ~= nil then
    T.eq(arg[1], 'first', '36: arg[1]')
    T.eq(arg[2], 'second', '36: arg[2]')
    T.eq(#arg, 2, '36: #arg')
end

-- 36: the chunk receives no varargs
T.eq(select('#', ...), 0, "36: select('#', ...) in the main chunk")

-- 36: the global eco is the module
T.ok(rawget(_G, 'eco') ~= nil, '36: the global eco is defined')
T.ok(_G.eco == require('eco'), "36: _G.eco == require('eco')")
T.ok(package.loaded.eco == eco, '36: package.loaded.eco is the module')

-- 36: the main chunk runs inside a (tracked) coroutine
T.ok(coroutine.isyieldable(), '36: coroutine.isyieldable() in the main chunk')
local co, ismain = coroutine.running()
T.ok(not ismain, '36: the main chunk does not run on the main thread')
local tracked = false
for _, t in ipairs(eco.all()) do if t == co then tracked = true end end
T.ok(tracked, '36: the entry coroutine is in eco.all()')
T.eq(eco.count(), 1, '6/36: an otherwise idle script sees eco.count() == 1')

-- 12.2 step 2: generational GC
T.eq(collectgarbage('incremental'), 'generational', '12.2: the interpreter switched the GC to generational mode')
collectgarbage('generational')

-- blocking calls work at top level, no eco.run needed
local t0 = T.now()
eco.sleep(0.02)
T.between(T.now() - t0, 0.01, 2, '36: eco.sleep(0.02) at top level took (s)')

print('ok')
