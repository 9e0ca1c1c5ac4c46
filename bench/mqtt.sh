#!/usr/bin/env bash
# MQTT publish throughput through a local mosquitto: N messages (default 50,000, 32-byte payload)
# at QoS 0 and QoS 1 from one eco.mqtt publisher coroutine (bench/mqtt/pub.lua, eco interpreter),
# received by mosquitto_sub in another process; beside mosquitto_pub -l doing the same in the same
# run. The rate is N / (time from publisher start until the subscriber has all N messages).
# Needs mosquitto and mosquitto-clients (Debian packages).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${ECO:-$target/release/eco}
n=${MQTT_N:-50000}
for t in mosquitto mosquitto_pub mosquitto_sub; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] || { echo "mqtt.sh: $t not found" >&2; exit 1; }
done
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
tmp=$(mktemp -d)
port=$((30000 + RANDOM % 20000))
printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$port" > "$tmp/m.conf"
"$broker" -c "$tmp/m.conf" >/dev/null 2>&1 &
bpid=$!
trap 'kill $bpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

rate() { # name qos command...
    local name=$1 qos=$2; shift 2
    local topic="bench/$name/$qos/$RANDOM"
    timeout 60 mosquitto_sub -h 127.0.0.1 -p "$port" -t "$topic" -q "$qos" -C "$n" > "$tmp/sub.out" &
    local spid=$!
    sleep 0.5
    local t0 t1
    t0=$(date +%s.%N)
    "$@" "$topic"
    wait "$spid"
    t1=$(date +%s.%N)
    local got
    got=$(wc -l < "$tmp/sub.out")
    echo "mqtt_${name}_qos${qos} $(awk -v n="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }') msgs/s"
    [ "$got" -eq "$n" ] || echo "mqtt.sh: $name qos $qos: subscriber got $got of $n" >&2
    eval "r_${name}_${qos}=$(awk -v n="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
}
pub_mosq() { seq "$n" | sed 's/^/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' | mosquitto_pub -h 127.0.0.1 -p "$port" -q "$QOS" -l -t "$1"; }
pub_eco() { "$eco" "$here/mqtt/pub.lua" "$port" "$1" "$QOS" "$n"; }
for QOS in 0 1; do
    rate mosquitto_pub "$QOS" pub_mosq
    rate eco "$QOS" pub_eco
    awk -v a="$(eval echo \$r_eco_$QOS)" -v b="$(eval echo \$r_mosquitto_pub_$QOS)" \
        'BEGIN { printf "mqtt_eco_vs_mosquitto_pub_qos%d %.2f ratio\n", '"$QOS"', a / b }'
done
