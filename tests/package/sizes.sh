#!/usr/bin/env bash
# Size budgets (docs/packaging.md, "Sizes"): the stripped bundle of each [[set]] of modules.toml
# that has a budget_kb, built by `cargo xtask test` as target/bundle/<set>/lua/5.4/eco.so, and
# the eco launcher (at most 50 kB). Budgets are for release builds on x86_64: with
# `cargo xtask test --debug` (ECO_PROFILE=debug) the sizes are only listed.
#
# usage: tests/package/sizes.sh [ECO_BINARY [LUA54]]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=${ECO_TARGET_DIR:-$repo/target}
profile=${ECO_PROFILE:-release}
launcher=${ECO_LAUNCHER:-$target/launcher/eco-launch}

failures=0
check() { # check LABEL FILE BUDGET_BYTES
    local size
    [ -f "$2" ] || { echo "FAIL $1: $2 missing (run: cargo xtask build-modules --bundle $1)"; failures=$((failures + 1)); return; }
    size=$(stat -c %s "$2")
    if [ "$profile" != release ]; then
        echo "size $1 $size bytes (budget $3, not checked: $profile build)"
    elif [ "$size" -le "$3" ]; then
        echo "ok   $1 $size bytes <= $3"
    else
        echo "FAIL $1 $size bytes > budget $3"
        failures=$((failures + 1))
    fi
}

# name and budget_kb of every [[set]]
sets=$(awk '
    /^\[\[/ { inset = ($0 == "[[set]]"); name = ""; next }
    inset && /^name *=/ { gsub(/.*= *"|".*/, ""); name = $0 }
    inset && /^budget_kb *=/ { gsub(/.*= *"|".*/, ""); if (name != "") print name, $0 }
' "$repo/modules.toml")
[ -n "$sets" ] || { echo "FAIL no [[set]] with a budget_kb in modules.toml"; exit 1; }

while read -r name kb; do
    check "$name" "$target/bundle/$name/lua/5.4/eco.so" $((kb * 1000))
done <<<"$sets"
check launcher "$launcher" 50000

echo "per-module files ($profile):"
(cd "$target/lua/5.4" && find . -name '*.so' -printf '%s %P\n' | sort -k2 | sed 's/^/    /')

[ "$failures" -eq 0 ] || { echo "$failures size check(s) failed"; exit 1; }
echo "size budgets hold"
