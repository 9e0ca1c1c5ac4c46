-- eco.bufio: construction, byte reads, peek, discard, patterns (spec/bufio.md checklist 1-5, 15).
local eco = require 'eco'
local T = require 'testlib'
local bufio = require 'eco.bufio'
local ecotest = require 'ecotest'

-- 2. an invalid descriptor fails with the OS text
T.same({ nil, 'Bad file descriptor' }, bufio.new(9999))
-- a non-integer descriptor raises
T.raises('bad argument', bufio.new, 'x')
T.raises('bad argument', bufio.new, 1.5)
T.raises('bad argument', bufio.new)

T.go(function()
    local r, w = assert(ecotest.socketpair())

    -- 1. default size is the page size; size option; invalid sizes give the default
    T.eq(assert(bufio.new(r)):size(), 4096)
    T.eq(assert(bufio.new(r, { size = 16 })):size(), 16)
    T.eq(assert(bufio.new(r, { size = 0 })):size(), 4096)
    T.eq(assert(bufio.new(r, { size = -5 })):size(), 4096)
    T.eq(assert(bufio.new(r, { size = 1.5 })):size(), 4096)
    T.eq(assert(bufio.new(r, 'not a table')):size(), 4096)
    T.eq(assert(bufio.new(r, {})):length(), 0)

    -- 1.x the descriptor is switched to non-blocking mode
    local data, err = ecotest.read(r, 10)
    T.eq(data, nil, 'read on an empty non-blocking socket')
    T.eq(err, 'Resource temporarily unavailable')

    -- 3. read(n), length, peek, discard
    do
        local b = assert(bufio.new(r))
        T.eq(ecotest.write(w, 'abcdef'), 6)
        T.same({ 'a' }, b:read(1))
        T.eq(b:length(), 5)
        T.same({ 'b' }, b:peek(1))
        T.eq(b:length(), 5)
        T.same({ 'b' }, b:read(1))
        T.same({ true }, b:discard(2))
        T.same({ 'ef' }, b:read(10))
        T.eq(b:length(), 0)
    end

    -- 3.x read(n) returns buffered bytes without reading, or the result of one refill
    do
        local b = assert(bufio.new(r, { size = 4 }))
        ecotest.write(w, '0123456789')
        T.same({ '01' }, b:read(2))  -- one refill of 4 bytes
        T.eq(b:length(), 2)
        T.same({ '23' }, b:read(10)) -- only what is buffered
        T.same({ '4567' }, b:read(10)) -- one refill, at most the buffer size
        T.same({ '89' }, b:read(10))
        -- numeric strings count as numbers, non-integral numbers as 0
        ecotest.write(w, 'xyz')
        T.same({ 'x' }, b:read('1'))
        T.same({ '' }, b:read(1.5))
        T.same({ 'yz' }, b:read(2))
        -- timeout for each wait; the object is usable afterwards
        T.same({ nil, 'timeout' }, b:read(1, 0.03))
        T.same({ nil, 'timeout' }, b:peek(1, 0.03))
        T.same({ nil, 'timeout' }, b:discard(1, 0.03))
        T.same({ nil, 'timeout' }, b:readuntil('\n', 0.03))
        T.same({ nil, 'timeout' }, b:read('l', 0.03))
        ecotest.write(w, 'q')
        T.same({ 'q' }, b:read(1, 0.03))
    end

    -- 4. read(0), pattern validation, first character only
    do
        local b = assert(bufio.new(r))
        T.same({ '' }, b:read(0))
        T.raises('invalid pattern', b.read, b, 'x')
        T.raises('invalid pattern', b.read, b, '*z')
        T.raises('invalid pattern', b.read, b, '*')
        T.raises('invalid pattern', b.read, b, '')
        T.raises('invalid pattern', b.read, b, '**l')
        T.raises('string expected', b.read, b, true)
        T.raises('string expected', b.read, b, {})
        ecotest.write(w, 'one\ntwo\nthree\nfour\n')
        T.same({ 'one' }, b:read('*line'))
        T.same({ 'two' }, b:read('line'))
        T.same({ 'three\n' }, b:read('*L'))
        T.same({ 'four' }, b:read('*l'))
        T.same({ nil, 'timeout' }, b:read('lines', 0.02))
    end

    -- 5. no CR stripping
    do
        local b = assert(bufio.new(r))
        ecotest.write(w, 'ab\r\ncd\n')
        T.same({ 'ab\r' }, b:read('l'))
        T.same({ 'cd\n' }, b:read('L'))
        -- an empty line
        ecotest.write(w, '\n\r\n')
        T.same({ '' }, b:read('l'))
        T.same({ '\r' }, b:read('l'))
    end

    -- a line arriving in pieces
    do
        local b = assert(bufio.new(r))
        eco.run(function()
            for _, piece in ipairs({ 'par', 'tial li', 'ne\nrest' }) do
                eco.sleep(0.01)
                ecotest.write(w, piece)
            end
        end)
        T.same({ 'partial line' }, b:read('l', 1))
        T.same({ 'rest' }, b:read(10))
    end

    -- 15. discard(n) with more bytes buffered discards exactly n and does not read
    do
        local b = assert(bufio.new(r))
        ecotest.write(w, 'hello')
        T.same({ 'hello' }, b:peek(5))
        ecotest.write(w, 'world') -- must stay in the socket
        T.same({ true }, b:discard(3))
        T.eq(b:length(), 2)
        T.same({ 'lo' }, b:read(10))
        T.same({ 'world' }, b:read(10))
    end

    -- discard across several refills, and discard(0)
    do
        local b = assert(bufio.new(r, { size = 4 }))
        ecotest.write(w, 'abcdefghij')
        T.same({ true }, b:discard(0))
        T.same({ true }, b:discard(7)) -- refills "abcd", "efgh"; "h" stays buffered
        T.eq(b:length(), 1)
        T.same({ 'h' }, b:read(10))
        T.same({ 'ij' }, b:read(10))
        eco.run(function()
            eco.sleep(0.01)
            ecotest.write(w, '12')
            eco.sleep(0.01)
            ecotest.write(w, '345')
        end)
        T.same({ true }, b:discard(4, 1))
        T.same({ '5' }, b:read(10))
        T.raises('bad argument', b.discard, b, 'x')
    end

    -- peek details
    do
        local b = assert(bufio.new(r, { size = 8 }))
        T.same({ '' }, b:peek(0))
        T.same({ nil, 'buffer is full' }, b:peek(9))
        T.same({ nil, 'buffer is full' }, b:peek(-1))
        T.raises('bad argument', b.peek, b, 'x')
        T.raises('bad argument', b.peek, b, 1.5)
        eco.run(function()
            eco.sleep(0.01)
            ecotest.write(w, 'abc')
            eco.sleep(0.01)
            ecotest.write(w, 'defghijk')
        end)
        T.same({ 'abcdefgh' }, b:peek(8, 1)) -- refills until 8 bytes are buffered
        T.eq(b:length(), 8)
        T.same({ 'abcdefgh' }, b:read(8))
        T.same({ 'ijk' }, b:read(8))
    end

    -- readfull details
    do
        local b = assert(bufio.new(r, { size = 4 }))
        T.same({ '' }, b:readfull(0))
        T.raises('bad argument', b.readfull, b, 'x')
        -- larger than the buffer
        ecotest.write(w, 'abcdefghij')
        T.same({ 'abcdefghi' }, b:readfull(9))
        T.same({ 'j' }, b:read(4))
    end

    ecotest.close(r)
    ecotest.close(w)
end)

print('ok')
