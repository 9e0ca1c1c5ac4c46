-- eco.log with the file backend: constants, argument checks, filtering, record format, flags,
-- multi-line messages, path switching and rejection, rotation, memory
-- (spec/log.md checklist 1-13; syslog and stdout backends: tests/log/backends.sh).
local T = require 'testlib'
local log = require 'eco.log'
local et = require 'ecotest'

local dir = os.tmpname()
os.remove(dir)
assert(os.execute('mkdir -p ' .. dir))

local function read(path)
    local f = io.open(path, 'rb')
    if not f then return nil end
    local d = f:read('a')
    f:close()
    return d
end

local function size(path)
    local d = read(path)
    return d and #d or 0
end

local function ls(d)
    local names = {}
    local p = io.popen('ls -1 ' .. d)
    for l in p:lines() do names[#names + 1] = l end
    p:close()
    return names
end

T.go(function()
    -- 1: constants
    local consts = { EMERG = 0, ALERT = 1, CRIT = 2, ERR = 3, WARNING = 4, NOTICE = 5, INFO = 6,
        DEBUG = 7, FLAG_LF = 1, FLAG_FILE = 2, FLAG_PATH = 4 }
    for k, v in pairs(consts) do
        T.eq(math.type(log[k]), 'integer', '1: math.type(log.' .. k .. ')')
        T.eq(log[k], v, '1: log.' .. k)
    end

    -- 2: argument checks raise
    T.raises('number expected', log.set_level, 'x')
    T.raises('string expected', log.set_path, false)
    T.raises('string expected', log.set_ident, false)
    T.raises('number expected', log.set_flags, 'x')
    T.raises('number expected', log.set_roll_size, 'x')
    T.raises('size must be >= 0', log.set_roll_size, -1)
    T.raises('number expected', log.set_roll_count, 'x')
    T.raises('number expected', log.log, 'x', 'm')
    T.raises('number expected', log.set_level)

    local P = dir .. '/app.log'
    log.set_ident('tester')
    log.set_path(P)
    log.set_level(log.INFO)
    T.eq(log.get_level(), log.INFO) -- extension
    log.set_flags(log.FLAG_LF)

    -- 3: filtering and message text
    T.nret(0, log.debug('d'))
    T.eq(read(P), nil, '3: debug at level INFO writes nothing')
    T.nret(0, log.info('info-line', 123, true, nil, { x = 1 }, 2.5, print))
    local d = read(P)
    T.ok(d and d:find('info-line 123 true nil 2.5', 1, true), '3: joined message, got ' .. tostring(d))
    T.ok(not d:find('table:', 1, true), '3: tables skipped')
    T.ok(not d:find('function', 1, true), '3: functions skipped')
    log.err('e')
    T.ok(read(P):find(': e\n', 1, true), '3: err writes e')

    -- 4: record format
    os.remove(P)
    log.info('msg')
    local pid = et.getpid()
    local rec = read(P)
    T.ok(rec:match('^%d%d%d%d/%d%d/%d%d %d%d:%d%d:%d%d info  tester%[' .. pid .. '%]: msg\n$'),
        '4: record format, got ' .. string.format('%q', rec))
    local y, mo, da, h, mi, se = rec:match('^(%d+)/(%d+)/(%d+) (%d+):(%d+):(%d+)')
    local stamp = os.time({ year = y, month = mo, day = da, hour = h, min = mi, sec = se })
    T.between(stamp, os.time() - 5, os.time() + 1, '4: local time stamp')

    -- quirk: a skipped first argument still leaves the separator; '%' is literal
    os.remove(P)
    log.info({}, 'x')
    log.info('100%d %s')
    rec = read(P)
    T.ok(rec:find(']:  x\n', 1, true), 'skipped first argument keeps the leading space')
    T.ok(rec:find(']: 100%d %s\n', 1, true), 'no printf formatting')

    -- 5: labels, priority & 7
    os.remove(P)
    log.set_level(log.DEBUG)
    log.log(log.WARNING, 'w')
    log.log(9, 'x')
    log.debug('dbg')
    log.log(log.NOTICE, 'n')
    log.log(log.EMERG, 'em')
    log.log(log.CRIT, 'cr')
    rec = read(P)
    T.ok(rec:find(' warn  tester%[%d+%]: w\n'), '5: warn label')
    T.ok(rec:find(' alert tester%[%d+%]: x\n'), '5: log(9) is alert')
    T.ok(rec:find(' debug tester%[%d+%]: dbg\n'), 'debug label')
    T.ok(rec:find(' notice tester%[%d+%]: n\n'), 'notice label')
    T.ok(rec:find(' emerg tester%[%d+%]: em\n'), 'emerg label')
    T.ok(rec:find(' crit  tester%[%d+%]: cr\n'), 'crit label')
    log.set_level(log.ERR)
    os.remove(P)
    log.log(log.WARNING, 'filtered')
    log.info('filtered')
    log.log(log.ERR, 'kept')
    T.ok(not read(P):find('filtered', 1, true), 'priority above level filtered')
    log.set_level(log.INFO)

    -- 6: location prefix
    os.remove(P)
    log.set_flags(log.FLAG_LF | log.FLAG_FILE)
    local line = debug.getinfo(1, 'l').currentline + 1
    log.info('where')
    rec = read(P)
    T.ok(rec:find(string.format(']: (basic.lua:%3d) where\n', line), 1, true),
        '6: FLAG_FILE prefix, got ' .. string.format('%q', rec))
    os.remove(P)
    log.set_flags(log.FLAG_LF | log.FLAG_PATH)
    line = debug.getinfo(1, 'l').currentline + 1
    log.err('where')
    local src = debug.getinfo(1, 'S').short_src
    rec = read(P)
    T.ok(rec:find(string.format(']: (%s:%3d) where\n', src, line), 1, true),
        '6: FLAG_PATH prefix, got ' .. string.format('%q', rec))
    T.ok(src:find('/', 1, true), 'the chunk path has a directory')
    os.remove(P)
    log.set_flags(log.FLAG_LF | log.FLAG_FILE)
    line = debug.getinfo(1, 'l').currentline + 1
    log.log(log.ERR, 'a\nb')
    rec = read(P)
    local _, n = rec:gsub(string.format('%%(basic.lua:%3d%%) ', line), '')
    T.eq(n, 2, 'every line of a multi-line message has its prefix')

    -- 7: FLAG_LF
    os.remove(P)
    log.set_flags(0)
    log.info('noln')
    rec = read(P)
    T.eq(rec:sub(-6), ': noln', '7: no newline with flags 0')
    log.set_flags(log.FLAG_LF)
    os.remove(P)
    log.info('ln')
    T.eq(read(P):sub(-5), ': ln\n', '7: newline with FLAG_LF')

    -- 9: multi-line
    os.remove(P)
    log.err('a\nb\r\n')
    rec = read(P)
    local msgs = {}
    for l in rec:gmatch('[^\n]*\n') do msgs[#msgs + 1] = l:match('%]: (.*)\n$') end
    T.eq(#msgs, 3, '9: three records')
    T.eq(msgs[1], 'a', '9: a')
    T.eq(msgs[2], 'b', '9: b without \\r')
    T.eq(msgs[3], '', '9: empty record')

    -- message truncated to 8191 bytes
    os.remove(P)
    log.set_flags(0)
    log.info(string.rep('z', 10000))
    local _, zs = read(P):gsub('z', '')
    T.eq(zs, 8191, 'message truncated to 8191 bytes')
    log.set_flags(log.FLAG_LF)

    -- 8: switching paths
    local P2, P3 = dir .. '/p2.log', dir .. '/p3.log'
    log.set_path(P2)
    log.info('to p2')
    log.set_path(P3)
    local s2 = size(P2)
    T.ok(s2 > 0, '8: P2 written')
    log.info('to p3')
    T.eq(size(P2), s2, '8: P2 unchanged after switching')
    T.ok(read(P3):find('to p3', 1, true), '8: P3 written')

    -- 10: long ident
    T.nret(0, log.set_ident(string.rep('x', 256)))
    log.info('long ident')
    rec = read(P3)
    T.ok(rec:find(' ' .. string.rep('x', 31) .. '%[%d+%]: long ident\n'), '10: ident truncated to 31 bytes')
    log.set_ident(12)
    log.info('numeric ident')
    T.ok(read(P3):find(' 12%[%d+%]: numeric ident\n'), 'numeric ident converted')
    log.set_ident('tester')

    -- 12: rejected paths return nothing and raise nothing; a relative name is accepted
    for _, bad in ipairs({ '/tmp/../x.log', './x.log', dir .. '/./x.log', dir .. '//x.log', dir .. '/',
        '/nonexistent-dir/x.log', dir .. '/' .. string.rep('y', 4096) }) do
        T.nret(0, log.set_path(bad))
        log.info('after a rejected path')
    end
    T.eq(read(dir .. '/x.log'), nil, '12: rejected path not created')

    -- 11: rotation
    local R = dir .. '/roll.log'
    log.set_path(R)
    log.set_roll_size(256)
    log.set_roll_count(2)
    for i = 1, 200 do log.info(string.format('record %03d %s', i, string.rep('r', 20))) end
    local rotated = {}
    for _, name in ipairs(ls(dir)) do
        if name:match('^roll%.log%.%d+%.%d%d%d%d%d%d%d%d%-%d%d%d%d%d%d$') then
            rotated[#rotated + 1] = name
        end
    end
    T.between(#rotated, 1, 2, '11: rotated files')
    T.ok(size(R) > 0, '11: P is non-empty')
    T.ok(size(R) <= 256 + 100, '11: P stays near the roll size')
    table.sort(rotated)
    T.ok(rotated[1]:match('^roll%.log%.%d%d%d%d%.'), '11: sequence padded to 4 digits')
    -- roll count <= 0 means 10; roll size 0 disables rotation
    log.set_roll_count(0)
    log.set_roll_size(0)
    local before = size(R)
    for _ = 1, 20 do log.info(string.rep('q', 40)) end
    T.ok(size(R) > before + 20 * 40, 'roll size 0: no rotation')

    -- 13: repeated logging does not grow Lua memory
    log.set_path(dir .. '/mem.log')
    log.set_flags(log.FLAG_LF | log.FLAG_FILE)
    for _ = 1, 200 do log.info('warm', 1, true) end
    T.full_gc()
    local m0 = collectgarbage('count')
    for _ = 1, 3000 do log.info('steady', 1, true, { 1 }) end
    T.full_gc()
    local m1 = collectgarbage('count')
    T.ok(m1 - m0 < 64, string.format('13: memory grew by %.1f KiB', m1 - m0))

    -- back to the default backend
    T.nret(0, log.set_path(''))
end)

os.execute('rm -rf ' .. dir)
print('ok')
