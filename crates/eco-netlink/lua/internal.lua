--- eco.internal.nl (docs/netlink.md): the native part of eco.nl, message constructors, attribute
-- getters and constants, without the socket helpers.
local nl = require 'eco.nl'

local M = {}
for k, v in pairs(getmetatable(nl).__index) do M[k] = v end
return M
