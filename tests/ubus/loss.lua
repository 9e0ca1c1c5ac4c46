-- eco.ubus connection loss: malformed or oversized messages from the socket end that
-- connection with a clear error (never the process), ubusd going away completes pending calls
-- with "Request timed out", and auto_reconnect re-publishes objects, listeners and auto
-- subscribers (docs/ubus.md, "Connection loss").
local eco = require 'eco'
local socket = require 'eco.socket'
local T = require 'testlib'
local U = require 'ubustest'
local ubus = require 'eco.ubus'

local HELLO = '\0\0\0\0\0\0\0\42' .. '\0\0\0\4'

--- A fake ubusd on a unix socket: sends HELLO, then `bytes` after the client's first message.
local function fake(dir, name, bytes)
    local path = dir .. '/' .. name
    local srv = assert(socket.listen_unix(path))
    eco.run(function()
        local cl = srv:accept(5)
        srv:close()
        if not cl then return end
        cl:send(HELLO)
        cl:readfull(12, 5) -- the client's request prefix
        cl:send(bytes)
        cl:read(1, 2) -- until the client hangs up
        cl:close()
    end)
    return path
end

T.go(function()
    local dir = T.tmpdir()

    -- malformed / oversized input: the connection ends, calls fail, the process lives on
    local cases = {
        version = '\1\1\0\1\0\0\0\0' .. '\0\0\0\4',
        short_container = '\0\1\0\1\0\0\0\0' .. '\0\0\0\2',
        oversized = '\0\2\0\1\0\0\0\0' .. '\0\16\0\8', -- 1 MiB + 8
        overrun = '\0\1\0\1\0\0\0\0' .. '\0\0\0\12' .. '\1\0\0\64' .. '\0\0\0\0',
    }
    local reasons = {
        version = 'version 1', short_container = 'length 2', oversized = 'length 1048584',
        overrun = 'malformed attributes',
    }
    for name, bytes in pairs(cases) do
        local path = fake(dir, name .. '.sock', bytes)
        local c = assert(ubus.connect(path))
        local res, err = c:objects()
        T.eq(res, nil, name)
        T.eq(err, 'Request timed out', name .. ': a pending request completes with status 7')
        T.ok(c:error() and c:error():find(reasons[name], 1, true), name .. ': ' .. tostring(c:error()))
        T.fails('Connection failed', c:objects())
        T.fails('Connection failed', c:call('x', 'y'))
        c:close()
    end

    -- connect: a peer that never sends HELLO (3 s limit), or sends something else first
    local silent = assert(socket.listen_unix(dir .. '/silent.sock'))
    local held
    eco.run(function() held = silent:accept(5) end)
    local t0 = T.now()
    T.fails('failed to connect to ubus', ubus.connect(dir .. '/silent.sock'))
    local waited = T.now() - t0
    T.ok(waited >= 2.9 and waited < 6, 'HELLO waited 3 s: ' .. waited)
    silent:close()
    if held then held:close() end
    local wrong = assert(socket.listen_unix(dir .. '/wrong.sock'))
    eco.run(function()
        local cl = wrong:accept(5)
        wrong:close()
        cl:send('\0\2\0\0\0\0\0\1\0\0\0\4') -- DATA instead of HELLO
        cl:read(1, 2)
        cl:close()
    end)
    T.fails('failed to connect to ubus', ubus.connect(dir .. '/wrong.sock'))

    -- ubusd goes away: outstanding calls complete with status 7, later calls fail
    local b = U.broker()
    local srv = assert(ubus.connect(b.path))
    assert(srv:add('t.slow', { wait = { function(req, _, con)
        eco.sleep(5)
        con:reply(req, {})
    end } }))
    local cl = assert(ubus.connect(b.path))
    local res, err
    eco.run(function() res, err = cl:call('t.slow', 'wait', nil, 10) end)
    eco.sleep(0.1)
    b.stop()
    T.ok(U.wait_for(function() return err ~= nil end, 3), 'the pending call completed')
    T.eq(res, nil); T.eq(err, 'Request timed out')
    T.fails('Connection failed', cl:call('t.slow', 'wait'))
    T.ok(cl:error(), 'the reason is kept')
    cl:close()
    srv:close()

    -- auto_reconnect: objects, listeners and auto subscribers come back after a restart
    b.start()
    local pub = assert(ubus.connect(b.path, true))
    local obj = assert(pub:add('t.re', { hi = { function(req, msg, con) con:reply(req, { n = msg.n }) end } }))
    local events = {}
    assert(pub:listen('re.*', function(ev) events[#events + 1] = ev end))
    local watcher = assert(ubus.connect(b.path, true))
    local notes = {}
    assert(watcher:subscribe('t.re', function(m) notes[#notes + 1] = m end, true))
    local c1 = assert(ubus.connect(b.path))
    T.eq(c1:call('t.re', 'hi', { n = 1 }).n, 1)
    c1:close()

    local t0 = T.now()
    b.stop()
    eco.sleep(0.2)
    b.start()
    local c2 = assert(ubus.connect(b.path))
    T.ok(U.wait_for(function()
        local r = c2:call('t.re', 'hi', { n = 2 }, 1)
        return r and r.n == 2
    end, 10), 'the object is published again')
    T.ok(T.now() - t0 >= 2.9, 'reconnection waits the 3 s interval')
    T.ok(U.wait_for(function()
        c2:send('re.x', {})
        eco.sleep(0.05)
        return events[#events] == 're.x'
    end, 5), 'the listener is registered again')
    T.ok(U.wait_for(function()
        pub:notify(obj, 'again', {})
        eco.sleep(0.05)
        return notes[#notes] == 'again'
    end, 5), 'the auto subscriber attached again (same object handle)')
    c2:close()
    pub:close()
    watcher:close()
    b.stop()
    T.remove_tmpdirs()
end)
