-- eco.hash.hmac: alias loading the hmac entry point of eco/hash.so (one .so for the four modules).
local path = assert(package.searchpath('eco.hash', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_hash_hmac'))()
