-- eco.hash property test: random inputs of random lengths, fed through `update` in random-sized
-- pieces, give the same MD5/SHA-1/SHA-256 and HMAC (random keys, some longer than a block) as
-- Python's hashlib/hmac on the same bytes (one python3 run checks every sample). A missing
-- python3 fails the test.
local T = require 'testlib'
local md5 = require 'eco.hash.md5'
local sha1 = require 'eco.hash.sha1'
local sha256 = require 'eco.hash.sha256'
local hmac = require 'eco.hash.hmac'

local seed = tonumber(os.getenv('ECO_TEST_SEED') or '') or os.time()
math.randomseed(seed)
print('seed', seed)

local function tohex(s)
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function random_bytes(n)
    local parts, t = {}, {}
    local i = 0
    while i < n do
        local k = math.min(n - i, 4096)
        for j = 1, k do t[j] = math.random(0, 255) end
        parts[#parts + 1] = string.char(table.unpack(t, 1, k))
        i = i + k
    end
    return table.concat(parts)
end

-- Lengths around the 64-byte block and its 56-byte padding limit, then random ones.
local function random_length()
    local r = math.random()
    if r < 0.3 then return 64 * math.random(0, 4) + math.random(-9, 9) % 64 end
    if r < 0.8 then return math.random(0, 2000) end
    return math.random(2000, 300000)
end

-- Feeds `data` to ctx in random-sized pieces (including empty ones).
local function feed(ctx, data)
    local i = 1
    while i <= #data do
        local k = math.random(0, math.random() < 0.5 and 130 or 70000)
        ctx:update(data:sub(i, i + k - 1))
        i = i + k
    end
    return ctx:final()
end

T.go(function()
    local samples = {}
    local bin = os.tmpname()
    local f = assert(io.open(bin, 'wb'))
    for i = 1, 150 do
        local data = random_bytes(random_length())
        local key = random_bytes(({ 0, 1, 20, 63, 64, 65, 100, 200 })[math.random(8)])
        samples[i] = { data = data, key = key }
        f:write(string.pack('<I4<I4', #data, #key), data, key)
    end
    f:close()

    local py = [[
import hashlib, hmac, struct, sys
buf = open(sys.argv[1], 'rb').read()
off = 0
while off < len(buf):
    n, k = struct.unpack_from('<II', buf, off); off += 8
    d = buf[off:off + n]; off += n
    key = buf[off:off + k]; off += k
    print(' '.join([hashlib.md5(d).hexdigest(), hashlib.sha1(d).hexdigest(), hashlib.sha256(d).hexdigest(),
        hmac.new(key, d, 'md5').hexdigest(), hmac.new(key, d, 'sha1').hexdigest(),
        hmac.new(key, d, 'sha256').hexdigest()]))
]]
    local script = os.tmpname()
    local sf = assert(io.open(script, 'w'))
    sf:write(py)
    sf:close()
    local p = assert(io.popen('python3 ' .. script .. ' ' .. bin))
    local lines = {}
    for l in p:lines() do lines[#lines + 1] = l end
    local ok, how, code = p:close()
    os.remove(bin)
    os.remove(script)
    T.ok(ok, 'python3 (the reference) must run: ' .. tostring(how) .. ' ' .. tostring(code))
    T.eq(#lines, #samples, 'one python3 line per sample')

    for i, s in ipairs(samples) do
        local want = {}
        for w in lines[i]:gmatch('%x+') do want[#want + 1] = w end
        local what = string.format('sample %d (len %d, key %d, seed %d)', i, #s.data, #s.key, seed)
        T.eq(tohex(feed(md5.new(), s.data)), want[1], what .. ' md5')
        T.eq(tohex(feed(sha1.new(), s.data)), want[2], what .. ' sha1')
        T.eq(tohex(feed(sha256.new(), s.data)), want[3], what .. ' sha256')
        T.eq(tohex(sha256.sum(s.data)), want[3], what .. ' sha256.sum')
        T.eq(tohex(feed(hmac.new(md5, s.key), s.data)), want[4], what .. ' hmac-md5')
        T.eq(tohex(feed(hmac.new(sha1, s.key), s.data)), want[5], what .. ' hmac-sha1')
        T.eq(tohex(feed(hmac.new(sha256, s.key), s.data)), want[6], what .. ' hmac-sha256')
        T.eq(tohex(hmac.sum(sha256, s.key, s.data)), want[6], what .. ' hmac.sum')
    end
end)
