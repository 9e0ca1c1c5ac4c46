-- eco.sys: signal handles (spec/sys.md 5; checklist 5-9) with signals sent to this process.
local eco = require 'eco'
local T = require 'testlib'
local sys = require 'eco.sys'
local et = require 'ecotest'

--- The SigBlk mask of a /proc status text, as an integer.
local function sigblk(status)
    return tonumber(status:match('SigBlk:%s*(%x+)'), 16)
end

local function bit(sig) return 1 << (sig - 1) end

local function my_sigblk()
    local f = assert(io.open('/proc/self/status'))
    local s = f:read('a')
    f:close()
    return sigblk(s)
end

T.raises('SIGCHLD is reserved by eco scheduler', sys.signal, sys.SIGCHLD, print)
T.raises('function', sys.signal, sys.SIGUSR1, 'not a function')
T.fails('Invalid argument', sys.signal(1000, function() end))
T.raises('number', sys.signal, 'x', function() end)

T.go(function()
    local base = et.fd_count()

    -- 5: one delivery, one call with the extra arguments, within 20 ms
    do
        local calls = {}
        local h = assert(sys.signal(sys.SIGUSR1, function(...) calls[#calls + 1] = table.pack(...) end, 'sig'))
        T.ok(my_sigblk() & bit(sys.SIGUSR1) ~= 0, '5: SIGUSR1 blocked while listened to')
        local t0 = T.now()
        T.same({ true }, sys.kill(sys.getpid(), sys.SIGUSR1))
        T.wait_until(function() return #calls > 0 end, 1, '5: callback')
        T.ok(T.now() - t0 < 0.02 + 0.05, string.format('5: delivered in %.3f s', T.now() - t0))
        eco.sleep(0.05)
        T.eq(#calls, 1, '5: exactly one call')
        T.same({ 'sig', n = 1 }, T.unpack(calls[1]))
        -- several deliveries, one at a time
        for i = 2, 4 do
            sys.kill(sys.getpid(), sys.SIGUSR1)
            T.wait_until(function() return #calls >= i end, 1, '5: delivery ' .. i)
        end
        T.eq(#calls, 4, '5: one call per delivery')
        h:close()
        h:close()
        T.eq(my_sigblk() & bit(sys.SIGUSR1), 0, '5: unblocked after close')
    end

    -- the callback may block; deliveries meanwhile wait for it (and may coalesce)
    do
        local n, running, overlap = 0, false, false
        local h = assert(sys.signal(sys.SIGUSR2, function()
            if running then overlap = true end
            running = true
            eco.sleep(0.05)
            n = n + 1
            running = false
        end))
        sys.kill(sys.getpid(), sys.SIGUSR2)
        eco.sleep(0.01)
        sys.kill(sys.getpid(), sys.SIGUSR2)
        T.wait_until(function() return n >= 2 end, 2, 'second delivery after the first callback')
        T.eq(overlap, false, 'callbacks do not overlap')
        h:close()
    end

    -- 6: closed before any delivery: never called, signal unblocked (SIGWINCH is harmless)
    do
        local called = false
        local h = assert(sys.signal(sys.SIGWINCH, function() called = true end))
        h:close()
        T.eq(my_sigblk() & bit(sys.SIGWINCH), 0, '6: unblocked')
        sys.kill(sys.getpid(), sys.SIGWINCH)
        eco.sleep(0.05)
        T.eq(called, false, '6: no callback after close')
    end

    -- 8: children do not inherit the blocked mask
    do
        local hi = assert(sys.signal(sys.SIGINT, function() end))
        local ht = assert(sys.signal(sys.SIGTERM, function() end))
        local mask = my_sigblk()
        T.ok(mask & bit(sys.SIGINT) ~= 0 and mask & bit(sys.SIGTERM) ~= 0, '8: blocked here')
        local p = assert(sys.exec('cat', '/proc/self/status'))
        local status = assert(p:read_stdout('a', 2))
        local child = sigblk(status)
        T.ok(child, '8: SigBlk line')
        T.eq(child & bit(sys.SIGINT), 0, '8: SIGINT not blocked in the child')
        T.eq(child & bit(sys.SIGTERM), 0, '8: SIGTERM not blocked in the child')
        p:wait(2)
        p:close()
        -- SIGTERM to ourselves goes to the handle, not the default action
        local got = false
        hi:close()
        ht:close()
        local h = assert(sys.signal(sys.SIGTERM, function() got = true end))
        sys.kill(sys.getpid(), sys.SIGTERM)
        T.wait_until(function() return got end, 1, 'SIGTERM handled')
        h:close()
    end

    -- two handles on one signal: each delivery reaches one of them
    do
        local a, b = 0, 0
        local ha = assert(sys.signal(sys.SIGUSR1, function() a = a + 1 end))
        local hb = assert(sys.signal(sys.SIGUSR1, function() b = b + 1 end))
        sys.kill(sys.getpid(), sys.SIGUSR1)
        T.wait_until(function() return a + b >= 1 end, 1, 'two handles: delivery')
        eco.sleep(0.05)
        T.eq(a + b, 1, 'two handles: one call')
        ha:close()
        hb:close()
    end

    -- 9: after close the handle is collectable and its descriptor already closed
    do
        local h = assert(sys.signal(sys.SIGUSR2, function() end))
        local fd = h.fd
        T.ok(et.fd_open(fd), '9: descriptor open')
        T.eq(h.sfd, fd, '9: sfd is an alias of fd (lua-eco scripts read it)')
        h:close()
        T.ok(not et.fd_open(fd), '9: descriptor closed by close()')
        local weak = setmetatable({ h }, { __mode = 'v' })
        h = nil
        eco.sleep(0.01) -- the listener ends
        T.full_gc()
        T.eq(weak[1], nil, '9: handle collected')
    end

    -- sigprocmask / signalfd natives
    do
        T.same({ true }, sys.sigprocmask(sys.SIG_BLOCK, sys.SIGUSR1, sys.SIGUSR2))
        local m = my_sigblk()
        T.ok(m & bit(sys.SIGUSR1) ~= 0 and m & bit(sys.SIGUSR2) ~= 0, 'sigprocmask blocked both')
        local fd = assert(sys.signalfd(sys.SIGUSR1, sys.SIGUSR2))
        T.eq(math.type(fd), 'integer', 'signalfd fd')
        sys.kill(sys.getpid(), sys.SIGUSR2)
        local rd = eco.reader(fd)
        local info = rd:read(128, 1)
        T.eq(info and #info, 128, 'signalfd_siginfo')
        T.eq(string.unpack('<I4', info), sys.SIGUSR2, 'ssi_signo')
        et.close(fd)
        T.same({ true }, sys.sigprocmask(sys.SIG_UNBLOCK, sys.SIGUSR1, sys.SIGUSR2))
    end

    eco.sleep(0.01)
    T.eq(et.fd_count(), base, 'no fd leak')
end)

print('sys signal: ok')

-- an error in a signal callback takes the panic path: the process exits 1 with the message
T.go(function()
    local script = os.tmpname()
    local f = assert(io.open(script, 'w'))
    f:write([[
local eco = require 'eco'
local sys = require 'eco.sys'
eco.run(function()
    sys.signal(sys.SIGUSR1, function() error('callback failed on purpose') end)
    sys.kill(sys.getpid(), sys.SIGUSR1)
    eco.sleep(5)
    print('not reached')
end)
eco.loop()
print('not reached either')
]])
    f:close()
    local p = assert(sys.exec(arg[-1], script))
    local out = p:read_stdout('a', 10)
    local pid, st = p:wait(10)
    T.eq(pid, p.pid, 'panic: child pid')
    T.eq(st.exited, true, 'panic: exited')
    T.eq(st.status, 1, 'panic: exit status 1')
    T.ok(out:find('callback failed on purpose', 1, true), 'panic: message printed: ' .. out)
    T.ok(not out:find('not reached', 1, true), 'panic: nothing after the error ran')
    p:close()
    os.remove(script)
end)
