--- eco.sys: processes with captured output, signals as callbacks, process/system calls
-- (spec/sys.md).
--
-- `exec` starts a program with stdout and stderr on two pipes read through `eco.reader`.
-- Exit statuses reach process objects two ways: the scheduler reaps children on SIGCHLD and calls
-- the child hook installed here, which stores the status in the process object (and wakes its
-- waiter); and `process:wait` itself does a non-blocking `waitpid` and, while the child runs,
-- sleeps on a pidfd, which becomes readable when the child exits. So a child that exited before
-- the loop started (whose SIGCHLD the loop never saw) is still reaped and reported.
--
-- `signal` blocks the signal and reads it from a signalfd in a listener coroutine.
local eco = require 'eco'
local native, priv = ...

local spawn_exec, pidfd_open, close_fd = priv.spawn_exec, priv.pidfd_open, priv.close
local monotonic, park, wake, WOKEN = priv.monotonic, priv.park, priv.wake, priv.WOKEN
local waitpid = native.waitpid
local isyieldable, yield = coroutine.isyieldable, coroutine.yield

local M = {}

--- Seconds left until `deadline` (nil: none), or false once it passed (under the 1 ms timer
-- granularity, a shorter wait would mean "no timeout" to the core).
local function left(deadline)
    if not deadline then return nil end
    local rem = deadline - monotonic()
    if rem < 0.001 then return false end
    return rem
end

--- A deadline from a timeout argument (spec/eco.md 1: nil, 0, negative, non-numeric = none).
local function deadline_of(timeout)
    local t = tonumber(timeout)
    if t and t > 0 then return monotonic() + t end
    return nil
end

local function need_coroutine(level)
    if not isyieldable() then
        error('attempt to yield from outside a coroutine', level + 1)
    end
end

-- child statuses ---------------------------------------------------------------------------------

-- pid -> process object; weak, so a collected object's status is dropped (spec 2.1).
local procs = setmetatable({}, { __mode = 'v' })
local hooked = false

--- Stores `st` in `p` (replacing an earlier stop report) and wakes its waiter.
local function deliver(p, st)
    p.status = st
    if st.exited or st.signaled then
        p.done = true
        if procs[p.pid] == p then procs[p.pid] = nil end
    end
    local w = p.waiter
    if w then
        p.waiter = nil
        if type(w) == 'number' then wake(w) else w:cancel() end
    end
end

--- The scheduler's child hook: runs in the loop, must not block.
local function on_child(pid, st)
    local p = procs[pid]
    if p then deliver(p, st) end
end

local function ensure_hook()
    if not hooked then
        eco._set_sigchld_hook(on_child)
        hooked = true
    end
end

-- process object ---------------------------------------------------------------------------------

local process = {}
process.__index = process

--- `eco.reader:read` on the child's stdout. Fails with `"closed"` after `close()`.
function process:read_stdout(format, timeout)
    local rd = self.stdout_rd
    if not rd then return nil, 'closed' end
    return rd:read(format, timeout)
end

--- `eco.reader:read` on the child's stderr. Fails with `"closed"` after `close()`.
function process:read_stderr(format, timeout)
    local rd = self.stderr_rd
    if not rd then return nil, 'closed' end
    return rd:read(format, timeout)
end

--- Sleeps until the child changes state, the hook delivers a status, or `rem` seconds pass.
-- Returns true to look again, or nil, err.
local function sleep_on_child(self, rem)
    local fd = pidfd_open(self.pid)
    if fd then
        local io, ierr = eco.io(fd)
        if not io then
            close_fd(fd)
            return nil, ierr
        end
        self.waiter = io
        local ok, err = io:wait(eco.READ, rem)
        self.waiter = nil
        close_fd(fd)
        if ok or err == 'canceled' then return true end
        return nil, err
    end
    -- No pidfd (kernel < 5.3): park, woken by the hook; short slices catch a child that exited
    -- while no loop was running to see its SIGCHLD.
    local slice = (rem and rem < 0.1) and rem or 0.1
    self.waiter = park(slice)
    local outcome = yield()
    self.waiter = nil
    if outcome == WOKEN or not rem or rem > slice then return true end
    return nil, 'timeout'
end

