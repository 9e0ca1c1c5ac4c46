-- eco.encoding.base64 / eco.encoding.hex: spec/encoding.md behaviour checklist 1-11, with the
-- RFC 4648 section 10 test vectors (checklist 1).
local T = require 'testlib'
local base64 = require 'eco.encoding.base64'
local hex = require 'eco.encoding.hex'
local md5 = require 'eco.hash.md5'

local M = 'input is malformed'

T.go(function()
    -- 1: RFC 4648 section 10, both ways
    local vectors = {
        { '', '' }, { 'f', 'Zg==' }, { 'fo', 'Zm8=' }, { 'foo', 'Zm9v' },
        { 'foob', 'Zm9vYg==' }, { 'fooba', 'Zm9vYmE=' }, { 'foobar', 'Zm9vYmFy' },
    }
    for _, v in ipairs(vectors) do
        T.eq(base64.encode(v[1]), v[2], '1: encode ' .. v[1])
        T.same({ v[1] }, base64.decode(v[2]))
    end

    -- 2: binary round trip
    local bin = '\0\1\2\3\254\255eco\0'
    T.eq(base64.decode(base64.encode(bin)), bin, '2: binary round trip')
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    all = table.concat(all)
    for n = 0, 40 do
        local s = all:sub(256 - n)
        T.eq(base64.decode(base64.encode(s)), s, '2: round trip of ' .. n .. ' bytes')
    end
    T.eq(base64.encode(all:sub(1, 3) .. '\251\255\191'), 'AAEC+/+/', 'alphabet ends with + and /')

    -- 3 and 4: strict decoding, nothing partial
    for _, bad in ipairs({ 'abc', 'ab#=', 'ab\n=', '====', '=AAA', 'A===', 'AA=A', 'AAAA=AAA',
        'AAAAAA=A', 'AAA=AAAA', 'AA==AAAA', 'Zm9v\n', 'Zm9v ', ' Zm9v', 'Zm-_', 'Zm9vYmFy====',
        'Zg=', 'Zm9vYg=\0', 'Zm9v\0\0\0\0' }) do
        T.fails(M, base64.decode(bad))
    end
    -- unused trailing bits are not checked
    T.eq(base64.decode('QR=='), base64.decode('QQ=='), 'QR== decodes like QQ==')
    T.eq(base64.decode('QR=='), 'A')

    -- 5: types
    T.raises('string expected', base64.encode, {})
    T.raises('string expected', base64.decode, {})
    T.raises('string expected', base64.encode, nil)
    T.raises('string expected', base64.decode, true)
    T.eq(base64.encode(123), 'MTIz', '5: encode(123)')
    T.eq(base64.decode(1234), '\215m\248', 'decode of a number uses its string form')

    -- 6: hex.encode
    T.eq(hex.encode(md5.sum('abc')), '900150983cd24fb0d6963f7d28e17f72', '6: lowercase hex')
    T.eq(hex.encode('\1\171', ':'), '01:ab', '6: separator')
    T.eq(hex.encode('\222\173\190\239', ' '), 'de ad be ef')
    T.eq(hex.encode('\1', ':'), '01', 'no separator around a single byte')
    T.eq(hex.encode('', ':'), '', "encode('')")
    T.eq(hex.encode('ab', '--'), '61--62', 'multi-byte separator')
    T.raises('string expected', hex.encode, 123)
    T.raises('string expected', hex.encode, {})
    T.nret(1, hex.encode('x'))

    -- 7: hex.decode
    T.same({ '\10\255' }, hex.decode('0aFF'))
    T.same({ '' }, hex.decode(''))
    T.eq(hex.decode('DEADbeef'), '\222\173\190\239')
    for _, bad in ipairs({ '0a F', 'abc', '0x0a', 'zz', ' 0a', '0a\n', 'g0' }) do
        T.fails(M, hex.decode(bad))
    end
    T.raises('string expected', hex.decode, 10)
    T.raises('string expected', hex.decode, nil)
    T.eq(hex.decode(hex.encode(all)), all, 'hex round trip of every byte')

    -- 8: dump of a short line
    T.eq(hex.dump('hello'), '00000000 68 65 6c 6c 6f' .. string.rep(' ', 35) .. ' |hello\n', '8: dump hello')
    T.eq(hex.dump('0123456789abcdef'),
        '00000000 30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef\n', 'full line')

    -- 9: two lines, aligned bars
    local d = hex.dump('0123456789abcdefXYZ')
    local lines = {}
    for l in d:gmatch('[^\n]*\n') do lines[#lines + 1] = l end
    T.eq(#lines, 2, '9: two lines')
    T.eq(lines[2]:sub(1, #'00000010 58 59 5a '), '00000010 58 59 5a ', '9: second line start')
    T.eq(lines[2]:sub(-#' |XYZ\n'), ' |XYZ\n', '9: second line end')
    T.eq(lines[1]:find('|', 1, true), 60, '9: first bar at column 60')
    T.eq(lines[2]:find('|', 1, true), 60, '9: second bar at column 60')
    -- offsets of later lines
    local big = hex.dump(string.rep('x', 16 * 300 + 1))
    T.ok(big:find('\n000012c0 78 ', 1, true), 'offset of line 301 (0x12c0)')
    -- every short-line length keeps the bar at column 60
    for n = 1, 16 do
        T.eq(hex.dump(string.rep('a', n)):find('|', 1, true), 60, 'bar column for ' .. n .. ' bytes')
    end

    -- 10: ASCII column: controls and DEL as '.', bytes >= 128 unchanged
    local l10 = hex.dump('\0\1\127\200')
    T.eq(l10:sub(-6), '|...\200\n', '10: ascii column')
    T.eq(l10, '00000000 00 01 7f c8' .. string.rep(' ', 38) .. ' |...\200\n')

    -- 11: empty
    T.eq(hex.dump(''), '', '11: dump of empty input')
    T.raises('string expected', hex.dump, {})

    -- the aggregate module holds the same tables
    local enc = require 'eco.encoding'
    T.eq(enc.base64, base64, 'eco.encoding.base64')
    T.eq(enc.hex, hex, 'eco.encoding.hex')
end)
