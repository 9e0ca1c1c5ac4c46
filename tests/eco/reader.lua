-- eco.reader: formats, line splitting, readuntil, readfull, EOF rules, wait/cancel
-- (spec/eco.md checklist 21-29).
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

-- A reader on socket `a` whose peer is `b`.
local function sock_reader()
    local a, b = pair()
    return assert(eco.reader(a)), b, a
end

-- A new regular file holding `content`, opened with `mode`; returns fd, path.
local function file_fd(content, mode)
    local path = assert(et.tmpfile(content))
    to_unlink[#to_unlink + 1] = path
    local fd = assert(et.open(path, mode))
    to_close[#to_close + 1] = fd
    return fd, path
end

local function file_reader(content)
    local fd, path = file_fd(content)
    return assert(eco.reader(fd)), fd, path
end

local function write_all(fd, data)
    local off = 1
    while off <= #data do
        local n, err = et.write(fd, data:sub(off))
        T.ok(n, 'ecotest.write: ' .. tostring(err))
        off = off + n
    end
end

T.go(function()
    -- 21: argument checks (raise before any I/O)
    do
        local r = sock_reader()
        for _, f in ipairs({ '*x', '*ll', 'n', 'line', '', '*' }) do
            T.raises('invalid format', function() return r:read(f) end)
        end
        T.raises('invalid format', function() return r:read(false) end)
        T.raises('invalid format', function() return r:read({}) end)
        T.raises('invalid format', function() return r:read(10.0) end)
        T.raises('expected size must be greater than 0', function() return r:read(0) end)
        T.raises('expected size must be greater than 0', function() return r:read(-3) end)
        T.raises('size must be greater than 0', function() return r:readfull(0) end)
        T.raises('needle length must be 1~256 bytes', function() return r:readuntil('') end)
        T.raises('needle length must be 1~256 bytes', function() return r:readuntil(string.rep('x', 257)) end)
        -- the checks did not leave the reader busy
        T.fails('timeout', r:read(1, 0.02))
    end

    -- 22: line formats, readuntil and a sized read on one buffered chunk
    do
        local r, peer = sock_reader()
        write_all(peer, 'hello\nworld\r\nbyeENDtail')
        T.same({ 'hello' }, r:read('*l', 2))
        T.same({ 'world\r\n' }, r:read('*L', 2))
        T.same({ 'bye', true }, r:readuntil('END', 2))
        T.same({ 'tail' }, r:read(4, 2))
        -- the formats without '*' (Lua 5.4 style)
        write_all(peer, 'one\ntwo\n')
        T.same({ 'one' }, r:read('l', 2))
        T.same({ 'two\n' }, r:read('L', 2))
    end

    -- 23: CR before LF is removed by 'l'; a last line without LF is discarded at EOF
    do
        local r, peer = sock_reader()
        write_all(peer, 'abc\r\n')
        T.same({ 'abc' }, r:read('l', 2))
        -- CR ending one chunk, LF starting the next
        write_all(peer, 'xyz\r')
        local res
        eco.run(function() res = table.pack(r:read('l', 2)) end)
        eco.sleep(0.02)
        write_all(peer, '\nrest')
        T.wait_until(function() return res end, 2, '23: line split across two writes')
        T.same({ 'xyz', n = 1 }, T.unpack(res))
        T.eq(res.n, 1, '23: read("l") returns one value')

        local fr = file_reader('def')
        T.fails('eof', fr:read('l'))
    end

    -- 24: readuntil returns a partial chunk, then the rest with true
    do
        local r, peer = sock_reader()
        write_all(peer, 'abcd')
        T.same({ 'ab' }, r:readuntil('END', 2))        -- exactly one value: a partial chunk
        eco.run(function()
            eco.sleep(0.02)
            write_all(peer, 'EFENDtail')
        end)
        T.same({ 'cdEF', true }, r:readuntil('END', 2))
        T.same({ 'tail' }, r:read(4, 2))
    end

    -- 25: readfull across two writes, then read('*a') until the peer closes, then "closed"
    do
        local r, peer = sock_reader()
        write_all(peer, 'abc')
        local closed = false
        eco.run(function()
            eco.sleep(0.02)
            write_all(peer, 'defxyz')
            eco.sleep(0.02)
            T.same({ true }, et.close(peer))
            closed = true
        end)
        T.same({ 'abcdef' }, r:readfull(6, 2))
        T.same({ 'xyz' }, r:read('*a', 2))
        T.ok(closed, '25: read("*a") returned only after the peer closed')
        T.fails('closed', r:read(1, 1))
        -- (peer already closed: drop it from the close list)
        for i, fd in ipairs(to_close) do if fd == peer then table.remove(to_close, i) break end end
    end

    -- 26: '*a' on an exhausted stream: "" first, then the failure
    do
        local a, b = et.socketpair()
        T.ok(a, 'socketpair')
        to_close[#to_close + 1] = a
        T.same({ true }, et.close(b))
        local r = assert(eco.reader(a))
        T.same({ '' }, r:read('*a', 1))
        T.fails('closed', r:read('*a', 1))

        local fr = file_reader('')
        T.same({ '' }, fr:read('*a'))
        T.fails('eof', fr:read('*a'))

        local fr2 = file_reader('')
        T.fails('eof', fr2:read(1))
    end

    -- 27: readfull and readuntil at end of a short file
    do
        local fr = file_reader('abc')
        T.fails('eof', fr:readfull(5))

        local fr2 = file_reader('abc')
        T.same({ 'abc' }, fr2:readuntil('ZZZZZ'))      -- final chunk: one value, no true
        T.fails('eof', fr2:read('*a'))
    end

    -- 28: a file becomes readable again after lseek, or after it grew
    do
        local fr, fd = file_reader('content')
        T.same({ 'content' }, fr:read('*a'))
        T.eq(et.lseek(fd, 0), 0, '28: lseek(fd, 0)')
        T.same({ 'content' }, fr:read('*a'))

        local fr2, _, path = file_reader('')
        T.same({ '' }, fr2:read('*a'))
        local wfd = assert(et.open(path, 'a'))
        T.eq(et.write(wfd, 'more'), 4)
        et.close(wfd)
        T.same({ 'more' }, fr2:read('*a'))
    end

    -- 29: wait timeout and cancel of a pending read
    do
        local r, peer = sock_reader()
        local t0 = T.now()
        T.fails('timeout', r:wait(0.02))
        T.between(T.now() - t0, 0.01, 0.5, '29: reader:wait(0.02) timed out after (s)')

        local res
        eco.run(function() res = table.pack(r:read(1, 1.0)) end)
        T.nret(0, r:cancel())
        T.eq(res, nil, '29: the canceled reader has not run yet when cancel() returns')
        T.wait_until(function() return res end, 2, '29: canceled read to return')
        T.fails('canceled', T.unpack(res))
        -- the reader still works afterwards
        write_all(peer, 'z')
        T.same({ 'z' }, r:read(1, 1))
        -- wait() returns true on readiness
        write_all(peer, 'q')
        T.same({ true }, r:wait(1))
        T.same({ 'q' }, r:read(1, 1))
    end

    -- section 10.1: integer reads return buffered data first without touching the fd
    do
        local r, peer = sock_reader()
        write_all(peer, 'line\n0123456789')
        T.same({ 'line' }, r:read('l', 1))       -- the rest stays buffered
        T.same({ '0123' }, r:read(4, 1))
        T.same({ '456789' }, r:read(100, 1))     -- min(n, buffered)
        T.fails('timeout', r:read(1, 0.02))
    end
end)

for _, fd in ipairs(to_close) do et.close(fd) end
for _, p in ipairs(to_unlink) do et.unlink(p) end

print('ok')
