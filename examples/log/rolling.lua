-- eco.log: a rolling log file with the caller's location in every record.
-- Run: eco examples/log/rolling.lua   (then look at /tmp/eco-example.log*)
local log = require 'eco.log'

log.set_ident('example')
log.set_path('/tmp/eco-example.log')
log.set_roll_size(4096)
log.set_roll_count(3)
log.set_flags(log.FLAG_LF | log.FLAG_FILE)
log.set_level(log.DEBUG)

for i = 1, 200 do
    log.debug('retries left:', 200 - i)
end
log.log(log.WARNING, 'slow response', 2.75, 'seconds')
log.err(string.format('request %d failed: %s', 17, 'timeout'))
print('wrote /tmp/eco-example.log and up to 3 rotated files')