--- Waits for the child's next status: `pid, status` or `nil, "timeout"` / `nil, err`.
-- `timeout` is a deadline for the whole call. A status is handed out once.
function process:wait(timeout)
    if self.waiting then
        error('another coroutine is already waiting on this process', 2)
    end
    local deadline = deadline_of(timeout)
    while true do
        local st = self.status
        if st then
            self.status = nil
            return self.pid, st
        end
        if self.done then
            -- The exit status was already handed out: nothing more will come.
            if not deadline then return nil, native.strerror(native.ECHILD) end
            need_coroutine(2)
            local rem = left(deadline)
            if rem then eco.sleep(rem) end
            return nil, 'timeout'
        end
        local pid, wst = waitpid(self.pid)
        if not pid then return nil, wst end
        if pid == self.pid then
            deliver(self, wst)
        else
            local rem = left(deadline)
            if rem == false then return nil, 'timeout' end
            need_coroutine(2)
            self.waiting = true
            local ok, err = sleep_on_child(self, rem)
            self.waiting = false
            -- (a status that arrives after a timeout stays cached for the next wait)
            if not ok then return nil, err end
        end
    end
end

--- `sys.kill(p.pid, sig)`.
function process:signal(sig)
    return native.kill(self.pid, sig)
end

--- `p:signal(sys.SIGKILL)`.
function process:kill()
    return native.kill(self.pid, native.SIGKILL)
end

--- SIGTERM, wait up to `timeout` (default 3 s), then SIGKILL and wait again.
function process:stop(timeout)
    timeout = timeout or 3
    local ok, err = self:signal(native.SIGTERM)
    if not ok then return nil, err end
    local pid, st = self:wait(timeout)
    if pid then return pid, st end
    if st ~= 'timeout' then return nil, st end
    ok, err = self:kill()
    if not ok then return nil, err end
    return self:wait(timeout)
end

--- Cancels pending reads (they fail with `"canceled"`) and closes both pipes. Does not signal or
-- reap the child. Idempotent.
function process:close()
    local o, e = self.stdout_rd, self.stderr_rd
    self.stdout_rd, self.stderr_rd = nil, nil
    if o then o:cancel() end
    if e then e:cancel() end
    if self.stdout_fd then close_fd(self.stdout_fd) end
    if self.stderr_fd then close_fd(self.stderr_fd) end
    self.stdout_fd, self.stderr_fd = nil, nil
end

process.__close = process.close

function process:__gc()
    self:close()
    -- Reap a child that already exited, so that no zombie outlives its object.
    if not self.done then waitpid(self.pid) end
end

-- exec / sh --------------------------------------------------------------------------------------

local function argstr(v)
    local t = type(v)
    if t == 'string' then return v end
    if t == 'number' then return tostring(v) end
    return nil
end

