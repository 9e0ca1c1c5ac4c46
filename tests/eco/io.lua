-- eco.io readiness waits: argument checks, timeouts, busy rules, cancel, constructor failures
-- (spec/eco.md checklist 17-20, 33, 35).
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local function pair()
    local a, b = et.socketpair()
    T.ok(a, 'socketpair: ' .. tostring(b))
    return a, b
end

local to_close = {}
local function closing(...)
    for i = 1, select('#', ...) do to_close[#to_close + 1] = (select(i, ...)) end
    return ...
end

-- 35: constructor failures and argument checks (no coroutine needed)
T.fails('Bad file descriptor', eco.io(9999))
T.fails('Bad file descriptor', eco.reader(9999))
T.fails('Bad file descriptor', eco.writer(9999))
do
    -- The checklist uses fd 0; a socket is used instead so that stdin is not made non-blocking
    -- if an implementation validated the fd before the hook argument.
    local a, b = closing(pair())
    T.raises('userdata expected', eco.reader, a, 1)
    T.raises('userdata expected', eco.reader, a, nil)   -- an explicit nil also raises (section 10)
    local ok = pcall(eco.io, 'x')
    T.ok(not ok, '35: eco.io("x") raises (fd must be an integer)')
    ok = pcall(eco.io, 1.5)
    T.ok(not ok, '35: eco.io(1.5) raises (fd must be an integer)')
end

T.go(function()
    -- 17: invalid event masks raise before waiting
    do
        local a = closing(pair())
        local obj = assert(eco.io(a))
        T.raises('invalid', function() return obj:wait(0) end)
        T.raises('invalid', function() return obj:wait(eco.READ | 0x100) end)
        T.raises('invalid', function() return obj:wait(8) end)
        T.raises('number expected', function() return obj:wait('x') end)
    end

    -- 18: a fresh socket is writable; an idle one times out for reading
    do
        local a = closing(pair())
        local obj = assert(eco.io(a))
        local t0 = T.now()
        T.same({ true }, obj:wait(eco.WRITE, 0.2))
        T.between(T.now() - t0, 0, 0.19, '18: wait(WRITE) on a fresh socket returns before its timeout (s)')
        t0 = T.now()
        T.fails('timeout', obj:wait(eco.READ, 0.03))
        T.between(T.now() - t0, 0.02, 0.5, '18: a 30 ms read wait times out after (s)')
        -- READ|WRITE resumes on writability, returns plain true
        T.same({ true }, obj:wait(eco.READ | eco.WRITE, 0.2))
        -- numeric-string timeout is converted (section 1)
        t0 = T.now()
        T.fails('timeout', obj:wait(eco.READ, '0.03'))
        T.between(T.now() - t0, 0.02, 0.5, '18: a "0.03" (string) read wait times out after (s)')
    end

    -- 19: busy rules
    do
        local a, b = closing(pair())
        local obj = assert(eco.io(a))
        local first
        eco.run(function() first = table.pack(obj:wait(eco.READ, 2)) end)
        T.eq(first, nil, '19: first waiter is suspended')
        -- same object, another coroutine
        T.raises('already waiting', function() return obj:wait(eco.READ, 0.1) end)
        T.raises('another coroutine is already waiting on this I/O object',
            function() return obj:wait(eco.WRITE, 0.1) end)
        -- another object on the same fd asking for READ
        local other = assert(eco.io(a))
        T.raises('already waiting', function() return other:wait(eco.READ, 0.1) end)
        T.raises('already waiting', function() return other:wait(eco.READ | eco.WRITE, 0.1) end)
        -- but a write waiter may coexist with the read waiter
        T.same({ true }, other:wait(eco.WRITE, 0.5))
        -- wake the first waiter with data
        T.eq(et.write(b, 'x'), 1)
        T.wait_until(function() return first end, 2, '19: first waiter to wake up')
        T.same({ true, n = 1 }, T.unpack(first))
        T.eq(first.n, 1, '19: wait returns exactly one value on readiness')

        -- two readers on the same fd
        local c = closing(pair())
        local r1, r2 = assert(eco.reader(c)), assert(eco.reader(c))
        local res1
        eco.run(function() res1 = table.pack(r1:read(1, 2)) end)
        T.raises('already waiting', function() return r2:read(1, 0.1) end)
        T.raises('already waiting', function() return r1:read(1, 0.1) end)
        r1:cancel()
        T.wait_until(function() return res1 end, 2, '19: reader waiter to be canceled')
        T.fails('canceled', T.unpack(res1))
        -- the fd is free again
        T.fails('timeout', r2:read(1, 0.02))
    end

    -- 20: cancel wakes the waiter later with nil, "canceled"
    do
        local a = closing(pair())
        local obj = assert(eco.io(a))
        local res
        eco.run(function() res = table.pack(obj:wait(eco.READ)) end) -- no timeout
        T.nret(0, obj:cancel())
        T.eq(res, nil, '20: the waiter has not run yet when cancel() returns')
        T.wait_until(function() return res end, 2, '20: canceled waiter to run')
        T.fails('canceled', T.unpack(res))
        -- no-op without a waiter; the object is usable afterwards
        T.nret(0, obj:cancel())
        T.fails('timeout', obj:wait(eco.READ, 0.02))

        -- cancel twice before the waiter runs: still one "canceled"
        res = nil
        eco.run(function() res = table.pack(obj:wait(eco.READ, 2)) end)
        obj:cancel()
        obj:cancel()
        T.wait_until(function() return res end, 2, '20: canceled waiter to run (double cancel)')
        T.fails('canceled', T.unpack(res))

        -- a wait already woken by its timeout is not affected by a later cancel: H (deadline
        -- +5 ms) and the waiter W (deadline +10 ms) both expire while we spin; the next loop
        -- iteration queues H then W, and H cancels W after W was woken but before it ran.
        res = nil
        local h_done = false
        eco.run(function()
            eco.sleep(0.005)
            obj:cancel()
            h_done = true
        end)
        eco.run(function() res = table.pack(obj:wait(eco.READ, 0.01)) end)
        T.spin(0.03)
        T.wait_until(function() return res and h_done end, 2, '20: timed-out waiter to run')
        T.fails('timeout', T.unpack(res))
    end

    -- 33: the read side cancels the write waiter in the same event batch
    do
        local a, b = closing(pair())
        local rio, wio = assert(eco.io(a)), assert(eco.io(a))
        local rres, wres
        eco.run(function()
            rres = table.pack(rio:wait(eco.READ, 2))
            wio:cancel()
        end)
        eco.run(function()
            wres = table.pack(wio:wait(eco.WRITE, 2))
        end)
        -- make fd `a` readable before the loop polls again: the next epoll_wait then reports it
        -- readable and writable at once
        T.eq(et.write(b, 'x'), 1)
        T.wait_until(function() return rres and wres end, 2, '33: both waiters to run')
        T.same({ true, n = 1 }, T.unpack(rres))
        T.fails('canceled', T.unpack(wres))
    end
end)

for _, fd in ipairs(to_close) do et.close(fd) end

print('ok')
