-- eco.socket Unix-domain sockets: listen_unix/connect_unix, unlink on close, autobind,
-- datagrams with addresses, socketpair (spec/socket.md checklist 26, 27, 28, 50; sections 3.1, 4.6).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

local function exists(path)
    local f = io.open(path, 'r')
    if f then f:close() return true end
    -- a socket file cannot be opened with fopen: ask the shell-free way via os.rename onto itself
    return os.rename(path, path) and true or false
end

local function tmp_path(tag)
    local p = os.tmpname()
    os.remove(p)
    return p .. '.' .. tag .. '.sock'
end

-- Tests must not depend on the trailing NUL of pathname addresses (section 3.1).
local function strip(p)
    return (p:gsub('%z$', ''))
end

T.go(function()
    -- 26: listen_unix creates the path; closing an accepted socket keeps it; closing the
    -- listener removes it
    do
        local path = tmp_path('listen')
        local l = socket.listen_unix(path)
        T.ok(l, 'listen_unix')
        T.ok(exists(path), 'listen_unix creates the path')                      -- 26
        T.eq(strip(l:getsockname().path), path)
        T.eq(l:getsockname().family, socket.AF_UNIX)
        -- a pre-existing path: no automatic unlink (4.6)
        T.fails('Address already in use', socket.listen_unix(path))
        local c = socket.connect_unix(path)
        T.ok(c, 'connect_unix')
        local s, peer = l:accept(5)
        T.ok(s, 'accept')
        T.eq(peer.family, socket.AF_UNIX)
        T.eq(peer.path, '')                    -- 3.1: unnamed client
        T.eq(c:send('over unix\n'), 10)
        T.same({ 'over unix' }, s:read('l', 5))
        T.eq(s:send('back'), 4)
        T.same({ 'back' }, c:readfull(4, 5))
        s:close()
        T.ok(exists(path), 'closing an accepted socket keeps the path')         -- 26
        c:close()
        T.ok(exists(path), 'closing an unbound client keeps the path')
        l:close()
        T.ok(not exists(path), 'closing the listener removes the path')         -- 26
        -- connecting to a missing path
        local r, err = socket.connect_unix(path)
        T.eq(r, nil)
        T.eq(err, 'No such file or directory')
    end

    -- connect_unix with a local path: the server sees the client's path; closing the
    -- bound client unlinks its path
    do
        local spath, cpath = tmp_path('srv'), tmp_path('cli')
        local l = assert(socket.listen_unix(spath, { backlog = 4 }))
        local c = socket.connect_unix(spath, cpath)
        T.ok(c, 'connect_unix with local path')
        local s, peer = l:accept(5)
        T.ok(s)
        T.eq(strip(peer.path), cpath)
        T.eq(strip(s:getpeername().path), cpath)
        T.ok(exists(cpath))
        c:close()
        T.ok(not exists(cpath), 'a bound client unlinks its path on close')
        s:close()
        l:close()
        T.ok(not exists(spath))
    end

    -- path too long (3.2)
    do
        local u = assert(socket.unix())
        T.raises('path too long', u.bind, u, '/tmp/' .. string.rep('p', 120))
        u:close()
    end

    -- 27: autobind
    do
        local u = assert(socket.unix_dgram())
        T.eq(u:bind(''), u)                                   -- 27
        local a = u:getsockname()
        T.eq(a.family, socket.AF_UNIX)
        T.eq(a.path:sub(1, 1), '\0')                          -- 27
        T.ok(#a.path >= 2, 'abstract name')
        u:close()
    end

    -- 28: unix datagrams carry the sender's path
    do
        local rpath, spath = tmp_path('dgr'), tmp_path('dgs')
        local r = assert(socket.unix_dgram())
        T.eq(r:bind(rpath), r)
        local snd = assert(socket.unix_dgram())
        T.eq(snd:bind(spath), snd)
        T.same({ 5 }, snd:sendto('hello', rpath))             -- 28
        local data, from = r:recvfrom(64, 5)
        T.eq(data, 'hello')                                    -- 28
        T.eq(from.family, socket.AF_UNIX)
        T.eq(strip(from.path), spath)                          -- 28
        -- reply to the address exactly as reported (with or without trailing NUL)
        T.same({ 5 }, r:sendto('world', from.path))
        local d2, from2 = snd:recvfrom(64, 5)
        T.eq(d2, 'world')
        T.eq(strip(from2.path), rpath)
        -- an autobound sender reports its abstract name
        local anon = assert(socket.unix_dgram())
        T.ok(anon:bind(''))
        T.same({ 4 }, anon:sendto('anon', rpath))
        local d3, from3 = r:recvfrom(64, 5)
        T.eq(d3, 'anon')
        T.eq(from3.path, anon:getsockname().path)
        T.eq(from3.path:sub(1, 1), '\0')
        -- 30 on a unix datagram socket as well
        T.fails('timeout', r:recvfrom(64, 0.03))
        anon:close()
        r:close(); snd:close()
        T.ok(not exists(rpath), 'bound dgram socket unlinks its path')
        T.ok(not exists(spath))
    end

    -- 50: datagram socketpair
    do
        local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        T.ok(a and b, 'socketpair dgram')
        T.eq(a:send('ping'), 4)
        T.same({ 'ping' }, b:read(4, 5))                      -- 50
        T.eq(a:send('abc'), 3)
        T.eq(a:send('xyz'), 3)
        T.same({ 'ab' }, b:read(2, 5))                        -- 50: truncated
        T.same({ 'xyz' }, b:read(10, 5))                      -- 50: 'c' was discarded
        a:close(); b:close()
    end

    -- stream socketpair with options, both ends usable
    do
        local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, nil, { mark = 0 })
        T.ok(a and b, 'socketpair stream')
        eco.run(function() a:send('line1\nline2\n') end)
        T.same({ 'line1' }, b:read('l', 5))
        T.same({ 'line2' }, b:read('l', 5))
        a:close()
        T.fails('closed', b:read(1, 5))
        b:close()
        local x, err = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, nil, { device = 'nosuchdev0' })
        T.eq(x, nil)
        T.ok(tostring(err):find("failed to set socket option 'device'", 1, true), tostring(err))
    end
end)
