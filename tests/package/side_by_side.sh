#!/usr/bin/env bash
# A bundle (target/bundle/all) and separately built module .so files (target/lua/5.4) load side by
# side in one stock lua5.4 process: the core and eco.time come from the bundle, eco.sync and
# eco.mqtt from their own files, and they work together through the core's ABI (a coroutine
# parked by the per-module eco.sync is woken by a cond signal, a bundle timer fires).
#
# usage: tests/package/side_by_side.sh ECO_BINARY LUA54
set -euo pipefail
lua54=${2:-lua5.4}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=${ECO_TARGET_DIR:-$repo/target}
bundle=${ECO_BUNDLE_DIR:-$target/bundle/all/lua/5.4}
single=$target/lua/5.4
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$bundle/eco.so" ] || fail "no bundle at $bundle (cargo xtask build-modules --bundle)"
[ -f "$single/eco/sync.so" ] || fail "no per-module build at $single (cargo xtask build-modules)"

out=$(env -u LUA_INIT -u LUA_INIT_5_4 BUNDLE="$bundle" SINGLE="$single" \
      LUA_CPATH="$bundle/?.so" LUA_PATH="$bundle/?.lua" timeout 30 "$lua54" - <<'EOF' 2>&1
local bundle, single = os.getenv('BUNDLE'), os.getenv('SINGLE')
local eco = require 'eco'                                   -- the bundle
local time = require 'eco.time'                             -- link to the bundle
assert(package.searchpath('eco.time', package.cpath) == bundle .. '/eco/time.so')
-- Separately built modules, by path: each carries its own copy of std and mlua.
local sync = assert(package.loadlib(single .. '/eco/sync.so', 'luaopen_eco_sync'))()
package.loaded['eco.sync'] = sync
local socket = assert(package.loadlib(single .. '/eco/socket.so', 'luaopen_eco_socket'))()
package.loaded['eco.socket'] = socket
local mqtt = assert(package.loadlib(single .. '/eco/mqtt.so', 'luaopen_eco_mqtt'))()
assert(type(mqtt.new) == 'function')

local cond = sync.cond()
local woke = false
eco.run(function()
    assert(cond:wait(2), 'per-module cond woken')
    woke = true
end)
eco.run(function()
    time.sleep(0.02)                                        -- bundle timer
    cond:signal()
end)
eco.loop()
assert(woke)
print('side by side ok')
EOF
) || { echo "$out"; fail "lua5.4 with bundle + per-module modules failed"; }
echo "$out"
[ "$(tail -n 1 <<<"$out")" = "side by side ok" ] || fail "unexpected output"
