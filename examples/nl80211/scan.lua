-- Scan for Wi-Fi networks on an interface and list them (needs CAP_NET_ADMIN and a Wi-Fi driver).
-- usage: eco examples/nl80211/scan.lua [wlan0]
local eco = require 'eco'
local nl = require 'eco.nl'
local socket = require 'eco.socket'
local nl80211 = require 'eco.nl80211'

local dev = arg[1] or 'wlan0'

eco.run(function()
    local idx = socket.if_nametoindex(dev)
    if not idx then
        print('no such interface: ' .. dev)
        return
    end
    local ok, err = nl80211.scan('trigger', { ifname = dev, ssids = { '' } })
    if not ok then
        print('trigger: ' .. err)
        return
    end
    ok, err = nl80211.wait_event('scan', 15, function(cmd, attrs)
        local a = attrs[nl80211.ATTR_IFINDEX]
        if not a or nl.attr_get_u32(a) ~= idx then return end
        if cmd == nl80211.CMD_NEW_SCAN_RESULTS then return true end
        if cmd == nl80211.CMD_SCAN_ABORTED then return false, 'scan aborted' end
    end)
    if not ok then
        print('wait: ' .. err)
        return
    end
    for _, bss in ipairs(assert(nl80211.scan('dump', { ifname = dev }))) do
        local sec = bss.rsn and 'RSN' or bss.wpa and 'WPA' or (bss.caps.PRIVACY and 'WEP' or 'open')
        print(string.format('%s  %-32s ch %3d  %6.1f dBm  %s', bss.bssid,
            nl80211.escape_ssid(bss.ssid), bss.channel or 0, bss.signal or 0, sec))
    end
    local link = nl80211.get_link(dev)
    if link then print('associated with ' .. link.bssid) end
end)
