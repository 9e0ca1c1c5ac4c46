-- eco.http.server: alias loading the server entry point of eco/http.so (one .so for the three modules).
local path = assert(package.searchpath('eco.http', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_http_server'))()
