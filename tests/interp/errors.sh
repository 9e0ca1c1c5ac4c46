#!/usr/bin/env bash
# An uncaught error of the main chunk is reported by `eco` the way lua5.4 reports it: on stderr,
# the message (a string or number as it is, another value through __tostring, without traceback,
# or as "(error object is a T value)"), then the traceback; exit status 1.
#
# usage: tests/interp/errors.sh ECO_BINARY [LUA54_RUNNER]
set -u
eco=${1:?usage: errors.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# check LABEL CODE WANT_FIRST_LINE WANT_TRACEBACK(yes|no)
check() {
    local label=$1 code=$2 want=$3 tb=$4 runner
    printf 'print("OUT")\n%s\n' "$code" >"$tmp/s.lua"
    for runner in "$eco" ${lua:+"$lua"}; do
        timeout 30 "$runner" "$tmp/s.lua" >"$tmp/out" 2>"$tmp/err" </dev/null
        local rc=$? tag
        tag=$(basename "$runner")
        # lua5.4 prefixes its program name, eco its own: compare what follows "NAME: ".
        local first
        first=$(head -n 1 "$tmp/err" | sed 's/^[^:]*: //')
        if [ "$rc" -ne 1 ]; then fail "$label [$tag]: exit status $rc"; continue; fi
        if [ "$first" != "$want" ]; then
            fail "$label [$tag]: first stderr line '$first', expected '$want'"; sed 's/^/    | /' "$tmp/err"; continue
        fi
        if [ "$(cat "$tmp/out")" != "OUT" ]; then fail "$label [$tag]: stdout '$(cat "$tmp/out")'"; continue; fi
        if grep -q 'stack traceback' "$tmp/err"; then has=yes; else has=no; fi
        if [ "$has" != "$tb" ]; then fail "$label [$tag]: traceback on stderr: $has, expected $tb"; continue; fi
        if [ "$tb" = yes ] && ! grep -q "s.lua:2: in main chunk" "$tmp/err"; then
            fail "$label [$tag]: traceback lacks the failure point"; sed 's/^/    | /' "$tmp/err"; continue
        fi
        pass "$label [$tag]"
    done
}

check "string error" "error('plain')" "$tmp/s.lua:2: plain" yes
check "number error" "error(42)" "42" yes
check "table error" "error({})" "(error object is a table value)" yes
check "nil error" "error(nil)" "(error object is a nil value)" yes
check "__tostring error" "error(setmetatable({}, {__tostring = function() return 'boom' end}))" "boom" no
check "module argument error" "require('eco.sys').kill('x')" "$tmp/s.lua:2: bad argument #1 to 'kill' (number expected, got string)" yes

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