--- Starts a program: `exec(cmd, arg...)` or `exec({cmd, arg...}[, env])`, where `env` is an array
-- of `"NAME=value"` strings that becomes the child's whole environment. stdout and stderr go to
-- pipes, stdin is inherited. Returns a process object, or nil, err when the pipes or the fork
-- fail (a program that cannot be run still gives a process: it exits 127 with the error on stderr).
function M.exec(...)
    local argv, env = {}, nil
    local first = ...
    if type(first) == 'table' then
        for i = 1, math.huge do
            local a = argstr(first[i])
            if not a then break end
            argv[i] = a
        end
        local e = select(2, ...)
        if type(e) == 'table' then
            env = {}
            for i = 1, #e do
                local kv = argstr(e[i])
                if kv then env[#env + 1] = kv end
            end
        end
        first = first[1]
    else
        for i = 1, select('#', ...) do
            local a = argstr((select(i, ...)))
            if not a then break end
            argv[i] = a
        end
    end
    if not argstr(first) then
        error(string.format("bad argument #1 to 'exec' (string expected, got %s)", type(first)), 2)
    end
    ensure_hook()
    local pid, outfd, errfd = spawn_exec(argv, env)
    if not pid then return nil, outfd end
    local ord, err = eco.reader(outfd)
    local erd
    if ord then erd, err = eco.reader(errfd) end
    local p = setmetatable({
        pid = pid, stdout_fd = outfd, stderr_fd = errfd, stdout_rd = ord, stderr_rd = erd,
    }, process)
    procs[pid] = p
    if not erd then
        p:close()
        return nil, err
    end
    return p
end

--- Runs a command to completion within `timeout` seconds (default 30) and returns its whole
-- stdout and stderr (the exit status is not reported), or nil, nil, err. A string runs through
-- `/bin/sh -c`, a table `{program, args...}` directly.
function M.sh(cmd, timeout)
    local tc = type(cmd)
    if tc ~= 'string' and tc ~= 'table' then
        error('cmd must be a string or table', 2)
    end
    if tc == 'table' and type(cmd[1]) ~= 'string' and type(cmd[1]) ~= 'number' then
        -- checked here so that the error names `sh`, not the `exec` it would reach
        error(string.format("bad argument #1 to 'sh' (program name expected in cmd[1], got %s)",
            type(cmd[1])), 2)
    end
    need_coroutine(2)
    local p, err
    if tc == 'string' then
        p, err = M.exec('/bin/sh', '-c', cmd)
    else
        p, err = M.exec(cmd)
    end
    if not p then return nil, nil, err end
    local deadline = deadline_of(timeout == nil and 30 or timeout)

    -- Both pipes are drained concurrently, each in its own coroutine, while this one waits
    -- for the exit; the last reader to finish wakes this one.
    local res = { pending = 2 }
    local function drain(which)
        local data, rerr = p['read_' .. which](p, 'a')
        res[which], res[which .. '_err'] = data, rerr
        res.pending = res.pending - 1
        if res.pending == 0 and res.tok then wake(res.tok) end
    end
    eco.run(drain, 'stdout')
    eco.run(drain, 'stderr')

    local timed_out = false
    local rem = left(deadline)
    local pid, st
    if rem == false then
        timed_out = true
    else
        pid, st = p:wait(rem)
        if not pid then
            if st ~= 'timeout' then
                p:close()
                return nil, nil, st
            end
            timed_out = true
        end
    end
    if not timed_out and res.pending > 0 then
        rem = left(deadline)
        if rem == false then
            timed_out = true
        else
            res.tok = park(rem)
            local outcome = yield()
            res.tok = nil
            if outcome ~= WOKEN then timed_out = true end
        end
    end
    p:close()
    if timed_out then
        -- (an already reaped child is not signalled: its pid may belong to another process now)
        if not p.done and native.kill(p.pid, native.SIGTERM) then
            if not p:wait(0.2) and native.kill(p.pid, native.SIGKILL) then
                p:wait(1)
            end
        end
        return nil, nil, 'timeout'
    end
    if res.stdout == nil then return nil, nil, res.stdout_err end
    if res.stderr == nil then return res.stdout, nil, res.stderr_err end
    return res.stdout, res.stderr
end

-- spawn ------------------------------------------------------------------------------------------

--- Runs `f` in a forked child with its own scheduler; returns the child's pid in the parent.
-- The child exits with status 0 when its loop ends (1 if `f` raises), without running the
-- finalizers of inherited objects; it is killed when the parent dies.
function M.spawn(f)
    assert(type(f) == 'function', 'function expected')
    io.stdout:flush() -- buffered output would otherwise be written twice
    local parent = native.getpid()
    local pid, err = native.fork()
    if not pid then return nil, err end
    if pid == 0 then
        eco._init()
        native.prctl(native.PR_SET_PDEATHSIG, native.SIGKILL)
        -- the parent may have died before the death signal was armed
        if native.getppid() ~= parent then native.kill(native.getpid(), native.SIGKILL) end
        eco.run(f)
        eco.loop()
        os.exit(0, false)
    end
    return pid
end

-- signal -----------------------------------------------------------------------------------------

local sighandle = {}
sighandle.__index = sighandle

--- Stops the listener, closes the descriptor and unblocks the signal. Idempotent.
function sighandle:close()
    if self.closed then return end
    self.closed = true
    self.rd:cancel()
    close_fd(self.fd)
    native.sigprocmask(native.SIG_UNBLOCK, self.signum)
end

sighandle.__gc = sighandle.close
sighandle.__close = sighandle.close

local function listen(h, cb, args)
    local rd = h.rd
    while not h.closed do
        -- one signalfd_siginfo per delivery
        local data = rd:readfull(128)
        if not data or h.closed then return end
        cb(table.unpack(args, 1, args.n))
    end
end

--- Calls `cb(...)` in a coroutine of its own each time `signum` is delivered; returns a handle
-- with `close()`, or nil, err. SIGCHLD is reserved for the scheduler.
function M.signal(signum, cb, ...)
    if signum == native.SIGCHLD then
        error('SIGCHLD is reserved by eco scheduler', 2)
    end
    if math.type(signum) ~= 'integer' then
        error(string.format("bad argument #1 to 'signal' (number expected, got %s)", type(signum)), 2)
    end
    if type(cb) ~= 'function' then
        error(string.format("bad argument #2 to 'signal' (function expected, got %s)", type(cb)), 2)
    end
    local ok, err = native.sigprocmask(native.SIG_BLOCK, signum)
    if not ok then return nil, err end
    local fd
    fd, err = native.signalfd(signum)
    if not fd then
        native.sigprocmask(native.SIG_UNBLOCK, signum)
        return nil, err
    end
    local rd
    rd, err = eco.reader(fd)
    if not rd then
        close_fd(fd)
        native.sigprocmask(native.SIG_UNBLOCK, signum)
        return nil, err
    end
    -- `sfd`: the name lua-eco scripts read the descriptor under (spec/sys.md 5)
    local h = setmetatable({ signum = signum, fd = fd, sfd = fd, rd = rd, closed = false }, sighandle)
    eco.run(listen, h, cb, table.pack(...))
    return h
end

return setmetatable(M, { __index = native })
