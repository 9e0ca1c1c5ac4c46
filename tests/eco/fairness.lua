-- Read fairness (spec/eco.md section 3.2, checklist 34).
local eco = require 'eco'
local T = require 'testlib'
local et = require 'ecotest'

local TOTAL = 64000

T.go(function()
    local a, b = et.socketpair()
    T.ok(a, 'socketpair: ' .. tostring(b))
    local data = string.rep('0123456789abcdef', TOTAL // 16)
    local off = 1
    while off <= #data do
        local n, err = et.write(b, data:sub(off))
        T.ok(n, 'ecotest.write: ' .. tostring(err))
        off = off + n
    end

    local r = assert(eco.reader(a))
    local ticks, reader_done, ticks_at_finish, got = 0, false, nil, 0

    -- the sleeper: 1 ms sleeps until the reader is done
    eco.run(function()
        while not reader_done do
            eco.sleep(0.001)
            ticks = ticks + 1
        end
    end)

    -- the reader: 64 000 one-byte reads that never need to wait for data. At least 0.7 s of CPU
    -- work is spread over them, so that it certainly runs longer than the 300 ms fairness slice
    -- whatever the speed of the implementation; without the fairness yield it would never let
    -- the sleeper run.
    eco.run(function()
        local start = os.clock()
        for i = 1, TOTAL do
            local s, err = r:read(1, 5)
            if s == nil or #s ~= 1 then
                error(string.format('34: read #%d returned %s, %s', i, tostring(s), tostring(err)))
            end
            got = got + 1
            local target = start + 0.7 * i / TOTAL
            while os.clock() < target do end
        end
        ticks_at_finish = ticks
        reader_done = true
    end)

    T.wait_until(function() return reader_done end, 50, '34: the reader to finish')
    T.eq(got, TOTAL, '34: bytes read one at a time')
    T.ok(ticks_at_finish > 0,
        '34: the 1 ms sleeper advanced while the reader was draining (counter was '
        .. tostring(ticks_at_finish) .. ' when the reader finished)')
    T.fails('timeout', r:read(1, 0.01))
    et.close(a)
    et.close(b)
end)

print('ok')
