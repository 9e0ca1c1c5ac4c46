#!/usr/bin/env bash
# TCP echo: 100 connections x 64-byte ping-pong for DURATION seconds (default 10), driven by
# echo-client (Rust, epoll), against (a) the Lua server on eco.socket under the eco interpreter,
# (b) the same script under lua5.4 with the .so modules, and (c) echo-native, a minimal epoll
# server (the ceiling). Then 10,000 idle connections held by the Lua server, with its RSS.
# Prints `name value unit` lines. Needs `cargo build --release -p eco-bench-echo` and
# `cargo xtask build-modules` first (`cargo xtask bench` does both).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${ECO:-$target/release/eco}
lua=${LUA:-$(command -v lua5.4 || true)}
client=$target/release/echo-client
native=$target/release/echo-native
dur=${DURATION:-10}
# The bundle (`cargo xtask build-modules --bundle`), run under lua5.4 beside the per-module files.
bundle=${BUNDLE:-$target/bundle/all/lua/5.4}
export LUA_PATH="$target/lua/5.4/?.lua;;" LUA_CPATH="$target/lua/5.4/?.so;;"
ulimit -n 65536 2>/dev/null || ulimit -n 20000 2>/dev/null || true

port=$((20000 + RANDOM % 20000))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    return 1
}

run_one() { # name, command...
    local name=$1; shift
    port=$((port + 1))
    "$@" "$port" >/dev/null 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_port "$port" || return 1
    local rt
    rt=$("$client" "$port" 100 "$dur" 64 | awk '/round_trips_per_s/ {print $2}')
    echo "echo_${name}_round_trips $rt rt/s"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    eval "rt_$name=$rt"
}

run_one native "$native"
run_one eco "$eco" "$here/echo/echo_server.lua"
[ -n "$lua" ] && run_one lua54 "$lua" "$here/echo/echo_server.lua"
[ -n "$lua" ] && [ -f "$bundle/eco.so" ] && LUA_PATH="$bundle/?.lua;;" LUA_CPATH="$bundle/?.so;;" \
    run_one bundle "$lua" "$here/echo/echo_server.lua"
awk -v a="${rt_eco:-0}" -v b="${rt_native:-1}" 'BEGIN { printf "echo_eco_vs_native %.2f ratio\n", a / b }'
[ -n "$lua" ] && awk -v a="${rt_lua54:-0}" -v b="${rt_native:-1}" 'BEGIN { printf "echo_lua54_vs_native %.2f ratio\n", a / b }'
[ -n "${rt_bundle:-}" ] && awk -v a="${rt_bundle:-0}" -v b="${rt_lua54:-1}" 'BEGIN { printf "echo_bundle_vs_lua54 %.2f ratio\n", a / b }'

# 10,000 idle connections held by the Lua server
port=$((port + 1))
"$eco" "$here/echo/echo_server.lua" "$port" >/dev/null 2>&1 &
spid=$!
pids+=("$spid")
wait_port "$port"
base=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
"$client" "$port" idle 10000 3 >/dev/null &
cpid=$!
sleep 2
conns=$(ls /proc/$spid/fd | wc -l)
rss=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
wait "$cpid"
echo "idle_10k_server_fds $conns fds"
echo "idle_10k_server_rss $((rss / 1024)) MB"
echo "idle_10k_server_rss_per_conn $(( (rss - base) * 1024 / 10000 )) bytes"
