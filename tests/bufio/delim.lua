-- eco.bufio: line limits, readuntil, end of stream (spec/bufio.md checklist 6, 7, 8, 12).
local eco = require 'eco'
local T = require 'testlib'
local bufio = require 'eco.bufio'
local ecotest = require 'ecotest'

T.go(function()
    -- 6. lines are limited by the buffer size
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { size = 8 }))
        ecotest.write(w, string.rep('x', 20) .. '\n')
        T.same({ nil, 'buffer is full' }, b:read('l'))
        T.eq(b:length(), 8, 'the bytes stay buffered')
        T.same({ nil, 'buffer is full' }, b:read('l'))
        T.same({ nil, 'buffer is full' }, b:peek(9))
        -- consumed by read(n)/discard, the rest of the line can be read
        T.same({ 'xxxxxxxx' }, b:read(8))
        T.same({ true }, b:discard(8))
        T.same({ 'xxxx' }, b:read('l'))
        -- a line of exactly size-1 bytes plus "\n" fits
        ecotest.write(w, '1234567\n')
        T.same({ '1234567\n' }, b:read('L'))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 7. readuntil: delimiter found, then partial chunks
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'xENDmore')
        T.same({ 'x', true }, b:readuntil('END'))
        T.same({ 'mo' }, b:readuntil('END')) -- 4 buffered > 3: 4 - 3 + 1 bytes
        T.eq(b:length(), 2)
        T.same({ nil, 'timeout' }, b:readuntil('END', 0.02))
        ecotest.close(r)
        ecotest.close(w)
    end
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'abcd')
        T.same({ 'ab' }, b:readuntil('END'))
        -- the delimiter split across writes
        eco.run(function()
            eco.sleep(0.01)
            ecotest.write(w, 'EFENDtail')
        end)
        T.same({ 'cdEF', true }, b:readuntil('END', 1))
        T.same({ 'tail' }, b:read(4))
        -- empty chunk before an immediate delimiter, one-byte delimiter
        ecotest.write(w, 'ENDa,b,')
        T.same({ '', true }, b:readuntil('END'))
        T.same({ 'a', true }, b:readuntil(','))
        T.same({ 'b', true }, b:readuntil(','))
        -- a delimiter longer than the buffer eventually fails with "buffer is full"
        local small = assert(bufio.new(r, { size = 4 }))
        ecotest.write(w, '1234567')
        T.same({ nil, 'buffer is full' }, small:readuntil('ABCDE'))
        -- partial chunks keep a possible delimiter prefix; refills use the space freed
        T.same({ '1234' }, small:read(4))
        ecotest.write(w, 'WXYZ')
        T.same({ '56' }, small:readuntil('WXY'))       -- "567W" buffered: 4 - 3 + 1 bytes
        T.same({ '7', true }, small:readuntil('WXY'))  -- "7W" + refill "XY"
        T.same({ 'Z' }, small:read(4))
        -- a delimiter as long as the buffer is found when it starts the buffer
        ecotest.write(w, 'WXYZ')
        T.same({ '', true }, small:readuntil('WXYZ'))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 8. empty delimiter raises (after the closed/busy checks)
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        T.raises('Cannot be an empty string', b.readuntil, b, '')
        T.raises('string expected', b.readuntil, b, {})
        b:close()
        T.same({ nil, 'eof' }, b:readuntil(''))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 12. end of stream before a newline: the partial line and any leftovers are lost
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'tail')
        ecotest.close(w)
        T.same({ nil, 'eof' }, b:read('l'))
        T.same({ nil, 'eof' }, b:read(4))
        T.same({ nil, 'eof' }, b:read(0))
        T.same({ nil, 'eof' }, b:peek(1))
        T.same({ nil, 'eof' }, b:readfull(1))
        T.same({ nil, 'eof' }, b:readuntil('x'))
        T.same({ nil, 'eof' }, b:discard(1))
        T.same({ nil, 'eof' }, b:read('a'))
        T.eq(b:size(), 4096)
        ecotest.close(r)
    end

    -- end of stream for the other methods
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { eof_error = 'closed' }))
        ecotest.write(w, 'ab')
        ecotest.close(w)
        T.same({ nil, 'closed' }, b:peek(3))
        T.same({ nil, 'closed' }, b:read(1))
        ecotest.close(r)
    end
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'abcd')
        ecotest.close(w)
        T.same({ 'ab' }, b:readuntil('END'))
        T.same({ nil, 'eof' }, b:readuntil('END')) -- leftover "cd" is not returned
        ecotest.close(r)
    end
    do
        local r, w = assert(ecotest.pipe())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'abc')
        ecotest.close(w)
        T.same({ true }, b:discard(2))
        T.same({ nil, 'eof' }, b:discard(2))
        ecotest.close(r)
    end
end)

print('ok')
