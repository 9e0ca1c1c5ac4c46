-- TCP echo server on eco.socket, for bench/echo.sh: one coroutine per connection.
-- usage: eco bench/echo/echo_server.lua PORT   (or lua5.4 with the .so modules)
local eco    = require 'eco'
local socket = require 'eco.socket'

local port = tonumber(arg and arg[1]) or 9100
local srv = assert(socket.listen_tcp('127.0.0.1', port, { reuseaddr = true, backlog = 4096 }))

local function serve(c)
    c:setoption('tcp_nodelay', true)
    while true do
        local data = c:read(4096)
        if not data then break end
        if not c:send(data) then break end
    end
    c:close()
end

eco.run(function()
    while true do
        local c = srv:accept()
        if c then eco.run(serve, c) end
    end
end)

eco.loop()
