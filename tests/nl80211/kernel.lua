-- eco.nl80211 against the running kernel, which has no Wi-Fi driver (no nl80211 family, no
-- /sys/class/ieee80211): argument checks and the errors of docs/nl80211.md (checklist items 6-8,
-- 10, 11 in comments), and wait_event's per-receive timeout on a real netlink socket (item 20).
local T = require 'testlib'
local nl80211 = require 'eco.nl80211'
local genl = require 'eco.genl'

local ENOENT = 'netlink error: No such file or directory'

T.go(function()
    -- The premise: this kernel has no nl80211 (a machine with Wi-Fi would make this test lie).
    T.same({ nil, ENOENT }, genl.get_family_id('nl80211'))
    T.eq(nl80211.phy_lookup('phy0'), false)

    -- 7. add_interface
    T.raises('invalid phy', nl80211.add_interface, {}, 'x')
    T.raises('invalid phy', nl80211.add_interface, nil, 'x')
    T.fails('"phy9" not exists', nl80211.add_interface('phy9', 'x'))
    T.raises('invalid ifname', nl80211.add_interface, 0, 5)
    T.fails('"lo" already exists', nl80211.add_interface(0, 'lo'))
    T.fails(ENOENT, nl80211.add_interface(0, 'ecotest0', { type = nl80211.IFTYPE_MONITOR }))

    -- 8. unknown devices
    T.fails('"nope0" not exists', nl80211.set_interface('nope0', {}))
    T.fails('"nope0" not exists', nl80211.del_interface('nope0'))
    T.fails('no dev', nl80211.get_interface('nope0'))
    T.fails('no dev', nl80211.get_surveys('nope0'))
    T.raises('invalid ifname', nl80211.set_interface, 1)
    T.raises('invalid ifname', nl80211.del_interface, nil)
    T.raises('invalid ifname', nl80211.get_interface, {})
    T.raises('invalid ifname', nl80211.get_surveys, 2)
    T.raises('invalid ifname', nl80211.get_station, 1, '00:11:22:33:44:55')
    T.raises('invalid mac', nl80211.get_station, 'lo', 1)
    T.raises('invalid ifname', nl80211.get_stations, 1)
    T.raises('invalid ifname', nl80211.get_link, 1)

    -- 9 (first half). The action is checked before anything else.
    T.raises('invalid scan action', nl80211.scan, 'x', {})
    T.raises('invalid scan action', nl80211.scan, nil)

    -- 10. No nl80211: every request fails with the family lookup's error.
    T.fails(ENOENT, nl80211.get_interfaces())
    T.fails(ENOENT, nl80211.get_interfaces(0))
    T.fails(ENOENT, nl80211.scan('dump', { ifname = 'lo' }))
    T.fails(ENOENT, nl80211.scan('trigger', { ifname = 'lo', ssids = { '' } }))
    T.fails(ENOENT, nl80211.scan('abort', { ifname = 'lo' }))
    -- The family comes before the ifname check (order of checks).
    T.fails(ENOENT, nl80211.scan('dump', { ifname = 1 }))
    T.fails(ENOENT, nl80211.get_stations('any'))
    T.fails(ENOENT, nl80211.get_station('any', '00:11:22:33:44:55'))
    T.fails(ENOENT, nl80211.get_interface('lo'))
    T.fails(ENOENT, nl80211.set_interface('lo', { ['4addr'] = true }))
    T.fails(ENOENT, nl80211.del_interface('lo'))
    T.fails(ENOENT, nl80211.get_surveys('lo'))
    T.fails(ENOENT, nl80211.get_noise('lo'))
    T.fails(ENOENT, nl80211.get_protocol_features(0))
    T.fails(ENOENT, nl80211.get_freqlist(0))
    T.fails(ENOENT, nl80211.get_link('lo'))
    local called = false
    T.fails('not support', nl80211.wait_event('scan', 0.1, function() called = true end))
    T.eq(called, false)

    -- 11.
    T.fails('"phy9" not exists', nl80211.get_protocol_features('phy9'))
    T.fails('"phy9" not exists', nl80211.get_freqlist('phy9'))
    T.raises('invalid phy', nl80211.get_protocol_features, true)
    T.raises('invalid phy', nl80211.get_freqlist, {})

    -- 20 (timeout). A real NETLINK_GENERIC socket that joins a group with no traffic: the
    -- nlctrl "notify" group stands in for an nl80211 group (only the group lookup is replaced).
    local notify = genl.get_group_id('nlctrl', 'notify')
    T.eq(math.type(notify), 'integer')
    local real_group = genl.get_group_id
    local asked
    genl.get_group_id = function(family, group)
        asked = { family, group }
        return notify
    end
    local t0 = T.now()
    T.fails('timeout', nl80211.wait_event('scan', 0.2, function() called = true end))
    local dt = T.now() - t0
    genl.get_group_id = real_group
    T.eq(asked[1], 'nl80211')
    T.eq(asked[2], 'scan')
    T.eq(called, false)
    T.between(dt, 0.19, 2, 'wait_event timeout')
end)

print('nl80211 kernel: ok')
