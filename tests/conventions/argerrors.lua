-- Every exported function of every module, called with arguments of the wrong type, raises a
-- Lua *string* naming the function (`bad argument #N to 'NAME' (T expected, got U)`), never an
-- mlua userdata error. Functions that accept anything or fail softly (`nil, msg`) by spec are
-- listed below with the reason; a function that neither raises nor is listed fails the test.

local MODULES = {
    'eco', 'eco.time', 'eco.sync', 'eco.channel', 'eco.bufio', 'eco.cli', 'eco.socket',
    'eco.internal.socket', 'eco.file', 'eco.internal.file', 'eco.sys', 'eco.log',
    'eco.hash.md5', 'eco.hash.sha1', 'eco.hash.sha256', 'eco.hash.hmac',
    'eco.encoding.base64', 'eco.encoding.hex', 'eco.shared', 'eco.ssl', 'eco.dns',
    'eco.http.url', 'eco.http.client', 'eco.http.server', 'eco.websocket', 'eco.mqtt', 'eco.net',
    'eco.termios',
    'eco.nl', 'eco.internal.nl', 'eco.genl', 'eco.rtnl', 'eco.ip',
    'eco.packet',
    'eco.uci',
}

-- Not called at all: they act on the process or the scheduler whatever their arguments.
local SKIP = {
    ['eco._init'] = 'resets the scheduler',
    ['eco.loop'] = 'runs the loop', ['eco.unloop'] = 'stops the loop',
    ['eco.run'] = 'starts a coroutine (its error takes the panic path by spec)',
    ['eco.set_panic_hook'] = 'process-wide setting', ['eco.set_watchdog_timeout'] = 'process-wide setting',
    ['eco.sys.fork'] = 'forks', ['eco.sys.exit'] = 'exits', ['eco.sys.setsid'] = 'process-wide',
    ['eco.sys.prctl'] = 'process-wide', ['eco.sys.sigprocmask'] = 'process-wide',
    ['eco.log.set_level'] = 'process-wide setting', ['eco.log.set_path'] = 'process-wide setting',
}

