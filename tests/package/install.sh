#!/usr/bin/env bash
# Installs lua-eco-http and what its control files say it depends on into an empty root, once
# from the per-module packages (target/dist/) and once from the bundle set (target/dist/bundle/),
# both written by `cargo xtask package` (which `cargo xtask test` runs before the *.sh tests).
# Then, from that root only (LUA_PATH/LUA_CPATH point into it, nothing from the build tree), runs
# an HTTP server and a client request under stock lua5.4 and under the root's own launcher
# (usr/bin/eco). Checks control fields, file types (the bundle's modules are links to eco.so)
# and that the test-only ecotest.so is never packaged.
#
# usage: tests/package/install.sh ECO_BINARY LUA54
set -euo pipefail

lua54=${2:-lua5.4}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dist=${ECO_TARGET_DIR:-$repo/target}/dist

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v "$lua54" >/dev/null || fail "lua5.4 not found ($lua54): install Debian's lua5.4"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field CONTROL NAME: the value of a control field
field() { sed -n "s/^$2: //p" "$1"; }

# install_pkg DIR NAME ROOT: unpacks NAME's ipk from DIR into ROOT, then its dependencies.
install_pkg() {
    local dir=$1 name=$2 root=$3
    [ -e "$root/.installed/$name" ] && return 0
    local ipks=("$dir/${name}"_*.ipk)
    [ -f "${ipks[0]}" ] || fail "no ${name}_*.ipk in $dir (run: cargo xtask package)"
    local work=$tmp/unpack/$name
    rm -rf "$work"; mkdir -p "$work/control" "$root/.installed"
    tar -xzf "${ipks[0]}" -C "$work"
    [ "$(cat "$work/debian-binary")" = "2.0" ] || fail "$name: debian-binary is not 2.0"
    tar -xzf "$work/control.tar.gz" -C "$work/control"
    local control=$work/control/control
    for f in Package Version Depends Architecture Maintainer Description; do
        grep -q "^$f: " "$control" || fail "$name: control has no $f field"
    done
    [ "$(field "$control" Package)" = "$name" ] || fail "$name: wrong Package field"
    tar -xzf "$work/data.tar.gz" -C "$root"
    local p
    for p in $(field "$control" Provides | tr ',' ' '); do
        touch "$root/.installed/$p"
    done
    touch "$root/.installed/$name"
    local d
    for d in $(field "$control" Depends | tr ',' ' '); do
        case $d in
            libc|liblua5.4|libopenssl3|libssh2|libuci) ;;                 # the system's
            lua-eco-bundle)
                [ -e "$root/.installed/$d" ] || install_pkg "$dir" lua-eco "$root"
                [ -e "$root/.installed/$d" ] || fail "$name needs lua-eco-bundle, which lua-eco does not provide" ;;
            *) install_pkg "$dir" "$d" "$root" ;;
        esac
    done
}

cat > "$tmp/http.lua" <<'EOF'
local root = assert(os.getenv('PKG_ROOT'))
for _, name in ipairs({ 'eco', 'eco.socket', 'eco.http', 'eco.file', 'eco.dns' }) do
    local path = assert(package.searchpath(name, package.cpath))
    assert(path:sub(1, #root) == root, name .. ' found outside the package root: ' .. path)
end
assert(package.searchpath('eco.http.server', package.path):sub(1, #root) == root)

local eco = require 'eco'
local server = require 'eco.http.server'
local client = require 'eco.http.client'
local port = assert(tonumber(os.getenv('PORT')))

eco.run(function()
    local _, err = server.listen('127.0.0.1', port, { reuseaddr = true }, function(con, req)
        local body = 'hello from ' .. req.path
        con:add_header('content-length', #body)
        con:send(body)
    end)
    print('listen failed: ' .. tostring(err)); os.exit(1)
end)
eco.run(function()
    local resp, err
    for _ = 1, 100 do
        resp, err = client.request('GET', 'http://127.0.0.1:' .. port .. '/pkg')
        if resp then break end
        eco.sleep(0.02)
    end
    assert(resp, err)
    assert(resp.code == 200 and resp.body == 'hello from /pkg', resp.body)
    print('http ok')
    os.exit(0)
end)
if not coroutine.isyieldable() then eco.loop() end
EOF

for set in per-module bundle; do
    dir=$dist; [ $set = bundle ] && dir=$dist/bundle
    root=$tmp/root-$set
    mkdir -p "$root"
    install_pkg "$dir" lua-eco-http "$root"
    echo "[$set] installed: $(cd "$root/.installed" && ls | tr '\n' ' ')"
    sodir=$root/usr/lib/lua/5.4
    luadir=$root/usr/share/lua/5.4
    for p in lua-eco lua-eco-http lua-eco-socket lua-eco-file lua-eco-dns; do
        [ -e "$root/.installed/$p" ] || fail "[$set] $p was not pulled in by lua-eco-http's dependencies"
    done
    [ ! -e "$root/.installed/lua-eco-mqtt" ] || fail "[$set] lua-eco-mqtt installed without being asked for"
    [ -x "$root/usr/bin/eco" ] || fail "[$set] lua-eco ships no usr/bin/eco launcher"
    [ ! -e "$sodir/ecotest.so" ] || fail "[$set] the test-only ecotest.so must not be packaged"
    for m in eco/time.so eco/socket.so eco/http.so; do
        [ -e "$sodir/$m" ] || fail "[$set] missing usr/lib/lua/5.4/$m"
        if [ $set = bundle ]; then
            [ -L "$sodir/$m" ] && [ "$(readlink "$sodir/$m")" = ../eco.so ] || fail "[$set] $m is not a link to ../eco.so"
        else
            [ -f "$sodir/$m" ] && [ ! -L "$sodir/$m" ] || fail "[$set] $m is not a file"
        fi
    done
    [ -f "$luadir/eco/http/server.lua" ] && [ -f "$luadir/eco/channel.lua" ] || fail "[$set] Lua files missing"
    if [ $set = bundle ]; then
        [ -f "$sodir/eco.so" ] && [ ! -L "$sodir/eco.so" ] || fail "[bundle] eco.so is not a file"
        nm -D --defined-only "$sodir/eco.so" | grep -q ' luaopen_eco_http_url$' || fail "[bundle] eco.so lacks luaopen_eco_http_url"
    fi
    for runner in "$lua54" "$root/usr/bin/eco"; do
        port=$((20000 + RANDOM % 20000))
        out=$(cd "$tmp" && env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 -u LD_LIBRARY_PATH \
              PKG_ROOT="$root" PORT=$port \
              LUA_PATH="$luadir/?.lua;$luadir/?/init.lua" LUA_CPATH="$sodir/?.so" \
              timeout 30 "$runner" "$tmp/http.lua" 2>&1) || { echo "$out"; fail "[$set] HTTP script under $runner failed"; }
        [ "$out" = "http ok" ] || { echo "$out"; fail "[$set] $runner: expected 'http ok'"; }
        echo "[$set] $(basename "$runner"): $out"
    done
done
echo "package install test passed"
