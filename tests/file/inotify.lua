-- eco.file: inotify watcher on a temporary directory, and the raw record parser
-- (spec/file.md checklist 14, 15).
local eco = require 'eco'
local T = require 'testlib'
local file = require 'eco.file'
local et = require 'ecotest'

local dir = os.tmpname()
os.remove(dir)
assert(file.mkdir(dir))

-- Builds a raw inotify record (native byte order).
local function record(wd, mask, name, len)
    name = name or ''
    return string.pack('=i4I4I4I4', wd, mask, 0, len or #name) .. name
end

-- 15: inotify_parse_event
do
    local t = file.inotify_parse_event('')
    T.eq(type(t), 'table', '15: empty buffer gives a table')
    T.eq(next(t), nil, '15: empty buffer gives an empty table')
    local evs = file.inotify_parse_event(record(3, 0x100, 'x\0pad\0\0\0') .. record(4, 0x400))
    T.eq(#evs, 2, '15: two records')
    T.eq(evs[1].wd, 3, '15: wd')
    T.eq(evs[1].mask, 0x100, '15: mask')
    T.eq(evs[1].name, 'x', "15: name cut at the first NUL")
    T.eq(evs[2].wd, 4, '15: second wd')
    T.eq(evs[2].name, nil, '15: no name when len is 0')
    T.raises('invalid inotify event buffer', file.inotify_parse_event, string.rep('\0', 15))
    T.raises('invalid inotify event buffer', file.inotify_parse_event, record(1, 1, 'a', 8))
    T.raises('invalid inotify event buffer', file.inotify_parse_event, record(1, 1, '', 0) .. 'abc')
end

local IN_CREATE, IN_CLOSE_WRITE = file.IN_CREATE, file.IN_CLOSE_WRITE

T.go(function()
    local base = et.fd_count()
    -- 14: add, event on create
    local w = T.ok(file.inotify())
    T.eq(math.type(w.fd), 'integer', 'w.fd')
    local wd = w:add(dir, IN_CREATE | IN_CLOSE_WRITE)
    T.eq(math.type(wd), 'integer', '14: add returns a wd')
    assert(file.writefile(dir .. '/x.txt', 'x'))
    local ev = T.ok(w:wait(2))
    T.eq(ev.name, dir .. '/x.txt', '14: event name')
    T.ok(ev.mask & (IN_CREATE | IN_CLOSE_WRITE) ~= 0, '14: mask bits')
    -- both events were read at once: the second is buffered and returned without waiting
    local ev2 = T.ok(w:wait(2))
    T.eq(ev2.name, dir .. '/x.txt', 'second event name')
    T.ok(ev2.mask & IN_CLOSE_WRITE ~= 0, 'second event is IN_CLOSE_WRITE')

    -- a waiter parked before the event arrives
    local got
    eco.run(function() got = w:wait(5) end)
    eco.sleep(0.05)
    T.eq(got, nil, 'waiting')
    assert(file.mkdir(dir .. '/sub'))
    T.wait_until(function() return got end, 5, 'the mkdir event')
    T.eq(got.name, dir .. '/sub', 'mkdir event name')
    T.ok(got.mask & file.IN_ISDIR ~= 0, 'IN_ISDIR is set for a directory')

    -- 14: after del, creating another file gives nothing (IN_IGNORED is skipped)
    T.same({ true }, w:del(wd))
    assert(file.writefile(dir .. '/y.txt', 'y'))
    T.same({ nil, 'timeout' }, w:wait(0.1))
    T.same({ nil, 'Invalid argument' }, w:del(wd))

    -- a watched path ending with '/' is joined without a second '/'; events about the watched
    -- object itself carry just the path
    local wd2 = T.ok(w:add(dir .. '/', file.IN_DELETE))
    os.remove(dir .. '/y.txt')
    T.eq(T.ok(w:wait(2)).name, dir .. '/y.txt', 'trailing slash join')
    w:del(wd2)
    local fpath = dir .. '/watched'
    assert(file.writefile(fpath, 'w'))
    T.ok(w:add(fpath, file.IN_ATTRIB | file.IN_DELETE_SELF))
    os.execute('chmod 600 ' .. fpath)
    local self_ev = T.ok(w:wait(2))
    T.eq(self_ev.name, fpath, 'event about the watched object itself')
    T.ok(self_ev.mask & file.IN_ATTRIB ~= 0, 'IN_ATTRIB')
    T.same({ nil, 'No such file or directory' }, w:add(dir .. '/nope'))

    -- close cancels a pending wait; close twice is fine
    local res
    eco.run(function() res = table.pack(w:wait()) end)
    eco.sleep(0.05)
    w:close()
    T.eq(w.fd, -1, 'fd -1 after close')
    T.nret(0, w:close())
    T.wait_until(function() return res end, 5, 'the canceled wait')
    T.same({ nil, 'canceled' }, T.unpack(res))

    -- default mask IN_ALL_EVENTS; <close> and gc release the descriptor
    do
        local w2 <close> = T.ok(file.inotify())
        T.ok(w2:add(dir))
        assert(file.writefile(dir .. '/z.txt', 'z'))
        T.eq(T.ok(w2:wait(2)).name, dir .. '/z.txt', 'default mask sees the create')
    end
    for _ = 1, 100 do T.ok(file.inotify()) end
    T.full_gc()
    T.eq(et.fd_count(), base, 'no inotify fd left open')

    -- native layer
    local fd = T.ok(file.inotify_init())
    local nwd = T.ok(file.inotify_add_watch(fd, dir, IN_CREATE))
    T.same({ true }, file.inotify_rm_watch(fd, nwd))
    T.same({ nil, 'Invalid argument' }, file.inotify_rm_watch(fd, nwd))
    T.same({ nil, 'No such file or directory' }, file.inotify_add_watch(fd, dir .. '/nope', IN_CREATE))
    T.same({ true }, file.close(fd))
end)

os.execute('rm -rf ' .. dir)
print('ok')
