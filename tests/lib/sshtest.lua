-- Helpers for tests/ssh: a real OpenSSH sshd started by the test on 127.0.0.1 on a free port,
-- with its host key and config in a temp dir (`sshd -D -e -f cfg`, not the system service), and
-- the test users it logs in. Needs root (CI runs as root): the users are created once with
-- useradd + chpasswd when absent (idempotent):
--   ecossh        password S.PASSWORD (the main test user)
--   ecossh_empty  empty password: sshd (PermitEmptyPasswords yes) accepts "none" authentication
--   ecossh_nopw   a password, but sshd offers it no password authentication (Match block)
-- A missing sshd/ssh-keygen/useradd fails the test loudly.
local T = require 'testlib'
local socket = require 'eco.socket'

local S = {}

S.USER, S.PASSWORD = 'ecossh', 'eco-ssh-pw'
S.EMPTY_USER, S.NOPW_USER = 'ecossh_empty', 'ecossh_nopw'

local q, capture = T.sh_quote, T.capture

local function run(cmd)
    local ok, how, code = os.execute(cmd)
    if not ok then error(string.format('command failed (%s %s): %s', tostring(how), tostring(code), cmd), 2) end
end

local SSHD = '/usr/sbin/sshd'
for _, c in ipairs({ SSHD, 'ssh-keygen', 'useradd', 'chpasswd', 'passwd', 'scp' }) do
    if not os.execute('command -v ' .. c .. ' >/dev/null 2>&1') then
        io.stderr:write('FAIL: ' .. c .. ' is missing (apt-get install openssh-server openssh-client passwd)\n')
        os.exit(1)
    end
end

local function ensure_user(name, password)
    if not os.execute('id -u ' .. name .. ' >/dev/null 2>&1') then
        -- a concurrent run may have created it meanwhile: check again after a failure
        if not os.execute('useradd -m -s /bin/sh ' .. name .. ' >/dev/null 2>&1') then
            run('id -u ' .. name .. ' >/dev/null 2>&1')
        end
    end
    if password then
        run(string.format('echo %s | chpasswd', q(name .. ':' .. password)))
    else
        run('passwd -d ' .. name .. ' >/dev/null')
    end
end

--- A free TCP port on 127.0.0.1.
function S.free_port()
    local s = assert(socket.listen_tcp('127.0.0.1', 0))
    local port = s:getsockname().port
    s:close()
    return port
end

--- Starts sshd; returns a server table {port, dir, remote (a dir the users can write), log, pid}.
-- `extra`: more sshd_config lines.
function S.start(extra)
    ensure_user(S.USER, S.PASSWORD)
    ensure_user(S.EMPTY_USER, nil)
    ensure_user(S.NOPW_USER, 'nopw-secret')
    run('mkdir -p /run/sshd')
    local dir = T.tmpdir()
    run('chmod 755 ' .. q(dir))
    local remote = dir .. '/remote'
    run('mkdir -m 1777 ' .. q(remote))
    run(string.format('ssh-keygen -q -t ed25519 -N "" -f %s', q(dir .. '/hostkey')))
    local port = S.free_port()
    local cfg = dir .. '/sshd_config'
    local f = assert(io.open(cfg, 'w'))
    f:write(table.concat({
        'ListenAddress 127.0.0.1',
        'Port ' .. port,
        'HostKey ' .. dir .. '/hostkey',
        'PidFile ' .. dir .. '/sshd.pid',
        'UsePAM no',
        'PasswordAuthentication yes',
        'PermitEmptyPasswords yes',
        'KbdInteractiveAuthentication no',
        'AuthorizedKeysFile ' .. dir .. '/authorized_keys',
        'StrictModes no',
        'PermitRootLogin no',
        'MaxStartups 100',
        'MaxSessions 100',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        extra or '',
        'Match User ' .. S.NOPW_USER,
        '    PasswordAuthentication no',
        '',
    }, '\n'))
    f:close()
    local log = dir .. '/sshd.log'
    local pid = tonumber(capture(string.format('%s -D -e -f %s > %s 2>&1 < /dev/null & echo $!',
        SSHD, q(cfg), q(log))):match('%d+'))
    assert(pid, 'could not start sshd')
    local srv = { port = port, dir = dir, remote = remote, log = log, pid = pid }
    -- ready once it accepts connections
    for _ = 1, 200 do
        if os.execute(string.format('bash -c "exec 3<>/dev/tcp/127.0.0.1/%d" 2>/dev/null', port)) then
            return srv
        end
        if not os.execute('kill -0 ' .. pid .. ' 2>/dev/null') then break end
        os.execute('sleep 0.05')
    end
    error('sshd did not start: ' .. (capture('cat ' .. q(log)) or ''))
end

--- The sshd log so far.
function S.log(srv)
    return capture('cat ' .. q(srv.log))
end

--- Stops sshd and its session processes, removes the temp dirs.
function S.stop(srv)
    os.execute(string.format('kill %d 2>/dev/null; pkill -KILL -P %d 2>/dev/null', srv.pid, srv.pid))
    os.execute('sleep 0.1')
    T.remove_tmpdirs()
end

--- Reads a local file whole.
function S.read(path)
    local f = io.open(path, 'rb')
    if not f then return nil end
    local d = f:read('a')
    f:close()
    return d
end

--- Writes a local file.
function S.write(path, data)
    local f = assert(io.open(path, 'wb'))
    f:write(data)
    f:close()
end

--- Deterministic pseudo-random binary data of `n` bytes.
function S.bytes(n, seed)
    local chunks, t, x = {}, {}, seed or 1
    for i = 1, n do
        x = (x * 1103515245 + 12345) % 2147483648
        t[#t + 1] = string.char((x >> 16) & 255)
        if #t == 4096 or i == n then
            chunks[#chunks + 1] = table.concat(t)
            t = {}
        end
    end
    return table.concat(chunks)
end

return S
