-- eco.ubus call rate: a trivial method (`nop`, one empty reply) served by one connection and
-- called from another, both of this process, through the test broker crates/eco-ubusd-test
-- (std threads, one reader and one writer thread per client: its cost is part of the figures).
-- Baseline in the same run: raw PING round trips through the broker over a plain eco.socket
-- (12 bytes out; DATA + STATUS back, 32 bytes), what the broker and the socket cost alone; a call
-- is a LOOKUP round trip plus an INVOKE forwarded to the serving connection and back.
-- Figures: calls/s with 1 caller; with 50 concurrent callers (coroutines) sharing one
-- connection; with 50 callers on 50 connections.
-- The broker: $ECO_TEST_UBUSD, else target/{release,debug}/eco-ubusd-test
-- (cargo build -p eco-ubusd-test).
local eco = require 'eco'
local time = require 'eco.time'
local socket = require 'eco.socket'
local ubus = require 'eco.ubus'

local N = tonumber(os.getenv('UBUS_BENCH_N') or '') or 20000

local target = os.getenv('CARGO_TARGET_DIR') or 'target'
local broker = os.getenv('ECO_TEST_UBUSD')
if not broker then
    for _, p in ipairs({ target .. '/release/eco-ubusd-test', target .. '/debug/eco-ubusd-test' }) do
        local f = io.open(p)
        if f then
            f:close()
            broker = p
            break
        end
    end
end
assert(broker, 'eco-ubusd-test not found: cargo build -p eco-ubusd-test, or set ECO_TEST_UBUSD')

local dir = io.popen('mktemp -d'):read('l')
local path = dir .. '/ubus.sock'
local pid = tonumber(io.popen(string.format('%s -s %s >/dev/null 2>&1 & echo $!', broker, path)):read('l'))

local function rate(name, callers, shared)
    local srv = assert(ubus.connect(path))
    assert(srv:add('bench.obj', { nop = { function(req, _, con) con:reply(req, {}) end } }))
    local cons = {}
    for i = 1, shared and 1 or callers do cons[i] = assert(ubus.connect(path)) end
    -- warm up
    for _ = 1, 100 do assert(cons[1]:call('bench.obj', 'nop')) end
    local per = N // callers
    local left = callers
    local t0 = time.now()
    for i = 1, callers do
        eco.run(function()
            local c = cons[shared and 1 or i]
            for _ = 1, per do assert(c:call('bench.obj', 'nop')) end
            left = left - 1
        end)
    end
    while left > 0 do eco.sleep(0.001) end
    local dt = time.now() - t0
    print(('%s %.0f calls/s'):format(name, per * callers / dt))
    for _, c in ipairs(cons) do c:close() end
    srv:close()
    eco.sleep(0.05) -- the broker drops the object before the next round adds it again
end

local function ping_rate()
    local s = assert(socket.connect_unix(path))
    assert(s:readfull(12, 5)) -- HELLO
    local t0 = time.now()
    for i = 1, N do
        local seq = i & 0xffff
        s:send(string.char(0, 3, seq >> 8, seq & 0xff, 0, 0, 0, 0, 0, 0, 0, 4))
        assert(#assert(s:readfull(32, 5)) == 32)
    end
    local dt = time.now() - t0
    print(('ubus_baseline_ping %.0f round-trips/s'):format(N / dt))
    s:close()
end

eco.run(function()
    for _ = 1, 200 do
        local c = socket.connect_unix(path)
        if c then c:close() break end
        eco.sleep(0.01)
    end
    ping_rate()
    rate('ubus_call_1_caller', 1, true)
    rate('ubus_call_50_callers_1_conn', 50, true)
    rate('ubus_call_50_callers_50_conns', 50, false)
    os.execute('kill ' .. pid)
    os.execute('rm -rf ' .. dir)
end)
eco.loop()
