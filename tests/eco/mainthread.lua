-- Blocking calls outside a coroutine (spec/eco.md section 1 "needs a coroutine", section 12.1,
-- checklist 40).
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local YIELD_ERR = 'attempt to yield from outside a coroutine'

local a, b = et.socketpair()
T.ok(a, 'socketpair: ' .. tostring(b))
local obj = assert(eco.io(a))
local r = assert(eco.reader(a))

-- Under the eco interpreter the main chunk is a coroutine, so this part only applies to stock lua5.4.
if not coroutine.isyieldable() then
    -- 40: a blocking call from the main thread raises ...
    T.raises(YIELD_ERR, eco.sleep, 0.5)
    T.raises(YIELD_ERR, function() return obj:wait(eco.READ, 0.5) end)
    T.raises(YIELD_ERR, function() return r:read(1, 0.5) end)

    -- ... before creating any timer or fd registration: the loop has nothing to wait for
    local t0 = T.now()
    T.nret(0, eco.loop())
    T.between(T.now() - t0, 0, 0.3, '40: eco.loop() after the failed calls returns at once (s)')

    -- operations that can finish without suspending work in any context
    local path = assert(et.tmpfile('plain file'))
    local fd = assert(et.open(path))
    local fr = assert(eco.reader(fd))
    T.same({ 'plain file' }, fr:read('*a'))
    et.lseek(fd, 0)
    T.same({ 'plain' }, fr:read(5))
    et.close(fd)
    et.unlink(path)
    local w = assert(eco.writer(b))
    T.same({ 5 }, w:write('hello'))
    T.eq(et.read(a, 5), 'hello', '40: data written from the main thread')
end

-- 40: a later eco.loop() still works normally, and the fd has no stale waiter
T.go(function()
    local t0 = T.now()
    eco.sleep(0.02)
    T.between(T.now() - t0, 0.01, 2, '40: sleep(0.02) inside the loop took (s)')
    T.fails('timeout', obj:wait(eco.READ, 0.02))
    T.fails('timeout', r:read(1, 0.02))
    T.eq(et.write(b, 'x'), 1)
    T.same({ 'x' }, r:read(1, 1))
end)

et.close(a)
et.close(b)

print('ok')
