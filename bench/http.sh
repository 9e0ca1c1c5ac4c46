#!/usr/bin/env bash
# HTTP hello world under `wrk -t1 -c50 -d${DURATION:-10}s`: the Lua server on eco.http.server
# (bench/http/hello_server.lua, under the eco interpreter and under lua5.4) beside nginx from
# Debian serving a static `return 200 "hello\n"` with one worker, in the same run. Prints
# requests/s, p50/p99 latency and server RSS for each, and the ratios. Needs wrk and nginx
# (Debian packages) and release modules (`cargo xtask build-modules`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${ECO:-$target/release/eco}
lua=${LUA:-$(command -v lua5.4 || true)}
dur=${DURATION:-10}
export LUA_PATH="$target/lua/5.4/?.lua;;" LUA_CPATH="$target/lua/5.4/?.so;;"
for t in wrk nginx; do
    command -v $t >/dev/null || { echo "http.sh: $t not found (apt-get install $t)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
port=$((30000 + RANDOM % 20000))

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    return 1
}

# to_ms VALUE-WITH-UNIT (wrk prints us, ms or s)
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) ; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

measure() { # name pid
    local name=$1 pid=$2 out
    out=$(wrk -t1 -c50 -d"${dur}s" --latency "http://127.0.0.1:$port/" 2>&1)
    local rps p50 p99 rss
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    rss=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    echo "http_${name}_requests ${rps:-0} req/s"
    echo "http_${name}_p50 $(to_ms "${p50:-0}") ms"
    echo "http_${name}_p99 $(to_ms "${p99:-0}") ms"
    echo "http_${name}_peak_rss $(awk -v k="${rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MB"
    if grep -q "Non-2xx\|Socket errors" <<<"$out"; then grep "Non-2xx\|Socket errors" <<<"$out" | sed "s/^/http_${name}_note /" >&2; fi
    eval "rps_$name=${rps:-0}"
}

# nginx, one worker, static response
port=$((port + 1))
cat > "$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "hello\n"; }
    }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
npid=$!
pids+=("$npid")
wait_port "$port" && sleep 0.2
wpid=$(pgrep -P "$npid" | head -1)
measure nginx "${wpid:-$npid}"
kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null

for runner in eco lua54; do
    bin=$eco
    [ "$runner" = lua54 ] && bin=$lua
    [ -n "$bin" ] || continue
    port=$((port + 1))
    "$bin" "$here/http/hello_server.lua" "$port" >/dev/null 2>"$tmp/$runner.err" &
    spid=$!
    pids+=("$spid")
    wait_port "$port" || { cat "$tmp/$runner.err" >&2; continue; }
    measure "$runner" "$spid"
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
done
awk -v a="${rps_eco:-0}" -v b="${rps_nginx:-1}" 'BEGIN { printf "http_eco_vs_nginx %.2f ratio\n", a / b }'
awk -v a="${rps_lua54:-0}" -v b="${rps_nginx:-1}" 'BEGIN { printf "http_lua54_vs_nginx %.2f ratio\n", a / b }'
