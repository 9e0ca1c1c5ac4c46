-- eco.http.client against a real server: Python's http.server (started here, stopped at the end).
local eco = require 'eco'
local T = require 'testlib'
local H = require 'httptest'
local http = require 'eco.http.client'
local socket = require 'eco.socket'
local sys = require 'eco.sys'

local dir = H.tmpdir()
H.write(dir .. '/hello.txt', 'hello from python\n')
local big = string.rep('0123456789abcdef', 5 * 65536) -- 5 MiB
H.write(dir .. '/big.bin', big)
os.execute('mkdir -p ' .. dir .. '/sub')
H.write(dir .. '/sub/inner.txt', 'inner')

T.go(function()
    local l = assert(socket.listen_tcp('127.0.0.1', 0))
    local port = l:getsockname().port
    l:close()
    local p = assert(sys.exec('python3', '-m', 'http.server', '--bind', '127.0.0.1', tostring(port),
        '--directory', dir))
    local base = 'http://127.0.0.1:' .. port
    local up = false
    for _ = 1, 100 do
        if http.get(base .. '/hello.txt', { timeout = 2 }) then up = true break end
        eco.sleep(0.1)
    end
    T.ok(up, 'python3 -m http.server did not come up')

    local resp = assert(http.get(base .. '/hello.txt?x=1#frag'))
    T.eq(resp.code, 200); T.eq(resp.body, 'hello from python\n')
    T.eq(resp.headers['content-length'], '18')
    T.ok(resp.headers.server:find('Python', 1, true), resp.headers.server)

    resp = assert(http.get(base .. '/big.bin'))
    T.ok(resp.body == big, 'large body intact')

    resp = assert(http.request('HEAD', base .. '/big.bin'))
    T.eq(resp.body, nil); T.eq(resp.headers['content-length'], tostring(#big))

    T.eq(assert(http.get(base .. '/nope')).code, 404)
    T.eq(assert(http.post(base .. '/hello.txt', 'data')).code, 501)

    -- a directory without a slash is redirected; followed only on request
    resp = assert(http.get(base .. '/sub'))
    T.eq(resp.code, 301); T.eq(resp.headers.location, '/sub/')
    resp = assert(http.get(base .. '/sub', { follow_redirects = 2 }))
    T.eq(resp.code, 200); T.ok(resp.body:find('inner.txt', 1, true), resp.body)

    -- body_to_file
    resp = assert(http.get(base .. '/big.bin', { body_to_file = dir .. '/copy' }))
    T.eq(resp.body, nil); T.ok(H.read(dir .. '/copy') == big, 'file copy intact')

    -- keepalive option against an HTTP/1.0 server: no reuse, every request still works
    local c = http.new()
    for i = 1, 3 do
        resp = assert(c:request('GET', base .. '/hello.txt', nil, { keepalive = true }))
        T.eq(resp.body, 'hello from python\n', 'request ' .. i)
    end
    c:close()

    -- concurrent requests
    local done, okc = 0, 0
    for _ = 1, 4 do
        eco.run(function()
            for _ = 1, 10 do
                local r = http.get(base .. '/hello.txt')
                if r and r.code == 200 then okc = okc + 1 end
            end
            done = done + 1
        end)
    end
    T.wait_until(function() return done == 4 end, 60, 'workers')
    T.eq(okc, 40)

    p:stop()
    p:close()
end)
