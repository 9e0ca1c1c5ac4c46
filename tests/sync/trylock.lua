-- eco.sync mutex:trylock() (docs/sync.md): takes a free mutex without waiting, fails on a
-- held one (also one handed over to a waiter), never yields.
local eco = require 'eco'
local T = require 'testlib'
local sync = require 'eco.sync'

-- no yield: works on the main thread of stock Lua
do
    local m = sync.mutex()
    T.same({ true }, m:trylock())
    T.same({ false }, m:trylock())
    m:unlock()
    T.same({ true }, m:trylock())
    m:unlock()
    T.raises('unlock of unlocked mutex', function() m:unlock() end)
end

T.go(function()
    local m = sync.mutex()
    T.same({ true }, m:trylock())
    local got
    eco.run(function()
        got = table.pack(m:lock(1))
    end)
    eco.sleep(0.01)
    T.eq(got, nil, 'lock waits while trylock holds the mutex')
    m:unlock() -- handed to the waiter: still locked
    T.same({ false }, m:trylock())
    T.wait_until(function() return got end, 1, 'the waiter to get the mutex')
    T.same({ true, n = 1 }, T.unpack(got))
    T.same({ false }, m:trylock())
    m:unlock()
    T.same({ true }, m:trylock())
    m:unlock()
end)

print('ok')
