-- Helpers for tests/mqtt: raw MQTT packets, a fake broker (an eco.socket server scripted by the
-- test) and a real Debian `mosquitto` broker on 127.0.0.1 with a free port, started in the
-- background (bounded by timeout(1)) and killed at the end. A missing mosquitto fails loudly.
local eco = require 'eco'
local socket = require 'eco.socket'

local Q = {}

local T = require 'testlib'
local sh_quote, capture = T.sh_quote, T.capture

--- Remaining-length varint.
function Q.varint(n)
    local out = {}
    repeat
        local b = n % 128
        n = n // 128
        if n > 0 then b = b | 0x80 end
        out[#out + 1] = string.char(b)
    until n == 0
    return table.concat(out)
end

--- A raw packet from its first byte and body.
function Q.pkt(first, body)
    body = body or ''
    return string.char(first) .. Q.varint(#body) .. body
end

function Q.u16(n) return string.char(n >> 8, n & 0xff) end
function Q.str(s) return Q.u16(#s) .. s end

function Q.connack(sp, rc) return Q.pkt(0x20, string.char(sp or 0, rc or 0)) end
function Q.publish(topic, payload, qos, mid, flags)
    local first = 0x30 | ((qos or 0) << 1) | (flags or 0)
    return Q.pkt(first, Q.str(topic) .. ((qos or 0) > 0 and Q.u16(mid) or '') .. (payload or ''))
end

--- Reads one packet on the broker side: first_byte, body | nil, err.
function Q.read(c, timeout)
    local b, err = c:readfull(1, timeout or 10)
    if not b then return nil, err end
    local len, mult = 0, 1
    for _ = 1, 4 do
        local x = c:readfull(1, 5)
        if not x then return nil, 'short' end
        x = x:byte()
        len = len + (x & 127) * mult
        mult = mult * 128
        if x < 128 then break end
    end
    local body = ''
    if len > 0 then
        body, err = c:readfull(len, 5)
        if not body then return nil, err end
    end
    return b:byte(), body
end

--- Parses the u16 at `pos` of `s`.
function Q.get16(s, pos) return (s:byte(pos) << 8) | s:byte(pos + 1) end

--- A fake broker: listens on 127.0.0.1, runs `script(conn, connect_body)` for the first client
-- (after reading its CONNECT) in a coroutine. Returns port, state; `state.done` is set at the
-- end and `state.err` holds a script failure. The listener and connection are closed afterwards.
function Q.fake(script)
    local srv = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
    local port = srv:getsockname().port
    local state = {}
    eco.run(function()
        local c = srv:accept(10)
        srv:close()
        if not c then
            state.err = 'no client'
            state.done = true
            return
        end
        local first, body = Q.read(c)
        if first ~= 0x10 then
            state.err = 'expected CONNECT, got ' .. tostring(first)
        else
            state.connect = body
            local ok, err = pcall(script, c, body)
            if not ok then state.err = err end
        end
        c:close()
        state.done = true
    end)
    return port, state
end

--- A port free on 127.0.0.1 (TCP).
function Q.free_port()
    local s = assert(socket.listen_tcp('127.0.0.1', 0, { reuseaddr = true }))
    local port = s:getsockname().port
    s:close()
    return port
end

local function find(cmd)
    for _, dir in ipairs({ '/usr/sbin/', '/usr/bin/', '/sbin/', '/bin/' }) do
        local f = io.open(dir .. cmd)
        if f then
            f:close()
            return dir .. cmd
        end
    end
end

Q.MOSQUITTO = find('mosquitto')
Q.MOSQUITTO_PASSWD = find('mosquitto_passwd')
Q.MOSQUITTO_PUB = find('mosquitto_pub')
Q.MOSQUITTO_SUB = find('mosquitto_sub')
if not (Q.MOSQUITTO and Q.MOSQUITTO_PASSWD and Q.MOSQUITTO_PUB and Q.MOSQUITTO_SUB) then
    io.stderr:write('FAIL: mosquitto is missing (apt-get install mosquitto mosquitto-clients; it is in .ci/run)\n')
    os.exit(1)
end

--- A fresh temp dir, removed by Q.cleanup().
Q.tmpdir = T.tmpdir
Q.cleanup = T.remove_tmpdirs

--- Starts mosquitto with a config written to a temp dir. `o.port` (default: a free one),
-- `o.passwd` = { user = password } for a password file, `o.extra` = config lines,
-- `o.persistence` = dir. Returns a broker object { port, stop = fn }. Needs a coroutine.
function Q.broker(o)
    o = o or {}
    local dir = o.dir or Q.tmpdir()
    local port = o.port or Q.free_port()
    -- Running as root, mosquitto would drop to the `mosquitto` user: stay root so it can read
    -- the temp dir (ignored when not root).
    local conf = { 'user root', 'listener ' .. port .. ' 127.0.0.1' }
    if o.passwd then
        local first = true
        for user, pass in pairs(o.passwd) do
            assert(os.execute(string.format('%s -b %s %s %s >/dev/null 2>&1', Q.MOSQUITTO_PASSWD,
                first and '-c' or '', sh_quote(dir .. '/passwd'), sh_quote(user) .. ' ' .. sh_quote(pass))),
                'mosquitto_passwd failed')
            first = false
        end
        conf[#conf + 1] = 'allow_anonymous false'
        conf[#conf + 1] = 'password_file ' .. dir .. '/passwd'
    else
        conf[#conf + 1] = 'allow_anonymous true'
    end
    for _, l in ipairs(o.extra or {}) do conf[#conf + 1] = l end
    local f = assert(io.open(dir .. '/mosquitto.conf', 'w'))
    f:write(table.concat(conf, '\n'), '\n')
    f:close()
    local pidfile = dir .. '/pid'
    os.remove(pidfile)
    -- Background, bounded; the shell records its pid, then execs timeout(1), which forwards a
    -- SIGTERM to the broker.
    local inner = string.format('echo $$ > %s; exec timeout -s KILL %d %s -c %s',
        sh_quote(pidfile), o.lifetime or 120, Q.MOSQUITTO, sh_quote(dir .. '/mosquitto.conf'))
    local cmd = string.format('sh -c %s >%s 2>&1 &', sh_quote(inner), sh_quote(dir .. '/log'))
    assert(os.execute(cmd), 'cannot start mosquitto')
    local b = { port = port, dir = dir }
    local deadline = os.time() + 10
    while true do
        local c = socket.connect_tcp('127.0.0.1', port)
        if c then
            c:close()
            break
        end
        if os.time() > deadline then
            error('mosquitto did not start: ' .. capture('cat ' .. sh_quote(dir .. '/log')))
        end
        eco.sleep(0.05)
    end
    local pf = assert(io.open(pidfile))
    b.pid = assert(math.tointeger(pf:read('n')))
    pf:close()
    function b.stop()
        if b.stopped then return end
        b.stopped = true
        os.execute(string.format('kill -TERM %d 2>/dev/null', b.pid))
        local dl = os.time() + 10
        -- wait until the port is free again
        while true do
            local c = socket.connect_tcp('127.0.0.1', port)
            if not c then break end
            c:close()
            if os.time() > dl then error('mosquitto (pid ' .. b.pid .. ') did not stop') end
            eco.sleep(0.05)
        end
    end
    function b.log() return capture('cat ' .. sh_quote(dir .. '/log')) end
    return b
end

Q.capture = capture
Q.q = sh_quote

return Q
