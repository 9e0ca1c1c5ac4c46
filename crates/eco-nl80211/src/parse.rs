//! Bounded parsers of the bytes the kernel sends for nl80211 replies and of 802.11 information
//! elements (docs/nl80211.md). Every function takes a byte slice and returns owned-free views into
//! it; nothing reads past its input and nothing panics (fuzzed: `fuzz/fuzz_targets/nl80211_parse.rs`).
//!
//! The message parsers take the Generic Netlink payload of one message (the 4-byte `genlmsghdr`
//! followed by the attributes), exactly what `rx:payload()` returns.
//!
//! Errors are the strings eco.nl uses for the same conditions: `"malformed attributes"` (the
//! top-level walk does not consume the payload exactly), `"malformed nested attributes"`,
//! `"attribute payload is too short"`, `"attribute string is not NUL-terminated"`.

/// The size of `struct genlmsghdr`, where the attributes of a reply start.
pub const GENLMSGHDR_SIZE: usize = 4;

pub const E_MALFORMED: &str = "malformed attributes";
pub const E_NESTED: &str = "malformed nested attributes";
pub const E_SHORT: &str = "attribute payload is too short";
pub const E_NOT_NUL: &str = "attribute string is not NUL-terminated";

// Attribute numbers used by the parsers (values checked against the kernel header by the tests
// through `consts::KERNEL`).
pub const ATTR_WIPHY: u16 = 1;
pub const ATTR_IFINDEX: u16 = 3;
pub const ATTR_IFNAME: u16 = 4;
pub const ATTR_IFTYPE: u16 = 5;
pub const ATTR_MAC: u16 = 6;
pub const ATTR_STA_INFO: u16 = 21;
pub const ATTR_WIPHY_BANDS: u16 = 22;
pub const ATTR_WIPHY_FREQ: u16 = 38;
pub const ATTR_WIPHY_CHANNEL_TYPE: u16 = 39;
pub const ATTR_BSS: u16 = 47;
pub const ATTR_SSID: u16 = 52;
pub const ATTR_4ADDR: u16 = 83;
pub const ATTR_SURVEY_INFO: u16 = 84;
pub const ATTR_WIPHY_TX_POWER_LEVEL: u16 = 98;
pub const ATTR_WDEV: u16 = 153;
pub const ATTR_CHANNEL_WIDTH: u16 = 159;
pub const ATTR_CENTER_FREQ1: u16 = 160;
pub const ATTR_CENTER_FREQ2: u16 = 161;
pub const ATTR_PROTOCOL_FEATURES: u16 = 173;

pub const BAND_ATTR_FREQS: u16 = 1;

pub const FREQUENCY_ATTR_FREQ: u16 = 1;
pub const FREQUENCY_ATTR_NO_IR: u16 = 3;
pub const FREQUENCY_ATTR_RADAR: u16 = 5;
pub const FREQUENCY_ATTR_NO_HT40_MINUS: u16 = 9;
pub const FREQUENCY_ATTR_NO_HT40_PLUS: u16 = 10;
pub const FREQUENCY_ATTR_NO_80MHZ: u16 = 11;
pub const FREQUENCY_ATTR_NO_160MHZ: u16 = 12;
pub const FREQUENCY_ATTR_INDOOR_ONLY: u16 = 14;
pub const FREQUENCY_ATTR_NO_20MHZ: u16 = 16;
pub const FREQUENCY_ATTR_NO_10MHZ: u16 = 17;
pub const FREQUENCY_ATTR_NO_HE: u16 = 19;
pub const FREQUENCY_ATTR_NO_320MHZ: u16 = 26;
pub const FREQUENCY_ATTR_NO_EHT: u16 = 27;

pub const BSS_BSSID: u16 = 1;
pub const BSS_FREQUENCY: u16 = 2;
pub const BSS_BEACON_INTERVAL: u16 = 4;
pub const BSS_CAPABILITY: u16 = 5;
pub const BSS_INFORMATION_ELEMENTS: u16 = 6;
pub const BSS_SIGNAL_MBM: u16 = 7;
pub const BSS_STATUS: u16 = 9;

pub const STA_INFO_INACTIVE_TIME: u16 = 1;
pub const STA_INFO_RX_BYTES: u16 = 2;
pub const STA_INFO_TX_BYTES: u16 = 3;
pub const STA_INFO_SIGNAL: u16 = 7;
pub const STA_INFO_TX_BITRATE: u16 = 8;
pub const STA_INFO_RX_PACKETS: u16 = 9;
pub const STA_INFO_TX_PACKETS: u16 = 10;
pub const STA_INFO_TX_RETRIES: u16 = 11;
pub const STA_INFO_TX_FAILED: u16 = 12;
pub const STA_INFO_SIGNAL_AVG: u16 = 13;
pub const STA_INFO_RX_BITRATE: u16 = 14;
pub const STA_INFO_CONNECTED_TIME: u16 = 16;
pub const STA_INFO_STA_FLAGS: u16 = 17;
pub const STA_INFO_BEACON_LOSS: u16 = 18;
pub const STA_INFO_RX_BYTES64: u16 = 23;
pub const STA_INFO_TX_BYTES64: u16 = 24;
pub const STA_INFO_BEACON_RX: u16 = 29;
pub const STA_INFO_BEACON_SIGNAL_AVG: u16 = 30;
pub const STA_INFO_ACK_SIGNAL: u16 = 34;
pub const STA_INFO_ACK_SIGNAL_AVG: u16 = 35;

