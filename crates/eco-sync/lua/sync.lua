--- eco.sync: condition variable, mutex and wait group (spec/sync.md).
-- Waiters park with the scheduler through the native `park` and sleep in `coroutine.yield()`;
-- the yield returns the wait's outcome (WOKEN, TIMEOUT). Waiter queues are FIFO queues of wait
-- tokens; a token whose wait already ended stays in the queue and is skipped, since `wake` on it
-- fails (tokens are never reused). Values handed to a cond waiter are kept by token.
local native = ...

local park, wake = native.park, native.wake
local WOKEN = native.WOKEN
local yield, isyieldable = coroutine.yield, coroutine.isyieldable

local M = {}

local function new_queue()
    return { head = 1, tail = 0 }
end

local function pop(q)
    local h = q.head
    if h > q.tail then return nil end
    local w = q[h]
    q[h] = nil
    q.head = h + 1
    return w
end

--- Parks the caller as the last waiter of queue `q`; returns its token and the outcome.
local function wait_in(q, timeout)
    if not isyieldable() then
        error('attempt to yield from outside a coroutine', 3)
    end
    local t = q.tail + 1 -- before parking: a bad self must not leave a wait behind
    local tok = park(timeout)
    q.tail = t
    q[t] = tok
    return tok, yield()
end

--- Wakes the first waiter of `q` still waiting; returns its token, or nil.
local function wake_one(q)
    while true do
        local tok = pop(q)
        if not tok then return nil end
        if wake(tok) then return tok end
    end
end

--- Raises `bad argument #1 to 'wait'` at the caller of `wait` unless `timeout` is nil or a
-- number (a numeric string too, as the native `park` reads it).
local function check_timeout(timeout)
    if timeout == nil or type(timeout) == 'number' then return end
    if type(timeout) == 'string' and tonumber(timeout) then return end
    error("bad argument #1 to 'wait' (number expected, got " .. type(timeout) .. ')', 3)
end

-- marks, in a cond's `vals`, a waiter woken by `close`
local CLOSED = {}

-- cond ------------------------------------------------------------------------------------------

local cond = {}
cond.__index = cond

--- Waits for `signal`/`broadcast`/`close`; `timeout` is a deadline for the whole call.
function cond:wait(timeout)
    if timeout ~= nil and type(timeout) ~= 'number' then check_timeout(timeout) end
    if self.closed then return nil, 'closed' end
    local tok, outcome = wait_in(self.q, timeout)
    if outcome == WOKEN then
        local vals = self.vals
        local v = vals[tok]
        if v == nil then return true end
        vals[tok] = nil
        if v == CLOSED then return nil, 'closed' end
        return v
    end
    return nil, 'timeout'
end

--- Wakes one waiter, handing it `data`. Returns whether there was one.
function cond:signal(data)
    if self.closed then return false end
    local tok = wake_one(self.q)
    if not tok then return false end
    if data then self.vals[tok] = data end
    return true
end

--- Wakes every current waiter; returns how many.
function cond:broadcast()
    if self.closed then return 0 end
    local q, n = self.q, 0
    self.q = new_queue()
    while wake_one(q) do n = n + 1 end
    return n
end

--- Wakes every waiter with `nil, "closed"`; later calls see the cond closed. Idempotent.
function cond:close()
    if self.closed then return end
    self.closed = true
    local q = self.q
    self.q = new_queue()
    local vals = self.vals
    while true do
        local tok = wake_one(q)
        if not tok then break end
        vals[tok] = CLOSED
    end
end

cond.__gc = cond.close
cond.__close = cond.close

function M.cond()
    return setmetatable({ q = new_queue(), vals = {}, closed = false }, cond)
end

-- mutex -----------------------------------------------------------------------------------------

local mutex = {}
mutex.__index = mutex

--- Takes the lock (without yielding when free), or waits for it to be handed over.
function mutex:lock(timeout)
    if not self.locked then
        self.locked = true
        return true
    end
    local _, outcome = wait_in(self.q, timeout)
    if outcome == WOKEN then return true end
    return nil, 'timeout'
end

--- Takes the lock if it is free, without waiting. @return true if it took it, else false
function mutex:trylock()
    if self.locked then return false end
    self.locked = true
    return true
end

--- Hands the lock to the next waiter (it stays locked), or frees it.
function mutex:unlock()
    if not self.locked then error('unlock of unlocked mutex', 2) end
    local q = self.q
    if q.head > q.tail or not wake_one(q) then self.locked = false end
end

function M.mutex()
    return setmetatable({ locked = false, q = new_queue() }, mutex)
end

-- waitgroup -------------------------------------------------------------------------------------

local waitgroup = {}
waitgroup.__index = waitgroup

function waitgroup:add(delta)
    local n = self.n + delta
    if n < 0 then error('negative waitgroup counter', 2) end
    self.n = n
end

function waitgroup:done()
    local n = self.n - 1
    if n < 0 then error('negative wait group counter', 2) end
    self.n = n
    if n == 0 then
        local q = self.q
        self.q = new_queue()
        while wake_one(q) do end
    end
end

function waitgroup:wait(timeout)
    if timeout ~= nil and type(timeout) ~= 'number' then check_timeout(timeout) end
    if self.n == 0 then return true end
    local _, outcome = wait_in(self.q, timeout)
    if outcome == WOKEN then return true end
    return nil, 'timeout'
end

function M.waitgroup()
    return setmetatable({ n = 0, q = new_queue() }, waitgroup)
end

return M
