-- eco.hash: the published test vectors. RFC 1321 (MD5 test suite, A.5), RFC 3174 (SHA-1,
-- section 7.3 TEST1-4), FIPS 180-4 / the NIST SHA-256 examples, RFC 2202 (HMAC-MD5 and
-- HMAC-SHA1, cases 1-7) and RFC 4231 (HMAC-SHA256, cases 1-7; case 5 is truncated to 128 bits).
local T = require 'testlib'
local md5 = require 'eco.hash.md5'
local sha1 = require 'eco.hash.sha1'
local sha256 = require 'eco.hash.sha256'
local hmac = require 'eco.hash.hmac'
local hex = require 'eco.encoding.hex'

local function bytes(from, to)
    local t = {}
    for i = from, to do t[#t + 1] = string.char(i) end
    return table.concat(t)
end

-- Checks one-shot sum, and the same input fed in 7-byte pieces.
local function check(M, name, input, want)
    T.eq(hex.encode(M.sum(input)), want, name .. ' sum')
    local c = M.new()
    for i = 1, #input, 7 do c:update(input:sub(i, i + 6)) end
    T.eq(hex.encode(c:final()), want, name .. ' incremental')
end

T.go(function()
    -- RFC 1321 A.5
    local rfc1321 = {
        { '', 'd41d8cd98f00b204e9800998ecf8427e' },
        { 'a', '0cc175b9c0f1b6a831c399e269772661' },
        { 'abc', '900150983cd24fb0d6963f7d28e17f72' },
        { 'message digest', 'f96b697d7cb7938d525a2f31aaf161d0' },
        { 'abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b' },
        { 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f' },
        { string.rep('1234567890', 8), '57edf4a22be3c955ac49da2e2107b67a' },
    }
    for i, v in ipairs(rfc1321) do check(md5, 'RFC 1321 #' .. i, v[1], v[2]) end

    -- RFC 3174 7.3
    local rfc3174 = {
        { 'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d' },
        { 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1' },
        { string.rep('a', 1000000), '34aa973cd4c4daa4f61eeb2bdbad27316534016f' },
        { string.rep('01234567', 80), 'dea356a2cddd90c7a7ecedc5ebb563934f460452' },
    }
    for i, v in ipairs(rfc3174) do check(sha1, 'RFC 3174 TEST' .. i, v[1], v[2]) end

    -- FIPS 180-4 (NIST examples for SHA-256)
    local fips = {
        { 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
        { 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
            '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1' },
        { string.rep('a', 1000000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0' },
        { '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    }
    for i, v in ipairs(fips) do check(sha256, 'FIPS 180-4 SHA-256 #' .. i, v[1], v[2]) end

    -- HMAC inputs shared by RFC 2202 and RFC 4231
    local block_key_data = 'Test Using Larger Than Block-Size Key - Hash Key First'
    -- RFC 2202 section 2 (HMAC-MD5)
    local rfc2202_md5 = {
        { string.rep('\x0b', 16), 'Hi There', '9294727a3638bb1c13f48ef8158bfc9d' },
        { 'Jefe', 'what do ya want for nothing?', '750c783e6ab0b503eaa86e310a5db738' },
        { string.rep('\xaa', 16), string.rep('\xdd', 50), '56be34521d144c88dbb8c733f0e8b3f6' },
        { bytes(1, 25), string.rep('\xcd', 50), '697eaf0aca3a3aea3a75164746ffaa79' },
        { string.rep('\x0c', 16), 'Test With Truncation', '56461ef2342edc00f9bab995690efd4c' },
        { string.rep('\xaa', 80), block_key_data, '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd' },
        { string.rep('\xaa', 80), 'Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data',
            '6f630fad67cda0ee1fb1f562db3aa53e' },
    }
    -- RFC 2202 section 3 (HMAC-SHA1)
    local rfc2202_sha1 = {
        { string.rep('\x0b', 20), 'Hi There', 'b617318655057264e28bc0b6fb378c8ef146be00' },
        { 'Jefe', 'what do ya want for nothing?', 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
        { string.rep('\xaa', 20), string.rep('\xdd', 50), '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
        { bytes(1, 25), string.rep('\xcd', 50), '4c9007f4026250c6bc8414f9bf50c86c2d7235da' },
        { string.rep('\x0c', 20), 'Test With Truncation', '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04' },
        { string.rep('\xaa', 80), block_key_data, 'aa4ae5e15272d00e95705637ce8a3b55ed402112' },
        { string.rep('\xaa', 80), 'Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data',
            'e8e99d0f45237d786d6bbaa7965c7808bbff1a91' },
    }
    -- RFC 4231 section 4 (HMAC-SHA256)
    local rfc4231 = {
        { string.rep('\x0b', 20), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
        { 'Jefe', 'what do ya want for nothing?', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
        { string.rep('\xaa', 20), string.rep('\xdd', 50),
            '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
        { bytes(1, 25), string.rep('\xcd', 50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
        { string.rep('\x0c', 20), 'Test With Truncation', 'a3b6167473100ee06e0c796c2955552b', 16 },
        { string.rep('\xaa', 131), block_key_data, '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' },
        { string.rep('\xaa', 131),
            'This is a test using a larger than block-size key and a larger than block-size data. '
            .. 'The key needs to be hashed before being used by the HMAC algorithm.',
            '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2' },
    }
    local suites = {
        { 'RFC 2202 HMAC-MD5', md5, rfc2202_md5 },
        { 'RFC 2202 HMAC-SHA1', sha1, rfc2202_sha1 },
        { 'RFC 4231 HMAC-SHA256', sha256, rfc4231 },
    }
    for _, s in ipairs(suites) do
        local label, M, cases = s[1], s[2], s[3]
        for i, v in ipairs(cases) do
            local key, data, want, trunc = v[1], v[2], v[3], v[4]
            local mac = hmac.sum(M, key, data)
            if trunc then mac = mac:sub(1, trunc) end
            T.eq(hex.encode(mac), want, label .. ' case ' .. i)
            local h = hmac.new(M, key)
            for j = 1, #data, 5 do h:update(data:sub(j, j + 4)) end
            mac = h:final()
            if trunc then mac = mac:sub(1, trunc) end
            T.eq(hex.encode(mac), want, label .. ' case ' .. i .. ' incremental')
        end
    end
end)
