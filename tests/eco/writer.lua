-- eco.writer: write, sendfile, timeout and cancel of a blocked write
-- (spec/eco.md checklist 30-32).
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local to_close, to_unlink = {}, {}

local function pair()
    local a, b = et.socketpair()
    T.ok(a, 'socketpair: ' .. tostring(b))
    to_close[#to_close + 1] = a
    to_close[#to_close + 1] = b
    return a, b
end

-- Reads exactly n bytes from a blocking fd (data known to be there or on its way).
local function read_n(fd, n)
    local parts, got = {}, 0
    while got < n do
        local s, err = et.read(fd, n - got)
        T.ok(s, 'ecotest.read: ' .. tostring(err))
        T.ok(#s > 0, 'ecotest.read: unexpected EOF')
        parts[#parts + 1] = s
        got = got + #s
    end
    return table.concat(parts)
end

T.go(function()
    eco.sleep(0) -- run from the loop (SIGPIPE is ignored only while eco.loop() runs)

    -- 30: write returns the byte count
    do
        local a, b = pair()
        local w = assert(eco.writer(a))
        T.same({ 5 }, w:write('hello'))
        T.eq(read_n(b, 5), 'hello', '30: bytes received by the peer')
        T.same({ 0 }, w:write(''))
        T.same({ 2 }, w:write(42))                  -- numbers are converted
        T.eq(read_n(b, 2), '42', '30: number written as its string form')
        T.raises('', function() return w:write({}) end) -- other types raise
        -- (section 11) writing to a socket whose peer is gone fails with the OS text
        local c, d = et.socketpair()
        to_close[#to_close + 1] = c
        et.close(d)
        local w2 = assert(eco.writer(c))
        T.fails('Broken pipe', w2:write('x', 1))
    end

    -- 31: sendfile
    do
        local path = assert(et.tmpfile('0123456789abcdef')) -- 16 bytes
        to_unlink[#to_unlink + 1] = path
        local a, b = pair()
        local w = assert(eco.writer(a))
        T.same({ 5 }, w:sendfile(path, 2, 5))
        T.eq(read_n(b, 5), '23456', '31: sendfile(path, 2, 5) sends bytes 3..7')
        T.fails('closed', w:sendfile(path, 100, 1))
        T.fails('No such file or directory', w:sendfile('/nonexistent/eco-test-missing', 0, 1))
        T.raises('offset must be greater than or equal to 0', function() return w:sendfile(path, -1, 1) end)
        T.raises('len must be great than 0', function() return w:sendfile(path, 0, 0) end)
        -- beyond the end of the file into a pipe: "eof"
        local rfd, wfd = et.pipe()
        T.ok(rfd, 'pipe')
        to_close[#to_close + 1] = rfd
        to_close[#to_close + 1] = wfd
        local pw = assert(eco.writer(wfd))
        T.fails('eof', pw:sendfile(path, 100, 1))
        T.same({ 3 }, pw:sendfile(path, 13, 3))
        T.eq(read_n(rfd, 3), 'def', '31: sendfile into a pipe')
    end

    -- 32: a write that cannot progress times out; cancel interrupts it
    do
        local big = string.rep('x', 2 * 1024 * 1024)

        local a, b = pair()
        T.same({ true }, et.set_sndbuf(a, 4096))
        T.same({ true }, et.set_rcvbuf(b, 4096))
        local w = assert(eco.writer(a))
        local t0 = T.now()
        T.fails('timeout', w:write(big, 0.1))
        T.between(T.now() - t0, 0.08, 5, '32: a stalled 2 MiB write with timeout 0.1 failed after (s)')

        local c, d = pair()
        T.same({ true }, et.set_sndbuf(c, 4096))
        T.same({ true }, et.set_rcvbuf(d, 4096))
        local w2 = assert(eco.writer(c))
        local res
        eco.run(function() res = table.pack(w2:write(big)) end) -- no timeout
        eco.sleep(0.05)
        T.eq(res, nil, '32: the write is still blocked')
        T.nret(0, w2:cancel())
        T.eq(res, nil, '32: the canceled writer has not run yet when cancel() returns')
        T.wait_until(function() return res end, 2, '32: canceled write to return')
        T.fails('canceled', T.unpack(res))

        -- writer:wait: the socket is full, so a short wait times out
        T.fails('timeout', w2:wait(0.02))
    end
end)

for _, fd in ipairs(to_close) do et.close(fd) end
for _, p in ipairs(to_unlink) do et.unlink(p) end

print('ok')
