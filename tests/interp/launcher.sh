#!/usr/bin/env bash
# The small `eco` launcher (crates/eco-launch: the system's liblua5.4 and the installed modules,
# here target/lua/5.4 through LUA_CPATH/LUA_PATH as `cargo xtask test` sets them) passes the
# interpreter's checks: tests/interp/run.sh with the launcher as the interpreter, and every
# tests/interp/*.lua script run by it.
#
# usage: tests/interp/launcher.sh ECO_BINARY LUA54   (ECO_LAUNCHER: the launcher; set by xtask)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
launcher=${ECO_LAUNCHER:-${ECO_TARGET_DIR:-$repo/target}/launcher/eco-launch}
lua=${2:-lua5.4}
[ -x "$launcher" ] || { echo "FAIL: launcher $launcher not built (cargo xtask build-modules)"; exit 1; }

failures=0
bash "$here/run.sh" "$launcher" "$lua" || failures=$((failures + 1))
for t in "$here"/*.lua; do
    if timeout 60 "$launcher" "$t" first second >/tmp/launcher-test.$$ 2>&1; then
        echo "PASS launcher $(basename "$t")"
    else
        echo "FAIL launcher $(basename "$t")"; sed 's/^/    /' /tmp/launcher-test.$$ | tail -n 30
        failures=$((failures + 1))
    fi
done
rm -f /tmp/launcher-test.$$
[ "$failures" -eq 0 ] || exit 1
echo "launcher checks passed"