-- Called, but allowed not to raise for the bad values (reason given).
local SOFT = {
    -- takes no arguments (extra ones are ignored, as by C functions)
    ['eco.all'] = 'takes no arguments',
    ['eco.count'] = 'takes no arguments',
    ['eco.file.inotify_init'] = 'takes no arguments',
    ['eco.file.sync'] = 'takes no arguments',
    ['eco.internal.file.inotify_init'] = 'takes no arguments',
    ['eco.internal.file.sync'] = 'takes no arguments',
    ['eco.log.get_level'] = 'takes no arguments',
    ['eco.sys.get_nprocs'] = 'takes no arguments',
    ['eco.sys.getpid'] = 'takes no arguments',
    ['eco.sys.getppid'] = 'takes no arguments',
    ['eco.sys.uptime'] = 'takes no arguments',
    ['eco.time.now'] = 'takes no arguments',
    ['eco.sync.cond'] = 'takes no arguments',
    ['eco.sync.mutex'] = 'takes no arguments',
    ['eco.sync.waitgroup'] = 'takes no arguments',
    ['eco.hash.md5.new'] = 'takes no arguments',
    ['eco.hash.sha1.new'] = 'takes no arguments',
    ['eco.hash.sha256.new'] = 'takes no arguments',
    ['eco.ssl.context'] = 'takes no arguments',
    ['eco.termios.openpty'] = 'takes no arguments (extension, docs/termios.md)',
    -- accepts any value (logs or tests it)
    ['eco.log.debug'] = 'accepts any value',
    ['eco.log.err'] = 'accepts any value',
    ['eco.log.info'] = 'accepts any value',
    ['eco.socket.is_ip_address'] = 'accepts any value',
    ['eco.internal.socket.is_ip_address'] = 'accepts any value',
    ['eco.dns.type_name'] = 'accepts any value',
    -- checked against /work/shared/spec (the reason quotes it)
    ['eco._set_sigchld_hook'] = 'eco.md 5: installs a function; non-function non-nil raises',
    ['eco.cli.parse_args'] = 'cli.md: never raises for bad input, answers nil, message',
    ['eco.file.inotify'] = 'file.md: inotify() takes no arguments',
    ['eco.http.client.form'] = 'http.md B.1: form() takes no arguments',
    ['eco.http.client.new'] = 'http.md B.1: new() takes no arguments',
    ['eco.http.client.get'] = 'http.md B.1: returns nil, err (a non-string url: "invalid url"); a non-table opts raises',
    ['eco.http.client.post'] = 'http.md B.1: returns nil, err ("invalid body")',
    ['eco.http.client.request'] = 'http.md B.1: returns nil, err ("invalid body")',
    ['eco.http.url.parse'] = 'http.md A, checklist 6: anything but a valid url string gives nil, "invalid url"',
    ['eco.mqtt.new'] = 'mqtt.md 3: opts is a table (else raises "expecting opts to be a table")',
    ['eco.socket.icmp'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.icmp6'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.tcp'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.tcp6'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.udp'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.udp6'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.unix'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.socket.unix_dgram'] = 'socket.md 4.3: shorthand constructors take no arguments',
    ['eco.sys.spawn'] = 'sys.md 4: spawn(f) runs a function (other values raise)',
    ['eco.time.timer'] = 'time.md 2: cb must be a function, otherwise raises',
    ['eco.websocket.connect'] = 'websocket.md 4: returns nil, err (a non-string uri: "invalid url")',
    ['eco.websocket.upgrade'] = 'websocket.md 3: returns nil, err for a request that is not an upgrade',
    ['eco.websocket.accept'] = 'extension, not in websocket.md: a table is read as a stream, then nil, err',
    ['eco.websocket.wrap'] = 'extension, not in websocket.md: wraps any stream-like table (duck typing)',
    ['eco.genl.genlmsghdr'] = 'netlink.md 2.2: a table, fields read with to-integer semantics',
    ['eco.rtnl.rtgenmsg'] = 'netlink.md 3: builders take a table, missing/non-numeric fields are 0',
    ['eco.rtnl.ifinfomsg'] = 'netlink.md 3: builders take a table, missing/non-numeric fields are 0',
    ['eco.rtnl.ifaddrmsg'] = 'netlink.md 3: builders take a table, missing/non-numeric fields are 0',
    ['eco.rtnl.rtmsg'] = 'netlink.md 3: builders take a table, missing/non-numeric fields are 0',
    ['eco.rtnl.ndmsg'] = 'extension (docs/netlink.md): a builder like rtmsg, on a table',
}

-- Soft functions that accept only one of the bad values: the others must raise.
local ACCEPTS = {
    ['eco._set_sigchld_hook'] = 'function', ['eco.sys.spawn'] = 'function', ['eco.time.timer'] = 'function',
    ['eco.mqtt.new'] = 'table', ['eco.http.client.get'] = 'table',
    ['eco.websocket.accept'] = 'table', ['eco.websocket.wrap'] = 'table',
    ['eco.websocket.connect'] = 'table', ['eco.websocket.upgrade'] = 'table',
    ['eco.genl.genlmsghdr'] = 'table', ['eco.rtnl.rtgenmsg'] = 'table', ['eco.rtnl.ifinfomsg'] = 'table',
    ['eco.rtnl.ifaddrmsg'] = 'table', ['eco.rtnl.rtmsg'] = 'table', ['eco.rtnl.ndmsg'] = 'table',
}

-- The wrong values, fresh for every use: a method called on a bad self may store fields in a
-- table self (cond.close sets `q`), which must not turn a later bad self into a working object.
local function BAD() return { {}, true, function() end } end

local function names(modname, mod)
    local seen, list = {}, {}
    local function add(t)
        for k, v in pairs(t) do
            if type(k) == 'string' and type(v) == 'function' and not seen[k] then
                seen[k] = true
                list[#list + 1] = k
            end
        end
    end
    add(mod)
    local mt = getmetatable(mod)
    if mt and type(mt.__index) == 'table' then add(mt.__index) end
    table.sort(list)
    return list
end

local failures, checked, soft_seen = {}, 0, {}
for _, modname in ipairs(MODULES) do
    local mod = require(modname)
    if type(mod) == 'table' then
        for _, fname in ipairs(names(modname, mod)) do
            local full = modname .. '.' .. fname
            if not SKIP[full] then
                for _, bad in ipairs(BAD()) do
                    checked = checked + 1
                    -- called as a field with a constant name, as a script would: Lua reports `fname`
                    local call = assert(load('local mod, bad = ... return mod.' .. fname .. '(bad, bad, bad)',
                        '=' .. full))
                    local ok, err = pcall(call, mod, bad)
                    if ok then
                        if not SOFT[full] or (ACCEPTS[full] and ACCEPTS[full] ~= type(bad)) then
                            failures[#failures + 1] = string.format('%s(%s): did not raise', full, type(bad))
                        end
                        soft_seen[full] = true
                    elseif type(err) ~= 'string' then
                        failures[#failures + 1] = string.format('%s(%s): raised a %s: %s', full, type(bad),
                            type(err), tostring(err))
                    elseif err:find('bad argument', 1, true)
                        and not err:find("'" .. fname .. "'", 1, true)
                        and not err:find("calling '", 1, true) then
                        failures[#failures + 1] = string.format('%s(%s): message does not name it: %s', full,
                            type(bad), err)
                    end
                end
            end
        end
    end
end

for full in pairs(SOFT) do
    if not soft_seen[full] then
        failures[#failures + 1] = full .. ': listed as soft but raised for every bad value (remove it from SOFT)'
    end
end

-- Methods. Each object is built fresh for every call (cheap constructors only), so a `close`
-- called with ignored arguments does not disturb the next call. A method is called as
-- `obj:m(bad, bad, bad)` and with a bad self (`obj.m(bad)`); every error must be a string, an
-- argument error must name the method, and a native method called on a bad self must name
-- itself (`calling 'm' on bad self`; a Lua method fails wherever it first uses self). Userdata
-- objects list their methods (mlua protects their metatables). `eco.http.url.parse` results are
-- plain tables without methods; the chunked decoder is internal (Rust unit test).
-- Calls run in an eco coroutine.
local eco = require 'eco'
local pid = require 'eco.sys'.getpid()
local serial = 0
local function uniq() serial = serial + 1 return 'eco-argerrors-' .. pid .. '-' .. serial end

local OBJECTS = {
    { 'md5 context', function() return require 'eco.hash.md5'.new() end, 'update final' },
    { 'sha1 context', function() return require 'eco.hash.sha1'.new() end, 'update final' },
    { 'sha256 context', function() return require 'eco.hash.sha256'.new() end, 'update final' },
    { 'hmac context', function() return require 'eco.hash.hmac'.new(require 'eco.hash.md5', 'k') end, 'update final' },
    { 'shared dict', function() return assert(require 'eco.shared'.new(uniq(), 4096)) end,
        'set get del incr ttl expire get_keys flush_all close' },
    { 'ssl context', function() return require 'eco.ssl'.context() end,
        'new free load_ca_cert_file load_cert_file load_key_file set_ciphers require_validation' },
    { 'ssl session', function() return assert(require 'eco.ssl'.context():new(0)) end,
        'handshake set_server_name pointer shutdown free' },
    { 'tcp socket', function() return assert(require 'eco.socket'.tcp()) end },
    { 'udp socket', function() return assert(require 'eco.socket'.udp()) end },
    { 'unix socket', function() return assert(require 'eco.socket'.unix()) end },
    { 'native socket', function() return assert(require 'eco.socket'.tcp()).sock end,
        'getfd family close closed bind connect listen accept recvfrom sendto getsockname getpeername setoption getoption' },
    { 'file', function() return assert(require 'eco.file'.open('/dev/null')) end },
    { 'timer', function() return assert(require 'eco.time'.timer(function() end)) end },
    { 'cond', function() return assert(require 'eco.sync'.cond()) end },
    { 'mutex', function() return require 'eco.sync'.mutex() end },
    { 'waitgroup', function() return require 'eco.sync'.waitgroup() end },
    { 'channel', function() return require 'eco.channel'.new(4) end },
    { 'mqtt client', function() return require 'eco.mqtt'.new() end },
    { 'termios attr', function()
        local termios = require 'eco.termios'
        local m, s = assert(termios.openpty())
        local a = assert(termios.tcgetattr(s))
        require 'eco.file'.close(m)
        require 'eco.file'.close(s)
        return a
    end, 'set_flag clr_flag get_flag set_cc get_cc get_ispeed get_ospeed set_ispeed set_ospeed set_speed make_raw clone' },
    { 'nlmsg', function() return require 'eco.nl'.nlmsg(0, 0) end,
        'put put_attr put_attr_flag put_attr_u8 put_attr_u16 put_attr_u32 put_attr_u64 put_attr_str '
        .. 'put_attr_strz put_attr_nest_start put_attr_nest_end binary' },
    { 'nlmsg_ker', function() return require 'eco.nl'.nlmsg_ker(require 'eco.nl'.nlmsg(16, 0):binary()) end,
        'next payload parse_attr parse_error' },
    { 'netlink socket', function() return assert(require 'eco.nl'.open(0)) end },
    { 'uci cursor', function() return require 'eco.uci'.cursor('/nonexistent-eco-uci', '/nonexistent-eco-uci') end,
        'load unload get get_all add set rename reorder delete save commit revert changes _section '
            .. 'get_confdir get_savedir set_confdir set_savedir add_delta list_configs close foreach each' },
}

-- Methods not called (reason given): they would park the test coroutine or act on the process.
local METHOD_SKIP = {
    ['timer:cb'] = 'the callback given to time.timer, stored in the object',
    ['channel:recv'] = 'parks on an empty channel',
}

-- Methods that may return without raising for a table, a boolean and a function (reason given).
-- `*:m` stands for method `m` of every object.
local METHOD_SOFT = {
    ['*:close'] = 'takes no arguments', ['*:closed'] = 'takes no arguments',
    ['*:getfd'] = 'takes no arguments', ['*:getsockname'] = 'takes no arguments',
    ['*:getpeername'] = 'takes no arguments', ['*:free'] = 'takes no arguments',
    ['*:final'] = 'takes no arguments', ['*:get_keys'] = 'takes no arguments',
    ['*:flush_all'] = 'takes no arguments', ['*:family'] = 'takes no arguments',
    ['*:handshake'] = 'takes no arguments', ['*:pointer'] = 'takes no arguments',
    ['*:shutdown'] = 'takes no arguments', ['*:stat'] = 'takes no arguments',
    ['*:cancel'] = 'takes no arguments', ['*:broadcast'] = 'takes no arguments',
    ['*:length'] = 'takes no arguments', ['*:disconnect'] = 'takes no arguments',
    ['*:trylock'] = 'takes no arguments', ['*:reader'] = 'takes no arguments',
    ['*:run'] = 'takes no arguments (fails softly: no broker)',
    ['*:accept'] = 'spec/socket.md 5.2: nil, err on a socket that is not listening, before the timeout is used',
    ['native socket:accept'] = 'takes no arguments (nil, msg: not listening)',
    -- the low-level object (`sock.sock`) reports an address/argument mistake as `nil, msg, true`,
    -- which the public object raises (crates/eco-socket/src/lib.rs, return conventions)
    ['native socket:bind'] = 'answers nil, msg, true; the public socket raises',
    ['native socket:connect'] = 'answers nil, msg, true; the public socket raises',
    ['native socket:recvfrom'] = 'answers nil, msg, true; the public socket raises',
    ['native socket:sendto'] = 'answers nil, msg, true; the public socket raises',
    ['ssl context:require_validation'] = 'spec/ssl.md: any value, read as a boolean',
    ['channel:send'] = 'spec/channel.md 2: any value is transported',
    ['cond:signal'] = 'spec/sync.md 1: any value is handed to the waiter',
    ['mutex:lock'] = 'takes a free mutex at once; the timeout only bounds a wait (eco.sync Lua part)',
    ['mqtt client:set'] = 'spec/mqtt.md 3-4: unknown option names are accepted and stored untouched',
    ['termios attr:get_ispeed'] = 'takes no arguments', ['termios attr:get_ospeed'] = 'takes no arguments',
    ['termios attr:clone'] = 'takes no arguments', ['termios attr:make_raw'] = 'takes no arguments',
    ['*:binary'] = 'takes no arguments', ['*:put_attr_nest_end'] = 'takes no arguments',
    ['*:next'] = 'takes no arguments', ['*:payload'] = 'takes no arguments',
    ['*:parse_error'] = 'takes no arguments',
    ['uci cursor:get_confdir'] = 'takes no arguments', ['uci cursor:get_savedir'] = 'takes no arguments',
    ['uci cursor:list_configs'] = 'takes no arguments (false, msg: no confdir)',
}

local function listed(t, what, m)
    return t[what .. ':' .. m] or t['*:' .. m]
end

local function methods(obj)
    local seen, list = {}, {}
    local function add(t)
        if type(t) ~= 'table' then return end
        for k, v in pairs(t) do
            if type(k) == 'string' and type(v) == 'function' and not seen[k] and not k:find('^__') then
                seen[k] = true
                list[#list + 1] = k
            end
        end
    end
    if type(obj) == 'table' then add(obj) end
    local mt = getmetatable(obj)
    if type(mt) == 'table' and type(mt.__index) == 'table' then
        add(mt.__index)
        local mt2 = getmetatable(mt.__index)
        if type(mt2) == 'table' and type(mt2.__index) == 'table' then add(mt2.__index) end
    end
    table.sort(list)
    return list
end

local function cleanup(obj)
    for _, m in ipairs({ 'close', 'free' }) do
        local ok, f = pcall(function() return obj[m] end)
        if ok and type(f) == 'function' then pcall(f, obj) end
    end
end

local method_soft_seen = {}
local function check_methods()
    for _, o in ipairs(OBJECTS) do
        local what, make = o[1], o[2]
        local list = {}
        if o[3] then
            for n in o[3]:gmatch('%S+') do list[#list + 1] = n end
        else
            local probe = make()
            list = methods(probe)
            cleanup(probe)
        end
        if #list == 0 then failures[#failures + 1] = what .. ': no methods found' end
        for _, m in ipairs(list) do
            local full = what .. ':' .. m
            if not METHOD_SKIP[full] then
                if os.getenv('ARGERR_TRACE') then io.stderr:write(full, '\n') end
                for _, bad in ipairs(BAD()) do
                    checked = checked + 1
                    local obj = make()
                    local call = assert(load('local o, bad = ... return o:' .. m .. '(bad, bad, bad)', '=' .. full))
                    local ok, err = pcall(call, obj, bad)
                    if ok then
                        if not listed(METHOD_SOFT, what, m) then
                            failures[#failures + 1] = string.format('%s(%s): did not raise', full, type(bad))
                        end
                        method_soft_seen[full] = true
                    elseif type(err) ~= 'string' then
                        failures[#failures + 1] = string.format('%s(%s): raised a %s: %s', full, type(bad),
                            type(err), tostring(err))
                    elseif err:find('bad argument', 1, true) and not err:find("'" .. m .. "'", 1, true) then
                        failures[#failures + 1] = string.format('%s(%s): message does not name it: %s', full,
                            type(bad), err)
                    end
                    -- a bad self: any error must be a string (a native method names itself)
                    local selfcall = assert(load('local o, bad = ... return o.' .. m .. '(bad)', '=' .. full))
                    local native = debug.getinfo(obj[m], 'S').what == 'C'
                    ok, err = pcall(selfcall, obj, bad)
                    if not ok and type(err) ~= 'string' then
                        failures[#failures + 1] = string.format('%s on a bad self (%s): raised a %s: %s', full,
                            type(bad), type(err), tostring(err))
                    elseif not ok and native and not err:find("'" .. m .. "'", 1, true) then
                        failures[#failures + 1] = string.format('%s on a bad self (%s): message does not name it: %s',
                            full, type(bad), err)
                    end
                    cleanup(obj)
                end
            end
        end
    end
    -- the iterator of file.dir takes its state as `self`
    local next_entry = require 'eco.file'.dir('/')
    for _, bad in ipairs(BAD()) do
        checked = checked + 1
        local ok, err = pcall(next_entry, bad)
        if ok or type(err) ~= 'string' or not err:find('dir state expected', 1, true) then
            failures[#failures + 1] = 'file.dir iterator on a bad state (' .. type(bad) .. '): ' .. tostring(err)
        end
    end
    for full in pairs(METHOD_SOFT) do
        if not full:find('^%*') and not method_soft_seen[full] then
            failures[#failures + 1] = full .. ': listed as soft but raised for every bad value (remove it from METHOD_SOFT)'
        end
    end
end

local done = false
eco.run(function()
    check_methods()
    done = true
end)
if not eco.count or coroutine.isyieldable() then
    -- the eco interpreter: the main chunk is a coroutine; let the task run
    while not done do require 'eco.time'.sleep(0.01) end
else
    eco.loop()
end
assert(done, 'the method checks did not finish')

table.sort(failures)
if #failures > 0 then
    for _, f in ipairs(failures) do print('FAIL', f) end
    error(#failures .. ' convention failure(s) over ' .. checked .. ' calls')
end
print('ok', checked .. ' calls')
