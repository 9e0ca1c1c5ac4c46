-- Publishes N messages on one topic from one coroutine, for bench/mqtt.sh.
-- usage: eco bench/mqtt/pub.lua PORT TOPIC QOS N
local eco  = require 'eco'
local mqtt = require 'eco.mqtt'

local port, topic, qos, n = tonumber(arg[1]), arg[2], tonumber(arg[3]), tonumber(arg[4])
local client = mqtt.new({ ipaddr = '127.0.0.1', port = port, clean_session = true })
local payload = string.rep('x', 32)

client:on({
    conack = function(ack, c)
        assert(ack.rc == mqtt.CONNACK_ACCEPTED, ack.reason)
        eco.run(function()
            for _ = 1, n do
                assert(c:publish(topic, payload, qos))
            end
            -- let the acknowledgements of QoS 1 come back before leaving
            if qos > 0 then eco.sleep(0.5) end
            c:disconnect()
        end)
    end,
    error = function(err) if err ~= "closed" then io.stderr:write("mqtt: ", err, "\n") end end,
})
client:run()
