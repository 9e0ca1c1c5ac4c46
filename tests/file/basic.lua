-- eco.file: module layout, constants, whole-file helpers, stat/statvfs/access/readlink,
-- dirname/basename, dir, walk, mkdir, file objects, close/gc, native flock, fd leaks
-- (spec/file.md checklist 1-11, 13, 16, 17).
local eco = require 'eco'
local T = require 'testlib'
local file = require 'eco.file'
local et = require 'ecotest'

local root = os.tmpname()
os.remove(root)
T.eq(file.mkdir(root, 448), true, 'mkdir of the temporary root')
local function sh(cmd) T.ok(os.execute(cmd), 'command failed: ' .. cmd) end

-- Module layout: pairs() lists only the six Lua names; natives and constants via __index.
do
    local names = {}
    for k in pairs(file) do names[#names + 1] = k end
    table.sort(names)
    T.eq(table.concat(names, ','), 'SKIP,inotify,open,readfile,walk,writefile', 'pairs(file)')
    T.eq(file.SKIP, 1, 'SKIP')
    local consts = {
        O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 64, O_EXCL = 128, O_NOCTTY = 256,
        O_TRUNC = 512, O_APPEND = 1024, O_NONBLOCK = 2048, O_CLOEXEC = 524288,
        S_IRWXU = 448, S_IRUSR = 256, S_IWUSR = 128, S_IXUSR = 64, S_IRWXG = 56, S_IRGRP = 32,
        S_IWGRP = 16, S_IXGRP = 8, S_IRWXO = 7, S_IROTH = 4, S_IWOTH = 2, S_IXOTH = 1,
        S_ISUID = 2048, S_ISGID = 1024, S_ISVTX = 512,
        SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8,
        IN_ACCESS = 1, IN_MODIFY = 2, IN_ATTRIB = 4, IN_CLOSE_WRITE = 8, IN_CLOSE_NOWRITE = 16,
        IN_CLOSE = 24, IN_OPEN = 32, IN_MOVED_FROM = 64, IN_MOVED_TO = 128, IN_MOVE = 192,
        IN_CREATE = 256, IN_DELETE = 512, IN_DELETE_SELF = 1024, IN_MOVE_SELF = 2048,
        IN_ALL_EVENTS = 4095, IN_ISDIR = 0x40000000,
    }
    for k, v in pairs(consts) do
        T.eq(math.type(file[k]), 'integer', 'math.type(file.' .. k .. ')')
        T.eq(file[k], v, 'file.' .. k)
    end
    for _, k in ipairs({ 'stat', 'fstat', 'statvfs', 'access', 'readlink', 'chown', 'dirname',
        'basename', 'sync', 'close', 'lseek', 'flock', 'dir', 'mkdir', 'inotify_init',
        'inotify_add_watch', 'inotify_rm_watch', 'inotify_parse_event' }) do
        T.eq(type(file[k]), 'function', 'file.' .. k)
    end
end

local p = root .. '/data.txt'

-- 1: writefile / append / readfile
T.same({ true }, file.writefile(p, 'hello\nworld\n'))
T.same({ true }, file.writefile(p, 'tail\n', true))
T.same({ 'hello\nworld\ntail\n' }, file.readfile(p))
T.same({ 'hello' }, file.readfile(p, '*l'))
T.same({ 'hello\n' }, file.readfile(p, 'L'))
T.same({ 'hel' }, file.readfile(p, 3))
T.same({ true }, file.writefile(root .. '/num.txt', 42))
T.same({ '42' }, file.readfile(root .. '/num.txt'))
T.same({ true }, file.writefile(root .. '/empty.txt', ''))
T.same({ '' }, file.readfile(root .. '/empty.txt'))
T.raises('', file.writefile, root .. '/bad.txt', {})

-- 2: readfile of a missing path
do
    local v, err = file.readfile('/nonexistent')
    T.eq(v, nil, '2: readfile(/nonexistent)')
    T.eq(err, '/nonexistent: No such file or directory', '2: message')
    local ok, werr = file.writefile(root .. '/no/such/dir', 'x')
    T.eq(ok, nil, 'writefile into a missing dir')
    T.eq(werr, root .. '/no/such/dir: No such file or directory', 'writefile message')
end

-- 3: access
T.same({ true }, file.access(p))
T.same({ true }, file.access(p, 'r'))
T.same({ true }, file.access(p, 'w'))
T.same({ false }, file.access('/nonexistent'))
T.same({ false }, file.access('/nonexistent', 'r'))
T.same({ true }, file.access(root, 'x'))
sh('chmod 0644 ' .. p)
T.same({ false }, file.access(p, 'rx')) -- 3: x wins over r (root still lacks x on a 0644 file)
T.same({ true }, file.access(p, 'rw')) -- 3: w wins over r
T.same({ true }, file.access(p, 'q')) -- 3: no known letter: existence

-- 4: stat
do
    local st = T.ok(file.stat(p))
    T.eq(st.type, 'REG', '4: type')
    T.eq(st.size, #'hello\nworld\ntail\n', '4: size')
    T.eq(st.mode, 420, '4: mode 0644')
    for _, k in ipairs({ 'size', 'ino', 'nlink', 'uid', 'gid', 'atime', 'mtime', 'ctime', 'mode' }) do
        T.eq(math.type(st[k]), 'integer', '4: integer field ' .. k)
    end
    T.between(st.mtime, os.time() - 60, os.time() + 60, '4: mtime')
    local d = T.ok(file.stat(root))
    T.eq(d.type, 'DIR', '4: directory type')
    T.ok(d.mode <= 511, '4: mode <= 0777')
    sh('chmod 4755 ' .. p)
    T.eq(file.stat(p).mode, 493, '4: setuid not included in mode')
    sh('chmod 1777 ' .. root)
    T.eq(file.stat(root).mode, 511, '4: sticky not included in mode')
    sh('chmod 0700 ' .. root .. ' && chmod 0644 ' .. p)
    T.eq(file.stat('/dev/null').type, 'CHR', 'stat /dev/null')
    T.fails('No such file or directory', file.stat('/nonexistent'))
    T.fails('Bad file descriptor', file.fstat(-1))
    T.fails('Bad file descriptor', file.fstat(100000))
    sh('mkfifo ' .. root .. '/fifo')
    T.eq(file.stat(root .. '/fifo').type, 'FIFO', 'stat of a fifo')
    os.remove(root .. '/fifo')
end

-- 5: statvfs
do
    local n = T.nret(3, file.statvfs(root))
    local total, avail, used = file.statvfs(root)
    for i, v in ipairs({ total, avail, used }) do
        T.eq(math.type(v), 'float', '5: float #' .. i)
        T.ok(v >= 0, '5: non-negative #' .. i)
    end
    T.ok(total > 0 and n, '5: total > 0')
    T.fails('No such file or directory', file.statvfs('/nonexistent'))
end

-- 6: dirname / basename
T.eq(file.dirname(root .. '/a/b/c'), root .. '/a/b', '6: dirname')
T.eq(file.basename(root .. '/a/b/c'), 'c', '6: basename')
for _, c in ipairs({ { '/a/b/c', '/a/b' }, { '/a/b/', '/a' }, { 'a', '.' }, { '', '.' }, { '/', '/' } }) do
    T.eq(file.dirname(c[1]), c[2], 'dirname(' .. c[1] .. ')')
end
for _, c in ipairs({ { '/a/b/', 'b' }, { '', '.' }, { '/', '/' }, { 'x', 'x' } }) do
    T.eq(file.basename(c[1]), c[2], 'basename(' .. c[1] .. ')')
end

-- 7: readlink
do
    sh('ln -s ' .. p .. ' ' .. root .. '/link')
    T.same({ p }, file.readlink(root .. '/link'))
    T.fails('Invalid argument', file.readlink(p))
    T.fails('No such file or directory', file.readlink(root .. '/nolink'))
    os.remove(root .. '/link')
end

-- 17: mkdir
do
    T.raises('invalid mode', file.mkdir, root .. '/neg', -1)
    T.same({ true }, file.mkdir(root .. '/m'))
    T.fails('File exists', file.mkdir(root .. '/m'))
    T.same({ true }, file.mkdir(root .. '/m700', 448))
    T.eq(file.stat(root .. '/m700').mode, 448, 'mkdir mode')
    T.fails('No such file or directory', file.mkdir(root .. '/x/y/z'))
end

-- chown (left unchanged where uid/gid is missing or not a number)
do
    local st = file.stat(p)
    T.same({ true }, file.chown(p))
    T.same({ true }, file.chown(p, st.uid, st.gid))
    T.same({ true }, file.chown(p, 1234))
    T.eq(file.stat(p).uid, 1234, 'chown uid')
    T.eq(file.stat(p).gid, st.gid, 'chown keeps gid')
    T.same({ true }, file.chown(p, 'x', 4321))
    T.eq(file.stat(p).uid, 1234, 'chown non-number uid unchanged')
    T.eq(file.stat(p).gid, 4321, 'chown gid')
    T.same({ true }, file.chown(p, st.uid, st.gid))
    T.fails('No such file or directory', file.chown('/nonexistent', 0, 0))
end

-- sync returns nothing
T.nret(0, file.sync())

-- 8: dir
local tree = root .. '/tree'
sh(string.format('mkdir -p %s/a %s/b && echo 1 > %s/a/one.txt && echo 2 > %s/b/two.txt && ln -s %s/missing %s/dangling',
    tree, tree, tree, tree, tree, tree))
do
    local seen = {}
    for name, info in file.dir(tree) do seen[name] = info end
    T.eq(seen.a and seen.a.type, 'DIR', '8: a is DIR')
    T.eq(seen.b and seen.b.type, 'DIR', '8: b is DIR')
    T.eq(seen.dangling and seen.dangling.type, 'LNK', '8: dangling symlink is LNK')
    T.eq(seen['.'], nil, '8: no .')
    T.eq(seen['..'], nil, '8: no ..')
    local n = 0
    for _ in file.dir(root .. '/missing') do n = n + 1 end
    T.eq(n, 0, '8: missing path iterates zero times')
    T.nret(4, file.dir(tree))
    -- leaving the loop early closes the directory (no fd left behind); collect first so that
    -- handles dropped above (e.g. by T.nret) are not closed by a GC in the middle of the count
    collectgarbage('collect')
    collectgarbage('collect')
    local before = et.fd_count()
    for _ = 1, 50 do
        for _ in file.dir(tree) do break end
    end
    T.eq(et.fd_count(), before, '8: breaking out of dir closes the handle')
    -- a symlink to a directory is described as the directory
    sh('ln -s ' .. tree .. '/a ' .. tree .. '/alink')
    local info
    for name, i in file.dir(tree) do if name == 'alink' then info = i end end
    T.eq(info and info.type, 'DIR', 'dir follows symlinks')
    os.remove(tree .. '/alink')
end

-- 9 / 10: walk
do
    local visited = {}
    file.walk(tree, function(path, name, info)
        visited[path] = info.type
        T.eq(file.basename(path), name, '9: name is the last component')
    end)
    T.eq(visited[tree .. '/a'], 'DIR', '9: visits a')
    T.eq(visited[tree .. '/a/one.txt'], 'REG', '9: visits a/one.txt')
    T.eq(visited[tree .. '/b'], 'DIR', '9: visits b')
    T.eq(visited[tree .. '/b/two.txt'], 'REG', '9: visits b/two.txt')
    -- pre-order: a directory comes before its children
    local order = {}
    file.walk(tree .. '/', function(path) order[#order + 1] = path end)
    local pos = {}
    for i, v in ipairs(order) do pos[v] = i end
    T.ok(pos[tree .. '/a'] < pos[tree .. '/a/one.txt'], '9: pre-order')

    visited = {}
    file.walk(tree, function(path, name)
        visited[path] = true
        if name == 'b' then return file.SKIP end
    end)
    T.ok(visited[tree .. '/b'], '9: b visited')
    T.eq(visited[tree .. '/b/two.txt'], nil, '9: SKIP prevents descending into b')
    T.ok(visited[tree .. '/a/one.txt'], '9: a still descended')

    local calls = 0
    T.nret(0, file.walk(tree, function() calls = calls + 1; return false end))
    T.eq(calls, 1, '9: false stops the whole walk')

    T.raises('root path must be a string', file.walk, false, function() end)
    T.raises('root path must be a string', file.walk, nil, function() end)
end

-- Reads of regular files never wait for readiness, so they work outside coroutines too (under
-- stock lua5.4 this is the main thread; under the interpreter the main chunk is a coroutine).
do
    local f = T.ok(file.open(p))
    T.same({ 'hello' }, f:read('l'))
    T.same({ 'world\n' }, f:read('L'))
    T.same({ 'ta' }, f:readfull(2))
    T.same({ 'il', true }, f:readuntil('\n'))
    T.fails('eof', f:read(1))
    f:close()
end

T.go(function()
    -- 11: file object
    local fp = root .. '/obj.txt'
    local f = T.ok(file.open(fp, file.O_RDWR | file.O_CREAT | file.O_TRUNC, file.S_IRUSR | file.S_IWUSR))
    T.eq(math.type(f.fd), 'integer', 'f.fd')
    T.same({ 13 }, f:write('abcdef\nline2\n'))
    T.eq(f:stat().size, 13, '11: stat().size')
    T.eq(f:stat().type, 'REG', 'stat().type')
    T.eq(f:stat().mode, 384, '11: mode S_IRUSR|S_IWUSR')
    T.same({ 0 }, f:lseek(0, file.SEEK_SET))
    T.same({ 'abcdef' }, f:read(6))
    T.same({ '\n' }, f:read(1))
    T.same({ 'line2' }, f:read('*l'))
    T.fails('eof', f:read('l'))
    T.same({ 0 }, f:lseek(0, file.SEEK_SET))
    T.same({ 'ab', true }, f:readuntil('cd'))
    T.same({ 'ef\nl' }, f:readfull(4))
    T.same({ 'ine2\n' }, f:read('a'))
    T.same({ 13 }, f:lseek(0, file.SEEK_END))
    T.same({ 3 }, f:write('end'))
    T.same({ 10 }, f:lseek(-6, file.SEEK_CUR))
    T.same({ 'e2\nend' }, f:read('a'))
    T.fails('Invalid argument', f:lseek(-1, file.SEEK_SET))
    T.fails('Invalid argument', f:lseek(0, 7))
    -- lseek does not discard bytes the reader already buffered
    T.same({ 0 }, f:lseek(0, file.SEEK_SET))
    T.same({ 'abcdef' }, f:read('l'))
    T.same({ 0 }, f:lseek(0, file.SEEK_SET))
    T.same({ 'line2' }, f:read('l')) -- buffered bytes come first after lseek

    -- 13: close twice; read/write after close
    local fd = f.fd
    f:close()
    T.eq(f.fd, -1, '13: fd is -1 after close')
    T.nret(0, f:close())
    T.fails('Bad file descriptor', f:read(1))
    T.fails('Bad file descriptor', f:write('x'))
    T.fails('Bad file descriptor', file.close(fd))

    -- open failures and argument checks
    T.fails('No such file or directory', file.open(root .. '/nope'))
    T.fails('File exists', file.open(fp, file.O_RDWR | file.O_CREAT | file.O_EXCL, 384))
    T.raises('integer', file.open, fp, 'x')
    T.raises('integer', file.open, fp, 1.5)
    T.raises('integer', file.open, fp, file.O_RDONLY, {})
    do
        local ro <close> = T.ok(file.open(fp))
        T.same({ 'abcdef\n' }, ro:read('L'))
        T.eq(type(ro:write('x')), 'nil', 'write on a read-only file fails')
    end

    -- 13: an unreachable file object closes its fd
    local g = T.ok(file.open(fp))
    local gfd = g.fd
    T.ok(et.fd_open(gfd), 'fd open')
    g = nil -- luacheck: ignore
    T.full_gc()
    T.fails('Bad file descriptor', file.close(gfd))

    -- <close> closes
    local cfd
    do
        local c <close> = T.ok(file.open(fp))
        cfd = c.fd
    end
    T.fails('Bad file descriptor', file.close(cfd))

    -- close cancels a pending read on a fifo
    sh('mkfifo ' .. root .. '/fifo2')
    local ff = T.ok(file.open(root .. '/fifo2', file.O_RDWR))
    local result
    eco.run(function() result = table.pack(ff:read(1, 5)) end)
    eco.sleep(0.05)
    T.eq(result, nil, 'reader is waiting')
    ff:close()
    T.wait_until(function() return result end, 5, 'the canceled read')
    T.same({ nil, 'canceled' }, T.unpack(result))
    -- a fifo read with a timeout
    local ff2 = T.ok(file.open(root .. '/fifo2', file.O_RDWR))
    T.fails('timeout', ff2:read(1, 0.05))
    T.same({ 3 }, ff2:write('xyz'))
    T.same({ 'xyz' }, ff2:read(10, 1))
    ff2:close()

    -- native lseek / close / flock (16)
    local rawfd = T.ok(require('eco.internal.file').open(fp))
    T.same({ 5 }, file.lseek(rawfd, 5, file.SEEK_SET))
    T.same({ true }, file.flock(rawfd, file.LOCK_SH))
    T.same({ true }, file.flock(rawfd, file.LOCK_UN))
    local ok, errno = file.flock(rawfd, 99)
    T.eq(ok, nil, '16: bad op fails')
    T.eq(math.type(errno), 'integer', '16: flock failure returns an integer')
    T.eq(errno, 22, '16: EINVAL')
    T.same({ true }, file.close(rawfd))
    T.fails('Bad file descriptor', file.close(rawfd))
    local nok, nerr = file.flock(rawfd, file.LOCK_EX)
    T.eq(nok, nil, '16: flock on a closed fd')
    T.eq(nerr, 9, '16: EBADF as a number')
    T.fails('Bad file descriptor', file.lseek(rawfd, 0, file.SEEK_SET))

    -- No fd leak: open and close many files (objects, natives, dir iterations).
    T.full_gc()
    local base = et.fd_count()
    for i = 1, 2000 do
        local h = assert(file.open(fp))
        if i % 2 == 0 then h:close() end
        local n = assert(file.open(fp, file.O_RDONLY))
        file.close(n.fd)
        n.fd = -1
        for _ in file.dir(tree) do end
    end
    T.full_gc()
    T.eq(et.fd_count(), base, 'fd count back where it started after 6000 opens')
end)

sh('rm -rf ' .. root)
print('ok')
