-- eco.socket against misbehaving peers (issue 3): a peer that closes its end right after sending
-- (half-closed stream seen from our side), and a peer that resets (closes with unread data in its
-- receive buffer, so Linux sends RST). Every failure must be clean (nil, string) and the process
-- must survive (no SIGPIPE death) (spec/socket.md 1.1, 1.2, 5.6, 5.7).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'

local function tcp_pair()
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local c = assert(socket.connect_tcp('127.0.0.1', l:getsockname().port))
    local s = assert(l:accept(5))
    l:close()
    return c, s
end

local seen = {}
local function is_reset(err)
    seen[#seen + 1] = tostring(err)
    return err == 'Connection reset by peer' or err == 'Broken pipe' or err == 'closed'
end

-- Sends until a send fails (at most `max` tries); returns the first error.
local function send_until_error(s, data, max)
    for _ = 1, max do
        local n, err = s:send(data, 5)
        if not n then return err end
        eco.sleep(0.01)
    end
end

T.go(function()
    -- the peer sends 1 MiB and closes at once: we still read every byte, then "closed"
    do
        local c, s = tcp_pair()
        local payload = {}
        for i = 1, 16384 do payload[i] = string.format('%063d\n', i) end
        payload = table.concat(payload)
        T.eq(#payload, 1024 * 1024)
        eco.run(function()
            T.eq(c:send(payload, 10), #payload)
            c:close()
        end)
        -- mixed reads over the stream that is already half-gone
        T.same({ string.format('%063d', 1) }, s:read('l', 5))
        T.same({ payload:sub(65, 64 + 1000) }, s:readfull(1000, 5))
        local rest, err = s:read('a', 10)
        T.ok(rest, 'read(a): ' .. tostring(err))
        T.eq(rest, payload:sub(1065))
        T.fails('closed', s:read(1, 5))
        T.fails('closed', s:read('l', 5))
        -- our side may still write after the peer closed: the first send is accepted by the
        -- kernel, the following ones fail cleanly once the RST has come back
        local werr = send_until_error(s, 'still here', 50)
        T.ok(is_reset(werr), 'send after the peer closed: ' .. tostring(werr))
        s:close()
    end

    -- the peer replies and closes while our request is still unread on its side -> RST
    do
        local c, s = tcp_pair()
        T.eq(s:send('request that the peer never reads'), 33)
        eco.sleep(0.05)
        c:send('reply')
        c:close()                                -- unread data in c's receive buffer: RST
        eco.sleep(0.05)
        local d, err = s:read(100, 5)
        -- Linux may deliver the queued "reply" before reporting the reset
        if d == 'reply' then d, err = s:read(100, 5) end
        T.eq(d, nil)
        T.ok(is_reset(err), 'read after a reset: ' .. tostring(err))
        local n, werr = s:send('more', 5)
        T.eq(n, nil)
        T.ok(type(werr) == 'string', 'send after a reset fails with a string: ' .. tostring(werr))
        s:close()
    end

    -- a reset while we are blocked in read
    do
        local c, s = tcp_pair()
        local res
        eco.run(function() res = table.pack(s:readfull(100, 10)) end)
        eco.sleep(0.02)
        s:send('unread by the peer')   -- s's peer (c) never reads this
        eco.sleep(0.05)
        c:close()
        T.wait_until(function() return res end, 5, 'the blocked read to return')
        T.eq(res[1], nil)
        T.ok(is_reset(res[2]), 'blocked read after a reset: ' .. tostring(res[2]))
        s:close()
    end

    -- a reset while we are blocked in a large send
    do
        local c, s = tcp_pair()
        T.ok(s:setoption('sndbuf', 8192))
        local res
        eco.run(function() res = table.pack(s:send(string.rep('z', 16 * 1024 * 1024), 10)) end)
        eco.sleep(0.1)
        T.eq(res, nil, 'the send is blocked')
        c:close()                                  -- lots of unread data: RST
        T.wait_until(function() return res end, 5, 'the blocked send to return')
        T.eq(res[1], nil)
        T.ok(res[2] == 'Connection reset by peer' or res[2] == 'Broken pipe',
            'blocked send after a reset: ' .. tostring(res[2]))
        s:close()
    end

    -- the process is still fine: a fresh connection works
    do
        local c, s = tcp_pair()
        T.eq(c:send('alive\n'), 6)
        T.same({ 'alive' }, s:read('l', 5))
        c:close(); s:close()
    end

    -- Unix stream: same story (EPIPE rather than RST)
    do
        local a, b = assert(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        a:send('last words')
        a:close()
        T.same({ 'last words' }, b:read('a', 5))
        local n, err = b:send('anyone?')
        T.eq(n, nil)
        T.eq(err, 'Broken pipe')
        b:close()
    end
    io.stderr:write('errors seen: ' .. table.concat(seen, ' | ') .. '\n')
end)
