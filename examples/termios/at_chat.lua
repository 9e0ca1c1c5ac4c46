-- eco.termios: send AT commands to a modem on a serial port and print its answers.
-- Run: eco examples/termios/at_chat.lua /dev/ttyUSB2 [115200] [AT ATI AT+CSQ ...]
--      eco examples/termios/at_chat.lua --fake [AT ATI ...]   (a fake modem on a pseudo-terminal)
-- (or lua5.4 with the modules on LUA_CPATH/LUA_PATH). See docs/termios.md.
local eco = require 'eco'
local termios = require 'eco.termios'
local file = require 'eco.file'

local device, baud = arg[1], 115200
if not device then
    io.stderr:write('usage: at_chat.lua DEVICE|--fake [BAUD] [COMMAND...]\n')
    os.exit(2)
end
local first_cmd = 2
if arg[2] and arg[2]:match('^%d+$') then
    baud = tonumber(arg[2])
    first_cmd = 3
end
local speed = termios['B' .. baud]
if not speed then
    io.stderr:write('unsupported speed ' .. baud .. '\n')
    os.exit(2)
end
local commands = { table.unpack(arg, first_cmd) }
if #commands == 0 then commands = { 'AT', 'ATI', 'AT+CSQ' } end

--- A fake modem on the master side of a pseudo-terminal: answers until the slave is closed.
local function fake_modem(master)
    local rd, wr = eco.reader(master), eco.writer(master)
    local answers = {
        AT = { 'OK' }, ATI = { 'eco fake modem', 'OK' }, ['AT+CSQ'] = { '+CSQ: 23,99', 'OK' },
    }
    local pending = ''
    while true do
        local data = rd:read(256)
        if not data then break end -- EIO once the slave side is closed
        pending = pending .. data
        for cmd in pending:gmatch('([^\r]*)\r') do
            for _, line in ipairs(answers[cmd:upper()] or { 'ERROR' }) do
                wr:write('\r\n' .. line .. '\r\n')
            end
        end
        pending = pending:match('[^\r]*$')
    end
    file.close(master)
end

--- Sends one command and returns the answer lines up to OK/ERROR, or nil, err.
local function at(port, cmd, timeout)
    assert(port:write(cmd .. '\r'))
    local lines = {}
    while true do
        local line, err = port:read('l', timeout)
        if not line then return nil, err, lines end
        if line ~= '' and line ~= cmd then -- skip blank lines and the modem's echo
            lines[#lines + 1] = line
            if line == 'OK' or line:match('ERROR') then return lines end
        end
    end
end

eco.run(function()
    local path, master, slave = device, nil, nil
    if device == '--fake' then
        master, slave, path = assert(termios.openpty())
        print('fake modem on ' .. path)
    end

    local port <close> = assert(file.open(path, file.O_RDWR | file.O_NOCTTY))
    if master then
        -- (the pty stays while one side of it is open: close openpty's slave only now)
        file.close(slave)
        eco.run(fake_modem, master)
    end
    local saved = assert(termios.tcgetattr(port.fd))

    -- raw 8N1, no flow control, reads return as soon as a byte is there
    local raw = saved:clone()
    raw:make_raw()
    raw:clr_flag('c', termios.CSTOPB | termios.CRTSCTS)
    raw:set_flag('c', termios.CREAD | termios.CLOCAL)
    raw:clr_flag('i', termios.IXON | termios.IXOFF)
    assert(raw:set_speed(speed))
    assert(termios.tcsetattr(port.fd, termios.TCSANOW, raw))
    assert(termios.tcflush(port.fd, termios.TCIOFLUSH))

    for _, cmd in ipairs(commands) do
        local lines, err = at(port, cmd, 3)
        if lines then
            print(cmd .. ' -> ' .. table.concat(lines, ' | '))
        else
            print(cmd .. ' -> ' .. err)
        end
    end

    assert(termios.tcdrain(port.fd, 2))
    termios.tcsetattr(port.fd, termios.TCSANOW, saved)
end)

eco.loop()
