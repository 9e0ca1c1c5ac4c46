#!/usr/bin/env bash
# eco.ssh benchmark (bench/ssh/ssh.lua): exec round trips per second on one session, and a 100 MiB
# scp_sendfile against OpenSSH's scp to the same sshd, in the same run. Starts its own sshd on
# 127.0.0.1 and creates the test users of tests/lib/sshtest.lua (root needed).
# Prints `name value unit` lines. ECO: the interpreter (default target/release/eco);
# DURATION: seconds of exec round trips (default 5); RUNS: transfers per side, best kept (3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
eco=${ECO:-$target/release/eco}
export LUA_PATH="$repo/tests/lib/?.lua;$target/lua/5.4/?.lua;;" LUA_CPATH="$target/lua/5.4/?.so;;"
unset LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
exec "$eco" "$here/ssh/ssh.lua"
