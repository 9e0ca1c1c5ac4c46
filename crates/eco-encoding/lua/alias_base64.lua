-- eco.encoding.base64: alias loading the base64 entry point of eco/encoding.so (one .so for both modules).
local path = assert(package.searchpath('eco.encoding', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_encoding_base64'))()
