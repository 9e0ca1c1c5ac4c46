-- eco.mqtt timers against fake brokers: CONNACK timeout, keep-alive PINGREQ and the PINGRESP
-- timeout, the 5 s per-packet read timeout (spec/mqtt.md checklist items in comments).
-- The three sessions run concurrently to keep the file short.
local T = require 'testlib'
local Q = require 'mqtttest'
local eco = require 'eco'
local mqtt = require 'eco.mqtt'
local sync = require 'eco.sync'

local function session(script, opts, on_conack)
    local port, state = Q.fake(script)
    opts = opts or {}
    opts.port = port
    local c = mqtt.new(opts)
    local log = {}
    c:on({
        conack = function(ack) log[#log + 1] = { 'conack', ack.rc, T.now() } if on_conack then on_conack(c) end end,
        error = function(e) log[#log + 1] = { 'error', e, T.now() } end,
    })
    local t0 = T.now()
    c:run()
    log.t0, log.elapsed = t0, T.now() - t0
    T.wait_until(function() return state.done end, 10, 'fake broker end')
    if state.err then error('fake broker: ' .. tostring(state.err)) end
    return log, c, state
end

T.go(function()
    local wg = sync.waitgroup()
    wg:add(4)

    -- 16: a broker that never answers: `wait CONACK timeout` after ~3 s, then `canceled`
    eco.run(function()
        local log, c = session(function(conn) Q.read(conn, 20) end)
        T.eq(#log, 2)
        T.eq(log[1][2], 'wait CONACK timeout')
        T.between(log[1][3] - log.t0, 2.8, 4.5, '16: CONNACK timeout')
        T.eq(log[2][2], 'canceled')
        T.eq(c.connected, false)
        wg:done()
    end)

    -- keep-alive: PINGREQ after `keepalive` idle seconds; answered, the session lives on; then
    -- unanswered: `wait PINGRESP timeout` 3 s later, then `canceled`
    eco.run(function()
        local pings = {}
        local log = session(function(conn)
            conn:send(Q.connack(0, 0))
            local t0 = T.now()
            local first, body = Q.read(conn, 10)
            pings[1] = { first, body, T.now() - t0 }
            conn:send(Q.pkt(0xd0))
            t0 = T.now()
            first, body = Q.read(conn, 10)
            pings[2] = { first, body, T.now() - t0 }
            Q.read(conn, 10) -- EOF once the client gives up
        end, { keepalive = 5 })
        T.eq(pings[1][1], 0xc0, 'PINGREQ'); T.eq(pings[1][2], '')
        T.between(pings[1][3], 4.5, 6.5, 'first PINGREQ after keepalive')
        T.eq(pings[2][1], 0xc0, 'second PINGREQ')
        T.between(pings[2][3], 4.5, 6.5, 'second PINGREQ after keepalive')
        T.eq(log[1][1], 'conack')
        T.eq(log[2][2], 'wait PINGRESP timeout')
        T.between(log[2][3] - log[1][3], 10 + 2.5, 10 + 5, 'PINGRESP timeout')
        T.eq(log[3][2], 'canceled')
        T.eq(#log, 3)
        wg:done()
    end)

    -- traffic re-arms the keep-alive timer: publishing every 2 s sends no PINGREQ
    eco.run(function()
        local seen = {}
        local log = session(function(conn)
            conn:send(Q.connack(0, 0))
            local t0 = T.now()
            while T.now() - t0 < 9 do
                local first = Q.read(conn, 10)
                if not first then break end
                seen[#seen + 1] = first
            end
        end, { keepalive = 5 }, function(c)
            eco.run(function()
                for _ = 1, 5 do
                    eco.sleep(2)
                    if not c:publish('t', 'x') then break end
                end
            end)
        end)
        for _, f in ipairs(seen) do T.eq(f, 0x30, 'only PUBLISH packets, no PINGREQ') end
        T.ok(#seen >= 4)
        T.eq(log[1][1], 'conack')
        wg:done()
    end)

    -- a packet stalled after its first byte: `network: timeout` after 5 s
    eco.run(function()
        local log = session(function(conn)
            conn:send(Q.connack(0, 0))
            conn:send('\x30')
            Q.read(conn, 10)
        end)
        T.eq(log[2][2], 'network: timeout')
        T.between(log[2][3] - log[1][3], 4.5, 7, 'per-packet timeout')
        T.eq(#log, 2)
        -- and the body: a declared length not delivered
        log = session(function(conn)
            conn:send(Q.connack(0, 0))
            conn:send('\x30\x10\0\1t')
            Q.read(conn, 10)
        end)
        T.eq(log[2][2], 'network: timeout')
        wg:done()
    end)

    T.eq(wg:wait(40), true)
end)
