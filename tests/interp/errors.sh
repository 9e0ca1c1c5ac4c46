#!/usr/bin/env bash
# The message of an uncaught error is printed as lua5.4 prints it, whatever the error value: a
# string or number as it is, another value through __tostring, else "(error object is a T
# value)". Under `eco` (and the launcher, ECO_LAUNCHER) the main chunk runs in a coroutine, so
# the error takes the panic path (spec/eco.md 6, 12.2): the message heads the first of two
# tracebacks on stdout, exit status 1. lua5.4 prints it on stderr after its program name; it is
# run as the reference for the same scripts.
#
# usage: tests/interp/errors.sh ECO_BINARY [LUA54]
set -u
eco=${1:?usage: errors.sh ECO_BINARY [LUA54]}
lua=${2:-}
launcher=${ECO_LAUNCHER:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# check LABEL CODE WANT_MESSAGE
check() {
    local label=$1 code=$2 want=$3 runner tag msg
    printf 'print("OUT")\n%s\n' "$code" >"$tmp/s.lua"
    for runner in "$eco" ${launcher:+"$launcher"}; do
        tag=$(basename "$runner")
        timeout 30 "$runner" "$tmp/s.lua" >"$tmp/out" 2>"$tmp/err" </dev/null
        local rc=$?
        if [ "$rc" -ne 1 ]; then fail "$label [$tag]: exit status $rc"; continue; fi
        msg=$(sed -n 2p "$tmp/out")
        if [ "$(head -n 1 "$tmp/out")" != "OUT" ] || [ "$msg" != "$want" ]; then
            fail "$label [$tag]: expected 'OUT' then '$want' on stdout"; sed 's/^/    | /' "$tmp/out" | head -n 8; continue
        fi
        if [ "$(grep -c 'stack traceback' "$tmp/out")" -lt 2 ]; then
            fail "$label [$tag]: the panic path prints two tracebacks"; continue
        fi
        pass "$label [$tag]"
    done
    if [ -n "$lua" ]; then
        timeout 30 "$lua" "$tmp/s.lua" >/dev/null 2>"$tmp/err" </dev/null
        msg=$(head -n 1 "$tmp/err" | sed 's/^[^:]*: //')
        if [ "$msg" = "$want" ]; then pass "$label [lua5.4, the reference]"; else fail "$label [lua5.4]: '$msg'"; fi
    fi
}

check "string error" "error('plain')" "$tmp/s.lua:2: plain"
check "number error" "error(42)" "42"
check "table error" "error({})" "(error object is a table value)"
check "nil error" "error(nil)" "(error object is a nil value)"
check "__tostring error" "error(setmetatable({}, {__tostring = function() return 'boom' end}))" "boom"
check "module argument error" "require('eco.sys').kill('x')" "$tmp/s.lua:2: bad argument #1 to 'kill' (number expected, got string)"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "error message checks passed"
