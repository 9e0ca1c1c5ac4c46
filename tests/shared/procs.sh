#!/usr/bin/env bash
# eco.shared with real processes (spec/shared.md checklist 16 and the issue's robustness goals):
#  1. hammer: 4 interpreter processes (2 `eco`, 2 `lua5.4`) increment one counter 25,000 times
#     each while also writing and checking their own keys: the counter must end at exactly 100,000
#     (no lost update) and no read may see a torn value;
#  2. crash: a writer doing set/del/incr in a loop (with compactions) is killed with SIGKILL at a
#     random moment, 16 times per driver; each time the dictionary must stay readable by the others, hold only
#     whole values, and accept new writes.
#     (Every crash point of set/del/incr/compaction is checked deterministically by the unit test
#     `crash_points` in crates/eco-shared.)
# Each driver runs once under `eco` and once under `lua5.4`.
#
# usage: tests/shared/procs.sh ECO_BINARY LUA54_BINARY
set -u
eco=${1:?usage: procs.sh ECO_BINARY LUA54_BINARY}
lua=${2:?usage: procs.sh ECO_BINARY LUA54_BINARY}
for b in "$eco" "$lua"; do
    if ! command -v "$b" >/dev/null; then echo "FAIL: interpreter $b not found"; exit 1; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/shared_procs.lua" <<'EOF'
-- role 'hammer-driver' | 'hammer-worker' | 'crash-driver' | 'crash-writer'
local shared = require 'eco.shared'
local role, eco_bin, lua_bin, name, arg5 = arg[1], arg[2], arg[3], arg[4], arg[5]
local self_path = arg[0]

local function check_value(key, v)
    -- values are '<key>|<len>|<payload of len bytes>'
    local k, len, payload = v:match('^([^|]*)|(%d+)|(.*)$')
    assert(k == key, 'torn value for ' .. key .. ': bad prefix')
    assert(#payload == tonumber(len), 'torn value for ' .. key .. ': length ' .. #payload .. ' ~= ' .. len)
    assert(payload == string.rep(payload:sub(1, 1), #payload), 'torn value for ' .. key .. ': mixed payload')
end

local function make_value(key, len)
    return key .. '|' .. len .. '|' .. string.rep(string.char(97 + math.random(0, 25)), len)
end

if role == 'hammer-worker' then
    local id, n = tonumber(arg5), 25000
    local d = assert(shared.get(name))
    math.randomseed(id * 7919 + os.time())
    local mine = 'w' .. id
    for i = 1, n do
        local v, err = d:incr('counter', 1)
        assert(v, 'incr failed: ' .. tostring(err))
        if i % 10 == 0 then
            assert(d:set(mine, make_value(mine, math.random(0, 300))))
            local other = 'w' .. math.random(1, 4)
            local ov = d:get(other)
            if ov ~= nil then check_value(other, ov) end
        end
    end
    d:close()
    os.exit(0)
elseif role == 'hammer-driver' then
    local d = assert(shared.new(name, 4096))
    assert(d:set('counter', 0))
    local cmd = {}
    for id = 1, 4 do
        local bin = (id % 2 == 1) and eco_bin or lua_bin
        cmd[#cmd + 1] = string.format('%q %q hammer-worker %q %q %q %d & p%d=$!', bin, self_path, eco_bin, lua_bin, name, id, id)
    end
    cmd[#cmd + 1] = 'st=0; for p in $p1 $p2 $p3 $p4; do wait $p || st=1; done; exit $st'
    local t0 = os.time()
    local ok = os.execute(table.concat(cmd, '\n'))
    assert(ok, 'a hammer worker failed')
    local c = d:get('counter')
    assert(c == 100000, 'lost updates: counter is ' .. tostring(c) .. ', expected 100000')
    for id = 1, 4 do check_value('w' .. id, assert(d:get('w' .. id))) end
    d:close()
    print(string.format('hammer: 4 processes, counter %d, %d s', c, os.time() - t0))
    os.exit(0)
elseif role == 'crash-writer' then
    local d = assert(shared.get(name))
    math.randomseed(os.time() + tonumber(tostring({}):match('0x(%x+)') or '0', 16) % 100000)
    local i = 0
    while true do
        i = i + 1
        local key = 'k' .. math.random(1, 12)
        local r = math.random()
        if r < 0.7 then
            local ok, err = d:set(key, make_value(key, math.random(0, 2000)), math.random() < 0.2 and 0.05 or nil)
            assert(ok or err == 'no memory', err)
        elseif r < 0.8 then
            d:del(key)
        else
            d:incr('n', 1)
        end
    end
elseif role == 'crash-driver' then
    math.randomseed(os.time())
    local d = assert(shared.new(name, 32768))
    assert(d:set('n', 0))
    local kills = 0
    for round = 1, 16 do
        local bin = (round % 2 == 1) and eco_bin or lua_bin
        local p = assert(io.popen(string.format('%q %q crash-writer %q %q %q </dev/null >/dev/null 2>&1 & echo $!',
            bin, self_path, eco_bin, lua_bin, name)))
        local pid = assert(tonumber(p:read('l')), 'no writer pid')
        p:close()
        os.execute(string.format('sleep %.3f', 0.05 + math.random() * 0.25))
        assert(os.execute('kill -9 ' .. pid), 'writer ' .. pid .. ' was not running (it died by itself?)')
        -- wait until it is dead (a zombie is enough: its lock and descriptors are gone)
        os.execute('while [ -e /proc/' .. pid .. ' ] && [ "$(cut -d" " -f3 /proc/' .. pid ..
            '/stat 2>/dev/null)" != Z ]; do sleep 0.01; done')
        kills = kills + 1
        -- the dictionary is readable, holds whole values, and takes writes
        local keys = d:get_keys()
        for _, k in ipairs(keys) do
            local v = d:get(k)
            if k == 'n' then
                assert(math.type(v) == 'float', 'n is not a number')
            elseif v ~= nil then
                check_value(k, v)
            end
        end
        local peer = assert(shared.get(name))
        assert(peer:set('after' .. round, make_value('after' .. round, 10)))
        check_value('after' .. round, d:get('after' .. round))
        assert(peer:incr('n', 1))
        assert(peer:del('after' .. round))
        peer:close()
    end
    local n = d:get('n')
    assert(n > 16 * 2, 'the writers did little work before being killed: n = ' .. tostring(n))
    d:close()
    print(string.format('crash: %d writers killed with SIGKILL, dictionary readable after each (%d incr)', kills, n))
    os.exit(0)
end
error('unknown role ' .. tostring(role))
EOF

failures=0
for driver in "$eco" "$lua"; do
    for test in hammer crash; do
        name="procs-$$-$test-$(basename "$driver")"
        start=$(date +%s.%N)
        if timeout 25 "$driver" "$tmp/shared_procs.lua" "$test-driver" "$eco" "$lua" "$name" >"$tmp/out" 2>&1; then
            echo "PASS $test (driver $(basename "$driver")): $(tail -n 1 "$tmp/out") [$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f s", e-s}')]"
        else
            echo "FAIL $test (driver $(basename "$driver"))"
            sed 's/^/    | /' "$tmp/out" | tail -n 30
            failures=$((failures + 1))
        fi
        rm -f "/dev/shm/eco-shared-$name.shm"
    done
done
exit $failures
