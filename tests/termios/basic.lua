-- eco.termios on pseudo-terminals this test opens (termios.openpty): every item of the behaviour
-- checklist of docs/termios.md (1-10), the effect of the attributes on the line (canonical vs raw
-- input, echo, flush, flow control), and the extensions (tcdrain, outq, inq, openpty, make_raw,
-- get_flag, get_cc). The constant values are compared with the system headers and Python's termios
-- module in constants.lua; socat.lua talks to a fake modem over a socat pty pair.
local eco = require 'eco'
local T = require 'testlib'
local termios = require 'eco.termios'
local et = require 'ecotest'

-- The libc text of ENOTTY: glibc and musl word it differently.
local function is_enotty(msg)
    return msg == 'Inappropriate ioctl for device' or msg == 'Not a tty'
end
local EBADF = 'Bad file descriptor'
local EINVAL = 'Invalid argument'

local function fails_enotty(what, ...)
    T.eq(select('#', ...), 2, what .. ': two values')
    local v, msg = ...
    T.eq(v, nil, what)
    T.ok(is_enotty(msg), what .. ': ENOTTY text expected, got ' .. tostring(msg))
end

-- 1: every constant of the spec exists and is an integer; the x86-64/ARM values.
local spec_names = {
    'TCSANOW', 'TCSADRAIN', 'TCSAFLUSH',
    'IGNBRK', 'BRKINT', 'IGNPAR', 'PARMRK', 'INPCK', 'ISTRIP', 'INLCR', 'IGNCR', 'ICRNL', 'IUCLC',
    'IXON', 'IXANY', 'IXOFF', 'IMAXBEL', 'IUTF8',
    'OPOST', 'OLCUC', 'ONLCR', 'OCRNL', 'ONOCR', 'ONLRET', 'OFILL', 'OFDEL', 'NLDLY', 'CRDLY',
    'TABDLY', 'BSDLY', 'VTDLY', 'FFDLY',
    'CBAUD', 'CBAUDEX', 'CSIZE', 'CSTOPB', 'CREAD', 'PARENB', 'PARODD', 'HUPCL', 'CLOCAL', 'CIBAUD',
    'CMSPAR', 'CRTSCTS',
    'ISIG', 'ICANON', 'XCASE', 'ECHO', 'ECHOE', 'ECHOK', 'ECHONL', 'NOFLSH', 'TOSTOP', 'ECHOCTL',
    'ECHOPRT', 'ECHOKE', 'FLUSHO', 'PENDIN', 'IEXTEN',
    'VINTR', 'VQUIT', 'VERASE', 'VKILL', 'VEOF', 'VTIME', 'VMIN', 'VSTART', 'VSTOP', 'VSUSP', 'VEOL',
    'VREPRINT', 'VDISCARD', 'VWERASE', 'VLNEXT', 'VEOL2',
    'B0', 'B50', 'B75', 'B110', 'B134', 'B150', 'B200', 'B300', 'B600', 'B1200', 'B1800', 'B2400',
    'B4800', 'B9600', 'B19200', 'B38400', 'B57600', 'B115200', 'B230400',
    'TCIFLUSH', 'TCOFLUSH', 'TCIOFLUSH', 'TCOOFF', 'TCOON', 'TCIOFF', 'TCION',
}
for _, k in ipairs(spec_names) do
    T.eq(math.type(termios[k]), 'integer', 'math.type(termios.' .. k .. ')')
