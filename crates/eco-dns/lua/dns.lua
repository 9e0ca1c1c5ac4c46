--- eco.dns: stub DNS resolver (spec/dns.md).
-- IP literals, then `/etc/hosts`, then one query per nameserver (caller's list or
-- `/etc/resolv.conf`) until one returns a parseable answer.
--
-- Message building and parsing are native (`build_query`, `parse_reply`, hickory-proto with
-- explicit size limits); the socket flow is here, over `eco.socket`. Beyond the reference:
--
-- * every attempt uses a random transaction id and a fresh socket bound to port 0 (random source
--   port);
-- * a datagram that does not come from the queried server's address and port, or whose id is not
--   the query's, is ignored: the attempt keeps waiting until its 5 s timeout;
-- * a reply with the TC bit set is asked again over TCP (same server, same id, 2-byte length
--   prefix); if that fails the attempt fails with `truncated`.
--
-- Socket constructors are looked up in the `eco.socket` table at call time, so tests may wrap
-- them. `M._files` names the hosts and resolv.conf files (test hook; defaults are the real ones).
local socket = require 'eco.socket'
local native = ...

local M = {
    TYPE_A = 1, TYPE_NS = 2, TYPE_CNAME = 5, TYPE_SOA = 6, TYPE_PTR = 12, TYPE_MX = 15,
    TYPE_TXT = 16, TYPE_AAAA = 28, TYPE_SRV = 33, TYPE_SPF = 99,
    CLASS_IN = 1,
    SECTION_AN = 1, SECTION_NS = 2, SECTION_AR = 3,
}

--- Files read by the resolver (test hook).
M._files = { hosts = '/etc/hosts', resolv = '/etc/resolv.conf' }

local TIMEOUT = 5          -- per nameserver, fixed (spec 3.1)
local RECV_SIZE = 4096     -- the reference reads 512; a larger buffer only tolerates more
local AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6

local TYPE_NAMES = {
    [1] = 'A', [2] = 'NS', [5] = 'CNAME', [6] = 'SOA', [12] = 'PTR', [15] = 'MX', [16] = 'TXT',
    [28] = 'AAAA', [33] = 'SRV', [99] = 'SPF',
}

--- Name of a record type number; `'unknown'` for anything else.
function M.type_name(n)
    return TYPE_NAMES[n] or 'unknown'
end

local function is_ipv4(s) return type(s) == 'string' and socket.is_ipv4_address(s) end
local function is_ipv6(s) return type(s) == 'string' and socket.is_ipv6_address(s) end

--- Reads `path` through `parse` when its mtime (seconds) differs from the cached one.
-- Returns the cached result, or nil when the file is missing or unreadable.
local function cached(cache, path, parse)
    local mtime = native.mtime(path)
    if not mtime then return nil end
    if cache.path == path and cache.mtime == mtime then return cache.value end
    local f = io.open(path, 'r')
    if not f then return nil end
    local value = parse(f)
    f:close()
    cache.path, cache.mtime, cache.value = path, mtime, value
    return value
end

local function parse_hosts(f)
    local a, aaaa = {}, {}
    for line in f:lines() do
        if line ~= '' and line:sub(1, 1) ~= '#' then
            local ip, names = line:match('^%s*(%S+)(.*)$')
            local map = is_ipv4(ip) and a or is_ipv6(ip) and aaaa
            if map then
                for name in names:gmatch('%S+') do
                    if name:sub(1, 1) == '#' then break end
                    if map[name] == nil then map[name] = ip end
                end
            end
        end
    end
    return { [M.TYPE_A] = a, [M.TYPE_AAAA] = aaaa }
end

