-- eco.uci on libuci: the behaviour checklist of docs/uci.md (items 1-6, 8-14, 16, 17) and the
-- argument/error conventions. Config trees live in temp dirs made by the test.
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

local function names(iter)
    local out = {}
    for s in iter do out[#out + 1] = s['.name'] end
    return table.concat(out, ',')
end

local DEMO = [[
config demo 's1'
	option foo 'bar'
	list arr 'x'
	list arr 'y'

config demo 's2'
	option foo 'baz'

config other 'o1'
	option k 'v'
]]

T.go(function()
    local conf, save = T.tmpdir(), T.tmpdir()
    write(conf .. '/demo', DEMO)

    -- 1. constructor
    T.raises('Invalid args', uci.cursor, conf, save, 'x')
    T.raises('string expected', uci.cursor, nil, save)
    local c = uci.cursor(conf, save)
    T.eq(type(c), 'userdata')
    T.eq(c:get_confdir(), conf)
    T.eq(c:get_savedir(), save)
    local d = uci.cursor()
    T.eq(d:get_confdir(), '/etc/config')
    T.eq(d:get_savedir(), '/tmp/.uci')
    d:close()
    local d1 = uci.cursor(conf)
    T.eq(d1:get_confdir(), conf)
    T.eq(d1:get_savedir(), '/tmp/.uci')
    d1:close()

    -- 2. list_configs: valid package names only, sorted; missing confdir fails with false
    write(conf .. '/zeta', '')
    write(conf .. '/bad name', '') -- not a valid package name (libuci allows '.' though)
    os.execute('mkdir ' .. T.sh_quote(conf .. '/adir'))
    local list = c:list_configs()
    T.eq(table.concat(list, ','), 'demo,zeta')
    local e = uci.cursor(conf .. '/missing', save)
    T.same({ false, 'uci: Entry not found' }, e:list_configs())
    e:close()

    -- 3. load and get
    T.same({ true }, c:load('demo'))
    T.same({ 'demo', 's1' }, c:get('demo', 's1'))
    T.same({ 'demo', 's1' }, c:get('demo.s1'))
    T.eq(c:get('demo', 's1', 'foo'), 'bar')
    T.eq(c:get('demo.s1.foo'), 'bar')
    T.eq(c:get('demo', 's1', 'foo', 'ignored'), 'bar')
    local arr = c:get('demo', 's1', 'arr')
    T.eq(type(arr), 'table')
    T.eq(#arr, 2)
    T.eq(arr[1], 'x')
    T.eq(arr[2], 'y')
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo'))
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo', 'nosuch'))
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo', 'nosuch', 'foo'))
    T.same({ nil, 'uci: Entry not found' }, c:get('demo', 's1', 'nosuch'))
    T.raises('string expected', c.get, c, 'demo', {})
    T.raises('bad argument', c.get, c)
    -- extended references
    T.same({ 'demo', 's2' }, c:get('demo', '@demo[1]'))
    T.eq(c:get('demo', '@demo[-1]', 'foo'), 'baz')
    T.eq(c:get('demo.@other[0].k'), 'v')
    T.eq(c:get('demo', '@[2]', 'k'), 'v')
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo', '@demo[5]'))
    -- invalid dotted paths
    T.same({ nil, 'uci: Parse error' }, c:get('demo.s1.foo.bar'))
    T.same({ nil, 'uci: Parse error' }, c:get('demo.s1.f o'))
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo.s 1')) -- not a name: an invalid extended reference

    -- 4. get_all
    local s1 = c:get_all('demo', 's1')
    T.eq(s1['.type'], 'demo')
    T.eq(s1['.name'], 's1')
    T.eq(s1['.anonymous'], false)
    T.eq(s1['.index'], nil)
    T.eq(s1.foo, 'bar')
    T.eq(s1.arr[2], 'y')
    local all = c:get_all('demo')
    T.eq(all.s1['.index'], 0)
    T.eq(all.s2['.index'], 1)
    T.eq(all.o1['.index'], 2)
    T.eq(c:get_all('demo', 's2', 'foo'), 'baz')
    T.same({ nil, 'uci: Entry not found' }, c:get_all('demo', 'nosuch'))
    T.same({ nil, 'uci: Entry not found' }, c:get_all('demo', 's1', 'nosuch'))

    -- 5. foreach
    local seen = {}
    T.same({ true }, c:foreach('demo', 'demo', function(s)
        seen[#seen + 1] = s['.name']
        return false
    end))
    T.eq(table.concat(seen, ','), 's1')
    seen = {}
    T.eq(c:foreach('demo', function(s) seen[#seen + 1] = s['.name'] .. ':' .. s['.index'] end), true)
    T.eq(table.concat(seen, ','), 's1:0,s2:1,o1:2')
    seen = {}
    T.eq(c:foreach('demo', nil, function(s) seen[#seen + 1] = s['.name'] end), true)
    T.eq(table.concat(seen, ','), 's1,s2,o1')
    seen = {}
    T.eq(c:foreach('demo', 'other', function(s) seen[#seen + 1] = s['.name'] .. ':' .. s['.index'] end), true)
    T.eq(table.concat(seen, ','), 'o1:2')
    T.eq(c:foreach('demo', 'none', function() error('not called') end), true)
    T.same({ false }, c:foreach('missing_pkg', function() end))
    T.raises('function expected', c.foreach, c, 'demo', 'demo', 42)
    T.raises('function expected', c.foreach, c, 'demo')
    T.raises('boom', c.foreach, c, 'demo', function() error('boom') end)
    -- a callback returning nil/true/values keeps going
    local n = 0
    c:foreach('demo', function() n = n + 1; return true, false end)
    T.eq(n, 3)
    -- the callback may yield
    local time = require 'eco.time'
    seen = {}
    c:foreach('demo', function(s)
        time.sleep(0.001)
        seen[#seen + 1] = s['.name']
    end)
    T.eq(table.concat(seen, ','), 's1,s2,o1')

    -- 6. each
    T.eq(names(c:each('demo', 'demo')), 's1,s2')
    T.eq(names(c:each('demo')), 's1,s2,o1')
    T.eq(names(c:each('demo', nil)), 's1,s2,o1')
    T.eq(names(c:each('missing_pkg')), '')
    for s in c:each('demo', 'other') do
        T.eq(s['.index'], 2)
        T.eq(s.k, 'v')
    end

    -- 8. add + lists
    local sid = c:add('demo', 'demo')
    T.eq(type(sid), 'string')
    T.ok(sid:match('^cfg%x%x%x%x%x%x$'), 'anonymous name ' .. sid)
    T.eq(c:get_all('demo', sid)['.anonymous'], true)
    T.same({ 'demo', sid }, c:get('demo', '@demo[-1]'))
    T.same({ true }, c:set('demo', sid, 'items', { 'a', 'b', 'c' }))
    local items = c:get('demo', sid, 'items')
    T.eq(#items, 3)
    T.eq(table.concat(items, ','), 'a,b,c')
    T.raises('Cannot set an uci option to an empty table value', c.set, c, 'demo', sid, 'items', {})
    T.raises('string expected', c.set, c, 'demo', sid, 'items', { 'a', true })
    T.raises('string expected', c.set, c, 'demo', sid, 'flag', true)
    T.same({ nil, 'uci: Entry not found' }, c:add('missing_pkg', 'demo'))
    -- one-element table: a one-item list replacing the option
    T.eq(c:set('demo', 's2', 'foo', { 'only' }), true)
    T.eq(type(c:get('demo', 's2', 'foo')), 'table')
    T.eq(c:get('demo', 's2', 'foo')[1], 'only')
    -- a plain string replaces a list; numbers become strings
    T.eq(c:set('demo', 's2', 'foo', 12), true)
    T.eq(c:get('demo', 's2', 'foo'), '12')
    T.eq(c:set('demo', 's2', 'nums', { 1, 2.5 }), true)
    T.eq(table.concat(c:get('demo', 's2', 'nums'), ','), '1,2.5')
    -- set forms and errors
    T.eq(c:set('demo.s2.bar=qux'), true)
    T.eq(c:get('demo', 's2', 'bar'), 'qux')
    T.eq(c:set('demo', 'new1', 'demo'), true)
    T.same({ 'demo', 'new1' }, c:get('demo', 'new1'))
    T.eq(c:set('demo.new2=demo'), true)
    T.same({ 'demo', 'new2' }, c:get('demo', 'new2'))
    T.eq(c:set('demo', 'new2', 'other'), true)
    T.same({ 'other', 'new2' }, c:get('demo', 'new2'))
    T.same({ false, 'uci: Invalid argument' }, c:set('demo', 'nosuch', 'o', 'v'))
    T.same({ false, 'uci: Invalid argument' }, c:set('demo', 's2'))
    T.same({ false, 'uci: Invalid argument' }, c:set('demo', 's2', 'bad name', 'v'))
    T.same({ false, 'uci: Invalid argument' }, c:set('demo', 'bad name', 'demo'))
    T.same({ false, 'uci: Invalid argument' }, c:set('demo', 's2', 'o', 'ctl\1'))
    T.same({ false, 'uci: Entry not found' }, c:set('missing_pkg', 's', 'o', 'v'))
    -- empty value deletes (and is no error when absent)
    T.eq(c:set('demo', 's2', 'bar', ''), true)
    T.same({ nil, 'uci: Entry not found' }, c:get('demo', 's2', 'bar'))
    T.eq(c:set('demo', 's2', 'bar', ''), true)
    T.eq(c:set('demo', 'new1', ''), true)
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo', 'new1'))

    -- 9. rename and reorder
    T.same({ true }, c:rename('demo', sid, 'renamed'))
    T.eq(c:get('demo', 'renamed', 'items')[3], 'c')
    T.eq(c:get_all('demo', 'renamed')['.anonymous'], false)
    T.same({ true }, c:set('demo', 'renamed', 'foo', 'f'))
    T.same({ true }, c:reorder('demo', 'renamed', 0))
    T.eq(c:each('demo')()['.name'], 'renamed')
    T.eq(c:get_all('demo').renamed['.index'], 0)
    T.same({ true }, c:reorder('demo.renamed=2'))
    T.eq(c:get_all('demo').renamed['.index'], 2)
    T.same({ true }, c:reorder('demo', 'renamed', '0'))
    T.eq(c:get_all('demo').renamed['.index'], 0)
    T.same({ false, 'uci: Invalid argument' }, c:reorder('demo.renamed.foo=1'))
    T.same({ false, 'uci: Invalid argument' }, c:reorder('demo', 'nosuch', 1))
    T.same({ false, 'uci: Invalid argument' }, c:reorder('demo.renamed'))
    T.same({ true }, c:rename('demo', 'renamed', 'foo', 'foo2'))
    T.eq(c:get('demo', 'renamed', 'foo2'), 'f')
    T.same({ true }, c:rename('demo.renamed.foo2=foo'))
    T.same({ true }, c:rename('demo.new2=new3'))
    T.same({ 'other', 'new3' }, c:get('demo', 'new3'))
    T.same({ false, 'uci: Entry not found' }, c:rename('demo', 'nosuch', 'x'))
    T.same({ false, 'uci: Entry not found' }, c:rename('demo', 'renamed', 'nosuch', 'x'))
    T.same({ false, 'uci: Invalid argument' }, c:rename('demo', 'nosuch', 'o', 'x'))
    T.same({ false, 'uci: Invalid argument' }, c:rename('demo', 'renamed'))
    T.same({ false, 'uci: Invalid argument' }, c:rename('demo', 'renamed', 'bad name'))

    -- 10. delete
    T.same({ true }, c:delete('demo', 'renamed', 'foo'))
    local v, err = c:get('demo', 'renamed', 'foo')
    T.eq(v, nil)
    T.eq(err, 'uci: Entry not found')
    T.same({ false, 'uci: Entry not found' }, c:delete('demo', 'renamed', 'foo'))
    T.same({ true }, c:delete('demo.renamed.items=1'))
    T.eq(table.concat(c:get('demo', 'renamed', 'items'), ','), 'a,c')
    T.same({ true }, c:delete('demo.new3'))
    T.same({ nil, 'uci: Invalid argument' }, c:get('demo', 'new3'))

    -- 11. save and commit; values persist across unload/load
    T.same({ true }, c:save('demo'))
    local delta = read(save .. '/demo')
    T.ok(delta:find("^+demo.cfg%x+='demo'\n"), 'delta file: ' .. delta)
    T.same({ true }, c:commit('demo'))
    T.eq(read(save .. '/demo'), '')
    T.same({ true }, c:unload('demo'))
    T.same({ false }, c:unload('demo'))
    T.same({ true }, c:load('demo'))
    T.eq(table.concat(c:get('demo', 'renamed', 'items'), ','), 'a,c')
    T.same({ false, 'uci: Invalid argument' }, c:save('demo', 's1'))
    T.same({ false, 'uci: Invalid argument' }, c:commit('demo', 's1'))
    T.same({ true }, c:save('demo'))

    -- 12. revert
    T.same({ true }, c:set('demo', 's1', 'foo', 'temp'))
    T.eq(c:get('demo', 's1', 'foo'), 'temp')
    T.same({ true }, c:revert('demo', 's1', 'foo'))
    T.eq(c:get('demo', 's1', 'foo'), 'bar')
    T.same({ true }, c:set('demo', 's1', 'foo', 'temp2'))
    T.same({ true }, c:save('demo'))
    T.same({ true }, c:set('demo', 's2', 'foo', 'temp3'))
    T.same({ true }, c:revert('demo'))
    T.eq(c:get('demo', 's1', 'foo'), 'bar')
    T.eq(c:get('demo', 's2', 'foo'), '12')

    -- 13. missing package
    local ok, msg = c:load('missing_pkg')
    T.eq(ok, false)
    T.eq(msg, 'uci: Entry not found')
    T.same({ nil, 'uci: Entry not found' }, c:get('missing_pkg', 's', 'o'))
    T.same({ false, 'uci: Entry not found' }, c:delete('missing_pkg', 's'))
    T.same({ false, 'uci: Entry not found' }, c:commit('missing_pkg'))
    T.same({ false, 'uci: Entry not found' }, c:revert('missing_pkg'))

    -- set_confdir / set_savedir
    local c2 = uci.cursor()
    T.same({ true }, c2:set_confdir(conf))
    T.same({ true }, c2:set_savedir(save))
    T.eq(c2:get_confdir(), conf)
    T.eq(c2:get_savedir(), save)
    T.eq(c2:get('demo', 's1', 'foo'), 'bar')

    -- 17. a saved change is seen by a second cursor; the delta line
    T.same({ true }, c:set('demo', 's1', 'foo', 'x'))
    T.same({ true }, c:save('demo'))
    local c3 = uci.cursor(conf, save)
    T.eq(c3:get('demo', 's1', 'foo'), 'x')
    T.ok(read(save .. '/demo'):find("demo.s1.foo='x'\n", 1, true), 'delta line')
    -- changes()
    local ch = c3:changes('demo')
    T.eq(ch.demo.s1.foo, 'x')
    T.eq(next(c3:changes('zeta')), nil)
    local chall = c3:changes()
    T.eq(chall.demo.s1.foo, 'x')
    c3:close()
    T.same({ true }, c:revert('demo'))
    T.eq(c:get('demo', 's1', 'foo'), 'bar')

    -- changing the package inside foreach/each: deleting the current section visits every
    -- section; sets are seen; nothing is visited twice
    local conf3 = T.tmpdir()
    write(conf3 .. '/m', "config r 'a'\nconfig x 'b'\nconfig r 'c'\nconfig r 'd'\nconfig x 'e'\n")
    local mc = uci.cursor(conf3, save)
    seen = {}
    T.eq(mc:foreach('m', 'r', function(s)
        seen[#seen + 1] = s['.name'] .. s['.index']
        T.eq(mc:delete('m', s['.name']), true)
    end), true)
    T.eq(table.concat(seen, ','), 'a0,c1,d1')
    T.eq(names(mc:each('m')), 'b,e')
    seen = {}
    for s in mc:each('m') do
        seen[#seen + 1] = s['.name']
        T.eq(mc:set('m', s['.name'], 'seen', '1'), true)
        if s['.name'] == 'b' then T.eq(mc:set('m', 'z', 'x'), true) end
    end
    T.eq(table.concat(seen, ','), 'b,e,z')
    T.eq(mc:get('m', 'e', 'seen'), '1')
    mc:close()

    -- 14. close
    c:close()
    c:close()
    T.raises('UCI context closed', c.get_confdir, c)
    T.raises('UCI context closed', c.get, c, 'demo', 's1')
    T.raises('UCI context closed', c.foreach, c, 'demo', function() end)
    do
        local c4 <close> = uci.cursor(conf, save)
        T.eq(c4:get('demo', 's1', 'foo'), 'bar')
    end
    c2:close()

    -- 16. committed layout (byte for byte)
    local conf2 = T.tmpdir()
    write(conf2 .. '/net', "config iface lan\n  option proto static  # comment\n  list dns '1.1.1.1'\n"
        .. "config iface\n option name \"it's\"\n")
    local w = uci.cursor(conf2, save)
    T.same({ true }, w:set('net', 'lan', 'mtu', '1500'))
    T.same({ true }, w:commit('net'))
    T.eq(read(conf2 .. '/net'), "\nconfig iface 'lan'\n\toption proto 'static'\n\tlist dns '1.1.1.1'\n"
        .. "\toption mtu '1500'\n\nconfig iface\n\toption name 'it'\\''s'\n\n")
    w:close()

    T.remove_tmpdirs()
end)
print('uci basic: ok')
