-- eco.dns against fake servers written here with eco.socket (issue 6; spec/dns.md):
-- a truncated UDP reply answered again over TCP, a nameserver that never answers, and a hostile
-- server (wrong ids, replies from the wrong port, garbage bytes, compression-pointer loops,
-- counts that lie) giving a clean failure each time.
local T = require 'testlib'
local ecotest = require 'ecotest'
local eco = require 'eco'
local socket = require 'eco.socket'
local sync = require 'eco.sync'
local dns = require 'eco.dns'

local function parse_q(q)
    local id = string.unpack('>I2', q)
    local i, labels = 13, {}
    while q:byte(i) and q:byte(i) ~= 0 do
        local n = q:byte(i)
        labels[#labels + 1] = q:sub(i + 1, i + n)
        i = i + n + 1
    end
    return id, labels[1], q:sub(13, i + 4)
end

local function msg(id, flags, qd, an, question, body)
    return string.pack('>I2I2I2I2I2I2', id, flags, qd, an, 0, 0) .. question .. (body or '')
end

local function a_rr(b4) return string.pack('>I2I2I2I4s2', 0xC00C, 1, 1, 60, b4) end

local many = {}
for i = 1, 100 do many[i] = a_rr(string.char(192, 0, 2, i)) end
many = table.concat(many)

-- Replies by mode (the first label of the query name). Each returns a list of
-- { data, via } where via is 'main' (the queried socket) or 'other' (another port).
local modes = {
    ok = function(id, q) return { { msg(id, 0x8180, 1, 1, q, a_rr('\192\0\2\1')) } } end,
    tc = function(id, q) return { { msg(id, 0x8380, 1, 0, q) } } end,
    wrongid = function(id, q)
        return {
            { msg(id ~ 1, 0x8180, 1, 1, q, a_rr('\6\6\6\6')) },
            { msg(id, 0x8180, 1, 1, q, a_rr('\6\6\6\7')), 'other' },
            { '' },
            { msg(id, 0x8180, 1, 1, q, a_rr('\192\0\2\1')) },
        }
    end,
    noise = function(id, q)
        return {
            { msg(id ~ 0x8000, 0x8180, 1, 1, q, a_rr('\6\6\6\6')) },
            { '' }, { '\1' },
            { string.pack('>I2', id ~ 0xff) .. string.rep('\255', 40) },
            { msg(id, 0x8180, 1, 1, q, a_rr('\6\6\6\7')), 'other' },
        }
    end,
    short = function(id) return { { string.pack('>I2', id) .. 'xyz' } } end,
    garbage = function(id) return { { msg(id, 0x8180, 1, 0, string.rep('\255', 30)) } } end,
    ptrloop = function(id, q)
        local off = 12 + #q
        return { { msg(id, 0x8180, 1, 1, q,
            string.pack('>I2I2I2I4s2', 0xC000 | off, 1, 1, 60, '\1\2\3\4')) } }
    end,
    cnameloop = function(id, q)
        local rdata_off = 12 + #q + 12
        return { { msg(id, 0x8180, 1, 1, q,
            string.pack('>I2I2I2I4s2', 0xC00C, 5, 1, 60, string.pack('>I2', 0xC000 | rdata_off))) } }
    end,
    lies = function(id, q) return { { msg(id, 0x8180, 1, 50, q, a_rr('\1\2\3\4')) } } end,
    liesmany = function(id, q) return { { msg(id, 0x8180, 1, 65535, q, many) } } end,
    rdlen = function(id, q)
        return { { msg(id, 0x8180, 1, 1, q, string.pack('>I2I2I2I4I2', 0xC00C, 1, 1, 60, 400) .. '\1\2\3\4') } }
    end,
    noquestion = function(id) return { { msg(id, 0x8180, 0, 0, '') } } end,
    huge = function(id, q)
        return { { msg(id, 0x8180, 1, 1, q, a_rr('\192\0\2\9')) .. string.rep('\0', 3000) } }
    end,
}

-- TCP answers for truncated replies, by mode.
local tcp_modes = {
    tc = function(id, q) return string.pack('>s2', msg(id, 0x8180, 1, 100, q, many)) end,
    tcshort = function() return '\255\255abc' end,           -- announces 65535, sends 3, closes
    tcwrongid = function(id, q) return string.pack('>s2', msg(id ~ 1, 0x8180, 1, 0, q)) end,
    tctc = function(id, q) return string.pack('>s2', msg(id, 0x8380, 1, 0, q)) end,
}
modes.tcshort, modes.tcwrongid, modes.tctc, modes.tcnolisten = modes.tc, modes.tc, modes.tc, modes.tc

--- Starts a fake server on 127.0.0.1: UDP (and TCP on the same port unless `no_tcp`).
local function server(no_tcp)
    -- The TCP listener must share the UDP port number; that number may be taken for TCP (an
    -- earlier test's connection in TIME_WAIT, another process), so retry with fresh ports.
    local udp, port, tcp
    for _ = 1, 50 do
        udp = assert(socket.listen_udp('127.0.0.1', 0))
        port = udp:getsockname().port
        if no_tcp then break end
        tcp = socket.listen_tcp('127.0.0.1', port, { reuseaddr = true })
        if tcp then break end
        udp:close()
    end
    assert(no_tcp or tcp, 'no port free for both UDP and TCP')
    local other = assert(socket.listen_udp('127.0.0.1', 0))
    local srv = { port = port, queries = 0 }
    eco.run(function()
        while true do
            local q, from = udp:recvfrom(4096)
            if not q then break end
            srv.queries = srv.queries + 1
            local id, mode, question = parse_q(q)
            for _, r in ipairs(modes[mode](id, question)) do
                local s = r[2] == 'other' and other or udp
                s:sendto(r[1], from.ipaddr, from.port)
            end
        end
    end)
    if tcp then
        eco.run(function()
            while true do
                local c = tcp:accept()
                if not c then break end
                srv.tcp_queries = (srv.tcp_queries or 0) + 1
                local hdr = c:readfull(2, 5)
                local q = hdr and c:readfull(string.unpack('>I2', hdr), 5)
                if q then
                    local id, mode, question = parse_q(q)
                    c:send(tcp_modes[mode](id, question))
                end
                c:close()
            end
        end)
    end
    function srv.close()
        udp:close()
        other:close()
        if tcp then tcp:close() end
    end
    return srv
end

T.go(function()
    dns._files.hosts = '/nonexistent/hosts'
    dns._files.resolv = '/nonexistent/resolv.conf'
    local fds = ecotest.fd_count()
    local srv = server()
    local bare = server(true)
    local function q(mode, s, typ)
        return dns.query(mode .. '.hostile', { nameservers = { { '127.0.0.1', (s or srv).port } }, type = typ })
    end

    local r = T.nret(1, q('ok'))
    T.eq(r[1].address, '192.0.2.1')

    -- truncated over UDP => asked again over TCP, full answer (100 records, > 512 bytes)
    r = T.nret(1, q('tc'))
    T.eq(#r, 100)
    T.eq(r[1].address, '192.0.2.1'); T.eq(r[100].address, '192.0.2.100')
    T.eq(srv.tcp_queries, 1)
    -- the TCP retry failing in every way => 'truncated' or the parse error of the TCP reply
    T.fails('truncated', q('tcnolisten', bare))
    T.fails('truncated', q('tcshort'))
    T.fails('transaction ID mismatch', q('tcwrongid'))
    T.fails('truncated', q('tctc'))

    -- wrong id, wrong source port and an empty datagram are ignored; the right reply is taken
    r = T.nret(1, q('wrongid'))
    T.eq(#r, 1); T.eq(r[1].address, '192.0.2.1')

    -- malformed replies with the right id: a clean failure each
    T.fails('malformed response', q('short'))
    T.fails('malformed question section', q('garbage'))
    T.fails('malformed name', q('ptrloop'))
    T.fails('malformed cname', q('cnameloop'))
    T.fails('malformed name', q('lies'))
    T.fails('malformed name', q('liesmany'))
    T.fails('malformed resource record data', q('rdlen'))
    T.fails('unexpected number of questions: 0', q('noquestion'))
    -- a datagram larger than 512 bytes with trailing junk: the answer section parses
    r = q('huge')
    T.eq(r[1].address, '192.0.2.9')

    -- waits of 5 s, run side by side: only ignorable noise, and a server that never reads (16)
    local silent = assert(socket.listen_udp('127.0.0.1', 0))
    local silent_port = silent:getsockname().port
    local wg = sync.waitgroup()
    local results = {}
    local t0 = T.now()
    wg:add(2)
    eco.run(function()
        results.noise = table.pack(q('noise'))
        wg:done()
    end)
    eco.run(function()
        results.silent = table.pack(dns.query('x.hostile', { nameservers = { { '127.0.0.1', silent_port } } }))
        wg:done()
    end)
    wg:wait()
    T.between(T.now() - t0, 4.5, 15, 'fixed 5 s receive timeout')
    T.same({ nil, string.format('recv from "127.0.0.1:%d" fail: timeout', srv.port), n = 2 },
        T.unpack(results.noise))
    T.same({ nil, string.format('recv from "127.0.0.1:%d" fail: timeout', silent_port), n = 2 },
        T.unpack(results.silent))
    silent:close()

    -- the server kept serving throughout (no query crashed anything)
    T.eq(q('ok')[1].address, '192.0.2.1')
    srv.close()
    bare.close()
    eco.sleep(0.05)
    T.eq(ecotest.fd_count(), fds)
end)
