-- eco.channel: blocked senders and receivers (spec/channel.md checklist 4, 5, 8, 9 and the
-- per-wait timeout rule).
local eco = require 'eco'
local T = require 'testlib'
local channel = require 'eco.channel'

T.go(function()
    -- 4. a sender blocked on a full capacity-1 channel completes after a receive
    do
        local ch = channel.new(1)
        T.same({ true }, ch:send('first'))
        local sent
        eco.run(function()
            sent = { ch:send('second') }
        end)
        eco.sleep(0.01)
        T.eq(sent, nil, 'sender still blocked')
        T.eq(ch:length(), 1)
        T.same({ 'first' }, ch:recv())
        T.same({ 'second' }, ch:recv(1))
        eco.sleep(0)
        T.ok(sent, 'sender finished')
        T.same({ true }, table.unpack(sent, 1, #sent))
    end

    -- 5. a blocked receiver gets a value sent later
    do
        local ch = channel.new()
        eco.run(function()
            eco.sleep(0.02)
            ch:send('late')
        end)
        T.same({ 'late' }, ch:recv(1))
    end

    -- 8. closing wakes every blocked receiver with a single nil
    do
        local ch = channel.new(2)
        local results, finished = {}, 0
        for i = 1, 12 do
            eco.run(function()
                results[i] = table.pack(ch:recv())
                finished = finished + 1
            end)
        end
        eco.sleep(0.01)
        T.eq(finished, 0, 'receivers blocked')
        ch:close()
        eco.sleep(0.01)
        T.eq(finished, 12)
        for i = 1, 12 do
            T.eq(results[i].n, 1, 'one value')
            T.eq(results[i][1], nil)
        end
    end

    -- 7/8. a value sent just before close reaches exactly one of the woken receivers,
    -- the others get nil
    do
        local ch = channel.new(1)
        local got, nils = {}, 0
        for _ = 1, 3 do
            eco.run(function()
                local v = ch:recv()
                if v == nil then nils = nils + 1 else got[#got + 1] = v end
            end)
        end
        ch:send('only')
        ch:close()
        eco.sleep(0.01)
        T.eq(#got, 1)
        T.eq(got[1], 'only')
        T.eq(nils, 2)
    end

    -- 9. closing makes every blocked sender raise
    do
        local ch = channel.new(1)
        ch:send('fill')
        local errors, finished = {}, 0
        for i = 1, 12 do
            eco.run(function()
                local ok, err = pcall(ch.send, ch, i)
                errors[i] = (not ok) and err or false
                finished = finished + 1
            end)
        end
        eco.sleep(0.01)
        T.eq(finished, 0, 'senders blocked')
        ch:close()
        eco.sleep(0.01)
        T.eq(finished, 12)
        for i = 1, 12 do
            T.ok(errors[i], 'sender ' .. i .. ' raised')
            T.ok(tostring(errors[i]):find('sending on closed channel', 1, true), tostring(errors[i]))
        end
        T.same({ 'fill' }, ch:recv())
        T.eq(select('#', ch:recv()), 1)
    end

    -- send timeout applies to each wait: a sender whose freed slot is taken waits again
    -- with the full timeout
    do
        local ch = channel.new(1)
        ch:send('first')
        local res
        eco.run(function()
            res = table.pack(ch:send('waiter', 0.2))
        end)
        eco.sleep(0.12)
        T.same({ 'first' }, ch:recv())
        T.same({ true }, ch:send('thief')) -- takes the slot before the woken sender runs
        eco.sleep(0.12)                    -- 0.24 s since the sender started waiting
        T.eq(res, nil, 'sender waits again after losing the slot')
        T.same({ 'thief' }, ch:recv())
        T.same({ 'waiter' }, ch:recv(1))
        eco.sleep(0)
        T.ok(res)
        T.eq(res.n, 1)
        T.eq(res[1], true)
    end

    -- recv timeout applies to each wait as well
    do
        local ch = channel.new(1)
        local res
        eco.run(function()
            res = table.pack(ch:recv(0.2))
        end)
        eco.sleep(0.12)
        ch:send('stolen')
        T.same({ 'stolen' }, ch:recv()) -- taken before the woken receiver runs
        eco.sleep(0.12)
        T.eq(res, nil, 'receiver waits again after losing the value')
        ch:send('kept')
        eco.sleep(0.01)
        T.ok(res)
        T.eq(res[1], 'kept')
    end

    -- a blocked sender times out and enqueues nothing
    do
        local ch = channel.new(1)
        ch:send(1)
        local res
        eco.run(function() res = table.pack(ch:send(2, 0.03)) end)
        eco.sleep(0.1)
        T.eq(res.n, 2)
        T.eq(res[1], nil)
        T.eq(res[2], 'timeout')
        T.eq(ch:length(), 1)
        T.same({ 1 }, ch:recv())
        T.same({ nil, 'timeout' }, ch:recv(0.01))
    end
end)

print('ok')
