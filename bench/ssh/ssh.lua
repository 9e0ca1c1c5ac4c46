-- eco.ssh against OpenSSH, both talking to the same sshd (started here, tests/lib/sshtest.lua):
--   ssh_exec_true        exec('true') round trips per second on one session, for DURATION s
--   ssh_scp_sendfile     MB/s of a 100 MiB scp_sendfile
--   openssh_scp          MB/s of OpenSSH's scp of the same file (`scp -O`: the SCP protocol,
--                        with the cipher libssh2 negotiated, public-key login), best of RUNS
--   openssh_scp_default  the same with scp's defaults (SFTP protocol, its own cipher choice)
--   ssh_scp_vs_openssh   ratio ssh_scp_sendfile / openssh_scp
-- Prints `name value unit` lines. Run by bench/ssh.sh (needs root: it creates the test users).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'sshtest'
local ssh = require 'eco.ssh'
local time = require 'eco.time'
local sys = require 'eco.sys'

local DUR = tonumber(os.getenv('DURATION') or '5')
local RUNS = tonumber(os.getenv('RUNS') or '3')
local SIZE = 100 * 1024 * 1024

local srv = S.start()
local dir, q = srv.dir, T.sh_quote
assert(os.execute(('ssh-keygen -q -t ed25519 -N "" -f %s'):format(q(dir .. '/clientkey'))))
assert(os.execute(('cp %s %s && chmod 644 %s'):format(q(dir .. '/clientkey.pub'),
    q(dir .. '/authorized_keys'), q(dir .. '/authorized_keys'))))
local file = dir .. '/payload'
assert(os.execute(('head -c %d /dev/urandom > %s'):format(SIZE, q(file))))

local function mbs(dt) return SIZE / dt / 1e6 end

local function check_arrived(path)
    local size = tonumber((T.capture('stat -c %s ' .. q(path)):match('%d+')))
    assert(size == SIZE, 'incomplete copy: ' .. tostring(size))
    os.remove(path)
end

T.go(function()
    local s <close> = assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))

    local n, t0 = 0, time.now()
    while time.now() - t0 < DUR do
        assert(s:exec('true'))
        n = n + 1
    end
    print(('ssh_exec_true %.1f per_s'):format(n / (time.now() - t0)))

    local cipher = s.native:cipher()
    io.stderr:write('libssh2 cipher: ', tostring(cipher), '\n')

    local best = math.huge
    for _ = 1, RUNS do
        t0 = time.now()
        assert(s:scp_sendfile(file, srv.remote .. '/eco.bin'))
        best = math.min(best, time.now() - t0)
        check_arrived(srv.remote .. '/eco.bin')
    end
    local eco_mbs = mbs(best)
    print(('ssh_scp_sendfile %.1f MB/s'):format(eco_mbs))

    local function openssh(extra)
        local b = math.huge
        for _ = 1, RUNS do
            local t = time.now()
            local cmd = ('scp -q %s -P %d -i %s -o BatchMode=yes -o StrictHostKeyChecking=no '
                .. '-o UserKnownHostsFile=/dev/null %s %s@127.0.0.1:%s'):format(extra, srv.port,
                q(dir .. '/clientkey'), q(file), S.USER, q(srv.remote .. '/openssh.bin'))
            -- a child process waited for on the loop (a blocking os.execute would trip the watchdog)
            local p = assert(sys.exec('sh', '-c', cmd))
            local _, st = p:wait(600)
            assert(st and st.exited and st.status == 0, 'OpenSSH scp failed: ' .. cmd)
            b = math.min(b, time.now() - t)
            check_arrived(srv.remote .. '/openssh.bin')
        end
        return mbs(b)
    end
    local base = openssh('-O' .. (cipher and (' -c ' .. cipher) or ''))
    print(('openssh_scp %.1f MB/s'):format(base))
    print(('openssh_scp_default %.1f MB/s'):format(openssh('')))
    print(('ssh_scp_vs_openssh %.2f ratio'):format(eco_mbs / base))
end)
S.stop(srv)
