-- eco.shared: a dictionary shared with child processes (spec/shared.md example).
-- Run: eco examples/shared/counter.lua
local eco    = require 'eco'
local shared = require 'eco.shared'
local sys    = require 'eco.sys'
local time   = require 'eco.time'

eco.run(function()
    local name = 'stats-' .. sys.getpid()
    local stats = assert(shared.new(name, 4096))   -- the owner: closing it removes the dictionary
    assert(stats:set('hits', 0))

    for _ = 1, 3 do
        sys.spawn(function()
            local d = assert(shared.get(name))
            for _ = 1, 5 do d:incr('hits', 1) end
            d:set('last_worker', sys.getpid(), 60)
            d:close()
        end)
    end

    time.sleep(0.3)
    print('hits', stats:get('hits'), 'ttl', stats:ttl('last_worker'))   --> hits 15.0 ttl 59.7...
    print('keys', table.concat(stats:get_keys(), ', '))
    stats:close()
end)

eco.loop()
