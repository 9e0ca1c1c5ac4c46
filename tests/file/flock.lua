-- eco.file: f:flock with a sub-second timeout between two open file descriptions of one process
-- (spec/file.md checklist 12; the two-process case is tests/file/flock.sh).
local eco = require 'eco'
local T = require 'testlib'
local file = require 'eco.file'

local p = os.tmpname()

-- Sleeping needs a coroutine: outside one (the main thread of stock lua5.4), a flock that has
-- to wait raises the standard yield error.
if not coroutine.isyieldable() then
    local a = T.ok(file.open(p, file.O_RDWR))
    local b = T.ok(file.open(p, file.O_RDWR))
    T.same({ true }, a:flock(file.LOCK_EX))
    T.raises('attempt to yield from outside a coroutine', b.flock, b, file.LOCK_EX, 1)
    a:close()
    b:close()
end

T.go(function()
    local a = T.ok(file.open(p, file.O_RDWR))
    local b = T.ok(file.open(p, file.O_RDWR))

    -- 12: lock and unlock with a timeout
    T.same({ true }, a:flock(file.LOCK_EX, 0.2))
    T.same({ true }, a:flock(file.LOCK_UN, 0.2))

    -- 12: another open file description holds LOCK_EX -> "timeout" after ~0.2 s
    T.same({ true }, a:flock(file.LOCK_EX))
    local t0 = T.now()
    T.same({ nil, 'timeout' }, b:flock(file.LOCK_EX, 0.2))
    T.between(T.now() - t0, 0.19, 1.5, '12: timeout duration')
    -- sub-second: a 0.05 s timeout really is short
    t0 = T.now()
    T.same({ nil, 'timeout' }, b:flock(file.LOCK_SH, 0.05))
    T.between(T.now() - t0, 0.045, 0.8, 'short timeout duration')

    -- waiting without timeout succeeds once the holder releases; other coroutines keep running
    local got, ticks = nil, 0
    eco.run(function()
        got = table.pack(b:flock(file.LOCK_EX))
    end)
    for _ = 1, 10 do
        eco.sleep(0.01)
        ticks = ticks + 1
    end
    T.eq(got, nil, 'still waiting while a holds the lock')
    T.eq(ticks, 10, 'the loop keeps running during flock polling')
    T.same({ true }, a:flock(file.LOCK_UN))
    T.wait_until(function() return got end, 5, 'b to get the lock')
    T.same({ true }, T.unpack(got))
    T.same({ nil, 'timeout' }, a:flock(file.LOCK_SH, 0.1))
    T.same({ true }, b:flock(file.LOCK_UN))

    -- shared locks coexist
    T.same({ true }, a:flock(file.LOCK_SH, 0.2))
    T.same({ true }, b:flock(file.LOCK_SH, 0.2))
    T.same({ true }, a:flock(file.LOCK_UN))
    T.same({ true }, b:flock(file.LOCK_UN))

    -- OS errors: a bad op, a closed file
    T.same({ nil, 'Invalid argument' }, a:flock(123, 0.1))
    a:close()
    T.same({ nil, 'Bad file descriptor' }, a:flock(file.LOCK_EX, 0.1))
    b:close()
end)

os.remove(p)
print('ok')
