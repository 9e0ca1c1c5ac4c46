-- eco.bufio over an eco.reader: the behaviours bufio re-implements above the reader's buffer
-- (fixed capacity while the reader reads more, per-wait timeouts, busy/close handling).
local eco = require 'eco'
local T = require 'testlib'
local bufio = require 'eco.bufio'
local ecotest = require 'ecotest'
local time = require 'eco.time'

T.go(function()
    -- the capacity holds although one read of the reader brings more than `size` bytes
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { size = 4 }))
        ecotest.write(w, 'ab\ncdefgh\n')
        T.same({ 'ab' }, b:read('l'))            -- refill "ab\nc"
        T.eq(b:length(), 1)
        T.same({ nil, 'buffer is full' }, b:read('l')) -- "cdef": no LF within 4 bytes
        T.eq(b:length(), 4)
        T.same({ 'cd' }, b:peek(2))
        T.same({ nil, 'buffer is full' }, b:peek(5))
        T.same({ 'cdef' }, b:read(10))
        T.same({ 'gh\n' }, b:read('L'))
        T.eq(b:length(), 0)
        -- a delimiter straddling the end of the buffer
        ecotest.write(w, 'abcEND!')
        T.same({ 'ab' }, b:readuntil('END'))     -- "abcE": 4 - 3 + 1 bytes
        T.same({ 'c', true }, b:readuntil('END')) -- "cE" + refill "ND"
        T.same({ '!' }, b:read(10))
        -- readfull larger than the buffer, all bytes already read by the reader
        ecotest.write(w, '0123456789xy')
        T.same({ '0123456' }, b:readfull(7))
        T.eq(b:length(), 1)                     -- refills of 4: "0123", "4567"
        T.same({ '7' }, b:read(10))
        T.same({ true }, b:discard(3))          -- "89xy": "y" stays
        T.eq(b:length(), 1)
        T.same({ 'y' }, b:read(10))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- a capacity larger than the reader's default 4 KiB buffer
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { size = 10000 }))
        local long = string.rep('y', 6000)
        eco.run(function()
            for i = 1, 6000, 1000 do
                ecotest.write(w, long:sub(i, i + 999))
                eco.sleep(0.005)
            end
            ecotest.write(w, '\n' .. string.rep('z', 12000) .. '\n')
        end)
        T.same({ long }, b:read('l', 1))
        T.same({ nil, 'buffer is full' }, b:read('l', 1))
        T.eq(b:length(), 10000)
        T.eq(#assert(b:peek(10000)), 10000)
        T.same({ true }, b:discard(10000))
        T.same({ string.rep('z', 2000) }, b:read('l', 1))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- the timeout is armed for each wait: pieces 30 ms apart, timeout 60 ms, 150 ms in all
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        local function trickle(pieces)
            eco.run(function()
                for _, p in ipairs(pieces) do
                    eco.sleep(0.03)
                    ecotest.write(w, p)
                end
            end)
        end
        trickle({ 'a', 'b', 'c', 'd', '\n' })
        T.same({ 'abcd' }, b:read('l', 0.06))
        trickle({ '1', '2', '3', '4', '5' })
        T.same({ '12345' }, b:peek(5, 0.06))
        T.same({ '12345' }, b:readfull(5, 0.06))
        trickle({ 'x', 'y', 'E', 'N', 'D' })
        T.same({ 'xy' }, b:readuntil('END', 0.06)) -- "xyEN" after four waits
        T.same({ '', true }, b:readuntil('END', 0.06))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- two bufio objects on one descriptor: a read on the second while the first waits is a
    -- usage error (raised, as before); both stay usable
    do
        local r, w = assert(ecotest.socketpair())
        local b1 = assert(bufio.new(r))
        local b2 = assert(bufio.new(r))
        local res
        eco.run(function() res = table.pack(b1:read('l')) end)
        T.raises('already waiting', b2.read, b2, 1)
        ecotest.write(w, 'one\n')
        eco.sleep(0.01)
        T.same({ 'one' }, table.unpack(res, 1, res.n))
        T.same({ nil, 'timeout' }, b2:read(1, 0.02))
        ecotest.write(w, 'two')
        T.same({ 'two' }, b2:read(10))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- close() wakes a reader whose read began with the fairness yield (spec/eco.md 3.2)
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        local res
        eco.run(function()
            local t0 = time.now()
            while time.now() - t0 < 0.32 do end -- past the 300 ms budget
            res = table.pack(b:read('l'))
        end)
        eco.run(function() b:close() end)
        eco.sleep(0.05)
        T.ok(res, 'woken by close')
        T.same({ nil, 'eof' }, table.unpack(res, 1, res.n))
        ecotest.close(r)
        ecotest.close(w)
    end
end)

print('ok')
