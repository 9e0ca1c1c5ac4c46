#!/usr/bin/env bash
# Checks of the eco core that need a child process: exit status, stdout/stderr, inherited fds
# (spec/eco.md checklist 13, 16, 36, 37, 38, and the 12.3 tail of 39).
#
# usage: tests/interp/run.sh ECO_BINARY [LUA54_RUNNER]
#   ECO_BINARY    the `eco` interpreter
#   LUA54_RUNNER  a lua5.4-compatible runner (stock lua5.4 with the eco modules on LUA_CPATH/LUA_PATH,
#                 or the eco binary itself); items 13 and 16 are run with it and with ECO_BINARY.
# Prints one line per check; exits non-zero if any check failed.
set -u

eco=${1:?usage: run.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# run NAME CMD... : runs CMD with stdout/stderr captured in $tmp/NAME.out / .err, sets $rc.
# A 30 s timeout guards against hangs.
run() {
    local name=$1; shift
    timeout 30 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    rc=$?
}

show() { # show NAME: dumps the captured output (for failure diagnostics)
    sed 's/^/    stdout| /' "$tmp/$1.out" | head -n 30
    sed 's/^/    stderr| /' "$tmp/$1.err" | head -n 30
}

expect_rc() { # expect_rc NAME WANT LABEL
    if [ "$rc" -eq "$2" ]; then pass "$3: exit status $rc"; else fail "$3: exit status $rc, expected $2"; show "$1"; fi
}
expect_in() { # expect_in NAME out|err TEXT LABEL
    if grep -qF -- "$3" "$tmp/$1.$2"; then pass "$4: std$2 contains '$3'"; else fail "$4: std$2 lacks '$3'"; show "$1"; fi
}
expect_not_in() { # expect_not_in NAME out|err TEXT LABEL
    if grep -qF -- "$3" "$tmp/$1.$2"; then fail "$4: std$2 unexpectedly contains '$3'"; show "$1"; else pass "$4: std$2 has no '$3'"; fi
}

# Scripts for items 13 and 16. They work under both runners: under stock lua5.4 the main chunk
# is not a coroutine and must run the loop itself; under eco the loop starts automatically.
cat >"$tmp/panic_loop.lua" <<'EOF'
local eco = require 'eco'
print('START')
eco.run(function()
    eco.sleep(0.01)
    error('boom-13-from-loop')
end)
if not coroutine.isyieldable() then eco.loop() end
EOF

cat >"$tmp/panic_sync.lua" <<'EOF'
local eco = require 'eco'
print('START')
eco.run(function() error('boom-13-synchronous') end)
print('NOT-REACHED')  -- the process exits inside eco.run
EOF

cat >"$tmp/panic_pcall.lua" <<'EOF'
local eco = require 'eco'
print('START')
local ok = pcall(eco.run, function() error('boom-13-pcall') end)
print('NOT-REACHED', ok)  -- pcall around eco.run cannot catch the coroutine's error
EOF

cat >"$tmp/panic_hook.lua" <<'EOF'
local eco = require 'eco'
print('START')
eco.set_panic_hook(function(a, b)
    print('HOOK', type(a), type(b), a:find('boom-13-hook', 1, true) ~= nil)
end)
eco.run(function()
    eco.sleep(0.01)
    error('boom-13-hook')
end)
if not coroutine.isyieldable() then eco.loop() end
EOF

cat >"$tmp/watchdog_on.lua" <<'EOF'
local eco = require 'eco'
eco.set_watchdog_timeout(1)
eco.run(function()
    eco.sleep(0.01)
    local t = os.clock()
    while os.clock() - t < 0.03 do end   -- busy for 30 ms without yielding
    eco.sleep(0.01)
    print('BUSY-DONE')
end)
if not coroutine.isyieldable() then eco.loop() end
print('SCRIPT-END')
EOF

sed 's/set_watchdog_timeout(1)/set_watchdog_timeout(0)/' "$tmp/watchdog_on.lua" >"$tmp/watchdog_off.lua"

runners=("$lua")
[ "$lua" != "$eco" ] && runners+=("$eco")

for runner in "${runners[@]}"; do
    tag=$(basename "$runner")

    # 13: error in a coroutine resumed by the loop
    run panic_loop "$runner" "$tmp/panic_loop.lua"
    expect_rc panic_loop 1 "13 [$tag] error in a loop-resumed coroutine"
    expect_in panic_loop out 'START' "13 [$tag] stdout flushed before exit"
    expect_in panic_loop out 'boom-13-from-loop' "13 [$tag] first traceback carries the message"
    n=$(grep -c 'stack traceback' "$tmp/panic_loop.out")
    if [ "$n" -ge 2 ]; then pass "13 [$tag] two tracebacks on stdout ($n)"; else fail "13 [$tag] expected 2 tracebacks on stdout, found $n"; show panic_loop; fi

    # 13: error before the first yield: exit happens inside eco.run
    run panic_sync "$runner" "$tmp/panic_sync.lua"
    expect_rc panic_sync 1 "13 [$tag] error inside eco.run"
    expect_in panic_sync out 'boom-13-synchronous' "13 [$tag] message printed"
    n=$(grep -c 'stack traceback' "$tmp/panic_sync.out")
    if [ "$n" -ge 2 ]; then pass "13 [$tag] two tracebacks on stdout ($n)"; else fail "13 [$tag] expected 2 tracebacks on stdout, found $n"; show panic_sync; fi
    expect_not_in panic_sync out 'NOT-REACHED' "13 [$tag] the process exits immediately"

    # 13 (section 6): pcall around eco.run does not catch it
    run panic_pcall "$runner" "$tmp/panic_pcall.lua"
    expect_rc panic_pcall 1 "13 [$tag] pcall(eco.run, failing) still exits"
    expect_in panic_pcall out 'boom-13-pcall' "13 [$tag] message printed"
    expect_not_in panic_pcall out 'NOT-REACHED' "13 [$tag] pcall does not catch the coroutine error"

    # 13: with a panic hook
    run panic_hook "$runner" "$tmp/panic_hook.lua"
    expect_rc panic_hook 1 "13 [$tag] error with a panic hook"
    expect_in panic_hook out 'HOOK	string	string	true' "13 [$tag] hook got two strings, the first with the message"
    expect_not_in panic_hook out 'stack traceback' "13 [$tag] with a hook the tracebacks are not printed"

    # 16: watchdog
    run watchdog_on "$runner" "$tmp/watchdog_on.lua"
    expect_rc watchdog_on 0 "16 [$tag] watchdog 1 ms, busy 30 ms"
    expect_in watchdog_on out 'coroutine execution timeout' "16 [$tag] watchdog report"
    expect_in watchdog_on out 'BUSY-DONE' "16 [$tag] the reported coroutine kept running"
    expect_in watchdog_on out 'SCRIPT-END' "16 [$tag] the program kept running"

    run watchdog_off "$runner" "$tmp/watchdog_off.lua"
    expect_rc watchdog_off 0 "16 [$tag] watchdog 0, busy 30 ms"
    expect_not_in watchdog_off out 'coroutine execution timeout' "16 [$tag] watchdog disabled"
    expect_not_in watchdog_off err 'coroutine execution timeout' "16 [$tag] watchdog disabled"
    expect_in watchdog_off out 'BUSY-DONE' "16 [$tag] busy coroutine finished"
done

# 36: arg table, varargs, global eco (the script checks itself and exits non-zero on failure)
run args "$eco" "$here/args.lua" first second
expect_rc args 0 "36 eco args.lua first second"
cat >"$tmp/argprint.lua" <<'EOF'
print('ARG0=' .. tostring(arg[0]))
print('ARG1=' .. tostring(arg[1]))
print('ARGM1=' .. tostring(arg[-1]))
print('NVARARG=' .. select('#', ...))
EOF
run argprint "$eco" "$tmp/argprint.lua" one two
expect_rc argprint 0 "36 arg printing script"
expect_in argprint out "ARG0=$tmp/argprint.lua" "36 arg[0] is the script path"
expect_in argprint out 'ARG1=one' "36 arg[1] is the first argument"
expect_in argprint out "ARGM1=$eco" "36 arg[-1] is the interpreter as invoked"
expect_in argprint out 'NVARARG=0' "36 the chunk gets no varargs"

# 37: command line
run v "$eco" -v
expect_rc v 0 "37 eco -v"
expect_in v err 'Lua-eco' "37 eco -v"
expect_in v err 'Lua 5.4' "37 eco -v"

run h "$eco" -h
expect_rc h 1 "37 eco -h"
expect_in h err 'usage:' "37 eco -h"

run noargs "$eco"
expect_rc noargs 1 "37 eco (no arguments)"
expect_in noargs err 'usage:' "37 eco (no arguments)"

run badopt "$eco" -x
expect_rc badopt 1 "37 eco -x"
expect_in badopt err 'usage:' "37 eco -x"

run e "$eco" -e 'print(arg)'
expect_rc e 0 "37 eco -e 'print(arg)'"
if [ "$(cat "$tmp/e.out")" = "nil" ]; then pass "37 eco -e 'print(arg)' prints nil"; else fail "37 eco -e 'print(arg)' printed '$(cat "$tmp/e.out")', expected 'nil'"; fi

run e2 "$eco" -e 'print("E-RAN", coroutine.isyieldable())' "$tmp/does-not-exist.lua"
expect_rc e2 0 "37 eco -e STAT ignores a script name after it"
expect_in e2 out 'E-RAN	true' "37 -e string runs inside a coroutine"

printf 'local x = = 1\n' >"$tmp/syntax.lua"
run syntax "$eco" "$tmp/syntax.lua"
expect_rc syntax 1 "37 syntax error"
if [ -s "$tmp/syntax.err" ]; then pass "37 syntax error reported on stderr"; else fail "37 syntax error: nothing on stderr"; fi

run missing "$eco" "$tmp/does-not-exist.lua"
expect_rc missing 1 "37 missing script"
expect_in missing err 'cannot open' "37 missing script"

# 38: inherited descriptors are closed at start-up. Each fd is opened by the shell on a file
# holding a marker; whatever the interpreter opened itself may reuse low numbers, so the test
# only requires that none of them still refers to the inherited file, and that fd 13 and 200
# (far above anything the runtime needs at start-up) are closed.
printf 'INHERITED-MARKER' >"$tmp/marker"
cat >"$tmp/fds.lua" <<'EOF'
local eco = require 'eco'
local ok_et, et = pcall(require, 'ecotest')
for _, fd in ipairs({ 5, 13, 200 }) do
    local f = io.open('/proc/self/fd/' .. fd, 'r')
    local content = f and f:read('a')
    if f then f:close() end
    print(string.format('FD%d-INHERITED=%s', fd, tostring(content == 'INHERITED-MARKER')))
end
for _, fd in ipairs({ 13, 200 }) do
    local obj, err = eco.io(fd)
    print(string.format('FD%d-IO=%s', fd, tostring(err)))
    if ok_et then print(string.format('FD%d-FSTAT=%s', fd, tostring(et.fstat_err(fd)))) end
end
EOF
run fds "$eco" "$tmp/fds.lua" 5<"$tmp/marker" 13<"$tmp/marker" 200<"$tmp/marker"
expect_rc fds 0 "38 inherited fd script"
for fd in 5 13 200; do
    expect_in fds out "FD$fd-INHERITED=false" "38 inherited fd $fd is closed"
done
for fd in 13 200; do
    expect_in fds out "FD$fd-IO=Bad file descriptor" "38 eco.io($fd) on a closed inherited fd"
    if grep -q "FD$fd-FSTAT=" "$tmp/fds.out"; then
        expect_in fds out "FD$fd-FSTAT=Bad file descriptor" "38 fstat($fd)"
    fi
done
# sanity: the shell really passes such descriptors (checked with the stock runner when it differs)
if [ "$lua" != "$eco" ]; then
    run fds_lua "$lua" -e 'local f = io.open("/proc/self/fd/13") print("LUA-FD13=" .. tostring(f and f:read("a")))' 13<"$tmp/marker"
    expect_in fds_lua out 'LUA-FD13=INHERITED-MARKER' "38 sanity: a plain runner inherits fd 13"
fi

# 39 / 12.3: nested loop; the pending late sleeper is run by the interpreter's own loop
run nested "$eco" "$here/nested_loop.lua"
expect_rc nested 0 "39 eco nested_loop.lua"
expect_in nested out 'script continues after the nested loop' "39 script continued"
l_late=$(grep -n 'late sleeper finished' "$tmp/nested.out" | head -n 1 | cut -d: -f1)
l_cont=$(grep -n 'script continues after the nested loop' "$tmp/nested.out" | head -n 1 | cut -d: -f1)
if [ -n "$l_late" ] && [ -n "$l_cont" ] && [ "$l_late" -gt "$l_cont" ]; then
    pass "12.3 the interpreter's own loop ran the sleeper left pending after unloop, after the script ended"
else
    fail "12.3 expected 'late sleeper finished' after 'script continues after the nested loop'"; show nested
fi

echo
if [ "$failures" -eq 0 ]; then
    echo "all checks passed"
    exit 0
fi
echo "$failures check(s) failed"
exit 1
