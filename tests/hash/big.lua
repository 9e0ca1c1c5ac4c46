-- eco.hash: spec/hash.md checklist 7 (SHA-1 of 512 x 1 MiB of zeros fed incrementally; 64-bit
-- message length counters), and the same data through md5 and sha256 against known digests.
local T = require 'testlib'
local sha1 = require 'eco.hash.sha1'
local md5 = require 'eco.hash.md5'
local sha256 = require 'eco.hash.sha256'
local hex = require 'eco.encoding.hex'

T.go(function()
    local mib = string.rep('\0', 1024 * 1024)
    local c1, c2, c3 = sha1.new(), md5.new(), sha256.new()
    for _ = 1, 512 do
        c1:update(mib)
        c2:update(mib)
        c3:update(mib)
    end
    -- 7
    T.eq(hex.encode(c1:final()), '5b088492c9f4778f409b7ae61477dec124c99033', '7: SHA-1 of 512 MiB of zeros')
    -- (python3 hashlib on the same data)
    T.eq(hex.encode(c2:final()), 'aa559b4e3523a6c931f08f4df52d58f2', 'MD5 of 512 MiB of zeros')
    T.eq(hex.encode(c3:final()), '9acca8e8c22201155389f65abbf6bc9723edc7384ead80503839f49dcc56d767',
        'SHA-256 of 512 MiB of zeros')
end)
