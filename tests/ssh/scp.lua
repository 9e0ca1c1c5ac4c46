-- eco.ssh: scp_send / scp_recv / scp_sendfile against a real sshd (docs/ssh.md, checklist
-- 10-12), and a peer that dies in the middle of a transfer.
local eco = require 'eco'
local T = require 'testlib'
local S = require 'sshtest'
local ssh = require 'eco.ssh'

local srv = S.start()
local R = srv.remote

local function mode_of(path)
    return T.capture('stat -c %a ' .. T.sh_quote(path)):gsub('%s+$', '')
end

T.go(function()
    local s <close> = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))

    -- 10: round trips, the remote file is 0644 and owned by the user
    local cases = {
        { 'hello', 'hello\n' },
        { 'empty', '' },
        { 'binary', '\0\1\2\255\r\n\0' .. string.rep('\0', 100) },
        { 'big', S.bytes(300 * 1024, 7) },
    }
    for _, c in ipairs(cases) do
        local path = R .. '/' .. c[1]
        T.same({ true }, s:scp_send(c[2], path))
        T.eq(S.read(path), c[2], c[1] .. ' arrived')
        T.eq(mode_of(path), '644')
        T.eq(T.capture('stat -c %U ' .. path):gsub('%s+$', ''), S.USER)
        local got, err = s:scp_recv(path)
        T.eq(err, nil)
        T.eq(got, c[2], c[1] .. ' came back')
    end
    -- overwriting a file
    T.same({ true }, s:scp_send('second', R .. '/hello'))
    T.eq(s:scp_recv(R .. '/hello'), 'second')

    -- 11: into a local file: the byte count; an unwritable local file: io.open's message
    local dir = T.tmpdir()
    local loc = dir .. '/local.bin'
    T.same({ 300 * 1024 }, s:scp_recv(R .. '/big', loc))
    T.eq(S.read(loc), cases[4][2])
    T.same({ 0 }, s:scp_recv(R .. '/empty', dir .. '/empty'))
    T.eq(S.read(dir .. '/empty'), '')
    T.same({ nil, '/no/dir/f: No such file or directory' }, s:scp_recv(R .. '/hello', '/no/dir/f'))
    -- a missing remote file: the library's message
    local got, err = s:scp_recv(R .. '/missing')
    T.eq(got, nil)
    T.ok(type(err) == 'string' and #err > 0, 'error text: ' .. tostring(err))
    -- the session is still fine after the failures
    T.same({ 'ok\n', 0, nil, n = 3 }, s:exec('echo ok'))

    -- 12: scp_sendfile
    T.same({ nil, 'No such file or directory' }, s:scp_sendfile(dir .. '/missing', R .. '/x'))
    T.same({ nil, '/tmp: not a regular file' }, s:scp_sendfile('/tmp', R .. '/x'))
    for _, m in ipairs({ '600', '755', '640' }) do
        local src = dir .. '/src' .. m
        S.write(src, S.bytes(70000, tonumber(m)))
        os.execute('chmod ' .. m .. ' ' .. src)
        T.same({ true }, s:scp_sendfile(src, R .. '/dst' .. m))
        T.eq(S.read(R .. '/dst' .. m), S.read(src))
        T.eq(mode_of(R .. '/dst' .. m), m)
    end
    -- an empty file
    S.write(dir .. '/zero', '')
    T.same({ true }, s:scp_sendfile(dir .. '/zero', R .. '/zero'))
    T.eq(S.read(R .. '/zero'), '')
    -- a remote destination that cannot be written: a library error, not success
    local ok
    ok, err = s:scp_send('x', '/no/such/dir/file')
    T.eq(ok, nil)
    T.ok(type(err) == 'string' and #err > 0, 'error text: ' .. tostring(err))

    -- argument errors raise
    T.raises('bad argument #1', s.scp_recv, s, nil)
    T.raises('bad argument #2', s.scp_send, s, 'x')
    T.raises('bad argument #2', s.scp_sendfile, s, '/etc/hostname')

    -- concurrent transfers on one session and on two sessions
    local s2 <close> = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))
    local wg = require('eco.sync').waitgroup()
    local bad = {}
    for i, sess in ipairs({ s, s, s2, s2 }) do
        wg:add(1)
        eco.run(function()
            local data = S.bytes(200000 + i, i)
            local p = R .. '/par' .. i
            local r1, e1 = sess:scp_send(data, p)
            local back = sess:scp_recv(p)
            if not r1 or back ~= data then bad[#bad + 1] = i .. ': ' .. tostring(e1) end
            wg:done()
        end)
    end
    T.ok(wg:wait(30))
    T.eq(#bad, 0, table.concat(bad, ', '))

    -- the peer dies in the middle of a transfer: sshd's session process is killed while a large
    -- upload runs; the upload fails with an error (no hang), and so does the next call
    local big = dir .. '/big'
    os.execute('head -c 100000000 /dev/zero > ' .. big)
    local victim = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))
    local t0 = T.now()
    eco.run(function()
        eco.sleep(0.1)
        -- the per-connection sshd processes of the user (not the listener)
        os.execute('pkill -KILL -u ' .. S.USER .. ' -f "^sshd: ' .. S.USER .. '"')
        os.execute('pkill -KILL -f "^sshd: ' .. S.USER .. '"')
    end)
    ok, err = victim:scp_sendfile(big, R .. '/big')
    T.eq(ok, nil)
    T.ok(type(err) == 'string' and #err > 0, 'error text: ' .. tostring(err))
    T.ok(T.now() - t0 < 10, 'no hang')
    local o, e2 = victim:exec('echo after')
    T.eq(o, nil)
    T.ok(type(e2) == 'string', 'exec after the peer died fails')
    victim:free()

    -- the same during a download (into a string and into a file)
    os.execute('head -c 100000000 /dev/zero > ' .. R .. '/bigsrc')
    for _, dest in ipairs({ false, dir .. '/down' }) do
        victim = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))
        t0 = T.now()
        eco.run(function()
            eco.sleep(0.1)
            os.execute('pkill -KILL -f "^sshd: ' .. S.USER .. '"')
        end)
        ok, err = victim:scp_recv(R .. '/bigsrc', dest or nil)
        T.eq(ok, nil)
        T.ok(type(err) == 'string' and #err > 0, 'error text: ' .. tostring(err))
        T.ok(T.now() - t0 < 10, 'no hang')
        victim:free()
    end
end)
S.stop(srv)
