-- eco.channel: many producer/consumer pairs (spec/channel.md checklist 12).
local eco = require 'eco'
local T = require 'testlib'
local channel = require 'eco.channel'
local sync = require 'eco.sync'
local ecotest = require 'ecotest'

local PAIRS, VALUES, CAP = 300, 8, 4

local function full_gc()
    collectgarbage('collect')
    collectgarbage('collect')
end

-- Runs PAIRS producer/consumer pairs and returns the number of values delivered.
local function round()
    local delivered = 0
    local wg = sync.waitgroup()
    for p = 1, PAIRS do
        local ch = channel.new(CAP)
        wg:add(2)
        eco.run(function()
            for v = 1, VALUES do
                T.same({ true }, ch:send(p * 100 + v, 5))
            end
            ch:close()
            wg:done()
        end)
        eco.run(function()
            local expect = 1
            while true do
                local v, err = ch:recv(5)
                T.eq(err, nil)
                if v == nil then break end
                T.eq(v, p * 100 + expect, 'FIFO order')
                expect = expect + 1
                delivered = delivered + 1
            end
            T.eq(expect, VALUES + 1)
            wg:done()
        end)
    end
    T.same({ true }, wg:wait(30))
    return delivered
end

T.go(function()
    -- 12. exactly PAIRS * VALUES values
    T.eq(round(), PAIRS * VALUES)
    eco.sleep(0)
    full_gc()
    local mem = collectgarbage('count')
    local fds = ecotest.fd_count()

    -- 12. repeating does not grow memory (or descriptors) materially
    for _ = 1, 5 do
        T.eq(round(), PAIRS * VALUES)
        eco.sleep(0)
        full_gc()
    end
    local grown = collectgarbage('count') - mem
    T.ok(grown < 512, string.format('memory grew by %.1f KB', grown))
    T.ok(ecotest.fd_count() <= fds + 2, string.format('fds %d -> %d', fds, ecotest.fd_count()))
end)

print('ok')
