-- eco.socket's Lua helpers and method aliases check their arguments themselves, so an argument
-- error names the function the script called (issue "errors that name their function"), while
-- the values the spec accepts (section 3.2, 4.6) keep working.
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

local function named(fname, n, detail, f, ...)
    local err = T.raises(string.format("bad argument #%d to '%s' (%s)", n, fname, detail), f, ...)
    T.eq(type(err), 'string', fname .. ': error type')
    return err
end

T.go(function()
    local dir = T.tmpdir()

    -- listen_tcp / listen_udp: the port (section 3.2: a required integer)
    for _, f in ipairs({ 'listen_tcp', 'listen_udp' }) do
        named(f, 2, 'number expected, got table', socket[f], nil, {})
        named(f, 2, 'number expected, got boolean', socket[f], '127.0.0.1', true)
        named(f, 2, 'number expected, got no value', socket[f], '127.0.0.1')
        named(f, 2, 'number has no integer representation', socket[f], nil, 1.5)
        named(f, 2, 'number expected, got string', socket[f], nil, 'http')
        -- option values of the wrong type name the helper and its options argument
        named(f, 3, 'boolean expected, got number', socket[f], '127.0.0.1', 0, { reuseaddr = 1 })
        -- accepted ports: integer, integral float, decimal string; any non-string ipaddr is the wildcard
        for _, port in ipairs({ 0, 0.0, '0', ' 0 ' }) do
            local s = T.ok(socket[f]('127.0.0.1', port))
            s:close()
        end
        local s = T.ok(socket[f]({}, 0))
        T.eq(s:getsockname().ipaddr, '0.0.0.0', f .. ': non-string ipaddr')
        s:close()
        -- an invalid IP literal still raises (section 4.6), soft failures stay soft (checklist 4)
        T.raises('not a valid IPv4 address', socket[f], 'x.y', 0)
    end
    named('listen_tcp', 3, 'boolean expected, got number', socket.listen_tcp, nil, 0, { tcp_nodelay = 1 })
    do
        local a = T.ok(socket.listen_tcp('127.0.0.1', 0))
        T.fails('Address already in use', socket.listen_tcp('127.0.0.1', a:getsockname().port))
        a:close()
    end
    -- the error points at the caller
    local ok, err = pcall(function() return (socket.listen_tcp(nil, {})) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #2 to \'listen_tcp\''), err)
    ok, err = pcall(function() return (socket.listen_tcp(nil, 0, { reuseaddr = 1 })) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #3 to \'listen_tcp\''), err)
    ok, err = pcall(function() return (socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, { reuseaddr = 1 })) end)
    T.ok(not ok and err:find('^[^:]+:%d+: bad argument #4 to \'socket\''), err)
    named('socketpair', 4, 'boolean expected, got number', socket.socketpair, socket.AF_UNIX,
        socket.SOCK_STREAM, 0, { reuseaddr = 1 })
    named('connect_tcp', 3, 'boolean expected, got number', socket.connect_tcp, '127.0.0.1', 1, { reuseaddr = 1 })

    -- listen_unix / connect_unix: paths are strings
    named('listen_unix', 1, 'string expected, got table', socket.listen_unix, {})
    named('listen_unix', 1, 'string expected, got number', socket.listen_unix, 12)
    named('listen_unix', 1, 'string expected, got no value', socket.listen_unix)
    named('connect_unix', 1, 'string expected, got boolean', socket.connect_unix, true)
    named('connect_unix', 2, 'string expected, got table', socket.connect_unix, dir .. '/x', {})
    do
        local path = dir .. '/srv.sock'
        local l = T.ok(socket.listen_unix(path))
        local c = T.ok(socket.connect_unix(path, false)) -- false: no local path, as nil
        c:close()
        c = T.ok(socket.connect_unix(path, dir .. '/cli.sock'))
        c:close()
        T.fails('No such file or directory', socket.connect_unix(dir .. '/none.sock'))
        l:close()
    end

    -- netlink: the protocol is an optional integer
    named('netlink', 1, 'number expected, got table', socket.netlink, {})
    named('netlink', 1, 'number expected, got function', socket.netlink, function() end)

    -- recv / recvfull / write name themselves; read / readfull / send are unchanged
    local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    for _, bad in ipairs({ {}, true, 'x', 1.5 }) do
        named('recv', 1, 'invalid format', a.recv, a, bad)
        named('read', 1, 'invalid format', a.read, a, bad)
    end
    named('recv', 1, 'expected size must be greater than 0', a.recv, a, 0)
    named('recvfull', 1, 'number expected, got table', a.recvfull, a, {})
    named('recvfull', 1, 'number expected, got string', a.recvfull, a, 'x')
    named('recvfull', 1, 'number has no integer representation', a.recvfull, a, 1.5)
    named('recvfull', 1, 'size must be greater than 0', a.recvfull, a, 0)
    named('readfull', 1, 'number expected, got table', a.readfull, a, {})
    named('write', 1, 'string expected, got table', a.write, a, {})
    named('send', 1, 'string expected, got boolean', a.send, a, true)
    T.eq(b:write('abcdef\n12345678'), 15)
    T.eq(a:recv('l'), 'abcdef')
    T.eq(a:recv(2), '12')
    T.eq(a:recvfull('2'), '34')
    T.eq(a:recvfull(2.0), '56')
    T.eq(a:recv(10), '78')
    b:close()
    a:close()
    -- after close: soft, as read
    T.fails('Bad file descriptor', a:recv({}))
    T.fails('Bad file descriptor', a:recvfull({}))
    T.remove_tmpdirs()
end)

print('ok')
