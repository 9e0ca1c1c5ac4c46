-- eco.ssh: runs a command on a host and copies a file there and back.
-- Run: eco examples/ssh/remote.lua HOST-IP USER PASSWORD [COMMAND]
local eco = require 'eco'
local ssh = require 'eco.ssh'

local host, user, password, cmd = arg[1], arg[2], arg[3], arg[4] or 'uname -a'
if not (host and user and password) then
    io.stderr:write('usage: remote.lua HOST-IP USER PASSWORD [COMMAND]\n')
    os.exit(2)
end

eco.run(function()
    local s <close>, err = ssh.new(host, 22, user, password)
    if not s then
        io.stderr:write('ssh: ', err, '\n')
        return
    end

    local out, code, sig = s:exec(cmd, 10)
    if not out then
        io.stderr:write('exec: ', code, '\n')
        return
    end
    io.write(out)
    print(('-- exit %d%s'):format(code, sig and (' (signal ' .. sig .. ')') or ''))

    local path = '/tmp/eco-ssh-example.txt'
    assert(s:scp_send('written by eco.ssh\n', path))
    io.write('-- read back: ', assert(s:scp_recv(path)))
    s:exec('rm -f ' .. path)
end)
eco.loop()
