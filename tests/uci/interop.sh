#!/usr/bin/env bash
# eco.uci between processes (docs/uci.md "Files"): a delta saved by one process is seen and
# committed by another (eco interpreter <-> stock lua5.4 with the modules), and both against the
# real `uci` command line of the same libuci (the `uci` binary libuci-sys builds from its
# vendored sources, under $ECO_TARGET_DIR): our deltas are read and committed by it, its deltas
# by us, and a commit by either writes the same bytes.
#
# usage: tests/uci/interop.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: interop.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # name expected actual
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# The uci CLI: built with libuci-sys (shared libuci next to it).
cli=
for c in "${ECO_TARGET_DIR:-target}"/*/build/libuci-sys-*/out/bin/uci; do
    [ -x "$c" ] || continue
    d=$(dirname "$(dirname "$c")")/lib
    if LD_LIBRARY_PATH=$d "$c" -c "$tmp" show >/dev/null 2>&1 || [ $? -ne 127 ]; then
        cli=$c; clilib=$d; break
    fi
done
if [ -z "$cli" ]; then
    echo "FAIL the uci CLI built by libuci-sys was not found under ${ECO_TARGET_DIR:-target}/*/build/"
    exit 1
fi
uci_cli() { LD_LIBRARY_PATH=$clilib "$cli" "$@"; }

cat >"$tmp/op.lua" <<'EOF'
-- op.lua CONF SAVE OP ARGS...: one cursor operation, printing its results
local uci = require 'eco.uci'
local conf, save, op = arg[1], arg[2], arg[3]
local c = uci.cursor(conf, save)
local args = table.pack(table.unpack(arg, 4))
if op == 'setsave' then
    assert(c:set(args[1], args[2], args[3], args[4]))
    print(assert(c:save(args[1])))
elseif op == 'get' then
    print(c:get(args[1], args[2], args[3]))
elseif op == 'commit' then
    print(c:commit(args[1]))
elseif op == 'script' then
    -- a fixed set of changes, saved
    local sid = assert(c:add('net', 'route'))
    assert(c:set('net', sid, 'target', '10.0.0.0/8'))
    assert(c:set('net', 'lan', 'dns', { '1.1.1.1', '9.9.9.9' }))
    assert(c:rename('net', 'wan', 'uplink'))
    assert(c:reorder('net', 'uplink', 0))
    assert(c:delete('net', 'lan', 'mtu'))
    print(assert(c:save('net')))
end
c:close()
EOF

orig="config interface 'lan'
	option proto 'static'
	option mtu '1500'

config interface 'wan'
	option proto 'dhcp'
"

for pair in "eco:$eco:lua:$lua" "lua:$lua:eco:$eco"; do
    IFS=: read -r an a bn b <<<"$pair"
    conf=$tmp/$an/conf; save=$tmp/$an/save
    mkdir -p "$conf" "$save"
    printf '%s' "$orig" >"$conf/net"

    # A saves, B sees the delta and commits it.
    check "$an saves" true "$(timeout 20 "$a" "$tmp/op.lua" "$conf" "$save" setsave net lan proto dhcp)"
    check "$bn sees $an's delta" dhcp "$(timeout 20 "$b" "$tmp/op.lua" "$conf" "$save" get net lan proto)"
    check "$bn commits $an's delta" true "$(timeout 20 "$b" "$tmp/op.lua" "$conf" "$save" commit net)"
    check "delta truncated" "" "$(cat "$save/net")"
    check "$an sees the commit" dhcp "$(timeout 20 "$a" "$tmp/op.lua" "$conf" "$save" get net lan proto)"
    # (libuci re-creates a changed option at the end of its section)
    check "committed file" "
config interface 'lan'
	option mtu '1500'
	option proto 'dhcp'

config interface 'wan'
	option proto 'dhcp'" "$(cat "$conf/net")"

    # The uci CLI reads our delta, and its commit equals ours.
    printf '%s' "$orig" >"$conf/net"
    timeout 20 "$a" "$tmp/op.lua" "$conf" "$save" script >/dev/null
    cp "$save/net" "$tmp/delta"
    check "uci CLI sees $an's delta" "1.1.1.1 9.9.9.9" "$(uci_cli -c "$conf" -t "$save" get net.lan.dns)"
    check "uci CLI sees $an's rename" dhcp "$(uci_cli -c "$conf" -t "$save" get net.uplink.proto)"
    uci_cli -c "$conf" -t "$save" commit net || fail "uci CLI commit"
    cp "$conf/net" "$tmp/cli.out"
    printf '%s' "$orig" >"$conf/net"
    cp "$tmp/delta" "$save/net"
    check "$bn commits the same delta" true "$(timeout 20 "$b" "$tmp/op.lua" "$conf" "$save" commit net)"
    if cmp -s "$tmp/cli.out" "$conf/net"; then
        pass "commit by $bn = commit by the uci CLI (byte for byte)"
    else
        fail "commit by $bn differs from the uci CLI's"; diff "$tmp/cli.out" "$conf/net"
    fi

    # The uci CLI's saved changes are read and committed by us.
    uci_cli -c "$conf" -t "$save" set net.lan.ipaddr=192.168.1.1 || fail "uci CLI set"
    uci_cli -c "$conf" -t "$save" add_list net.lan.dns=8.8.8.8 || fail "uci CLI add_list"
    check "$an sees the CLI's delta" 192.168.1.1 "$(timeout 20 "$a" "$tmp/op.lua" "$conf" "$save" get net lan ipaddr)"
    check "$bn commits the CLI's delta" true "$(timeout 20 "$b" "$tmp/op.lua" "$conf" "$save" commit net)"
    check "uci CLI reads our commit" "192.168.1.1" "$(uci_cli -c "$conf" -t "$save" get net.lan.ipaddr)"
    check "uci CLI reads our list" "1.1.1.1 9.9.9.9 8.8.8.8" "$(uci_cli -c "$conf" -t "$save" get net.lan.dns)"
    check "uci CLI has no pending changes" "" "$(uci_cli -c "$conf" -t "$save" changes net)"
done

[ "$failures" -eq 0 ]
