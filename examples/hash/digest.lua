-- eco.hash + eco.encoding: digests of a file read in pieces, an HMAC, and a hex dump.
-- Run: eco examples/hash/digest.lua [file]   (default: the script itself)
local md5    = require 'eco.hash.md5'
local sha256 = require 'eco.hash.sha256'
local hmac   = require 'eco.hash.hmac'
local hex    = require 'eco.encoding.hex'
local base64 = require 'eco.encoding.base64'

local path = arg[1] or arg[0]
local f = assert(io.open(path, 'rb'))
local h1, h2 = md5.new(), sha256.new()
while true do
    local chunk = f:read(64 * 1024)
    if not chunk then break end
    h1:update(chunk)
    h2:update(chunk)
end
f:close()
print('md5   ', hex.encode(h1:final()), path)
print('sha256', hex.encode(h2:final()), path)

local mac = hmac.sum(sha256, 'secret', 'payload')
print('hmac-sha256', hex.encode(mac, ':'))
print('base64     ', base64.encode(mac))
print(base64.decode('not base64!'))          --> nil   input is malformed
io.write(hex.dump('eco\0runtime, raw bytes \1\2\255'))
