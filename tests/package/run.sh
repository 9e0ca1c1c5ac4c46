#!/usr/bin/env bash
# Installs ONLY the lua-eco package from target/dist (written by `cargo xtask package`, which
# `cargo xtask test` runs before the *.sh tests) into an empty root, then runs a script there with
# stock lua5.4 whose search paths point only into that root (no ';;', nothing from the build tree).
#
# usage: tests/package/run.sh ECO_BINARY LUA54
set -euo pipefail

lua54=${2:-lua5.4}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dist=${ECO_TARGET_DIR:-$repo/target}/dist

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v "$lua54" >/dev/null || fail "lua5.4 not found ($lua54): install Debian's lua5.4"

shopt -s nullglob
ipks=("$dist"/lua-eco_*.ipk)
[ ${#ipks[@]} -eq 1 ] || fail "expected exactly one lua-eco_*.ipk in $dist, found ${#ipks[@]} (run: cargo xtask package)"
ipk=${ipks[0]}
echo "package: $ipk"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ipk" "$tmp/control" "$tmp/root" "$tmp/cwd"

# An ipk is a gzip'd tar of debian-binary, data.tar.gz and control.tar.gz.
tar -xzf "$ipk" -C "$tmp/ipk"
[ "$(cat "$tmp/ipk/debian-binary")" = "2.0" ] || fail "debian-binary is not 2.0"
[ -f "$tmp/ipk/data.tar.gz" ] || fail "no data.tar.gz in the ipk"
[ -f "$tmp/ipk/control.tar.gz" ] || fail "no control.tar.gz in the ipk"

tar -xzf "$tmp/ipk/control.tar.gz" -C "$tmp/control"
control=$tmp/control/control
for field in Package Version Depends Architecture Maintainer Description; do
    grep -q "^$field: " "$control" || fail "control has no $field field"
done
grep -qx 'Package: lua-eco' "$control" || fail "control: wrong Package"
grep -q '^Depends: .*liblua5\.4' "$control" || fail "control: Depends lacks liblua5.4"

tar -xzf "$tmp/ipk/data.tar.gz" -C "$tmp/root"
echo "installed files:"
(cd "$tmp/root" && find . -type f | sort | sed 's/^/    /')

sodir=$tmp/root/usr/lib/lua/5.4
luadir=$tmp/root/usr/share/lua/5.4
for f in "$sodir/eco.so" "$sodir/eco/time.so" "$sodir/eco/sync.so" "$sodir/eco/bufio.so" \
         "$luadir/eco/cli.lua" "$luadir/eco/channel.lua"; do
    [ -f "$f" ] || fail "missing ${f#"$tmp/root"}"
done
[ ! -e "$sodir/ecotest.so" ] || fail "the test-only ecotest.so must not be packaged"

cat > "$tmp/cwd/check.lua" <<'EOF'
local root = assert(os.getenv('PKG_ROOT'))
local function from_root(kind, name)
    local path = assert(package.searchpath(name, kind == 'so' and package.cpath or package.path))
    assert(path:sub(1, #root) == root, name .. ' found outside the package root: ' .. path)
end
from_root('so', 'eco'); from_root('so', 'eco.time'); from_root('so', 'eco.sync'); from_root('so', 'eco.bufio')
from_root('lua', 'eco.cli'); from_root('lua', 'eco.channel')

local eco = require 'eco'
local time = require 'eco.time'
local sync = require 'eco.sync'
local channel = require 'eco.channel'
assert(type(require 'eco.bufio') == 'table')
assert(type(require 'eco.cli') == 'table')
assert(type(sync) == 'table' and type(channel) == 'table')

eco.run(function()
    time.sleep(0.01)
    print('pkg ok')
end)
eco.loop()
EOF

out=$(cd "$tmp/cwd" && env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 -u LD_LIBRARY_PATH \
      PKG_ROOT="$tmp/root" \
      LUA_PATH="$luadir/?.lua;$luadir/?/init.lua" \
      LUA_CPATH="$sodir/?.so" \
      "$lua54" check.lua 2>&1) || { echo "$out"; fail "script under $lua54 failed"; }
echo "$out"
[ "$out" = "pkg ok" ] || fail "expected output 'pkg ok'"
echo "package test passed"
