-- eco.uci on-disk behaviour (docs/uci.md "Files"): delta files and committed files compared byte
-- for byte, revert filtering, reorder, two cursors on the same files, malformed config files
-- (the error string, the file left untouched), commit keeping the mode, savedir creation.
local T = require 'testlib'
local uci = require 'eco.uci'

local function write(path, text)
    local f = assert(io.open(path, 'w'))
    f:write(text)
    f:close()
end

local function read(path)
    local f = io.open(path, 'r')
    if not f then return nil end
    local s = f:read('a')
    f:close()
    return s
end

local function stat(fmt, path)
    return (T.capture('stat -c ' .. fmt .. ' ' .. T.sh_quote(path)):gsub('%s+$', ''))
end

T.go(function()
    local conf, save = T.tmpdir(), T.tmpdir()
    local orig = "config sys 'main'\n\toption host 'r1'\n\nconfig rule\n\toption name 'a'\n\nconfig rule\n\toption name 'b'\n"
    write(conf .. '/fw', orig)

    -- every kind of change, saved: the delta file line by line
    local c = uci.cursor(conf, save)
    T.eq(c:set('fw', 'main', 'host', "it's"), true)
    local sid = assert(c:add('fw', 'rule'))
    T.eq(c:set('fw', sid, 'proto', { 'tcp', 'udp' }), true)
    T.eq(c:delete('fw', '@rule[0]', 'name'), true)
    T.eq(c:rename('fw', 'main', 'system'), true)
    T.eq(c:reorder('fw', sid, 0), true)
    T.eq(c:set('fw', 'extra', 'misc'), true)
    T.eq(c:delete('fw.extra'), true)
    T.eq(read(save .. '/fw'), nil, 'nothing written before save')
    T.eq(c:save('fw'), true)
    local first = c:get_all('fw')
    local rule0 = nil
    for name, s in pairs(first) do if s['.index'] == 2 then rule0 = name end end
    local delta = table.concat({
        "fw.main.host='it'\\''s'",
        "+fw." .. sid .. "='rule'",
        "fw." .. sid .. ".proto='tcp'",
        "|fw." .. sid .. ".proto='udp'",
        "-fw." .. rule0 .. ".name",
        "@fw.main='system'",
        "^fw." .. sid .. "='0'",
        "fw.extra='misc'",
        "-fw.extra",
        '',
    }, '\n')
    T.eq(read(save .. '/fw'), delta)
    T.eq(read(conf .. '/fw'), orig, 'config untouched by save')
    -- saving again with nothing pending appends nothing
    T.eq(c:save('fw'), true)
    T.eq(read(save .. '/fw'), delta)

    -- a second cursor sees the saved changes; the first's view is unchanged by its own save
    local c2 = uci.cursor(conf, save)
    T.eq(c2:get('fw', 'system', 'host'), "it's")
    T.eq(c2:get('fw', '@rule[0]', 'proto')[2], 'udp')
    T.eq(c:get('fw', 'system', 'host'), "it's")

    -- commit: the exact writer layout, delta truncated, mode kept
    os.execute('chmod 640 ' .. T.sh_quote(conf .. '/fw'))
    T.eq(c:commit('fw'), true)
    local committed = "\nconfig rule\n\tlist proto 'tcp'\n\tlist proto 'udp'\n"
        .. "\nconfig sys 'system'\n\toption host 'it'\\''s'\n"
        .. "\nconfig rule\n"
        .. "\nconfig rule\n\toption name 'b'\n\n"
    T.eq(read(conf .. '/fw'), committed)
    T.eq(read(save .. '/fw'), '')
    T.eq(stat('%a', conf .. '/fw'), '640')
    -- no leftover temp file in confdir
    T.eq(T.capture('ls -A ' .. T.sh_quote(conf)), 'fw\n')

    -- the second cursor still has its old view until it reloads
    T.eq(c2:get('fw', 'system', 'host'), "it's")
    T.eq(c2:load('fw'), true)
    T.eq(c2:get_all('fw', '@rule[0]')['.anonymous'], true)
    T.eq(c2:get('fw', '@rule[-1]', 'name'), 'b')

    -- a commit with nothing to apply does not rewrite the file
    local inode = stat('%i', conf .. '/fw')
    T.eq(c2:commit('fw'), true)
    T.eq(stat('%i', conf .. '/fw'), inode)
    T.eq(c:set('fw', 'system', 'host', 'r2'), true)
    T.eq(c:commit('fw'), true)
    T.ok(stat('%i', conf .. '/fw') ~= inode, 'rewritten by rename')

    -- commit of one cursor's pending change while another cursor's saved delta exists:
    -- both apply (the delta file is shared through savedir)
    T.eq(c2:load('fw'), true)
    T.eq(c2:set('fw', 'system', 'zone', 'lan'), true)
    T.eq(c2:save('fw'), true)
    T.eq(c:load('fw'), true)
    T.eq(c:set('fw', 'system', 'host', 'r3'), true)
    T.eq(c:commit('fw'), true)
    local c3 = uci.cursor(conf, save)
    T.eq(c3:get('fw', 'system', 'zone'), 'lan')
    T.eq(c3:get('fw', 'system', 'host'), 'r3')
    T.eq(read(save .. '/fw'), '')

    -- revert of one section removes only its lines from the delta file
    T.eq(c3:set('fw', 'system', 'host', 'h1'), true)
    T.eq(c3:set('fw', '@rule[-1]', 'name', 'n1'), true)
    T.eq(c3:save('fw'), true)
    local last = c3:get_all('fw', '@rule[-1]')['.name']
    T.eq(c3:revert('fw', 'system'), true)
    T.eq(read(save .. '/fw'), "fw." .. last .. ".name='n1'\n")
    T.eq(c3:get('fw', 'system', 'host'), 'r3')
    T.eq(c3:get('fw', last, 'name'), 'n1')
    T.eq(c3:revert('fw.' .. last .. '.name'), true)
    T.eq(read(save .. '/fw'), '')
    T.eq(c3:get('fw', last, 'name'), 'b')

    -- reorder committed
    T.same({ true }, c3:reorder('fw', 'system', 3))
    T.eq(c3:commit('fw'), true)
    local lines = {}
    for l in read(conf .. '/fw'):gmatch('config[^\n]*') do lines[#lines + 1] = l end
    T.eq(table.concat(lines, '|'), "config rule|config rule|config rule|config sys 'system'")

    -- savedir is created when missing (one level, libuci's mkdir), with confdir's mode
    os.execute('chmod 750 ' .. T.sh_quote(conf))
    local deep = uci.cursor(conf, save .. '/no/dir')
    T.eq(deep:set('fw', 'system', 'host', 'h4'), true)
    T.same({ false, 'uci: I/O error' }, deep:save('fw'))
    deep:close()
    local fresh = save .. '/new'
    local c4 = uci.cursor(conf, fresh)
    T.eq(c4:set('fw', 'system', 'host', 'h4'), true)
    T.eq(c4:save('fw'), true)
    T.eq(stat('%a', fresh), '750')
    T.eq(read(fresh .. '/fw'), "fw.system.host='h4'\n")
    T.eq(c4:revert('fw'), true)

    -- delta path: a cursor reads deltas from an added directory too
    local c5 = uci.cursor(conf, save)
    T.eq(c5:add_delta(fresh), true)
    write(fresh .. '/fw', "fw.system.host='from-delta-path'\n")
    T.eq(c5:get('fw', 'system', 'host'), 'from-delta-path')

    -- malformed config files: the spec's error, the file untouched, nothing committed
    local bad = {
        { "config a 'b\n", "uci: Parse error (EOF with unterminated ') at line 1, byte 12" },
        { 'config a "b\n', 'uci: Parse error (EOF with unterminated ") at line 1, byte 12' },
        { "config a b c\n", "uci: Parse error (too many arguments) at line 1, byte 13" },
        { "option a b\n", "uci: Parse error (option/list command found before the first section) at line 1, byte 0" },
        { "bogus a b\n", "uci: Parse error (invalid command) at line 1, byte 0" },
        { "config t x\n\toption 'x y' z\n", "uci: Parse error (invalid character in name field) at line 2, byte 14" },
        { "config 'a b' s\n", "uci: Parse error (invalid character in type field) at line 1, byte 13" },
        { "config a s\nconfig b s\n", "uci: Parse error (section of different type overwrites prior section with same name) at line 2, byte 11" },
    }
    for i, case in ipairs(bad) do
        local name = 'bad' .. i
        write(conf .. '/' .. name, case[1])
        local m = uci.cursor(conf, save)
        T.same({ false, case[2] }, m:load(name))
        T.same({ nil, case[2] }, m:get(name, 's', 'o'))
        T.same({ false, case[2] }, m:set(name, 's', 'o', 'v'))
        T.same({ nil, case[2] }, m:add(name, 'x'))
        T.same({ false, case[2] }, m:commit(name))
        T.same({ false }, m:foreach(name, function() end))
        T.eq(read(conf .. '/' .. name), case[1], 'malformed file untouched')
        T.eq(read(save .. '/' .. name), nil, 'no delta for a malformed file')
        -- a later non-parse error does not repeat the parse position
        T.same({ nil, 'uci: Entry not found' }, m:get('fw', 'system', 'nosuch'))
        m:close()
    end

    -- section types libuci's writer cannot write back (it writes types unquoted): refused
    local tq = "config 'a#b' 'x'\n\toption o 'v'\n"
    write(conf .. '/types', tq)
    local tc = uci.cursor(conf, save)
    T.same({ 'a#b', 'x' }, tc:get('types', 'x'))
    T.eq(tc:set('types', 'x', 'o', 'w'), true)
    T.same({ false, 'uci: Invalid argument' }, tc:commit('types'))
    T.eq(read(conf .. '/types'), tq, 'file untouched by a refused commit')
    T.eq(tc:revert('types'), true)
    for _, ty in ipairs({ '#t', 'a;b', "it's", 'q"', 'back\\slash' }) do
        T.same({ nil, 'uci: Invalid argument' }, tc:add('fw', ty))
        T.same({ false, 'uci: Invalid argument' }, tc:set('fw', 'newsec', ty))
        T.same({ false, 'uci: Invalid argument' }, tc:set('fw', 'system', ty))
    end
    T.same({ false, 'uci: Invalid argument' }, tc:set('fw.newsec=a#b'))
    T.same({ nil, 'uci: Invalid argument' }, tc:get('fw', 'newsec'))
    tc:close()

    -- a malformed delta line is skipped, the others apply
    write(save .. '/fw', "fw.system.host='d1'\nthis is not a delta\nfw.system.zone='z'\n")
    local c6 = uci.cursor(conf, save)
    T.eq(c6:get('fw', 'system', 'host'), 'd1')
    T.eq(c6:get('fw', 'system', 'zone'), 'z')
    T.eq(c6:revert('fw'), true)

    for _, x in ipairs({ c, c2, c3, c4, c5, c6 }) do x:close() end
    T.remove_tmpdirs()
end)
print('uci files: ok')
