-- eco.channel: construction, buffering, timeouts, close, nil/false (spec/channel.md).
local eco = require 'eco'
local T = require 'testlib'
local channel = require 'eco.channel'

-- 1. non-integer capacity raises, exact message, no position prefix
do
    local ok, err = pcall(channel.new, 1.5)
    T.eq(ok, false)
    T.eq(err, 'capacity must be an integer')
    T.raises('capacity must be an integer', channel.new, '2')
    T.raises('capacity must be an integer', channel.new, 2.0)
    T.raises('capacity must be an integer', channel.new, {})
end

T.go(function()
    -- 2. nil / 0 / negative capacity means 1 (and a sender does not wait for a receiver)
    for _, cap in ipairs({ 'nil', 0, -5 }) do
        local ch = cap == 'nil' and channel.new() or channel.new(cap)
        T.same({ true }, ch:send('one', 0.1))
        T.eq(ch:length(), 1)
        T.same({ nil, 'timeout' }, ch:send('two', 0.03))
        T.eq(ch:length(), 1, 'nothing enqueued after a timeout')
        T.same({ 'one' }, ch:recv())
        T.eq(ch:length(), 0)
    end

    -- 3. capacity 2
    do
        local ch = channel.new(2)
        T.same({ true }, ch:send('a'))
        T.same({ true }, ch:send('b'))
        T.eq(ch:length(), 2)
        T.same({ nil, 'timeout' }, ch:send('c', 0.03))
        T.eq(ch:length(), 2)
        T.same({ 'a' }, ch:recv())
        T.eq(ch:length(), 1)
        T.same({ 'b' }, ch:recv())
        T.eq(ch:length(), 0)
    end

    -- 6. recv on an empty open channel times out
    do
        local ch = channel.new(4)
        T.same({ nil, 'timeout' }, ch:recv(0.03))
        T.eq(ch:length(), 0)
    end

    -- 7. close keeps buffered values; then a single nil; send raises
    do
        local ch = channel.new(3)
        ch:send(1)
        ch:send(2)
        T.same({}, ch:close())
        T.same({}, ch:close()) -- idempotent
        T.same({ 1 }, ch:recv())
        T.same({ 2 }, ch:recv())
        T.eq(select('#', ch:recv()), 1, 'recv on closed empty channel returns one value')
        T.eq(ch:recv(), nil)
        T.eq(select('#', ch:recv(0.01)), 1, 'a timeout does not matter once closed')
        local ok, err = pcall(ch.send, ch, 3)
        T.eq(ok, false)
        T.eq(err, 'sending on closed channel')
        T.raises('sending on closed channel', ch.send, ch, nil)
        T.eq(ch:length(), 0)
    end

    -- 10. false is transported, nil is dropped, tables keep their identity
    do
        local ch = channel.new(4)
        T.same({ true }, ch:send(false))
        T.same({ false }, ch:recv())
        ch:send('x')
        T.same({ true }, ch:send(nil))
        T.eq(ch:length(), 1, 'send(nil) does not change the length')
        T.same({ 'x' }, ch:recv())
        local t = {}
        ch:send(t)
        ch:send(0)
        ch:send(print)
        T.ok(ch:recv() == t, 'same table object')
        T.eq(ch:recv(), 0)
        T.eq(ch:recv(), print)
    end

    -- 2.x FIFO order over many values, with wrap-around of the buffer
    do
        local ch = channel.new(3)
        local got = {}
        eco.run(function()
            for i = 1, 50 do ch:send(i) end
            ch:close()
        end)
        while true do
            local v = ch:recv(1)
            if v == nil then break end
            got[#got + 1] = v
        end
        T.eq(#got, 50)
        for i = 1, 50 do T.eq(got[i], i) end
    end

    -- send with room and recv with buffered data do not yield
    do
        local ch = channel.new(2)
        local other_ran = false
        eco.run(function()
            eco.sleep(0)
            other_ran = true
        end)
        T.same({ true }, ch:send('v'))
        T.same({ 'v' }, ch:recv())
        T.eq(other_ran, false, 'send/recv yielded')
        eco.sleep(0.01)
        T.eq(other_ran, true)
    end
end)

print('ok')
