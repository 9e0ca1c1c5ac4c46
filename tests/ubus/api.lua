-- eco.ubus against the test broker (crates/eco-ubusd-test): two connections of this process
-- through it. Numbers in comments are the items of the behaviour checklist (docs/ubus.md).
local eco = require 'eco'
local time = require 'eco.time'
local T = require 'testlib'
local U = require 'ubustest'
local ubus = require 'eco.ubus'
local sync = require 'eco.sync'

T.go(function()
    -- 1
    local consts = {
        STATUS_OK = 0, STATUS_INVALID_COMMAND = 1, STATUS_INVALID_ARGUMENT = 2,
        STATUS_METHOD_NOT_FOUND = 3, STATUS_NOT_FOUND = 4, STATUS_NO_DATA = 5,
        STATUS_PERMISSION_DENIED = 6, STATUS_TIMEOUT = 7, STATUS_NOT_SUPPORTED = 8,
        STATUS_UNKNOWN_ERROR = 9, STATUS_CONNECTION_FAILED = 10,
        ARRAY = 1, TABLE = 2, STRING = 3, INT64 = 4, INT32 = 5, INT16 = 6, INT8 = 7, BOOLEAN = 7,
        DOUBLE = 8,
    }
    for k, v in pairs(consts) do
        T.eq(math.type(ubus[k]), 'integer', k)
        T.eq(ubus[k], v, k)
    end
    T.eq(ubus.strerror(0), 'Success')
    T.eq(ubus.strerror(3), 'Method not found')
    T.eq(ubus.strerror(5), 'No response')
    T.eq(ubus.strerror(13), 'System error')
    T.eq(ubus.strerror(99), 'Unknown error: 99')
    T.eq(ubus.strerror(-1), 'Unknown error: -1')
    T.raises('bad argument', ubus.strerror, 'x')
    T.raises('bad argument', ubus.strerror, 1.5)

    -- 2 (the non-root half is tests/ubus/nonroot.sh): nothing listening
    local dir = T.tmpdir()
    T.fails('failed to connect to ubus', ubus.connect(dir .. '/none.sock'))

    local b = U.broker()
    local a = assert(ubus.connect(b.path))
    local c = assert(ubus.connect(b.path))
    T.raises('bad argument #1 to \'call\'', a.call, a, 1, 'x')
    T.raises('bad argument #2 to \'call\'', a.call, a, 'x', {})
    T.raises('bad argument #3 to \'call\'', a.call, a, 'x', 'y', 'z')
    T.raises('bad argument #1 to \'send\'', a.send, a, {})
    T.raises('bad argument #2 to \'listen\'', a.listen, a, 'x', 1)

    -- 3, add: handler/policy checks raise assertions
    local handled = {}
    local obj = assert(a:add('test.echo', {
        echo = { function(req, msg, con)
            handled[#handled + 1] = con
            T.ok(con:reply(req, msg))
        end, { text = ubus.STRING, i = ubus.INT32, flag = ubus.BOOLEAN } },
        twice = { function(req, _, con)
            con:reply(req, { part = 1 })
            con:reply(req, { part = 2 })
        end },
        none = { function() return ubus.STATUS_OK end },
        str = { function() return 'not a number' end },
        bad = { function() return ubus.STATUS_INVALID_ARGUMENT end },
        frac = { function() return 2.5 end },
        slow = { function(req, msg, con)
            time.sleep(msg.delay or 0.15)
            con:reply(req, { n = msg.n })
        end },
        -- deferred: the reply comes from another coroutine while the handler waits
        deferred = { function(req, _, _)
            local cd = sync.cond()
            DEFERRED = { req = req, cond = cd }
            cd:wait(5)
        end },
        args = { function(req, msg, con)
            con:reply(req, { got = msg })
        end, { only = ubus.INT32 } },
    }))
    T.fails('object exists', a:add('test.echo', {}))
    T.fails('object exists', c:add('test.echo', {}))
    T.raises('assertion failed!', a.add, a, 'test.x', { m = { 1 } })
    T.raises('assertion failed!', a.add, a, 'test.x', { m = { function() end, 1 } })
    T.raises('assertion failed!', a.add, a, 'test.x', { m = { function() end, { x = 'str' } } })
    local empty = assert(a:add('test.empty', {}))
    T.ok(empty ~= obj)

    -- 4
    local sig = assert(c:signatures('test.echo'))
    T.eq(sig.echo.text, ubus.STRING)
    T.eq(sig.echo.i, ubus.INT32)
    T.eq(sig.echo.flag, ubus.BOOLEAN)
    T.eq(type(sig.twice), 'table')
    T.eq(next(sig.twice), nil, 'method without policy: empty table')
    T.fails('Not found', c:signatures('missing'))
    -- a trailing `*` matches several objects (ubusd answers in path order): the last one counts
    local last = assert(c:signatures('test.e*'))
    T.eq(next(last), nil, 'test.empty (after test.echo) is the last match')
    T.eq(assert(c:signatures('test.ec*')).echo.text, ubus.STRING)
    local es = assert(c:signatures('test.empty'))
    T.eq(next(es), nil, 'object without methods: empty signature')

    -- 5
    local objs = assert(c:objects())
    local seen = {}
    for id, path in pairs(objs) do
        T.eq(math.type(id), 'integer')
        T.ok(id >= 0 and id <= 0xffffffff, 'ids are unsigned 32-bit')
        seen[path] = true
    end
    T.ok(seen['test.echo'] and seen['test.empty'])
    local n = 0
    for _ in pairs(objs) do n = n + 1 end
    T.eq(n, 2, 'anonymous objects are not listed')

    -- 6
    local r = assert(c:call('test.echo', 'echo',
        { text = 'hello', i = 7, flag = true, arr = { 1, 2, 3 }, tab = { a = 'b' } }))
    T.eq(r.text, 'hello'); T.eq(r.i, 7); T.eq(math.type(r.i), 'integer')
    T.eq(r.flag, true); T.eq(r.arr[3], 3); T.eq(#r.arr, 3); T.eq(r.tab.a, 'b')
    T.eq(handled[1], a, 'handler gets the serving connection')
    -- a connection calls its own object
    T.eq(a:call('test.echo', 'echo', { text = 'self' }).text, 'self')

    -- 7
    local p1, p2, p3 = c:call('test.echo', 'twice')
    T.eq(p1.part, 1); T.eq(p2.part, 2); T.eq(p3, nil)
    T.eq(select('#', c:call('test.echo', 'none')), 1)
    local e = c:call('test.echo', 'none')
    T.eq(type(e), 'table'); T.eq(next(e), nil)

    -- 8
    T.eq(type(c:call('test.echo', 'str')), 'table')
    local ok, err = c:call('test.echo', 'bad')
    T.eq(ok, nil); T.ok(err:find('Invalid', 1, true), err)
    T.fails('Invalid argument', c:call('test.echo', 'frac')) -- 2.5 truncated to 2

    -- policy is advertised only: arguments are not filtered
    local g = assert(c:call('test.echo', 'args', { only = 1, other = 'x' }))
    T.eq(g.got.only, 1); T.eq(g.got.other, 'x')

    -- 9
    local t0 = T.now()
    T.fails('timeout', c:call('test.echo', 'slow', { delay = 0.15 }, 0.03))
    T.ok(T.now() - t0 < 0.14, 'the timeout ends the call early')
    T.eq(c:call('test.echo', 'slow', { delay = 0.01, n = 5 }).n, 5)
    eco.sleep(0.2) -- the late reply of the timed-out call arrives and is dropped
    T.eq(c:call('test.echo', 'echo', { text = 'after' }).text, 'after')
    -- timeout false / 0: wait indefinitely
    T.eq(c:call('test.echo', 'slow', { delay = 0.01, n = 6 }, false).n, 6)
    T.eq(c:call('test.echo', 'slow', { delay = 0.01, n = 7 }, 0).n, 7)

    -- a deferred reply
    local dres
    eco.run(function() dres = c:call('test.echo', 'deferred', nil, 5) end)
    T.ok(U.wait_for(function() return DEFERRED ~= nil end), 'the handler runs')
    T.eq(dres, nil, 'not complete while the handler waits')
    T.eq(a:reply(DEFERRED.req, { late = true }), true)
    eco.sleep(0.05)
    T.eq(dres, nil, 'a reply alone does not complete the call')
    DEFERRED.cond:signal()
    T.ok(U.wait_for(function() return dres ~= nil end), 'completed when the handler returned')
    T.eq(dres.late, true)

    -- 10
    T.fails('not found', c:call('missing.obj', 'x'))
    T.fails('Method not found', c:call('test.echo', 'nosuch'))
    T.fails('not found', c:subscribe('missing.obj', function() end))

    -- 12: events
    local got, mine = {}, {}
    T.eq(a:listen('*', function(ev, msg, con)
        T.eq(con, a)
        got[#got + 1] = { ev = ev, msg = msg }
    end), true)
    local prefixed = {}
    T.eq(a:listen('demo.*', function(ev) prefixed[#prefixed + 1] = ev end), true)
    T.eq(c:listen('*', function(ev) mine[#mine + 1] = ev end), true)
    T.fails('Permission denied', a:listen('', function() end))
    T.eq(c:send('demo.ev', { n = 42, text = 'ok' }), true)
    T.eq(c:send('other'), true)
    T.ok(U.wait_for(function() return #got >= 2 end), 'events delivered')
    T.eq(got[1].ev, 'demo.ev'); T.eq(got[1].msg.n, 42); T.eq(got[1].msg.text, 'ok')
    T.eq(got[2].ev, 'other'); T.eq(next(got[2].msg), nil)
    T.eq(#prefixed, 1); T.eq(prefixed[1], 'demo.ev')
    eco.sleep(0.05)
    for _, ev in ipairs(mine) do
        T.ok(ev ~= 'demo.ev' and ev ~= 'other', 'the sender does not get its own event')
    end
    T.fails('Permission denied', c:send('ubus.fake', {}))

    -- 13: subscribe / notify
    local notes = {}
    local sub = assert(c:subscribe('test.echo', function(method, msg, con)
        T.eq(con, c)
        notes[#notes + 1] = { method = method, msg = msg }
    end))
    T.eq(a:notify(obj, 'tick', { seq = 1, flag = true }), true)
    T.ok(U.wait_for(function() return #notes == 1 end), 'notification delivered')
    T.eq(notes[1].method, 'tick'); T.eq(notes[1].msg.seq, 1); T.eq(notes[1].msg.flag, true)
    T.fails('invalid object', a:notify(sub, 'x'))
    T.fails('invalid object', c:notify(obj, 'x'))
    T.fails('invalid object', a:notify({}, 'x'))
    T.eq(c:unsubscribe(sub), true)
    T.eq(a:notify(obj, 'tick', { seq = 2 }), true)
    eco.sleep(0.05)
    T.eq(#notes, 1, 'no notification after unsubscribe')
    T.fails('not found', c:unsubscribe(sub))
    T.fails('not found', c:unsubscribe({}))

    -- ubusd refuses a subscription to an object of the same connection
    T.fails('Invalid argument', a:subscribe('test.echo', function() end))

    -- a non-auto subscriber whose target vanishes is destroyed
    local tmp = assert(a:add('test.tmp', {}))
    local hits = 0
    local s2 = assert(c:subscribe('test.tmp', function() hits = hits + 1 end))
    T.eq(a:notify(tmp, 'x'), true)
    T.ok(U.wait_for(function() return hits == 1 end))
    a:close() -- removes test.tmp (and test.echo)
    eco.sleep(0.2) -- the broker's UNSUBSCRIBE (target vanished) arrives
    T.fails('invalid subscriber', c:unsubscribe(s2))
    T.fails('invalid subscriber', c:unsubscribe(s2))

    -- auto subscriber: attaches when the object appears, again after the publisher restarts
    local autos = {}
    local s3 = assert(c:subscribe('test.auto', function(m, msg) autos[#autos + 1] = msg.v end, true))
    for round = 1, 2 do
        local p = assert(ubus.connect(b.path))
        local o = assert(p:add('test.auto', {}))
        T.ok(U.wait_for(function()
            p:notify(o, 'n', { v = round })
            eco.sleep(0.02)
            return autos[#autos] == round
        end), 'auto subscriber attached, round ' .. round)
        eco.sleep(0.05)
        local n0 = #autos
        p:notify(o, 'n', { v = -round })
        T.ok(U.wait_for(function() return #autos > n0 end))
        eco.sleep(0.05)
        T.eq(#autos, n0 + 1, 'one subscription: one callback per notification')
        p:close()
    end
    T.eq(c:unsubscribe(s3), true)

    -- 11
    a:close()
    a:close()
    T.same({}, a:call('test.echo', 'echo'))
    T.same({}, a:send('x'))
    T.same({}, a:listen('x', function() end))
    T.same({}, a:add('x', {}))
    T.same({}, a:subscribe('x', function() end))
    T.same({}, a:unsubscribe(sub))
    T.same({}, a:notify(obj, 'x'))
    T.same({}, a:objects())
    T.same({}, a:signatures('x'))
    T.same({}, a:reply({}, {}))
    -- the closed connection's objects are gone from the bus
    T.fails('not found', c:call('test.echo', 'echo'))

    c:close()
    b.stop()
    T.remove_tmpdirs()
end)
