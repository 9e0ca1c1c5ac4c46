-- eco.sys: module layout, constants and the native helpers
-- (spec/sys.md 1, 6; checklist 1-4, 7, 13).
local eco = require 'eco'
local T = require 'testlib'
local sys = require 'eco.sys'

-- layout: pairs() lists only the four Lua-level functions, natives come through __index
do
    local keys = {}
    for k in pairs(sys) do keys[#keys + 1] = k end
    table.sort(keys)
    T.eq(table.concat(keys, ','), 'exec,sh,signal,spawn', 'pairs(sys)')
    for _, k in ipairs({ 'kill', 'waitpid', 'fork', 'prctl', 'getpwnam', 'uptime', 'getpid', 'getppid',
        'get_nprocs', 'strerror', 'sigprocmask', 'signalfd' }) do
        T.eq(type(sys[k]), 'function', 'sys.' .. k)
    end
end

-- 1: constants
for _, k in ipairs({ 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK', 'ENOENT',
    'EINVAL', 'PR_SET_PDEATHSIG' }) do
    T.eq(math.type(sys[k]), 'integer', '1: math.type(sys.' .. k .. ')')
end
T.eq(sys.ELHLT, 51, '1: ELHLT')
T.eq(sys.ELNSYNC, 45, '1: ELNSYNC')
T.eq(sys.ELRST, 47, '1: ELRST')
T.eq(sys.ELNRNG, 48, '1: ELNRNG')
T.eq(sys.PR_SET_PDEATHSIG, 1, '1: PR_SET_PDEATHSIG')
T.eq(sys.EWOULDBLOCK, sys.EAGAIN, '1: EWOULDBLOCK alias')
T.eq(sys.EDEADLOCK, sys.EDEADLK, '1: EDEADLOCK alias')
T.eq(sys.SIGIOT, sys.SIGABRT, '1: SIGIOT alias')
T.eq(sys.SIGPOLL, sys.SIGIO, '1: SIGPOLL alias')
T.eq(sys.SIGTERM, 15, '1: SIGTERM (Linux value)')
T.eq(sys.SIGKILL, 9, '1: SIGKILL (Linux value)')
T.eq(sys.ENOENT, 2, '1: ENOENT (Linux value)')
T.eq(sys.EHWPOISON, 133, '1: EHWPOISON (Linux value)')
T.eq(sys.SIG_BLOCK, 0, '1: SIG_BLOCK')
T.eq(sys.SIG_UNBLOCK, 1, '1: SIG_UNBLOCK')
T.eq(sys.SIG_SETMASK, 2, '1: SIG_SETMASK')

-- 2: small queries
T.ok(math.type(sys.getpid()) == 'integer' and sys.getpid() > 0, '2: getpid')
T.eq(sys.getpid(), require('ecotest').getpid(), '2: getpid is the real pid')
T.ok(math.type(sys.getppid()) == 'integer' and sys.getppid() > 0, '2: getppid')
T.ok(math.type(sys.uptime()) == 'integer' and sys.uptime() >= 0, '2: uptime')
do
    local f = assert(io.open('/proc/uptime'))
    local up = tonumber(f:read('l'):match('^(%S+)'))
    f:close()
    T.between(sys.uptime(), math.floor(up) - 2, up + 2, '2: uptime vs /proc/uptime')
end
T.ok(math.type(sys.get_nprocs()) == 'integer' and sys.get_nprocs() >= 1, '2: get_nprocs')
T.ok(type(sys.strerror(sys.EINVAL)) == 'string' and #sys.strerror(sys.EINVAL) > 0, '2: strerror')
T.eq(sys.strerror(sys.ENOENT), 'No such file or directory', '6: strerror(ENOENT)')
T.eq(sys.strerror(99999), 'Unknown error 99999', '6: strerror of an unknown number')
T.raises('number', sys.strerror, 'x')
T.raises('number', sys.strerror, 1.5)

-- 3: prctl
T.same({ true }, sys.prctl(sys.PR_SET_PDEATHSIG, sys.SIGTERM))
T.same({ true }, sys.prctl(sys.PR_SET_PDEATHSIG, 0))
T.fails('unsupported option', sys.prctl(0x7fffffff, 0))
T.raises('number', sys.prctl, sys.PR_SET_PDEATHSIG, 'x')
T.raises('number', sys.prctl, sys.PR_SET_PDEATHSIG)

-- 4: getpwnam
do
    local pw = sys.getpwnam('root')
    T.eq(type(pw), 'table', '4: getpwnam(root)')
    T.eq(pw.username, 'root', '4: username')
    T.eq(type(pw.home), 'string', '4: home')
    T.eq(type(pw.shell), 'string', '4: shell')
    T.eq(type(pw.password), 'string', '4: password')
    T.eq(math.type(pw.uid), 'integer', '4: uid')
    T.eq(math.type(pw.gid), 'integer', '4: gid')
    T.eq(pw.uid, 0, '4: root uid')
    T.fails('not found', sys.getpwnam('no-such-user-xyz-eco'))
end

-- 6: kill
T.same({ true }, sys.kill(sys.getpid(), 0))
T.fails('No such process', sys.kill(0x3ffffff0, sys.SIGTERM))
T.fails('Invalid argument', sys.kill(sys.getpid(), 100000))
T.raises('number', sys.kill, 'x', 1)
T.raises('number', sys.kill, 1, {})

-- 6: waitpid without children, signalfd / sigprocmask argument checks
T.fails('No child processes', sys.waitpid(-1))
T.raises('invalid argument', sys.signalfd)
T.same({ true }, sys.sigprocmask(sys.SIG_BLOCK))
T.fails('Invalid argument', sys.sigprocmask(12345, sys.SIGUSR2))

-- 7: SIGCHLD is reserved
T.raises('SIGCHLD', sys.signal, sys.SIGCHLD, function() end)
T.raises('SIGCHLD is reserved by eco scheduler', sys.signal, sys.SIGCHLD, function() end)

-- 13: waitpid on a running child reports 0 and an empty table
T.go(function()
    local p = assert(sys.exec('sleep', '5'))
    local pid, st = sys.waitpid(p.pid)
    T.eq(pid, 0, '13: waitpid(running) pid')
    T.eq(type(st), 'table', '13: waitpid(running) status type')
    T.eq(next(st), nil, '13: waitpid(running) status is empty')
    T.same({ true }, p:kill())
    local wpid, wst = p:wait(5)
    T.eq(wpid, p.pid, '13: wait after kill')
    T.eq(wst.signaled, true, '13: signaled')
    p:close()
end)

print('sys native: ok')