pub const RATE_INFO_BITRATE: u16 = 1;
pub const RATE_INFO_MCS: u16 = 2;
pub const RATE_INFO_40_MHZ_WIDTH: u16 = 3;
pub const RATE_INFO_SHORT_GI: u16 = 4;
pub const RATE_INFO_BITRATE32: u16 = 5;
pub const RATE_INFO_VHT_MCS: u16 = 6;
pub const RATE_INFO_VHT_NSS: u16 = 7;
pub const RATE_INFO_80_MHZ_WIDTH: u16 = 8;
pub const RATE_INFO_80P80_MHZ_WIDTH: u16 = 9;
pub const RATE_INFO_160_MHZ_WIDTH: u16 = 10;
pub const RATE_INFO_10_MHZ_WIDTH: u16 = 11;
pub const RATE_INFO_5_MHZ_WIDTH: u16 = 12;
pub const RATE_INFO_HE_MCS: u16 = 13;
pub const RATE_INFO_HE_NSS: u16 = 14;
pub const RATE_INFO_HE_GI: u16 = 15;
pub const RATE_INFO_HE_DCM: u16 = 16;
pub const RATE_INFO_EHT_MCS: u16 = 19;
pub const RATE_INFO_EHT_NSS: u16 = 20;
pub const RATE_INFO_EHT_GI: u16 = 21;

pub const SURVEY_INFO_FREQUENCY: u16 = 1;
pub const SURVEY_INFO_NOISE: u16 = 2;
pub const SURVEY_INFO_IN_USE: u16 = 3;
pub const SURVEY_INFO_TIME: u16 = 4;
pub const SURVEY_INFO_TIME_BUSY: u16 = 5;

// `enum nl80211_sta_flags` bit numbers.
pub const STA_FLAG_AUTHORIZED: u32 = 1;
pub const STA_FLAG_SHORT_PREAMBLE: u32 = 2;
pub const STA_FLAG_WME: u32 = 3;
pub const STA_FLAG_MFP: u32 = 4;
pub const STA_FLAG_AUTHENTICATED: u32 = 5;
pub const STA_FLAG_TDLS_PEER: u32 = 6;
pub const STA_FLAG_ASSOCIATED: u32 = 7;

/// A decoded value. Tables are field lists in a fixed order, turned into Lua tables by the
/// binding (`lib.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Bytes(&'a [u8]),
    Text(String),
    Str(&'static str),
    /// `{ name = true, ... }`
    Set(Vec<&'static str>),
    Obj(Obj<'a>),
    /// `{ [element_id] = { payload, ... } }` in first-appearance order.
    Elems(Vec<(u8, Vec<&'a [u8]>)>),
}

/// A table: named fields in the order they were decoded.
pub type Obj<'a> = Vec<(&'static str, Val<'a>)>;

/// Looks a field up by name (the last one set wins, like a Lua table).
pub fn get<'o, 'a>(obj: &'o Obj<'a>, name: &str) -> Option<&'o Val<'a>> {
    obj.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| v)
}

type R<T> = Result<T, &'static str>;

/// Iterator over the netlink attributes in `buf`: `(type & 0x3fff, payload)`. It stops at the
/// first attribute that does not fit (`nla_ok` rule); [`Attrs::rest_ok`] then tells whether the
/// walk consumed the region exactly.
#[derive(Clone)]
pub struct Attrs<'a> {
    buf: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf }
    }

    /// Whether nothing is left unwalked (call after the iterator returned `None`).
    pub fn rest_ok(&self) -> bool {
        self.buf.is_empty()
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.buf;
        if b.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let typ = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            return None;
        }
        let payload = &b[4..len];
        let step = ((len + 3) & !3).min(b.len());
        self.buf = &b[step..];
        Some((typ, payload))
    }
}

/// All attributes of `buf` in wire order; `err` when the walk leaves bytes.
pub fn walk<'a>(buf: &'a [u8], err: &'static str) -> R<Vec<(u16, &'a [u8])>> {
    let mut it = Attrs::new(buf);
    let v: Vec<_> = it.by_ref().collect();
    if it.rest_ok() {
        Ok(v)
    } else {
        Err(err)
    }
}

/// An attribute table indexed by type: the last attribute of a type wins (like `parse_attr`).
/// Types at or above `N` are ignored.
pub struct Table<'a, const N: usize> {
    slots: [Option<&'a [u8]>; N],
}

