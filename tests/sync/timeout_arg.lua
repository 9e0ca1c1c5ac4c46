-- eco.sync: cond:wait and waitgroup:wait check their timeout (spec/sync.md: a number of seconds,
-- nil = forever); anything else raises `bad argument #1 to 'wait'` at once instead of parking.
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'

local MSG = "bad argument #1 to 'wait' (number expected, got "

T.go(function()
    for _, bad in ipairs({ {}, true, false, function() end, 'soon' }) do
        local what = type(bad)
        local c = sync.cond()
        local err = T.raises(MSG .. what .. ')', c.wait, c, bad)
        T.eq(type(err), 'string', 'cond:wait error type')
        -- the error is raised before parking: a later signal finds no waiter
        T.eq(c:signal('x'), false, 'cond:wait(' .. what .. ') left a waiter')
        -- a closed cond still checks the argument
        c:close()
        T.raises(MSG .. what .. ')', c.wait, c, bad)

        local wg = sync.waitgroup()
        -- counter zero: still checked
        T.raises(MSG .. what .. ')', wg.wait, wg, bad)
        wg:add(1)
        T.raises(MSG .. what .. ')', wg.wait, wg, bad)
        wg:done()
    end

    -- the message points at the caller's line
    local c = sync.cond()
    local ok, err = pcall(function() return (c:wait({})) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #1 to \'wait\''), err)

    -- nil, numbers and numeric strings are timeouts, as before
    T.same({ nil, 'timeout' }, c:wait(0.01))
    T.same({ nil, 'timeout' }, c:wait('0.01'))
    local wg = sync.waitgroup()
    T.same({ true }, wg:wait(nil))
    T.same({ true }, wg:wait('0.01'))
    wg:add(1)
    T.same({ nil, 'timeout' }, wg:wait(0.01))
    T.same({ nil, 'timeout' }, wg:wait('0.01'))
    wg:done()
    eco.run(function()
        eco.sleep(0.01)
        c:signal('v')
    end)
    T.same({ 'v' }, c:wait(nil))
    c:close()

    -- a bad self fails before parking (nothing left waiting keeps the loop alive)
    T.raises('', c.wait, {})
    T.raises('', wg.wait, { n = 1 })
end)

print('ok')
