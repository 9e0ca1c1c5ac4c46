--- eco.net: ICMP echo ("ping") helpers (spec/net.md).
-- One echo request over an unprivileged ping socket (`socket.icmp()` / `socket.icmp6()`), one
-- receive, the round-trip time in seconds. Host names are resolved with `eco.dns`.
--
-- `eco.socket`, `eco.dns` and `eco.time` functions are looked up in their module tables at call
-- time (tests may wrap them). The socket is closed before returning.
local socket = require 'eco.socket'
local dns = require 'eco.dns'
local time = require 'eco.time'
local packet = require 'eco.packet'

local M = {}

local ICMP_ECHO, ICMP_ECHOREPLY = 8, 0
local ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY = 128, 129

--- The address to ping: `host` itself when it is a literal of the wanted family, else the
-- first DNS answer of the wanted type.
local function resolve(host, v6, opts)
    if type(host) == 'string' then
        if v6 and socket.is_ipv6_address(host) or not v6 and socket.is_ipv4_address(host) then
            return host
        end
    end
    local want = v6 and dns.TYPE_AAAA or dns.TYPE_A
    local answers, err = dns.query(host, {
        type = want, mark = opts.mark, device = opts.device, nameservers = opts.nameservers,
    })
    if not answers then return nil, string.format('resolve "%s" fail: %s', tostring(host), err) end
    for _, rr in ipairs(answers) do
        if rr.type == want then return rr.address end
    end
    return nil, string.format('resolve "%s" fail: not found', tostring(host))
end

-- `luaL_checklstring` with the public name (the DNS query would otherwise report the bad host
-- as its own argument).
local function check_host(fname, host)
    local t = type(host)
    if t ~= 'string' and t ~= 'number' then
        error(string.format("bad argument #1 to '%s' (string expected, got %s)", fname, t), 3)
    end
end

local function ping(host, opts, v6)
    opts = type(opts) == 'table' and opts or {}
    local ip, rerr = resolve(host, v6, opts)
    if not ip then return nil, rerr end

    local s, err = (v6 and socket.icmp6 or socket.icmp)()
    if not s then return nil, err end
    if opts.device ~= nil then pcall(s.setoption, s, 'bindtodevice', opts.device) end
    if opts.mark ~= nil then pcall(s.setoption, s, 'mark', opts.mark) end

    -- the bound "port" of a ping socket is the ICMP identifier; the result is not checked (if
    -- the id is taken, the kernel picks one at send time and getsockname tells which)
    local id = math.random(0, 65535)
    pcall(s.bind, s, nil, id)

    -- id 0 and checksum 0: the kernel fills both in on a ping socket
    local payload = opts.data or 'hello'
    local pkt = v6 and packet.icmp6(ICMPV6_ECHO_REQUEST, 0, 0, 1, payload)
        or packet.icmp(ICMP_ECHO, 0, 0, 1, payload)
    local ok, serr = s:sendto(pkt, ip, 0)
    if not ok then
        s:close()
        return nil, serr
    end
    local bound = s:getsockname()
    if type(bound) == 'table' and math.type(bound.port) == 'integer' then id = bound.port end
    local start = time.now()

    local data, recv_err = s:recvfrom(1024, opts.timeout or 5.0)
    local stop = time.now()
    s:close()
    if not data then return nil, recv_err end

    local reply, perr = (v6 and packet.from_icmp6 or packet.from_icmp)(data)
    if not reply then return nil, perr end
    if reply.type ~= (v6 and ICMPV6_ECHO_REPLY or ICMP_ECHOREPLY) then
        return nil, 'unexpected type ICMP ' .. reply.type
    end
    local rid = reply.id
    if rid ~= id then
        return nil, string.format('unexpected icmp id: got %d, expected %d', rid, id)
    end
    return math.max(0, stop - start)
end

--- ICMP echo to an IPv4 host; returns the round-trip time in seconds or nil, err.
-- @tparam string host IPv4 literal or name (A record)
-- @tparam[opt] table opts `timeout` (5.0), `data` ('hello'), `mark`, `device`, `nameservers`
function M.ping(host, opts)
    check_host('ping', host)
    return ping(host, opts, false)
end

--- ICMPv6 echo to an IPv6 host; like `ping` with AAAA records.
function M.ping6(host, opts)
    check_host('ping6', host)
    return ping(host, opts, true)
end

return M