impl<'a, const N: usize> Table<'a, N> {
    pub fn parse(buf: &'a [u8], err: &'static str) -> R<Self> {
        let mut slots = [None; N];
        let mut it = Attrs::new(buf);
        for (t, p) in it.by_ref() {
            if let Some(s) = slots.get_mut(t as usize) {
                *s = Some(p);
            }
        }
        if !it.rest_ok() {
            return Err(err);
        }
        Ok(Table { slots })
    }

    pub fn get(&self, t: u16) -> Option<&'a [u8]> {
        self.slots.get(t as usize).copied().flatten()
    }

    pub fn has(&self, t: u16) -> bool {
        self.get(t).is_some()
    }

    fn fixed<const K: usize>(&self, t: u16) -> R<Option<[u8; K]>> {
        match self.get(t) {
            None => Ok(None),
            Some(p) => match p.get(..K) {
                Some(b) => Ok(Some(b.try_into().map_err(|_| E_SHORT)?)),
                None => Err(E_SHORT),
            },
        }
    }

    pub fn u8(&self, t: u16) -> R<Option<i64>> {
        Ok(self.fixed::<1>(t)?.map(|b| b[0] as i64))
    }
    pub fn s8(&self, t: u16) -> R<Option<i64>> {
        Ok(self.fixed::<1>(t)?.map(|b| b[0] as i8 as i64))
    }
    pub fn u16(&self, t: u16) -> R<Option<i64>> {
        Ok(self.fixed::<2>(t)?.map(|b| u16::from_ne_bytes(b) as i64))
    }
    pub fn u32(&self, t: u16) -> R<Option<i64>> {
        Ok(self.fixed::<4>(t)?.map(|b| u32::from_ne_bytes(b) as i64))
    }
    pub fn s32(&self, t: u16) -> R<Option<i64>> {
        Ok(self.fixed::<4>(t)?.map(|b| i32::from_ne_bytes(b) as i64))
    }
    /// u64, clamped to `i64::MAX` like `nl.attr_get_u64`.
    pub fn u64(&self, t: u16) -> R<Option<i64>> {
        Ok(self
            .fixed::<8>(t)?
            .map(|b| i64::try_from(u64::from_ne_bytes(b)).unwrap_or(i64::MAX)))
    }
    /// A NUL-terminated string (the bytes before the first NUL).
    pub fn str(&self, t: u16) -> R<Option<&'a [u8]>> {
        match self.get(t) {
            None => Ok(None),
            Some(p) => match p.iter().position(|&c| c == 0) {
                Some(i) => Ok(Some(&p[..i])),
                None => Err(E_NOT_NUL),
            },
        }
    }
}

fn put<'a>(obj: &mut Obj<'a>, name: &'static str, v: Option<i64>) {
    if let Some(v) = v {
        obj.push((name, Val::Int(v)));
    }
}

/// The attributes of a Generic Netlink payload (after the 4-byte `genlmsghdr`).
fn top<const N: usize>(payload: &[u8]) -> R<Table<'_, N>> {
    let attrs = payload.get(GENLMSGHDR_SIZE..).ok_or(E_MALFORMED)?;
    Table::parse(attrs, E_MALFORMED)
}

/// Lower-case colon hex (`"00:11:22:33:44:55"`) of any number of bytes.
pub fn mac_text(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, c) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{c:02x}"));
    }
    s
}

// ---- pure helpers --------------------------------------------------------------------------

/// `freq_to_channel` for integer MHz.
pub fn freq_to_channel(f: i64) -> i64 {
    if (2412..=2484).contains(&f) {
        if f == 2484 {
            14
        } else {
            (f - 2407).div_euclid(5)
        }
    } else if (5180..=5925).contains(&f) {
        (f - 5000).div_euclid(5)
    } else if (5955..=7115).contains(&f) {
        (f - 5950).div_euclid(5)
    } else {
        0
    }
}

/// `freq_to_band` for integer MHz: 2.4 (float), 5, 6, 60 or `"Unknown"`.
pub fn freq_to_band(f: i64) -> Val<'static> {
    if (2412..=2484).contains(&f) {
        Val::Float(2.4)
    } else if (5160..=5885).contains(&f) {
        Val::Int(5)
    } else if (5925..=7125).contains(&f) {
        Val::Int(6)
    } else if (58320..=69120).contains(&f) {
        Val::Int(60)
    } else {
        Val::Str("Unknown")
    }
}

