#!/usr/bin/env bash
# eco.ubus between processes and at the default socket path (docs/ubus.md checklist 2 and 14):
#  - as non-root (setpriv to nobody), connect() refuses before connecting;
#  - the one-shot helpers ubus.call/objects/signatures/send use the default socket
#    /var/run/ubus/ubus.sock (and the legacy /var/run/ubus.sock), in a private mount namespace
#    with a tmpfs on /run (unshare(1)), and close their connection;
#  - two processes talk through the test broker (calls, events, notifications).
# The broker is crates/eco-ubusd-test (ECO_TEST_UBUSD, built by `cargo xtask test`).
#
# usage: tests/ubus/procs.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: procs.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}
ubusd=${ECO_TEST_UBUSD:-}

[ -x "$ubusd" ] || { echo "FAIL the test broker is missing (ECO_TEST_UBUSD=$ubusd; cargo build -p eco-ubusd-test)"; exit 1; }
command -v unshare >/dev/null || { echo "FAIL unshare(1) (util-linux) is missing"; exit 1; }
command -v setpriv >/dev/null || { echo "FAIL setpriv(1) (util-linux) is missing"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL must run as root (mount namespace, setpriv)"; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
bpid=
trap '[ -n "$bpid" ] && kill $bpid 2>/dev/null; rm -rf "$tmp"' EXIT

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

cat >"$tmp/nonroot.lua" <<'EOF'
local ubus = require 'eco.ubus'
local c, err = ubus.connect(arg[1])
print(tostring(c) .. '|' .. tostring(err))
c, err = ubus.call('x', 'y')
print(tostring(c) .. '|' .. tostring(err))
EOF

# Runs inside the namespace: a server connection on the default socket, then the helpers.
cat >"$tmp/oneshot.lua" <<'EOF'
local eco = require 'eco'
local T = require 'testlib'
local ubus = require 'eco.ubus'
local pid = T.capture('echo $PPID'):gsub('%s', '')
-- open sockets of this process (pipes and other descriptors come and go with popen and GC)
local function nfds()
    return tonumber((T.capture('ls -l /proc/' .. pid .. '/fd | grep -c socket:'):gsub('%s', '')))
end
T.go(function()
    local srv = assert(ubus.connect())
    local evs = {}
    assert(srv:add('os.obj', { m = { function(req, msg, con) con:reply(req, { x = msg.x * 2 }) end,
        { x = ubus.INT32 } } }))
    assert(srv:listen('os.*', function(ev, msg) evs[#evs + 1] = msg.v end))
    local before = nfds()
    T.eq(ubus.call('os.obj', 'm', { x = 21 }).x, 42)
    T.eq(ubus.call('os.obj', 'm', { x = 1 }, 5).x, 2)
    T.fails('not found', ubus.call('os.none', 'm'))
    T.fails('Method not found', ubus.call('os.obj', 'nope'))
    local objs = assert(ubus.objects())
    local found = false
    for _, p in pairs(objs) do found = found or p == 'os.obj' end
    T.ok(found, 'objects() lists os.obj')
    T.eq(ubus.signatures('os.obj').m.x, ubus.INT32)
    T.fails('Not found', ubus.signatures('os.none'))
    T.eq(ubus.send('os.ev', { v = 9 }), true)
    T.raises('circular reference in table', ubus.call, 'os.obj', 'm', (function() local t = {} t.t = t return t end)())
    local dl = T.now() + 10
    while #evs == 0 and T.now() < dl do eco.sleep(0.01) end
    T.eq(evs[1], 9)
    eco.sleep(0.05)
    T.eq(nfds(), before, 'the helpers closed their connections')
    srv:close()
    print('ONESHOT-OK')
end)
EOF

cat >"$tmp/server.lua" <<'EOF'
local eco = require 'eco'
local T = require 'testlib'
local ubus = require 'eco.ubus'
T.go(function()
    local c = assert(ubus.connect(arg[1]))
    local events = 0
    local quit = false
    local obj = assert(c:add('proc.srv', {
        echo = { function(req, msg, con) con:reply(req, msg) end },
        pid = { function(req, _, con)
            con:reply(req, { pid = tonumber(T.capture('echo $PPID')) })
        end },
        events = { function(req, _, con) con:reply(req, { n = events }) end },
        tick = { function(req, msg, con)
            con:notify(OBJ, 'tick', { seq = msg.seq })
        end },
        quit = { function() quit = true end },
    }))
    OBJ = obj
    assert(c:listen('proc.*', function() events = events + 1 end))
    io.write('ready\n'); io.flush()
    while not quit do eco.sleep(0.02) end
    c:close()
end)
EOF

cat >"$tmp/client.lua" <<'EOF'
local eco = require 'eco'
local T = require 'testlib'
local ubus = require 'eco.ubus'
T.go(function()
    local c = assert(ubus.connect(arg[1]))
    local mypid = tonumber(T.capture('echo $PPID'))
    local other = assert(c:call('proc.srv', 'pid')).pid
    T.ok(other ~= mypid, 'the object lives in another process')
    -- concurrent callers on one connection
    local ok, running = 0, 0
    for w = 1, 5 do
        running = running + 1
        eco.run(function()
            for k = 1, 20 do
                local r = c:call('proc.srv', 'echo', { w = w, k = k, s = string.rep('z', k * 100) })
                if r and r.w == w and r.k == k and #r.s == k * 100 then ok = ok + 1 end
            end
            running = running - 1
        end)
    end
    while running > 0 do eco.sleep(0.01) end
    T.eq(ok, 100)
    for i = 1, 3 do T.eq(c:send('proc.ev', { i = i }), true) end
    local dl = T.now() + 10
    while c:call('proc.srv', 'events').n < 3 and T.now() < dl do eco.sleep(0.02) end
    T.eq(c:call('proc.srv', 'events').n, 3)
    local ticks = {}
    local sub = assert(c:subscribe('proc.srv', function(m, msg) ticks[#ticks + 1] = msg.seq end))
    c:call('proc.srv', 'tick', { seq = 1 })
    dl = T.now() + 10
    while #ticks == 0 and T.now() < dl do eco.sleep(0.01) end
    T.eq(ticks[1], 1)
    T.eq(c:unsubscribe(sub), true)
    c:call('proc.srv', 'quit')
    c:close()
    print('CLIENT-OK')
end)
EOF

start_broker() { # path
    "$ubusd" -s "$1" >"$tmp/ubusd.log" 2>&1 &
    bpid=$!
    for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
    return 1
}

for runner in "$eco" "$lua"; do
    name=$(basename "$runner")

    # 2: non-root
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ "$runner" "$tmp/nonroot.lua" "$tmp/none.sock" 2>&1)
    want='nil|Operation not permitted, must be run as root'
    if [ "$out" = "$want
$want" ]; then pass "$name: non-root connect and one-shot call refused"; else fail "$name: non-root: $out"; fi

    # 14: one-shot helpers on the default path, in a private mount namespace
    for sock in /var/run/ubus/ubus.sock /var/run/ubus.sock; do
        out=$(unshare -m --propagation private sh -c '
            mount -t tmpfs tmpfs /run || exit 9
            mkdir -p /run/ubus
            "$1" -s "$2" >/dev/null 2>&1 &
            b=$!
            for i in $(seq 100); do [ -S "$2" ] && break; sleep 0.05; done
            timeout 30 "$3" "$4"
            rc=$?
            kill $b
            exit $rc' sh "$ubusd" "$sock" "$runner" "$tmp/oneshot.lua" 2>&1)
        rc=$?
        if [ $rc = 0 ] && printf '%s' "$out" | grep -q ONESHOT-OK; then
            pass "$name: one-shot helpers at $sock"
        else
            fail "$name: one-shot helpers at $sock (rc $rc): $out"
        fi
    done
    # no ubusd at the default path (empty /run in a namespace)
    out=$(unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run && "$1" "$2"' sh "$runner" "$tmp/nonroot.lua" /nonexistent.sock 2>&1)
    if [ "$out" = "nil|failed to connect to ubus
nil|failed to connect to ubus" ]; then pass "$name: no ubusd"; else fail "$name: no ubusd: $out"; fi

    # two processes through the broker
    start_broker "$tmp/ubus.sock" || { fail "$name: broker did not start"; continue; }
    timeout 30 "$runner" "$tmp/server.lua" "$tmp/ubus.sock" >"$tmp/server.out" 2>&1 &
    spid=$!
    for _ in $(seq 100); do grep -q ready "$tmp/server.out" && break; sleep 0.05; done
    out=$(timeout 30 "$runner" "$tmp/client.lua" "$tmp/ubus.sock" 2>&1)
    crc=$?
    wait $spid
    src=$?
    if [ $crc = 0 ] && [ $src = 0 ] && printf '%s' "$out" | grep -q CLIENT-OK; then
        pass "$name: two processes (calls, events, notify)"
    else
        fail "$name: two processes: client rc $crc: $out; server rc $src: $(cat "$tmp/server.out")"
    fi
    kill $bpid 2>/dev/null; wait $bpid 2>/dev/null; bpid=
    rm -f "$tmp/ubus.sock"
done

[ $failures = 0 ] || exit 1
