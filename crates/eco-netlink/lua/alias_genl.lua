-- eco.genl: alias loading the genl entry point of eco/nl.so (one .so for eco.nl, eco.genl, eco.rtnl).
local path = assert(package.searchpath('eco.nl', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_genl'))()
