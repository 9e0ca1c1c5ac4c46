--- eco.hash.hmac: HMAC (RFC 2104, 64-byte block) over eco.hash.md5, .sha1 or .sha256.
-- The digest module is recognised by its `mtname` field; the work is native.
-- @module eco.hash.hmac
local native = ...

local M = {}

-- Maps a digest module table to the native hash number, or raises.
local function kind_of(hash)
    local kind = type(hash) == 'table' and native[rawget(hash, 'mtname') or false]
    if type(kind) ~= 'number' then
        error('expecting hash to be a hash module', 3)
    end
    return kind
end

local function check_key(key)
    if type(key) ~= 'string' then
        error('expecting key to be a string', 3)
    end
end

--- New incremental HMAC context.
-- @tparam table hash `eco.hash.md5`, `eco.hash.sha1` or `eco.hash.sha256`
-- @tparam string key any length; longer than 64 bytes is replaced by `hash.sum(key)`
-- @return a context with `:update(data)` (strings only) and `:final()` (raw digest, single use)
function M.new(hash, key)
    local kind = kind_of(hash)
    check_key(key)
    return native.new(kind, key)
end

--- One-shot HMAC: `new(hash, key)`, `update(data)`, `final()`.
-- @treturn string the raw digest (16, 20 or 32 bytes)
function M.sum(hash, key, data)
    local kind = kind_of(hash)
    check_key(key)
    if type(data) ~= 'string' then
        error('expecting data to be a string', 2)
    end
    return native.sum(kind, key, data)
end

return M