/// `ftype_name(type, subtype)`: the fixed 802.11 frame-type name table.
pub fn ftype_name(typ: i64, subtype: i64) -> Option<&'static str> {
    const MGMT: [Option<&str>; 16] = [
        Some("ASSOC_REQ"),
        Some("ASSOC_RESP  "),
        Some("REASSOC_REQ "),
        Some("REASSOC_RESP"),
        Some("PROBE_REQ"),
        Some("PROBE_RESP"),
        None,
        None,
        Some("BEACON"),
        Some("ATIM"),
        Some("DISASSOC"),
        Some("AUTH"),
        Some("DEAUTH"),
        Some("ACTION"),
        None,
        None,
    ];
    const CTL: [Option<&str>; 16] = [
        None,
        None,
        Some("TRIGGER"),
        None,
        None,
        None,
        Some("CTL_EXT"),
        None,
        Some("BACK_REQ"),
        Some("BACK"),
        Some("PSPOLL"),
        Some("RTS"),
        Some("CTS"),
        Some("ACK"),
        Some("CFEND"),
        Some("CFENDACK"),
    ];
    const DATA: [&str; 16] = [
        "DATA",
        "DATA_CFACK",
        "DATA_CFPOLL",
        "DATA_CFACKPOLL",
        "NULLFUNC",
        "CFACK",
        "CFPOLL",
        "CFACKPOLL",
        "QOS_DATA",
        "QOS_DATA_CFACK",
        "QOS_DATA_CFPOLL",
        "QOS_DATA_CFACKPOLL",
        "QOS_NULLFUNC",
        "QOS_CFACK",
        "QOS_CFPOLL",
        "QOS_CFACKPOLL",
    ];
    let i = usize::try_from(subtype).ok().filter(|&i| i < 16)?;
    match typ {
        0 => MGMT[i],
        1 => CTL[i],
        2 => Some(DATA[i]),
        _ => None,
    }
}

/// `iftype_name(iftype)` (the mesh-point string's stray quote is the reference's).
pub fn iftype_name(t: i64) -> &'static str {
    match t {
        0 => "unspecified",
        1 => "IBSS",
        2 => "managed",
        3 => "AP",
        4 => "AP/VLAN",
        5 => "WDS",
        6 => "monitor",
        7 => "mesh point\"",
        8 => "P2P-client",
        9 => "P2P-GO",
        10 => "P2P-device",
        11 => "outside context of a BSS",
        _ => "Unknown",
    }
}

/// `width_name(width)`.
pub fn width_name(w: i64) -> &'static str {
    match w {
        0 => "20 MHz (no HT)",
        1 => "20 MHz",
        2 => "40 MHz",
        3 => "80 MHz",
        4 => "80+80 MHz",
        5 => "160 MHz",
        13 => "320 MHz",
        _ => "Unknown",
    }
}

/// `channel_type_name(type)`.
pub fn channel_type_name(t: i64) -> &'static str {
    match t {
        0 => "NO HT",
        1 => "HT20",
        2 => "HT40-",
        3 => "HT40+",
        _ => "Unknown",
    }
}

/// `escape_ssid(ssid)`: printable bytes kept, inner spaces kept, everything else `\xNN`.
pub fn escape_ssid(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.len().saturating_sub(1);
    for (i, &c) in s.iter().enumerate() {
        let keep = (33..=126).contains(&c) && c != b'\\' || c == b' ' && i != 0 && i != last;
        if keep {
            out.push(c as char);
        } else {
            out.push_str(&format!("\\x{c:02x}"));
        }
    }
    out
}

// ---- station flags, rates ------------------------------------------------------------------

/// `parse_sta_flag_update(payload)`: `struct nl80211_sta_flag_update { u32 mask; u32 set; }` in
/// host order; `None` when shorter than 8 bytes. Only flags present in `mask` become fields.
pub fn parse_sta_flag_update(p: &[u8]) -> Option<Obj<'static>> {
    let mask = u32::from_ne_bytes(p.get(0..4)?.try_into().ok()?);
    let set = u32::from_ne_bytes(p.get(4..8)?.try_into().ok()?);
    let mut o = Obj::new();
    let bit = |b: u32| 1u32 << b;
    for (b, name) in [
        (STA_FLAG_AUTHORIZED, "authorized"),
        (STA_FLAG_AUTHENTICATED, "authenticated"),
        (STA_FLAG_ASSOCIATED, "associated"),
        (STA_FLAG_WME, "wme"),
        (STA_FLAG_MFP, "mfp"),
        (STA_FLAG_TDLS_PEER, "tdls_peer"),
    ] {
        if mask & bit(b) != 0 {
            o.push((name, Val::Bool(set & bit(b) != 0)));
        }
    }
    if mask & bit(STA_FLAG_SHORT_PREAMBLE) != 0 {
        let short = set & bit(STA_FLAG_SHORT_PREAMBLE) != 0;
        o.push(("preamble", Val::Str(if short { "short" } else { "long" })));
    }
    Some(o)
}

