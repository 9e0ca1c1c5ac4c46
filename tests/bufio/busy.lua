-- eco.bufio: concurrent readers and close (spec/bufio.md checklist 13, 14).
local eco = require 'eco'
local T = require 'testlib'
local bufio = require 'eco.bufio'
local ecotest = require 'ecotest'

T.go(function()
    -- 13. a second reader gets "busy reading" (returned, not raised)
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        local res
        eco.run(function()
            res = table.pack(b:read('l'))
        end)
        T.eq(res, nil, 'A is blocked')
        T.same({ nil, 'busy reading' }, b:read(1))
        T.same({ nil, 'busy reading' }, b:read('a'))
        T.same({ nil, 'busy reading' }, b:peek(1))
        T.same({ nil, 'busy reading' }, b:readfull(1))
        T.same({ nil, 'busy reading' }, b:readuntil('x'))
        T.same({ nil, 'busy reading' }, b:discard(1))
        T.same({ nil, 'busy reading' }, b:read(0))
        T.eq(b:size(), 4096)
        T.eq(b:length(), 0)
        ecotest.write(w, 'line\n')
        eco.sleep(0.01)
        T.ok(res, 'A finished')
        T.eq(res.n, 1)
        T.eq(res[1], 'line')
        -- no longer busy
        ecotest.write(w, 'x')
        T.same({ 'x' }, b:read(1))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 14. close() wakes a blocked reader with the eof error; the fd stays open
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        local res
        eco.run(function()
            res = table.pack(b:read('l'))
        end)
        T.eq(res, nil, 'blocked')
        T.same({}, b:close())
        eco.sleep(0.01)
        T.ok(res, 'woken by close')
        T.eq(res.n, 2)
        T.eq(res[1], nil)
        T.eq(res[2], 'eof')
        T.same({ nil, 'eof' }, b:read('l'))
        T.same({ nil, 'eof' }, b:read(1))
        T.same({}, b:close()) -- idempotent
        T.ok(ecotest.fd_open(r), 'close does not close the descriptor')
        -- the fd itself is still usable
        ecotest.write(w, 'still')
        eco.sleep(0.01)
        T.eq(ecotest.read(r, 10), 'still')
        ecotest.close(r)
        ecotest.close(w)
    end

    -- 14.x close with the custom eof error, while blocked in read('a') with partial data
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r, { eof_error = 'closed' }))
        ecotest.write(w, 'part')
        local res
        eco.run(function()
            res = table.pack(b:read('a'))
        end)
        b:close()
        eco.sleep(0.01)
        T.ok(res)
        T.eq(res[1], nil)
        T.eq(res[2], 'closed')
        T.eq(res[3], 'part')
        ecotest.close(r)
        ecotest.close(w)
    end

    -- a reading method that raises because it cannot yield leaves the object usable
    do
        local r, w = assert(ecotest.socketpair())
        local b = assert(bufio.new(r))
        -- a gsub callback cannot yield
        T.raises('attempt to yield', string.gsub, 'x', 'x', function() b:read(1) end)
        T.same({ nil, 'timeout' }, b:read(1, 0.02))
        ecotest.close(r)
        ecotest.close(w)
    end

    -- the descriptor survives the collection of the reader
    do
        local r, w = assert(ecotest.socketpair())
        local function make() bufio.new(r):close() end
        make()
        collectgarbage('collect')
        collectgarbage('collect')
        T.ok(ecotest.fd_open(r))
        ecotest.close(r)
        ecotest.close(w)
    end
end)

print('ok')
