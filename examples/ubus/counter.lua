-- eco.ubus example: publishes `demo.counter` with two methods, listens to `demo.*` events and
-- notifies subscribers on every change; a second coroutine calls it. Needs ubusd (root).
--   eco examples/ubus/counter.lua [socket path]
local eco = require 'eco'
local ubus = require 'eco.ubus'

local path = arg[1]

eco.run(function()
    local con = assert(ubus.connect(path, true)) -- reconnects if ubusd restarts
    local value = 0
    local obj
    obj = assert(con:add('demo.counter', {
        add = { function(req, msg, c)
            if math.type(msg.n) ~= 'integer' then return ubus.STATUS_INVALID_ARGUMENT end
            value = value + msg.n
            c:reply(req, { value = value })
            c:notify(obj, 'changed', { value = value })
        end, { n = ubus.INT32 } },
        get = { function(req, _, c) c:reply(req, { value = value }) end },
    }))
    assert(con:listen('demo.*', function(ev, msg) print('event', ev, msg.text) end))

    -- a client on its own connection (calls of one connection never block the other's serving)
    local cl = assert(ubus.connect(path))
    cl:subscribe('demo.counter', function(method, msg) print('notified', method, msg.value) end)
    for i = 1, 3 do
        local res, err = cl:call('demo.counter', 'add', { n = i }, 2)
        print('add', i, res and res.value or err)
    end
    print('bad argument:', select(2, cl:call('demo.counter', 'add', { n = 'x' })))
    cl:send('demo.hello', { text = 'hi' })
    eco.sleep(0.1)
    cl:close()
    con:close()
end)

eco.loop()
