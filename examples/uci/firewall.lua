-- eco.uci: read a config, add a rule, stage it (save), look at the pending changes, commit.
-- Works on a copy in a temp dir; on a router, uci.cursor() uses /etc/config and /tmp/.uci.
-- Run: eco examples/uci/firewall.lua   (or lua5.4 with the modules on LUA_CPATH/LUA_PATH)
local uci = require 'eco.uci'

local dir = os.tmpname()
os.remove(dir)
assert(os.execute('mkdir -p ' .. dir .. '/config ' .. dir .. '/save'))
local f = assert(io.open(dir .. '/config/firewall', 'w'))
f:write([[
config defaults
	option input 'REJECT'

config zone 'lan'
	option network 'lan'
	option input 'ACCEPT'

config zone 'wan'
	list network 'wan'
	list network 'wan6'
	option input 'REJECT'
]])
f:close()

local c <close> = uci.cursor(dir .. '/config', dir .. '/save')

c:foreach('firewall', 'zone', function(s)
    local nets = type(s.network) == 'table' and table.concat(s.network, ',') or s.network
    print(s['.index'], s['.name'], s.input, nets)
end)
print('default input:', c:get('firewall', '@defaults[0]', 'input'))

local id = assert(c:add('firewall', 'rule'))
assert(c:set('firewall', id, 'name', 'allow-ssh'))
assert(c:set('firewall', id, 'proto', { 'tcp' }))
assert(c:set('firewall', id, 'dest_port', 22))
assert(c:save('firewall'))

-- another cursor (or the uci command line) sees the staged change
local other <close> = uci.cursor(dir .. '/config', dir .. '/save')
print('staged rule:', other:get('firewall', id, 'name'))
for sec, opts in pairs(other:changes('firewall').firewall) do
    print('change', sec, opts['.type'], opts.name, opts.dest_port)
end

assert(c:commit('firewall'))
io.write(io.open(dir .. '/config/firewall'):read('a'))
os.execute('rm -rf ' .. dir)
