-- eco.dns against a real server: Debian's dnsmasq on 127.0.0.1 with a free port, its records
-- given on the command line, no upstream (issue 6; spec/dns.md checklist items in comments).
-- Also 1,000 queries in flight at once from 1,000 coroutines, all answered.
local T = require 'testlib'
local ecotest = require 'ecotest'
local eco = require 'eco'
local socket = require 'eco.socket'
local sync = require 'eco.sync'
local sys = require 'eco.sys'
local dns = require 'eco.dns'

T.ok(os.execute('command -v dnsmasq >/dev/null 2>&1'),
    'dnsmasq is missing: apt-get install dnsmasq (it is in .ci/run)')

--- A port free for both UDP and TCP on 127.0.0.1.
local function free_port()
    for _ = 1, 20 do
        local u = assert(socket.listen_udp('127.0.0.1', 0))
        local port = u:getsockname().port
        local t = socket.listen_tcp('127.0.0.1', port, { reuseaddr = true })
        u:close()
        if t then
            t:close()
            return port
        end
    end
    error('no free port')
end

T.go(function()
    local port = free_port()
    -- The 1,000-query test below holds dnsmasq stopped while every query is sent, so its socket
    -- must queue 1,000 datagrams: dnsmasq's socket takes net.core.rmem_default when created,
    -- raised for its start only (tests run as root), then restored.
    local rf = assert(io.open('/proc/sys/net/core/rmem_default'))
    local rmem = rf:read('n')
    rf:close()
    T.ok(os.execute('sysctl -qw net.core.rmem_default=4194304'), 'sysctl net.core.rmem_default')
    local p = assert(sys.exec('dnsmasq', '-k', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
        '--port=' .. port, '--listen-address=127.0.0.1', '--bind-interfaces', '--pid-file=',
        '--user=root', '--local=/test/',
        '--host-record=host.test,192.0.2.11,2001:db8::11',
        '--host-record=other.lan,192.0.2.12',
        '--address=/wild.test/192.0.2.20',
        '--cname=alias.test,host.test',
        '--mx-host=mail.test,mx1.test,10',
        '--txt-record=txt.test,hello world',
        '--txt-record=multi.test,abc,de',
        '--srv-host=_sip._tcp.test,sip.test,5060,1,2',
        '--ptr-record=11.2.0.192.in-addr.arpa,host.test'))
    -- ready once its TCP listener accepts
    T.wait_until(function()
        local c = socket.connect_tcp('127.0.0.1', port)
        if c then c:close() end
        return c ~= nil
    end, 10, 'dnsmasq listening on port ' .. port)
    os.execute('sysctl -qw net.core.rmem_default=' .. math.tointeger(rmem))

    dns._files.hosts = '/nonexistent/hosts'
    dns._files.resolv = '/nonexistent/resolv.conf'
    local ns = { { '127.0.0.1', port } }
    local function q(name, typ, opts)
        opts = opts or {}
        opts.nameservers = opts.nameservers or ns
        opts.type = typ
        return dns.query(name, opts)
    end

    -- A (19)
    local r = T.nret(1, q('host.test'))
    T.eq(#r, 1)
    T.eq(r[1].type, dns.TYPE_A); T.eq(r[1].address, '192.0.2.11'); T.eq(r[1].name, 'host.test')
    T.eq(r[1].class, 1); T.eq(r[1].section, 1); T.eq(math.type(r[1].ttl), 'integer')
    T.eq(q('a.wild.test')[1].address, '192.0.2.20')
    T.eq(q('HOST.test')[1].address, '192.0.2.11')

    -- AAAA
    r = q('host.test', dns.TYPE_AAAA)
    T.eq(#r, 1); T.eq(r[1].type, 28); T.eq(r[1].address, '2001:db8::11')

    -- CNAME followed by the A record (wire order, mixed types)
    r = q('alias.test')
    T.eq(#r, 2)
    T.eq(r[1].type, dns.TYPE_CNAME); T.eq(r[1].name, 'alias.test'); T.eq(r[1].cname, 'host.test')
    T.eq(r[2].type, dns.TYPE_A); T.eq(r[2].name, 'host.test'); T.eq(r[2].address, '192.0.2.11')

    -- MX
    r = q('mail.test', dns.TYPE_MX)
    T.eq(#r, 1); T.eq(r[1].type, 15); T.eq(r[1].preference, 10); T.eq(r[1].exchange, 'mx1.test')

    -- TXT (20: one string => string, several => array)
    r = q('txt.test', dns.TYPE_TXT)
    T.eq(r[1].type, 16); T.eq(r[1].txt, 'hello world')
    r = q('multi.test', dns.TYPE_TXT)
    T.eq(type(r[1].txt), 'table'); T.eq(r[1].txt[1], 'abc'); T.eq(r[1].txt[2], 'de')

    -- SRV
    r = q('_sip._tcp.test', dns.TYPE_SRV)
    T.eq(#r, 1); T.eq(r[1].type, 33)
    T.eq(r[1].priority, 1); T.eq(r[1].weight, 2); T.eq(r[1].port, 5060); T.eq(r[1].target, 'sip.test')

    -- PTR
    r = q('11.2.0.192.in-addr.arpa', dns.TYPE_PTR)
    T.eq(#r, 1); T.eq(r[1].type, 12); T.eq(r[1].ptrdname, 'host.test')

    -- NXDOMAIN (17), and an existing name without records of the type: empty answer
    T.fails('name error', q('nope.test'))
    T.same({}, table.unpack(q('mail.test', dns.TYPE_AAAA)))

    -- 9: no_recurse still answered (local data)
    T.eq(q('host.test', dns.TYPE_A, { no_recurse = true })[1].address, '192.0.2.11')

    -- 12: a dotless search domain from resolv.conf, with the server from resolv.conf too? The
    -- resolv.conf format has no port, so the server comes from opts here.
    local resolv = ecotest.tmpfile('search lan\nnameserver 192.0.2.53\n')
    dns._files.resolv = resolv
    T.eq(q('other')[1].address, '192.0.2.12')
    T.eq(q('other')[1].name, 'other.lan')
    os.remove(resolv)
    dns._files.resolv = '/nonexistent/resolv.conf'

    -- 8 (real peer): a dead first server (nothing listening on its UDP port) costs the 5 s timeout,
    -- then the second answers
    local dead = assert(socket.listen_udp('127.0.0.1', 0))
    local t0 = T.now()
    r = q('host.test', dns.TYPE_A, { nameservers = { { '127.0.0.1', dead:getsockname().port }, ns[1] } })
    T.eq(r[1].address, '192.0.2.11')
    T.between(T.now() - t0, 4.5, 15, 'first server timeout')
    dead:close()

    -- 1,000 queries in flight at once from 1,000 coroutines, all answered
    local fds = ecotest.fd_count()
    local wg = sync.waitgroup()
    local answered, errors = 0, {}
    local in_flight, max_in_flight = 0, 0
    -- dnsmasq is stopped until every coroutine has sent its query and is waiting for the reply
    T.ok(p:signal(sys.SIGSTOP or 19))             -- SIGSTOP (not in spec constants)
    local gate, waiting = sync.cond(), 0
    for i = 1, 1000 do
        wg:add(1)
        eco.run(function()
            waiting = waiting + 1
            gate:wait()                 -- all start together once the 1,000 exist
            in_flight = in_flight + 1
            local name = (i % 2 == 0) and 'host.test' or 'alias.test'
            local res, err = q(name)
            in_flight = in_flight - 1
            if res and res[#res].address == '192.0.2.11' then
                answered = answered + 1
            else
                errors[#errors + 1] = tostring(err)
            end
            wg:done()
        end)
    end
    T.eq(waiting, 1000)
    t0 = T.now()
    gate:broadcast()
    T.wait_until(function() return in_flight == 1000 end, 20, '1,000 queries sent')
    max_in_flight = in_flight
    T.ok(p:signal(sys.SIGCONT))
    wg:wait()
    local took = T.now() - t0
    io.stderr:write(string.format('dns: 1000 concurrent queries answered in %.3f s (max in flight %d)\n',
        took, max_in_flight))
    T.eq(#errors, 0, 'errors: ' .. table.concat(errors, '; ', 1, math.min(#errors, 5)))
    T.eq(answered, 1000)
    T.eq(max_in_flight, 1000)
    T.eq(ecotest.fd_count(), fds)                               -- every query socket closed

    p:kill()
    p:wait(5)
    p:close()
end)
