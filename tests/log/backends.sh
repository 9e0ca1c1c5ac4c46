#!/usr/bin/env bash
# eco.log default backends (spec/log.md sections 3 and 4): syslog when stdout is not a terminal,
# stdout when it is.
#
# syslog: the test runs each runner inside a private mount namespace (unshare -m, as root) with a
# fresh tmpfs on /dev, where a real receiver (a Python Unix datagram socket) is bound at /dev/log,
# the path syslog(3) uses; the datagrams it receives are checked against the syslog(3) wire
# format (`<PRI>Mmm dd hh:mm:ss ident[pid]: msg`, facility LOG_DAEMON). The host's /dev is not
# touched. stdout: the runner is started on a pseudo-terminal by script(1).
#
# usage: tests/log/backends.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: backends.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}

for tool in unshare python3 script; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool is missing"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

cat >"$tmp/recv.py" <<'EOF'
# Receives syslog datagrams on argv[1], writes each as one repr()-escaped line to argv[2],
# stops after a datagram ending with "END" or after 20 s.
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
s.settimeout(20)
with open(out, 'w') as f:
    f.write('READY\n')
    f.flush()
    try:
        while True:
            d = s.recv(65536)
            f.write(repr(d.decode('utf-8', 'replace')) + '\n')
            f.flush()
            if d.endswith(b'END'):
                break
    except socket.timeout:
        pass
EOF

cat >"$tmp/syslog.lua" <<'EOF'
local T = require 'testlib'
local log = require 'eco.log'
T.go(function()
    log.info('default-ident')
    log.set_ident('syslogtest')
    log.info('hello', 42, true)
    log.debug('filtered-out')
    log.err('multi\nline')
    log.set_flags(log.FLAG_LF | log.FLAG_FILE)
    log.log(log.WARNING, 'located')
    log.set_flags(log.FLAG_LF)
    log.set_level(log.DEBUG)
    log.debug('dbg')
    log.log(9, 'alert9')
    -- a rejected path keeps (or falls back to) the default backend; set_path('') resets it
    log.set_path('')
    log.info('END')
end)
print('stdout-line ' .. require('ecotest').getpid())
EOF

for runner in "$eco" "$lua"; do
    name=$(basename "$runner")
    out=$tmp/$name.recv
    rm -f "$out"
    timeout 60 unshare -m --propagation private bash -c '
        set -e
        tmp=$1; runner=$2; out=$3
        mkdir -p "$tmp/olddev"
        mount --bind /dev "$tmp/olddev"
        mount -t tmpfs tmpfs /dev
        for n in null zero full random urandom tty; do
            touch "/dev/$n"; mount --bind "$tmp/olddev/$n" "/dev/$n"
        done
        ln -s /proc/self/fd /dev/fd
        python3 "$tmp/recv.py" /dev/log "$out" &
        rcv=$!
        for _ in $(seq 200); do [ -S /dev/log ] && break; sleep 0.05; done
        "$runner" "$tmp/syslog.lua" >"$out.stdout" 2>"$out.stderr" </dev/null
        echo "rc=$?" >>"$out.stdout"
        wait $rcv
    ' _ "$tmp" "$runner" "$out"
    if [ ! -s "$out" ]; then
        fail "$name: the syslog receiver did not run"
        continue
    fi
    pid=$(grep -o "syslogtest\[[0-9]*\]" "$out" | head -1 | tr -dc 0-9)
    expect() { # expect DESCRIPTION EXTENDED-REGEX
        if grep -Eq "$2" "$out"; then pass "$name: syslog $1"; else fail "$name: syslog $1: no line matching $2"; fi
    }
    ts='[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]'
    expect "default ident is the process name" "^'<30>$ts (eco|lua5\\.4)\\[[0-9]+\\]: default-ident'\$"
    expect "INFO record (LOG_DAEMON|INFO = 30)" "^'<30>$ts syslogtest\\[[0-9]+\\]: hello 42 true'\$"
    expect "ERR record, first line" "^'<27>$ts syslogtest\\[[0-9]+\\]: multi'\$"
    expect "ERR record, second line" "^'<27>$ts syslogtest\\[[0-9]+\\]: line'\$"
    expect "location prefix, no newline (FLAG_LF ignored)" "^'<28>$ts syslogtest\\[[0-9]+\\]: \\(syslog\\.lua: +[0-9]+\\) located'\$"
    expect "DEBUG record at level DEBUG" "^'<31>$ts syslogtest\\[[0-9]+\\]: dbg'\$"
    expect "log(9) is ALERT" "^'<25>$ts syslogtest\\[[0-9]+\\]: alert9'\$"
    expect "END after set_path('')" "syslogtest\\[[0-9]+\\]: END'\$"
    if grep -q filtered-out "$out"; then fail "$name: syslog DEBUG record at level INFO was sent"; else pass "$name: syslog filters by level"; fi
    if [ -n "$pid" ] && [ "$(cat "$out.stdout")" = "$(printf 'stdout-line %s\nrc=0' "$pid")" ]; then
        pass "$name: records carry the process id ($pid)"
    else
        fail "$name: pid in records '$pid' vs the process: $(cat "$out.stdout")"
    fi
    if [ "$(head -1 "$out.stdout")" = "stdout-line $pid" ]; then
        pass "$name: nothing logged on a non-terminal stdout"
    else
        fail "$name: stdout/exit: $(cat "$out.stdout" "$out.stderr")"
    fi
done

# stdout backend on a terminal
cat >"$tmp/tty.lua" <<'EOF'
local T = require 'testlib'
local log = require 'eco.log'
T.go(function()
    log.set_ident('ttytest')
    log.info('on', 'the', 'tty')
    log.err('second')
    log.set_path('/nonexistent-dir/x.log') -- rejected: stays on stdout
    log.info('third')
end)
EOF
for runner in "$eco" "$lua"; do
    name=$(basename "$runner")
    timeout 30 script -qec "$runner $tmp/tty.lua" /dev/null </dev/null | tr -d '\r' >"$tmp/$name.tty"
    pidre='\[[0-9]+\]'
    if grep -Eq "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} info  ttytest$pidre: on the tty\$" "$tmp/$name.tty" &&
        grep -Eq " err   ttytest$pidre: second\$" "$tmp/$name.tty" &&
        grep -Eq " info  ttytest$pidre: third\$" "$tmp/$name.tty"; then
        pass "$name: stdout backend on a terminal"
    else
        fail "$name: stdout backend on a terminal: $(cat "$tmp/$name.tty")"
    fi
done

[ "$failures" -eq 0 ]
