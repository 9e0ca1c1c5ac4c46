-- Our TLS server (ssl.listen/accept) against `openssl s_client` as the peer: verified handshake,
-- TLS 1.2 and 1.3, line echo, a large upload, several clients at once, and a garbage client in
-- between that costs only its own connection (spec/ssl.md sections 4, 5.1; checklist 2, 3, 19).
local eco = require 'eco'
local T = require 'testlib'
local S = require 'ssltest'
local ssl = require 'eco.ssl'
local socket = require 'eco.socket'

local dir = S.tmpdir()
local cert, key = S.self_signed(dir, 'srv', 'localhost')

local function write_file(path, data)
    local f = assert(io.open(path, 'wb'))
    f:write(data)
    f:close()
    return path
end

T.go(function()
    local srv = assert(ssl.listen('127.0.0.1', 0, { cert = cert, key = key, reuseaddr = true }))
    local port = srv.sock:getsockname().port
    local accepted, failed = 0, {}
    eco.run(function()
        while true do
            local c, peer = srv:accept()
            if c then
                accepted = accepted + 1
                T.eq(type(peer), 'table')
                eco.run(function()
                    -- protocol: "count N\n" -> read N bytes, answer "got N <sum>\n";
                    -- any other line -> upper-cased line; then close
                    local line = c:read('l', 10)
                    if line then
                        local n = tonumber(line:match('^count (%d+)$'))
                        if n then
                            local data = c:readfull(n, 10)
                            local sum = 0
                            if data then for i = 1, #data, 97 do sum = sum + data:byte(i) end end
                            c:send(string.format('got %d %d\n', data and #data or -1, sum))
                        else
                            c:send(line:upper() .. '\n')
                        end
                    end
                    c:close()
                end)
            elseif peer == 'canceled' then
                break
            else
                failed[#failed + 1] = peer
            end
        end
    end)

    local function s_client(name, input, extra)
        local inpath = write_file(dir .. '/' .. name .. '.in', input)
        local cmd = string.format('(timeout 30 openssl s_client -connect 127.0.0.1:%d -servername localhost ' ..
            '-CAfile %s -verify_return_error -brief -ign_eof %s; echo "EXIT=$?")', port, S.q(cert), extra or '')
        return S.start(dir, name, cmd, inpath)
    end

    -- a verified TLS 1.3 connection, line echo
    local p = s_client('c1', 'hello tls\n', '-tls1_3')
    local code = S.wait_log(p, 'EXIT=(%d+)', 20)
    local log = S.read_log(p)
    T.eq(code, '0', log)
    T.ok(log:find('HELLO TLS', 1, true), 'echo reached s_client: ' .. log)
    T.ok(log:find('Verification: OK', 1, true), 's_client verified our certificate: ' .. log)
    T.ok(log:find('TLSv1.3', 1, true), log)

    -- TLS 1.2
    p = s_client('c2', 'twelve\n', '-tls1_2')
    T.eq(S.wait_log(p, 'EXIT=(%d+)', 20), '0', S.read_log(p))
    log = S.read_log(p)
    T.ok(log:find('TWELVE', 1, true) and log:find('TLSv1.2', 1, true), log)

    -- a garbage client in between: its accept fails, the listener goes on
    local g = assert(socket.connect_tcp('127.0.0.1', port))
    g:send(string.rep('\0\1\2garbage', 100))
    g:read(100, 5)
    g:close()
    T.wait_until(function() return #failed == 1 end, 5, 'the garbage client failed')
    T.ok(#failed[1] > 0)

    -- a 300 KB upload through s_client (many records, reader refills)
    local blob = {}
    for i = 1, 300 * 1024 do blob[i] = string.char(97 + i % 26) end
    blob = table.concat(blob)
    local sum = 0
    for i = 1, #blob, 97 do sum = sum + blob:byte(i) end
    p = s_client('c3', 'count ' .. #blob .. '\n' .. blob)
    T.eq(S.wait_log(p, 'EXIT=(%d+)', 30), '0', S.read_log(p))
    T.ok(S.read_log(p):find(string.format('got %d %d', #blob, sum), 1, true), 'upload checksum: ' .. S.read_log(p):sub(1, 400))

    -- several s_clients at once
    local ps = {}
    for i = 1, 4 do ps[i] = s_client('m' .. i, 'client ' .. i .. '\n') end
    for i = 1, 4 do
        T.eq(S.wait_log(ps[i], 'EXIT=(%d+)', 30), '0', S.read_log(ps[i]))
        T.ok(S.read_log(ps[i]):find('CLIENT ' .. i, 1, true), S.read_log(ps[i]))
    end

    -- s_client that does not trust us fails its own verification (our server just sees a failure)
    local cmd = string.format('(timeout 30 openssl s_client -connect 127.0.0.1:%d -verify_return_error -brief; echo "EXIT=$?")', port)
    p = S.start(dir, 'untrusting', cmd, write_file(dir .. '/u.in', 'x\n'))
    T.ok(S.wait_log(p, 'EXIT=(%d+)', 20) ~= '0', 'untrusting s_client fails: ' .. S.read_log(p))

    T.eq(accepted, 7)
    srv:close()
    eco.sleep(0.05)
end)

S.cleanup()