end
T.eq(#spec_names, 101, 'names in the spec table')

local arch = T.capture('uname -m'):gsub('%s+$', '')
if arch == 'x86_64' or arch == 'aarch64' then
    T.eq(termios.B115200, 4098, 'B115200')
    T.eq(termios.VMIN, 6, 'VMIN')
    T.eq(termios.VTIME, 5, 'VTIME')
    T.eq(termios.ECHO, 8, 'ECHO')
    T.eq(termios.TCSANOW, 0, 'TCSANOW')
    -- The whole reference table of the spec (Linux generic values).
    local generic = {
        TCSANOW = 0, TCSADRAIN = 1, TCSAFLUSH = 2,
        IGNBRK = 0x1, BRKINT = 0x2, IGNPAR = 0x4, PARMRK = 0x8, INPCK = 0x10, ISTRIP = 0x20,
        INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100, IUCLC = 0x200, IXON = 0x400, IXANY = 0x800,
        IXOFF = 0x1000, IMAXBEL = 0x2000, IUTF8 = 0x4000,
        OPOST = 0x1, OLCUC = 0x2, ONLCR = 0x4, OCRNL = 0x8, ONOCR = 0x10, ONLRET = 0x20,
        OFILL = 0x40, OFDEL = 0x80, NLDLY = 0x100, CRDLY = 0x600, TABDLY = 0x1800, BSDLY = 0x2000,
        VTDLY = 0x4000, FFDLY = 0x8000,
        CBAUD = 0x100f, CBAUDEX = 0x1000, CSIZE = 0x30, CSTOPB = 0x40, CREAD = 0x80, PARENB = 0x100,
        PARODD = 0x200, HUPCL = 0x400, CLOCAL = 0x800, CIBAUD = 0x100f0000, CMSPAR = 0x40000000,
        CRTSCTS = 0x80000000,
        ISIG = 0x1, ICANON = 0x2, XCASE = 0x4, ECHO = 0x8, ECHOE = 0x10, ECHOK = 0x20, ECHONL = 0x40,
        NOFLSH = 0x80, TOSTOP = 0x100, ECHOCTL = 0x200, ECHOPRT = 0x400, ECHOKE = 0x800,
        FLUSHO = 0x1000, PENDIN = 0x4000, IEXTEN = 0x8000,
        VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSTART = 8,
        VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13, VWERASE = 14, VLNEXT = 15,
        VEOL2 = 16,
        B0 = 0, B50 = 1, B75 = 2, B110 = 3, B134 = 4, B150 = 5, B200 = 6, B300 = 7, B600 = 8,
        B1200 = 9, B1800 = 10, B2400 = 11, B4800 = 12, B9600 = 13, B19200 = 14, B38400 = 15,
        B57600 = 0x1001, B115200 = 0x1002, B230400 = 0x1003,
        TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2, TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3,
    }
    local n = 0
    for k, v in pairs(generic) do
        T.eq(termios[k], v, 'termios.' .. k)
        n = n + 1
    end
    T.eq(n, #spec_names, 'every spec constant has its generic value')
    -- Extensions.
    T.eq(termios.CS5, 0, 'CS5')
    T.eq(termios.CS8, 0x30, 'CS8')
    T.eq(termios.NCCS, 32, 'NCCS')
    T.eq(termios.B460800, 0x1004, 'B460800')
    T.eq(termios.B4000000, 0x100f, 'B4000000')
else
    error('this test knows the reference values for x86_64 and aarch64 only, not ' .. arch)
end

-- 10 and argument errors: raised, before anything happens.
T.raises('number expected', termios.tcgetattr)
T.raises('number expected', termios.tcgetattr, 'x')
T.raises('number has no integer representation', termios.tcgetattr, 1.5)
T.raises('number expected', termios.tcsetattr, 'x', termios.TCSANOW, {})
T.raises('number expected', termios.tcflush, {}, termios.TCIFLUSH)
T.raises('number expected', termios.tcflow, 0, nil)
T.raises('number expected', termios.tcdrain, 'x')
T.raises('number expected', termios.outq, nil)

-- 2: not a tty, closed or impossible descriptors.
do
    local r, w = et.pipe()
    fails_enotty('tcgetattr(pipe)', termios.tcgetattr(r))
    fails_enotty('tcgetattr(pipe write end)', termios.tcgetattr(w))
    local path = et.tmpfile('x')
    local ffd = et.open(path, 'r')
    fails_enotty('tcgetattr(regular file)', termios.tcgetattr(ffd))
    -- 9 (non-tty half)
    fails_enotty('tcflush(pipe)', termios.tcflush(r, termios.TCIOFLUSH))
    fails_enotty('tcflow(pipe)', termios.tcflow(w, termios.TCOON))
    fails_enotty('tcdrain(pipe)', termios.tcdrain(w))
    fails_enotty('outq(pipe)', termios.outq(w))
    fails_enotty('inq(pipe)', termios.inq(r))
    fails_enotty('inq(file)', termios.inq(ffd))
    et.close(r)
    et.close(w)
    et.close(ffd)
    os.remove(path)
    -- Closed descriptors (the numbers were just freed) and numbers that cannot be descriptors.
    T.fails(EBADF, termios.tcgetattr(r))
    T.fails(EBADF, termios.tcgetattr(-1))
    T.fails(EBADF, termios.tcgetattr(1 << 40))
    T.fails(EBADF, termios.tcflush(r, termios.TCIOFLUSH))
    T.fails(EBADF, termios.tcflow(r, termios.TCOON))
    T.fails(EBADF, termios.tcdrain(r))
    T.fails(EBADF, termios.outq(-5))
end

T.go(function()
    local base_fds = et.fd_count()

    -- openpty: two descriptors and the slave's path.
    local m, s, name = termios.openpty()
    T.eq(math.type(m), 'integer', 'master fd')
    T.eq(math.type(s), 'integer', 'slave fd')
    T.ok(m ~= s, 'distinct descriptors')
    T.ok(name:match('^/dev/pts/%d+$'), 'slave path: ' .. tostring(name))
    T.eq(et.fd_count(), base_fds + 2, 'openpty opened two descriptors')

    -- 3: tcgetattr gives an object; set_speed(B9600) -> true; applied and re-read.
    local a = termios.tcgetattr(s)
    T.eq(type(a), 'userdata', 'tcgetattr(pty)')
    local orig = a:clone()
    T.same({ true }, a:set_speed(termios.B9600))
    T.eq(a:get_ospeed(), termios.B9600, 'get_ospeed after set_speed')
    T.eq(a:get_ispeed(), termios.B9600, 'get_ispeed after set_speed')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, a))
    T.eq(termios.tcgetattr(s):get_ospeed(), termios.B9600, 're-read ospeed')
    T.eq(termios.tcgetattr(s):get_ispeed(), termios.B9600, 're-read ispeed')
    -- The master shares the line's attributes.
    T.eq(termios.tcgetattr(m):get_ospeed(), termios.B9600, 'ospeed seen from the master')
    -- Another speed, from the other setters (and not the pty default 38400).
    local b = termios.tcgetattr(s)
    T.same({ true }, b:set_ospeed(termios.B115200))
    T.same({ true }, b:set_ispeed(termios.B115200))
    T.eq(b:get_ospeed(), termios.B115200, 'set_ospeed')
    T.same({ true }, termios.tcsetattr(s, termios.TCSADRAIN, b))
    T.eq(termios.tcgetattr(s):get_ospeed(), termios.B115200, 'TCSADRAIN applied')
    T.same({ true }, termios.tcsetattr(s, termios.TCSAFLUSH, a))
    T.eq(termios.tcgetattr(s):get_ospeed(), termios.B9600, 'TCSAFLUSH applied')
    -- A speed above the spec's list (extension).
    T.same({ true }, b:set_speed(termios.B921600))
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, b))
    T.eq(termios.tcgetattr(s):get_ospeed(), termios.B921600, 'B921600 applied')

    -- Linux C libraries keep one speed: cfsetispeed of a non-zero code sets the output speed too
    -- (glibc and musl alike); cfsetispeed(B0) means "input = output" (glibc reports 0 for it,
    -- musl the output speed).
    do
        local sp = termios.tcgetattr(s)
        T.same({ true }, sp:set_ospeed(termios.B9600))
        T.same({ true }, sp:set_ispeed(termios.B1200))
        T.eq(sp:get_ispeed(), termios.B1200, 'ispeed after set_ispeed')
        T.eq(sp:get_ospeed(), termios.B1200, 'set_ispeed moved the output speed too')
        T.same({ true }, sp:set_ospeed(termios.B4800))
        T.same({ true }, sp:set_ispeed(termios.B0))
        T.eq(sp:get_ospeed(), termios.B4800, 'set_ispeed(B0) keeps the output speed')
        local is = sp:get_ispeed()
        T.ok(is == 0 or is == termios.B4800, 'ispeed after set_ispeed(B0): ' .. is)
        T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, sp))
        local rd = termios.tcgetattr(s)
        T.eq(rd:get_ospeed(), termios.B4800, 're-read ospeed')
        T.eq(rd:get_ispeed(), termios.B4800, 'input speed = output speed on the line')
    end

    -- 4: a value that is not a B* code.
    local c = termios.tcgetattr(s)
    local c_speed = c:get_ospeed()
    T.fails(EINVAL, c:set_speed(123456))
    T.fails(EINVAL, c:set_ispeed(123456))
    T.fails(EINVAL, c:set_ospeed(9600))
    T.fails(EINVAL, c:set_speed(-1))
    T.eq(c:get_ospeed(), c_speed, 'a refused speed changes nothing')
    T.raises('number expected', c.set_speed, c, 'fast')

    -- tcsetattr: an unknown action fails with EINVAL, a non-tty with ENOTTY.
    T.fails(EINVAL, termios.tcsetattr(s, 99, c))
    T.fails(EBADF, termios.tcsetattr(-1, termios.TCSANOW, c))
    do
        local r, w = et.pipe()
        fails_enotty('tcsetattr(pipe)', termios.tcsetattr(w, termios.TCSANOW, c))
        et.close(r)
        et.close(w)
    end

    -- 10: the attr argument must be an attr object.
    T.raises('bad argument #3', termios.tcsetattr, s, termios.TCSANOW, {})
    T.raises('termios attr expected, got table', termios.tcsetattr, s, termios.TCSANOW, {})
    T.raises('got no value', termios.tcsetattr, s, termios.TCSANOW)
    T.raises('got nil', termios.tcsetattr, s, termios.TCSANOW, nil)
    T.raises('got userdata', termios.tcsetattr, s, termios.TCSANOW, io.stdout)
    T.raises('number expected', termios.tcsetattr, s, 'now', c)

    -- Restore the original, and check the round trip is exact.
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, orig))
    local back = termios.tcgetattr(s)
    for _, k in ipairs({ 'i', 'o', 'c', 'l' }) do
        T.eq(back:get_flag(k), orig:get_flag(k), 'restored flag field ' .. k)
    end
    for i = 0, termios.NCCS - 1 do
        T.eq(back:get_cc(i), orig:get_cc(i), 'restored c_cc[' .. i .. ']')
    end

    -- 5: clone is independent; applying the clone clears ECHO on the line.
    local base = termios.tcgetattr(s)
    T.ok(base:get_flag('l') & termios.ECHO ~= 0, 'a new pty echoes')
    local noecho = base:clone()
    T.same({}, noecho:clr_flag('l', termios.ECHO))
    T.eq(noecho:get_flag('l') & termios.ECHO, 0, 'ECHO cleared on the clone')
    T.ok(base:get_flag('l') & termios.ECHO ~= 0, 'the original keeps ECHO')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, noecho))
    T.eq(termios.tcgetattr(s):get_flag('l') & termios.ECHO, 0, 'ECHO cleared on the line')
    -- a clone of a clone, edited, leaves both alone
    local c2 = noecho:clone()
    c2:set_flag('l', termios.ECHO)
    T.eq(noecho:get_flag('l') & termios.ECHO, 0, 'clone of clone is independent')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, base))
    T.ok(termios.tcgetattr(s):get_flag('l') & termios.ECHO ~= 0, 'ECHO back on the line')

    -- 6: the kind is chosen by its first character; anything else raises.
    local k = base:clone()
    T.raises('invalid type', k.set_flag, k, 'x', 1)
    T.raises('invalid type', k.set_flag, k, '', 1)
    T.raises('invalid type', k.clr_flag, k, 'Input', 1)
    T.raises('invalid type', k.get_flag, k, 'z')
    T.raises('string expected', k.set_flag, k, nil, 1)
    T.raises('number expected', k.set_flag, k, 'i', 'x')
    T.raises('bad argument', k.set_flag, {}, 'i', 1)
    local before = { i = k:get_flag('i'), o = k:get_flag('o'), c = k:get_flag('c'), l = k:get_flag('l') }
    k:clr_flag('i', termios.IXON)
    T.eq(k:get_flag('i'), before.i & ~termios.IXON, 'clr_flag i')
    T.same({}, k:set_flag('input', termios.IXON))
    T.eq(k:get_flag('i'), before.i | termios.IXON, "set_flag('input') modifies c_iflag")
    T.eq(k:get_flag('o'), before.o, 'c_oflag untouched')
    T.eq(k:get_flag('c'), before.c, 'c_cflag untouched')
    T.eq(k:get_flag('l'), before.l, 'c_lflag untouched')
    k:set_flag('output', termios.OCRNL)
    T.eq(k:get_flag('o'), before.o | termios.OCRNL, "set_flag('output')")
    k:set_flag('cflag', termios.CSTOPB)
    T.eq(k:get_flag('c'), before.c | termios.CSTOPB, "set_flag('cflag')")
    k:clr_flag('local', termios.ECHO)
    T.eq(k:get_flag('l'), before.l & ~termios.ECHO, "clr_flag('local')")
    -- the flags reach the line
    k:clr_flag('i', termios.IXON)
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, k))
    local kr = termios.tcgetattr(s)
    T.eq(kr:get_flag('i') & termios.IXON, 0, 'IXON cleared on the line')
    T.eq(kr:get_flag('o') & termios.OCRNL, termios.OCRNL, 'OCRNL set on the line')
    T.eq(kr:get_flag('c') & termios.CSTOPB, termios.CSTOPB, 'CSTOPB set on the line')
    -- flags nix has no name for (IUCLC, XCASE, OFILL) survive the whole path
    local odd = base:clone()
    odd:set_flag('i', termios.IUCLC)
    odd:set_flag('l', termios.XCASE)
    odd:set_flag('o', termios.OFILL)
    T.same({ true }, odd:set_speed(termios.B1200))
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, odd))
    local oddr = termios.tcgetattr(s)
    T.eq(oddr:get_flag('i') & termios.IUCLC, termios.IUCLC, 'IUCLC kept')
    T.eq(oddr:get_flag('l') & termios.XCASE, termios.XCASE, 'XCASE kept')
    T.eq(oddr:get_flag('o') & termios.OFILL, termios.OFILL, 'OFILL kept')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, base))

    -- 7 and 8: set_cc bounds, no return values, reflected after apply/re-read.
    local cc = base:clone()
    T.raises('invalid cc name', cc.set_cc, cc, -1, 0)
    T.raises('invalid cc name', cc.set_cc, cc, 32, 0)
    T.raises('invalid cc name', cc.set_cc, cc, termios.NCCS, 0)
    T.raises('invalid cc name', cc.get_cc, cc, -1)
    T.raises('number expected', cc.set_cc, cc, 'VMIN', 1)
    T.same({}, cc:set_cc(termios.VMIN, 1))
    T.same({}, cc:set_cc(termios.VTIME, 7))
    T.same({}, cc:set_cc(termios.VEOF, 0x104)) -- truncated to a byte
    T.eq(cc:get_cc(termios.VEOF), 4, 'value truncated to a byte')
    T.same({}, cc:set_cc(31, 9)) -- beyond the kernel's 19: kept in the object only
    T.eq(cc:get_cc(31), 9, 'c_cc[31] in the object')
    T.eq(base:get_cc(termios.VTIME) ~= 7, true, 'the original keeps its VTIME')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, cc))
    local ccr = termios.tcgetattr(s)
    T.eq(ccr:get_cc(termios.VMIN), 1, 'VMIN re-read')
    T.eq(ccr:get_cc(termios.VTIME), 7, 'VTIME re-read')
    T.same({}, cc:set_cc(termios.VMIN, 5))
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, cc))
    T.eq(termios.tcgetattr(s):get_cc(termios.VMIN), 5, 'VMIN 5 re-read')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, base))

    -- The attributes act on the line. Reads and writes go through eco.reader/eco.writer.
    local mr, mw = eco.reader(m), eco.writer(m)
    local sr, sw = eco.reader(s), eco.writer(s)

    -- Canonical mode: a line without its newline is not delivered; echo comes back.
    T.same({ 3 }, mw:write('abc'))
    T.fails('timeout', sr:read(3, 0.15))
    T.same({ 'abc' }, mr:read(3, 1)) -- the echo
    T.same({ 1 }, mw:write('\n'))
    T.same({ 'abc\n' }, sr:read('L', 1))
    T.same({ '\r\n' }, mr:read(2, 1)) -- echo of the newline, through ONLCR

    -- Raw mode (make_raw: cfmakeraw): bytes are delivered at once, no echo, no CR/LF mapping.
    local raw = base:clone()
    T.same({}, raw:make_raw())
    T.eq(raw:get_flag('l') & (termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN), 0,
        'make_raw clears ICANON, ECHO, ISIG, IEXTEN')
    T.eq(raw:get_flag('o') & termios.OPOST, 0, 'make_raw clears OPOST')
    T.eq(raw:get_flag('i') & (termios.ICRNL | termios.IXON), 0, 'make_raw clears ICRNL, IXON')
    T.eq(raw:get_flag('c') & termios.CSIZE, termios.CS8, 'make_raw sets CS8')
    T.eq(raw:get_cc(termios.VMIN), 1, 'make_raw VMIN')
    T.eq(raw:get_cc(termios.VTIME), 0, 'make_raw VTIME')
    T.ok(base:get_flag('l') & termios.ICANON ~= 0, 'make_raw on a clone leaves the original')
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, raw))
    T.same({ 4 }, mw:write('ab\rc'))
    T.same({ 'ab\rc' }, sr:read(4, 1))
    T.fails('timeout', mr:read(1, 0.1)) -- no echo
    T.same({ 2 }, sw:write('x\n'))
    T.same({ 'x\n' }, mr:read(2, 1)) -- no ONLCR

    -- inq / outq (extensions): bytes waiting on the slave's input; a pty never queues output.
    T.same({ 0 }, termios.inq(s))
    T.same({ 0 }, termios.outq(s))
    T.same({ 5 }, mw:write('12345'))
    T.wait_until(function() return termios.inq(s) == 5 end, 2, 'inq == 5')
    T.same({ 0 }, termios.outq(m))

    -- 9: tcflush discards the unread input and returns true.
    T.same({ true }, termios.tcflush(s, termios.TCIOFLUSH))
    T.same({ 0 }, termios.inq(s))
    T.fails('timeout', sr:read(1, 0.1))
    T.same({ 2 }, mw:write('zz'))
    T.wait_until(function() return termios.inq(s) == 2 end, 2, 'inq == 2')
    T.same({ true }, termios.tcflush(s, termios.TCIFLUSH))
    T.fails('timeout', sr:read(1, 0.1))
    T.same({ true }, termios.tcflush(s, termios.TCOFLUSH))
    T.fails(EINVAL, termios.tcflush(s, 42))

    -- 9: tcflow. TCOOFF stops the slave's output: a write waits (on the loop, not in the
    -- kernel) until TCOON.
    T.same({ true }, termios.tcflow(s, termios.TCOOFF))
    local wrote
    eco.run(function() wrote = table.pack(sw:write('held', 2)) end)
    T.fails('timeout', mr:read(4, 0.15))
    T.eq(wrote, nil, 'the write waits while output is stopped')
    T.same({ true }, termios.tcflow(s, termios.TCOON))
    T.same({ 'held' }, mr:read(4, 1))
    T.wait_until(function() return wrote end, 1, 'the write to finish')
    T.same({ 4 }, T.unpack(wrote))
    T.same({ true }, termios.tcflow(s, termios.TCION))
    T.same({ true }, termios.tcflow(s, termios.TCIOFF))
    T.fails(EINVAL, termios.tcflow(s, 42))

    -- tcdrain (extension): a pty has no output queue, it returns at once, with or without a
    -- timeout, and without yielding.
    T.same({ true }, termios.tcdrain(s))
    T.same({ true }, termios.tcdrain(s, 0.5))
    T.same({ true }, termios.tcdrain(m, 0))
    local t0 = T.now()
    local co = coroutine.create(function() return termios.tcdrain(s, 1) end)
    T.same({ true, true }, coroutine.resume(co))
    T.ok(T.now() - t0 < 0.5, 'tcdrain on a pty is immediate')

    -- tcdrain's wait for a queue that empties over time. A pty never queues output, so the
    -- queue is simulated through termios.outq (which tcdrain looks up at each call): it drains
    -- at 300 bit/s 8N1 in 0.3 s. tcdrain sleeps on the loop (another coroutine ticks meanwhile),
    -- at most 50 ms between looks.
    do
        local slow = base:clone()
        T.same({ true }, slow:set_speed(termios.B300))
        slow:clr_flag('c', termios.CSIZE | termios.PARENB | termios.CSTOPB)
        slow:set_flag('c', termios.CS8)
        T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, slow))
        local real_outq = termios.outq
        local calls, gaps, last = 0, {}, nil
        local function queue_until(t_end)
            return function(fd)
                T.eq(fd, s, 'outq asked for the right descriptor')
                local now = T.now()
                if last then gaps[#gaps + 1] = now - last end
                last = now
                calls = calls + 1
                return math.max(0, math.ceil((t_end - now) * 30))
            end
        end
        local ticks = 0
        local ticking = true
        eco.run(function()
            while ticking do
                eco.sleep(0.01)
                ticks = ticks + 1
            end
        end)
        local t1 = T.now()
        termios.outq = queue_until(t1 + 0.3)
        T.same({ true }, termios.tcdrain(s))
        local took = T.now() - t1
        T.between(took, 0.3, 1.5, 'tcdrain waited for the queue')
        T.ok(calls >= 4, 'the queue was polled: ' .. calls)
        for i, g in ipairs(gaps) do T.between(g, 0.0005, 0.5, 'gap ' .. i .. ' between looks') end
        T.ok(ticks >= 10, 'the loop ran during the wait: ' .. ticks)

        -- A deadline before the queue empties: "timeout", on time.
        calls, gaps, last = 0, {}, nil
        local t2 = T.now()
        termios.outq = queue_until(t2 + 5)
        T.fails('timeout', termios.tcdrain(s, 0.2))
        T.between(T.now() - t2, 0.2, 1, 'tcdrain timeout')
        -- A non-numeric or non-positive timeout is no timeout.
        local t3 = T.now()
        termios.outq = queue_until(t3 + 0.15)
        T.same({ true }, termios.tcdrain(s, 'soon'))
        termios.outq = queue_until(T.now() + 0.1)
        T.same({ true }, termios.tcdrain(s, -1))
        -- An error while polling is returned as is.
        termios.outq = function() return nil, 'Input/output error' end
        T.fails('Input/output error', termios.tcdrain(s, 1))
        termios.outq = real_outq
        ticking = false
        T.wait_until(function() return ticks > 0 and not ticking end, 1, 'ticker')
        eco.sleep(0.02)
        T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, base))
    end

    -- Closing the slave: the master sees EIO (Linux pty) on read, tcgetattr on the closed number
    -- fails with EBADF.
    T.same({ true }, termios.tcsetattr(s, termios.TCSANOW, orig))
    et.close(s)
    T.fails(EBADF, termios.tcgetattr(s))
    et.close(m)
    T.eq(et.fd_count(), base_fds, 'no descriptor leaked')
end)
