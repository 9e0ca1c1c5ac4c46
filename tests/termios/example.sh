#!/usr/bin/env bash
# examples/termios/at_chat.lua --fake under both runners: the example configures the slave of a
# pseudo-terminal and chats with its fake modem (docs/termios.md, "Example").
#
# usage: tests/termios/example.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: example.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}

failures=0
expected='AT -> OK
ATI -> eco fake modem | OK
AT+CSQ -> +CSQ: 23,99 | OK
ATZ9 -> ERROR'

for runner in "$eco" "$lua"; do
    name=$(basename "$runner")
    out=$(timeout 30 "$runner" examples/termios/at_chat.lua --fake 9600 AT ATI AT+CSQ ATZ9 2>&1)
    rc=$?
    body=$(printf '%s\n' "$out" | grep -v '^fake modem on /dev/pts/')
    if [ $rc -eq 0 ] && [ "$body" = "$expected" ] && printf '%s\n' "$out" | grep -q '^fake modem on /dev/pts/[0-9]*$'; then
        echo "PASS $name: at_chat.lua --fake"
    else
        echo "FAIL $name: at_chat.lua --fake (exit $rc):"
        printf '%s\n' "$out"
        failures=$((failures + 1))
    fi
    # A device that does not exist fails with the OS text.
    out=$(timeout 30 "$runner" examples/termios/at_chat.lua /nonexistent/tty 2>&1)
    if [ $? -ne 0 ] && printf '%s\n' "$out" | grep -q 'No such file or directory'; then
        echo "PASS $name: missing device reported"
    else
        echo "FAIL $name: missing device: $out"
        failures=$((failures + 1))
    fi
done

[ "$failures" -eq 0 ]
