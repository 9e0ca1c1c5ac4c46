-- HTTP hello-world on eco.http.server, for bench/http.sh.
-- usage: eco bench/http/hello_server.lua PORT   (or lua5.4 with the .so modules)
local eco  = require 'eco'
local http = require 'eco.http.server'
local log  = require 'eco.log'

log.set_level(log.ERR)
local port = tonumber(arg and arg[1]) or 8080

eco.run(function()
    local _, err = http.listen('127.0.0.1', port, { reuseaddr = true, backlog = 1024 }, function(con)
        con:add_header('content-length', '6')
        con:send('hello\n')
    end)
    io.stderr:write('listen failed: ', tostring(err), '\n')
    os.exit(1)
end)

eco.loop()
