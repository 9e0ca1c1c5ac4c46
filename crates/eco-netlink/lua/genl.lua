--- eco.genl: Generic Netlink family and multicast group resolution through `nlctrl`
-- (docs/netlink.md). Header helpers and constants are native (this table's `__index`).
--
-- Every successful lookup is cached for the life of the Lua state, keyed by id and by name; the
-- cache is never invalidated (as in the reference).
local nl = require 'eco.nl'
local native = ...

local M = {}

local GENL_ID_CTRL, CTRL_CMD_GETFAMILY = native.GENL_ID_CTRL, native.CTRL_CMD_GETFAMILY
local CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = native.CTRL_ATTR_FAMILY_ID, native.CTRL_ATTR_FAMILY_NAME
local CTRL_ATTR_VERSION, CTRL_ATTR_HDRSIZE = native.CTRL_ATTR_VERSION, native.CTRL_ATTR_HDRSIZE
local CTRL_ATTR_MAXATTR, CTRL_ATTR_MCAST_GROUPS = native.CTRL_ATTR_MAXATTR, native.CTRL_ATTR_MCAST_GROUPS
local CTRL_ATTR_MCAST_GRP_NAME = native.CTRL_ATTR_MCAST_GRP_NAME
local CTRL_ATTR_MCAST_GRP_ID = native.CTRL_ATTR_MCAST_GRP_ID

local by_id, by_name = {}, {}

local function family_info(rx)
    local attrs, err = rx:parse_attr(native.GENLMSGHDR_SIZE)
    if not attrs then return nil, err end
    local info = { groups = {} }
    if attrs[CTRL_ATTR_FAMILY_NAME] then info.name = nl.attr_get_str(attrs[CTRL_ATTR_FAMILY_NAME]) end
    if attrs[CTRL_ATTR_FAMILY_ID] then info.id = nl.attr_get_u16(attrs[CTRL_ATTR_FAMILY_ID]) end
    if attrs[CTRL_ATTR_VERSION] then info.version = nl.attr_get_u32(attrs[CTRL_ATTR_VERSION]) end
    if attrs[CTRL_ATTR_HDRSIZE] then info.hdrsize = nl.attr_get_u32(attrs[CTRL_ATTR_HDRSIZE]) end
    if attrs[CTRL_ATTR_MAXATTR] then info.maxattr = nl.attr_get_u32(attrs[CTRL_ATTR_MAXATTR]) end
    if attrs[CTRL_ATTR_MCAST_GROUPS] then
        for _, grp in pairs(nl.parse_attr_nested(attrs[CTRL_ATTR_MCAST_GROUPS])) do
            local g = nl.parse_attr_nested(grp)
            if g[CTRL_ATTR_MCAST_GRP_NAME] and g[CTRL_ATTR_MCAST_GRP_ID] then
                info.groups[nl.attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME])] =
                    nl.attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID])
            end
        end
    end
    return info
end

local function query(put)
    local sock, err = nl.open(nl.NETLINK_GENERIC)
    if not sock then return nil, err end
    local msg = nl.nlmsg(GENL_ID_CTRL, nl.NLM_F_REQUEST)
    msg:put(native.genlmsghdr({ cmd = CTRL_CMD_GETFAMILY }))
    put(msg)
    local info, ierr
    local ok, derr = sock:request_dump(msg, function(rx)
        info, ierr = family_info(rx)
        if not info then return false, ierr end
        return true
    end)
    sock:close()
    if not ok then return nil, derr end
    if not info then return nil, 'no msg responsed' end
    if info.id then by_id[info.id] = info end
    if info.name then by_name[info.name] = info end
    return info
end

function M.get_family_byid(id)
    if type(id) ~= 'number' then error('invalid id', 2) end
    local info = by_id[id]
    if info then return info end
    return query(function(msg) msg:put_attr_u16(CTRL_ATTR_FAMILY_ID, id) end)
end

function M.get_family_byname(name)
    if type(name) ~= 'string' then error('invalid name', 2) end
    local info = by_name[name]
    if info then return info end
    return query(function(msg) msg:put_attr_strz(CTRL_ATTR_FAMILY_NAME, name) end)
end

function M.get_family_id(name)
    if type(name) ~= 'string' then error('invalid name', 2) end
    local info, err = M.get_family_byname(name)
    if not info then return nil, err end
    return info.id
end

--- The id of multicast group `group` of `family`; a plain `nil` when the family has no such group.
function M.get_group_id(family, group)
    if type(family) ~= 'string' then error('invalid family name', 2) end
    if type(group) ~= 'string' then error('invalid group name', 2) end
    local info, err = M.get_family_byname(family)
    if not info then return nil, err end
    return info.groups[group]
end

return setmetatable(M, { __index = native })
