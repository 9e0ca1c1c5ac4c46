-- eco.termios on a linked pty pair made by socat (started here, killed at the end): the port side
-- is configured (speed, raw mode, VMIN/VTIME, flow control, parity) and checked with
-- `stty -F <dev> -a`; stty's own changes are read back with tcgetattr; AT-command lines are
-- exchanged with a fake modem coroutine on the other end (echo switched by the modem's ATE0/ATE1
-- through its own tty attributes), reads carry timeouts. Needs socat and stty (coreutils).
local eco = require 'eco'
local T = require 'testlib'
local termios = require 'eco.termios'
local file = require 'eco.file'
local sys = require 'eco.sys'

local socat = T.capture('command -v socat'):gsub('%s+$', '')
T.ok(socat ~= '', 'socat is missing: apt-get install socat')
local stty = T.capture('command -v stty'):gsub('%s+$', '')
T.ok(stty ~= '', 'stty (coreutils) is missing')

local dir = T.tmpdir()
local A, B = dir .. '/A', dir .. '/B'

local function exists(path)
    local f = io.open(path)
    if f then f:close() end
    return f ~= nil
end

--- `stty -F dev -a` as a set of words, and the speed it reports.
local function stty_a(dev)
    local out, err = sys.sh({ stty, '-F', dev, '-a' }, 10)
    T.ok(out and out:match('speed'), 'stty -F ' .. dev .. ' -a failed: ' .. tostring(out) .. tostring(err))
    local words = {}
    for w in out:gmatch('[^%s;]+') do words[w] = true end
    local cc = {}
    for name, v in out:gmatch('(%w+) = ([^;]+);') do cc[name] = v end
    return words, tonumber(out:match('speed (%d+) baud')), cc, out
end

local function has(words, list, out)
    for w in list:gmatch('%S+') do
        T.ok(words[w], 'stty shows ' .. w .. ' in:\n' .. tostring(out))
    end
end

