-- eco.socket connect: the fixed 5 s connect timeout (spec/socket.md 5.3). A listener with a full
-- accept queue makes Linux drop further SYNs, so the next connect stays in progress.
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

T.go(function()
    local l = assert(socket.listen_tcp('127.0.0.1', 0, { backlog = 0 }))
    local port = l:getsockname().port
    local first = assert(socket.connect_tcp('127.0.0.1', port))   -- fills the queue (never accepted)

    -- meanwhile the loop keeps running other coroutines
    local ticks = 0
    local ticking = true
    eco.run(function()
        while ticking do
            ticks = ticks + 1
            eco.sleep(0.1)
        end
    end)
    local t0 = T.now()
    local c = assert(socket.tcp())
    T.fails('timeout', c:connect('127.0.0.1', port))
    T.between(T.now() - t0, 4.5, 15, 'connect timeout')
    ticking = false
    T.ok(ticks >= 20, 'other coroutines ran during the connect: ' .. ticks)
    c:close()
    first:close()
    l:close()
end)
