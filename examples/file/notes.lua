-- eco.file: a locked read-modify-write, a walk, and an inotify watcher.
-- Run: eco examples/file/notes.lua   (or lua5.4 with the modules on LUA_CPATH/LUA_PATH)
local eco = require 'eco'
local file = require 'eco.file'

local dir = os.tmpname()
os.remove(dir)
assert(file.mkdir(dir))
local notes = dir .. '/notes.txt'

eco.run(function()
    assert(file.writefile(notes, 'first\nsecond\n'))

    local f <close> = assert(file.open(notes, file.O_RDWR))
    assert(f:flock(file.LOCK_EX, 2))         -- waits up to 2 s for other processes
    print(f:read('l'))                        --> first
    f:lseek(0, file.SEEK_END)
    f:write('third\n')
    f:flock(file.LOCK_UN)

    local w <close> = assert(file.inotify())
    w:add(dir, file.IN_CREATE | file.IN_CLOSE_WRITE)
    eco.run(function()
        eco.sleep(0.1)
        file.writefile(dir .. '/new.txt', 'hello')
    end)
    local ev = assert(w:wait(5))
    print('event', ev.name, ev.mask & file.IN_CREATE ~= 0 and 'IN_CREATE' or ev.mask)

    file.walk(dir, function(path, name, info)
        print(info.type, info.size, path)
    end)

    os.execute('rm -rf ' .. dir)
end)

eco.loop()
