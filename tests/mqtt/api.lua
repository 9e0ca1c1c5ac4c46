-- eco.mqtt API surface: constants, option/argument validation, unconnected behaviour, packet ids
-- and pending tables with a fake socket (spec/mqtt.md checklist items in comments).
local T = require 'testlib'
local mqtt = require 'eco.mqtt'

T.go(function()
    -- 1
    T.eq(mqtt.QOS0, 0); T.eq(mqtt.QOS1, 1); T.eq(mqtt.QOS2, 2)
    T.eq(mqtt.SUBACK_FAILURE, 0x80)
    local names = { 'CONNACK_ACCEPTED', 'CONNACK_REFUSED_PROTOCOL_VERSION',
        'CONNACK_REFUSED_IDENTIFIER_REJECTED', 'CONNACK_REFUSED_SERVER_UNAVAILABLE',
        'CONNACK_REFUSED_BAD_USER_NAME_OR_PASSWORD', 'CONNACK_REFUSED_NOT_AUTHORIZED' }
    for i, n in ipairs(names) do
        T.eq(math.type(mqtt[n]), 'integer', n)
        T.eq(mqtt[n], i - 1, n)
    end

    -- 2
    T.raises('expecting opts to be a table', mqtt.new, 1)
    T.raises('expecting ipaddr to be a string', mqtt.new, { ipaddr = 1 })
    T.raises('expecting port to be an integer', mqtt.new, { port = 1.2 })
    T.raises('keepalive cannot be less than 5', mqtt.new, { keepalive = 4 })
    T.raises('expecting keepalive to be an integer', mqtt.new, { keepalive = 'x' })
    T.raises('expecting ssl to be a boolean', mqtt.new, { ssl = 1 })
    T.raises('expecting ca to be a string', mqtt.new, { ca = 1 })
    T.raises('expecting cert to be a string', mqtt.new, { cert = 1 })
    T.raises('expecting key to be a string', mqtt.new, { key = 1 })
    T.raises('expecting insecure to be a boolean', mqtt.new, { insecure = 1 })
    T.raises('expecting mark to be an integer', mqtt.new, { mark = 'x' })
    T.raises('expecting device to be a string', mqtt.new, { device = 1 })
    T.raises('expecting id to be a string', mqtt.new, { id = 1 })
    T.raises('expecting clean_session to be a boolean', mqtt.new, { clean_session = 1 })
    T.raises('expecting username to be a string', mqtt.new, { username = 1 })
    T.raises('expecting password to be a string', mqtt.new, { password = 1 })
    T.ok(mqtt.new())
    T.ok(mqtt.new({ unknown_key = {}, reuseaddr = true }))
    local opts = { id = 'x' }
    T.eq(mqtt.new(opts).opts, opts, 'opts kept by reference')

    -- 3
    T.raises('expecting will to be a table', mqtt.new, { will = 'x' })
    T.raises('expecting will.topic to be a string', mqtt.new, { will = { topic = 1, message = 'm' } })
    T.raises('expecting will.payload to be a string', mqtt.new, { will = { topic = 't', payload = 1 } })
    T.raises('expecting will.retain to be a boolean', mqtt.new,
        { will = { topic = 't', payload = 'p', retain = 1 } })
    T.raises('expecting will.qos to be 0 or 1 or 2', mqtt.new,
        { will = { topic = 't', payload = 'p', qos = 3 } })
    local w = { topic = 't', message = 'legacy' }
    mqtt.new({ will = w })
    T.eq(w.payload, 'legacy', 'will.message copied into payload')

    -- 4
    local c = mqtt.new()
    T.raises('keepalive cannot be less than 5', c.set, c, 'keepalive', 3)
    T.raises('expecting port to be an integer', c.set, c, 'port', 1.1)
    T.same({}, c:set('id', 'x')); T.eq(c.opts.id, 'x')
    T.same({}, c:set('device', 'lo')); T.eq(c.opts.device, 'lo')
    T.same({}, c:set('mark', 0)); T.eq(c.opts.mark, 0)
    T.raises('expecting will.qos to be 0 or 1 or 2', c.set, c, 'will', { topic = 't', payload = 'p', qos = 7 })

    -- 5
    local f = function() end
    T.raises('invalid args: expected only one or two arguments', c.on, c)
    T.raises('invalid args: expected only one or two arguments', c.on, c, 'error', f, true)
    T.raises('expecting event to be a string', c.on, c, 1, f)
    T.raises('expecting event to be a string', c.on, c, { [1] = f })
    T.raises('expecting func to be a function', c.on, c, 'error', 1)
    T.raises('expecting func to be a function', c.on, c, { error = 1 })
    T.raises('expecting func to be a function', c.on, c, 'error')
    T.raises('expecting event to be a string', c.on, c, 5)
    T.raises('expecting func to be a function', c.on, c, { conack = f, error = 1 })
    T.eq(c.handlers.conack, nil, 'a failing table registers nothing')
    c:on('anything', f)
    T.eq(c.handlers.anything, f)
    local g = function() end
    c:on({ anything = g, conack = f })
    T.eq(c.handlers.anything, g, 'registering again replaces')
    T.eq(c.handlers.conack, f)

    -- 7
    c = mqtt.new()
    T.fails('unconnected', c:publish('t', 'x', 9))
    T.fails('unconnected', c:publish('t', 'x', 1))
    T.fails('unconnected', c:subscribe('t', 1))
    T.fails('unconnected', c:unsubscribe('t'))
    T.same({ true }, c:disconnect())
    T.same({}, c:close())

    -- 8
    T.ok(not pcall(c.publish, c, 1, 'x'), 'publish(1, x)')
    T.ok(not pcall(c.publish, c, 't', 1), 'publish(t, 1)')
    T.ok(not pcall(c.publish, c, 't', 'x', 1, 1), 'publish(t, x, 1, 1)')
    T.raises('expecting topic to be a non-empty string', c.subscribe, c, '', 0)
    T.raises('expecting topic to be a non-empty string', c.subscribe, c, 1, 0)
    T.raises('expecting qos to be 0 or 1 or 2', c.subscribe, c, 't', 9)
    T.raises('expecting topic and qos to appear in pairs', c.subscribe, c, 't', 0, 't2')
    T.raises('expecting topic #2 to be a non-empty string', c.subscribe, c, 't', 0, '', 1)
    T.raises('expecting qos #2 to be 0 or 1 or 2', c.subscribe, c, 't', 0, 't2', 9)
    T.raises('expecting qos #3 to be 0 or 1 or 2', c.subscribe, c, 't', 0, 't2', 1, 't3', 5)
    T.raises('expecting topic to be a non-empty string', c.unsubscribe, c, '')
    T.raises('expecting topic to be a non-empty string', c.unsubscribe, c)
    T.raises('expecting topic #2 to be a non-empty string', c.unsubscribe, c, 't', '')
    T.raises('expecting topic #2 to be a non-empty string', c.unsubscribe, c, 't', 1)

    -- 9, 10, 20: a fake connected socket records what is written
    local sent = {}
    local fake = { send = function(_, data) sent[#sent + 1] = data; return #data end }
    c.sock, c.connected = fake, true
    T.ok(not pcall(c.publish, c, 't', 'x', 9), '9: bad qos raises when connected')
    T.same({ true }, c:publish('t', 'x', 1))
    T.eq(c.mid, 1, '20: first id is 1')
    local e1 = T.ok(c.wait_for_puback[1])
    T.eq(math.type(e1.seq), 'integer')
    T.eq(e1.pkt, sent[#sent])
    T.eq(sent[#sent], '\x32\x06\0\1t\0\1x')
    T.same({ true }, c:publish('t', 'y', 2))
    local e2 = T.ok(c.wait_for_pubrec[2])
    T.ok(e2.seq > e1.seq)
    T.same({ true }, c:subscribe('a', 1, 'b', 2))
    local e3 = T.ok(c.wait_for_suback[3], '20: ids shared with subscribe')
    T.ok(e3.seq > e2.seq)
    T.eq(e3.topics[1], 'a'); T.eq(e3.topics[2], 'b')
    T.eq(sent[#sent], '\x82\x0a\0\3\0\1a\1\0\1b\2', 'SUBSCRIBE flags 0x2')
    T.same({ true }, c:unsubscribe('a', 'b'))
    local e4 = T.ok(c.wait_for_unsuback[4])
    T.ok(e4.seq > e3.seq)
    T.eq(e4.topics[2], 'b')
    T.eq(sent[#sent], '\xa2\x08\0\4\0\1a\0\1b', 'UNSUBSCRIBE flags 0x2')
    local seq = c.tx_seq
    T.same({ true }, c:publish('t', 'z', 0, true))
    T.eq(c.tx_seq, seq, '10: QoS 0 leaves tx_seq')
    T.eq(c.mid, 4, 'QoS 0 uses no id')
    T.eq(sent[#sent], '\x31\x04\0\1tz', 'retain flag')
    c.mid = 65535
    T.same({ true }, c:publish('t', 'x', 1))
    T.eq(c.mid, 1, '20: wraps to 1')
    -- send failure: entry removed, network: prefix
    fake.send = function() return nil, 'Broken pipe' end
    T.fails('network: Broken pipe', c:publish('t', 'x', 1))
    T.eq(c.wait_for_puback[2], nil)
    T.fails('network: Broken pipe', c:subscribe('t'))
    T.fails('network: Broken pipe', c:unsubscribe('t'))
    T.fails('network: Broken pipe', c:disconnect())
    fake.send = function(_, data) sent[#sent + 1] = data; return #data end
    T.same({ true }, c:disconnect())
    T.eq(sent[#sent], '\xe0\0')
end)
