-- The core publishes its ABI table in the registry under "eco.abi"; eco.sync (its own .so under
-- stock lua5.4) parks and wakes coroutines through it. Under lua5.4 this checks that eco.sync
-- really came from a separate shared object, so the cross-.so path is what is exercised.
local eco = require 'eco'
local T = require 'testlib'

local abi = debug.getregistry()['eco.abi']
T.eq(type(abi), 'userdata', 'registry["eco.abi"] type')
T.ok(debug.getregistry()['eco.abi'] == abi, 'the table is published once')

if not rawget(_G, 'eco') then
    -- stock lua5.4: modules are loaded from package.cpath
    local core = package.searchpath('eco', package.cpath)
    local sync_so = package.searchpath('eco.sync', package.cpath)
    T.ok(core and core:match('%.so$'), 'eco is a shared object: ' .. tostring(core))
    T.ok(sync_so and sync_so:match('%.so$'), 'eco.sync is a shared object: ' .. tostring(sync_so))
    T.ok(core ~= sync_so, 'eco and eco.sync are different files')
end

local sync = require 'eco.sync'

T.go(function()
    local c = sync.cond()
    local got = {}
    -- a wake from another coroutine goes through the table's `wake`
    eco.run(function() local v = c:wait(1) got[#got + 1] = v end)
    eco.run(function() local v = c:wait(1) got[#got + 1] = v end)
    T.eq(c:signal('first'), true, 'signal with a waiter')
    T.eq(c:signal('second'), true, 'second signal')
    eco.sleep(0)
    T.eq(#got, 2, 'both waiters resumed')
    T.eq(got[1], 'first', 'FIFO: first waiter gets the first value')
    T.eq(got[2], 'second', 'second waiter gets the second value')

    -- a timeout armed through the table's `park`
    local t0 = T.now()
    T.same({ nil, 'timeout' }, c:wait(0.02))
    T.between(T.now() - t0, 0.015, 0.5, 'timeout through the ABI (s)')

    -- a mutex hand-off wakes the waiter through the ready queue, without any descriptor
    local m = sync.mutex()
    T.eq(m:lock(), true)
    local fds = require('ecotest').fd_count()
    local order = {}
    eco.run(function() T.eq(m:lock(1), true, 'handed-off lock') order[#order + 1] = 'waiter' m:unlock() end)
    T.eq(require('ecotest').fd_count(), fds, 'parking opened no descriptor')
    order[#order + 1] = 'holder'
    m:unlock()
    eco.sleep(0)
    T.eq(table.concat(order, ','), 'holder,waiter')
end)
print('ok')
