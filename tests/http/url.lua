-- eco.http.url: escape, unescape, parse (spec/http.md checklist 1-6).
local T = require 'testlib'
local url = require 'eco.http.url'

T.go(function()
    -- 1
    T.same({ 'a%20b%2fc%7e%2d%2e_', 5 }, url.escape('a b/c~-._'))
    -- 2
    T.same({ 'a b/c%zz+', 2 }, url.unescape('a%20b%2Fc%zz+'))
    -- 3
    local u = url.parse('http://user:pw@a.com:8080/p/a;x?q=1#f')
    T.eq(u.scheme, 'http'); T.eq(u.user, 'user'); T.eq(u.password, 'pw'); T.eq(u.host, 'a.com')
    T.eq(u.port, 8080); T.eq(u.path, '/p/a'); T.eq(u.params, 'x'); T.eq(u.query, 'q=1')
    T.eq(u.frag, 'f'); T.eq(u.raw_path, '/p/a;x?q=1#f')
    -- 4
    u = url.parse('http://[::1]:8080/v6?q=1')
    T.eq(u.host, '::1'); T.eq(u.port, 8080); T.eq(u.path, '/v6'); T.eq(u.raw_path, '/v6?q=1')
    -- 5
    u = url.parse('ws://a.com?x')
    T.eq(u.path, '/'); T.eq(u.raw_path, '/?x'); T.eq(u.query, 'x'); T.eq(u.port, nil)
    T.eq(u.frag, nil); T.eq(u.params, nil); T.eq(u.user, nil)
    -- 6
    T.fails('invalid url', url.parse('a.com/x'))
    T.fails('invalid url', url.parse('http://[::1'))
    T.fails('invalid url', url.parse('http://:80/'))
    T.fails('invalid url', url.parse(nil))
    -- extra: scheme case kept, user without password, non-numeric port goes to the path
    u = url.parse('HTTP://bob@h/x')
    T.eq(u.scheme, 'HTTP'); T.eq(u.user, 'bob'); T.eq(u.password, nil)
    u = url.parse('http://h:xyz/p')
    T.eq(u.port, nil); T.eq(u.raw_path, '/:xyz/p')
    T.same({ '%25', 1 }, url.escape('%'))
    -- native module (src/url.rs): return shapes and corners of the former Lua patterns
    T.eq(select('#', url.escape('a')), 2); T.eq(select('#', url.unescape('a')), 2)
    T.eq(select('#', url.parse('http://h')), 1); T.eq(select('#', url.parse(nil)), 2)
    T.same({ 'abc', 0 }, url.escape('abc')); T.same({ '', 0 }, url.unescape(''))
    T.same({ '%A', 1 }, url.unescape('%%41')); T.same({ '%00%ff', 2 }, url.escape('\0\255'))
    T.same({ '\0\255', 2 }, url.unescape('%00%FF'))
    T.raises('string expected', url.escape, nil); T.raises('string expected', url.unescape, 1)
    T.fails('invalid url', url.parse(42))
    T.fails('invalid url', url.parse('http://:pw@h/'))
    T.fails('invalid url', url.parse('http://a:b:c@h/'))
    T.fails('invalid url', url.parse('http://[]/'))
    u = url.parse('http://a:@h')
    T.eq(u.user, 'a'); T.eq(u.password, ''); T.eq(u.path, '/'); T.eq(u.raw_path, '/')
    u = url.parse('http://h:9223372036854775807/x')
    T.eq(math.type(u.port), 'integer'); T.eq(u.port, math.maxinteger); T.eq(u.raw_path, '/x')
    u = url.parse('http://h:9223372036854775808/x')
    T.eq(u.port, nil); T.eq(u.raw_path, '/x')
    u = url.parse('http://h:00080')
    T.eq(u.port, 80); T.eq(u.raw_path, '/')
    u = url.parse('http://h;x')
    T.eq(u.host, 'h;x'); T.eq(u.params, nil)
    u = url.parse('http://h/a;p1;p2?q1;p3?q2#f#g')
    T.eq(u.path, '/a'); T.eq(u.params, 'p1'); T.eq(u.query, 'q2'); T.eq(u.frag, 'f#g')
    u = url.parse('http://h/?#')
    T.eq(u.query, ''); T.eq(u.frag, '')
    u = url.parse('http://h#f?q')
    T.eq(u.query, nil); T.eq(u.frag, 'f?q'); T.eq(u.raw_path, '/#f?q')
    u = url.parse('http://u@[fe80::1%eth0]:1/')
    T.eq(u.user, 'u'); T.eq(u.host, 'fe80::1%eth0'); T.eq(u.port, 1)
end)
