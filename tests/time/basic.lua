-- eco.time: constants, now, sleep, argument checks, timerfd helpers
-- (spec/time.md checklist 1-5, 15).
local eco = require 'eco'
local T = require 'testlib'
local time = require 'eco.time'
local et = require 'ecotest'

local function noop() end

-- 1: constants
for _, k in ipairs({ 'CLOCK_MONOTONIC', 'CLOCK_REALTIME', 'TFD_TIMER_ABSTIME' }) do
    T.eq(math.type(time[k]), 'integer', '1: math.type(time.' .. k .. ')')
end
T.eq(time.CLOCK_MONOTONIC, 1, '1: CLOCK_MONOTONIC (Linux value)')
T.eq(time.CLOCK_REALTIME, 0, '1: CLOCK_REALTIME (Linux value)')
T.eq(time.TFD_TIMER_ABSTIME, 1, '1: TFD_TIMER_ABSTIME (Linux value)')

-- 2: wall clock
do
    local now = time.now()
    T.eq(type(now), 'number', '2: type of time.now()')
    T.ok(now > 0, '2: time.now() > 0')
    T.ok(math.abs(now - os.time()) <= 1,
        string.format('2: |time.now() - os.time()| <= 1 (now %.3f, os.time %d)', now, os.time()))
end

-- 4: argument checks (plain assertions)
T.raises('assertion failed', time.timer, 1)
T.raises('assertion failed', time.timer)
T.raises('assertion failed', time.at, '0.01', noop)
T.raises('assertion failed', time.at, 0.01, 1)
T.raises('assertion failed', time.on, '0', noop)
T.raises('assertion failed', time.on, time.now(), 1)

-- 5: timerfd helpers
local tfd
do
    local fd, err = time.timerfd_create(-1)
    T.eq(fd, nil, '5: timerfd_create(-1) first value')
    T.eq(type(err), 'string', '5: timerfd_create(-1) error message type')
    T.eq(err, 'Invalid argument', '5: timerfd_create(-1) error message')
    tfd = time.timerfd_create(time.CLOCK_MONOTONIC)
    T.eq(math.type(tfd), 'integer', '5: timerfd_create(CLOCK_MONOTONIC) returns an fd')
    T.same({ true }, time.timerfd_settime(tfd, 0, 0.01))
    -- a bad descriptor fails with the OS text
    T.fails('Bad file descriptor', time.timerfd_settime(9999, 0, 0.01))
end

-- 15: set's argument checks, also on a closed timer
do
    local tmr = assert(time.timer(noop))
    T.raises('delay must be non-negative', function() return tmr:set(-1) end)
    T.raises('delay must be a number', function() return tmr:set('1') end)
    T.raises('delay must be a number', function() return tmr:set() end)
    tmr:close()
    T.raises('delay must be non-negative', function() return tmr:set(-1) end)
    T.raises('delay must be a number', function() return tmr:set('1') end)
    T.fails('closed', tmr:set(0.01))
    -- time.at reports a negative delay by raising from set
    T.raises('delay must be non-negative', time.at, -1, noop)
end

-- time.sleep has eco.sleep's checks
T.raises('delay must be greater than or equal to 0', time.sleep, -1)
T.raises('number expected', time.sleep, 'x')

T.go(function()
    -- 3: sleep blocks (monotonic ms), measured with the wall clock
    do
        local t0 = time.now()
        T.nret(0, time.sleep(0.02))
        local dt = time.now() - t0
        T.between(dt, 0.01, 2, '3: time.sleep(0.02) measured with time.now() (s)')
        T.nret(0, time.sleep(0))
    end

    -- 5: the timerfd armed above has expired: reading it yields the 8-byte expiration count
    eco.sleep(0.03)
    local s = et.read(tfd, 8)
    T.eq(type(s) == 'string' and #s or s, 8, '5: the armed timerfd expired (8-byte read)')
    -- interval argument: a periodic timerfd, disarmed by a zero delay
    T.same({ true }, time.timerfd_settime(tfd, 0, 0.01, 0.01))
    T.same({ true }, time.timerfd_settime(tfd, 0, 0))
    T.same({ true }, et.close(tfd))
end)

print('ok')
