-- eco.packet throughput, beside the same work in pure Lua (string.pack / string.unpack, the way a
-- Lua implementation builds and walks the layers) measured in the same run:
--   build_parse_udp   packet.ether(packet.ip(packet.udp(...with checksum...))) then
--                     from_ether -> next() -> next() (Ethernet/IPv4/UDP, 64-byte payload)
--   parse_tcp         from_ether -> next() -> next() of an Ethernet/IPv4/TCP frame (512-byte payload)
--   build_udp         the build alone
-- Each figure is the best of 3 runs, in frames per second; ratios are ours / pure Lua.
-- Needs only eco.packet (the clock is os.clock: CPU time of this single-threaded process).
local packet = require 'eco.packet'

local RUNS = 3
local N = tonumber(os.getenv('PACKET_BENCH_N')) or 200000

local spack, sunpack, schar, sbyte, format = string.pack, string.unpack, string.char, string.byte, string.format

-- ---- pure Lua reference implementation --------------------------------------------------------

local function aton(s)
    local a, b, c, d = s:match('^(%d+)%.(%d+)%.(%d+)%.(%d+)$')
    return schar(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

local function mac_bytes(s)
    return (s:gsub(':', ''):gsub('%x%x', function(h) return schar(tonumber(h, 16)) end))
end

local function mac_text(s, i)
    return format('%02x:%02x:%02x:%02x:%02x:%02x', sbyte(s, i, i + 5))
end

local function sum16(s, sum)
    local n = #s
    for i = 1, n - 1, 2 do
        local hi, lo = sbyte(s, i, i + 1)
        sum = sum + (hi << 8) + lo
    end
    if n % 2 == 1 then sum = sum + (sbyte(s, n) << 8) end
    return sum
end

local function fold(sum)
    while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
    return ~sum & 0xffff
end

local lua = {}

function lua.udp(source, dest, data, saddr, daddr)
    local len = 8 + #data
    local seg = spack('>I2I2I2I2', source, dest, len, 0) .. data
    local sum = sum16(aton(saddr) .. aton(daddr) .. spack('>BBI2', 0, 17, len), 0)
    local c = fold(sum16(seg, sum))
    return seg:sub(1, 6) .. spack('>I2', c) .. seg:sub(9)
end

function lua.ip(saddr, daddr, protocol, data)
    local h = spack('>BBI2I2I2BBI2', 0x45, 0, 20 + #data, 0, 0, 64, protocol, 0) .. aton(saddr) .. aton(daddr)
    local c = fold(sum16(h, 0))
    return h:sub(1, 10) .. spack('>I2', c) .. h:sub(13) .. data
end

function lua.ether(source, dest, proto, data)
    return mac_bytes(dest) .. mac_bytes(source) .. spack('>I2', proto) .. data
end

local mt = { __index = {} }

function lua.from_ether(d)
    if #d < 14 then return nil, 'not a valid ether packet' end
    return setmetatable({ name = 'ETHER', dest = mac_text(d, 1), source = mac_text(d, 7),
        proto = sunpack('>I2', d, 13), data = d:sub(15) }, mt)
end

local function from_ip(d)
    if #d < 20 then return nil, 'not a valid IPv4 packet' end
    local b1 = sbyte(d, 1)
    local ihl = b1 & 0xf
    if #d < ihl * 4 then return nil, 'not a valid IPv4 packet' end
    local tos, tot_len, id, frag_off, ttl, protocol, check = sunpack('>BI2I2I2BBI2', d, 2)
    return setmetatable({ name = 'IP', version = b1 >> 4, ihl = ihl, tos = tos, tot_len = tot_len, id = id,
        frag_off = frag_off, ttl = ttl, protocol = protocol, check = check,
        saddr = format('%d.%d.%d.%d', sbyte(d, 13, 16)), daddr = format('%d.%d.%d.%d', sbyte(d, 17, 20)),
        data = d:sub(ihl * 4 + 1) }, mt)
end

local function from_udp(d)
    if #d < 8 then return nil, 'not a valid UDP packet' end
    local source, dest, len, check = sunpack('>I2I2I2I2', d)
    return setmetatable({ name = 'UDP', source = source, dest = dest, len = len, check = check,
        data = d:sub(9, len) }, mt)
end

local function from_tcp(d, parent)
    if #d < 20 then return nil, 'not a valid TCP packet' end
    local source, dest, seq, ack_seq, off, fl, window, check, urg_ptr = sunpack('>I2I2I4I4BBI2I2I2', d)
    local doff = off >> 4
    local thl = doff * 4
    local len = parent.tot_len - parent.ihl * 4 - thl
    return setmetatable({ name = 'TCP', source = source, dest = dest, seq = seq, ack_seq = ack_seq, doff = doff,
        cwr = fl & 0x80 ~= 0, ece = fl & 0x40 ~= 0, urg = fl & 0x20 ~= 0, ack = fl & 0x10 ~= 0,
        psh = fl & 8 ~= 0, rst = fl & 4 ~= 0, syn = fl & 2 ~= 0, fin = fl & 1 ~= 0,
        window = window, check = check, urg_ptr = urg_ptr, data = d:sub(thl + 1, thl + len) }, mt)
end

function mt.__index.next(self)
    if self.proto == 0x0800 then return from_ip(self.data) end
    if self.protocol == 17 then return from_udp(self.data) end
    if self.protocol == 6 then return from_tcp(self.data, self) end
    return nil, 'no upper protocol layer'
end

-- ---- measurements ------------------------------------------------------------------------------

local function best(fn)
    local b = math.huge
    for _ = 1, RUNS do
        local t0 = os.clock()
        fn()
        local dt = os.clock() - t0
        if dt < b then b = dt end
    end
    return N / b
end

local SRC, DST = '02:00:00:00:00:0a', '02:00:00:00:00:0b'
local S, D = '10.1.1.1', '10.1.1.2'
local payload = string.rep('p', 64)

-- both implementations must produce the same bytes and fields
local function build_with(m)
    return m.ether(SRC, DST, 0x0800, m.ip(S, D, 17, m.udp(40000, 53, payload, S, D)))
end
assert(build_with(packet) == build_with(lua), 'pure Lua build differs from eco.packet')
local tcp_frame = packet.ether(SRC, DST, 0x0800, packet.ip(S, D, 6,
    packet.tcp(40000, 80, 1, 2, { ack = true, psh = true }, 1024, S, D, string.rep('t', 512))))
do
    local a = assert(assert(assert(packet.from_ether(tcp_frame)):next()):next())
    local b = assert(assert(assert(lua.from_ether(tcp_frame)):next()):next())
    for _, k in ipairs({ 'source', 'dest', 'seq', 'ack_seq', 'doff', 'ack', 'psh', 'syn', 'window', 'check', 'data' }) do
        assert(a[k] == b[k], 'pure Lua TCP parse differs: ' .. k)
    end
    local u = assert(assert(assert(packet.from_ether(build_with(packet))):next()):next())
    local v = assert(assert(assert(lua.from_ether(build_with(lua))):next()):next())
    assert(u.data == v.data and u.check == v.check and u.len == v.len, 'pure Lua UDP parse differs')
end

local function build_parse(m)
    return function()
        for _ = 1, N do
            local f = m.ether(SRC, DST, 0x0800, m.ip(S, D, 17, m.udp(40000, 53, payload, S, D)))
            local u = m.from_ether(f):next():next()
            if u.dest ~= 53 then error('bad parse') end
        end
    end
end

local function parse_tcp(m)
    return function()
        for _ = 1, N do
            local t = m.from_ether(tcp_frame):next():next()
            if not t.ack then error('bad parse') end
        end
    end
end

local function build_only(m)
    return function()
        for _ = 1, N do
            m.ether(SRC, DST, 0x0800, m.ip(S, D, 17, m.udp(40000, 53, payload, S, D)))
        end
    end
end

local figures = {
    { 'build_parse_udp', build_parse },
    { 'parse_tcp', parse_tcp },
    { 'build_udp', build_only },
}
for _, f in ipairs(figures) do
    local ours = best(f[2](packet))
    local theirs = best(f[2](lua))
    print(format('packet.%s %.0f frames/s', f[1], ours))
    print(format('packet.%s_purelua %.0f frames/s', f[1], theirs))
    print(format('packet.%s_ratio %.2f x', f[1], ours / theirs))
end