--- Reads up to `needle` (consumed, not returned) looping over readuntil's partial chunks.
local function read_until(f, needle, timeout)
    local parts = {}
    while true do
        local chunk, found = f:readuntil(needle, timeout)
        if not chunk then return nil, found end
        parts[#parts + 1] = chunk
        if found then return table.concat(parts) end
    end
end

-- The fake modem: raw 8N1 on its side, commands end with CR, answers "\r\n<text>\r\n".
-- ATE0/ATE1 switch the echo of its tty (the kernel echoes, as a modem's firmware would).
local function modem(path, log)
    local port = assert(file.open(path, file.O_RDWR | file.O_NOCTTY))
    local saved = assert(termios.tcgetattr(port.fd))
    local raw = saved:clone()
    raw:make_raw()
    raw:clr_flag('l', termios.ECHOCTL)
    assert(raw:set_speed(termios.B9600))
    assert(termios.tcsetattr(port.fd, termios.TCSANOW, raw))
    local function reply(...)
        for _, line in ipairs({ ... }) do assert(port:write('\r\n' .. line .. '\r\n')) end
    end
    while true do
        local cmd, err = read_until(port, '\r', 10)
        if not cmd then
            log[#log + 1] = 'modem read: ' .. err
            break
        end
        log[#log + 1] = cmd
        cmd = cmd:upper()
        if cmd == 'AT' then
            reply('OK')
        elseif cmd == 'ATI' then
            reply('EcoModem 1.0', 'OK')
        elseif cmd == 'AT+CSQ' then
            reply('+CSQ: 23,99', 'OK')
        elseif cmd == 'ATE0' or cmd == 'ATE1' then
            local a = assert(termios.tcgetattr(port.fd))
            if cmd == 'ATE1' then a:set_flag('l', termios.ECHO) else a:clr_flag('l', termios.ECHO) end
            assert(termios.tcsetattr(port.fd, termios.TCSADRAIN, a))
            reply('OK')
        elseif cmd == 'AT+SILENT' then
            -- no answer: the client's read times out
        elseif cmd == 'ATH' then
            reply('OK')
            break
        else
            reply('ERROR')
        end
    end
    assert(termios.tcsetattr(port.fd, termios.TCSANOW, saved))
    port:close()
end

T.go(function()
    local p = assert(sys.exec(socat, '-d', '-d', 'pty,raw,echo=0,link=' .. A, 'pty,raw,echo=0,link=' .. B))
    T.wait_until(function() return exists(A) and exists(B) end, 10, 'the socat links')

    local port = assert(file.open(A, file.O_RDWR | file.O_NOCTTY))
    local saved = assert(termios.tcgetattr(port.fd))

    -- A cooked line first (what stty calls sane-ish), checked by stty.
    local cooked = saved:clone()
    cooked:set_flag('l', termios.ICANON | termios.ECHO | termios.ISIG)
    cooked:set_flag('i', termios.ICRNL | termios.IXON)
    T.same({ true }, cooked:set_speed(termios.B2400))
    T.same({ true }, termios.tcsetattr(port.fd, termios.TCSANOW, cooked))
    local words, speed, _, out = stty_a(A)
    T.eq(speed, 2400, 'stty speed after B2400')
    has(words, 'icanon echo isig icrnl ixon', out)

    -- The usual serial set-up: raw, 9600 8N1, VMIN 1 / VTIME 0.
    local raw = saved:clone()
    raw:clr_flag('l', termios.ICANON | termios.ECHO | termios.ISIG)
    raw:clr_flag('i', termios.IXON | termios.ICRNL)
    raw:clr_flag('c', termios.CSIZE | termios.PARENB | termios.CSTOPB | termios.CRTSCTS)
    raw:set_flag('c', termios.CS8 | termios.CREAD | termios.CLOCAL)
    raw:set_cc(termios.VMIN, 1)
    raw:set_cc(termios.VTIME, 0)
    T.same({ true }, raw:set_speed(termios.B9600))
    T.same({ true }, termios.tcsetattr(port.fd, termios.TCSANOW, raw))
    T.same({ true }, termios.tcflush(port.fd, termios.TCIOFLUSH))
    local cc
    words, speed, cc, out = stty_a(A)
    T.eq(speed, 9600, 'stty speed after B9600')
    has(words, '-icanon -echo -isig -ixon -icrnl cs8 -parenb -cstopb -crtscts cread clocal', out)
    T.eq(cc.min, '1', 'stty min')
    T.eq(cc.time, '0', 'stty time')

    -- Other line settings: 115200 7E2 with RTS/CTS, VMIN 4, VTIME 2.
    local other = raw:clone()
    other:clr_flag('c', termios.CSIZE | termios.PARODD)
    other:set_flag('c', termios.CS7 | termios.PARENB | termios.CSTOPB | termios.CRTSCTS)
    other:set_cc(termios.VMIN, 4)
    other:set_cc(termios.VTIME, 2)
    T.same({ true }, other:set_speed(termios.B115200))
    T.same({ true }, termios.tcsetattr(port.fd, termios.TCSANOW, other))
    words, speed, cc, out = stty_a(A)
    T.eq(speed, 115200, 'stty speed after B115200')
    -- A pty has no UART: Linux's pty driver forces 8 data bits and no parity (and CREAD) on
    -- every tcsetattr; the stop bits and RTS/CTS are kept as given.
    has(words, 'cs8 -parenb cstopb crtscts cread', out)
    T.eq(assert(termios.tcgetattr(port.fd)):get_flag('c') & (termios.CSIZE | termios.PARENB),
        termios.CS8, 'the pty driver forced CS8, no parity')
    T.eq(cc.min, '4', 'stty min 4')
    T.eq(cc.time, '2', 'stty time 2')

    -- The other direction: stty changes the line, tcgetattr sees it.
    local o2 = sys.sh({ stty, '-F', A, '19200', '-cstopb', '-crtscts', 'ixoff', 'min', '3' }, 10)
    T.eq(o2, '', 'stty set quietly')
    local got = assert(termios.tcgetattr(port.fd))
    T.eq(got:get_ospeed(), termios.B19200, 'ospeed set by stty')
    T.eq(got:get_ispeed(), termios.B19200, 'ispeed set by stty')
    T.eq(got:get_flag('c') & (termios.CSTOPB | termios.CRTSCTS), 0, 'one stop bit, no RTS/CTS')
    T.eq(got:get_flag('i') & termios.IXOFF, termios.IXOFF, 'IXOFF set by stty')
    T.eq(got:get_cc(termios.VMIN), 3, 'VMIN set by stty')

    -- Back to raw 9600 8N1 and talk to the modem.
    T.same({ true }, termios.tcsetattr(port.fd, termios.TCSAFLUSH, raw))
    local log = {}
    local modem_done = false
    eco.run(function()
        modem(B, log)
        modem_done = true
    end)

    local echo = false
    --- Sends one command; returns the lines of the answer up to the final result code.
    local function at(cmd, timeout)
        T.same({ #cmd + 1 }, port:write(cmd .. '\r'))
        T.same({ true }, termios.tcdrain(port.fd, 1))
        if echo then
            T.same({ cmd .. '\r' }, port:readfull(#cmd + 1, 1))
        end
        local lines = {}
        while true do
            local line, err = port:read('l', timeout or 2)
            if not line then return nil, err, lines end
            if line ~= '' then
                lines[#lines + 1] = line
                if line == 'OK' or line == 'ERROR' then return lines end
            end
        end
    end

    local r = at('AT')
    T.eq(r and table.concat(r, '|'), 'OK', 'AT')
    r = at('ATI')
    T.eq(r and table.concat(r, '|'), 'EcoModem 1.0|OK', 'ATI')
    r = at('AT+CSQ')
    T.eq(r and table.concat(r, '|'), '+CSQ: 23,99|OK', 'AT+CSQ')
    r = at('AT+NOPE')
    T.eq(r and table.concat(r, '|'), 'ERROR', 'unknown command')

    -- Echo on: the modem's tty echoes each character back (its ECHO flag, seen by stty too).
    r = at('ATE1')
    T.eq(r and table.concat(r, '|'), 'OK', 'ATE1')
    words, _, _, out = stty_a(B)
    has(words, 'echo -icanon', out)
    echo = true
    r = at('AT+CSQ')
    T.eq(r and table.concat(r, '|'), '+CSQ: 23,99|OK', 'AT+CSQ with echo')
    r = at('ATE0')
    T.eq(r and table.concat(r, '|'), 'OK', 'ATE0 (echoed: echo was still on)')
    echo = false
    words, _, _, out = stty_a(B)
    has(words, '-echo', out)
    r = at('AT')
    T.eq(r and table.concat(r, '|'), 'OK', 'AT without echo')

    -- No answer: the read times out, the loop runs meanwhile, the next command still works.
    local ticks = 0
    eco.run(function()
        for _ = 1, 5 do
            eco.sleep(0.02)
            ticks = ticks + 1
        end
    end)
    local t0 = T.now()
    local res, err, partial = at('AT+SILENT', 0.3)
    T.eq(res, nil, 'no answer')
    T.eq(err, 'timeout', 'the read timed out')
    T.eq(#partial, 0, 'nothing received')
    T.between(T.now() - t0, 0.28, 2, 'timeout duration')
    T.eq(ticks, 5, 'other coroutines ran during the wait')
    r = at('AT')
    T.eq(r and table.concat(r, '|'), 'OK', 'AT after the timeout')

    -- Input queued and flushed: the modem's answer is discarded by TCIFLUSH.
    T.same({ 3 }, port:write('AT\r'))
    T.wait_until(function() return termios.inq(port.fd) == 6 end, 2, "the modem's answer queued")
    T.same({ true }, termios.tcflush(port.fd, termios.TCIFLUSH))
    T.fails('timeout', port:read(1, 0.2))

    r = at('ATH')
    T.eq(r and table.concat(r, '|'), 'OK', 'ATH')
    T.wait_until(function() return modem_done end, 5, 'the modem to hang up')
    T.eq(table.concat(log, ','), 'AT,ATI,AT+CSQ,AT+NOPE,ATE1,AT+CSQ,ATE0,AT,AT+SILENT,AT,AT,ATH',
        'commands the modem received')

    T.same({ true }, termios.tcsetattr(port.fd, termios.TCSANOW, saved))
    port:close()
    p:kill()
    local pid = p:wait(5)
    T.eq(pid, p.pid, 'socat reaped')
    p:close()
end)
T.remove_tmpdirs()
