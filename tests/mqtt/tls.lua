-- MQTT over TLS (eco.ssl) against mosquitto with a generated CA and server certificate, on a
-- free port of 127.0.0.1; a client certificate on a second listener that requires one.
local T = require 'testlib'
local Q = require 'mqtttest'
local S = require 'ssltest'
local eco = require 'eco'
local mqtt = require 'eco.mqtt'

local function session(opts, body)
    local c = mqtt.new(opts)
    local log = { msgs = {}, errs = {} }
    c:on({
        conack = function(ack, cli) log.conack = ack if body then body(cli, log) end end,
        publish = function(m) log.msgs[#log.msgs + 1] = m end,
        error = function(e) log.errs[#log.errs + 1] = e end,
    })
    c:run()
    return log, c
end

T.go(function()
    -- ca_and_leaf writes fixed file names: one directory per chain
    local ca, leaf, key = S.ca_and_leaf(S.tmpdir(), '127.0.0.1')
    local cca, cleaf, ckey = S.ca_and_leaf(S.tmpdir(), 'client')
    local tls_port, mtls_port = Q.free_port(), Q.free_port()
    while mtls_port == tls_port do mtls_port = Q.free_port() end
    local b = Q.broker({ extra = {
        'listener ' .. tls_port .. ' 127.0.0.1',
        'certfile ' .. leaf, 'keyfile ' .. key,
        'listener ' .. mtls_port .. ' 127.0.0.1',
        'certfile ' .. leaf, 'keyfile ' .. key, 'cafile ' .. cca,
        'require_certificate true',
    } })
    -- wait for the TLS listeners too
    T.wait_until(function()
        local s = require('eco.socket').connect_tcp('127.0.0.1', mtls_port)
        if s then s:close() end
        return s
    end, 10, 'TLS listeners')

    -- verified with the CA: publish/subscribe round trip at QoS 2
    local log = session({ ssl = true, port = tls_port, ca = ca, id = 'tls' }, function(cli, l)
        cli:subscribe('eco/tls', 2)
        eco.run(function()
            eco.sleep(0.2)
            cli:publish('eco/tls', 'over tls', 2)
            T.wait_until(function() return #l.msgs == 1 end, 10, 'TLS round trip')
            cli:disconnect()
        end)
    end)
    T.eq(log.conack.rc, 0)
    T.eq(log.msgs[1].payload, 'over tls'); T.eq(log.msgs[1].qos, 2)
    T.eq(log.errs[#log.errs], 'closed')

    -- not verifiable without the CA: the connect fails, reported as network: <ssl error>
    log = session({ ssl = true, port = tls_port, id = 'tls-noca' })
    T.eq(log.conack, nil)
    T.eq(#log.errs, 1)
    T.ok(log.errs[1]:find('^network: .'), log.errs[1])
    -- insecure = true accepts it
    log = session({ ssl = true, port = tls_port, insecure = true, id = 'tls-insecure' },
        function(cli) cli:disconnect() end)
    T.eq(log.conack.rc, 0)

    -- a plaintext client on the TLS port gets no CONNACK
    log = session({ port = tls_port, id = 'plain-on-tls' })
    T.eq(log.conack, nil)
    T.ok(#log.errs >= 1)

    -- client certificate required: without one the session fails, with one it works
    log = session({ ssl = true, port = mtls_port, ca = ca, id = 'mtls-none' })
    T.eq(log.conack, nil, 'no CONNACK without a client certificate')
    T.ok(#log.errs >= 1)
    log = session({ ssl = true, port = mtls_port, ca = ca, cert = cleaf, key = ckey, id = 'mtls' },
        function(cli) cli:disconnect() end)
    T.eq(log.conack and log.conack.rc, 0, 'client certificate accepted')
    log = session({ ssl = true, port = tls_port, ca = '/nonexistent', id = 'badca' })
    T.same({ 'network: load ca file fail' }, table.unpack(log.errs))

    b.stop()
    Q.cleanup()
    S.cleanup()
end)
