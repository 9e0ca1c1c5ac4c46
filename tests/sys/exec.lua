-- eco.sys: exec and the process object against real programs (sh, cat, sleep, true, false)
-- (spec/sys.md 2, 7; checklist 11-17, 21, 22), child reaping, zombies and descriptor leaks.
local eco = require 'eco'
local T = require 'testlib'
local sys = require 'eco.sys'
local et = require 'ecotest'

-- The programs this test runs must exist: fail loudly otherwise.
for _, prog in ipairs({ '/bin/sh', '/bin/sleep', '/bin/cat', '/bin/true', '/bin/false' }) do
    local f = io.open(prog)
    T.ok(f, 'missing program ' .. prog)
    f:close()
end

local function gone(pid)
    local f = io.open('/proc/' .. pid .. '/stat')
    if not f then return true end
    f:close()
    return false
end

--- State letter of a process (`Z` for a zombie), or nil when it is gone.
local function state(pid)
    local f = io.open('/proc/' .. pid .. '/stat')
    if not f then return nil end
    local s = f:read('a')
    f:close()
    return s:match('%) (%a)')
end

T.raises('string expected', sys.exec, {})
T.raises('string expected', sys.exec, 5 == 5)
T.raises('string expected', sys.exec, { {} })

T.go(function()
    local base = et.fd_count()

    -- 11: output, status, second wait, double close
    do
        local p = assert(sys.exec('/bin/sh', '-c', 'printf out; printf err 1>&2; exit 7'))
        T.eq(math.type(p.pid), 'integer', '11: pid')
        T.ok(p.pid > 0, '11: pid > 0')
        T.eq(math.type(p.stdout_fd), 'integer', '11: stdout_fd')
        T.eq(math.type(p.stderr_fd), 'integer', '11: stderr_fd')
        T.same({ 'out' }, p:read_stdout('*a', 1))
        T.same({ 'err' }, p:read_stderr('*a', 1))
        local pid, st = T.nret(2, p:wait(1))
        T.eq(pid, p.pid, '11: wait pid')
        T.eq(st.exited, true, '11: exited')
        T.eq(st.status, 7, '11: exit code')
        T.eq(st.signaled, nil, '11: not signaled')
        local t0 = T.now()
        T.fails('timeout', p:wait(0.02))
        T.ok(T.now() - t0 >= 0.015, '11: second wait waited its timeout')
        p:close()
        p:close()
        T.eq(p.stdout_fd, nil, '2.1: stdout_fd nil after close')
        T.eq(p.stderr_fd, nil, '2.1: stderr_fd nil after close')
        T.ok(gone(p.pid), '11: child reaped (no zombie)')
    end

    -- 12: close cancels blocked readers; kill; wait reports the signal
    do
        local p = assert(sys.exec('/bin/sleep', '60'))
        local got = {}
        eco.run(function() got.out = table.pack(p:read_stdout('*a')) end)
        eco.run(function() got.err = table.pack(p:read_stderr('*a')) end)
        eco.sleep(0.01)
        p:close()
        eco.sleep(0)
        T.wait_until(function() return got.out and got.err end, 2, '12: readers resumed')
        T.same({ nil, 'canceled', n = 2 }, T.unpack(got.out))
        T.same({ nil, 'canceled', n = 2 }, T.unpack(got.err))
        T.same({ true }, p:kill())
        local pid, st = p:wait(1)
        T.eq(pid, p.pid, '12: wait pid')
        T.eq(st.signaled, true, '12: signaled')
        T.eq(st.status, sys.SIGKILL, '12: SIGKILL')
        T.ok(gone(p.pid), '12: no zombie')
    end

    -- 14: signal / kill
    do
        local p = assert(sys.exec('sleep', '60'))
        T.same({ true }, p:signal(sys.SIGTERM))
        local pid, st = p:wait(2)
        T.eq(pid, p.pid, '14: pid')
        T.eq(st.signaled, true, '14: signaled')
        T.eq(st.status, sys.SIGTERM, '14: SIGTERM')
        p:close()
        p = assert(sys.exec('sleep', '60'))
        T.same({ true }, p:kill())
        pid, st = p:wait(2)
        T.eq(st.signaled, true, '14: signaled (kill)')
        T.eq(st.status, sys.SIGKILL, '14: SIGKILL')
        p:close()
        -- the child is gone: signalling it fails with the OS text
        T.fails('No such process', p:signal(sys.SIGTERM))
    end

    -- 15: stop
    do
        local p = assert(sys.exec('/bin/sh', '-c', 'sleep 5'))
        local t0 = T.now()
        local pid, st = p:stop(0.2)
        T.eq(pid, p.pid, '15: stop pid')
        T.eq(st.signaled, true, '15: signaled')
        T.ok(st.status == sys.SIGTERM or st.status == sys.SIGKILL, '15: SIGTERM or SIGKILL')
        T.ok(T.now() - t0 < 2, '15: stop returned promptly')
        p:close()
        -- a shell that ignores SIGTERM needs the SIGKILL step
        p = assert(sys.exec('/bin/sh', '-c', 'trap "" TERM; printf ready; while :; do sleep 0.05; done'))
        T.same({ 'ready' }, p:read_stdout(5, 2))
        pid, st = p:stop(0.2)
        T.eq(pid, p.pid, '15: stop (TERM ignored) pid')
        T.eq(st.status, sys.SIGKILL, '15: escalated to SIGKILL')
        p:close()
    end

    -- 16: environment array; empty stderr then eof; exit 0
    do
        local p = assert(sys.exec({ '/bin/sh', '-c', 'printf %s "$A"' }, { 'A=eco' }))
        T.same({ 'eco' }, p:read_stdout('a', 1))
        T.same({ '' }, p:read_stderr('a', 1))
        T.fails('eof', p:read_stderr('a', 1))
        local pid, st = p:wait(1)
        T.eq(pid, p.pid, '16: pid')
        T.eq(st.exited, true, '16: exited')
        T.eq(st.status, 0, '16: status 0')
        p:close()
        -- the environment is replaced whole; a table without array part gives an empty one
        p = assert(sys.exec({ '/bin/sh', '-c', 'printf "[%s][%s]" "$HOME" "$B"' }, { 'B=1', 'C=2' }))
        T.same({ '[][1]' }, p:read_stdout('a', 1))
        p:close()
        p = assert(sys.exec({ '/usr/bin/env' }, { X = 'y' }))
        T.same({ '' }, p:read_stdout('a', 1))
        p:wait(1)
        p:close()
        -- without env the environment is inherited
        p = assert(sys.exec({ '/bin/sh', '-c', 'printf %s "$PATH"' }))
        T.same({ os.getenv('PATH') }, p:read_stdout('a', 1))
        p:wait(1)
        p:close()
    end

    -- 17: a program that cannot be run: message on stderr, status 127
    do
        local p = assert(sys.exec('no-such-cmd-xyz'))
        T.eq(math.type(p.pid), 'integer', '17: a process object')
        T.same({ 'no-such-cmd-xyz: No such file or directory' }, p:read_stderr('a', 2))
        T.same({ '' }, p:read_stdout('a', 2))
        local pid, st = p:wait(2)
        T.eq(pid, p.pid, '17: pid')
        T.eq(st.exited, true, '17: exited')
        T.eq(st.status, 127, '17: status 127')
        p:close()
        -- permission denied, through a path
        p = assert(sys.exec('/etc/passwd'))
        T.same({ '/etc/passwd: Permission denied' }, p:read_stderr('a', 2))
        T.eq(select(2, p:wait(2)).status, 127, '17: EACCES status 127')
        p:close()
    end

    -- 2: arguments: numbers become strings, the list ends at the first other value;
    -- stdin is inherited; a script without #! runs through the shell
    do
        local p = assert(sys.exec('/bin/sh', '-c', 'printf "%s|" "$@"', 'x', 1, 2.5, nil, 'dropped'))
        T.same({ '1|2.5|' }, p:read_stdout('a', 1))
        p:close()
        p = assert(sys.exec({ '/bin/sh', '-c', 'printf "%s|" "$0" "$@"', 'a0', 'b', true, 'c' }))
        T.same({ 'a0|b|' }, p:read_stdout('a', 1))
        p:close()
        local path = os.tmpname()
        local f = assert(io.open(path, 'w'))
        f:write('printf "script:%s" "$1"\n')
        f:close()
        os.execute('chmod +x ' .. path)
        p = assert(sys.exec(path, 'arg'))
        T.same({ 'script:arg' }, p:read_stdout('a', 2))
        T.eq(select(2, p:wait(2)).status, 0, '2: ENOEXEC fallback exit status')
        p:close()
        os.remove(path)
        -- stdin is the parent's: the child sees the same file
        p = assert(sys.exec('/bin/sh', '-c', 'readlink /proc/$$/fd/0'))
        local mine = io.popen('readlink /proc/' .. sys.getpid() .. '/fd/0'):read('a')
        T.same({ mine }, p:read_stdout('a', 2))
        p:close()
    end

    -- 2: descriptors of the process objects do not leak into children
    do
        local keep = assert(sys.exec('sleep', '60'))
        local p = assert(sys.exec('/bin/sh', '-c', 'ls /proc/$$/fd'))
        local out = p:read_stdout('a', 2)
        local fds = {}
        for n in out:gmatch('%d+') do fds[#fds + 1] = tonumber(n) end
        table.sort(fds)
        for _, fd in ipairs(fds) do
            T.ok(fd ~= keep.stdout_fd and fd ~= keep.stderr_fd,
                'pipe of another process leaked into a child: ' .. fd)
        end
        keep:kill()
        keep:wait(2)
        keep:close()
        p:wait(2)
        p:close()
    end

    -- megabytes on stdout and stderr at once: no deadlock
    do
        local p = assert(sys.exec('/bin/sh', '-c',
            'head -c 3000000 /dev/zero & head -c 2000000 /dev/zero 1>&2; wait'))
        local got = {}
        eco.run(function() got.err = p:read_stderr('a', 5) end)
        got.out = p:read_stdout('a', 5)
        T.wait_until(function() return got.err end, 5, 'stderr drained')
        T.eq(#got.out, 3000000, 'MB: stdout size')
        T.eq(#got.err, 2000000, 'MB: stderr size')
        local pid, st = p:wait(5)
        T.eq(st.status, 0, 'MB: exit status')
        p:close()
    end

    -- 7: a child that exits before anyone waits is reported at once, and one that exits while
    -- a wait is pending wakes it
    do
        local p = assert(sys.exec('false'))
        T.wait_until(function() local c = state(p.pid) return c == 'Z' or c == nil end, 5, 'false to exit')
        local t0 = T.now()
        local pid, st = p:wait(5)
        T.eq(pid, p.pid, '7: early exit pid')
        T.eq(st.exited, true, '7: early exit')
        T.eq(st.status, 1, '7: false exits 1')
        T.ok(T.now() - t0 < 1, '7: reported at once')
        p:close()
        p = assert(sys.exec('/bin/sh', '-c', 'sleep 0.1; exit 3'))
        t0 = T.now()
        pid, st = p:wait(5)
        T.eq(st.status, 3, '7: pending wait woken')
        T.between(T.now() - t0, 0.05, 2, '7: woken on exit')
        p:close()
    end

    -- only one coroutine waits on a process; a status after a timed-out wait is kept
    do
        local p = assert(sys.exec('/bin/sh', '-c', 'sleep 0.2; exit 5'))
        local done
        eco.run(function() done = table.pack(p:wait(5)) end)
        T.raises('already waiting', p.wait, p, 1)
        T.wait_until(function() return done end, 5, 'first waiter')
        T.eq(done[1], p.pid, 'waiter got the status')
        p:close()
        p = assert(sys.exec('/bin/sh', '-c', 'sleep 0.1; exit 6'))
        T.fails('timeout', p:wait(0.01))
        eco.sleep(0.3)
        local pid, st = p:wait(0.01)
        T.eq(pid, p.pid, 'late status cached')
        T.eq(st.status, 6, 'late status value')
        T.fails('timeout', p:wait(0.01))
        T.fails('No child processes', p:wait())
        p:close()
    end

    -- stopped children are reported like an exit, and the real exit comes after
    do
        local p = assert(sys.exec('sleep', '60'))
        p:signal(19) -- SIGSTOP (not among the spec's constants)
        local pid, st = p:wait(2)
        T.eq(pid, p.pid, 'stopped: pid')
        T.eq(st.exited, nil, 'stopped: not exited')
        T.eq(st.signaled, nil, 'stopped: not signaled')
        T.eq(math.type(st.status), 'integer', 'stopped: raw status')
        T.eq(st.status & 0xff, 0x7f, 'stopped: WIFSTOPPED')
        p:kill()
        pid, st = p:wait(2)
        T.eq(st.signaled, true, 'stopped then killed')
        p:close()
    end

    -- read after close fails, does not crash
    do
        local p = assert(sys.exec('true'))
        p:close()
        T.fails('closed', p:read_stdout('a'))
        p:wait(2)
    end

    T.wait_until(function() return et.fd_count() == base end, 2, 'fd count back to base')
    T.eq(et.fd_count(), base, 'no fd leaked by closed process objects')
end)

-- 7: a child that exited before the loop started is reaped by the first wait; a wait started
-- before the loop runs completes once it runs
do
    local p = assert(sys.exec('true'))
    local t0 = T.now()
    while state(p.pid) ~= 'Z' and T.now() - t0 < 5 do end
    T.eq(state(p.pid), 'Z', '7: zombie before the loop')
    local q = assert(sys.exec('/bin/sh', '-c', 'exit 9'))
    while state(q.pid) ~= 'Z' and T.now() - t0 < 5 do end
    T.go(function()
        local pid, st = p:wait(1)
        T.eq(pid, p.pid, '7: pre-loop child reaped')
        T.eq(st.status, 0, '7: pre-loop status')
        T.ok(gone(p.pid), '7: no zombie')
        pid, st = q:wait(1)
        T.eq(st.status, 9, '7: second pre-loop child')
        p:close()
        q:close()
    end)
    -- the wait parks before the loop has ever seen the child's SIGCHLD
    local r = assert(sys.exec('true'))
    while state(r.pid) ~= 'Z' and T.now() - t0 < 5 do end
    local res
    T.go(function()
        eco.run(function() res = table.pack(r:wait(2)) end)
    end)
    T.ok(res and res[1] == r.pid, '7: wait started before the loop completed')
    r:close()
end

-- 21: an unreachable process object closes its pipes (and reaps the exited child)
T.go(function()
    local base = et.fd_count()
    local pids = {}
    for i = 1, 5 do
        local p = assert(sys.exec('true'))
        pids[i] = p.pid
    end
    T.ok(et.fd_count() >= base + 10, '21: pipes open')
    eco.sleep(0.2)
    T.full_gc()
    T.eq(et.fd_count(), base, '21: finalizer closed both pipes')
    for _, pid in ipairs(pids) do T.ok(gone(pid), '21: no zombie ' .. pid) end
    -- the same without a loop iteration between exit and collection
    local p = assert(sys.exec('true'))
    local pid = p.pid
    local t0 = T.now()
    while state(pid) ~= 'Z' and T.now() - t0 < 5 do end
    p = nil
    T.full_gc()
    T.ok(gone(pid), '21: finalizer reaped the exited child')
    T.eq(et.fd_count(), base, '21: fds')
end)

-- 2: exec fails with the OS text only when the pipes cannot be created (descriptor limit), and
-- leaks nothing then (run in a child interpreter with a low RLIMIT_NOFILE)
T.go(function()
    local script = os.tmpname()
    local f = assert(io.open(script, 'w'))
    f:write([[
local eco = require 'eco'
local sys = require 'eco.sys'
local function fill()
    local files = {}
    while true do
        local f = io.open('/dev/null')
        if not f then break end
        files[#files + 1] = f
    end
    return files
end
eco.run(function()
    local files = fill()
    for _, free in ipairs({ 1, 3 }) do
        for _ = 1, free do table.remove(files):close() end
        local p, err = sys.exec('true')
        io.write(free, ':', tostring(p), ':', tostring(err), ';')
        for _ = 1, free do files[#files + 1] = assert(io.open('/dev/null')) end
    end
end)
eco.loop()
]])
    f:close()
    local p = assert(sys.exec('/bin/sh', '-c', 'ulimit -n 40; exec "$0" "$1"', arg[-1], script))
    local out = p:read_stdout('a', 10)
    local err = p:read_stderr('a', 10)
    local _, st = p:wait(10)
    T.eq(st.status, 0, '2: child interpreter exit (stderr: ' .. tostring(err) .. ')')
    T.eq(out, '1:nil:Too many open files;3:nil:Too many open files;', '2: pipe failure')
    p:close()
    os.remove(script)
end)

-- 22: bursts of exec/wait/close do not grow memory
T.go(function()
    local function burst()
        for _ = 1, 40 do
            local p = assert(sys.exec('true'))
            local pid, st = p:wait(5)
            T.eq(pid, p.pid, '22: wait')
            T.eq(st.status, 0, '22: status')
            p:close()
        end
        T.full_gc()
        return collectgarbage('count')
    end
    local base = et.fd_count()
    burst()
    local m1 = burst()
    local m2
    for _ = 1, 3 do m2 = burst() end
    T.ok(m2 < m1 + 64, string.format('22: memory grew from %.1f KiB to %.1f KiB', m1, m2))
    T.eq(et.fd_count(), base, '22: fds')
end)

print('sys exec: ok')
