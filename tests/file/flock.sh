#!/usr/bin/env bash
# eco.file f:flock between real processes (spec/file.md checklist 12): against flock(1) from
# util-linux as the peer, and between two eco processes, under both runners.
#
# usage: tests/file/flock.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: flock.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}

command -v flock >/dev/null || { echo "FAIL flock(1) (util-linux) is missing"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lock=$tmp/lock
: >"$lock"

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# A script taking the lock with a timeout; prints the result and the elapsed time.
cat >"$tmp/try.lua" <<'EOF'
local T = require 'testlib'
local file = require 'eco.file'
local path, op, timeout, hold = arg[1], arg[2], tonumber(arg[3]), tonumber(arg[4] or 0)
T.go(function()
    local f = assert(file.open(path, file.O_RDWR))
    local t0 = T.now()
    local ok, err = f:flock(op == 'sh' and file.LOCK_SH or file.LOCK_EX, timeout)
    io.write(string.format('%s %s %.3f\n', tostring(ok), tostring(err), T.now() - t0))
    io.flush()
    if ok and hold > 0 then
        require('eco').sleep(hold)
        assert(f:flock(file.LOCK_UN))
    end
    f:close()
end)
EOF

for runner in "$eco" "$lua"; do
    name=$(basename "$runner")

    # flock(1) holds LOCK_EX for 1.5 s: a 0.3 s timeout expires.
    flock -x "$lock" -c 'sleep 1.5' &
    peer=$!
    sleep 0.3
    out=$(timeout 20 "$runner" "$tmp/try.lua" "$lock" ex 0.3)
    set -- $out
    if [ "${1:-}" = nil ] && [ "${2:-}" = timeout ] && awk "BEGIN{exit !($3 >= 0.29 && $3 <= 1.5)}"; then
        pass "$name: timeout while flock(1) holds LOCK_EX ($out)"
    else
        fail "$name: timeout while flock(1) holds LOCK_EX: got '$out'"
    fi
    # A shared lock is refused as well; then, waiting with a long timeout succeeds once the peer ends.
    out=$(timeout 20 "$runner" "$tmp/try.lua" "$lock" sh 5)
    set -- $out
    if [ "${1:-}" = true ] && awk "BEGIN{exit !($3 >= 0.3)}"; then
        pass "$name: LOCK_SH acquired after flock(1) released ($out)"
    else
        fail "$name: LOCK_SH after the peer released: got '$out'"
    fi
    wait "$peer"

    # The eco process holds LOCK_EX for 1 s: flock -n fails meanwhile, flock -w 5 succeeds later.
    rm -f "$tmp/holder.out" "$tmp/first.out"
    timeout 20 "$runner" "$tmp/try.lua" "$lock" ex 5 1 >"$tmp/holder.out" &
    holder=$!
    for _ in $(seq 100); do [ -s "$tmp/holder.out" ] && break; sleep 0.05; done
    if flock -n -x "$lock" -c true; then
        fail "$name: flock -n succeeded while eco held LOCK_EX"
    else
        pass "$name: flock -n refused while eco held LOCK_EX"
    fi
    if flock -w 5 -x "$lock" -c true; then
        pass "$name: flock -w got the lock after eco released it"
    else
        fail "$name: flock -w did not get the lock after eco released it"
    fi
    wait "$holder"

    # Two eco processes: the second waits (no timeout) until the first releases after 1 s.
    timeout 20 "$runner" "$tmp/try.lua" "$lock" ex 5 1 >"$tmp/first.out" &
    first=$!
    for _ in $(seq 100); do [ -s "$tmp/first.out" ] && break; sleep 0.05; done
    out=$(timeout 20 "$runner" "$tmp/try.lua" "$lock" ex 0)
    set -- $out
    if [ "${1:-}" = true ] && awk "BEGIN{exit !($3 >= 0.5 && $3 <= 5)}"; then
        pass "$name: second eco process got LOCK_EX after the first released ($out)"
    else
        fail "$name: second eco process: got '$out'"
    fi
    wait "$first"
done

[ "$failures" -eq 0 ]
