-- eco.ssh: session:exec against a real sshd (docs/ssh.md, checklist 7-9), large outputs, and
-- several sessions and commands used from several coroutines at once.
local eco = require 'eco'
local T = require 'testlib'
local S = require 'sshtest'
local ssh = require 'eco.ssh'

local srv = S.start()

T.go(function()
    local s <close> = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))

    -- 7
    T.same({ 'hi\n', 0, nil, n = 3 }, s:exec('echo hi'))
    T.same({ 'e\n', 5, nil, n = 3 }, s:exec('echo e >&2; exit 5'))
    -- stdout precedes stderr, whatever the order they were written in
    T.same({ 'o1\no2\ne1\ne2\n', 0, nil, n = 3 }, s:exec('echo e1 >&2; echo o1; echo e2 >&2; echo o2'))
    T.same({ '', 0, nil, n = 3 }, s:exec('true'))
    T.same({ '', 1, nil, n = 3 }, s:exec('false'))
    -- the user's own account, no PTY
    T.same({ S.USER .. '\n', 0, nil, n = 3 }, s:exec('id -un'))
    T.same({ 'no tty\n', 0, nil, n = 3 }, s:exec('tty >/dev/null || echo no tty'))
    -- binary output
    T.same({ '\0\1\255', 0, nil, n = 3 }, s:exec([[printf '\000\001\377']]))

    -- large outputs on both streams at once (more than libssh2's channel window on stderr,
    -- which must not stall the reading of stdout)
    local out, code = s:exec('head -c 3000000 /dev/zero; head -c 3000000 /dev/zero | tr "\\0" x >&2')
    T.eq(code, 0)
    T.eq(#out, 6000000)
    T.eq(out:sub(1, 3000000), string.rep('\0', 3000000))
    T.eq(out:sub(3000001), string.rep('x', 3000000))

    -- 9: killed by a signal: exitcode = 128 + number, the name without SIG
    T.same({ '', 143, 'TERM' }, s:exec('kill -TERM $$'))
    T.same({ '', 137, 'KILL' }, s:exec('kill -KILL $$'))
    T.same({ '', 129, 'HUP' }, s:exec('kill -HUP $$'))
    T.same({ '', 138, 'USR1' }, s:exec('kill -USR1 $$'))

    -- 8: a command over its deadline: nil, "timeout" at once; the remote process is killed;
    -- the session stays usable
    local function gone(pattern)
        return function()
            return not os.execute('pgrep -u ' .. S.USER .. ' -f "' .. pattern .. '" >/dev/null')
        end
    end
    local pidfile = srv.remote .. '/sleeper.pid'
    local t0 = T.now()
    T.same({ nil, 'timeout' }, s:exec('echo $$ > ' .. pidfile .. '; sleep 30; echo late', 0.5))
    T.between(T.now() - t0, 0.45, 2.5, 'exec timeout')
    local pid = assert(tonumber((S.read(pidfile) or ''):match('%d+')), 'pid file')
    T.wait_until(function() return not os.execute('kill -0 ' .. pid .. ' 2>/dev/null') end, 5,
        'the remote shell was killed')
    T.wait_until(gone('^sleep 30'), 5, 'its child was killed')
    -- a simple command the shell may have replaced itself with
    t0 = T.now()
    T.same({ nil, 'timeout' }, s:exec('sleep 20', 0.3))
    T.between(T.now() - t0, 0.25, 2.5, 'exec timeout')
    T.wait_until(gone('^sleep 20'), 5, 'the remote command was killed')
    T.same({ 'still\n', 0, nil, n = 3 }, s:exec('echo still'))

    -- argument errors raise
    T.raises('bad argument #1', s.exec, s, nil)
    T.raises('bad argument #2', s.exec, s, 'true', 'x')

    -- several sessions, each used by several coroutines at once
    local wg = require('eco.sync').waitgroup()
    local results = {}
    for i = 1, 3 do
        wg:add(1)
        eco.run(function()
            local sess <close> = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))
            local inner = require('eco.sync').waitgroup()
            for j = 1, 4 do
                inner:add(1)
                eco.run(function()
                    local o, c = sess:exec(string.format('sleep 0.%d; echo %d-%d; exit %d', j, i, j, j))
                    results[#results + 1] = { o, c, expect = string.format('%d-%d\n', i, j), code = j }
                    inner:done()
                end)
            end
            inner:wait()
            wg:done()
        end)
    end
    -- meanwhile the first session keeps working
    T.same({ 'busy\n', 0, nil, n = 3 }, s:exec('echo busy'))
    T.ok(wg:wait(30), 'concurrent sessions finished')
    T.eq(#results, 12)
    for _, r in ipairs(results) do
        T.eq(r[1], r.expect)
        T.eq(r[2], r.code)
    end
    T.eq(s.native:open_channels(), 0)
end)
S.stop(srv)
