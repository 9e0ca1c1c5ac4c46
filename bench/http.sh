#!/usr/bin/env bash
# HTTP hello world under `wrk -t1 -c50 -d${DURATION:-10}s`: the Lua server on eco.http.server
# (bench/http/hello_server.lua, under the eco interpreter and under lua5.4) beside nginx from
# Debian serving a static `return 200 "hello\n"` with one worker, taking turns for ${ROUNDS:-3}
# rounds; each keeps its best round. Prints requests/s, p50/p99 latency and server RSS for each,
# and the ratios. Needs wrk and nginx (Debian packages) and release modules
# (`cargo xtask build-modules`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${ECO:-$target/release/eco}
lua=${LUA:-$(command -v lua5.4 || true)}
# The bundle (`cargo xtask build-modules --bundle`), run under lua5.4 beside the per-module files.
bundle=${BUNDLE:-$target/bundle/all/lua/5.4}
dur=${DURATION:-10}
rounds=${ROUNDS:-3}
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

measure() { # name pid: one wrk run; keeps the best round of each server
    local name=$1 pid=$2 out
    out=$(wrk -t1 -c50 -d"${dur}s" --latency "http://127.0.0.1:$port/" 2>&1)
    local rps p50 p99 rss
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    rss=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    if grep -q "Non-2xx\|Socket errors" <<<"$out"; then grep "Non-2xx\|Socket errors" <<<"$out" | sed "s/^/http_${name}_note /" >&2; fi
    local best
    eval "best=\${best_$name:-0}"
    if awk -v a="${rps:-0}" -v b="$best" 'BEGIN { exit !(a > b) }'; then
        eval "best_$name=${rps:-0}"
        eval "line_$name=\"http_${name}_requests ${rps:-0} req/s
http_${name}_p50 $(to_ms "${p50:-0}") ms
http_${name}_p99 $(to_ms "${p99:-0}") ms
http_${name}_peak_rss $(awk -v k="${rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MB\""
    fi
}

run_nginx() {
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
    local npid=$!
    pids+=("$npid")
    wait_port "$port" && sleep 0.2
    local wpid
    wpid=$(pgrep -P "$npid" | head -1)
    measure nginx "${wpid:-$npid}"
    kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null
}

run_lua() { # runner binary [module dir]
    local runner=$1 bin=$2 dir=${3:-$target/lua/5.4}
    port=$((port + 1))
    LUA_PATH="$dir/?.lua;;" LUA_CPATH="$dir/?.so;;" \
        "$bin" "$here/http/hello_server.lua" "$port" >/dev/null 2>"$tmp/$runner.err" &
    local spid=$!
    pids+=("$spid")
    wait_port "$port" || { cat "$tmp/$runner.err" >&2; return; }
    measure "$runner" "$spid"
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
}

# The machine is shared: servers take turns for ROUNDS rounds and each keeps its best round
# (interference only ever slows a run down).
for _ in $(seq "$rounds"); do
    run_nginx
    run_lua eco "$eco"
    [ -n "$lua" ] && run_lua lua54 "$lua"
    [ -n "$lua" ] && [ -f "$bundle/eco.so" ] && run_lua bundle "$lua" "$bundle"
done
for n in nginx eco lua54 bundle; do eval "[ -n \"\${line_$n:-}\" ] && echo \"\$line_$n\""; done
awk -v a="${best_eco:-0}" -v b="${best_nginx:-1}" 'BEGIN { printf "http_eco_vs_nginx %.2f ratio\n", a / b }'
awk -v a="${best_lua54:-0}" -v b="${best_nginx:-1}" 'BEGIN { printf "http_lua54_vs_nginx %.2f ratio\n", a / b }'
[ -n "${best_bundle:-}" ] && awk -v a="${best_bundle:-0}" -v b="${best_lua54:-1}" 'BEGIN { printf "http_bundle_vs_lua54 %.2f ratio\n", a / b }'
true
