-- eco.nl: the builder, the datagram parser, the attribute accessors (docs/netlink.md checklist
-- items 1-16, numbers in comments), sockets against the kernel (NETLINK_ROUTE, read-only or
-- harmless requests) and against a second netlink socket that plays the kernel (unicast between
-- user sockets: root) for replies the kernel cannot be made to send.
local T = require 'testlib'
local nl = require 'eco.nl'
local inl = require 'eco.internal.nl'

local HDR = '=I4I2I2I4I4'

-- constants (1.1)
local consts = {
    NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4, NLMSG_MIN_TYPE = 16,
    NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4, NLM_F_ECHO = 8, NLM_F_DUMP_INTR = 16,
    NLM_F_DUMP_FILTERED = 32, NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_ATOMIC = 0x400,
    NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400,
    NLM_F_APPEND = 0x800, NLM_F_NONREC = 0x100, NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200,
    NLMSGERR_ATTR_MSG = 1, NLMSGERR_ATTR_OFFS = 2, NLMSGERR_ATTR_COOKIE = 3, NLMSGERR_SIZE = 20,
    NETLINK_ROUTE = 0, NETLINK_UNUSED = 1, NETLINK_USERSOCK = 2, NETLINK_FIREWALL = 3,
    NETLINK_SOCK_DIAG = 4, NETLINK_NFLOG = 5, NETLINK_XFRM = 6, NETLINK_SELINUX = 7,
    NETLINK_ISCSI = 8, NETLINK_AUDIT = 9, NETLINK_FIB_LOOKUP = 10, NETLINK_CONNECTOR = 11,
    NETLINK_NETFILTER = 12, NETLINK_IP6_FW = 13, NETLINK_DNRTMSG = 14,
    NETLINK_KOBJECT_UEVENT = 15, NETLINK_GENERIC = 16,
}
for k, v in pairs(consts) do
    T.eq(math.type(nl[k]), 'integer', k)
    T.eq(nl[k], v, k)
    T.eq(inl[k], v, 'internal ' .. k)
end
T.eq(type(nl.open), 'function')
for _, f in ipairs({ 'nlmsg', 'nlmsg_ker', 'attr_get_u8', 'attr_get_s8', 'attr_get_u16',
    'attr_get_s16', 'attr_get_u32', 'attr_get_s32', 'attr_get_u64', 'attr_get_s64',
    'attr_get_str', 'attr_get_payload', 'parse_attr_nested' }) do
    T.eq(type(nl[f]), 'function', f)
    T.eq(inl[f], nl[f], 'internal ' .. f)
end
T.eq(inl.open, nil)

