-- Digest and Base64 throughput on a 64 MB string, beside coreutils on the same bytes in the same
-- run: eco.hash.sha256.sum vs `sha256sum`, eco.encoding.base64.encode vs `base64 -w0`.
-- Each figure is the best of 3 runs, in MB/s (1 MB = 2^20 bytes); the coreutils figures include
-- starting the program and reading the file from /dev/shm (page cache). Ratios are ours / theirs.
local time = require 'eco.time'
local sha256 = require 'eco.hash.sha256'
local md5 = require 'eco.hash.md5'
local sha1 = require 'eco.hash.sha1'
local base64 = require 'eco.encoding.base64'
local hex = require 'eco.encoding.hex'

local MB = 1024 * 1024
local SIZE = 64 * MB
local RUNS = 3

-- 64 KiB of pseudo-random bytes, repeated
math.randomseed(42)
local t = {}
for i = 1, 65536 do t[i] = math.random(0, 255) end
local block = {}
for i = 1, 65536, 4096 do block[#block + 1] = string.char(table.unpack(t, i, i + 4095)) end
local data = string.rep(table.concat(block), SIZE // 65536)
assert(#data == SIZE)

local file = string.format('/dev/shm/eco-bench-hash-%d.bin', math.random(1, 1e9))
local f = assert(io.open(file, 'wb'))
f:write(data)
f:close()

local function best(fn)
    local b = math.huge
    for _ = 1, RUNS do
        local t0 = time.now()
        fn()
        local dt = time.now() - t0
        if dt < b then b = dt end
    end
    return SIZE / MB / b
end

local function shell(cmd)
    return function() assert(os.execute(cmd), cmd) end
end

-- the programs must be there and agree with us
local p = assert(io.popen('sha256sum ' .. file))
local theirs = p:read('a'):match('^(%x+)')
p:close()
assert(theirs == hex.encode(sha256.sum(data)), 'sha256sum disagrees')
p = assert(io.popen('base64 -w0 ' .. file .. ' 2>/dev/null | head -c 100'))
assert(p:read('a') == base64.encode(data:sub(1, 75)), 'base64 disagrees')
p:close()

local ours_sha = best(function() sha256.sum(data) end)
local core_sha = best(shell('sha256sum ' .. file .. ' >/dev/null'))
local ours_b64 = best(function() base64.encode(data) end)
local core_b64 = best(shell('base64 -w0 ' .. file .. ' >/dev/null'))
local ours_md5 = best(function() md5.sum(data) end)
local core_md5 = best(shell('md5sum ' .. file .. ' >/dev/null'))
local ours_sha1 = best(function() sha1.sum(data) end)
local core_sha1 = best(shell('sha1sum ' .. file .. ' >/dev/null'))
os.remove(file)

print(('hash.sha256_sum %.0f MB/s'):format(ours_sha))
print(('hash.coreutils_sha256sum %.0f MB/s'):format(core_sha))
print(('hash.sha256_ratio %.2f x'):format(ours_sha / core_sha))
print(('hash.base64_encode %.0f MB/s'):format(ours_b64))
print(('hash.coreutils_base64 %.0f MB/s'):format(core_b64))
print(('hash.base64_ratio %.2f x'):format(ours_b64 / core_b64))
print(('hash.md5_sum %.0f MB/s'):format(ours_md5))
print(('hash.coreutils_md5sum %.0f MB/s'):format(core_md5))
print(('hash.md5_ratio %.2f x'):format(ours_md5 / core_md5))
print(('hash.sha1_sum %.0f MB/s'):format(ours_sha1))
print(('hash.coreutils_sha1sum %.0f MB/s'):format(core_sha1))
print(('hash.sha1_ratio %.2f x'):format(ours_sha1 / core_sha1))