/// A rate table from the payload of `STA_INFO_TX_BITRATE`/`RX_BITRATE` (docs/nl80211.md, "Rate
/// table").
pub fn parse_rate(nested: &[u8]) -> R<Obj<'static>> {
    let t = Table::<22>::parse(nested, E_NESTED)?;
    let mut o = Obj::new();
    let raw = match t.u32(RATE_INFO_BITRATE32)? {
        Some(v) => v,
        None => t.u16(RATE_INFO_BITRATE)?.unwrap_or(0),
    };
    o.push(("rate", Val::Float(raw as f64 / 10.0)));
    if t.has(RATE_INFO_EHT_MCS) {
        o.push(("eht", Val::Bool(true)));
        put(&mut o, "mcs", t.u8(RATE_INFO_EHT_MCS)?);
        put(&mut o, "nss", t.u8(RATE_INFO_EHT_NSS)?);
        put(&mut o, "eht_gi", t.u8(RATE_INFO_EHT_GI)?);
    } else if t.has(RATE_INFO_HE_MCS) {
        o.push(("he", Val::Bool(true)));
        put(&mut o, "mcs", t.u8(RATE_INFO_HE_MCS)?);
        put(&mut o, "nss", t.u8(RATE_INFO_HE_NSS)?);
        put(&mut o, "he_gi", t.u8(RATE_INFO_HE_GI)?);
        put(&mut o, "he_dcm", t.u8(RATE_INFO_HE_DCM)?);
    } else if t.has(RATE_INFO_VHT_MCS) {
        o.push(("vht", Val::Bool(true)));
        put(&mut o, "mcs", t.u8(RATE_INFO_VHT_MCS)?);
        put(&mut o, "nss", t.u8(RATE_INFO_VHT_NSS)?);
    } else {
        put(&mut o, "mcs", t.u8(RATE_INFO_MCS)?);
    }
    let width = if t.has(RATE_INFO_5_MHZ_WIDTH) {
        5
    } else if t.has(RATE_INFO_10_MHZ_WIDTH) {
        10
    } else if t.has(RATE_INFO_40_MHZ_WIDTH) {
        40
    } else if t.has(RATE_INFO_80_MHZ_WIDTH) {
        80
    } else if t.has(RATE_INFO_80P80_MHZ_WIDTH) || t.has(RATE_INFO_160_MHZ_WIDTH) {
        160
    } else {
        20
    };
    o.push(("width", Val::Int(width)));
    if t.has(RATE_INFO_SHORT_GI) {
        o.push(("short_gi", Val::Bool(true)));
    }
    Ok(o)
}

// ---- replies -------------------------------------------------------------------------------

/// An interface table from one `CMD_NEW_INTERFACE` reply payload. Attributes the reference
/// always expects are simply absent fields here when the kernel omits them.
pub fn parse_interface(payload: &[u8]) -> R<Obj<'_>> {
    let t = top::<256>(payload)?;
    let mut o = Obj::new();
    put(&mut o, "phy", t.u32(ATTR_WIPHY)?);
    put(&mut o, "iftype", t.u32(ATTR_IFTYPE)?);
    if let Some(s) = t.str(ATTR_IFNAME)? {
        o.push(("ifname", Val::Bytes(s)));
    }
    put(&mut o, "ifindex", t.u32(ATTR_IFINDEX)?);
    put(&mut o, "wdev", t.u64(ATTR_WDEV)?);
    if let Some(v) = t.u8(ATTR_4ADDR)? {
        o.push(("4addr", Val::Bool(v == 1)));
    }
    if let Some(m) = t.get(ATTR_MAC) {
        o.push(("mac", Val::Text(mac_text(m))));
    }
    if let Some(s) = t.get(ATTR_SSID) {
        o.push(("ssid", Val::Bytes(s)));
    }
    if let Some(freq) = t.u32(ATTR_WIPHY_FREQ)? {
        o.push(("freq", Val::Int(freq)));
        if let Some(w) = t.u32(ATTR_CHANNEL_WIDTH)? {
            o.push(("channel_width", Val::Int(w)));
            put(&mut o, "center_freq1", t.u32(ATTR_CENTER_FREQ1)?);
            put(&mut o, "center_freq2", t.u32(ATTR_CENTER_FREQ2)?);
        } else {
            put(&mut o, "channel_type", t.u32(ATTR_WIPHY_CHANNEL_TYPE)?);
        }
    }
    put(&mut o, "txpower", t.u32(ATTR_WIPHY_TX_POWER_LEVEL)?);
    Ok(o)
}

/// `ATTR_PROTOCOL_FEATURES` of a reply payload, 0 when absent.
pub fn parse_protocol_features(payload: &[u8]) -> R<i64> {
    let t = top::<256>(payload)?;
    Ok(t.u32(ATTR_PROTOCOL_FEATURES)?.unwrap_or(0))
}