-- 1: the header in host order
local b = nl.nlmsg(18, 0x301, 7):binary()
T.eq(#b, 16)
T.same({ 16, 18, 0x301, 7, 0, 17 }, string.unpack(HDR, b))
-- defaults, truncation
T.same({ 16, 0x2345, 0x6789, 0, 0, 17 }, string.unpack(HDR, nl.nlmsg(0x12345, 0x16789):binary()))
T.same({ 16, 1, 2, 0xffffffff, 0, 17 }, string.unpack(HDR, nl.nlmsg(1, 2, -1):binary()))

-- 2: sizes
T.raises('invalid size', nl.nlmsg, 0, 0, 0, -1)
T.raises('invalid size', nl.nlmsg, 0, 0, 0, math.maxinteger)
T.raises('invalid size', nl.nlmsg, 0, 0, 0, 0x7fffffff - 15)
T.raises('number expected', nl.nlmsg, 'x', 0)
T.raises('number expected', nl.nlmsg, 1)
T.ok(nl.nlmsg(0, 0, 0, 0))

-- 3: capacity
do
    local m = nl.nlmsg(0, 0, 0, 4)
    T.eq(m:put('abcd'), m)
    T.fails('buf is full', m:put('x'))
    T.fails('buf is full', m:put_attr(1, ''))
    T.eq(#m:binary(), 20)
    local m2 = nl.nlmsg(0, 0, 0, 6) -- capacity 16 + 8
    T.eq(m2:put('abc'), m2)
    T.eq((string.unpack('=I4', m2:binary())), 20)
    T.eq(m2:binary():sub(17), 'abc\0') -- padding is zero
    T.eq(m2:put_attr_flag(1), m2)
    T.fails('buf is full', m2:put_attr_flag(1))
    T.fails('attr is too large', nl.nlmsg(0, 0, 0, 70000):put_attr(1, string.rep('x', 65532)))
    T.ok(nl.nlmsg(0, 0, 0, 70000):put_attr(1, string.rep('x', 65531)))
end

-- 4, 5, 7: attributes, chaining
do
    local m = nl.nlmsg(0, 0)
    T.eq(m:put_attr_u8(1, 0x1ff):put_attr_u32(3, -1):put_attr_str(5, 'ab'):put_attr_strz(6, 'ab'), m)
    local d = m:binary():sub(17)
    T.eq(d:sub(1, 8), string.pack('=I2I2', 5, 1) .. '\xff\0\0\0')
    T.eq(d:sub(9, 16), string.pack('=I2I2', 8, 3) .. '\xff\xff\xff\xff')
    T.eq(d:sub(17, 24), string.pack('=I2I2', 6, 5) .. 'ab\0\0')
    T.eq(d:sub(25, 32), string.pack('=I2I2', 7, 6) .. 'ab\0\0')
    T.eq(#d, 32)
    T.eq((string.unpack('=I4', m:binary())), 48)
    local m2 = nl.nlmsg(0, 0)
    m2:put_attr_u16(2, 0x12345):put_attr_u64(4, -2):put_attr_str(7, 'a\0b'):put_attr_str(8, 12)
    m2:put_attr(9, 'x\0y')
    local d2 = m2:binary():sub(17)
    T.eq(d2:sub(1, 8), string.pack('=I2I2I2', 6, 2, 0x2345) .. '\0\0')
    T.eq(d2:sub(9, 20), string.pack('=I2I2i8', 12, 4, -2))
    T.eq(d2:sub(21, 28), string.pack('=I2I2', 5, 7) .. 'a\0\0\0')
    T.eq(d2:sub(29, 36), string.pack('=I2I2', 6, 8) .. '12\0\0')
    T.eq(d2:sub(37, 44), string.pack('=I2I2', 7, 9) .. 'x\0y\0')
    T.raises('string expected', m2.put_attr_str, m2, 1, {})
    T.raises('string expected', m2.put_attr_strz, m2, 1, nil)
    T.raises('number expected', m2.put_attr_u32, m2, 1, 'z')
    T.raises('nlmsg expected', m2.put, {}, 'x')
end

-- 6: nests
do
    local m = nl.nlmsg(0, 0)
    T.eq(m:put_attr_nest_start(8), m)
    m:put_attr_u32(1, 9)
    local d = m:binary():sub(17)
    T.same({ 12, 0x8008, 5 }, string.unpack('=I2I2', d))
    m:put_attr_nest_start(2)
    m:put_attr_u8(1, 1)
    d = m:binary():sub(17)
    T.same({ 12, 0x8008, 5 }, string.unpack('=I2I2', d))          -- the first did not grow
    T.same({ 12, 0x8002, 17 }, string.unpack('=I2I2', d, 13))
    T.eq(m:put_attr_nest_end(), m)
    m:put_attr_u8(3, 3)
    d = m:binary():sub(17)
    T.same({ 12, 0x8002, 17 }, string.unpack('=I2I2', d, 13))
    local m3 = nl.nlmsg(0, 0):put_attr_nest_start(1):put('abcd')    -- put never counts
    T.same({ 4, 0x8001, 5 }, string.unpack('=I2I2', m3:binary():sub(17)))
    -- nested parse round trip
    local rx = nl.nlmsg_ker(m:binary())
    T.ok(rx:next())
    local attrs = rx:parse_attr(0)
    local inner = nl.parse_attr_nested(attrs[8])
    T.eq(nl.attr_get_u32(inner[1]), 9)
    T.eq(nl.attr_get_u8(nl.parse_attr_nested(attrs[2])[1]), 1)
end

-- 8: parser cursor
do
    local m = nl.nlmsg(33, 5, 77)
    local rx = nl.nlmsg_ker(m:binary())
    T.fails('invalid nlmsg', rx:payload())                          -- before next()
    T.fails('invalid nlmsg', rx:parse_attr(0))
    T.fails('invalid nlmsg', rx:parse_error())
    local h = rx:next()
    T.eq(h.type, 33); T.eq(h.flags, 5); T.eq(h.seq, 77); T.eq(h.pid, 0)
    T.eq(rx:payload(), '')
    T.eq(rx:next(), nil)
    T.fails('invalid nlmsg', rx:payload())
    T.eq(rx:next(), nil)
    -- several messages in one datagram, a truncated tail ignored
    local two = nl.nlmsg(20, 0, 1):put('abcde'):binary() .. nl.nlmsg(21, 0, 2):binary()
    rx = nl.nlmsg_ker(two .. string.pack(HDR, 100, 1, 0, 0, 0))
    T.eq(rx:next().seq, 1)
    T.eq(rx:payload(), 'abcde\0\0\0')
    T.eq(rx:next().seq, 2)
    T.eq(rx:next(), nil)
    T.eq(nl.nlmsg_ker(''):next(), nil)
    T.eq(nl.nlmsg_ker(string.pack(HDR, 15, 1, 0, 0, 0)):next(), nil)  -- len < 16
    T.raises('string expected', nl.nlmsg_ker, nil)
end

-- 9: parse_attr
do
    local m = nl.nlmsg(16, 0):put(string.rep('\0', 16))
    m:put_attr_u16(1, 0xbeef):put_attr(0x4002, 'raw'):put_attr_u32(1, 42)
    m:put_attr_u64(3, 0x123456789)
    local rx = nl.nlmsg_ker(m:binary())
    rx:next()
    local a = rx:parse_attr(16)
    T.eq(nl.attr_get_u32(a[1]), 42)                               -- the last duplicate wins
    T.eq(a[2], string.pack('=I2I2', 7, 0x4002) .. 'raw')          -- flag bits stripped, no padding
    T.eq(nl.attr_get_payload(a[2]), 'raw')
    T.eq(nl.attr_get_u64(a[3]), 0x123456789)
    T.eq(rx:parse_attr(13)[3], a[3])                               -- offset aligned up to 16
    T.raises('invalid offset', rx.parse_attr, rx, -1)
    T.raises('invalid offset', rx.parse_attr, rx, #rx:payload() + 1)
    T.eq(next(rx:parse_attr(#rx:payload())), nil)
    local all = rx:parse_attr(0)                                   -- zeros: 4 zero-length headers
    T.eq(all, nil)
    -- a trailing malformed attribute
    local bad = nl.nlmsg(16, 0):put_attr_u8(1, 1):put(string.pack('=I2I2', 40, 2)):binary()
    rx = nl.nlmsg_ker(bad)
    rx:next()
    T.fails('malformed attributes', rx:parse_attr(0))
    -- an attribute without its padding at the end of the message
    local raw = string.pack(HDR, 21, 16, 0, 0, 0) .. string.pack('=I2I2', 5, 1) .. 'x'
    rx = nl.nlmsg_ker(raw)
    rx:next()
    T.fails('malformed attributes', rx:parse_attr(0))
end

-- 10: parse_error
do
    local req = nl.nlmsg(18, 1, 9):binary()
    local rx = nl.nlmsg_ker(nl.nlmsg(nl.NLMSG_ERROR, 0):put(string.pack('=i4', -19) .. req):binary())
    rx:next()
    T.same({ -19 }, rx:parse_error())
    rx = nl.nlmsg_ker(nl.nlmsg(16, 0):put(string.pack('=i4', -19) .. req):binary())
    rx:next()
    T.fails('not a nlmsg with type NLMSG_ERROR', rx:parse_error())
    rx = nl.nlmsg_ker(nl.nlmsg(nl.NLMSG_ERROR, 0):put(string.pack('=i4', -1)):binary())
    rx:next()
    T.fails('invalid nlmsg', rx:parse_error())                     -- shorter than nlmsgerr
end

-- 11, 12: accessors
do
    local function attr(payload, len) return string.pack('=I2I2', len or 4 + #payload, 1) .. payload end
    T.raises('invalid attribute', nl.attr_get_u8, '')
    T.raises('invalid attribute', nl.attr_get_u8, 'abc')
    T.raises('invalid attribute', nl.attr_get_u8, attr('x', 3))
    T.raises('invalid attribute', nl.attr_get_u8, attr('x', 9))
    T.raises('string expected', nl.attr_get_u8, nil)
    T.raises('attribute payload is too short', nl.attr_get_u64, attr(''))
    T.raises('attribute payload is too short', nl.attr_get_u16, attr('x'))
    T.raises('attribute string is not NUL-terminated', nl.attr_get_str, attr('abc'))
    T.raises('attribute payload is too short', nl.attr_get_str, attr(''))
    T.eq(nl.attr_get_u64(attr(string.rep('\xff', 8))), math.maxinteger)
    T.eq(nl.attr_get_s64(attr(string.rep('\xff', 8))), -1)
    T.eq(nl.attr_get_s8(attr('\xff')), -1)
    T.eq(nl.attr_get_u8(attr('\xff')), 255)
    T.eq(nl.attr_get_s16(attr(string.pack('=i2', -2))), -2)
    T.eq(nl.attr_get_u16(attr(string.pack('=i2', -2))), 0xfffe)
    T.eq(nl.attr_get_s32(attr(string.pack('=i4', -3))), -3)
    T.eq(nl.attr_get_u32(attr(string.pack('=i4', -3))), 0xfffffffd)
    T.eq(nl.attr_get_u32(attr(string.pack('=I4', 7) .. 'extra')), 7)   -- extra bytes ignored
    T.eq(nl.attr_get_str(attr('ab\0cd')), 'ab')
    T.eq(nl.attr_get_payload(attr('')), '')
    T.eq(nl.attr_get_payload(attr('abc', 6)), 'ab')
    T.raises('invalid attribute', nl.parse_attr_nested, attr('12345678', 20))
    T.raises('malformed nested attributes', nl.parse_attr_nested, attr(string.pack('=I2I2', 9, 1)))
    T.eq(next(nl.parse_attr_nested(attr(''))), nil)
end

T.go(function()
    -- 13: sockets
    T.fails('Protocol not supported', nl.open(99))
    T.raises('number expected', nl.open, 'x')
    local s <close> = assert(nl.open(nl.NETLINK_ROUTE))
    T.eq(type(s.sock), 'table')
    T.same({ true }, s:bind())
    local t0 = T.now()
    T.fails('timeout', s:recv(nil, 0.05))
    T.between(T.now() - t0, 0.04, 1)

    -- 14: request_ack against the kernel
    local rtnl = require 'eco.rtnl'
    local lo = require('eco.socket').if_nametoindex('lo')
    local set = nl.nlmsg(rtnl.RTM_SETLINK, nl.NLM_F_REQUEST | nl.NLM_F_ACK)
    set:put(rtnl.ifinfomsg({ index = lo }))
    T.same({ true }, s:request_ack(set))
    local get = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST | nl.NLM_F_ACK)
    get:put(rtnl.ifinfomsg({ index = 0x7ffffff0 }))
    T.fails('netlink error: No such device', s:request_ack(get))
    local seen
    T.fails('E19', s:request_ack(get, function(e) seen = e return 'E' .. e end))
    T.eq(seen, 19)

    -- 15: request_dump against the kernel: a link dump ends at DONE; an early stop
    local dump = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST | nl.NLM_F_DUMP)
    dump:put(rtnl.ifinfomsg({}))
    local names = {}
    T.same({ true }, s:request_dump(dump, function(rx, hdr)
        T.eq(hdr.type, rtnl.RTM_NEWLINK)
        names[#names + 1] = nl.attr_get_str(rx:parse_attr(rtnl.IFINFOMSG_SIZE)[rtnl.IFLA_IFNAME])
    end))
    T.ok(#names >= 1)
    local found
    for _, n in ipairs(names) do if n == 'lo' then found = true end end
    T.ok(found, 'lo in the dump')
    T.same({ true }, s:request_dump(dump))                         -- no callback: until DONE
    -- a single reply through request_dump
    local one = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST)
    one:put(rtnl.ifinfomsg({ index = lo }))
    local n = 0
    T.same({ true }, s:request_dump(one, function(rx)
        n = n + 1
        T.eq(rtnl.parse_ifinfomsg(rx).index, lo)
        return true
    end))
    T.eq(n, 1)
    one = nl.nlmsg(rtnl.RTM_GETLINK, nl.NLM_F_REQUEST)
    one:put(rtnl.ifinfomsg({ index = 0x7ffffff0 }))
    T.fails('netlink error: No such device', s:request_dump(one, function() return true end))

    -- a second socket plays the kernel (unicast to our port id)
    local me = s.sock:getsockname().pid
    local peer <close> = assert(nl.open(nl.NETLINK_ROUTE))
    local function feed(...)
        local d = table.concat({ ... })
        T.same({ #d }, peer.sock:sendto(d, 0, me))
    end
    local function msg(typ, payload, flags) return nl.nlmsg(typ, flags or nl.NLM_F_MULTI, 5):put(payload or ''):binary() end
    local function err(e) return msg(nl.NLMSG_ERROR, string.pack('=i4', e) .. string.rep('\0', 16), 0) end
    local noop = nl.nlmsg(nl.NLMSG_NOOP, nl.NLM_F_REQUEST)         -- the kernel ignores it

    -- ACKs skipped, messages delivered, DONE ends
    feed(err(0), msg(100, 'a'), msg(100, 'b'))
    feed(msg(100, 'c'), msg(nl.NLMSG_DONE, '\0\0\0\0'), msg(100, 'never'))
    local got = {}
    T.same({ true }, s:request_dump(noop, function(rx, hdr)
        T.eq(hdr.type, 100)
        got[#got + 1] = rx:payload():sub(1, 1)
    end))
    T.eq(table.concat(got), 'abc')
    T.fails('timeout', s:recv(nil, 0.05)) -- the rest of the last datagram went with it
    -- early stop: true / false, err
    feed(msg(100, 'a'), msg(100, 'b'), msg(nl.NLMSG_DONE))
    n = 0
    T.same({ true }, s:request_dump(noop, function() n = n + 1 return true end))
    T.eq(n, 1)
    feed(msg(100, 'a'), msg(nl.NLMSG_DONE))
    T.fails('stop', s:request_dump(noop, function() return false, 'stop' end))
    feed(msg(100, 'a'), err(-17))
    T.fails('netlink error: File exists', s:request_dump(noop))
    feed(err(-17))
    T.fails('x17', s:request_dump(noop, nil, function(e) return 'x' .. e end))

    -- request_ack's other outcomes
    feed(msg(100))
    T.fails('invalid msg received', s:request_ack(noop))
    feed(err(5))
    T.fails('invalid ack', s:request_ack(noop))
    feed('abc')                                                    -- no whole message
    T.fails('no ack', s:request_ack(noop))
    feed(msg(nl.NLMSG_ERROR, '\0\0\0\0', 0))
    T.fails('invalid nlmsg', s:request_ack(noop))
    feed(err(-1))
    T.fails('netlink error: Operation not permitted', s:request_ack(noop))

    -- 16: recv_messages: DONE delivered, per-receive timeout
    feed(msg(100, 'a'), msg(nl.NLMSG_DONE))
    feed(msg(101))
    local types = {}
    T.fails('timeout', s:recv_messages(function(_, hdr) types[#types + 1] = hdr.type end, nil, nil, 0.1))
    T.eq(table.concat(types, ','), '100,3,101')
    feed(msg(100), msg(101), msg(102))
    types = {}
    T.same({ true }, s:recv_messages(function(_, hdr)
        types[#types + 1] = hdr.type
        if hdr.type == 101 then return true end
    end))
    T.eq(table.concat(types, ','), '100,101')
    feed(err(-2))
    T.fails('netlink error: No such file or directory', s:recv_messages(function() end))

    -- a datagram longer than the receive size is an error, not a cut message
    feed(msg(100, string.rep('x', 200)))
    T.fails('message truncated', s:recv(64, 1))
    feed(msg(100, 'y'))
    local rx = assert(s:recv(64, 1))
    T.eq(rx:next().type, 100)

    -- membership, close
    T.same({ true }, s:add_membership(rtnl.RTNLGRP_LINK))
    T.same({ true }, s:drop_membership(rtnl.RTNLGRP_LINK))
    T.ok(select(2, s:add_membership(0x7fffffff)))
    -- close wakes a waiting receiver with "canceled"
    local eco = require 'eco'
    local r
    eco.run(function() r = table.pack(s:recv(nil, 5)) end)
    eco.sleep(0.01)
    s:close()
    eco.sleep(0.01)
    T.eq(r[1], nil)
    T.eq(r[2], 'canceled')
    s:close() -- idempotent
end)
