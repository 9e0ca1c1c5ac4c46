-- The interpreter exports the Lua C API, so C modules load into it: Debian's lua-lpeg (a
-- third-party C module, installed by .ci/run) and our own ecotest.so. Default search paths
-- include the system's Lua directories (LUA_CPATH here ends in ';;').
local lpeg = assert(require 'lpeg', 'lua-lpeg must be installed (Debian package lua-lpeg)')
local word = lpeg.C(lpeg.R('az') ^ 1)
assert(lpeg.match(word, 'hello world') == 'hello', 'lpeg match')

local ecotest = require 'ecotest'
local a, b = ecotest.socketpair()
assert(ecotest.write(a, 'x') == 1)
assert(ecotest.read(b, 1) == 'x')
ecotest.close(a)
ecotest.close(b)

-- descriptors made by the .so work with the built-in core
local eco = require 'eco'
local rfd, wfd = ecotest.pipe()
local r = assert(eco.reader(rfd))
assert(ecotest.write(wfd, 'line\n') == 5)
assert(r:read('l') == 'line', 'reader on a pipe made by ecotest.so')
print('ok')
