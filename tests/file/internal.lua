-- eco.internal.file: loads, raw descriptor helpers, constants, parser bounds checks
-- (spec/internal.md checklist 1-3 for eco.internal.file).
local T = require 'testlib'
local et = require 'ecotest'

T.go(function()
    -- 1: the module loads wherever eco.file does
    local file = require 'eco.file'
    local ifile = require 'eco.internal.file'
    T.eq(type(ifile), 'table', '1: require eco.internal.file')

    for _, k in ipairs({ 'open', 'close', 'lseek', 'sync', 'mkdir', 'access', 'readlink', 'stat',
        'fstat', 'statvfs', 'chown', 'dirname', 'basename', 'flock', 'dir', 'inotify_init',
        'inotify_add_watch', 'inotify_rm_watch', 'inotify_parse_event' }) do
        T.eq(type(ifile[k]), 'function', 'internal.file.' .. k)
    end
    for _, k in ipairs({ 'O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_APPEND', 'O_CLOEXEC', 'O_CREAT', 'O_EXCL',
        'O_NOCTTY', 'O_NONBLOCK', 'O_TRUNC', 'S_IRWXU', 'S_IRUSR', 'S_IWUSR', 'S_IXUSR', 'S_IRWXG',
        'S_IRGRP', 'S_IWGRP', 'S_IXGRP', 'S_IRWXO', 'S_IROTH', 'S_IWOTH', 'S_IXOTH', 'S_ISUID', 'S_ISGID',
        'S_ISVTX', 'SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'LOCK_SH', 'LOCK_EX', 'LOCK_UN', 'IN_ACCESS',
        'IN_MODIFY', 'IN_ATTRIB', 'IN_CLOSE_WRITE', 'IN_CLOSE_NOWRITE', 'IN_CLOSE', 'IN_OPEN',
        'IN_MOVED_FROM', 'IN_MOVED_TO', 'IN_MOVE', 'IN_CREATE', 'IN_DELETE', 'IN_DELETE_SELF',
        'IN_MOVE_SELF', 'IN_ALL_EVENTS', 'IN_ISDIR' }) do
        T.eq(ifile[k], file[k], 'internal.file.' .. k .. ' equals file.' .. k)
        T.eq(math.type(ifile[k]), 'integer', 'integer ' .. k)
    end

    -- open/lseek/close on a temporary file
    local p = et.tmpfile('0123456789')
    local fd = T.ok(ifile.open(p))
    T.eq(math.type(fd), 'integer', 'open returns an fd')
    T.same({ 4 }, ifile.lseek(fd, 4, ifile.SEEK_SET))
    T.same({ '4567' }, et.read(fd, 4))
    T.same({ 10 }, ifile.lseek(fd, 0, ifile.SEEK_END))
    T.same({ true }, ifile.close(fd))
    T.same({ nil, 'No such file or directory' }, ifile.open(p .. '.missing'))
    local wfd = T.ok(ifile.open(p, ifile.O_WRONLY | ifile.O_APPEND))
    T.same({ 3 }, et.write(wfd, 'abc'))
    T.same({ true }, ifile.close(wfd))
    T.eq(ifile.stat(p).size, 13, 'appended through O_APPEND')
    local cfd = T.ok(ifile.open(p .. '.new', ifile.O_WRONLY | ifile.O_CREAT | ifile.O_EXCL, 384))
    T.eq(ifile.fstat(cfd).mode, 384, 'mode of a created file')
    T.same({ nil, 'File exists' }, ifile.open(p .. '.new', ifile.O_WRONLY | ifile.O_CREAT | ifile.O_EXCL, 384))
    T.same({ true }, ifile.close(cfd))
    os.remove(p .. '.new')

    -- 2: close works on any descriptor (a socket, a pipe); a second close fails
    local s1, s2 = et.socketpair()
    T.same({ true }, ifile.close(s1))
    T.same({ nil, 'Bad file descriptor' }, ifile.close(s1))
    T.same({ true }, ifile.close(s2))
    local r, w = et.pipe()
    T.same({ true }, ifile.close(r))
    T.same({ true }, ifile.close(w))
    T.same({ nil, 'Bad file descriptor' }, ifile.close(w))

    -- 3: parser
    T.eq(next(ifile.inotify_parse_event('')), nil, '3: empty buffer -> empty table')
    T.raises('invalid inotify event buffer', ifile.inotify_parse_event, string.rep('x', 15))

    -- dir through the internal module
    local n = 0
    for name in ifile.dir('/') do n = n + 1; T.eq(type(name), 'string', 'dir name') end
    T.ok(n > 0, 'dir / has entries')
    T.eq(ifile.dirname('/a/b'), '/a', 'dirname')

    os.remove(p)
end)

print('ok')
