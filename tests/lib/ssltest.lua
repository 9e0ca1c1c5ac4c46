-- Helpers for tests/ssl: certificates made with the `openssl` command into a temp dir, and real
-- `openssl s_server` / `s_client` peers run in the background (bounded by timeout(1)).
-- A missing `openssl` command fails the test loudly.
local eco = require 'eco'
local T = require 'testlib'

local S = {}

local sh_quote, capture = T.sh_quote, T.capture
S.q = sh_quote

local function run(cmd)
    local ok, how, code = os.execute(cmd)
    if not ok then error(string.format('command failed (%s %s): %s', tostring(how), tostring(code), cmd), 2) end
end

if not os.execute('command -v openssl >/dev/null 2>&1') then
    io.stderr:write('FAIL: the openssl command is missing (apt-get install openssl)\n')
    os.exit(1)
end

--- A fresh temp dir, removed by S.cleanup().
S.tmpdir = T.tmpdir

local KEY = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'

--- Self-signed certificate: returns cert path, key path.
function S.self_signed(dir, name, cn)
    local cert, key = dir .. '/' .. name .. '.pem', dir .. '/' .. name .. '.key'
    run(string.format('openssl req -x509 %s -subj %s -days 1 -keyout %s -out %s >/dev/null 2>&1',
        KEY, sh_quote('/CN=' .. cn), sh_quote(key), sh_quote(cert)))
    return cert, key
end

--- A CA and a leaf it signs: returns ca cert, leaf cert, leaf key.
function S.ca_and_leaf(dir, cn)
    local ca, cakey = dir .. '/ca.pem', dir .. '/ca.key'
    run(string.format('openssl req -x509 %s -subj /CN=eco-test-CA -days 1 -addext %s -keyout %s -out %s >/dev/null 2>&1',
        KEY, sh_quote('basicConstraints=critical,CA:TRUE'), sh_quote(cakey), sh_quote(ca)))
    local leaf, key, csr = dir .. '/leaf.pem', dir .. '/leaf.key', dir .. '/leaf.csr'
    run(string.format('openssl req -new %s -subj %s -keyout %s -out %s >/dev/null 2>&1',
        KEY, sh_quote('/CN=' .. cn), sh_quote(key), sh_quote(csr)))
    run(string.format('openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial -days 1 -out %s >/dev/null 2>&1',
        sh_quote(csr), sh_quote(ca), sh_quote(cakey), sh_quote(leaf)))
    return ca, leaf, key
end

--- Starts `cmd` (a shell command line) in the background, output to a log file.
-- stdin is /dev/null unless `stdin` names a file. Returns a process table {pid, log}.
function S.start(dir, name, cmd, stdin)
    local log = dir .. '/' .. name .. '.log'
    local line = string.format('%s < %s > %s 2>&1 & echo $!', cmd, sh_quote(stdin or '/dev/null'), sh_quote(log))
    local pid = tonumber((capture(line):match('%d+')))
    assert(pid, 'could not start: ' .. cmd)
    S.procs = S.procs or {}
    local p = { pid = pid, log = log }
    S.procs[#S.procs + 1] = p
    return p
end

function S.read_log(p)
    local f = io.open(p.log, 'rb')
    if not f then return '' end
    local s = f:read('a')
    f:close()
    return s
end

--- Waits (eco.sleep polling) until the log of `p` matches `pattern`; returns the captures.
function S.wait_log(p, pattern, timeout)
    local deadline = os.time() + (timeout or 10)
    while true do
        local s = S.read_log(p)
        local caps = { s:match(pattern) }
        if caps[1] then return table.unpack(caps) end
        if os.time() > deadline then
            error(string.format('timed out waiting for %q in the log of pid %d:\n%s', pattern, p.pid, s), 2)
        end
        eco.sleep(0.02)
    end
end

--- True while the process runs.
function S.alive(p)
    return os.execute('kill -0 ' .. p.pid .. ' 2>/dev/null') == true
end

--- Waits until the process has exited.
function S.wait_exit(p, timeout)
    local deadline = os.time() + (timeout or 10)
    while S.alive(p) do
        if os.time() > deadline then error('process ' .. p.pid .. ' did not exit', 2) end
        eco.sleep(0.02)
    end
end

--- `openssl s_server` on 127.0.0.1 with an ephemeral port; `args` is appended. Returns p, port.
function S.s_server(dir, name, args)
    local p = S.start(dir, name, 'exec timeout 60 openssl s_server -accept 127.0.0.1:0 ' .. args)
    local port = S.wait_log(p, 'ACCEPT [%d%.]+:(%d+)')
    return p, tonumber(port)
end

--- Kills every started process and removes the temp dirs.
function S.cleanup()
    for _, p in ipairs(S.procs or {}) do os.execute('kill ' .. p.pid .. ' 2>/dev/null') end
    S.procs = {}
    T.remove_tmpdirs()
end

--- Resident set size of this process in KiB.
function S.rss_kb()
    local f = assert(io.open('/proc/self/status'))
    local s = f:read('a')
    f:close()
    return tonumber(s:match('VmRSS:%s*(%d+)'))
end

return S
