-- eco.uci on a 1,000-section config (docs/uci.md "Performance"), beside a baseline measured in the
-- same run: reading the same file with io.open and parsing it with Lua string patterns into the
-- same tables (no quoting rules, no deltas: a lower bound for any Lua-side reader).
-- Figures are the best of several runs, in milliseconds (ms) or microseconds (us):
--   uci_load_get        new cursor + load + one get (+ close)
--   uci_load_get_all    new cursor + load + get_all of the whole package as Lua tables
--   lua_parse_baseline  io.open + read + pattern parsing into the same tables
--   uci_get             one c:get on a loaded package (by name)
--   uci_get_ext         one c:get with an extended reference '@rule[500]'
--   uci_foreach         c:foreach over the 1,000 sections
--   uci_commit          set one option + commit (rewrites the 1,000-section file)
--   uci_cli_get         the `uci` command line (built by libuci-sys, when found): one `get`,
--                       process start included
local uci = require 'eco.uci'
local time = require 'eco.time'

local N = 1000
local dir = os.tmpname()
os.remove(dir)
assert(os.execute('mkdir -p ' .. dir .. '/conf ' .. dir .. '/save'))
local conf, save = dir .. '/conf', dir .. '/save'

local parts = {}
for i = 1, N do
    parts[#parts + 1] = string.format(
        "config rule 'r%d'\n\toption name 'rule %d'\n\toption src 'lan'\n\toption dest 'wan'\n"
            .. "\toption proto 'tcp'\n\tlist port '%d'\n\tlist port '%d'\n",
        i, i, 1000 + i, 2000 + i)
end
local text = '\n' .. table.concat(parts, '\n') .. '\n'
local f = assert(io.open(conf .. '/fw', 'w'))
f:write(text)
f:close()

local function best(runs, fn)
    local b = math.huge
    for _ = 1, runs do
        local t0 = time.now()
        fn()
        local dt = time.now() - t0
        if dt < b then b = dt end
    end
    return b
end

local function report(name, secs, unit)
    if coroutine.isyieldable() then
        time.sleep(0) -- let the loop run between figures (the eco interpreter's watchdog)
    end
    if unit == 'us' then
        print(string.format('%s %.2f us', name, secs * 1e6))
    else
        print(string.format('%s %.3f ms', name, secs * 1e3))
    end
end

local t_get = best(20, function()
    local c = uci.cursor(conf, save)
    assert(c:get('fw', 'r500', 'proto') == 'tcp')
    c:close()
end)
report('uci_load_get', t_get)

local t_all = best(20, function()
    local c = uci.cursor(conf, save)
    local all = c:get_all('fw')
    assert(all.r1000.port[2] == '3000')
    c:close()
end)
report('uci_load_get_all', t_all)

-- Baseline: the same file into the same shape of tables with Lua patterns.
local function parse(path)
    local fh = assert(io.open(path))
    local s = fh:read('a')
    fh:close()
    local pkg, cur, idx = {}, nil, 0
    for line in s:gmatch('[^\n]+') do
        local kw, a, b = line:match("^%s*(%a+)%s+'?([^'%s]+)'?%s*'?([^']*)'?")
        if kw == 'config' then
            cur = { ['.type'] = a, ['.name'] = b, ['.anonymous'] = b == '', ['.index'] = idx }
            idx = idx + 1
            pkg[b] = cur
        elseif kw == 'option' then
            cur[a] = b
        elseif kw == 'list' then
            local l = cur[a]
            if type(l) ~= 'table' then l = {}; cur[a] = l end
            l[#l + 1] = b
        end
    end
    return pkg
end
local t_base = best(20, function()
    local all = parse(conf .. '/fw')
    assert(all.r1000.port[2] == '3000')
end)
report('lua_parse_baseline', t_base)
print(string.format('uci_load_get_vs_baseline %.2f ratio', t_get / t_base))
print(string.format('uci_load_get_all_vs_baseline %.2f ratio', t_all / t_base))

local c = uci.cursor(conf, save)
assert(c:load('fw'))
local K = 10000
report('uci_get', best(5, function()
    for i = 1, K do
        assert(c:get('fw', 'r500', 'proto'))
    end
end) / K, 'us')
report('uci_get_ext', best(5, function()
    for i = 1, K do
        assert(c:get('fw', '@rule[500]', 'proto'))
    end
end) / K, 'us')
report('uci_foreach', best(10, function()
    local n = 0
    c:foreach('fw', 'rule', function() n = n + 1 end)
    assert(n == N)
end))

local v = 0
report('uci_commit', best(20, function()
    v = v + 1
    assert(c:set('fw', 'r500', 'proto', 'udp' .. v))
    assert(c:commit('fw'))
end))
c:close()

-- The uci command line of the same libuci, when libuci-sys built it under the target dir.
local target = os.getenv('ECO_TARGET_DIR') or os.getenv('CARGO_TARGET_DIR') or 'target'
local p = io.popen('ls -1 ' .. target .. '/*/build/libuci-sys-*/out/bin/uci 2>/dev/null')
local cli = p:read('l')
p:close()
if cli then
    local lib = cli:gsub('/bin/uci$', '/lib')
    local cmd = string.format('LD_LIBRARY_PATH=%s %s -c %s -t %s get fw.r500.name >/dev/null', lib, cli, conf, save)
    if os.execute(cmd) then
        report('uci_cli_get', best(10, function() assert(os.execute(cmd)) end))
    end
else
    io.stderr:write('uci CLI not found under ' .. target .. ': no uci_cli_get figure\n')
end

os.execute('rm -rf ' .. dir)
