-- eco.ssh: disconnect, free, <close> and garbage collection in every order (docs/ssh.md,
-- checklist 13-14); methods of a freed session; a free while another coroutine is inside a call.
local eco = require 'eco'
local T = require 'testlib'
local S = require 'sshtest'
local ssh = require 'eco.ssh'

local srv = S.start()

-- how many times sshd logged a disconnect message with `desc`
local function disconnects(desc)
    local n = 0
    for _ in S.log(srv):gmatch('Received disconnect[^\n]*' .. desc) do n = n + 1 end
    return n
end

local function login()
    return assert(ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD))
end

T.go(function()
    -- 13: disconnect then free: one disconnect message, free twice is fine
    local s = login()
    T.same({ true }, s:disconnect(11, 'first-bye'))
    T.eq(s.disconnected, true)
    s:free()
    s:free()
    T.eq(s.sock:closed(), true)
    T.eq(s.native:freed(), true)
    T.wait_until(function() return disconnects('first%-bye') == 1 end, 5, 'sshd got the disconnect')
    -- disconnect on a freed session: true
    T.same({ true }, s:disconnect())
    -- other methods raise
    T.raises('session freed', s.exec, s, 'true')
    T.raises('session freed', s.scp_recv, s, '/etc/hostname')
    T.raises('session freed', s.scp_send, s, 'x', '/tmp/x')
    T.raises('session freed', s.scp_sendfile, s, '/etc/hostname', '/tmp/x')

    -- free alone sends the default disconnect
    local before = disconnects('Normal Shutdown')
    s = login()
    T.same({ 'x\n', 0, nil, n = 3 }, s:exec('echo x'))
    s:free()
    T.wait_until(function() return disconnects('Normal Shutdown') == before + 1 end, 5, 'free disconnected')

    -- 14: <close> at scope exit disconnects and closes the socket
    local kept
    before = disconnects('Normal Shutdown')
    do
        local c <close> = login()
        kept = c
        T.same({ 'in scope\n', 0, nil, n = 3 }, c:exec('echo in scope'))
    end
    T.eq(kept.sock:closed(), true)
    T.eq(kept.native:freed(), true)
    T.wait_until(function() return disconnects('Normal Shutdown') == before + 1 end, 5, '<close> disconnected')
    -- and an error inside the scope as well
    local ok = pcall(function()
        local c <close> = login()
        kept = c
        error('boom')
    end)
    T.eq(ok, false)
    T.eq(kept.sock:closed(), true)

    -- disconnect with a reason code and the session keeps its socket until free
    s = login()
    T.same({ true }, s:disconnect(2, 'proto-bye'))
    T.eq(s.sock:closed(), false)
    s:free()
    T.eq(s.sock:closed(), true)

    -- free while another coroutine waits inside exec: that call returns nil, "canceled" and the
    -- channel is freed with the session
    s = login()
    local res
    eco.run(function() res = { s:exec('sleep 10') } end)
    eco.sleep(0.3)
    T.eq(s.native:open_channels(), 1)
    s:free()
    T.wait_until(function() return res ~= nil end, 5, 'exec returned')
    T.same({ nil, 'canceled' }, T.unpack(res))
    T.eq(s.native:freed(), true)

    -- the same with two coroutines inside calls of one session
    s = login()
    local n = 0
    for _ = 1, 2 do eco.run(function() if not s:exec('sleep 10') then n = n + 1 end end) end
    eco.sleep(0.3)
    T.eq(s.native:open_channels(), 2)
    s:free()
    T.eq(s.native:open_channels(), 0)
    T.wait_until(function() return n == 2 end, 5, 'both calls returned')

    -- garbage collection frees sessions (with or without disconnect, with an open channel) and
    -- closes their sockets: sshd sees them go
    local socks = {}
    for i = 1, 3 do
        local g = login()
        socks[i] = g.sock
        if i == 2 then g:disconnect() end
        if i == 3 then
            -- a channel left open
            local ns = g.native
            local id
            repeat id = ns:channel() eco.sleep(0.01) until id
            T.eq(ns:open_channels(), 1)
        end
    end
    T.full_gc()
    for i = 1, 3 do T.eq(socks[i]:closed(), true, 'socket ' .. i .. ' closed by __gc') end

    -- the native session freed first, then the Lua object: no crash, socket closed once
    s = login()
    s.native:free()
    s:free()
    T.eq(s.sock:closed(), true)

    T.same({ 'after\n', 0, nil, n = 3 }, login():exec('echo after'))
    T.full_gc()
end)
S.stop(srv)
