-- eco.bufio micro-benchmark: read N lines of ~40 bytes from a pipe (a child `yes | head`)
-- with read('l'), then the same stream with read(n) chunks of 100 bytes.
-- Run: target/release/eco crates/eco-bufio/bench/lines.lua [N]
local eco   = require 'eco'
local sys   = require 'eco.sys'
local time  = require 'eco.time'
local bufio = require 'eco.bufio'

local N = tonumber(arg and arg[1]) or 1000000
local LINE = 'the quick brown fox jumps over the dog'   -- 38 bytes + '\n'

local function run(what)
    local p = assert(sys.exec({ 'sh', '-c', ('yes "%s" | head -n %d'):format(LINE, N) }))
    local b = assert(bufio.new(p.stdout_fd))
    local t0 = time.now()
    local count, bytes = 0, 0
    while true do
        local data, err = b:read(what)
        if not data then assert(err == 'eof', err) break end
        count = count + 1
        bytes = bytes + #data
    end
    local dt = time.now() - t0
    p:close()
    return count, bytes, dt
end

eco.run(function()
    local count, _, dt = run('l')
    assert(count == N, count)
    print(('bufio_lines %.0f lines/s'):format(N / dt))
    local _, bytes, dt2 = run(100)
    assert(bytes == N * (#LINE + 1), bytes)
    print(('bufio_read100 %.1f MB/s'):format(bytes / dt2 / 1e6))
end)

eco.loop()
