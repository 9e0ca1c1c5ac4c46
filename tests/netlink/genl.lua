-- eco.genl: header helpers, family and group resolution through nlctrl against the kernel,
-- compared with iproute2's `genl ctrl list` (docs/netlink.md checklist items 17-19).
local T = require 'testlib'
local nl = require 'eco.nl'
local genl = require 'eco.genl'

local consts = {
    GENL_ID_CTRL = 16, CTRL_CMD_UNSPEC = 0, CTRL_CMD_NEWFAMILY = 1, CTRL_CMD_DELFAMILY = 2,
    CTRL_CMD_GETFAMILY = 3, CTRL_CMD_NEWOPS = 4, CTRL_CMD_DELOPS = 5, CTRL_CMD_GETOPS = 6,
    CTRL_CMD_NEWMCAST_GRP = 7, CTRL_CMD_DELMCAST_GRP = 8, CTRL_CMD_GETMCAST_GRP = 9,
    CTRL_ATTR_UNSPEC = 0, CTRL_ATTR_FAMILY_ID = 1, CTRL_ATTR_FAMILY_NAME = 2,
    CTRL_ATTR_VERSION = 3, CTRL_ATTR_HDRSIZE = 4, CTRL_ATTR_MAXATTR = 5, CTRL_ATTR_OPS = 6,
    CTRL_ATTR_MCAST_GROUPS = 7, CTRL_ATTR_OP_ID = 1, CTRL_ATTR_OP_FLAGS = 2,
    CTRL_ATTR_MCAST_GRP_NAME = 1, CTRL_ATTR_MCAST_GRP_ID = 2, GENLMSGHDR_SIZE = 4,
}
for k, v in pairs(consts) do
    T.eq(math.type(genl[k]), 'integer', k)
    T.eq(genl[k], v, k)
end

-- 19 (genl part): header bytes
T.eq(genl.genlmsghdr({ cmd = 3 }), '\3\1\0\0')
T.eq(genl.genlmsghdr({}), '\0\1\0\0')
T.eq(genl.genlmsghdr({ cmd = 'x', version = 2 }), '\0\2\0\0')
T.eq(genl.genlmsghdr({ cmd = 0x105, version = 0 }), '\5\0\0\0')
T.raises('table expected', genl.genlmsghdr, 3)
T.raises('version', genl.genlmsghdr, { version = 'x' })

-- parse_genlmsghdr
do
    local rx = nl.nlmsg_ker(nl.nlmsg(20, 0):put(genl.genlmsghdr({ cmd = 7, version = 2 })):binary())
    T.fails('invalid nlmsg', genl.parse_genlmsghdr(rx))
    rx:next()
    local h = genl.parse_genlmsghdr(rx)
    T.eq(h.cmd, 7); T.eq(h.version, 2)
    rx = nl.nlmsg_ker(nl.nlmsg(nl.NLMSG_DONE, 0):put('\1\1\0\0'):binary())
    rx:next()
    T.fails('invalid nlmsg type', genl.parse_genlmsghdr(rx))
    rx = nl.nlmsg_ker(nl.nlmsg(20, 0):binary())
    rx:next()
    T.fails('invalid nlmsg', genl.parse_genlmsghdr(rx))          -- no room for the header
end

-- `genl ctrl list` of iproute2: name -> { id, groups = { name -> id } }
local function iproute_families()
    local out = T.capture('genl ctrl list 2>&1')
    local fams, cur = {}, nil
    for line in out:gmatch('[^\n]+') do
        local name, id = line:match('^Name:%s*(%S+)'), nil
        if name then
            cur = { groups = {} }
            fams[name] = cur
        end
        id = line:match('^%s*ID:%s*(0x%x+)')
        if id and cur and not cur.id then cur.id = tonumber(id) end
        local ver, hdr, max = line:match('Version:%s*(0x%x+)%s+header size:%s*(%d+)%s+max attribs:%s*(%d+)')
        if ver and cur then cur.version, cur.hdrsize, cur.maxattr = tonumber(ver), tonumber(hdr), tonumber(max) end
        local gid, gname = line:match('#%d+:%s*ID%-(0x%x+)%s+name:%s*(%S+)')
        if gid and cur then cur.groups[gname] = tonumber(gid) end
    end
    return fams
end

T.go(function()
    -- 17
    local info = genl.get_family_byname('nlctrl')
    T.ok(info, 'nlctrl')
    T.eq(info.name, 'nlctrl')
    T.eq(info.id, 16)
    T.eq(info.groups.notify, 16)
    T.eq(math.type(info.version), 'integer')
    T.eq(math.type(info.hdrsize), 'integer')
    T.eq(math.type(info.maxattr), 'integer')
    T.eq(genl.get_family_byname('nlctrl'), info)                   -- cached: the same table
    T.eq(genl.get_family_byid(16), info)
    T.eq(genl.get_family_id('nlctrl'), 16)
    T.fails('netlink error: No such file or directory', genl.get_family_byname('nosuchfamily'))
    T.fails('netlink error: No such file or directory', genl.get_family_byid(0xfff0))
    T.fails('netlink error: No such file or directory', genl.get_family_id('nosuchfamily'))
    T.raises('invalid id', genl.get_family_byid, 'x')
    T.raises('invalid name', genl.get_family_byname, 1)
    T.raises('invalid name', genl.get_family_id, nil)
    -- 18
    T.same({ nil, n = 1 }, genl.get_group_id('nlctrl', 'missing'))
    T.same({ 16 }, genl.get_group_id('nlctrl', 'notify'))
    T.fails('netlink error: No such file or directory', genl.get_group_id('nosuchfamily', 'x'))
    T.raises('invalid family name', genl.get_group_id, 1, 'x')
    T.raises('invalid group name', genl.get_group_id, 'nlctrl', nil)

    -- every family the kernel has, field by field against iproute2
    local ref = iproute_families()
    T.ok(ref.nlctrl, 'genl ctrl list names nlctrl (iproute2 genl missing?)')
    local n = 0
    for name, r in pairs(ref) do
        n = n + 1
        local byid = genl.get_family_byid(r.id)     -- by id first: fills the cache for the name
        T.ok(byid, name)
        T.eq(byid.name, name)
        T.eq(genl.get_family_byname(name), byid)
        T.eq(byid.id, r.id, name)
        T.eq(byid.version, r.version, name .. ' version')
        T.eq(byid.hdrsize, r.hdrsize, name .. ' hdrsize')
        T.eq(byid.maxattr, r.maxattr, name .. ' maxattr')
        for g, id in pairs(r.groups) do T.eq(byid.groups[g], id, name .. ' group ' .. g) end
        for g in pairs(byid.groups) do T.ok(r.groups[g], name .. ' extra group ' .. g) end
    end
    T.ok(n >= 2, 'several families')
end)
