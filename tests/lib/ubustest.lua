-- Helpers for tests/ubus: starts the test-only ubusd-compatible broker (crates/eco-ubusd-test,
-- built by `cargo xtask test`, path in ECO_TEST_UBUSD) on a socket in a fresh temp dir, in the
-- background (bounded by timeout(1)), and stops it. A missing broker fails loudly.
local eco = require 'eco'
local socket = require 'eco.socket'
local T = require 'testlib'

local U = {}

U.UBUSD = os.getenv('ECO_TEST_UBUSD')
if not U.UBUSD or not io.open(U.UBUSD) then
    io.stderr:write('FAIL: the test broker is missing (ECO_TEST_UBUSD=' .. tostring(U.UBUSD)
        .. '; `cargo xtask test` builds it: cargo build -p eco-ubusd-test)\n')
    os.exit(1)
end

--- Starts a broker; returns { path, pid, stop = fn, restart = fn }. Needs a coroutine.
function U.broker(dir)
    dir = dir or T.tmpdir()
    local b = { path = dir .. '/ubus.sock', dir = dir }
    function b.start()
        local pidfile = dir .. '/pid'
        os.remove(pidfile)
        os.remove(b.path)
        local inner = string.format('echo $$ > %s; exec timeout -s KILL 120 %s -s %s',
            T.sh_quote(pidfile), T.sh_quote(U.UBUSD), T.sh_quote(b.path))
        assert(os.execute(string.format('sh -c %s >>%s 2>&1 &', T.sh_quote(inner),
            T.sh_quote(dir .. '/log'))), 'cannot start the broker')
        local deadline = os.time() + 10
        while true do
            local c = socket.connect_unix(b.path)
            if c then
                c:close()
                break
            end
            if os.time() > deadline then error('the broker did not start') end
            eco.sleep(0.02)
        end
        local pf = assert(io.open(pidfile))
        b.pid = assert(math.tointeger(pf:read('n')))
        pf:close()
        b.stopped = false
    end
    function b.stop()
        if b.stopped then return end
        b.stopped = true
        os.execute(string.format('kill -TERM %d 2>/dev/null', b.pid))
        local dl = os.time() + 10
        while true do
            local c = socket.connect_unix(b.path)
            if not c then break end
            c:close()
            if os.time() > dl then error('the broker did not stop') end
            eco.sleep(0.02)
        end
        os.remove(b.path)
    end
    b.start()
    return b
end

--- Waits up to `timeout` seconds for `cond()` to be true; returns whether it became true.
function U.wait_for(cond, timeout)
    local deadline = T.now() + (timeout or 3)
    while not cond() do
        if T.now() > deadline then return false end
        eco.sleep(0.01)
    end
    return true
end

return U
