--- eco.ssh: SSH-2 client sessions (password authentication, exec, SCP) on libssh2 (docs/ssh.md).
-- A session object holds the TCP socket (`sock`, an eco.socket), the native libssh2 session
-- (`native`), a readiness waiter on the socket (`io`) and `disconnected`. Every native call is one
-- non-blocking step: values, or `false, dirs` when libssh2 would block (dirs: 1 inbound,
-- 2 outbound, 3 both/unknown, 0 "call again at once"), or `nil, err`. `run` repeats a step,
-- parking the coroutine on the socket in the directions libssh2 reports.
local eco = require 'eco'
local sync = require 'eco.sync'
local socket = require 'eco.socket'
local native = ...

local M = {}

local now = native.now
local READ, WRITE = eco.READ, eco.WRITE

local STEP_TIMEOUT = 5    -- handshake, auth, channel open: per wait; channel control: total
local DATA_TIMEOUT = 3    -- SCP data: per wait
local EXEC_TIMEOUT = 30   -- exec output: overall
local BURST = 20          -- productive steps in a row before a 1 ms sleep
local CHUNK = 65536       -- SCP read/write chunk
local SLICE = 0.05        -- a coroutine waiting behind another one's socket wait retries this often
local POLL = 0.2          -- a socket wait retries the step at least this often

-- Linux signal numbers of exec's exit signals (exitcode = 128 + number)
local SIGNALS = {
    HUP = 1, INT = 2, QUIT = 3, ILL = 4, TRAP = 5, ABRT = 6, BUS = 7, FPE = 8, KILL = 9, USR1 = 10,
    SEGV = 11, USR2 = 12, PIPE = 13, ALRM = 14, TERM = 15, STKFLT = 16, CHLD = 17, CONT = 18,
    STOP = 19, TSTP = 20, TTIN = 21, TTOU = 22, URG = 23, XCPU = 24, XFSZ = 25, VTALRM = 26,
    PROF = 27, WINCH = 28, POLL = 29, PWR = 30, SYS = 31,
}

local function argerror(n, fname, expected, v)
    error(string.format("bad argument #%d to '%s' (%s expected, got %s)", n, fname, expected,
        v == nil and 'no value' or type(v)), 3)
end

local session = {}
local mt = { __index = session, __name = 'eco.ssh.session' }