local function parse_resolv(f)
    local servers, search = {}, nil
    for line in f:lines() do
        local first = line:match('^%s*(%S)')
        if first and first ~= '#' and first ~= ';' then
            local ns = line:match('^%s*nameserver%s+(%S+)')
            if ns and (is_ipv4(ns) or is_ipv6(ns)) then servers[#servers + 1] = { ns, 53 } end
            -- the last `search` or `domain` line wins (resolv.conf(5)); its first domain is
            -- used only when it has no dot (docs/dns.md)
            local key, dom = line:match('^%s*(%l+)%s+(%S+)')
            if key == 'search' or key == 'domain' then
                search = not dom:find('.', 1, true) and dom or nil
            end
        end
    end
    return { servers = servers, search = search }
end

local hosts_cache, resolv_cache = {}, {}

local function resolv()
    local r = cached(resolv_cache, M._files.resolv, parse_resolv)
    local servers = r and #r.servers > 0 and r.servers or { { '127.0.0.1', 53 } }
    return servers, r and r.search
end

--- Normalises `opts.nameservers` into `{ ip, port }` pairs; raises on a bad entry (spec 3.1).
local function nameservers(list)
    local out = {}
    for _, entry in ipairs(list) do
        local ip, port
        if type(entry) == 'string' then
            ip, port = entry, 53
        elseif type(entry) == 'table' then
            ip, port = entry[1], entry[2] or 53
        else
            error('invalid nameservers', 3)
        end
        if not (is_ipv4(ip) or is_ipv6(ip)) or math.type(port) ~= 'integer' or port < 1 or port > 65535 then
            error('invalid nameserver: ' .. tostring(ip), 3)
        end
        out[#out + 1] = { ip, port }
    end
    return out
end

local function set_options(s, opts)
    if opts.mark ~= nil then pcall(s.setoption, s, 'mark', opts.mark) end
    if opts.device ~= nil then pcall(s.setoption, s, 'bindtodevice', opts.device) end
end

--- The full answer over TCP after a truncated UDP reply: nil, 'truncated' if it cannot be had.
local function query_tcp(ip, port, family, msg, id, opts)
    local s = (family == AF_INET6 and socket.tcp6 or socket.tcp)()
    if not s then return nil, 'truncated' end
    set_options(s, opts)
    local data
    if s:connect(ip, port) and s:send(string.pack('>s2', msg), TIMEOUT) then
        local hdr = s:readfull(2, TIMEOUT)
        if hdr then data = s:readfull(string.unpack('>I2', hdr), TIMEOUT) end
    end
    s:close()
    if not data then return nil, 'truncated' end
    local answers, err = native.parse_reply(data, id, msg)
    if err == 'question mismatch' then return nil, 'truncated' end
    return answers, err
end

--- One attempt against one server: fresh socket, random id, wait for the matching reply.
local function query_server(server, name, qtype, opts)
    local ip, port = server[1], server[2]
    local family = is_ipv6(ip) and AF_INET6 or AF_INET
    local where = ip .. ':' .. port
    local id = native.random_id()
    local msg = assert(native.build_query(name, qtype, id, opts.no_recurse))
    local s, err = (family == AF_INET6 and socket.udp6 or socket.udp)()
    if not s then return nil, string.format('sendto "%s" fail: %s', where, err) end
    set_options(s, opts)
    s:bind(nil, 0)
    local ok, serr = s:sendto(msg, ip, port)
    if not ok then
        s:close()
        return nil, string.format('sendto "%s" fail: %s', where, serr)
    end
    local want = socket.inet_pton(family, ip)
    local deadline = native.monotonic() + TIMEOUT
    while true do
        local left = deadline - native.monotonic()
        local data, from
        if left < 0.001 then
            data, from = nil, 'timeout'
        else
            data, from = s:recvfrom(RECV_SIZE, left)
        end
        if not data then
            s:close()
            return nil, string.format('recv from "%s" fail: %s', where, from)
        end
        if type(from) == 'table' and from.port == port and type(from.ipaddr) == 'string'
            and socket.inet_pton(family, from.ipaddr) == want
            and #data >= 2 and string.unpack('>I2', data) == id then
            local answers, perr = native.parse_reply(data, id, msg)
            if perr ~= 'question mismatch' then
                s:close()
                if perr == 'truncated' then return query_tcp(ip, port, family, msg, id, opts) end
                return answers, perr
            end
        end
        -- not from the server, not our id or not our question: ignore it and keep waiting
    end
end

--- Resolves `qname`; returns the answer-section records or nil, err (spec 3).
-- @tparam string qname
-- @tparam[opt] table opts `type`, `no_recurse`, `nameservers`, `mark`, `device`
function M.query(qname, opts)
    if type(qname) ~= 'string' then
        error(string.format("bad argument #1 to 'query' (string expected, got %s)", type(qname)), 2)
    end
    opts = type(opts) == 'table' and opts or {}
    if qname:sub(1, 1) == '.' or #qname > 255 then return nil, 'bad name' end
    if is_ipv4(qname) then return { { type = M.TYPE_A, address = qname } } end
    if is_ipv6(qname) then return { { type = M.TYPE_AAAA, address = qname } } end

    local qtype = math.tointeger(opts.type or M.TYPE_A)
    if not qtype or qtype < 0 or qtype > 65535 then
        error("bad argument #2 to 'query' (type must be an integer in 0..65535)", 2)
    end

    if qtype == M.TYPE_A or qtype == M.TYPE_AAAA then
        local hosts = cached(hosts_cache, M._files.hosts, parse_hosts)
        local ip = hosts and hosts[qtype][qname]
        if ip then return { { type = qtype, address = ip } } end
    end

    local servers = type(opts.nameservers) == 'table' and nameservers(opts.nameservers) or {}
    local default_servers, search = resolv()
    if #servers == 0 then servers = default_servers end

    local name = qname
    if search and not qname:find('.', 1, true) then name = qname .. '.' .. search end
    if not native.build_query(name, qtype, 0) then return nil, 'bad name' end

    local answers, err
    for _, server in ipairs(servers) do
        answers, err = query_server(server, name, qtype, opts)
        if answers then return answers end
    end
    return nil, err
end

return M
