#!/usr/bin/env bash
# Netlink figures (not run in CI; needs root and iproute2). In a network namespace of its own:
#  1. a dump of 1,000 interfaces (500 veth pairs) with eco.nl + eco.rtnl (bench/netlink/dump.lua
#     raw), with eco.ip's link.list (dump.lua ip), and `ip -j link show` in the same run:
#     median wall time of R runs and peak RSS (/usr/bin/time -v);
#  2. the latency from starting `ip link add` to the RTM_NEWLINK in a Lua callback, beside the
#     time until the ip process exits (bench/netlink/latency.lua).
# usage: bench/netlink.sh [ECO_BINARY]   (default target/release/eco; ECO_LUA_DIR for LUA_CPATH)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${1:-${ECO:-$target/release/eco}}
pairs=${NETLINK_PAIRS:-500}
runs=${NETLINK_RUNS:-7}
[ "$(id -u)" = 0 ] || { echo "netlink.sh: needs root" >&2; exit 1; }
command -v ip >/dev/null || { echo "netlink.sh: iproute2 missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "netlink.sh: /usr/bin/time missing (Debian package time)" >&2; exit 1; }
[ "${INSIDE_NETNS:-}" = 1 ] || exec env INSIDE_NETNS=1 unshare -n "$0" "$eco"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$pairs"); do echo "link add va$i type veth peer name vb$i"; done > "$tmp/batch"
ip -batch "$tmp/batch"
echo "links in the namespace: $(ip -o link show | wc -l)"

# run CMD... R times: median wall seconds and max RSS (kB), from /usr/bin/time
measure() {
    local name=$1; shift
    local walls=() rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" > "$tmp/out" 2>/dev/null || { echo "$name failed"; cat "$tmp/out"; return 1; }
        read -r w m < "$tmp/t"
        walls+=("$w"); [ "$m" -gt "$rss" ] && rss=$m
    done
    local med
    med=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    printf '%-28s wall %6.3f s (median of %d)  peak RSS %6d kB\n' "$name" "$med" "$runs" "$rss"
}
measure "ip -j link show" ip -j link show
measure "eco nl+rtnl dump" "$eco" "$here/netlink/dump.lua" raw
measure "eco eco.ip link.list" "$eco" "$here/netlink/dump.lua" ip
echo "eco nl+rtnl dump, in-process: $("$eco" "$here/netlink/dump.lua" raw)  (links seconds VmHWM_kB)"
echo "eco link.list,    in-process: $("$eco" "$here/netlink/dump.lua" ip)"
"$eco" "$here/netlink/latency.lua" "${NETLINK_LAT_N:-50}"
