#!/usr/bin/env bash
# What each package's native modules add to the bundle: builds the bundle of lua-eco alone, then of
# lua-eco plus each other package (`cargo xtask build-modules --bundle lua-eco <package>`), and
# prints one `bundle_size_<package> BYTES bytes` line each (the lua-eco line is the whole core
# bundle; the others are the increase over it), then the `all` and `router` sets. Stripped,
# release (profile `module`). Takes one fat-LTO link per package: several minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
cd "$repo"

size_of() { stat -c %s "$target/bundle/$1/lua/5.4/eco.so"; }
build() { cargo xtask build-modules --bundle "$@" >/dev/null 2>&1 || { echo "bundle $* failed" >&2; exit 1; }; }

build lua-eco
base=$(size_of lua-eco)
echo "bundle_size_lua-eco $base bytes"
pkgs=$(awk '/^\[\[package\]\]/ { p = 1; next } p && /^name *=/ { gsub(/.*= *"|".*/, ""); print; p = 0 }' modules.toml)
for p in $pkgs; do
    [ "$p" = lua-eco ] && continue
    build lua-eco "$p"
    echo "bundle_size_$p $(( $(size_of custom) - base )) bytes"
done
for set in all router; do
    build "$set"
    echo "bundle_size_set_$set $(size_of "$set") bytes"
done
