--- eco.internal.socket (spec/internal.md): the native helpers and constants of eco.socket, with
-- `socket`/`socketpair`/`open_tun` returning the same objects as the public module.
local socket = require 'eco.socket'

local M = {}
for k, v in pairs(getmetatable(socket).__index) do M[k] = v end
M.socket = socket.socket
M.socketpair = socket.socketpair
M.open_tun = socket.open_tun
return M
