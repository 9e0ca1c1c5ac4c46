-- eco.bufio: readfull and read('a') with partial data (spec/bufio.md checklist 9, 10, 11).
local eco = require 'eco'
local T = require 'testlib'
local bufio = require 'eco.bufio'
local ecotest = require 'ecotest'

T.go(function()
    -- 9. readfull across two writes; timeout with partial data
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'abc')
        eco.run(function()
            eco.sleep(0.02)
            ecotest.write(w, 'def')
        end)
        T.same({ 'abcdef' }, b:readfull(6, 1))

        ecotest.write(w, 'abc')
        T.same({ nil, 'timeout', 'abc' }, b:readfull(6, 0.05))
        T.eq(b:length(), 0, 'partial bytes are consumed')
        -- nothing received: only two values
        T.same({ nil, 'timeout' }, b:readfull(2, 0.02))
        -- still usable
        ecotest.write(w, 'xyz')
        T.same({ 'xy' }, b:readfull(2))
        T.same({ 'z' }, b:read(5))
        -- end of stream with partial data
        ecotest.write(w, '12')
        ecotest.close(w)
        T.same({ nil, 'eof', '12' }, b:readfull(3))
        T.same({ nil, 'eof' }, b:readfull(3))
        ecotest.close(r)
    end

    -- 9.x readfull larger than the buffer, data arriving in pieces (idle timeout per wait)
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { size = 4 }))
        eco.run(function()
            for i = 1, 5 do
                eco.sleep(0.02)
                ecotest.write(w, string.rep(tostring(i), 3))
            end
        end)
        T.same({ '111222333444555' }, b:readfull(15, 0.5))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 10. read('a') up to end of stream, then eof_error
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'xyz')
        ecotest.close(w)
        T.same({ 'xyz' }, b:read('a'))
        T.same({ nil, 'eof' }, b:read('a'))
        ecotest.close(r)
    end
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { eof_error = 'closed' }))
        ecotest.write(w, 'xyz')
        ecotest.close(w)
        T.same({ 'xyz' }, b:read('*a'))
        T.same({ nil, 'closed' }, b:read('a'))
        T.same({ nil, 'closed' }, b:read(1))
        ecotest.close(r)
    end
    -- an already exhausted stream: '' first, then the eof error
    do
        local r, w = assert(ecotest.pipe())
        local b = assert(bufio.new(r))
        ecotest.close(w)
        T.same({ '' }, b:read('all'))
        T.same({ nil, 'eof' }, b:read('all'))
        ecotest.close(r)
    end
    -- data larger than the buffer, in several writes; buffered bytes come first
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { size = 8 }))
        local expected = {}
        for i = 1, 40 do expected[i] = string.format('%04d', i) end
        expected = table.concat(expected)
        ecotest.write(w, expected:sub(1, 10))
        T.same({ '00' }, b:read(2))
        eco.run(function()
            eco.sleep(0.01)
            ecotest.write(w, expected:sub(11, 100))
            eco.sleep(0.01)
            ecotest.write(w, expected:sub(101))
            ecotest.close(w)
        end)
        T.same({ expected:sub(3) }, b:read('a', 1))
        ecotest.close(r)
    end

    -- 11. read('a') timeout while the peer keeps the connection open: partial data
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        ecotest.write(w, 'par')
        T.same({ nil, 'timeout', 'par' }, b:read('a', 0.05))
        -- nothing collected: two values only
        T.same({ nil, 'timeout' }, b:read('a', 0.02))
        -- the stream goes on
        ecotest.write(w, 'more')
        ecotest.close(w)
        T.same({ 'more' }, b:read('a', 1))
        ecotest.close(r)
    end
end)

print('ok')
