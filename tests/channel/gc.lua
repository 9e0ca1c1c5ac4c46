-- eco.channel: lifetime (spec/channel.md checklist 11).
local eco = require 'eco'
local T = require 'testlib'
local channel = require 'eco.channel'
local ecotest = require 'ecotest'

local function full_gc()
    collectgarbage('collect')
    collectgarbage('collect')
end

T.go(function()
    -- Warm up first: the loop and eco.sync may open descriptors of their own on first use.
    eco.sleep(0)
    channel.new(1):send(true)
    full_gc()
    local base_fds = ecotest.fd_count()
    local weak = setmetatable({}, { __mode = 'k' })

    -- Created in a function of its own so that no stack slot of the test body keeps a
    -- channel alive.
    local function make_garbage()
        -- one channel that only buffered values
        local a = channel.new(2)
        a:send('x')
        weak[a] = true

        -- one whose internal conds were waited on (receiver and sender sides)
        local b = channel.new(1)
        eco.run(function() eco.sleep(0.01) b:send('y') end)
        T.eq(b:recv(1), 'y')
        b:send(1)
        eco.run(function() eco.sleep(0.01) b:recv() end)
        T.same({ true }, b:send(2, 1))
        weak[b] = true

        -- and a closed one
        local c = channel.new()
        c:close()
        weak[c] = true

        -- many more, to make a descriptor leak visible
        for _ = 1, 50 do
            weak[channel.new(3)] = true
        end
    end
    make_garbage()

    eco.sleep(0.01)
    full_gc()
    T.eq(next(weak), nil, 'dropped channels are collected')
    T.ok(ecotest.fd_count() <= base_fds,
        string.format('descriptors closed: %d open, %d before', ecotest.fd_count(), base_fds))
end)

print('ok')
