-- eco.mqtt against a real broker: Debian's mosquitto on 127.0.0.1 with a free port, started by
-- the test (anonymous, then with a password file). QoS 0/1/2 both ways, retained messages,
-- persistent and clean sessions, interop with mosquitto_pub/mosquitto_sub (checklist item 24).
local T = require 'testlib'
local Q = require 'mqtttest'
local eco = require 'eco'
local mqtt = require 'eco.mqtt'
local sys = require 'eco.sys'

-- Starts a client session in its own coroutine; returns the client and its event log.
-- `log.conack` is set on CONNACK, `log.msgs` collects publishes, `log.errs` errors.
local function start(opts, handlers)
    local c = mqtt.new(opts)
    local log = { msgs = {}, errs = {}, subacks = {}, unsubacks = {} }
    handlers = handlers or {}
    c:on({
        conack = function(ack, cli)
            log.conack = ack
            if handlers.conack then handlers.conack(ack, cli) end
        end,
        publish = function(m) log.msgs[#log.msgs + 1] = m end,
        suback = function(s) log.subacks[#log.subacks + 1] = s end,
        unsuback = function(t) log.unsubacks[#log.unsubacks + 1] = t end,
        error = function(e) log.errs[#log.errs + 1] = e end,
    })
    eco.run(function()
        c:run()
        log.ended = true
    end)
    return c, log
end

local function stop(c, log)
    if not log.ended then
        c:disconnect()
        T.wait_until(function() return log.ended end, 10, 'session end')
    end
end

local function connected(log, what)
    T.wait_until(function() return log.conack end, 10, what or 'CONNACK')
    T.eq(log.conack.rc, 0, 'CONNACK rc')
end

T.go(function()
    local b = Q.broker()
    local port = b.port

    -- 24: conack -> subscribe QoS 2 -> own QoS 0/1/2 publishes -> unsubscribe -> nothing more
    local c, log = start({ port = port, id = 'life' })
    connected(log)
    T.eq(log.conack.reason, 'connection accepted')
    T.eq(log.conack.session_present, false)
    T.same({ true }, c:subscribe('eco/life/#', mqtt.QOS2))
    T.wait_until(function() return #log.subacks == 1 end, 10, 'SUBACK')
    T.eq(log.subacks[1].results[1].rc, 2); T.eq(log.subacks[1].results[1].topic, 'eco/life/#')
    for q = 0, 2 do T.same({ true }, c:publish('eco/life/q' .. q, 'payload ' .. q, q)) end
    T.wait_until(function() return #log.msgs == 3 end, 10, 'own publishes')
    table.sort(log.msgs, function(x, y) return x.topic < y.topic end)
    for q = 0, 2 do
        local m = log.msgs[q + 1]
        T.eq(m.topic, 'eco/life/q' .. q); T.eq(m.payload, 'payload ' .. q); T.eq(m.qos, q)
        T.eq(m.retain, false); T.eq(m.dup, false)
    end
    T.wait_until(function()
        return next(c.wait_for_puback) == nil and next(c.wait_for_pubrec) == nil
            and next(c.wait_for_pubcomp) == nil and next(c.wait_for_pubrel) == nil
    end, 10, 'all acknowledgements')
    T.same({ true }, c:unsubscribe('eco/life/#'))
    T.wait_until(function() return #log.unsubacks == 1 end, 10, 'UNSUBACK')
    T.eq(log.unsubacks[1], 'eco/life/#')
    c:publish('eco/life/q1', 'late', 1)
    eco.sleep(0.5)
    T.eq(#log.msgs, 3, '24: no further messages')

    -- Two clients, QoS 0/1/2, a 200 KiB payload, binary payloads
    local sub, slog = start({ port = port, id = 'sub' })
    connected(slog)
    sub:subscribe('eco/x/0', 0, 'eco/x/1', 1, 'eco/x/2', 2)
    T.wait_until(function() return #slog.subacks == 1 end, 10, 'SUBACK')
    local big = string.rep('0123456789abcdef', 200 * 64)
    local bin = '\0\1\2\255\r\n'
    for i = 1, 30 do
        local q = i % 3
        c:publish('eco/x/' .. q, (i == 7 and big) or (i == 8 and bin) or ('m' .. i), q)
    end
    T.wait_until(function() return #slog.msgs == 30 end, 20, '30 messages')
    local byq = { [0] = 0, 0, 0 }
    for _, m in ipairs(slog.msgs) do
        byq[m.qos] = byq[m.qos] + 1
        T.eq(m.topic, 'eco/x/' .. m.qos)
    end
    T.eq(byq[0], 10); T.eq(byq[1], 10); T.eq(byq[2], 10)
    local found = {}
    for _, m in ipairs(slog.msgs) do found[m.payload] = true end
    T.ok(found[big], 'big payload'); T.ok(found[bin], 'binary payload')

    -- Retained: a later subscriber gets the retained message with retain = true
    T.same({ true }, c:publish('eco/retained', 'keep me', 1, true))
    T.wait_until(function() return next(c.wait_for_puback) == nil end, 10, 'PUBACK')
    local r, rlog = start({ port = port, id = 'late' })
    connected(rlog)
    r:subscribe('eco/retained', 1)
    T.wait_until(function() return #rlog.msgs == 1 end, 10, 'retained message')
    T.eq(rlog.msgs[1].payload, 'keep me'); T.eq(rlog.msgs[1].retain, true); T.eq(rlog.msgs[1].qos, 1)
    stop(r, rlog)
    T.eq(rlog.errs[#rlog.errs], 'closed', 'disconnect: the broker closes, run ends with closed')

    -- Interop: mosquitto_pub -> our subscriber (QoS 2), our publisher -> mosquitto_sub
    local n0 = #slog.msgs
    T.ok(os.execute(string.format('timeout 10 %s -h 127.0.0.1 -p %d -q 2 -t eco/x/2 -m from-mosquitto_pub',
        Q.MOSQUITTO_PUB, port)))
    T.wait_until(function() return #slog.msgs == n0 + 1 end, 10, 'mosquitto_pub message')
    T.eq(slog.msgs[#slog.msgs].payload, 'from-mosquitto_pub'); T.eq(slog.msgs[#slog.msgs].qos, 2)
    local p = assert(sys.exec('timeout', '10', Q.MOSQUITTO_SUB, '-h', '127.0.0.1', '-p', tostring(port),
        '-q', '2', '-t', 'eco/to-sub', '-C', '1', '-v'))
    -- publish until mosquitto_sub has subscribed and received one
    local line
    eco.run(function() line = p:read_stdout('l', 10) end)
    T.wait_until(function()
        if line then return true end
        c:publish('eco/to-sub', 'hello sub', 2)
        eco.sleep(0.2)
    end, 10, 'mosquitto_sub output')
    T.eq(line, 'eco/to-sub hello sub')
    p:wait(5)
    p:close()

    -- Persistent session: QoS 1 messages queued while offline are delivered on reconnect
    local ps, plog = start({ port = port, id = 'persist', clean_session = false })
    connected(plog)
    ps:subscribe('eco/persist', 1)
    T.wait_until(function() return #plog.subacks == 1 end, 10, 'SUBACK')
    stop(ps, plog)
    c:publish('eco/persist', 'queued 1', 1)
    c:publish('eco/persist', 'queued 2', 2)
    T.wait_until(function() return next(c.wait_for_puback) == nil and next(c.wait_for_pubcomp) == nil
        and next(c.wait_for_pubrec) == nil end, 10, 'acks')
    plog.conack, plog.ended = nil, nil
    eco.run(function() ps:run(); plog.ended = true end)
    connected(plog, 'reconnect')
    T.eq(plog.conack.session_present, true, 'persistent session resumed')
    T.wait_until(function() return #plog.msgs == 2 end, 10, 'queued messages')
    T.eq(plog.msgs[1].payload, 'queued 1'); T.eq(plog.msgs[2].payload, 'queued 2')
    T.eq(plog.msgs[2].qos, 1, 'downgraded to the subscription QoS')
    stop(ps, plog)
    -- clean session: no session present, nothing queued
    ps:set('clean_session', true)
    c:publish('eco/persist', 'lost', 1)
    plog.conack, plog.ended = nil, nil
    eco.run(function() ps:run(); plog.ended = true end)
    connected(plog, 'clean reconnect')
    T.eq(plog.conack.session_present, false)
    eco.sleep(0.3)
    T.eq(#plog.msgs, 2, 'clean session: nothing delivered')
    stop(ps, plog)

    stop(sub, slog)
    stop(c, log)
    b.stop()

    -- Password file: refused without / with wrong credentials, accepted with the right ones
    local pb = Q.broker({ passwd = { alice = 's3cret' } })
    local bad, blog = start({ port = pb.port, username = 'alice', password = 'wrong' })
    T.wait_until(function() return blog.ended end, 10, 'refused session end')
    T.ok(blog.conack, 'CONNACK for a refusal')
    T.ok(blog.conack.rc == 4 or blog.conack.rc == 5, 'rc ' .. blog.conack.rc)
    T.ok(blog.conack.reason:find('^connection refused: '), blog.conack.reason)
    T.eq(bad.connected, false)
    local anon, alog = start({ port = pb.port })
    T.wait_until(function() return alog.ended end, 10, 'anonymous refused')
    T.ok(alog.conack and alog.conack.rc ~= 0, 'anonymous refused')
    local good, glog = start({ port = pb.port, username = 'alice', password = 's3cret' })
    connected(glog)
    good:subscribe('eco/auth', 1)
    T.wait_until(function() return #glog.subacks == 1 end, 10, 'SUBACK')
    good:publish('eco/auth', 'ok', 1)
    T.wait_until(function() return #glog.msgs == 1 end, 10, 'authenticated round trip')
    stop(good, glog)
    T.eq(anon.connected, false)
    pb.stop()
    Q.cleanup()
end)
