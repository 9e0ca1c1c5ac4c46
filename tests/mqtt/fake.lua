-- eco.mqtt against fake brokers written in the test (eco.socket servers): wire format, events,
-- acknowledgements, malformed and oversized packets (spec/mqtt.md checklist items in comments).
local T = require 'testlib'
local Q = require 'mqtttest'
local eco = require 'eco'
local socket = require 'eco.socket'
local mqtt = require 'eco.mqtt'

-- Runs one client session against a fake broker running `script(conn, connect_body)`.
-- Returns the list of events { name, data }, the client and the broker state.
local function session(script, opts, extra)
    local port, state = Q.fake(script)
    opts = opts or {}
    opts.port = port
    local c = mqtt.new(opts)
    local log = {}
    local function rec(name)
        return function(data, cli)
            T.eq(cli, c, '6: second argument is the client')
            log[#log + 1] = { name, data }
            if extra and extra[name] then extra[name](data, cli) end
        end
    end
    c:on({ conack = rec('conack'), suback = rec('suback'), unsuback = rec('unsuback'),
        publish = rec('publish'), error = rec('error') })
    local t0 = T.now()
    T.same({}, c:run())
    log.elapsed = T.now() - t0
    T.wait_until(function() return state.done end, 10, 'fake broker end')
    if state.err then error('fake broker: ' .. tostring(state.err), 2) end
    T.eq(c.connected, false)
    return log, c, state
end

local function errors(log)
    local out = {}
    for _, e in ipairs(log) do if e[1] == 'error' then out[#out + 1] = e[2] end end
    return out
end

-- Reads until EOF on the broker side (the client closed the socket).
local function expect_eof(conn)
    local first, err = Q.read(conn, 10)
    if first then error('expected EOF, got packet ' .. first) end
    if err ~= 'closed' then error('expected closed, got ' .. tostring(err)) end
end

T.go(function()
    -- 11: connection refused
    do
        local port = Q.free_port()
        local c = mqtt.new({ port = port })
        local errs = {}
        c:on('error', function(e) errs[#errs + 1] = e end)
        T.same({}, c:run())
        T.eq(#errs, 1)
        T.eq(errs[1], 'network: Connection refused')
        T.eq(c.opts.id, nil, '19: id only generated after a successful connect')
    end
    -- not an IP literal raises from the socket layer
    T.raises('not a valid IP address', function() mqtt.new({ ipaddr = 'localhost' }):run() end)

    -- 18, 17: CONNECT bytes; a broker closing right after CONNECT gives `closed`
    local log, c, st = session(function() end, { id = 'abc', will = { topic = 'w', message = 'm' },
        username = 'u', password = 'p', clean_session = true, keepalive = 5 })
    local pkt = '\x10' .. Q.varint(#st.connect) .. st.connect
    T.eq(#pkt, 29, '18: CONNECT length')
    T.eq(st.connect:byte(8), 0xC6, '18: flags')
    T.eq(Q.get16(st.connect, 9), 5, '18: keep-alive')
    T.eq(st.connect:sub(1, 7), '\0\4MQTT\4')
    T.eq(st.connect:sub(11), '\0\3abc\0\1w\0\1m\0\1u\0\1p')
    T.same({ 'closed' }, table.unpack(errors(log)))
    T.eq(#log, 1, '17: only the error event')

    -- will qos/retain flags, no username/password
    log, c, st = session(function() end, { id = 'i', clean_session = false,
        will = { topic = 't', payload = 'p', qos = 2, retain = true } })
    T.eq(st.connect:byte(8), 0x04 | (2 << 3) | 0x20)
    T.eq(Q.get16(st.connect, 9), 30, 'default keepalive')
    T.eq(c.opts.keepalive, 30, 'default keepalive stored in opts')

    -- 19: generated id, reused on the next run
    log, c, st = session(function() end)
    local id = c.opts.id
    T.ok(id:match('^lua%-eco%-%x%x%x%x%x%x%x$') and not id:match('%u'), '19: id ' .. id)
    T.eq(st.connect:sub(11), Q.str(id))
    local port2, st2 = Q.fake(function() end)
    c.opts.port = port2
    c:run()
    T.wait_until(function() return st2.done end)
    T.eq(c.opts.id, id, '19: reused')
    T.eq(st2.connect:sub(11), Q.str(id))

    -- conack event shapes (accepted, refused, unknown reason) and session_present
    log = session(function(conn) conn:send(Q.connack(1, 0)) end)
    T.eq(log[1][1], 'conack')
    T.eq(log[1][2].rc, 0); T.eq(log[1][2].reason, 'connection accepted')
    T.eq(log[1][2].session_present, true)
    local reasons = { 'connection refused: unacceptable protocol version',
        'connection refused: identifier rejected', 'connection refused: server unavailable',
        'connection refused: bad user name or password', 'connection refused: not authorised' }
    for rc = 1, 6 do
        log, c = session(function(conn)
            conn:send(Q.connack(0, rc))
            eco.sleep(0.1)
        end, {}, { conack = function(_, cli) T.eq(cli.connected, false, 'refused: unconnected') end })
        T.eq(log[1][1], 'conack')
        T.eq(log[1][2].rc, rc)
        T.eq(log[1][2].reason, reasons[rc] or 'connection refused: unknown reason code 6')
        T.eq(log[1][2].session_present, false)
    end

    -- 12: CONNACK + SUBACK after subscribe
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        local first, body = Q.read(conn)
        assert(first == 0x82, 'SUBSCRIBE first byte ' .. tostring(first))
        assert(body == '\0\1' .. Q.str('topic') .. '\1', 'SUBSCRIBE body')
        conn:send(Q.pkt(0x90, '\0\1\1'))
        eco.sleep(0.1)
    end, {}, { conack = function(_, cli) T.same({ true }, cli:subscribe('topic', 1)) end })
    T.eq(log[2][1], 'suback')
    T.eq(#log[2][2].results, 1)
    T.eq(log[2][2].results[1].rc, 1); T.eq(log[2][2].results[1].topic, 'topic')

    -- SUBACK count mismatch / invalid return code / unknown id: session continues
    log, c = session(function(conn)
        conn:send(Q.connack(0, 0))
        Q.read(conn); Q.read(conn); Q.read(conn)
        conn:send(Q.pkt(0x90, '\0\1\1\1'))       -- 2 codes for 1 topic
        conn:send(Q.pkt(0x90, '\0\2\3'))         -- invalid code 3
        conn:send(Q.pkt(0x90, '\0\9\0'))         -- unknown id: ignored
        conn:send(Q.pkt(0x90, '\0\3\x80\0'))     -- failure code + granted 0
        eco.sleep(0.1)
    end, {}, { conack = function(_, cli)
        cli:subscribe('a', 1); cli:subscribe('b', 1); cli:subscribe('c', 1, 'd', 0)
    end })
    T.eq(log[2][1], 'error'); T.eq(log[2][2], 'SUBACK return code count mismatch: expecting 1, got 2')
    T.eq(log[3][1], 'error'); T.eq(log[3][2], 'SUBACK for topic "b" with invalid return code 3')
    T.eq(log[4][1], 'suback')
    T.eq(log[4][2].results[1].rc, 0x80); T.eq(log[4][2].results[1].topic, 'c')
    T.eq(log[4][2].results[2].rc, 0); T.eq(log[4][2].results[2].topic, 'd')
    T.eq(next(c.wait_for_suback), nil)

    -- 13: CONNACK with 1 byte of body: session ends, socket closed
    log, c = session(function(conn)
        conn:send(Q.pkt(0x20, '\0'))
        expect_eof(conn)
    end)
    T.eq(errors(log)[1], 'malformed CONNACK packet: remaining length must be 2')
    T.eq(#log, 1)
    T.ok(c.sock:closed(), '13: socket closed')

    -- first packet not CONNACK
    log = session(function(conn) conn:send(Q.pkt(0xd0)); expect_eof(conn) end)
    T.same({ 'expecting CONNACK but received 13' }, table.unpack(errors(log)))

    -- 14, 15, malformed remaining length, oversized: session ends with the spec's text
    local bad = {
        { Q.pkt(0x30, '\0'), 'malformed PUBLISH packet: missing topic length' },
        { Q.pkt(0x30, '\0\4ab'), 'malformed PUBLISH packet: truncated topic name' },
        { Q.pkt(0x32, '\0\1t'), 'malformed PUBLISH packet: missing packet id' },
        { Q.pkt(0x36, '\0\1t\0\1'), 'malformed PUBLISH packet: invalid qos' },
        { Q.pkt(0x30, '\0\0x'), 'malformed PUBLISH packet: empty topic name' },
        { Q.pkt(0x40, '\0'), 'malformed PUBACK packet: remaining length must be 2' },
        { Q.pkt(0x50, '\0\1\2'), 'malformed PUBREC packet: remaining length must be 2' },
        { Q.pkt(0x70, ''), 'malformed PUBCOMP packet: remaining length must be 2' },
        { Q.pkt(0x60, '\0\1'), 'malformed PUBREL packet: invalid flags 0x00' },
        { Q.pkt(0x41, '\0\1'), 'malformed PUBACK packet: invalid flags 0x01' },
        { Q.pkt(0x90, '\0\1'), 'malformed SUBACK packet: remaining length must be at least 3' },
        { Q.pkt(0xb0, ''), 'malformed UNSUBACK packet: remaining length must be 2' },
        { Q.pkt(0xd0, '\0'), 'malformed PINGRESP packet: remaining length must be 0' },
        { Q.pkt(0x22, '\0\0'), 'malformed CONNACK packet: invalid flags 0x02' },
        { '\x30\xff\xff\xff\xff\x01', 'malformed remaining length' },
        -- 256 MiB - 1 announced, nothing sent: refused before reading the body
        { '\x30\xff\xff\xff\x7f', 'packet too large: remaining length 268435455 exceeds the limit of 16777216' },
        { Q.publish('t', string.rep('x', 2000)), 'packet too large: remaining length 2003 exceeds the limit of 1000', 1000 },
    }
    for _, case in ipairs(bad) do
        log, c = session(function(conn)
            conn:send(Q.connack(0, 0))
            conn:send(case[1])
            expect_eof(conn)
        end, { max_packet_size = case[3] })
        T.eq(log[1][1], 'conack')
        T.same({ case[2] }, table.unpack(errors(log)))
        T.eq(#log, 2, case[2])
    end
    T.raises('expecting max_packet_size to be a non-negative integer', mqtt.new, { max_packet_size = 'x' })
    -- a packet exactly at the limit passes
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        conn:send(Q.publish('t', string.rep('x', 997)))
        eco.sleep(0.1)
    end, { max_packet_size = 1000 })
    T.eq(log[2][1], 'publish'); T.eq(#log[2][2].payload, 997)

    -- unknown packet types and a second CONNACK: reported, session continues
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        conn:send(Q.pkt(0xf0)); conn:send(Q.pkt(0x00, 'abc')); conn:send(Q.pkt(0x82, '\0\1\0\1t\0'))
        conn:send(Q.pkt(0xc0)); conn:send(Q.pkt(0xe0))
        conn:send(Q.connack(0, 0))
        conn:send(Q.publish('after', 'x'))
        eco.sleep(0.1)
    end)
    local errs = errors(log)
    T.same({ 'unknown packet type 15', 'unknown packet type 0', 'unknown packet type 8',
        'unknown packet type 12', 'unknown packet type 14', 'unexpecting CONNACK received', 'closed' },
        table.unpack(errs))
    T.eq(log[#log - 1][1], 'publish'); T.eq(log[#log - 1][2].topic, 'after')

    -- 21: incoming QoS 0/1/2; PUBACK/PUBREC written before the event; duplicate QoS 2 ignored
    local order = {}
    local got = {}
    log, c = session(function(conn)
        conn:send(Q.connack(0, 0))
        conn:send(Q.publish('q0', 'zero', 0, nil, 0x01))
        conn:send(Q.publish('q1', 'one', 1, 7))
        local first, body = Q.read(conn)
        got[#got + 1] = { first, body }
        conn:send(Q.publish('q2', 'two', 2, 8))
        first, body = Q.read(conn)
        got[#got + 1] = { first, body }
        conn:send(Q.publish('q2', 'two', 2, 8, 0x08)) -- duplicate before PUBREL
        conn:send(Q.pkt(0x62, '\0\8'))                -- PUBREL
        first, body = Q.read(conn)
        got[#got + 1] = { first, body }
        conn:send(Q.publish('q2', 'again', 2, 8))      -- same id after PUBREL: a new message
        got[#got + 1] = { Q.read(conn) }
        eco.sleep(0.1)
    end, {}, {
        conack = function(_, cli)
            local sock = cli.sock
            local send = sock.send
            sock.send = function(s, data)
                order[#order + 1] = 'send ' .. data:byte(1)
                return send(s, data)
            end
        end,
        publish = function(m) order[#order + 1] = 'event ' .. m.topic end,
    })
    T.same({ 'send 64', 'event q1', 'send 80', 'event q2', 'send 112', 'send 80', 'event q2' },
        table.unpack(order, 2))
    T.eq(order[1], 'event q0')
    T.eq(got[1][1], 0x40); T.eq(got[1][2], '\0\7', '21: PUBACK id')
    T.eq(got[2][1], 0x50); T.eq(got[2][2], '\0\8', '21: PUBREC id')
    T.eq(got[3][1], 0x70); T.eq(got[3][2], '\0\8', 'PUBCOMP id')
    local pubs = {}
    for _, e in ipairs(log) do if e[1] == 'publish' then pubs[#pubs + 1] = e[2] end end
    T.eq(#pubs, 4, '21: duplicate QoS 2 fires no event')
    T.eq(pubs[1].topic, 'q0'); T.eq(pubs[1].payload, 'zero'); T.eq(pubs[1].qos, 0)
    T.eq(pubs[1].retain, true); T.eq(pubs[1].dup, false)
    T.eq(pubs[2].qos, 1); T.eq(pubs[2].retain, false)
    T.eq(pubs[3].qos, 2); T.eq(pubs[3].payload, 'two')
    T.eq(pubs[4].payload, 'again')
    T.eq(c.wait_for_pubrel[8], true, 'awaiting PUBREL again')

    -- outgoing QoS 1 and 2 flows; duplicate PUBREC ignored; unknown ids ignored
    local flow = {}
    log, c = session(function(conn)
        conn:send(Q.connack(0, 0))
        local f1, b1 = Q.read(conn)   -- PUBLISH qos1 id 1
        local f2, b2 = Q.read(conn)   -- PUBLISH qos2 id 2
        flow.p1, flow.p2 = { f1, b1 }, { f2, b2 }
        conn:send(Q.pkt(0x40, '\0\1'))   -- PUBACK 1
        conn:send(Q.pkt(0x40, '\0\99'))  -- unknown
        conn:send(Q.pkt(0x50, '\0\2'))   -- PUBREC 2
        flow.rel = { Q.read(conn) }
        conn:send(Q.pkt(0x50, '\0\2'))   -- duplicate PUBREC: ignored
        conn:send(Q.pkt(0x50, '\0\77'))  -- unknown: ignored
        eco.sleep(0.1)
        flow.before_comp = flow.cli.wait_for_pubcomp[2] ~= nil
        conn:send(Q.pkt(0x70, '\0\2'))   -- PUBCOMP 2
        conn:send(Q.pkt(0xb0, '\0\5'))   -- UNSUBACK unknown id
        eco.sleep(0.1)
    end, {}, { conack = function(_, cli)
        flow.cli = cli
        T.same({ true }, cli:publish('a', 'A', 1))
        T.same({ true }, cli:publish('b', 'B', 2, true))
    end })
    T.eq(flow.p1[1], 0x32); T.eq(flow.p1[2], Q.str('a') .. '\0\1A')
    T.eq(flow.p2[1], 0x35); T.eq(flow.p2[2], Q.str('b') .. '\0\2B')
    T.eq(flow.rel[1], 0x62, 'PUBREL flags 0x2'); T.eq(flow.rel[2], '\0\2')
    T.ok(flow.before_comp)
    T.eq(next(c.wait_for_puback), nil); T.eq(next(c.wait_for_pubrec), nil)
    T.eq(next(c.wait_for_pubcomp), nil)
    T.same({ 'closed' }, table.unpack(errors(log)))

    -- 22, 24 (wire side): unsuback once per topic
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        local f, b = Q.read(conn)
        assert(f == 0xa2 and b == '\0\1' .. Q.str('x') .. Q.str('y') .. Q.str('z'), 'UNSUBSCRIBE')
        conn:send(Q.pkt(0xb0, '\0\1'))
        conn:send(Q.pkt(0xb0, '\0\1'))   -- again: no longer pending
        eco.sleep(0.1)
    end, {}, { conack = function(_, cli) cli:unsubscribe('x', 'y', 'z') end })
    local uns = {}
    for _, e in ipairs(log) do if e[1] == 'unsuback' then uns[#uns + 1] = e[2] end end
    T.same({ 'x', 'y', 'z' }, table.unpack(uns))

    -- session resumption: pending QoS 1/2 PUBLISH (DUP set) and PUBRELs resent in tx_seq order
    c = mqtt.new({ id = 'resume' })
    local fake = { send = function(_, d) return #d end }
    c.sock, c.connected = fake, true
    c:publish('p1', '1', 1)       -- seq 1, id 1
    c:publish('p2', '2', 2)       -- seq 2, id 2
    c:publish('p3', '3', 2)       -- seq 3, id 3
    c:subscribe('s', 1)           -- seq 4, id 4: not resent
    c.wait_for_pubrec[2] = nil    -- as if PUBREC 2 arrived: PUBREL 2 pending with seq 5
    c.tx_seq = c.tx_seq + 1
    c.wait_for_pubcomp[2] = { pkt = '\x62\x02\0\2', seq = c.tx_seq }
    c.sock, c.connected = nil, false
    local resent = {}
    local port3, st3 = Q.fake(function(conn)
        conn:send(Q.connack(1, 0))
        for i = 1, 4 do resent[i] = { Q.read(conn, 2) } end
    end)
    c.opts.port = port3
    c:run()
    T.wait_until(function() return st3.done end)
    T.eq(st3.err, nil)
    T.eq(resent[1][1], 0x3a); T.eq(resent[1][2], Q.str('p1') .. '\0\1' .. '1')
    T.eq(resent[2][1], 0x3c); T.eq(resent[2][2], Q.str('p3') .. '\0\3' .. '3')
    T.eq(resent[3][1], 0x62); T.eq(resent[3][2], '\0\2')
    T.eq(resent[4][1], nil, 'nothing else resent (SUBSCRIBE is not)')
    T.ok(c.wait_for_suback[4], 'pending tables not cleared')
    -- clean_session = true: nothing resent even with session_present
    c.opts.clean_session = true
    local port4, st4 = Q.fake(function(conn)
        conn:send(Q.connack(1, 0))
        resent.clean = { Q.read(conn, 0.5) }
    end)
    c.opts.port = port4
    c:run()
    T.wait_until(function() return st4.done end)
    T.eq(resent.clean[1], nil); T.eq(resent.clean[2], 'timeout')

    -- 23: close() during run ends it with `canceled`
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        expect_eof(conn)
    end, {}, { conack = function(_, cli)
        eco.run(function() eco.sleep(0.1); cli:close() end)
    end })
    T.same({ 'canceled' }, table.unpack(errors(log)))

    -- disconnect(): DISCONNECT sent, socket left open; broker closes it; run ends with `closed`
    local disc = {}
    log = session(function(conn)
        conn:send(Q.connack(0, 0))
        disc.pkt = { Q.read(conn) }
    end, {}, { conack = function(_, cli)
        eco.run(function() T.same({ true }, cli:disconnect()) end)
    end })
    T.eq(disc.pkt[1], 0xe0); T.eq(disc.pkt[2], '')
    T.same({ 'closed' }, table.unpack(errors(log)))

    -- a handler that raises: run() cleans up (socket closed, timers gone) and re-raises
    do
        local port5, st5 = Q.fake(function(conn)
            conn:send(Q.connack(0, 0))
            expect_eof(conn)
        end)
        local hc = mqtt.new({ port = port5 })
        hc:on('conack', function() error('handler boom') end)
        T.raises('handler boom', hc.run, hc)
        T.eq(hc.connected, false)
        T.ok(hc.sock:closed())
        T.wait_until(function() return st5.done end)
        T.eq(st5.err, nil)
    end

    -- a stream of 2,000 small publishes in one write burst, all delivered in order
    local n = 0
    local inorder = true
    log = session(function(conn)
        local parts = { Q.connack(0, 0) }
        for i = 1, 2000 do parts[#parts + 1] = Q.publish('t/' .. i, tostring(i)) end
        conn:send(table.concat(parts))
        eco.sleep(0.2)
    end, {}, { publish = function(m)
        n = n + 1
        if m.payload ~= tostring(n) then inorder = false end
    end })
    T.eq(n, 2000); T.ok(inorder)
end)
