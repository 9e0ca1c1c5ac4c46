-- eco.ssh: ssh.new against a real sshd and against fake servers (docs/ssh.md, checklist 1-6).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'sshtest'
local ssh = require 'eco.ssh'
local socket = require 'eco.socket'

local srv = S.start()

-- A fake server on a free port: `serve(conn)` runs for the one client; returns the port and a
-- table collecting what the client sent (`got`) and whether it saw the client close (`eof`).
local function fake(serve)
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local port = l:getsockname().port
    local seen = { got = '', eof = false }
    eco.run(function()
        local c = assert(l:accept(10))
        l:close()
        serve(c, seen)
        while true do
            local d, err = c:recv(4096, 10)
            if not d then
                seen.eof = err == 'closed'
                break
            end
            seen.got = seen.got .. d
        end
        c:close()
    end)
    return port, seen
end

-- The message types of the plaintext SSH packets in `data` after the banner line.
local function packet_types(data)
    local types = {}
    local pos = data:find('\r\n', 1, true)
    if not pos then return types end
    pos = pos + 2
    while pos + 5 <= #data do
        local len = string.unpack('>I4', data, pos)
        types[#types + 1] = data:byte(pos + 5)
        pos = pos + 4 + len
    end
    return types
end

T.go(function()
    -- 1: invalid addresses fail, a non-string raises
    T.same({ nil, 'invalid ipaddr: bad' }, ssh.new('bad', 22, 'u', 'p'))
    T.same({ nil, 'invalid ipaddr: localhost' }, ssh.new('localhost', 22, 'u', 'p'))
    T.raises('bad argument #1', ssh.new, nil, 22, 'u')
    T.raises('bad argument #3', ssh.new, '127.0.0.1', 22, nil)

    -- 2: nothing listening
    T.same({ nil, 'Connection refused' }, ssh.new('127.0.0.1', S.free_port(), 'u', 'p'))
    T.same({ nil, 'Connection refused' }, ssh.new('::1', S.free_port(), 'u', 'p'))

    -- 3: a handshake failure (a server that is not SSH): nil, library text; the client closed
    -- the socket and sent no SSH_MSG_DISCONNECT (type 1)
    local port, seen = fake(function(c)
        c:send('SSH-2.0-fake\r\n' .. string.rep('\0\0\0\12\10garbage!!!!!', 4))
    end)
    local s, err = ssh.new('127.0.0.1', port, 'u', 'p')
    T.eq(s, nil)
    T.ok(type(err) == 'string' and #err > 0 and err ~= 'handshake timeout', 'library error: ' .. tostring(err))
    T.wait_until(function() return seen.eof end, 5, 'client closed the socket')
    T.ok(seen.got:find('^SSH%-2%.0%-'), 'client sent its banner')
    for _, ty in ipairs(packet_types(seen.got)) do T.ok(ty ~= 1, 'no disconnect message') end

    -- 4: a server that never answers: "handshake timeout" after 5 s, socket closed
    local release = false
    port, seen = fake(function()
        T.wait_until(function() return release end, 20, 'released')
    end)
    local t0 = T.now()
    T.same({ nil, 'handshake timeout' }, ssh.new('127.0.0.1', port, 'u', 'p'))
    T.between(T.now() - t0, 4.9, 7, 'handshake timeout')
    release = true
    T.wait_until(function() return seen.eof end, 5, 'client closed the socket')
    for _, ty in ipairs(packet_types(seen.got)) do T.ok(ty ~= 1, 'no disconnect message') end

    -- 5: password rejection -> libssh2's text
    s, err = ssh.new('127.0.0.1', srv.port, S.USER, 'wrong password')
    T.eq(s, nil)
    T.eq(err, 'Authentication failed (username/password)')
    -- the password is required when the server offers password authentication
    T.raises('bad argument #4', ssh.new, '127.0.0.1', srv.port, S.USER)

    -- 5: the auth-list query fails (a user name the library refuses): its message, the socket
    -- closed
    s, err = ssh.new('127.0.0.1', srv.port, 'a\0b', 'p')
    T.eq(s, nil)
    T.ok(type(err) == 'string' and err:find('nul'), 'auth list error: ' .. tostring(err))

    -- a good login
    s, err = ssh.new('127.0.0.1', srv.port, S.USER, S.PASSWORD)
    T.ok(s, err)
    T.eq(s.native:authenticated(), true)
    T.eq(s.disconnected, false)
    s:free()

    -- 6: "none" authentication accepted (empty password): new succeeds without a password
    s, err = ssh.new('127.0.0.1', srv.port, S.EMPTY_USER)
    T.ok(s, err)
    T.eq(s.native:authenticated(), true)
    T.same({ 'none\n', 0, nil, n = 3 }, s:exec('echo none'))
    s:free()

    -- 5 (spec 1.5): no password method offered: a session all the same, unauthenticated; its
    -- operations then fail with library errors
    s, err = ssh.new('127.0.0.1', srv.port, S.NOPW_USER, 'nopw-secret')
    T.ok(s, err)
    T.eq(s.native:authenticated(), false)
    T.eq(s.sock:closed(), false)
    local out, eerr = s:exec('echo x')
    T.eq(out, nil)
    T.ok(type(eerr) == 'string' and #eerr > 0, 'library error: ' .. tostring(eerr))
    s:free()
    T.eq(s.sock:closed(), true)

    -- an IPv6 literal is accepted (connect fails with the socket layer's text)
    T.eq(select(2, ssh.new('::1', S.free_port(), 'u')), 'Connection refused')
end)
S.stop(srv)
