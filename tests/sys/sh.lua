-- eco.sys: sh (spec/sys.md 3; checklist 18-20) against /bin/sh.
local eco = require 'eco'
local T = require 'testlib'
local sys = require 'eco.sys'
local et = require 'ecotest'

do
    local f = io.open('/bin/sh')
    T.ok(f, 'missing program /bin/sh')
    f:close()
end

-- 20: bad command type raises with the exact message
T.raises('cmd must be a string or table', sys.sh, 5)
T.raises('cmd must be a string or table', sys.sh, nil)

T.go(function()
    local base = et.fd_count()

    -- 18: outputs, exit status not reported
    T.same({ 'S', 'E' }, sys.sh('printf S; printf E 1>&2', 1))
    T.same({ 'S', '' }, sys.sh('printf S', 1))
    T.same({ '', '' }, sys.sh('true', 1))
    T.same({ '', '' }, sys.sh('exit 3'))
    T.same({ 'multi\nline\n', '' }, sys.sh('echo multi; echo line', 2))

    -- table form: the program runs directly
    T.same({ 'a b', '' }, sys.sh({ '/bin/echo', '-n', 'a b' }, 2))
    T.same({ 'Linux\n', '' }, sys.sh({ 'uname', '-s' }, 5))

    -- exec failure inside sh is the program's own stderr and status
    T.same({ '', 'no-such-cmd-xyz: No such file or directory' }, sys.sh({ 'no-such-cmd-xyz' }, 2))

    -- 19: 1 MiB on stderr before stdout is written: drained concurrently
    do
        local t0 = T.now()
        local out, err, e3 = sys.sh('head -c 1048576 /dev/zero 1>&2; printf OUT', 2)
        T.eq(out, 'OUT', '19: stdout')
        T.eq(err and #err, 1048576, '19: stderr size')
        T.eq(e3, nil, '19: no error')
        T.ok(T.now() - t0 < 2, '19: within the timeout')
    end

    -- megabytes on both pipes at the same time
    do
        local out, err = sys.sh('head -c 4000000 /dev/zero & head -c 3000000 /dev/zero 1>&2; wait', 10)
        T.eq(out and #out, 4000000, 'MB: stdout')
        T.eq(err and #err, 3000000, 'MB: stderr')
    end

    -- 20: timeout
    do
        local t0 = T.now()
        T.same({ nil, nil, 'timeout', n = 3 }, sys.sh('sleep 0.1', 0.01))
        T.ok(T.now() - t0 < 1.5, '20: timeout returns within the kill grace')
        -- a command that ignores SIGTERM is killed after 0.2 s
        t0 = T.now()
        T.same({ nil, nil, 'timeout', n = 3 }, sys.sh('trap "" TERM; while :; do sleep 0.05; done', 0.1))
        T.between(T.now() - t0, 0.25, 2, '20: SIGKILL after the grace period')
        -- a grandchild keeping the pipes open past the exit still counts against the timeout
        T.same({ nil, nil, 'timeout', n = 3 }, sys.sh('sleep 2 & exit 0', 0.2))
    end

    -- needs a coroutine: checked before the program starts
    T.wait_until(function() return et.fd_count() == base end, 3, 'fds back to base')
    T.eq(et.fd_count(), base, 'no fd leak')
end)

-- needs a coroutine
do
    local ok = pcall(sys.sh, 'true')
    if not coroutine.isyieldable() then T.ok(not ok, 'sh outside a coroutine raises') end
end

print('sys sh: ok')
