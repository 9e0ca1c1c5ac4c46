-- eco.internal.file: the native layer of eco.file (spec/internal.md), loaded from eco/file.so.
local path = assert(package.searchpath('eco.file', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_internal_file'))()
