-- eco.socket: a 100 MB sendfile over loopback TCP, checked on the receiving side with a
-- position-sensitive checksum of 64 KiB chunks read with readfull (issue 3, "a 100 MB sendfile
-- checked by hash"; spec/socket.md 5.6, 5.7).
local eco = require 'eco'
local T = require 'testlib'
local socket = require 'eco.socket'
local et = require 'ecotest'

local CHUNK = 64 * 1024
local NCHUNKS = 1600                 -- 1600 x 64 KiB = 100 MiB
local SIZE = CHUNK * NCHUNKS

-- Checksum state: a wrapping polynomial hash over the chunk's 8-byte little-endian lanes.
local LANES = 64
local FMT = '<' .. string.rep('i8', LANES)
local function update(h, chunk)
    assert(#chunk % (8 * LANES) == 0)
    local unpack = string.unpack
    for pos = 1, #chunk, 8 * LANES do
        local v = { unpack(FMT, chunk, pos) }
        for i = 1, LANES do h = h * 31 + v[i] end
    end
    return h
end

-- Chunk i of the file: a pseudo-random 64 KiB block whose content depends on i.
local base
do
    local parts, x = {}, 0x2545F491
    for i = 1, CHUNK // 8 do
        x = (x * 6364136223846793005 + 1442695040888963407)
        parts[i] = string.pack('<i8', x)
    end
    base = table.concat(parts)
end
local function chunk_of(i)
    return string.pack('<i8', i * 0x9E3779B97F4A7C15) .. base:sub(9 + (i % 7) * 8) .. base:sub(9, 8 + (i % 7) * 8)
end

T.go(function()
    local path = assert(et.tmpfile(''))
    local f = assert(io.open(path, 'wb'))
    local want = 0
    for i = 1, NCHUNKS do
        local ch = chunk_of(i)
        assert(#ch == CHUNK)
        f:write(ch)
    end
    f:close()
    -- the expected checksum, computed over the file as written
    f = assert(io.open(path, 'rb'))
    while true do
        local ch = f:read(CHUNK)
        if not ch then break end
        want = update(want, ch)
    end
    f:close()
    -- the checksum is order-sensitive (a swapped pair of chunks changes it)
    T.ok(update(update(0, chunk_of(1)), chunk_of(2)) ~= update(update(0, chunk_of(2)), chunk_of(1)))

    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local c = assert(socket.connect_tcp('127.0.0.1', l:getsockname().port))
    local s = assert(l:accept(5))
    l:close()

    local sent
    eco.run(function() sent = table.pack(c:sendfile(path, nil, nil, 30)) end)
    local t0 = T.now()
    local got, total = 0, 0
    for _ = 1, NCHUNKS do
        local ch, err = s:readfull(CHUNK, 30)
        T.ok(ch, 'readfull: ' .. tostring(err))
        total = total + #ch
        got = update(got, ch)
    end
    local secs = T.now() - t0
    T.wait_until(function() return sent end, 30, 'sendfile to return')
    T.same({ SIZE }, T.unpack(sent))
    T.eq(total, SIZE)
    T.eq(got, want, 'checksum of the received stream')
    c:close()
    T.fails('closed', s:read(1, 5))
    s:close()
    os.remove(path)
    io.stderr:write(string.format('100 MiB sendfile + checksum in %.2f s\n', secs))
end)
