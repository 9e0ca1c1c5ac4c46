-- eco.internal.nl80211: the native layer of eco.nl80211 (docs/nl80211.md), loaded from eco/nl80211.so.
local path = assert(package.searchpath('eco.nl80211', package.cpath))
return assert(package.loadlib(path, 'luaopen_eco_internal_nl80211'))()
