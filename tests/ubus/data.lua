-- eco.ubus data conversion (Lua <-> blobmsg through a real round trip over the test broker),
-- limits, concurrency on one and several connections, memory over connect/close cycles.
-- Checklist items 15, 16, 17 (docs/ubus.md).
local eco = require 'eco'
local time = require 'eco.time'
local T = require 'testlib'
local U = require 'ubustest'
local ubus = require 'eco.ubus'

T.go(function()
    local b = U.broker()
    local a = assert(ubus.connect(b.path))
    local c = assert(ubus.connect(b.path))
    assert(a:add('t.data', {
        echo = { function(req, msg, con) con:reply(req, msg) end },
        -- returns the type of every top-level argument as seen by the handler
        types = { function(req, msg, con)
            local t = {}
            for k, v in pairs(msg) do t[k] = math.type(v) or type(v) end
            con:reply(req, t)
        end },
        sleep = { function(req, msg, con)
            time.sleep(msg.d)
            con:reply(req, { id = msg.id })
        end },
    }))

    -- 17
    local self_ref = {}
    self_ref.me = self_ref
    T.raises('circular reference in table', c.call, c, 't.data', 'echo', self_ref)
    local deep = { x = {} }
    deep.x.y = { deep }
    T.raises('circular reference in table', c.call, c, 't.data', 'echo', deep)
    -- a shared (not circular) table is fine
    local shared = { 1 }
    T.eq(c:call('t.data', 'echo', { p = shared, q = shared }).q[1], 1)

    local r = assert(c:call('t.data', 'echo', {
        empty = {}, big = 1 << 40, f = 1.5, yes = true, no = false,
        neg = -5, max32 = 2147483647, over32 = 2147483648, minus = -(1 << 40),
        s = 'with\0nul', nested = { { 1, { 2, { 3 } } }, { k = { v = 'deep' } } },
        mixed = { 1, 2, x = 'y' }, [7] = 'seven', [1.5] = 'float key',
        fn = print, co = coroutine.create(function() end),
    }))
    T.eq(type(r.empty), 'table'); T.eq(next(r.empty), nil)
    T.eq(r.big, 1 << 40); T.eq(math.type(r.big), 'integer')
    T.eq(r.f, 1.5); T.eq(math.type(r.f), 'float')
    T.eq(r.yes, true); T.eq(r.no, false)
    T.eq(r.neg, -5); T.eq(r.max32, 2147483647); T.eq(r.over32, 2147483648)
    -- below -2^31 integers are truncated to 32 bits (reference behaviour)
    T.eq(r.minus, 0)
    T.eq(r.s, 'with', 'strings end at the first NUL')
    T.eq(r.nested[1][2][2][1], 3); T.eq(r.nested[2].k.v, 'deep')
    -- not a sequence: a TABLE whose numeric keys became names
    T.eq(r.mixed['1'], 1); T.eq(r.mixed['2'], 2); T.eq(r.mixed.x, 'y'); T.eq(r.mixed[1], nil)
    T.eq(r['7'], 'seven', 'numeric keys become strings'); T.eq(r['1.5'], 'float key')
    T.eq(r.fn, nil); T.eq(r.co, nil)

    local ty = assert(c:call('t.data', 'types', { i = 1, f = 2.0, b = true, s = 's', t = {} }))
    T.eq(ty.i, 'integer'); T.eq(ty.f, 'float'); T.eq(ty.b, 'boolean'); T.eq(ty.s, 'string')
    T.eq(ty.t, 'table')

    -- a sequence as the top level: named "1", "2"
    local sq = assert(c:call('t.data', 'echo', { 'a', 'b' }))
    T.eq(sq['1'], 'a'); T.eq(sq['2'], 'b')

    -- nesting limit: MAX_DEPTH levels pass, one more raises
    T.eq(ubus.MAX_DEPTH, 32)
    local function nest(n)
        local t = { v = 1 }
        for _ = 1, n - 1 do t = { t } end
        return t
    end
    local ok = c:call('t.data', 'echo', { x = nest(ubus.MAX_DEPTH) })
    T.ok(type(ok) == 'table' and ok.x, 'MAX_DEPTH levels of nesting are accepted')
    T.raises('table nested too deep', c.call, c, 't.data', 'echo', { x = nest(ubus.MAX_DEPTH + 1) })

    -- size limit: params of more than 1 MiB encoded
    T.eq(ubus.MAX_MSGLEN, 1048576)
    T.fails('msg too long', c:call('t.data', 'echo', { s = string.rep('x', 1048576) }))
    T.fails('msg too long', c:send('ev', { s = string.rep('x', 1048576) }))
    local near = assert(c:call('t.data', 'echo', { s = string.rep('y', 1000000) }))
    T.eq(#near.s, 1000000)

    -- 15: one shared connection, interleaved short-timeout and normal calls, no cross-talk
    local results = {}
    local wg = 0
    for i = 1, 40 do
        wg = wg + 1
        eco.run(function()
            local short = i % 3 == 0
            local res, err = c:call('t.data', 'sleep', { id = i, d = short and 0.2 or 0.01 },
                short and 0.05 or 5)
            results[i] = { res = res, err = err, short = short }
            wg = wg - 1
        end)
    end
    T.ok(U.wait_for(function() return wg == 0 end, 10), 'all calls finished')
    for i = 1, 40 do
        local x = results[i]
        if x.short then
            T.eq(x.res, nil, 'call ' .. i); T.eq(x.err, 'timeout', 'call ' .. i)
        else
            T.eq(x.res and x.res.id, i, 'call ' .. i .. ' got its own reply')
        end
    end
    eco.sleep(0.25) -- the late replies arrive and are dropped
    T.eq(c:call('t.data', 'echo', { z = 1 }).z, 1)

    -- 15: eight concurrent callers x 80 calls on separate connections
    local done, bad = 0, 0
    for w = 1, 8 do
        eco.run(function()
            local cc = assert(ubus.connect(b.path))
            for k = 1, 80 do
                local res = cc:call('t.data', 'echo', { w = w, k = k })
                if not (res and res.w == w and res.k == k) then bad = bad + 1 end
            end
            cc:close()
            done = done + 1
        end)
    end
    T.ok(U.wait_for(function() return done == 8 end, 30), 'all callers finished')
    T.eq(bad, 0, 'every call succeeded with its own result')

    -- while `a` waits in a call, it keeps serving INVOKEs on the same connection
    assert(c:add('t.back', { ping = { function(req, _, con) con:reply(req, { pong = true }) end } }))
    local nested = assert(a:add('t.nested', { go = { function(req, _, con)
        local res = con:call('t.back', 'ping')
        con:reply(req, { inner = res.pong })
    end } }))
    T.ok(nested)
    T.eq(c:call('t.data', 'echo', { q = 1 }).q, 1)
    T.eq(c:call('t.nested', 'go').inner, true)

    -- 16: connect/add/call/close cycles do not grow memory
    local function cycle(n)
        for i = 1, n do
            local x = assert(ubus.connect(b.path))
            assert(x:add('t.cycle' .. i, { m = { function(req, _, con) con:reply(req, { i = i }) end } }))
            assert(x:listen('cyc.*', function() end))
            assert(x:call('t.cycle' .. i, 'm').i == i)
            x:close()
        end
        collectgarbage()
        collectgarbage()
    end
    cycle(20)
    local before = collectgarbage('count')
    cycle(100)
    local after = collectgarbage('count')
    T.ok(after - before < 200, string.format('memory grew %.1f KB over 100 cycles', after - before))

    a:close()
    c:close()
    b.stop()
    T.remove_tmpdirs()
end)
