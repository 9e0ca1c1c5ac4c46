-- eco.mqtt against mosquitto (started by the test on a free port): the will of a client killed
-- with kill -9 (a child interpreter), keep-alive over an idle period longer than 1.5 x keepalive,
-- reconnect after the broker restarts on the same port.
local T = require 'testlib'
local Q = require 'mqtttest'
local eco = require 'eco'
local mqtt = require 'eco.mqtt'
local sys = require 'eco.sys'
local sync = require 'eco.sync'

local function start(opts, on_conack)
    local c = mqtt.new(opts)
    local log = { msgs = {}, errs = {}, conacks = 0 }
    c:on({
        conack = function(ack, cli)
            log.conack = ack
            log.conacks = log.conacks + 1
            if on_conack then on_conack(ack, cli) end
        end,
        publish = function(m) log.msgs[#log.msgs + 1] = m end,
        error = function(e) log.errs[#log.errs + 1] = e end,
    })
    return c, log
end

T.go(function()
    local b = Q.broker()
    local port = b.port
    local wg = sync.waitgroup()
    wg:add(3)

    -- The brief's short keepalive of 2 s (below the validated minimum of 5: written straight into
    -- the opts table, which is kept by reference), idle for 7 s (> 1.5 x 2 s, after which
    -- mosquitto drops a silent client): still alive, about 3 PINGREQs.
    eco.run(function()
        local c, log = start({ port = port, id = 'idle2' })
        c.opts.keepalive = 2
        local sent = {}
        eco.run(function() c:run() log.ended = true end)
        T.wait_until(function() return log.conack end, 10, 'CONNACK')
        local send = c.sock.send
        c.sock.send = function(s, data)
            sent[#sent + 1] = data:byte(1)
            return send(s, data)
        end
        eco.sleep(7)
        T.eq(log.ended, nil, 'keepalive 2: session alive after 7 s idle')
        T.eq(#log.errs, 0, 'keepalive 2: no errors: ' .. tostring(log.errs[1]))
        local pings = 0
        for _, x in ipairs(sent) do if x == 0xc0 then pings = pings + 1 end end
        T.between(pings, 2, 4, 'PINGREQs in 7 s with keepalive 2')
        c:disconnect()
        T.wait_until(function() return log.ended end, 10, 'end')
        wg:done()
    end)

    -- Will: a child interpreter connects with a will, is killed with SIGKILL, the broker
    -- publishes the will to our subscriber.
    eco.run(function()
        local watcher, wlog = start({ port = port, id = 'will-watcher' }, function(_, cli)
            cli:subscribe('eco/will/#', 1)
        end)
        eco.run(function() watcher:run() wlog.ended = true end)
        T.wait_until(function() return wlog.conack end, 10, 'watcher CONNACK')
        eco.sleep(0.3) -- SUBACK
        local script = os.tmpname()
        local f = assert(io.open(script, 'w'))
        f:write(string.format([[
local eco = require 'eco'
local mqtt = require 'eco.mqtt'
eco.run(function()
    local c = mqtt.new({ port = %d, id = 'will-child', keepalive = 30,
        will = { topic = 'eco/will/child', payload = 'child gone', qos = 1, retain = false } })
    c:on('conack', function(ack) io.stdout:write('ready ', ack.rc, '\n') io.stdout:flush() end)
    c:run()
end)
eco.loop()
]], port))
        f:close()
        local p = assert(sys.exec(arg[-1], script))
        T.eq(p:read_stdout('l', 10), 'ready 0', 'child connected')
        eco.sleep(0.2)
        T.eq(#wlog.msgs, 0, 'no will while the child lives')
        T.ok(p:kill())
        local _, st = p:wait(10)
        T.ok(st and st.signaled, 'child killed')
        T.wait_until(function() return #wlog.msgs == 1 end, 10, 'will message')
        T.eq(wlog.msgs[1].topic, 'eco/will/child')
        T.eq(wlog.msgs[1].payload, 'child gone')
        T.eq(wlog.msgs[1].qos, 1)
        p:close()
        os.remove(script)
        -- a clean DISCONNECT discards the will
        watcher:disconnect()
        T.wait_until(function() return wlog.ended end, 10, 'watcher end')
        wg:done()
    end)

    -- Keep-alive: keepalive 5 (the minimum), idle for 12 s (> 1.5 x keepalive, after which
    -- mosquitto would drop a silent client): the pings keep the session alive.
    eco.run(function()
        local c, log = start({ port = port, id = 'idle', keepalive = 5 }, function(_, cli)
            cli:subscribe('eco/idle', 0)
        end)
        local sent = {}
        eco.run(function() c:run() log.ended = true end)
        T.wait_until(function() return log.conack end, 10, 'CONNACK')
        local send = c.sock.send
        c.sock.send = function(s, data)
            sent[#sent + 1] = data:byte(1)
            return send(s, data)
        end
        eco.sleep(12)
        T.eq(log.ended, nil, 'session alive after the idle period')
        T.eq(#log.errs, 0, 'no errors: ' .. tostring(log.errs[1]))
        local pings = 0
        for _, x in ipairs(sent) do if x == 0xc0 then pings = pings + 1 end end
        T.between(pings, 2, 3, 'PINGREQs in 12 s with keepalive 5')
        T.eq(c.connected, true)
        c:publish('eco/idle', 'still here')
        T.wait_until(function() return #log.msgs == 1 end, 10, 'round trip after idle')
        c:disconnect()
        T.wait_until(function() return log.ended end, 10, 'end')
        wg:done()
    end)
    T.eq(wg:wait(40), true)

    -- Reconnect after the broker restarts (the spec's reconnect pattern: a loop around run()):
    -- the session ends with an error, later runs fail while the broker is down, a run after
    -- the restart on the same port connects again with the same id.
    local c, log = start({ port = port, id = 'restart' })
    local stopping = false
    eco.run(function()
        while true do
            c:run()
            if stopping then break end
            eco.sleep(0.2)
        end
        log.ended = true
    end)
    T.wait_until(function() return log.conacks == 1 end, 10, 'first CONNACK')
    b.stop()
    T.wait_until(function() return #log.errs >= 1 end, 10, 'error when the broker goes away')
    T.ok(log.errs[1] == 'closed' or log.errs[1] == 'Connection reset by peer', log.errs[1])
    T.eq(c.connected, false)
    T.fails('unconnected', c:publish('t', 'x'))
    eco.sleep(0.5)
    T.eq(log.errs[#log.errs], 'network: Connection refused', 'runs while the broker is down')
    local b2 = Q.broker({ port = port, dir = b.dir })
    T.wait_until(function() return log.conacks == 2 end, 15, 'second CONNACK')
    T.eq(c.opts.id, 'restart')
    T.eq(c.connected, true)
    c:subscribe('eco/restart', 1)
    eco.sleep(0.2)
    c:publish('eco/restart', 'back', 1)
    T.wait_until(function() return #log.msgs == 1 end, 10, 'round trip after restart')
    stopping = true
    c:disconnect()
    T.wait_until(function() return log.ended end, 10, 'end')
    b2.stop()
    Q.cleanup()
end)
