-- Helpers for tests/http: a scripted raw-socket HTTP peer, our server on an ephemeral port, temp dirs.
local eco = require 'eco'
local socket = require 'eco.socket'
local T = require 'testlib'

local H = {}

--- A one-shot raw peer on 127.0.0.1: accepts one connection, reads the request head (and a
-- Content-Length body), records it in `got` and then calls `script(sock, got)` to answer.
-- @return port, got (filled once the request arrived; got.done after the script returned)
function H.fake(script)
    local l = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
    local port = l:getsockname().port
    local got = {}
    eco.run(function()
        local c = l:accept(10)
        l:close()
        if not c then got.done = true return end
        local head = {}
        while true do
            local data, found = c:readuntil('\r\n\r\n', 10)
            if not data then break end
            head[#head + 1] = data
            if found then break end
        end
        got.head = table.concat(head)
        got.line = got.head:match('^[^\r\n]*')
        got.headers = {}
        for name, value in got.head:gmatch('\r\n([^:\r\n]+): ([^\r\n]*)') do got.headers[name] = value end
        local cl = tonumber(got.headers['Content-Length'] or '')
        if cl and cl > 0 then got.body = c:readfull(cl, 10) end
        script(c, got)
        c:close()
        got.done = true
    end)
    return port, got
end

--- Runs our server on 127.0.0.1:0 in a coroutine. @return port, options (close options.listener to stop)
function H.serve(handler, opts)
    local server = require 'eco.http.server'
    opts = opts or {}
    local started = false
    eco.run(function()
        local _, err = server.listen('127.0.0.1', 0, opts, function(con, req)
            return handler(con, req)
        end)
        opts.stopped = err or true
    end)
    T.wait_until(function() return opts.listener ~= nil or opts.stopped end, 5, 'server listening')
    local l = opts.listener
    local port = (l.sock and l.sock.getsockname and l.sock:getsockname() or l:getsockname()).port
    return port, opts
end

--- Stops a server started with H.serve and waits until listen returned.
function H.stop(opts)
    opts.listener:close()
    T.wait_until(function() return opts.stopped end, 5, 'server stopped')
end

--- Sends `data` on a fresh connection and reads everything until the server closes.
function H.raw(port, data, timeout)
    local c = assert(socket.connect_tcp('127.0.0.1', port))
    if data then c:send(data) end
    local out = c:read('a', timeout or 10)
    c:close()
    return out
end

--- A fresh temporary directory.
function H.tmpdir()
    local p = os.tmpname()
    os.remove(p)
    assert(os.execute('mkdir -p ' .. p))
    return p
end

function H.write(path, data)
    local f = assert(io.open(path, 'wb'))
    f:write(data)
    f:close()
    return path
end

function H.read(path)
    local f = io.open(path, 'rb')
    if not f then return nil end
    local d = f:read('a')
    f:close()
    return d
end

--- curl with arguments (table); fails loudly when curl is missing. @return stdout, stderr
function H.curl(args, timeout)
    local sys = require 'eco.sys'
    local cmd = { 'curl', '-sS', '--max-time', tostring(timeout or 20) }
    for _, a in ipairs(args) do cmd[#cmd + 1] = a end
    local out, err, xerr = sys.sh(cmd, (timeout or 20) + 10)
    T.ok(out, 'curl could not run (is curl installed?): ' .. tostring(xerr))
    return out, err
end

return H