--- Waits for the socket (directions `dirs`) until the absolute time `until_`.
-- Returns true (retry the step; `woken` when the socket was reported ready) or nil, err.
local function wait(self, dirs, until_)
    local left = until_ - now()
    if left <= 0 then return nil, 'timeout' end
    if not coroutine.isyieldable() then return nil, 'would block' end
    if self.waiting then
        -- another coroutine of this session waits on the socket: its wake-up is ours too; short
        -- slices, for when it waits for the other direction
        local ok = self.cond:wait(math.min(left, SLICE))
        return true, ok == true
    end
    local ev = dirs == 1 and READ or dirs == 2 and WRITE or (READ | WRITE)
    -- the answer we wait for is acknowledged at once (else sshd's next write can stall 40 ms)
    if ev ~= WRITE then self.native:quickack() end
    self.waiting = true
    -- at most POLL seconds: then the step is tried again (a safety net, should libssh2 hold
    -- something that the socket does not announce)
    local ok, err = self.io:wait(ev, math.min(left, POLL))
    self.waiting = false
    self.cond:broadcast()
    if not ok and err == 'timeout' and left > POLL then return true, false end
    if not ok then
        -- kicked by another coroutine's step (see run): retry
        if err == 'canceled' and self.kick and not self.closing then
            self.kick = false
            return true, true
        end
        return nil, err
    end
    return true, true
end

--- Repeats the native step `step(native, ...)` until it does not report "would block".
-- `per_wait`: limit of each wait (seconds) or nil; `deadline`: absolute limit of the whole call
-- or nil. Returns the step's values, or nil, err ("timeout", "canceled", library text).
local function run(self, per_wait, deadline, step, ...)
    local waited, until_ = false, nil
    while true do
        if self.freed then return nil, 'canceled' end
        -- Another coroutine waiting on the socket: when this step reads from the socket it may
        -- take (and queue in libssh2) what that one waits for, and the socket would not wake it:
        -- then it retries now.
        local other = self.waiting and self.native:pending() > 0
        local a, b, c = step(self.native, ...)
        if other then
            self.kick = true
            self.io:cancel()
            self.cond:broadcast()
        end
        if a == nil and self.closing then return nil, 'canceled' end
        if a ~= false then
            if a ~= nil and not waited then
                -- productive steps in a row: let the other coroutines run now and then
                local n = self.burst + 1
                if n > BURST and coroutine.isyieldable() then
                    n = 0
                    eco.sleep(0.001)
                end
                self.burst = n
            end
            return a, b, c
        end
        if b == 0 then
            -- progress, call again at once (a few times in a row, then let the others run)
            until_ = nil
            local n = self.burst + 1
            if n > BURST and coroutine.isyieldable() then
                n = 0
                eco.sleep(0.001)
            end
            self.burst = n
        else
            if not until_ then
                until_ = per_wait and now() + per_wait or deadline
                if deadline and until_ > deadline then until_ = deadline end
            end
            local ok, err = wait(self, b, until_)
            if not ok then return nil, err end
            if err then until_ = nil end -- woken: the next wait gets a fresh limit
            waited = true
            self.burst = 0
        end
    end
end

--- Opens a channel with the native step `step` (channel, scp_recv, scp_send). libssh2 keeps the
-- state of a pending open in the session, so one coroutine at a time opens (the others wait for
-- the session's `opening` mutex within the same 5 s).
local function open(self, step, ...)
    local m = self.opening
    local ok, err = m:lock(STEP_TIMEOUT)
    if not ok then return nil, err end
    local a, b = run(self, STEP_TIMEOUT, nil, step, ...)
    m:unlock()
    return a, b
end

--- Closes then frees channel `id` (close waits at most 5 s; errors ignored).
local function finish(self, id)
    if self.freed then return end
    run(self, nil, now() + STEP_TIMEOUT, self.native.close, id)
    if not self.freed then self.native:free_channel(id) end
end

local function live(self, fname)
    if self.freed then error('session freed', 3) end
    if type(self) ~= 'table' or getmetatable(self) ~= mt then
        error(string.format("bad argument #1 to '%s' (eco.ssh.session expected)", fname), 3)
    end
    return self.native
end

-- The script that kills a timed-out command. libssh2 < 1.11 (and the ssh2 crate) cannot send
-- the "signal" channel request on a channel whose command runs, so a second channel of the same
-- session kills it: the command's process is a child of the same per-connection sshd process
-- as this script's shell ($PPID), a session leader (sshd runs it with setsid), and its command
-- line is `<shell> -c <cmd>` (or <cmd> itself when the shell exec'd a simple command). Its
-- process group gets SIGKILL. Needs /proc (Linux servers).
local KILLER = [[
C=%s
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$$" ] && continue
  s=$(cat "$d/stat" 2>/dev/null) || continue
  s=${s##*) }
  set -- $s
  [ "$2" = "$PPID" ] || continue
  if grep -qzxF -e "$C" "$d/cmdline" 2>/dev/null || [ "$(tr '\0' ' ' < "$d/cmdline")" = "$C " ]; then
    kill -KILL -"$p" 2>/dev/null || kill -KILL "$p"
  fi
done
]]

local function shell_quote(s)
    return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function exec(self, ns, cmd, timeout, killing)
    local id, err = open(self, ns.channel)
    if not id then return nil, err end

    local ok
    ok, err = run(self, nil, now() + STEP_TIMEOUT, ns.exec, id, cmd)
    if not ok then
        if not self.freed then ns:free_channel(id) end
        return nil, err
    end

    -- stdout and stderr are collected together (no stall when one of them fills the window);
    -- the output is all of stdout, then all of stderr
    ok, err = run(self, nil, now() + timeout, ns.exec_read, id)
    if not ok then
        if self.freed then return nil, err end
        -- freed without waiting for the peer's close (it comes when the command ends)
        ns:free_channel(id)
        if err == 'timeout' and not killing then
            exec(self, ns, KILLER:format(shell_quote(cmd)), STEP_TIMEOUT, true)
        end
        return nil, err
    end

    ok, err = run(self, nil, now() + STEP_TIMEOUT, ns.close, id)
    if not ok then
        if not self.freed then ns:free_channel(id) end
        return nil, err
    end
    local code, sig = ns:exit_status(id)
    local out = ns:output(id)
    ns:free_channel(id)
    if sig then
        local n = SIGNALS[sig]
        if n then code = 128 + n end
    end
    return out, code, sig
end

--- session:exec(cmd[, timeout]) -> output, exitcode, exitsignal | nil, err
function session:exec(cmd, timeout)
    if type(cmd) ~= 'string' then argerror(1, 'exec', 'string', cmd) end
    if timeout ~= nil and type(timeout) ~= 'number' then argerror(2, 'exec', 'number', timeout) end
    local ns = live(self, 'exec')
    return exec(self, ns, cmd, timeout or EXEC_TIMEOUT)
end

--- session:scp_recv(source[, dest]) -> content | nbytes | nil, err
function session:scp_recv(source, dest)
    if type(source) ~= 'string' then argerror(1, 'scp_recv', 'string', source) end
    if dest ~= nil and type(dest) ~= 'string' then argerror(2, 'scp_recv', 'string', dest) end
    local ns = live(self, 'scp_recv')

    local id, size = open(self, ns.scp_recv, source)
    if not id then return nil, size end

    local f, err
    if dest then
        f, err = io.open(dest, 'w')
        if not f then
            finish(self, id)
            return nil, err
        end
    end

    local parts, got = {}, 0
    while got < size do
        local data
        data, err = run(self, DATA_TIMEOUT, nil, ns.read, id, math.min(size - got, CHUNK))
        if not data then break end
        if #data == 0 then
            err = 'unexpected eof'
            break
        end
        got = got + #data
        if f then
            local ok, werr = f:write(data)
            if not ok then
                err = werr
                break
            end
        else
            parts[#parts + 1] = data
        end
    end
    if f then f:close() end
    finish(self, id)
    if got < size then return nil, err end
    if dest then return got end
    return table.concat(parts)
end

--- Writes the chunks produced by `next_chunk()` (nil at the end, or nil, err) to channel `id`.
local function send_all(self, id, next_chunk)
    local ns = self.native
    while true do
        local data, rerr = next_chunk()
        if not data then return rerr == nil, rerr end
        local off, len = 0, #data
        while off < len do
            local n, err = run(self, DATA_TIMEOUT, nil, ns.write, id, data, off)
            if not n then return nil, err end
            off = off + n
        end
    end
end

--- Ends an SCP upload: send-EOF, wait-EOF, wait-closed (each within 5 s, errors ignored), free.
local function finish_send(self, id)
    local ns = self.native
    run(self, nil, now() + STEP_TIMEOUT, ns.send_eof, id)
    run(self, nil, now() + STEP_TIMEOUT, ns.wait_eof, id)
    run(self, nil, now() + STEP_TIMEOUT, ns.wait_closed, id)
    finish(self, id)
end

--- session:scp_send(data, dest) -> true | nil, err
function session:scp_send(data, dest)
    if type(data) ~= 'string' then argerror(1, 'scp_send', 'string', data) end
    if type(dest) ~= 'string' then argerror(2, 'scp_send', 'string', dest) end
    local ns = live(self, 'scp_send')

    local id, err = open(self, ns.scp_send, dest, 420, #data) -- 0644
    if not id then return nil, err end

    local sent = false
    local ok
    ok, err = send_all(self, id, function()
        if sent then return nil end
        sent = true
        return data
    end)
    finish_send(self, id)
    if not ok then return nil, err end
    return true
end

--- session:scp_sendfile(source, dest) -> true | nil, err
function session:scp_sendfile(source, dest)
    if type(source) ~= 'string' then argerror(1, 'scp_sendfile', 'string', source) end
    if type(dest) ~= 'string' then argerror(2, 'scp_sendfile', 'string', dest) end
    local ns = live(self, 'scp_sendfile')

    local mode, size, regular = native.stat(source)
    if not mode then return nil, size end
    if not regular then return nil, source .. ': not a regular file' end

    local id, err = open(self, ns.scp_send, dest, mode & 511, size)
    if not id then return nil, err end

    local f
    f, err = io.open(source, 'rb')
    if not f then
        finish(self, id)
        return nil, err
    end
    local left = size
    local ok
    ok, err = send_all(self, id, function()
        if left <= 0 then return nil end
        local chunk, rerr = f:read(math.min(CHUNK, left))
        if not chunk then return nil, rerr or 'unexpected eof' end
        left = left - #chunk
        return chunk
    end)
    f:close()
    finish_send(self, id)
    if not ok then return nil, err end
    return true
end

--- session:disconnect([reason[, description]]) -> true | nil, err
function session:disconnect(reason, description)
    if reason ~= nil and math.type(reason) ~= 'integer' then argerror(1, 'disconnect', 'integer', reason) end
    if description ~= nil and type(description) ~= 'string' then argerror(2, 'disconnect', 'string', description) end
    if self.freed then return true end
    self.disconnected = true
    local ok, err = run(self, nil, now() + STEP_TIMEOUT, self.native.disconnect, reason or 11,
        description or 'Normal Shutdown')
    if not ok then return nil, err end
    return true
end

--- session:free(): disconnects (unless done), frees the libssh2 session and every channel,
-- closes the socket. Idempotent; also `__close` and `__gc`.
function session:free()
    if self.freed or self.closing then return end
    self.closing = true
    if not self.disconnected then pcall(session.disconnect, self) end
    local ns = self.native
    -- channels a canceled coroutine left open: closed within 5 s when this can wait
    if ns:open_channels() > 0 and coroutine.isyieldable() then
        pcall(run, self, nil, now() + STEP_TIMEOUT, ns.close_channels)
    end
    self.freed = true
    ns:free()
    -- coroutines still inside a method of this session return nil, "canceled"
    self.kick = false
    self.io:cancel()
    self.cond:broadcast()
    self.sock:close()
end

mt.__close = function(self) session.free(self) end
mt.__gc = function(self) pcall(session.free, self) end

--- ssh.new(ipaddr, port, username[, password]) -> session | nil, err
function M.new(ipaddr, port, username, password)
    if type(ipaddr) ~= 'string' then argerror(1, 'new', 'string', ipaddr) end
    if math.type(port) ~= 'integer' then argerror(2, 'new', 'integer', port) end
    if type(username) ~= 'string' then argerror(3, 'new', 'string', username) end
    if password ~= nil and type(password) ~= 'string' then argerror(4, 'new', 'string', password) end
    if not socket.is_ipv4_address(ipaddr) and not socket.is_ipv6_address(ipaddr) then
        return nil, 'invalid ipaddr: ' .. ipaddr
    end

    -- no Nagle delay: SSH sends many small packets and waits for the answers (as OpenSSH does)
    local sock, err = socket.connect_tcp(ipaddr, port)
    if not sock then return nil, err end
    sock:setoption('tcp_nodelay', true)
    local fd = sock:getfd()
    local ns
    ns, err = native.session(fd)
    if not ns then
        sock:close()
        return nil, err
    end
    local io = eco.io(fd)
    local self = setmetatable({
        native = ns, sock = sock, io = io, cond = sync.cond(), opening = sync.mutex(),
        disconnected = false, burst = 0,
    }, mt)

    -- failures after connect: the native state is freed and the socket closed, no disconnect
    local function abort(e)
        self.disconnected = true
        self.freed = true
        ns:free()
        sock:close()
        return nil, e
    end

    local ok
    ok, err = run(self, STEP_TIMEOUT, nil, ns.handshake)
    if not ok then return abort(err == 'timeout' and 'handshake timeout' or err) end

    local list
    list, err = run(self, STEP_TIMEOUT, nil, ns.auth_list, username)
    if not list then return abort(err == 'timeout' and 'userauth_list timeout' or err) end

    if list:find('password', 1, true) then
        if password == nil then
            abort()
            argerror(4, 'new', 'string', password)
        end
        ok, err = run(self, STEP_TIMEOUT, nil, ns.auth_password, username, password)
        if not ok then return abort(err == 'timeout' and 'authentication timeout' or err) end
    end
    return self
end

return M
