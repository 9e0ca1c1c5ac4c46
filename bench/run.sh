#!/usr/bin/env bash
# Benchmark runner: runs every bench/*.lua (or the scripts named as arguments) first with the
# `eco` interpreter, then with stock lua5.4 loading the .so modules from target/lua/5.4/.
# Prints one `name value unit` line per figure on stdout, each name prefixed by the runner
# (`eco.` or `lua5.4.`):
#   - the lines the script prints itself (throughput, latency, ...);
#   - <script>.wall (process wall time, s) and <script>.peak_rss (MB) measured here.
# Anything else a script prints goes to stderr. Numbers only: a slow run never fails; a script that
# crashes makes the runner exit 1 after all runs.
#
# Usually started by `cargo xtask bench` (builds release modules first). Standalone:
#   ECO=target/release/eco LUA=lua5.4 bench/run.sh [script.lua ...]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
eco=${ECO:-$target/release/eco}
lua=${LUA:-$(command -v lua5.4 || true)}
limit=${BENCH_TIMEOUT:-600}

export LUA_PATH="$target/lua/5.4/?.lua;;"
export LUA_CPATH="$target/lua/5.4/?.so;;"
unset LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4

if [ $# -gt 0 ]; then
    scripts=()
    for s in "$@"; do
        case $s in
            */*) scripts+=("$s") ;;
            *.lua) scripts+=("$here/$s") ;;
            *) scripts+=("$here/$s.lua") ;;
        esac
    done
else
    scripts=("$here"/*.lua)
fi

timebin=
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' true 2>/dev/null; then
    timebin=/usr/bin/time
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# measure RUNNER SCRIPT: runs it, leaves stdout in $tmp/out, stderr in $tmp/err, and sets
# $wall (seconds) and $rss_kb.
measure() {
    local rc
    if [ -n "$timebin" ]; then
        # (time's rusage of `timeout` includes the max RSS of the child it waited for)
        "$timebin" -f '%e %M' -o "$tmp/time" timeout "$limit" "$1" "$2" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        # On a non-zero exit, time writes a "Command exited ..." line first.
        read -r wall rss_kb < <(tail -n 1 "$tmp/time") || { wall=nan; rss_kb=0; }
    else
        # Fallback: bash's clock for wall time, VmHWM polled from /proc for peak RSS.
        local start end pid hwm
        start=$(date +%s.%N)
        timeout "$limit" "$1" "$2" >"$tmp/out" 2>"$tmp/err" &
        pid=$!
        rss_kb=0
        while kill -0 "$pid" 2>/dev/null; do
            for p in "$pid" $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
                hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
                [ -n "$hwm" ] && [ "$hwm" -gt "$rss_kb" ] && rss_kb=$hwm
            done
            sleep 0.02
        done
        wait "$pid"
        rc=$?
        end=$(date +%s.%N)
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    fi
    return $rc
}

run_all() {
    local label=$1 runner=$2 script name rc
    for script in "${scripts[@]}"; do
        name=$(basename "$script" .lua)
        measure "$runner" "$script"
        rc=$?
        # Figures the script printed: `name value unit`.
        awk -v p="$label." 'NF == 3 && $2 ~ /^[-+0-9.eEinfa]+$/ { print p $0; next } { print > "/dev/stderr" }' "$tmp/out"
        if [ -s "$tmp/err" ]; then
            sed "s/^/[$label $name] /" "$tmp/err" >&2
        fi
        if [ $rc -ne 0 ]; then
            echo "[$label $name] FAILED (exit status $rc)" >&2
            status=1
            continue
        fi
        echo "$label.$name.wall $wall s"
        awk -v p="$label.$name.peak_rss" -v k="$rss_kb" 'BEGIN { printf "%s %.1f MB\n", p, k / 1024 }'
    done
}

if [ -x "$eco" ]; then
    run_all eco "$eco"
else
    echo "eco interpreter not found at $eco (run: cargo xtask build-modules)" >&2
    status=1
fi

if [ -n "$lua" ]; then
    if [ -f "$target/lua/5.4/eco.so" ]; then
        run_all lua5.4 "$lua"
    else
        echo "no $target/lua/5.4/eco.so (run: cargo xtask build-modules)" >&2
        status=1
    fi
else
    echo "lua5.4 not found: install Debian's lua5.4 to benchmark the .so modules" >&2
    status=1
fi

exit $status
