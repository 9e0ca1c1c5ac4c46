-- eco.http: client.body_with_file and server.listen check their arguments themselves, so an
-- argument error names them (issue "errors that name their function"); the soft failures of
-- spec/http.md stay soft.
local eco = require 'eco'
local T = require 'testlib'
local client = require 'eco.http.client'
local server = require 'eco.http.server'
local socket = require 'eco.socket'

local function named(fname, n, detail, f, ...)
    local err = T.raises(string.format("bad argument #%d to '%s' (%s)", n, fname, detail), f, ...)
    T.eq(type(err), 'string', fname .. ': error type')
    return err
end

T.go(function()
    -- body_with_file(path): a string (or a number, read as its string form)
    named('body_with_file', 1, 'string expected, got table', client.body_with_file, {})
    named('body_with_file', 1, 'string expected, got boolean', client.body_with_file, true)
    named('body_with_file', 1, 'string expected, got no value', client.body_with_file)
    local ok, err = pcall(function() return (client.body_with_file({})) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #1 to \'body_with_file\''), err)
    -- soft failures by spec (B.1, checklist 25)
    T.fails('not a regular file', client.body_with_file('/tmp'))
    local r, e = client.body_with_file('/nonexistent')
    T.ok(r == nil and type(e) == 'string', 'body_with_file(missing)')
    r, e = client.body_with_file(12345)
    T.ok(r == nil and type(e) == 'string', 'body_with_file(number)')

    -- listen(ipaddr?, port, options?, handler)
    local h = function() end
    named('listen', 2, 'number expected, got table', server.listen, nil, {}, {}, h)
    named('listen', 2, 'number expected, got no value', server.listen, '127.0.0.1', nil, {}, h)
    named('listen', 2, 'number has no integer representation', server.listen, nil, 1.5, {}, h)
    named('listen', 3, 'table expected, got boolean', server.listen, nil, 0, true, h)
    named('listen', 3, 'table expected, got function', server.listen, nil, 0, h, h)
    named('listen', 4, 'function expected, got no value', server.listen, nil, 0, {})
    named('listen', 4, 'function expected, got string', server.listen, nil, 0, {}, 'h')
    ok, err = pcall(function() return (server.listen(nil, {}, {}, h)) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #2 to \'listen\''), err)
    -- the socket options passed on to eco.socket.listen_tcp are checked under listen's name
    named('listen', 3, 'boolean expected, got number', server.listen, '127.0.0.1', 0, { reuseaddr = 1 }, h)
    named('listen', 3, 'number expected, got boolean', server.listen, '127.0.0.1', 0, { tcp_keepidle = true }, h)
    named('listen', 3, 'boolean expected, got number', server.listen, '127.0.0.1', 0,
        { ipv6 = true, ipv6_v6only = 1 }, h)
    -- still soft: a busy port (checklist 53), with a callable table as handler and false options
    local busy = T.ok(socket.listen_tcp('127.0.0.1', 0))
    local port = busy:getsockname().port
    local callable = setmetatable({}, { __call = function() end })
    T.fails('Address already in use', server.listen('127.0.0.1', port, {}, callable))
    T.fails('Address already in use', server.listen('127.0.0.1', tostring(port), false, h))
    -- ipv6_v6only is skipped for IPv4 listeners, as by listen_tcp
    T.fails('Address already in use', server.listen('127.0.0.1', port, { ipv6_v6only = 1 }, h))
    busy:close()
end)

print('ok')
