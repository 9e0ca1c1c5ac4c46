-- eco.shared: spec/shared.md behaviour checklist 1-16 (16 with a child interpreter process),
-- plus damaged and truncated backing files.
local T = require 'testlib'
local shared = require 'eco.shared'
local et = require 'ecotest'

local prefix = 'ecotest-' .. et.getpid() .. '-'
local function path_of(name) return '/dev/shm/eco-shared-' .. name .. '.shm' end

local function sorted(t)
    table.sort(t)
    return table.concat(t, ',')
end

-- sleep that works under both interpreters (T.go runs the body in a coroutine)
local eco = require 'eco'

T.go(function()
    -- 1: '/' in names
    T.fails('invalid name', shared.new('bad/name', 128))
    T.fails('invalid name', shared.get('bad/name'))

    -- 2: name length limit (231 bytes)
    T.fails('name too long', shared.new(string.rep('n', 232), 128))
    T.fails('name too long', shared.get(string.rep('n', 232)))
    do
        local d = T.ok(shared.new(prefix .. string.rep('n', 231 - #prefix), 64), '2: a 231-byte name is fine')
        d:close()
    end

    -- 3: size checks
    T.raises('size must be great than 0', shared.new, prefix .. 'x', 0)
    T.raises('size must be great than 0', shared.new, prefix .. 'x', -5)
    T.raises('number expected', shared.new, prefix .. 'x', 'big')
    T.raises('string expected', shared.new, {}, 10)
    T.raises('string expected', shared.get, nil)

    -- 4: new / second new / get
    local n = prefix .. 'main'
    local d = T.ok(shared.new(n, 4096), '4: new')
    local e1, e2 = shared.new(n, 128)
    T.eq(e1, nil, '4: second new fails')
    T.eq(e2, 'File exists', '4: second new message')
    local g = T.ok(shared.get(n), '4: get')
    T.nret(2, shared.get(prefix .. 'never-created'))
    T.fails('No such file or directory', shared.get(prefix .. 'never-created'))

    -- 5: values through owner and peer handle
    T.same({ true }, d:set('k_bool', true))
    T.same({ true }, d:set('k_num', 1.5))
    T.same({ true }, d:set('k_str', 'hello'))
    T.same({ true }, g:set('k_false', false))
    for _, h in ipairs({ d, g }) do
        T.same({ true }, h:get('k_bool'))
        T.same({ 1.5 }, h:get('k_num'))
        T.same({ 'hello' }, h:get('k_str'))
        T.same({ false }, h:get('k_false'))
    end
    d:set('bin', 'a\0b\255')
    T.eq(g:get('bin'), 'a\0b\255', 'binary string value')
    d:set(42, 'num key')
    T.eq(g:get('42'), 'num key', 'number keys are converted')
    T.eq(g:get(42), 'num key')
    d:set('empty', '')
    T.eq(g:get('empty'), '', 'empty string value')

    -- 6: bad values and keys
    local a, b = d:set('k', {})
    T.eq(a, nil, '6: set table')
    T.eq(b, 'bad value type (only string/number/boolean)', '6: set table message')
    T.fails('bad value type (only string/number/boolean)', d:set('k', nil))
    T.raises('exptime must be finite', d.set, d, 'k', 1, 0 / 0)
    T.raises('exptime must be finite', d.set, d, 'k', 1, math.huge)
    T.raises('invalid key', d.set, d, '', 1)
    T.raises('string expected', d.set, d, {}, 1)
    T.raises('number expected', d.set, d, 'k', 1, {})
    -- checks come in order: key, exptime, then value
    T.raises('exptime must be finite', d.set, d, 'k', {}, 0 / 0)

    -- 7: del
    T.same({ true }, d:del('k_str'))
    T.same({}, g:get('k_str'))
    T.eq(g:get('k_str'), nil, '7: deleted')
    T.same({ false }, d:del('k_str'))
    T.eq(d:get('missing'), nil, '7: missing')

    -- 8: ttl
    T.same({ n = 1 }, d:ttl('missing'))
    T.eq(d:ttl('k_num'), 0, '8: ttl of a permanent key')
    d:set('short', 'v', 0.05)
    local ttl = d:ttl('short')
    T.ok(ttl > 0 and ttl <= 0.05, '8: ttl in (0, 0.05]: ' .. tostring(ttl))
    eco.sleep(0.08)
    T.eq(d:get('short'), nil, '8: expired get')
    T.eq(d:ttl('short'), nil, '8: expired ttl')
    T.same({ false }, d:del('short'))
    d:set('perm0', 1, 0)
    d:set('permneg', 1, -3)
    T.eq(d:ttl('perm0'), 0, 'exptime 0 means no expiry')
    T.eq(d:ttl('permneg'), 0, 'negative exptime means no expiry')

    -- 9: expire
    d:set('e', 'v', 10)
    T.ok(d:ttl('e') > 9, '9: ttl after set with 10 s')
    T.same({ true }, d:expire('e', -1))
    T.eq(d:ttl('e'), 0, '9: expire(-1) clears the expiry')
    T.eq(d:get('e'), 'v', '9: key survives')
    T.same({ true }, g:expire('e', 0.05))
    eco.sleep(0.08)
    T.eq(d:get('e'), nil, '9: expire(0.05) made it vanish')
    T.same({ n = 1 }, d:expire('e', 1))
    T.same({ n = 1 }, d:expire('missing', 1))
    T.raises('exptime must be finite', d.expire, d, 'k_num', 0 / 0)
    T.raises('number expected', d.expire, d, 'k_num')

    -- set replaces the expiry too
    d:set('r', 1, 0.05)
    d:set('r', 2)
    T.eq(d:ttl('r'), 0, 'set replaces the expiry')

    -- 10: incr
    d:set('c', 1, 0.3)
    T.same({ 3.0 }, d:incr('c', 2))
    T.ok(d:ttl('c') > 0, '10: ttl kept by incr without exptime')
    T.same({ 4.0 }, d:incr('c', 1, 0.6))
    T.ok(d:ttl('c') > 0.4, '10: incr with exptime sets a new ttl')
    T.same({ n = 1 }, d:incr('missing', 1))
    T.eq(d:get('missing'), nil, '10: incr does not create')
    T.fails('not a number', d:incr('k_bool', 1))
    d:set('s', 'str')
    T.fails('not a number', d:incr('s', 1))
    T.raises('delta must be finite', d.incr, d, 'c', 0 / 0)
    T.raises('exptime must be finite', d.incr, d, 'c', 1, 0 / 0)
    T.raises('number expected', d.incr, d, 'c', {})
    T.same({ 4.5 }, d:incr('c', 0.5, -1))
    T.eq(d:ttl('c'), 0, '10: incr with exptime <= 0 removes the expiry')
    T.eq(math.type(d:incr('c', 0)), 'float')

    -- 11: flush_all and get_keys
    T.nret(0, d:flush_all())
    T.same({}, table.unpack(d:get_keys()))
    T.eq(#g:get_keys(), 0, '11: empty after flush_all')
    d:set('k1', 1)
    d:set('k2', 2)
    d:set('k3', 3, 0.01)
    eco.sleep(0.03)
    T.eq(sorted(d:get_keys()), 'k1,k2', '11: live keys only')
    -- order: insertion, re-set keys at the end
    d:set('k1', 'again')
    T.eq(table.concat(g:get_keys(), ','), 'k2,k1', 'a re-set key moves to the end')

    -- 15: integers come back as floats
    d:set('int', 1)
    local v = g:get('int')
    T.eq(v, 1, '15: value')
    T.eq(math.type(v), 'float', '15: math.type')

    -- 16: a separate process sees the parent's keys, and the parent sees the child's
    d:set('from_parent', 'hello child')
    local interp = arg[-1]
    local child = string.format([[%s -e "local d = assert(require('eco.shared').get('%s')) ]] ..
        [[io.write(d:get('from_parent')) d:set('from_child', 'hello parent') d:incr('k2', 40) d:close()"]],
        interp, n)
    local p = assert(io.popen(child))
    local out = p:read('a')
    T.ok(p:close(), '16: child interpreter ran: ' .. child)
    T.eq(out, 'hello child', '16: child read the parent key')
    T.eq(d:get('from_child'), 'hello parent', '16: parent reads the child key')
    T.eq(d:get('k2'), 42, '16: child incr seen')

    -- 12: a 64-byte dictionary rejects a 256-byte value
    local small = T.ok(shared.new(prefix .. 'small', 64))
    T.fails('no memory', small:set('big', string.rep('v', 256)))
    small:set('x', 'y')
    T.fails('no memory', small:set('x', string.rep('v', 256)))
    T.eq(small:get('x'), 'y', '12: the previous value is untouched')
    small:close()

    -- 13: space is reclaimed after a delete
    local d320 = T.ok(shared.new(prefix .. 'd320', 320))
    local i, last = 0, nil
    while true do
        i = i + 1
        local ok, err = d320:set('key' .. i, string.rep('v', 48))
        if not ok then
            T.eq(err, 'no memory', '13: fills up with no memory')
            break
        end
        last = 'key' .. i
        T.ok(i < 100, '13: the dictionary fills up')
    end
    T.ok(i > 2, '13: several values fit')
    T.same({ true }, d320:del(last))
    T.same({ true }, d320:set(last, string.rep('w', 48)))
    T.eq(d320:get(last), string.rep('w', 48), '13: set again after delete')
    -- re-setting existing keys repeatedly keeps working (dead records reclaimed)
    for round = 1, 50 do
        T.same({ true }, d320:set('key1', string.rep(tostring(round % 10), 48)))
    end
    T.eq(d320:get('key1'), string.rep('0', 48))
    -- expired records are reclaimed too
    d320:flush_all()
    for j = 1, 4 do d320:set('t' .. j, string.rep('t', 40), 0.01) end
    eco.sleep(0.03)
    for j = 1, 4 do T.same({ true }, d320:set('u' .. j, string.rep('u', 40))) end
    d320:close()

    -- 14: owner closes; peer keeps working; get fails; close twice is fine
    T.nret(0, d:close())
    T.same({ 'hello child' }, g:get('from_parent'))
    T.same({ true }, g:set('after', 'close'))
    T.eq(g:get('after'), 'close', '14: peer writes after the owner closed')
    T.fails('No such file or directory', shared.get(n))
    d:close()
    g:close()
    g:close()
    -- using a closed handle raises
    T.raises('closed', d.get, d, 'k')
    T.raises('closed', g.set, g, 'k', 1)
    -- __close
    do
        local c <close> = T.ok(shared.new(prefix .. 'tbc', 64))
        c:set('a', 1)
    end
    T.fails('No such file or directory', shared.get(prefix .. 'tbc'))
    -- __gc of the owner removes the file
    do
        local tmp = shared.new(prefix .. 'gc', 64)
        tmp = nil
        T.full_gc()
        T.fails('No such file or directory', shared.get(prefix .. 'gc'))
    end

    -- damaged and truncated files are refused, never read past their end
    local function write_file(name, data)
        local f = assert(io.open(path_of(name), 'wb'))
        f:write(data)
        f:close()
    end
    write_file(prefix .. 'tiny', 'abc')
    T.fails('invalid shared memory file', shared.get(prefix .. 'tiny'))
    write_file(prefix .. 'junk', string.rep('J', 4096))
    T.fails('invalid shared memory header', shared.get(prefix .. 'junk'))
    os.remove(path_of(prefix .. 'tiny'))
    os.remove(path_of(prefix .. 'junk'))

    local tn = prefix .. 'trunc'
    local owner = T.ok(shared.new(tn, 1024))
    owner:set('a', string.rep('x', 100))
    owner:set('b', 2)
    local raw = assert(io.open(path_of(tn), 'rb')):read('a')
    T.eq(#raw, 64 + 2 * 1024, 'file size: header + two areas')
    -- a file cut inside its areas: refused by get
    write_file(tn .. '-cut', raw:sub(1, 64 + 100))
    T.fails('invalid shared memory file', shared.get(tn .. '-cut'))
    os.remove(path_of(tn .. '-cut'))
    -- a record length pointing past the used area: operations raise, nothing is returned
    local bad = raw:sub(1, 64) .. raw:sub(65, 68) .. string.pack('<I4', 0x7fffffff) .. raw:sub(73)
    write_file(tn .. '-rec', bad)
    local h = T.ok(shared.get(tn .. '-rec'), 'header is still valid')
    T.raises('corrupted shared memory file', h.get, h, 'a')
    T.raises('corrupted shared memory file', h.set, h, 'c', 1)
    T.raises('corrupted shared memory file', h.get_keys, h)
    h:close()
    os.remove(path_of(tn .. '-rec'))
    -- used > capacity in the header
    write_file(tn .. '-used', raw:sub(1, 24) .. string.pack('<I8', 5000) .. raw:sub(33))
    T.fails('invalid shared memory header', shared.get(tn .. '-used'))
    os.remove(path_of(tn .. '-used'))
    -- a handle whose file is truncated later raises on its next operation
    local peer = T.ok(shared.get(tn))
    T.eq(peer:get('b'), 2)
    local f = assert(io.open(path_of(tn), 'r+b'))
    f:close()
    T.ok(os.execute('truncate -s 100 ' .. path_of(tn)), 'truncate(1) ran')
    T.raises('corrupted shared memory file', peer.get, peer, 'b')
    T.raises('corrupted shared memory file', owner.set, owner, 'z', 1)
    peer:close()
    owner:close()
    T.fails('No such file or directory', shared.get(tn))
end)
