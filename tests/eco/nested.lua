-- eco.loop() called from a coroutine that an fd event woke up (so from inside the outer loop's
-- event dispatch) runs a working nested loop (spec/eco.md 12.3) and returns no values.
local eco = require 'eco'
local T = require 'testlib'
local ecotest = require 'ecotest'
local a, b
local finished = false

T.go(function()
    a, b = ecotest.socketpair()
    local rd = assert(eco.reader(a))
    eco.run(function()
        T.eq(rd:read(1), 'x')                -- resumed from the dispatch of an epoll event
        local inner = false
        eco.run(function() eco.sleep(0.02) inner = true end)
        T.same({}, eco.loop())               -- nested loop: zero values, no error string
        T.ok(inner, 'the nested loop ran the sleeper')
        finished = true
    end)
    -- Nothing else may stay pending here: the nested loop only returns once nothing is left.
    eco.sleep(0.01)
    T.eq(ecotest.write(b, 'x'), 1)
end)
assert(finished, 'the woken coroutine finished after its nested loop')
ecotest.close(a)
ecotest.close(b)
print('ok')
