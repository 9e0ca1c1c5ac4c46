#!/usr/bin/env bash
# eco.http.server keeps serving through EMFILE (docs/http.md "Accept errors"): under a low
# RLIMIT_NOFILE the test opens connections until the process has no descriptor left, so the
# server's accept(2) fails with "Too many open files"; listen must pause accepting, keep the
# listener and the live connections, and answer again once the connections are closed.
#
# usage: tests/http/emfile.sh ECO_BINARY [LUA54_RUNNER]
set -u

eco=${1:?usage: emfile.sh ECO_BINARY [LUA54_RUNNER]}
lua=${2:-$eco}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/emfile.lua" <<'LUA'
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'
local socket = require 'eco.socket'

T.go(function()
    local port, opts = H.serve(function(con)
        con:add_header('content-length', 2)
        con:send('ok')
    end, { http_keepalive = 30 })
    local base = 'http://127.0.0.1:' .. port
    T.eq(assert(http.get(base .. '/')).body, 'ok', 'served before')
    -- a keep-alive connection that must survive the episode
    local live = assert(socket.connect_tcp('127.0.0.1', port))
    live:send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    T.ok(live:readuntil('ok', 5), 'live connection answered')

    local clients, err = {}, nil
    for _ = 1, 1000 do
        local c
        c, err = socket.connect_tcp('127.0.0.1', port)
        if not c then break end
        clients[#clients + 1] = c
        eco.sleep(0.001) -- let the server accept while it can
    end
    T.ok(err and err:find('Too many open files', 1, true), 'descriptors exhausted: ' .. tostring(err))
    T.ok(#clients > 5, #clients .. ' connections opened')
    eco.sleep(0.5) -- the server meets EMFILE on the connections still queued
    T.eq(opts.stopped, nil, 'listen still running')
    for _, c in ipairs(clients) do c:close() end
    eco.sleep(0.6)
    -- the queued connections were accepted (and closed by their peers); new ones are served
    T.eq(assert(http.get(base .. '/')).body, 'ok', 'served after the episode')
    live:send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    T.ok(live:readuntil('ok', 5), 'the live connection survived')
    live:close()
    H.stop(opts)
end)
LUA

failures=0
for runner in "$eco" "$lua"; do
    name=$(basename "$runner")
    out=$( (ulimit -n 48 && timeout 30 "$runner" "$tmp/emfile.lua") 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "PASS $name: listen serves through EMFILE"
    else
        echo "FAIL $name: listen through EMFILE (exit $rc):"
        printf '%s\n' "$out"
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ]
