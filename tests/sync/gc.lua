-- eco.sync objects are collectable and release their descriptors (spec/sync.md checklist 16).
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'
local et = require 'ecotest'

T.go(function()
    -- warm-up: anything opened lazily on first use is opened now
    do
        local c = assert(sync.cond())
        c:signal()
        c:close()
    end
    T.full_gc()
    local base_fds = et.fd_count()
    local weak = setmetatable({}, { __mode = 'k' })

    -- in a function of its own, so that no stack slot of the body keeps an object alive
    local function make_garbage()
        for _ = 1, 20 do
            -- a cond that was waited on and signaled
            local c = assert(sync.cond())
            eco.run(function() c:wait(1) end)
            c:signal('x')
            weak[c] = 'cond'
            -- a cond never used
            weak[assert(sync.cond())] = 'unused cond'
            -- a mutex that had a waiter (hand-off)
            local m = sync.mutex()
            m:lock()
            eco.run(function() m:lock(1) m:unlock() end)
            m:unlock()
            weak[m] = 'mutex'
            -- a waitgroup that had a waiter
            local wg = sync.waitgroup()
            wg:add(1)
            eco.run(function() wg:wait(1) end)
            wg:done()
            weak[wg] = 'waitgroup'
        end
    end
    make_garbage()

    eco.sleep(0.05) -- let every waiter finish
    T.full_gc()
    local left = {}
    for _, kind in pairs(weak) do left[#left + 1] = kind end
    T.eq(#left, 0, '16: objects still alive after a full GC: ' .. table.concat(left, ', '))
    T.ok(et.fd_count() <= base_fds, string.format(
        '16: internal descriptors closed by the finalizers (%d open, %d before)', et.fd_count(), base_fds))
end)

print('ok')
