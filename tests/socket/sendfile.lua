-- eco.socket sendfile: lengths, offsets, empty/missing files, early EOF
-- (spec/socket.md checklist 42, 43; section 5.6).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local et = require 'ecotest'

local paths = {}
local function file(content)
    local p = assert(et.tmpfile(content))
    paths[#paths + 1] = p
    return p
end

T.go(function()
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local c = assert(socket.connect_tcp('127.0.0.1', l:getsockname().port))
    local s = assert(l:accept(5))

    local hello = file('hello world')      -- 11 bytes
    -- 42: whole file
    T.same({ 11 }, c:sendfile(hello))                          -- 42
    T.same({ 'hello world' }, s:readfull(11, 5))               -- 42
    -- 42: len nil, offset 7 -> the last 4 bytes
    T.same({ 4 }, c:sendfile(hello, nil, 7))                   -- 42
    T.same({ 'orld' }, s:readfull(4, 5))                       -- 42
    -- 42: len 3 at offset 2 -> bytes 2..4
    T.same({ 3 }, c:sendfile(hello, 3, 2))                     -- 42
    T.same({ 'llo' }, s:readfull(3, 5))                        -- 42
    -- 42: empty file
    T.same({ 0 }, c:sendfile(file('')))                        -- 42
    -- 42: missing file
    T.fails('No such file or directory', c:sendfile('/nonexistent/eco-sendfile'))        -- 42
    T.fails('No such file or directory', c:sendfile('/nonexistent/eco-sendfile', 5))     -- open failure
    -- 42: offset beyond EOF with len nil
    T.same({ 0 }, c:sendfile(hello, nil, 100))                 -- 42
    T.same({ 0 }, c:sendfile(hello, nil, 11))
    -- nothing stray was sent by the 0-byte calls
    T.fails('timeout', s:read(1, 0.05))

    -- argument errors raise (5.6)
    T.raises('len must be great than 0', c.sendfile, c, hello, 0)
    T.raises('len must be great than 0', c.sendfile, c, hello, -4)
    T.raises('offset must be greater than or equal to 0', c.sendfile, c, hello, nil, -1)
    T.raises('', c.sendfile, c, nil)

    -- 43: len beyond EOF: the 10 bytes are sent, then nil, "closed"
    local ten = file('0123456789')
    T.fails('closed', c:sendfile(ten, 20))                     -- 43
    T.same({ '0123456789' }, s:readfull(10, 5))                -- 43: the 10 bytes arrived
    T.fails('timeout', s:read(1, 0.05))

    -- a multi-megabyte file with a timeout, read concurrently
    local big = string.rep('0123456789abcdef', 256 * 1024)     -- 4 MiB
    local bigpath = file(big)
    local got
    eco.run(function() got = s:readfull(#big, 10) end)
    T.same({ #big }, c:sendfile(bigpath, nil, nil, 10))
    T.wait_until(function() return got end, 10, 'the receiver')
    T.ok(got == big, 'sendfile payload intact')

    -- after close
    c:close()
    local n, err = c:sendfile(hello)
    T.eq(n, nil)
    T.eq(type(err), 'string')
    s:close(); l:close()
    for _, p in ipairs(paths) do os.remove(p) end
end)
