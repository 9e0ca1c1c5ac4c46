-- eco.ssl resources: an unreachable client is collected and its descriptor closed; repeated
-- connect/accept/close cycles plateau in memory (spec/ssl.md checklist 18, 22).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local et = require 'ecotest'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

T.go(function()
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key }))
    local port = srv.sock:getsockname().port
    local served = 0
    eco.run(function()
        while true do
            local c, err = srv:accept()
            if c then
                served = served + 1
                local data = c:read(64, 5)
                if data then c:send(data) end
                c:close()
            elseif err == 'canceled' then
                break
            end
        end
    end)

    -- 18: an unreachable client is garbage-collected and its fd closed
    local fd, weak
    do
        local cli = assert(ssl.connect('127.0.0.1', port, { insecure = true }))
        fd = cli.sock:getfd()
        T.same({ 2 }, cli:send('hi'))
        T.same({ 'hi' }, cli:read(2, 5))
        weak = setmetatable({ cli }, { __mode = 'v' })
    end
    T.wait_until(function() return served == 1 end, 5, 'first client served')
    eco.sleep(0.05)
    T.eq(et.fd_open(fd), true)
    T.full_gc()
    T.eq(weak[1], nil, 'client collected')                                             -- 18
    T.eq(et.fd_open(fd), false, 'its descriptor is closed')                           -- 18

    -- 22: equal bursts of connect/accept/close; RSS and Lua memory plateau
    local function burst(n)
        for _ = 1, n do
            local cli = assert(ssl.connect('127.0.0.1', port, { insecure = true }))
            cli:send('ping')
            assert(cli:read(4, 5) == 'ping')
            cli:close()
        end
        T.full_gc()
        return S.rss_kb(), collectgarbage('count')
    end
    local fds0 = et.fd_count()
    local rss, lmem = {}, {}
    for i = 1, 5 do rss[i], lmem[i] = burst(40) end
    local msg = string.format('RSS KiB per burst: %s; Lua KiB: %s',
        table.concat(rss, ' '), table.concat((function()
            local t = {}
            for i, v in ipairs(lmem) do t[i] = string.format('%.0f', v) end
            return t
        end)(), ' '))
    print(msg)
    T.ok(rss[5] - rss[2] < 3 * 1024, 'RSS plateau: ' .. msg)                           -- 22
    T.ok(lmem[5] - lmem[2] < 256, 'Lua heap plateau: ' .. msg)                          -- 22
    eco.sleep(0.05)
    T.eq(et.fd_count(), fds0, 'no descriptor leaked')

    -- contexts are released too: a context per connection (no ctx option) many times over
    local r0 = S.rss_kb()
    for _ = 1, 3 do
        local ctxs = {}
        for i = 1, 20 do ctxs[i] = ssl.context() end
        for i = 1, 20 do ctxs[i]:free() end
        ctxs = nil
        T.full_gc()
    end
    T.ok(S.rss_kb() - r0 < 3 * 1024, 'contexts released')

    srv:close()
    eco.sleep(0.05)
end)

S.cleanup()