/// A survey entry from one `CMD_NEW_SURVEY_RESULTS` reply payload; `None` without
/// `ATTR_SURVEY_INFO`.
pub fn parse_survey(payload: &[u8]) -> R<Option<Obj<'static>>> {
    let t = top::<256>(payload)?;
    let Some(info) = t.get(ATTR_SURVEY_INFO) else {
        return Ok(None);
    };
    let s = Table::<16>::parse(info, E_NESTED)?;
    let mut o = Obj::new();
    put(&mut o, "frequency", s.u32(SURVEY_INFO_FREQUENCY)?);
    put(&mut o, "noise", s.s8(SURVEY_INFO_NOISE)?);
    if s.has(SURVEY_INFO_IN_USE) {
        o.push(("in_use", Val::Bool(true)));
    }
    put(&mut o, "active_time", s.u64(SURVEY_INFO_TIME)?);
    put(&mut o, "busy_time", s.u64(SURVEY_INFO_TIME_BUSY)?);
    Ok(Some(o))
}

/// A station table from one `CMD_NEW_STATION` reply payload; `None` without `ATTR_STA_INFO`.
pub fn parse_station(payload: &[u8]) -> R<Option<Obj<'static>>> {
    let t = top::<256>(payload)?;
    let Some(info) = t.get(ATTR_STA_INFO) else {
        return Ok(None);
    };
    let s = Table::<64>::parse(info, E_NESTED)?;
    let mut o = Obj::new();
    if let Some(m) = t.get(ATTR_MAC) {
        o.push(("mac", Val::Text(mac_text(m))));
    }
    put(&mut o, "inactive_time", s.u32(STA_INFO_INACTIVE_TIME)?);
    put(&mut o, "connected_time", s.u32(STA_INFO_CONNECTED_TIME)?);
    put(&mut o, "beacon_loss", s.u32(STA_INFO_BEACON_LOSS)?);
    put(&mut o, "beacon_rx", s.u64(STA_INFO_BEACON_RX)?);
    let rx = match s.u64(STA_INFO_RX_BYTES64)? {
        Some(v) => Some(v),
        None => s.u32(STA_INFO_RX_BYTES)?,
    };
    put(&mut o, "rx_bytes", rx);
    let tx = match s.u64(STA_INFO_TX_BYTES64)? {
        Some(v) => Some(v),
        None => s.u32(STA_INFO_TX_BYTES)?,
    };
    put(&mut o, "tx_bytes", tx);
    put(&mut o, "rx_packets", s.u32(STA_INFO_RX_PACKETS)?);
    put(&mut o, "tx_packets", s.u32(STA_INFO_TX_PACKETS)?);
    put(&mut o, "tx_retries", s.u32(STA_INFO_TX_RETRIES)?);
    put(&mut o, "tx_failed", s.u32(STA_INFO_TX_FAILED)?);
    put(&mut o, "signal", s.s8(STA_INFO_SIGNAL)?);
    put(&mut o, "signal_avg", s.s8(STA_INFO_SIGNAL_AVG)?);
    put(
        &mut o,
        "beacon_signal_avg",
        s.s8(STA_INFO_BEACON_SIGNAL_AVG)?,
    );
    put(&mut o, "ack_signal", s.s8(STA_INFO_ACK_SIGNAL)?);
    put(&mut o, "ack_signal_avg", s.s8(STA_INFO_ACK_SIGNAL_AVG)?);
    if let Some(f) = s.get(STA_INFO_STA_FLAGS) {
        let flags = parse_sta_flag_update(f).ok_or(E_SHORT)?;
        // The station table carries the five flags and the preamble, not tdls_peer.
        o.extend(flags.into_iter().filter(|(k, _)| *k != "tdls_peer"));
    }
    if let Some(r) = s.get(STA_INFO_RX_BITRATE) {
        o.push(("rx_rate", Val::Obj(parse_rate(r)?)));
    }
    if let Some(r) = s.get(STA_INFO_TX_BITRATE) {
        o.push(("tx_rate", Val::Obj(parse_rate(r)?)));
    }
    Ok(Some(o))
}

/// One frequency entry of the wiphy band dump.
fn parse_freq(band: i64, entry: &[u8]) -> R<Option<Obj<'static>>> {
    let f = Table::<32>::parse(entry, E_NESTED)?;
    let Some(freq) = f.u32(FREQUENCY_ATTR_FREQ)? else {
        return Ok(None);
    };
    let mut o = Obj::new();
    o.push((
        "band",
        match band {
            0 => Val::Float(2.4),
            1 => Val::Int(5),
            2 => Val::Int(60),
            3 => Val::Int(6),
            b => Val::Int(b),
        },
    ));
    o.push(("freq", Val::Int(freq)));
    o.push(("channel", Val::Int(freq_to_channel(freq))));
    let mut flags = Vec::new();
    for (attr, name) in [
        (FREQUENCY_ATTR_NO_HT40_MINUS, "NO_HT40+"),
        (FREQUENCY_ATTR_NO_HT40_PLUS, "NO_HT40-"),
        (FREQUENCY_ATTR_NO_80MHZ, "NO_80MHZ"),
        (FREQUENCY_ATTR_NO_160MHZ, "NO_160MHZ"),
        (FREQUENCY_ATTR_NO_20MHZ, "NO_20MHZ"),
        (FREQUENCY_ATTR_NO_10MHZ, "NO_10MHZ"),
        (FREQUENCY_ATTR_NO_320MHZ, "NO_320MHZ"),
        (FREQUENCY_ATTR_NO_EHT, "NO_EHT"),
    ] {
        if f.has(attr) {
            flags.push(name);
        }
    }
    let radar = f.has(FREQUENCY_ATTR_RADAR);
    if f.has(FREQUENCY_ATTR_NO_IR) && !radar {
        flags.push("NO_IR");
    }
    if radar {
        flags.push("RADAR");
    }
    if f.has(FREQUENCY_ATTR_INDOOR_ONLY) {
        flags.push("INDOOR_ONLY");
    }
    o.push(("flags", Val::Set(flags)));
    if f.has(FREQUENCY_ATTR_NO_HE) {
        o.push(("NO_HE", Val::Bool(true)));
    }
    Ok(Some(o))
}

