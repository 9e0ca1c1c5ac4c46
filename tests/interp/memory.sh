#!/usr/bin/env bash
# Running out of memory is a Lua error, never an abort (README.md, "Memory"): under a 1 GiB
# address-space limit, io.read and string building beyond it raise "not enough memory" that
# pcall catches, eco.file.readfile with a count of 2^40 returns the file, and the process goes on
# and exits 0. Under `eco`, the interpreter's allocator returns NULL on failure as lauxlib's does
# (mlua's own one aborts); lua5.4 with the .so files is the reference for the same script.
#
# usage: tests/interp/memory.sh ECO_BINARY [LUA54]
set -u
eco=${1:?usage: memory.sh ECO_BINARY [LUA54]}
lua=${2:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'hello\n' >"$tmp/small.txt"

cat >"$tmp/oom.lua" <<'LUA'
local file = require 'eco.file'
local path = arg[1]
local function oom(what, f, ...)
    local ok, err = pcall(f, ...)
    assert(not ok, what .. ' did not fail')
    assert(tostring(err):find('not enough memory', 1, true), what .. ': ' .. tostring(err))
    print('caught ' .. what)
end
local f = assert(io.open(path))
oom('io read(2^40)', f.read, f, 1 << 40)
f:close()
oom('string buffer', function()
    local t = {}
    for i = 1, 64 do t[i] = string.rep('x', 64 << 20) end -- 4 GiB in 64 MiB strings
end)
collectgarbage()
assert(file.readfile(path, 1 << 40) == 'hello\n', 'readfile(path, 2^40) is bounded by the file')
assert(file.readfile(path, 3) == 'hel')
print('still running')
LUA

failures=0
for runner in "$eco" $lua; do
    name=$(basename "$runner")
    out=$( (ulimit -v 1048576 && timeout 60 "$runner" "$tmp/oom.lua" "$tmp/small.txt") 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^still running$'; then
        echo "PASS $name: memory errors are Lua errors"
    else
        echo "FAIL $name (exit $rc):"
        printf '%s\n' "$out" | head -20
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ]
