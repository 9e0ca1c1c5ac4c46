-- eco.hash.md5/sha1/sha256/hmac: spec/hash.md behaviour checklist 1-13.
local T = require 'testlib'
local md5 = require 'eco.hash.md5'
local sha1 = require 'eco.hash.sha1'
local sha256 = require 'eco.hash.sha256'
local hmac = require 'eco.hash.hmac'
local hex = require 'eco.encoding.hex'

local digests = { md5 = md5, sha1 = sha1, sha256 = sha256 }
local lengths = { md5 = 16, sha1 = 20, sha256 = 32 }

T.go(function()
    -- 1: mtname
    T.eq(md5.mtname, 'struct md5_ctx *', '1: md5.mtname')
    T.eq(sha1.mtname, 'struct sha1_ctx *', '1: sha1.mtname')
    T.eq(sha256.mtname, 'struct sha256_ctx *', '1: sha256.mtname')

    -- 2-4: 'abc'
    T.eq(hex.encode(md5.sum('abc')), '900150983cd24fb0d6963f7d28e17f72', '2: md5 abc')
    T.eq(hex.encode(sha1.sum('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d', '3: sha1 abc')
    T.eq(hex.encode(sha256.sum('abc')),
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', '4: sha256 abc')

    for name, M in pairs(digests) do
        -- 5: lengths, sum('') valid, one value returned
        T.eq(#M.sum(''), lengths[name], '5: #' .. name .. ".sum('')")
        T.nret(1, M.sum('x'))
        -- 6: incremental equals one-shot
        local c = M.new()
        T.nret(0, c:update('a'))
        c:update('b')
        c:update('c')
        local d = c:final()
        T.eq(d, M.sum('abc'), '6: ' .. name .. ' new/update/final')
        T.eq(#d, lengths[name], '6: raw digest length ' .. name)
        -- spent context: update/final after final raise (spec allows raise or restart)
        T.raises('finalized', c.update, c, 'x')
        T.raises('finalized', c.final, c)
        -- empty updates change nothing
        local e = M.new()
        e:update('')
        e:update('abc')
        e:update('')
        T.eq(e:final(), M.sum('abc'), name .. ': empty updates')
        -- 10: wrong types raise
        T.raises('string expected', M.sum, {})
        T.raises('string expected', M.sum)
        T.raises('string expected', M.sum, true)
        local u = M.new()
        T.raises('string expected', u.update, u, {})
        T.raises('string expected', u.update, u, nil)
        -- 12: numbers are hashed as their string form
        T.eq(M.sum(123), M.sum('123'), '12: ' .. name .. '.sum(123)')
        T.eq(M.sum(1.5), M.sum('1.5'), '12: ' .. name .. '.sum(1.5)')
        local n = M.new()
        n:update(123)
        T.eq(n:final(), M.sum('123'), '12: ' .. name .. ':update(123)')
        -- binary data with NULs
        T.eq(M.sum('a\0b'), (function() local x = M.new() x:update('a\0') x:update('b') return x:final() end)(),
            name .. ': embedded NUL')
    end

    -- 8: HMAC of the fox
    local fox = 'The quick brown fox jumps over the lazy dog'
    T.eq(hex.encode(hmac.sum(md5, 'key', fox)), '80070713463e7749b90c2dc24911e275', '8: HMAC-MD5')
    T.eq(hex.encode(hmac.sum(sha1, 'key', fox)), 'de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9', '8: HMAC-SHA1')
    T.eq(hex.encode(hmac.sum(sha256, 'key', fox)),
        'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8', '8: HMAC-SHA256')
    for name, M in pairs(digests) do
        local h = hmac.new(M, 'key')
        T.nret(0, h:update('The quick brown '))
        h:update('fox jumps over the lazy dog')
        local mac = h:final()
        T.eq(mac, hmac.sum(M, 'key', fox), '8: incremental HMAC ' .. name)
        T.eq(#mac, lengths[name], '8: HMAC length ' .. name)
        T.raises('finalized', h.update, h, 'x')
        T.raises('finalized', h.final, h)
    end

    -- 9: 100-byte key, incremental equals one-shot
    local key100 = string.rep('k', 100)
    local h = hmac.new(sha256, key100)
    for _, part in ipairs({ 'abc', 'def', '0123', '456789' }) do h:update(part) end
    T.eq(h:final(), hmac.sum(sha256, key100, 'abcdef0123456789'), '9: 100-byte key')
    -- a long key is replaced by hash.sum(key)
    T.eq(hmac.sum(sha256, key100, 'x'), hmac.sum(sha256, sha256.sum(key100), 'x'), '9: long key hashed first')

    -- 11: HMAC argument errors
    T.raises('expecting hash to be a hash module', hmac.new, {}, 'k')
    T.raises('expecting hash to be a hash module', hmac.new, { mtname = 'struct md4_ctx *' }, 'k')
    T.raises('expecting hash to be a hash module', hmac.new, 'md5', 'k')
    T.raises('expecting key to be a string', hmac.new, md5, false)
    T.raises('expecting key to be a string', hmac.new, md5, 123)
    local hc = hmac.new(md5, 'k')
    T.raises('expecting data to be a string', hc.update, hc, false)
    T.raises('expecting data to be a string', hc.update, hc, 123)
    T.raises('expecting hash to be a hash module', hmac.sum, {}, 'k', 'd')
    T.raises('expecting key to be a string', hmac.sum, md5, nil, 'd')
    T.raises('expecting data to be a string', hmac.sum, md5, 'k', 1)

    -- 13: contexts are collectable
    local weak = setmetatable({}, { __mode = 'v' })
    for i = 1, 20 do
        local c = (i % 2 == 0) and sha256.new() or hmac.new(sha1, 'k')
        c:update('x')
        if i % 3 == 0 then c:final() end
        weak[i] = c
    end
    T.full_gc()
    T.eq(next(weak), nil, '13: contexts collected')

    -- the aggregate module holds the same tables
    local all = require 'eco.hash'
    T.eq(all.md5, md5, 'eco.hash.md5')
    T.eq(all.sha1, sha1, 'eco.hash.sha1')
    T.eq(all.sha256, sha256, 'eco.hash.sha256')
    T.eq(all.hmac, hmac, 'eco.hash.hmac')
end)