/// The frequency entries of one `CMD_NEW_WIPHY` reply payload, in kernel order (bands, then
/// their `BAND_ATTR_FREQS` entries). Entries without `FREQUENCY_ATTR_FREQ` are skipped.
pub fn parse_freqlist(payload: &[u8]) -> R<Vec<Obj<'static>>> {
    let t = top::<256>(payload)?;
    let mut out = Vec::new();
    let Some(bands) = t.get(ATTR_WIPHY_BANDS) else {
        return Ok(out);
    };
    for (band, battrs) in walk(bands, E_NESTED)? {
        for (typ, freqs) in walk(battrs, E_NESTED)? {
            if typ != BAND_ATTR_FREQS {
                continue;
            }
            for (_, entry) in walk(freqs, E_NESTED)? {
                if let Some(o) = parse_freq(band as i64, entry)? {
                    out.push(o);
                }
            }
        }
    }
    Ok(out)
}

// ---- BSS and information elements ----------------------------------------------------------

/// The name of a cipher suite selector (OUI + type), if known.
pub fn cipher_name(s: &[u8]) -> Option<&'static str> {
    const NAMES: [Option<&str>; 11] = [
        Some("NONE"),
        Some("WEP-40"),
        Some("TKIP"),
        None,
        Some("CCMP"),
        Some("WEP-104"),
        Some("AES-128-CMAC"),
        Some("NO-GROUP"),
        Some("GCMP"),
        Some("GCMP-256"),
        Some("CCMP-256"),
    ];
    let [a, b, c, t] = *s else { return None };
    let t = t as usize;
    match [a, b, c] {
        [0x00, 0x0f, 0xac] if t < 11 => NAMES[t],
        [0x00, 0x50, 0xf2] if t < 6 => NAMES[t],
        _ => None,
    }
}

/// The name of an AKM suite selector (OUI + type), if known.
pub fn akm_name(s: &[u8]) -> Option<&'static str> {
    const NAMES: [Option<&str>; 19] = [
        None,
        Some("802.1X"),
        Some("PSK"),
        Some("FT/802.1X"),
        Some("FT/PSK"),
        Some("802.1X/SHA-256"),
        Some("PSK/SHA-256"),
        Some("TDLS/TPK"),
        Some("SAE"),
        Some("FT/SAE"),
        None,
        Some("802.1X/SUITE-B"),
        Some("802.1X/SUITE-B-192"),
        Some("FT/802.1X/SHA-384"),
        Some("FILS/SHA-256"),
        Some("FILS/SHA-384"),
        Some("FT/FILS/SHA-256"),
        Some("FT/FILS/SHA-384"),
        Some("OWE"),
    ];
    let [a, b, c, t] = *s else { return None };
    let t = t as usize;
    match [a, b, c] {
        [0x00, 0x50, 0xf2] if (1..=2).contains(&t) => NAMES[t],
        [0x00, 0x0f, 0xac] if (1..=18).contains(&t) => NAMES[t],
        _ => None,
    }
}

fn add(set: &mut Vec<&'static str>, name: &'static str) {
    if !set.contains(&name) {
        set.push(name);
    }
}

/// A suite list: u16 LE count then `count` 4-byte selectors. `None` when missing or truncated;
/// otherwise the selectors and the bytes after them.
fn suite_list(b: &[u8]) -> Option<(impl Iterator<Item = &[u8]>, &[u8])> {
    let n = u16::from_le_bytes([*b.first()?, *b.get(1)?]) as usize;
    let rest = &b[2..];
    let list = rest.get(..n * 4)?;
    Some((list.chunks_exact(4), &rest[n * 4..]))
}

