-- Calling eco.loop() from a script run by the interpreter: a nested loop
-- (spec/eco.md section 12.3, checklist 39). Run only by the `eco` binary.
local eco = require 'eco'
local T = require 'testlib'

local finished = false
eco.run(function()
    eco.sleep(0.05)
    finished = true
end)

-- 39: the nested loop runs the sleeper, then returns zero values; the script continues
local t0 = T.now()
local n = select('#', eco.loop())
T.eq(n, 0, '39: number of values returned by a nested eco.loop()')
T.ok(finished, '39: the 50 ms sleeper finished before the nested eco.loop() returned')
T.between(T.now() - t0, 0.03, 3, '39: nested eco.loop() duration (s)')
T.eq(eco.count(), 1, '39: only the entry coroutine is still tracked')

-- 12.3: unloop during the nested loop ends only the nested loop; what is still pending is run
-- by the interpreter's own loop after the script ends (checked by run.sh through the output).
local late_done = false
eco.run(function()
    eco.sleep(0.01)
    eco.unloop()
end)
eco.run(function()
    eco.sleep(0.2)
    late_done = true
    print('late sleeper finished')
end)
T.nret(0, eco.loop())
T.ok(not late_done, '12.3: unloop ended the nested loop before the 200 ms sleeper')

print('script continues after the nested loop')
print('ok')
