//! Unit tests: every constant against the kernel's UAPI header, the parsers against fixture bytes
//! built from the documented attribute layouts (host byte order), and every truncation or
//! corruption of those fixtures (no panic, the documented error).
use super::consts::{KERNEL, LOCAL};
use super::parse::*;
use std::process::Command;

// ---- fixture builders ----------------------------------------------------------------------

fn attr(t: u16, payload: &[u8]) -> Vec<u8> {
    let len = (4 + payload.len()) as u16;
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&t.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn nest(t: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    attr(t | 0x8000, &parts.concat())
}

fn flag(t: u16) -> Vec<u8> {
    attr(t, &[])
}

fn u8a(t: u16, v: u8) -> Vec<u8> {
    attr(t, &[v])
}

fn u16a(t: u16, v: u16) -> Vec<u8> {
    attr(t, &v.to_ne_bytes())
}

fn u32a(t: u16, v: u32) -> Vec<u8> {
    attr(t, &v.to_ne_bytes())
}

fn u64a(t: u16, v: u64) -> Vec<u8> {
    attr(t, &v.to_ne_bytes())
}

/// A Generic Netlink payload: `genlmsghdr{cmd, version 1}` then the attributes.
fn genl(cmd: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![cmd, 1, 0, 0];
    v.extend_from_slice(&attrs.concat());
    v
}

fn int(o: &Obj<'_>, k: &str) -> Option<i64> {
    match get(o, k) {
        Some(Val::Int(i)) => Some(*i),
        None => None,
        other => panic!("{k}: not an integer: {other:?}"),
    }
}

fn set_of(o: &Obj<'_>, k: &str) -> Vec<&'static str> {
    match get(o, k) {
        Some(Val::Set(s)) => {
            let mut s = s.clone();
            s.sort();
            s
        }
        other => panic!("{k}: not a set: {other:?}"),
    }
}

fn obj<'o, 'a>(o: &'o Obj<'a>, k: &str) -> &'o Obj<'a> {
    match get(o, k) {
        Some(Val::Obj(x)) => x,
        other => panic!("{k}: not a table: {other:?}"),
    }
}

// ---- constants -----------------------------------------------------------------------------

/// Compiles a C program printing `NL80211_<name>` for every `(name, value)` with the system's
/// `<linux/nl80211.h>` (package linux-libc-dev) and compares.
fn check_against_header(tag: &str, list: &[(&str, i64)]) {
    let dir = std::env::temp_dir().join(format!("eco-nl80211-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = String::from("#include <stdio.h>\n#include <linux/nl80211.h>\nint main(void) {\n");
    for (name, _) in list {
        c.push_str(&format!(
            "    printf(\"{name} %lld\\n\", (long long)NL80211_{name});\n"
        ));
    }
    c.push_str("    return 0;\n}\n");
    let src = dir.join("consts.c");
    let bin = dir.join("consts");
    std::fs::write(&src, c).unwrap();
    let out = Command::new("gcc")
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .output()
        .expect("gcc must be installed (the constants tests compile against <linux/nl80211.h>)");
    assert!(
        out.status.success(),
        "gcc failed (is linux-libc-dev installed?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&bin).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for (line, (name, value)) in text.lines().zip(list) {
        assert_eq!(
            line,
            format!("{name} {value}"),
            "header value of NL80211_{name}"
        );
        n += 1;
    }
    assert_eq!(n, list.len());
    std::fs::remove_dir_all(&dir).ok();
}

/// Every kernel constant the module exports, against the header.
#[test]
fn constants_match_uapi_header() {
    check_against_header("consts", KERNEL);
}

fn table_value(name: &str) -> i64 {
    KERNEL
        .iter()
        .chain(LOCAL)
        .find(|(k, _)| *k == name)
        .unwrap_or_else(|| panic!("{name} not exported"))
        .1
}

/// The numbers the parsers use are the exported (header-checked) ones.
#[test]
fn parser_constants_are_the_exported_ones() {
    let pairs: &[(&str, u16)] = &[
        ("ATTR_WIPHY", ATTR_WIPHY),
        ("ATTR_IFINDEX", ATTR_IFINDEX),
        ("ATTR_IFNAME", ATTR_IFNAME),
        ("ATTR_IFTYPE", ATTR_IFTYPE),
        ("ATTR_MAC", ATTR_MAC),
        ("ATTR_STA_INFO", ATTR_STA_INFO),
        ("ATTR_WIPHY_BANDS", ATTR_WIPHY_BANDS),
        ("ATTR_WIPHY_FREQ", ATTR_WIPHY_FREQ),
        ("ATTR_WIPHY_CHANNEL_TYPE", ATTR_WIPHY_CHANNEL_TYPE),
        ("ATTR_BSS", ATTR_BSS),
        ("ATTR_SSID", ATTR_SSID),
        ("ATTR_4ADDR", ATTR_4ADDR),
        ("ATTR_SURVEY_INFO", ATTR_SURVEY_INFO),
        ("ATTR_WIPHY_TX_POWER_LEVEL", ATTR_WIPHY_TX_POWER_LEVEL),
        ("ATTR_WDEV", ATTR_WDEV),
        ("ATTR_CHANNEL_WIDTH", ATTR_CHANNEL_WIDTH),
        ("ATTR_CENTER_FREQ1", ATTR_CENTER_FREQ1),
        ("ATTR_CENTER_FREQ2", ATTR_CENTER_FREQ2),
        ("ATTR_PROTOCOL_FEATURES", ATTR_PROTOCOL_FEATURES),
        ("BAND_ATTR_FREQS", BAND_ATTR_FREQS),
        ("FREQUENCY_ATTR_FREQ", FREQUENCY_ATTR_FREQ),
        ("FREQUENCY_ATTR_NO_IR", FREQUENCY_ATTR_NO_IR),
        ("FREQUENCY_ATTR_RADAR", FREQUENCY_ATTR_RADAR),
        ("FREQUENCY_ATTR_NO_HT40_MINUS", FREQUENCY_ATTR_NO_HT40_MINUS),
        ("FREQUENCY_ATTR_NO_HT40_PLUS", FREQUENCY_ATTR_NO_HT40_PLUS),
        ("FREQUENCY_ATTR_NO_80MHZ", FREQUENCY_ATTR_NO_80MHZ),
        ("FREQUENCY_ATTR_NO_160MHZ", FREQUENCY_ATTR_NO_160MHZ),
        ("FREQUENCY_ATTR_INDOOR_ONLY", FREQUENCY_ATTR_INDOOR_ONLY),
        ("FREQUENCY_ATTR_NO_20MHZ", FREQUENCY_ATTR_NO_20MHZ),
        ("FREQUENCY_ATTR_NO_10MHZ", FREQUENCY_ATTR_NO_10MHZ),
        ("FREQUENCY_ATTR_NO_HE", FREQUENCY_ATTR_NO_HE),
        ("FREQUENCY_ATTR_NO_320MHZ", FREQUENCY_ATTR_NO_320MHZ),
        ("FREQUENCY_ATTR_NO_EHT", FREQUENCY_ATTR_NO_EHT),
        ("BSS_BSSID", BSS_BSSID),
        ("BSS_FREQUENCY", BSS_FREQUENCY),
        ("BSS_BEACON_INTERVAL", BSS_BEACON_INTERVAL),
        ("BSS_CAPABILITY", BSS_CAPABILITY),
        ("BSS_INFORMATION_ELEMENTS", BSS_INFORMATION_ELEMENTS),
        ("BSS_SIGNAL_MBM", BSS_SIGNAL_MBM),
        ("BSS_STATUS", BSS_STATUS),
        ("STA_INFO_INACTIVE_TIME", STA_INFO_INACTIVE_TIME),
        ("STA_INFO_RX_BYTES", STA_INFO_RX_BYTES),
        ("STA_INFO_TX_BYTES", STA_INFO_TX_BYTES),
        ("STA_INFO_SIGNAL", STA_INFO_SIGNAL),
        ("STA_INFO_TX_BITRATE", STA_INFO_TX_BITRATE),
        ("STA_INFO_RX_PACKETS", STA_INFO_RX_PACKETS),
        ("STA_INFO_TX_PACKETS", STA_INFO_TX_PACKETS),
        ("STA_INFO_TX_RETRIES", STA_INFO_TX_RETRIES),
        ("STA_INFO_TX_FAILED", STA_INFO_TX_FAILED),
        ("STA_INFO_SIGNAL_AVG", STA_INFO_SIGNAL_AVG),
        ("STA_INFO_RX_BITRATE", STA_INFO_RX_BITRATE),
        ("STA_INFO_CONNECTED_TIME", STA_INFO_CONNECTED_TIME),
        ("STA_INFO_STA_FLAGS", STA_INFO_STA_FLAGS),
        ("STA_INFO_BEACON_LOSS", STA_INFO_BEACON_LOSS),
        ("STA_INFO_RX_BYTES64", STA_INFO_RX_BYTES64),
        ("STA_INFO_TX_BYTES64", STA_INFO_TX_BYTES64),
        ("STA_INFO_BEACON_RX", STA_INFO_BEACON_RX),
        ("STA_INFO_BEACON_SIGNAL_AVG", STA_INFO_BEACON_SIGNAL_AVG),
        ("STA_INFO_ACK_SIGNAL", STA_INFO_ACK_SIGNAL),
        ("STA_INFO_ACK_SIGNAL_AVG", STA_INFO_ACK_SIGNAL_AVG),
        ("RATE_INFO_BITRATE", RATE_INFO_BITRATE),
        ("RATE_INFO_MCS", RATE_INFO_MCS),
        ("RATE_INFO_40_MHZ_WIDTH", RATE_INFO_40_MHZ_WIDTH),
        ("RATE_INFO_SHORT_GI", RATE_INFO_SHORT_GI),
        ("RATE_INFO_BITRATE32", RATE_INFO_BITRATE32),
        ("RATE_INFO_VHT_MCS", RATE_INFO_VHT_MCS),
        ("RATE_INFO_VHT_NSS", RATE_INFO_VHT_NSS),
        ("RATE_INFO_80_MHZ_WIDTH", RATE_INFO_80_MHZ_WIDTH),
        ("RATE_INFO_80P80_MHZ_WIDTH", RATE_INFO_80P80_MHZ_WIDTH),
        ("RATE_INFO_160_MHZ_WIDTH", RATE_INFO_160_MHZ_WIDTH),
        ("RATE_INFO_10_MHZ_WIDTH", RATE_INFO_10_MHZ_WIDTH),
        ("RATE_INFO_5_MHZ_WIDTH", RATE_INFO_5_MHZ_WIDTH),
        ("RATE_INFO_HE_MCS", RATE_INFO_HE_MCS),
        ("RATE_INFO_HE_NSS", RATE_INFO_HE_NSS),
        ("RATE_INFO_HE_GI", RATE_INFO_HE_GI),
        ("RATE_INFO_HE_DCM", RATE_INFO_HE_DCM),
        ("RATE_INFO_EHT_MCS", RATE_INFO_EHT_MCS),
        ("RATE_INFO_EHT_NSS", RATE_INFO_EHT_NSS),
        ("RATE_INFO_EHT_GI", RATE_INFO_EHT_GI),
        ("SURVEY_INFO_FREQUENCY", SURVEY_INFO_FREQUENCY),
        ("SURVEY_INFO_NOISE", SURVEY_INFO_NOISE),
        ("SURVEY_INFO_IN_USE", SURVEY_INFO_IN_USE),
        ("SURVEY_INFO_TIME", SURVEY_INFO_TIME),
        ("SURVEY_INFO_TIME_BUSY", SURVEY_INFO_TIME_BUSY),
    ];
    for (name, v) in pairs {
        assert_eq!(table_value(name), *v as i64, "{name}");
    }
}

/// `enum nl80211_sta_flags` bit numbers (used by `parse_sta_flag_update`), from the header.
#[test]
fn sta_flag_bits_match_uapi_header() {
    let flags = [
        ("STA_FLAG_AUTHORIZED", STA_FLAG_AUTHORIZED),
        ("STA_FLAG_SHORT_PREAMBLE", STA_FLAG_SHORT_PREAMBLE),
        ("STA_FLAG_WME", STA_FLAG_WME),
        ("STA_FLAG_MFP", STA_FLAG_MFP),
        ("STA_FLAG_AUTHENTICATED", STA_FLAG_AUTHENTICATED),
        ("STA_FLAG_TDLS_PEER", STA_FLAG_TDLS_PEER),
        ("STA_FLAG_ASSOCIATED", STA_FLAG_ASSOCIATED),
    ];
    let list: Vec<(&str, i64)> = flags.iter().map(|(n, v)| (*n, *v as i64)).collect();
    check_against_header("staflags", &list);
}

/// The Lua table carries every constant with its value, as an integer.
#[test]
fn lua_table_exports_every_constant() {
    let lua = mlua::Lua::new();
    let t = super::native(&lua).unwrap();
    for (k, v) in KERNEL.iter().chain(LOCAL) {
        let got: mlua::Value = t.get(*k).unwrap();
        assert_eq!(got, mlua::Value::Integer(*v), "{k}");
    }
    // 802.11 values the module defines itself.
    for (k, v) in [
        ("FTYPE_MGMT", 0),
        ("FTYPE_CTL", 1),
        ("FTYPE_DATA", 2),
        ("FTYPE_EXT", 17),
        ("STYPE_ASSOC_RESP", 1),
        ("STYPE_BEACON", 8),
        ("STYPE_ACTION", 13),
        ("STYPE_TRIGGER", 2),
        ("STYPE_CFENDACK", 15),
        ("STYPE_QOS_DATA", 8),
        ("STYPE_QOS_CFACKPOLL", 15),
        ("WLAN_EID_SSID", 0),
        ("WLAN_EID_RSN", 48),
        ("WLAN_EID_MESH_ID", 114),
        ("WLAN_EID_VENDOR_SPECIFIC", 221),
    ] {
        assert_eq!(table_value(k), v, "{k}");
    }
    assert_eq!(LOCAL.len(), 4 + 12 + 10 + 16 + 4);
}

// ---- pure helpers --------------------------------------------------------------------------

#[test]
fn naming_helpers() {
    assert_eq!(freq_to_channel(2484), 14);
    assert_eq!(freq_to_channel(2412), 1);
    assert_eq!(freq_to_channel(5180), 36);
    assert_eq!(freq_to_channel(5955), 1);
    assert_eq!(freq_to_channel(5905), 181);
    assert_eq!(freq_to_channel(100), 0);
    assert_eq!(freq_to_band(2412), Val::Float(2.4));
    assert_eq!(freq_to_band(5905), Val::Str("Unknown"));
    assert_eq!(freq_to_band(60000), Val::Int(60));
    assert_eq!(ftype_name(0, 1), Some("ASSOC_RESP  "));
    assert_eq!(ftype_name(0, 2), Some("REASSOC_REQ "));
    assert_eq!(ftype_name(0, 6), None);
    assert_eq!(ftype_name(1, 13), Some("ACK"));
    assert_eq!(ftype_name(2, 15), Some("QOS_CFACKPOLL"));
    assert_eq!(ftype_name(3, 0), None);
    assert_eq!(ftype_name(0, -1), None);
    assert_eq!(ftype_name(0, 16), None);
    assert_eq!(iftype_name(7), "mesh point\"");
    assert_eq!(iftype_name(99), "Unknown");
    assert_eq!(width_name(13), "320 MHz");
    assert_eq!(width_name(6), "Unknown");
    assert_eq!(channel_type_name(3), "HT40+");
    assert_eq!(escape_ssid(b" a b\\\x01 "), "\\x20a b\\x5c\\x01\\x20");
    assert_eq!(escape_ssid(b""), "");
    assert_eq!(escape_ssid(b" "), "\\x20");
    assert_eq!(escape_ssid(b"\x7f~!"), "\\x7f~!");
}

// ---- station flags and rates ---------------------------------------------------------------

fn flags(mask: u32, set: u32) -> Vec<u8> {
    let mut v = mask.to_ne_bytes().to_vec();
    v.extend_from_slice(&set.to_ne_bytes());
    v
}

#[test]
fn sta_flag_update() {
    let m = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7);
    let s = (1 << 1) | (1 << 2) | (1 << 5);
    let o = parse_sta_flag_update(&flags(m, s)).unwrap();
    assert_eq!(get(&o, "authorized"), Some(&Val::Bool(true)));
    assert_eq!(get(&o, "authenticated"), Some(&Val::Bool(true)));
    assert_eq!(get(&o, "associated"), Some(&Val::Bool(false)));
    assert_eq!(get(&o, "wme"), Some(&Val::Bool(false)));
    assert_eq!(get(&o, "mfp"), Some(&Val::Bool(false)));
    assert_eq!(get(&o, "preamble"), Some(&Val::Str("short")));
    assert_eq!(get(&o, "tdls_peer"), None);
    assert_eq!(o.len(), 6);
    // Extra bytes ignored; short input refused.
    let mut long = flags(m, s);
    long.extend_from_slice(b"xyz");
    assert_eq!(parse_sta_flag_update(&long), Some(o));
    assert_eq!(parse_sta_flag_update(&flags(m, s)[..7]), None);
    assert_eq!(parse_sta_flag_update(b""), None);
    // Bits absent from the mask give no field; the long preamble; tdls_peer.
    let o = parse_sta_flag_update(&flags((1 << 2) | (1 << 6), 1 << 6)).unwrap();
    assert_eq!(
        o,
        vec![
            ("tdls_peer", Val::Bool(true)),
            ("preamble", Val::Str("long"))
        ]
    );
    assert_eq!(parse_sta_flag_update(&flags(0, !0)), Some(vec![]));
}

#[test]
fn rates() {
    let o = parse_rate(&u16a(RATE_INFO_BITRATE, 65)).unwrap();
    assert_eq!(o, vec![("rate", Val::Float(6.5)), ("width", Val::Int(20))]);
    let vht = [
        u32a(RATE_INFO_BITRATE32, 8667),
        u16a(RATE_INFO_BITRATE, 1),
        u8a(RATE_INFO_VHT_MCS, 9),
        u8a(RATE_INFO_VHT_NSS, 2),
        flag(RATE_INFO_80_MHZ_WIDTH),
        flag(RATE_INFO_SHORT_GI),
    ]
    .concat();
    let o = parse_rate(&vht).unwrap();
    assert_eq!(
        o,
        vec![
            ("rate", Val::Float(866.7)),
            ("vht", Val::Bool(true)),
            ("mcs", Val::Int(9)),
            ("nss", Val::Int(2)),
            ("width", Val::Int(80)),
            ("short_gi", Val::Bool(true)),
        ]
    );
    let he = [
        u8a(RATE_INFO_HE_MCS, 11),
        u8a(RATE_INFO_HE_NSS, 4),
        u8a(RATE_INFO_HE_GI, 1),
        u8a(RATE_INFO_HE_DCM, 0),
        u8a(RATE_INFO_VHT_MCS, 3),
        flag(RATE_INFO_160_MHZ_WIDTH),
    ]
    .concat();
    assert_eq!(
        parse_rate(&he).unwrap(),
        vec![
            ("rate", Val::Float(0.0)),
            ("he", Val::Bool(true)),
            ("mcs", Val::Int(11)),
            ("nss", Val::Int(4)),
            ("he_gi", Val::Int(1)),
            ("he_dcm", Val::Int(0)),
            ("width", Val::Int(160)),
        ]
    );
    let eht = [
        u8a(RATE_INFO_EHT_MCS, 13),
        u8a(RATE_INFO_EHT_NSS, 2),
        u8a(RATE_INFO_EHT_GI, 2),
        u8a(RATE_INFO_HE_MCS, 1),
        flag(18), // RATE_INFO_320_MHZ_WIDTH is not recognised: 20
    ]
    .concat();
    assert_eq!(
        parse_rate(&eht).unwrap(),
        vec![
            ("rate", Val::Float(0.0)),
            ("eht", Val::Bool(true)),
            ("mcs", Val::Int(13)),
            ("nss", Val::Int(2)),
            ("eht_gi", Val::Int(2)),
            ("width", Val::Int(20)),
        ]
    );
    let ht = [
        u8a(RATE_INFO_MCS, 7),
        flag(RATE_INFO_40_MHZ_WIDTH),
        flag(RATE_INFO_5_MHZ_WIDTH),
    ]
    .concat();
    assert_eq!(
        parse_rate(&ht).unwrap(),
        vec![
            ("rate", Val::Float(0.0)),
            ("mcs", Val::Int(7)),
            ("width", Val::Int(5))
        ]
    );
    for (f, w) in [
        (RATE_INFO_10_MHZ_WIDTH, 10),
        (RATE_INFO_40_MHZ_WIDTH, 40),
        (RATE_INFO_80P80_MHZ_WIDTH, 160),
    ] {
        assert_eq!(int(&parse_rate(&flag(f)).unwrap(), "width"), Some(w));
    }
    // A value shorter than its type.
    assert_eq!(
        parse_rate(&attr(RATE_INFO_BITRATE32, &[1, 2])),
        Err(E_SHORT)
    );
    assert_eq!(parse_rate(&[8, 0, 1]), Err(E_NESTED));
}

// ---- replies -------------------------------------------------------------------------------

const MAC: [u8; 6] = [0x02, 0xAB, 0x00, 0x10, 0xfe, 0x7f];

fn interface_fixture(with_width: bool) -> Vec<u8> {
    let mut a = vec![
        u32a(ATTR_IFINDEX, 7),
        attr(ATTR_IFNAME, b"wlan0\0"),
        u32a(ATTR_WIPHY, 2),
        u32a(ATTR_IFTYPE, 3),
        u64a(ATTR_WDEV, 0x2_0000_0001),
        attr(ATTR_MAC, &MAC),
        u32a(46, 99), // ATTR_GENERATION: ignored
        u8a(ATTR_4ADDR, 1),
        attr(ATTR_SSID, b"my\0net"),
        u32a(ATTR_WIPHY_FREQ, 5180),
        u32a(ATTR_WIPHY_CHANNEL_TYPE, 3),
        u32a(ATTR_WIPHY_TX_POWER_LEVEL, 2000),
    ];
    if with_width {
        a.push(u32a(ATTR_CHANNEL_WIDTH, 3));
        a.push(u32a(ATTR_CENTER_FREQ1, 5210));
    }
    genl(7, &a)
}

#[test]
fn interface() {
    let p = interface_fixture(true);
    let o = parse_interface(&p).unwrap();
    assert_eq!(
        o,
        vec![
            ("phy", Val::Int(2)),
            ("iftype", Val::Int(3)),
            ("ifname", Val::Bytes(b"wlan0")),
            ("ifindex", Val::Int(7)),
            ("wdev", Val::Int(0x2_0000_0001)),
            ("4addr", Val::Bool(true)),
            ("mac", Val::Text("02:ab:00:10:fe:7f".into())),
            ("ssid", Val::Bytes(b"my\0net")),
            ("freq", Val::Int(5180)),
            ("channel_width", Val::Int(3)),
            ("center_freq1", Val::Int(5210)),
            ("txpower", Val::Int(2000)),
        ]
    );
    // Without a width: the channel type; 4addr 0 is false.
    let mut p = interface_fixture(false);
    let o = parse_interface(&p).unwrap();
    assert_eq!(int(&o, "channel_type"), Some(3));
    assert_eq!(get(&o, "channel_width"), None);
    // Flip 4addr's value to 0 (the byte right after its header).
    let pos = p
        .windows(4)
        .position(|w| w == [5, 0, ATTR_4ADDR as u8, 0])
        .map(|i| i + 4);
    let pos = if cfg!(target_endian = "little") {
        pos.unwrap()
    } else {
        p.windows(4)
            .position(|w| w == [0, 5, 0, ATTR_4ADDR as u8])
            .unwrap()
            + 4
    };
    p[pos] = 0;
    assert_eq!(
        get(&parse_interface(&p).unwrap(), "4addr"),
        Some(&Val::Bool(false))
    );
    // Without a frequency, no channel fields at all; missing attributes are absent fields.
    let p = genl(
        7,
        &[
            u32a(ATTR_CHANNEL_WIDTH, 3),
            u32a(ATTR_WIPHY_CHANNEL_TYPE, 1),
        ],
    );
    let o = parse_interface(&p).unwrap();
    assert_eq!(o, vec![]);
    // An interface name without its NUL.
    assert_eq!(
        parse_interface(&genl(7, &[attr(ATTR_IFNAME, b"wlan0")])),
        Err(E_NOT_NUL)
    );
    assert_eq!(parse_interface(&[7, 1]), Err(E_MALFORMED));
}

#[test]
fn protocol_features() {
    assert_eq!(
        parse_protocol_features(&genl(95, &[u32a(ATTR_PROTOCOL_FEATURES, 1)])),
        Ok(1)
    );
    assert_eq!(parse_protocol_features(&genl(95, &[])), Ok(0));
}

#[test]
fn survey() {
    let p = genl(
        51,
        &[
            u32a(ATTR_IFINDEX, 3),
            nest(
                ATTR_SURVEY_INFO,
                &[
                    u32a(SURVEY_INFO_FREQUENCY, 2437),
                    u8a(SURVEY_INFO_NOISE, (-92i8) as u8),
                    flag(SURVEY_INFO_IN_USE),
                    u64a(SURVEY_INFO_TIME, 123_456_789_012),
                    u64a(SURVEY_INFO_TIME_BUSY, u64::MAX),
                ],
            ),
        ],
    );
    assert_eq!(
        parse_survey(&p).unwrap().unwrap(),
        vec![
            ("frequency", Val::Int(2437)),
            ("noise", Val::Int(-92)),
            ("in_use", Val::Bool(true)),
            ("active_time", Val::Int(123_456_789_012)),
            ("busy_time", Val::Int(i64::MAX)),
        ]
    );
    assert_eq!(parse_survey(&genl(51, &[u32a(ATTR_IFINDEX, 3)])), Ok(None));
    let p = genl(
        51,
        &[nest(ATTR_SURVEY_INFO, &[u32a(SURVEY_INFO_FREQUENCY, 5180)])],
    );
    assert_eq!(
        parse_survey(&p).unwrap().unwrap(),
        vec![("frequency", Val::Int(5180))]
    );
}

fn station_fixture() -> Vec<u8> {
    let m = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7);
    genl(
        19,
        &[
            u32a(ATTR_IFINDEX, 3),
            attr(ATTR_MAC, &MAC),
            nest(
                ATTR_STA_INFO,
                &[
                    u32a(STA_INFO_INACTIVE_TIME, 10),
                    u32a(STA_INFO_RX_BYTES, 1),
                    u64a(STA_INFO_RX_BYTES64, 5_000_000_000),
                    u32a(STA_INFO_TX_BYTES, 77),
                    u32a(STA_INFO_RX_PACKETS, 11),
                    u32a(STA_INFO_TX_PACKETS, 12),
                    u32a(STA_INFO_TX_RETRIES, 13),
                    u32a(STA_INFO_TX_FAILED, 14),
                    u8a(STA_INFO_SIGNAL, (-40i8) as u8),
                    u8a(STA_INFO_SIGNAL_AVG, (-41i8) as u8),
                    u8a(STA_INFO_BEACON_SIGNAL_AVG, (-42i8) as u8),
                    u8a(STA_INFO_ACK_SIGNAL, (-43i8) as u8),
                    u8a(STA_INFO_ACK_SIGNAL_AVG, (-44i8) as u8),
                    u32a(STA_INFO_CONNECTED_TIME, 3600),
                    u32a(STA_INFO_BEACON_LOSS, 2),
                    u64a(STA_INFO_BEACON_RX, 999),
                    attr(STA_INFO_STA_FLAGS, &flags(m, (1 << 3) | (1 << 7))),
                    nest(STA_INFO_TX_BITRATE, &[u16a(RATE_INFO_BITRATE, 65)]),
                    nest(
                        STA_INFO_RX_BITRATE,
                        &[u8a(RATE_INFO_MCS, 15), flag(RATE_INFO_40_MHZ_WIDTH)],
                    ),
                ],
            ),
        ],
    )
}

#[test]
fn station() {
    let p = station_fixture();
    let o = parse_station(&p).unwrap().unwrap();
    let want: &[(&str, i64)] = &[
        ("inactive_time", 10),
        ("connected_time", 3600),
        ("beacon_loss", 2),
        ("beacon_rx", 999),
        ("rx_bytes", 5_000_000_000),
        ("tx_bytes", 77),
        ("rx_packets", 11),
        ("tx_packets", 12),
        ("tx_retries", 13),
        ("tx_failed", 14),
        ("signal", -40),
        ("signal_avg", -41),
        ("beacon_signal_avg", -42),
        ("ack_signal", -43),
        ("ack_signal_avg", -44),
    ];
    for (k, v) in want {
        assert_eq!(int(&o, k), Some(*v), "{k}");
    }
    assert_eq!(get(&o, "mac"), Some(&Val::Text("02:ab:00:10:fe:7f".into())));
    for (k, v) in [
        ("authorized", false),
        ("authenticated", false),
        ("associated", true),
        ("wme", true),
        ("mfp", false),
    ] {
        assert_eq!(get(&o, k), Some(&Val::Bool(v)), "{k}");
    }
    assert_eq!(get(&o, "preamble"), Some(&Val::Str("long")));
    assert_eq!(
        obj(&o, "tx_rate"),
        &vec![("rate", Val::Float(6.5)), ("width", Val::Int(20))]
    );
    assert_eq!(
        obj(&o, "rx_rate"),
        &vec![
            ("rate", Val::Float(0.0)),
            ("mcs", Val::Int(15)),
            ("width", Val::Int(40))
        ]
    );
    // 1 mac + 15 numbers + 6 flag fields + 2 rates.
    assert_eq!(o.len(), 24);
    // Without STA_INFO: no entry. A short flag struct: the error.
    assert_eq!(parse_station(&genl(19, &[attr(ATTR_MAC, &MAC)])), Ok(None));
    let p = genl(
        19,
        &[nest(ATTR_STA_INFO, &[attr(STA_INFO_STA_FLAGS, &[0; 7])])],
    );
    assert_eq!(parse_station(&p), Err(E_SHORT));
    // 32-bit byte counters when the 64-bit ones are absent.
    let p = genl(19, &[nest(ATTR_STA_INFO, &[u32a(STA_INFO_RX_BYTES, 5)])]);
    assert_eq!(parse_station(&p), Ok(Some(vec![("rx_bytes", Val::Int(5))])));
}

fn freq_entry(i: u16, attrs: &[Vec<u8>]) -> Vec<u8> {
    nest(i, attrs)
}

fn wiphy_fixture() -> Vec<u8> {
    let band0 = nest(
        0,
        &[
            attr(3, &[0; 16]), // BAND_ATTR_HT_MCS_SET: ignored
            nest(
                BAND_ATTR_FREQS,
                &[
                    freq_entry(
                        0,
                        &[
                            u32a(FREQUENCY_ATTR_FREQ, 2412),
                            flag(FREQUENCY_ATTR_NO_HT40_MINUS),
                        ],
                    ),
                    freq_entry(
                        1,
                        &[
                            u32a(FREQUENCY_ATTR_FREQ, 2484),
                            flag(FREQUENCY_ATTR_NO_HT40_PLUS),
                            flag(FREQUENCY_ATTR_NO_IR),
                            flag(2), // DISABLED: included, no flag
                            flag(FREQUENCY_ATTR_NO_HE),
                        ],
                    ),
                    freq_entry(2, &[flag(FREQUENCY_ATTR_NO_IR)]), // no FREQ: skipped
                ],
            ),
        ],
    );
    let band1 = nest(
        1,
        &[nest(
            BAND_ATTR_FREQS,
            &[freq_entry(
                0,
                &[
                    u32a(FREQUENCY_ATTR_FREQ, 5260),
                    flag(FREQUENCY_ATTR_NO_IR),
                    flag(FREQUENCY_ATTR_RADAR),
                    flag(FREQUENCY_ATTR_NO_80MHZ),
                    flag(FREQUENCY_ATTR_NO_160MHZ),
                    flag(FREQUENCY_ATTR_NO_20MHZ),
                    flag(FREQUENCY_ATTR_NO_10MHZ),
                    flag(FREQUENCY_ATTR_NO_320MHZ),
                    flag(FREQUENCY_ATTR_NO_EHT),
                    flag(FREQUENCY_ATTR_INDOOR_ONLY),
                ],
            )],
        )],
    );
    let band2 = nest(
        2,
        &[nest(
            BAND_ATTR_FREQS,
            &[freq_entry(0, &[u32a(FREQUENCY_ATTR_FREQ, 60480)])],
        )],
    );
    let band3 = nest(
        3,
        &[nest(
            BAND_ATTR_FREQS,
            &[freq_entry(0, &[u32a(FREQUENCY_ATTR_FREQ, 5955)])],
        )],
    );
    let band9 = nest(
        9,
        &[nest(
            BAND_ATTR_FREQS,
            &[freq_entry(0, &[u32a(FREQUENCY_ATTR_FREQ, 900)])],
        )],
    );
    genl(
        3,
        &[
            u32a(ATTR_WIPHY, 0),
            nest(ATTR_WIPHY_BANDS, &[band0, band1, band2, band3, band9]),
        ],
    )
}

#[test]
fn freqlist() {
    let p = wiphy_fixture();
    let l = parse_freqlist(&p).unwrap();
    assert_eq!(l.len(), 6);
    fn fields(o: &Obj<'static>) -> (Option<Val<'static>>, Option<i64>, Option<i64>) {
        (get(o, "band").cloned(), int(o, "freq"), int(o, "channel"))
    }
    assert_eq!(fields(&l[0]), (Some(Val::Float(2.4)), Some(2412), Some(1)));
    assert_eq!(set_of(&l[0], "flags"), vec!["NO_HT40+"]);
    assert_eq!(get(&l[0], "NO_HE"), None);
    assert_eq!(fields(&l[1]), (Some(Val::Float(2.4)), Some(2484), Some(14)));
    assert_eq!(set_of(&l[1], "flags"), vec!["NO_HT40-", "NO_IR"]);
    assert_eq!(get(&l[1], "NO_HE"), Some(&Val::Bool(true)));
    assert_eq!(fields(&l[2]), (Some(Val::Int(5)), Some(5260), Some(52)));
    assert_eq!(
        set_of(&l[2], "flags"),
        vec![
            "INDOOR_ONLY",
            "NO_10MHZ",
            "NO_160MHZ",
            "NO_20MHZ",
            "NO_320MHZ",
            "NO_80MHZ",
            "NO_EHT",
            "RADAR"
        ]
    );
    assert_eq!(fields(&l[3]), (Some(Val::Int(60)), Some(60480), Some(0)));
    assert_eq!(fields(&l[4]), (Some(Val::Int(6)), Some(5955), Some(1)));
    assert_eq!(fields(&l[5]), (Some(Val::Int(9)), Some(900), Some(0)));
    assert_eq!(set_of(&l[5], "flags"), Vec::<&str>::new());
    // A reply of a split dump without bands.
    assert_eq!(parse_freqlist(&genl(3, &[u32a(ATTR_WIPHY, 0)])), Ok(vec![]));
    // A broken nested list.
    let p = genl(3, &[attr(ATTR_WIPHY_BANDS | 0x8000, &[8, 0, 0, 0, 1])]);
    assert_eq!(parse_freqlist(&p), Err(E_NESTED));
}

fn ie(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![id, payload.len() as u8];
    v.extend_from_slice(payload);
    v
}

const RSN_PSK: [u8; 18] = [
    1, 0, 0x00, 0x0f, 0xac, 4, 1, 0, 0x00, 0x0f, 0xac, 4, 1, 0, 0x00, 0x0f, 0xac, 2,
];

fn bss_fixture(ies: &[u8], status: Option<u32>) -> Vec<u8> {
    let mut b = vec![
        attr(BSS_BSSID, &MAC),
        u32a(BSS_FREQUENCY, 2437),
        u64a(3, 1234), // BSS_TSF: ignored
        u16a(BSS_BEACON_INTERVAL, 100),
        u16a(BSS_CAPABILITY, 0x11),
        attr(BSS_INFORMATION_ELEMENTS, ies),
        attr(BSS_SIGNAL_MBM, &(-4500i32).to_ne_bytes()),
        attr(11, &ie(0, b"beacon-only")), // BSS_BEACON_IES: not used
    ];
    if let Some(s) = status {
        b.push(u32a(BSS_STATUS, s));
    }
    genl(
        34,
        &[u32a(46, 5), u32a(ATTR_IFINDEX, 3), nest(ATTR_BSS, &b)],
    )
}

#[test]
fn bss() {
    let ies = [ie(0, b"home"), ie(1, &[0x82, 0x84]), ie(48, &RSN_PSK)].concat();
    let p = bss_fixture(&ies, Some(1));
    let o = parse_bss(&p, false).unwrap().unwrap();
    assert_eq!(
        get(&o, "bssid"),
        Some(&Val::Text("02:ab:00:10:fe:7f".into()))
    );
    assert_eq!(set_of(&o, "caps"), vec!["ESS", "PRIVACY"]);
    assert_eq!(int(&o, "freq"), Some(2437));
    assert_eq!(int(&o, "channel"), Some(6));
    assert_eq!(get(&o, "band"), Some(&Val::Float(2.4)));
    assert_eq!(int(&o, "beacon_interval"), Some(100));
    assert_eq!(get(&o, "signal"), Some(&Val::Float(-45.0)));
    assert_eq!(get(&o, "ssid"), Some(&Val::Bytes(b"home")));
    assert_eq!(get(&o, "status"), Some(&Val::Str("associated")));
    assert_eq!(get(&o, "wpa"), None);
    assert_eq!(get(&o, "elems"), None);
    let rsn = obj(&o, "rsn");
    assert_eq!(get(rsn, "version"), Some(&Val::Int(1)));
    assert_eq!(get(rsn, "group_cipher"), Some(&Val::Str("CCMP")));
    assert_eq!(set_of(rsn, "pair_ciphers"), vec!["CCMP"]);
    assert_eq!(set_of(rsn, "auth_suites"), vec!["PSK"]);
    for (s, name) in [(0, "authenticated"), (2, "ibss_joined")] {
        let p = bss_fixture(&ies, Some(s));
        let o = parse_bss(&p, false).unwrap().unwrap();
        assert_eq!(get(&o, "status"), Some(&Val::Str(name)));
    }
    let p = bss_fixture(&ies, Some(7));
    let o = parse_bss(&p, false).unwrap().unwrap();
    assert_eq!(get(&o, "status"), None);

    // keep_elems: raw payloads per element id, repeated ids in order; mesh id overwrites ssid.
    let ies = [
        ie(0, b"a\0b"),
        ie(221, &[0, 0x50, 0xf2, 1, 1, 0]),
        ie(221, &[1, 2]),
        ie(114, b"mesh"),
    ]
    .concat();
    let p = bss_fixture(&ies, None);
    let o = parse_bss(&p, true).unwrap().unwrap();
    assert_eq!(
        get(&o, "elems"),
        Some(&Val::Elems(vec![
            (0, vec![&b"a\0b"[..]]),
            (221, vec![&[0, 0x50, 0xf2, 1, 1, 0][..], &[1, 2][..]]),
            (114, vec![&b"mesh"[..]]),
        ]))
    );
    assert_eq!(get(&o, "ssid"), Some(&Val::Bytes(b"mesh")));
    let wpa = obj(&o, "wpa");
    assert_eq!(
        wpa,
        &vec![
            ("version", Val::Int(1)),
            ("group_cipher", Val::Str("TKIP")),
            ("pair_ciphers", Val::Set(vec!["TKIP"])),
            ("auth_suites", Val::Set(vec![])),
        ]
    );

    // Entries without BSSID or capability are skipped; replies without ATTR_BSS too.
    let no_caps = genl(34, &[nest(ATTR_BSS, &[attr(BSS_BSSID, &MAC)])]);
    assert_eq!(parse_bss(&no_caps, false), Ok(None));
    let no_bssid = genl(34, &[nest(ATTR_BSS, &[u16a(BSS_CAPABILITY, 1)])]);
    assert_eq!(parse_bss(&no_bssid, false), Ok(None));
    assert_eq!(parse_bss(&genl(34, &[]), false), Ok(None));
    // Minimal entry: only what is required.
    let min = genl(
        34,
        &[nest(
            ATTR_BSS,
            &[attr(BSS_BSSID, &MAC), u16a(BSS_CAPABILITY, 2)],
        )],
    );
    assert_eq!(
        parse_bss(&min, true).unwrap().unwrap(),
        vec![
            ("bssid", Val::Text("02:ab:00:10:fe:7f".into())),
            ("caps", Val::Set(vec!["IBSS"])),
            ("elems", Val::Elems(vec![])),
        ]
    );
}

#[test]
fn rsn_and_wpa() {
    let o = parse_rsn(&RSN_PSK, "CCMP", "8021x").unwrap();
    assert_eq!(
        o,
        vec![
            ("version", Val::Int(1)),
            ("group_cipher", Val::Str("CCMP")),
            ("pair_ciphers", Val::Set(vec!["CCMP"])),
            ("auth_suites", Val::Set(vec!["PSK"])),
        ]
    );
    // Only the version: defaults.
    assert_eq!(
        parse_rsn(&[1, 0], "CCMP", "8021x").unwrap(),
        vec![
            ("version", Val::Int(1)),
            ("group_cipher", Val::Str("CCMP")),
            ("pair_ciphers", Val::Set(vec!["CCMP"])),
            ("auth_suites", Val::Set(vec![])),
        ]
    );
    assert_eq!(parse_rsn(&[1], "CCMP", "8021x"), None);
    // Group cipher but no pairwise list, or a truncated one: the default pairwise cipher.
    for body in [&RSN_PSK[..6], &RSN_PSK[..7], &RSN_PSK[..11]] {
        let o = parse_rsn(body, "CCMP", "8021x").unwrap();
        assert_eq!(set_of(&o, "pair_ciphers"), vec!["CCMP"]);
        assert_eq!(set_of(&o, "auth_suites"), Vec::<&str>::new());
    }
    // Complete pairwise list, missing or truncated AKM list: the default AKM.
    for body in [&RSN_PSK[..12], &RSN_PSK[..13], &RSN_PSK[..17]] {
        let o = parse_rsn(body, "CCMP", "8021x").unwrap();
        assert_eq!(set_of(&o, "auth_suites"), vec!["8021x"]);
    }
    // WPA with a complete pairwise list but no AKM list.
    let wpa = [1, 0, 0, 0x50, 0xf2, 2, 1, 0, 0, 0x50, 0xf2, 2];
    let o = parse_rsn(&wpa, "TKIP", "PSK").unwrap();
    assert_eq!(set_of(&o, "auth_suites"), vec!["PSK"]);
    assert_eq!(set_of(&o, "pair_ciphers"), vec!["TKIP"]);
    // Unknown group cipher: no group_cipher field; several suites; unknown ones skipped.
    let body = [
        1, 0, 0x00, 0x0f, 0xac, 3, // group: type 3 has no name
        3, 0, 0x00, 0x0f, 0xac, 8, 0x00, 0x0f, 0xac, 10, 0x00, 0x50, 0xf2, 6, // pairwise
        4, 0, 0x00, 0x0f, 0xac, 8, 0x00, 0x0f, 0xac, 10, 0x00, 0x0f, 0xac, 18, 0x00, 0x50, 0xf2, 1,
        0x0c, 0x00, // RSN capabilities: ignored
    ];
    let o = parse_rsn(&body, "CCMP", "8021x").unwrap();
    assert_eq!(get(&o, "group_cipher"), None);
    assert_eq!(set_of(&o, "pair_ciphers"), vec!["CCMP-256", "GCMP"]);
    assert_eq!(set_of(&o, "auth_suites"), vec!["802.1X", "OWE", "SAE"]);
}

#[test]
fn suite_names() {
    let ieee = |t| [0x00, 0x0f, 0xac, t];
    let ms = |t| [0x00, 0x50, 0xf2, t];
    let ciphers = [
        "NONE",
        "WEP-40",
        "TKIP",
        "",
        "CCMP",
        "WEP-104",
        "AES-128-CMAC",
        "NO-GROUP",
        "GCMP",
        "GCMP-256",
        "CCMP-256",
    ];
    for (t, n) in ciphers.iter().enumerate() {
        let want = if n.is_empty() { None } else { Some(*n) };
        assert_eq!(cipher_name(&ieee(t as u8)), want);
        assert_eq!(cipher_name(&ms(t as u8)), if t < 6 { want } else { None });
    }
    assert_eq!(cipher_name(&ieee(11)), None);
    assert_eq!(cipher_name(&[0, 0, 0, 4]), None);
    let akms = [
        "",
        "802.1X",
        "PSK",
        "FT/802.1X",
        "FT/PSK",
        "802.1X/SHA-256",
        "PSK/SHA-256",
        "TDLS/TPK",
        "SAE",
        "FT/SAE",
        "",
        "802.1X/SUITE-B",
        "802.1X/SUITE-B-192",
        "FT/802.1X/SHA-384",
        "FILS/SHA-256",
        "FILS/SHA-384",
        "FT/FILS/SHA-256",
        "FT/FILS/SHA-384",
        "OWE",
    ];
    for (t, n) in akms.iter().enumerate() {
        let want = if n.is_empty() { None } else { Some(*n) };
        assert_eq!(akm_name(&ieee(t as u8)), want);
        assert_eq!(
            akm_name(&ms(t as u8)),
            if (1..=2).contains(&t) { want } else { None }
        );
    }
    assert_eq!(akm_name(&ieee(19)), None);
}

#[test]
fn ie_walk_stops_at_overrun() {
    let mut ies = [ie(0, b"ok"), ie(48, &[1])].concat(); // an RSN IE too short: ignored
    ies.extend_from_slice(&[0, 10, b'x']); // an SSID that overruns: the walk stops
    let mut o = Obj::new();
    parse_ies(&ies, true, &mut o);
    assert_eq!(
        o,
        vec![
            ("ssid", Val::Bytes(b"ok")),
            (
                "elems",
                Val::Elems(vec![(0, vec![&b"ok"[..]]), (48, vec![&[1u8][..]])])
            ),
        ]
    );
    let mut o = Obj::new();
    parse_ies(&[0], true, &mut o);
    assert_eq!(o, vec![("elems", Val::Elems(vec![]))]);
}

// ---- bounds ----------------------------------------------------------------------------------

fn all_parsers(p: &[u8]) {
    let _ = parse_interface(p);
    let _ = parse_bss(p, true);
    let _ = parse_bss(p, false);
    let _ = parse_station(p);
    let _ = parse_survey(p);
    let _ = parse_freqlist(p);
    let _ = parse_protocol_features(p);
    let _ = parse_sta_flag_update(p);
    let _ = parse_rate(p);
    let _ = parse_rsn(p, "CCMP", "8021x");
    let mut o = Obj::new();
    parse_ies(p, true, &mut o);
}

/// Every prefix of every fixture, and every single-byte corruption of them: no panic, and a
/// prefix that cuts an attribute is reported as malformed.
#[test]
fn truncated_and_corrupted_fixtures() {
    let ies = [
        ie(0, b"home"),
        ie(48, &RSN_PSK),
        ie(221, &[0, 0x50, 0xf2, 1, 1, 0]),
    ]
    .concat();
    let fixtures = [
        interface_fixture(true),
        station_fixture(),
        wiphy_fixture(),
        bss_fixture(&ies, Some(1)),
    ];
    for f in &fixtures {
        // The cuts the walk accepts: attribute boundaries, and the unpadded end of each
        // attribute (the kernel's `nla_len` excludes the padding, which may be cut off).
        let mut ok_cuts = vec![4];
        let mut at = 4;
        for (_, pl) in Attrs::new(&f[4..]) {
            let end = at + 4 + pl.len();
            at += (4 + pl.len() + 3) & !3;
            ok_cuts.extend(end..=at);
        }
        assert_eq!(at, f.len());
        for n in 0..f.len() {
            let p = &f[..n];
            all_parsers(p);
            if n >= 4 && ok_cuts.contains(&n) {
                assert_eq!(parse_protocol_features(p), Ok(0), "cut at {n}");
            } else {
                assert_eq!(parse_protocol_features(p), Err(E_MALFORMED), "cut at {n}");
            }
        }
        let mut g = f.clone();
        for i in 0..g.len() {
            for v in [0u8, 1, 3, 4, 0x7f, 0x80, 0xff] {
                let old = g[i];
                g[i] = v;
                all_parsers(&g);
                g[i] = old;
            }
        }
    }
    // A cut inside an attribute header or payload.
    let f = interface_fixture(true);
    assert_eq!(parse_interface(&f[..f.len() - 2]), Err(E_MALFORMED));
    assert_eq!(parse_protocol_features(&f[..6]), Err(E_MALFORMED));
}

/// Random bytes (xorshift, fixed seed), and random attribute soups that pass the walk.
#[test]
fn random_input_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20000 {
        let n = (next() % 96) as usize;
        let v: Vec<u8> = (0..n).map(|_| next() as u8).collect();
        all_parsers(&v);
        // Well-formed attribute framing with random types and payloads, nested one level.
        let mut inner = Vec::new();
        for _ in 0..(next() % 6) {
            let len = (next() % 12) as usize;
            let pl: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            inner.push(attr((next() % 40) as u16, &pl));
        }
        let mut outer = Vec::new();
        for _ in 0..(next() % 4) {
            let t = [ATTR_BSS, ATTR_STA_INFO, ATTR_SURVEY_INFO, ATTR_WIPHY_BANDS]
                [(next() % 4) as usize];
            outer.push(nest(t, &inner));
        }
        all_parsers(&genl(1, &outer));
    }
}