/// The RSN (or WPA, from its 5th byte) element body: `{version, group_cipher, pair_ciphers,
/// auth_suites}`. `None` when shorter than the 2-byte version (the reference raises there).
pub fn parse_rsn(
    p: &[u8],
    def_cipher: &'static str,
    def_akm: &'static str,
) -> Option<Obj<'static>> {
    let version = u16::from_le_bytes([*p.first()?, *p.get(1)?]) as i64;
    let mut group = Some(def_cipher);
    let mut pair = Vec::new();
    let mut auth = Vec::new();
    let finish = |group: Option<&'static str>, pair, auth| {
        let mut o = vec![("version", Val::Int(version))];
        if let Some(g) = group {
            o.push(("group_cipher", Val::Str(g)));
        }
        o.push(("pair_ciphers", Val::Set(pair)));
        o.push(("auth_suites", Val::Set(auth)));
        Some(o)
    };
    let rest = &p[2..];
    let Some(g) = rest.get(..4) else {
        add(&mut pair, def_cipher);
        return finish(group, pair, auth);
    };
    group = cipher_name(g);
    let Some((ciphers, rest)) = suite_list(&rest[4..]) else {
        add(&mut pair, def_cipher);
        return finish(group, pair, auth);
    };
    for c in ciphers {
        if let Some(n) = cipher_name(c) {
            add(&mut pair, n);
        }
    }
    let Some((akms, _)) = suite_list(rest) else {
        add(&mut auth, def_akm);
        return finish(group, pair, auth);
    };
    for a in akms {
        if let Some(n) = akm_name(a) {
            add(&mut auth, n);
        }
    }
    finish(group, pair, auth)
}

/// What the information elements of a BSS give: `ssid`, `rsn`, `wpa` and, with `keep`, `elems`.
pub fn parse_ies<'a>(ies: &'a [u8], keep: bool, o: &mut Obj<'a>) {
    let mut ssid = None;
    let mut rsn = None;
    let mut wpa = None;
    let mut elems: Vec<(u8, Vec<&'a [u8]>)> = Vec::new();
    let mut rest = ies;
    while rest.len() > 1 {
        let (id, len) = (rest[0], rest[1] as usize);
        let Some(payload) = rest.get(2..2 + len) else {
            break;
        };
        rest = &rest[2 + len..];
        match id {
            0 | 114 => ssid = Some(payload),
            48 => rsn = parse_rsn(payload, "CCMP", "8021x").or(rsn),
            221 if payload.len() >= 4 && payload[..4] == [0x00, 0x50, 0xf2, 0x01] => {
                wpa = parse_rsn(&payload[4..], "TKIP", "PSK").or(wpa);
            }
            _ => {}
        }
        if keep {
            match elems.iter_mut().find(|(i, _)| *i == id) {
                Some((_, v)) => v.push(payload),
                None => elems.push((id, vec![payload])),
            }
        }
    }
    if let Some(s) = ssid {
        o.push(("ssid", Val::Bytes(s)));
    }
    if let Some(r) = rsn {
        o.push(("rsn", Val::Obj(r)));
    }
    if let Some(w) = wpa {
        o.push(("wpa", Val::Obj(w)));
    }
    if keep {
        o.push(("elems", Val::Elems(elems)));
    }
}

/// A BSS table from one `CMD_NEW_SCAN_RESULTS` reply payload; `None` without `ATTR_BSS` or when
/// the BSS lacks its BSSID or capability (such entries are skipped).
pub fn parse_bss(payload: &[u8], keep_elems: bool) -> R<Option<Obj<'_>>> {
    let t = top::<256>(payload)?;
    let Some(bss) = t.get(ATTR_BSS) else {
        return Ok(None);
    };
    let b = Table::<32>::parse(bss, E_NESTED)?;
    let (Some(bssid), Some(caps)) = (b.get(BSS_BSSID), b.u16(BSS_CAPABILITY)?) else {
        return Ok(None);
    };
    let mut o = Obj::new();
    o.push(("bssid", Val::Text(mac_text(bssid))));
    let mut c = Vec::new();
    for (bit, name) in [(0, "ESS"), (1, "IBSS"), (4, "PRIVACY")] {
        if caps & (1 << bit) != 0 {
            c.push(name);
        }
    }
    o.push(("caps", Val::Set(c)));
    if let Some(freq) = b.u32(BSS_FREQUENCY)? {
        o.push(("freq", Val::Int(freq)));
        o.push(("channel", Val::Int(freq_to_channel(freq))));
        o.push(("band", freq_to_band(freq)));
    }
    put(&mut o, "beacon_interval", b.u16(BSS_BEACON_INTERVAL)?);
    if let Some(mbm) = b.s32(BSS_SIGNAL_MBM)? {
        o.push(("signal", Val::Float(mbm as f64 / 100.0)));
    }
    if let Some(ies) = b.get(BSS_INFORMATION_ELEMENTS) {
        parse_ies(ies, keep_elems, &mut o);
    } else if keep_elems {
        o.push(("elems", Val::Elems(Vec::new())));
    }
    match b.u32(BSS_STATUS)? {
        Some(0) => o.push(("status", Val::Str("authenticated"))),
        Some(1) => o.push(("status", Val::Str("associated"))),
        Some(2) => o.push(("status", Val::Str("ibss_joined"))),
        _ => {}
    }
    Ok(Some(o))
}
