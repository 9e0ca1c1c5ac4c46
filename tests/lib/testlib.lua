-- Minimal assertion helpers shared by every Lua test under tests/.
-- A test file does:
--   local eco = require 'eco'
--   local T = require 'testlib'
--   T.go(function() ... T.eq(a, b) ... end)      -- body runs in an eco.run coroutine
-- T.go runs eco.loop(), then fails the process (exit 1) unless the body finished and
-- eco.count() drained back to what it was before (a leaked coroutine fails the test).
local eco = require 'eco'

local T = {}

local function fail(msg, level)
    error(msg, (level or 1) + 1)
end

local function show(v)
    if type(v) == 'string' then return string.format('%q', v) end
    return tostring(v)
end

function T.eq(a, b, msg)
    if a ~= b then
        fail(string.format('%sexpected %s, got %s', msg and (msg .. ': ') or '', show(b), show(a)), 2)
    end
end

function T.ok(v, msg)
    if not v then fail(msg or 'expected a true value', 2) end
    return v
end

-- Compares the values returned by a call with the expected list, including their count.
function T.same(expected, ...)
    local n = select('#', ...)
    if n ~= #expected and not expected.n then
        fail(string.format('expected %d values, got %d (%s)', #expected, n, show((...))), 2)
    end
    for i = 1, math.max(n, expected.n or #expected) do
        local got = select(i, ...)
        if got ~= expected[i] then
            fail(string.format('value #%d: expected %s, got %s', i, show(expected[i]), show(got)), 2)
        end
    end
end

-- Calls f(...) and asserts that it raises an error whose text contains `substr` (plain match).
function T.raises(substr, f, ...)
    local ok, err = pcall(f, ...)
    if ok then fail('expected an error containing ' .. show(substr), 2) end
    if not tostring(err):find(substr, 1, true) then
        fail(string.format('error %s does not contain %s', show(tostring(err)), show(substr)), 2)
    end
    return err
end

-- Monotonic-enough wall time in seconds for coarse timing checks.
function T.now()
    local ok, time = pcall(require, 'eco.time')
    if ok then return time.now() end
    return os.clock()
end

-- Helpers added for the core tests (eco/time/sync). -------------------------------------

local function show_values(...)
    local parts = {}
    for i = 1, select('#', ...) do parts[i] = show((select(i, ...))) end
    return '(' .. table.concat(parts, ', ') .. ')'
end
T.show_values = show_values

-- Asserts that a call *failed* in the spec's sense: it returned exactly the two values `nil, msg`.
function T.fails(msg, ...)
    local n = select('#', ...)
    local a, b = ...
    if n ~= 2 or a ~= nil or b ~= msg then
        fail(string.format('expected (nil, %s), got %d value(s) %s', show(msg), n, show_values(...)), 2)
    end
end

-- Asserts that exactly `n` values were passed; returns them.
function T.nret(n, ...)
    local got = select('#', ...)
    if got ~= n then
        fail(string.format('expected %d value(s), got %d %s', n, got, show_values(...)), 2)
    end
    return ...
end

-- Asserts lo <= v <= hi.
function T.between(v, lo, hi, what)
    if type(v) ~= 'number' or v < lo or v > hi then
        fail(string.format('%sexpected a value in [%s, %s], got %s', what and (what .. ': ') or '',
            tostring(lo), tostring(hi), show(v)), 2)
    end
    return v
end

-- Polls pred() every 5 ms (eco.sleep, so: needs a coroutine) until it returns a true value or
-- `timeout` seconds (default 5) have passed, in which case it fails naming `what`.
function T.wait_until(pred, timeout, what)
    local deadline = T.now() + (timeout or 5)
    while true do
        local v = pred()
        if v then return v end
        if T.now() > deadline then
            fail(string.format('timed out after %ss waiting for %s', tostring(timeout or 5), what or 'a condition'), 2)
        end
        eco.sleep(0.005)
    end
end

-- Busy-waits `seconds` of wall time without yielding.
function T.spin(seconds)
    local t0 = T.now()
    while T.now() - t0 < seconds do end
end

-- Two full collections (the second runs finalizers' leftovers, and works in generational mode too).
function T.full_gc()
    collectgarbage('collect')
    collectgarbage('collect')
end

-- table.unpack of a table.pack result, keeping trailing nils.
function T.unpack(t)
    return table.unpack(t, 1, t.n)
end

--- Single-quotes `s` for sh.
function T.sh_quote(s)
    return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Standard output of the shell command `cmd`.
function T.capture(cmd)
    local p = assert(io.popen(cmd, 'r'))
    local out = p:read('a')
    p:close()
    return out
end

local tmpdirs = {}

--- A fresh temp dir, removed by T.remove_tmpdirs().
function T.tmpdir()
    local d = T.capture('mktemp -d'):gsub('%s+$', '')
    assert(#d > 0, 'mktemp -d failed')
    tmpdirs[#tmpdirs + 1] = d
    return d
end

function T.remove_tmpdirs()
    for _, d in ipairs(tmpdirs) do os.execute('rm -rf ' .. T.sh_quote(d)) end
    tmpdirs = {}
end

function T.go(body)
    local base = eco.count()
    local done = false
    eco.run(function()
        body()
        done = true
    end)
    eco.loop()
    if not done then
        io.stderr:write('FAIL: test body did not finish (still blocked when the loop ended)\n')
        os.exit(1)
    end
    if eco.count() ~= base then
        io.stderr:write(string.format('FAIL: coroutine leak: count %d, expected %d\n', eco.count(), base))
        os.exit(1)
    end
end

return T
