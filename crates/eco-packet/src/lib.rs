//! `eco.packet` (docs/packet.md): raw packet builders and layered decoders.
//!
//! The bytes are handled in Rust (`wire.rs`: bounded decoders, builders, checksums, address
//! text); each decoded layer becomes a plain Lua table filled here in one native call, with the
//! shared `ParsedPacket` metatable whose `next` method (also here) dispatches on the fields
//! `proto` / `protocol` / `data` of the table as a script may have changed them. The one-line
//! summaries (`__tostring`) are Lua (`lua/packet.lua`), as is the lazy `eco.nl80211` lookup of
//! 802.11 frame names.
#![forbid(unsafe_code)]

pub mod wire;

use eco_util::{arg_error, error, fail, Args};
use mlua::{Lua, LuaString, MultiValue, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("packet.lua");

/// Sets `name = value` on a fresh packet table.
struct Pkt<'l> {
    lua: &'l Lua,
    t: Table,
}

impl<'l> Pkt<'l> {
    fn new(lua: &'l Lua, meta: &Table, name: &str, fields: usize) -> Result<Self> {
        let t = lua.create_table_with_capacity(0, fields)?;
        t.raw_set("name", name)?;
        t.set_metatable(Some(meta.clone()))?;
        Ok(Pkt { lua, t })
    }
    fn int(&self, k: &str, v: impl Into<i64>) -> Result<()> {
        self.t.raw_set(k, v.into())
    }
    fn flag(&self, k: &str, v: bool) -> Result<()> {
        self.t.raw_set(k, v)
    }
    fn bytes(&self, k: &str, v: &[u8]) -> Result<()> {
        self.t.raw_set(k, self.lua.create_string(v)?)
    }
    fn mac(&self, k: &str, m: &[u8; 6]) -> Result<()> {
        self.bytes(k, &wire::fmt_mac(m))
    }
    fn ip4(&self, k: &str, a: &[u8; 4]) -> Result<()> {
        self.bytes(k, wire::fmt_ip4(a).as_bytes())
    }
    fn done(self) -> Result<MultiValue> {
        Ok(MultiValue::from_vec(vec![Value::Table(self.t)]))
    }
}

/// Which decoder a layer goes through.
#[derive(Clone, Copy)]
enum Kind {
    Ether,
    Vlan,
    Arp,
    Ip,
    Ip6,
    Icmp,
    Icmp6,
    Tcp(Option<i64>),
    Udp,
    Radiotap,
}

/// Decodes `d` as one layer into a packet table, or `nil, err`.
fn decode(lua: &Lua, meta: &Table, kind: Kind, d: &[u8]) -> Result<MultiValue> {
    match kind {
        Kind::Ether => match wire::ether(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "ETHER", 5)?;
                t.mac("dest", &p.dest)?;
                t.mac("source", &p.source)?;
                t.int("proto", p.proto)?;
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Vlan => match wire::vlan(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "8021Q", 5)?;
                t.int("pri", p.pri)?;
                t.int("vid", p.vid)?;
                t.int("proto", p.proto)?;
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Arp => match wire::arp(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "ARP", 10)?;
                t.int("ar_hrd", p.hrd)?;
                t.int("ar_pro", p.pro)?;
                t.int("ar_hln", p.hln)?;
                t.int("ar_pln", p.pln)?;
                t.int("op", p.op)?;
                if let Some(a) = &p.addrs {
                    t.mac("sha", &a.sha)?;
                    t.ip4("sip", &a.sip)?;
                    t.mac("tha", &a.tha)?;
                    t.ip4("tip", &a.tip)?;
                }
                t.done()
            }
        },
        Kind::Ip => match wire::ip(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "IP", 14)?;
                t.int("version", p.version)?;
                t.int("ihl", p.ihl)?;
                t.int("tos", p.tos)?;
                t.int("tot_len", p.tot_len)?;
                t.int("id", p.id)?;
                t.int("frag_off", p.frag_off)?;
                t.int("ttl", p.ttl)?;
                t.int("protocol", p.protocol)?;
                t.int("check", p.check)?;
                t.ip4("saddr", &p.saddr)?;
                t.ip4("daddr", &p.daddr)?;
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Ip6 => match wire::ip6(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "IPV6", 10)?;
                t.int("version", p.version)?;
                t.int("priority", p.priority)?;
                t.int("payload_len", p.payload_len)?;
                t.int("nexthdr", p.nexthdr)?;
                t.int("hop_limit", p.hop_limit)?;
                t.bytes("saddr", wire::fmt_ip6(&p.saddr).as_bytes())?;
                t.bytes("daddr", wire::fmt_ip6(&p.daddr).as_bytes())?;
                match p.upper {
                    wire::Upper::Proto(v) => t.int("proto", v)?,
                    wire::Upper::Protocol(v) => t.int("protocol", v)?,
                    wire::Upper::None => {}
                }
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Icmp | Kind::Icmp6 => {
            let v6 = matches!(kind, Kind::Icmp6);
            match wire::icmp(d, v6) {
                Err(e) => fail(lua, e),
                Ok(p) => {
                    let t = Pkt::new(lua, meta, if v6 { "ICMPV6" } else { "ICMP" }, 7)?;
                    t.int("type", p.typ)?;
                    t.int("code", p.code)?;
                    t.int("checksum", p.checksum)?;
                    match p.rest {
                        wire::IcmpRest::Echo { id, sequence } => {
                            t.int("id", id)?;
                            t.int("sequence", sequence)?;
                        }
                        wire::IcmpRest::Gateway(g) => t.ip4("gateway", &g)?,
                        wire::IcmpRest::None => {}
                    }
                    t.bytes("data", p.data)?;
                    t.done()
                }
            }
        }
        Kind::Tcp(avail) => match wire::tcp(d, avail) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "TCP", 19)?;
                t.int("source", p.source)?;
                t.int("dest", p.dest)?;
                t.int("seq", p.seq)?;
                t.int("ack_seq", p.ack_seq)?;
                t.int("doff", p.doff)?;
                for (i, k) in ["cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"]
                    .iter()
                    .enumerate()
                {
                    t.flag(k, p.flags >> (7 - i) & 1 == 1)?;
                }
                t.int("window", p.window)?;
                t.int("check", p.check)?;
                t.int("urg_ptr", p.urg_ptr)?;
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Udp => match wire::udp(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "UDP", 6)?;
                t.int("source", p.source)?;
                t.int("dest", p.dest)?;
                t.int("len", p.len)?;
                t.int("check", p.check)?;
                t.bytes("data", p.data)?;
                t.done()
            }
        },
        Kind::Radiotap => match wire::radiotap(d) {
            Err(e) => fail(lua, e),
            Ok(p) => {
                let t = Pkt::new(lua, meta, "80211", 22)?;
                t.int("version", p.version())?;
                t.int("type", p.typ())?;
                t.int("subtype", p.subtype())?;
                for (i, k) in wire::DOT11_FLAGS.iter().enumerate() {
                    t.flag(k, p.flag(i as u8))?;
                }
                t.int("duration", p.duration)?;
                t.mac("addr1", &p.addr1)?;
                for (k, a) in [("addr2", &p.addr2), ("addr3", &p.addr3), ("addr4", &p.addr4)] {
                    if let Some(a) = a {
                        t.mac(k, a)?;
                    }
                }
                if let Some(f) = p.fixed {
                    // u64 as Lua's integer (two's complement), as string.unpack('<I8') gives it
                    t.int("timestamp", f.timestamp as i64)?;
                    t.int("beacon_interval", f.beacon_interval)?;
                    t.int("capability", f.capability)?;
                }
                if let Some(s) = p.ssid {
                    t.bytes("ssid", s)?;
                }
                t.done()
            }
        },
    }
}

/// The input of a decoder: a string, else the error the length operator raises.
fn input(v: &Value) -> Result<LuaString> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(error(format!(
            "attempt to get length of a {} value (local 'data')",
            eco_util::lua_type_name(other)
        ))),
    }
}

/// An integer-valued number (what a Lua table lookup would find under an integer key).
fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(*x as i64),
        _ => None,
    }
}

/// `"<value>"` as Lua's `..` writes a number or string, for the unknown-protocol messages.
fn show(lua: &Lua, v: &Value) -> Result<String> {
    match v {
        Value::Integer(_) | Value::Number(_) | Value::String(_) => Ok(lua
            .coerce_string(v.clone())?
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()),
        other => Err(error(format!(
            "attempt to concatenate a {} value",
            eco_util::lua_type_name(other)
        ))),
    }
}

/// `pkt:next()`: the layer after this one (docs/packet.md, "pkt:next()").
fn next(lua: &Lua, meta: &Table, pkt: &Table) -> Result<MultiValue> {
    let proto: Value = pkt.raw_get("proto")?;
    let kind = if !proto.is_nil() {
        match as_int(&proto).and_then(|p| u16::try_from(p).ok()) {
            Some(wire::ETH_P_8021Q) => Kind::Vlan,
            Some(wire::ETH_P_ARP) => Kind::Arp,
            Some(wire::ETH_P_IP) => Kind::Ip,
            Some(wire::ETH_P_IPV6) => Kind::Ip6,
            _ => return fail(lua, format!("unknown L3 proto \"{}\"", show(lua, &proto)?)),
        }
    } else {
        let protocol: Value = pkt.raw_get("protocol")?;
        if protocol.is_nil() {
            return fail(lua, "no upper protocol layer");
        }
        match as_int(&protocol).and_then(|p| u8::try_from(p).ok()) {
            Some(wire::IPPROTO_ICMP) => Kind::Icmp,
            Some(wire::IPPROTO_ICMPV6) => Kind::Icmp6,
            Some(wire::IPPROTO_UDP) => Kind::Udp,
            Some(wire::IPPROTO_TCP) => {
                // the segment length the IP layer announces: IPv4 tot_len - ihl*4, IPv6
                // payload_len (docs/packet.md: this is where IPv6 differs from the original,
                // which raised), else the whole input
                let field = |k: &str| -> Result<Option<i64>> {
                    Ok(as_int(&pkt.raw_get::<Value>(k)?))
                };
                let avail = match (field("tot_len")?, field("ihl")?) {
                    (Some(tot), Some(ihl)) => Some(tot.saturating_sub(ihl.saturating_mul(4))),
                    _ => field("payload_len")?,
                };
                Kind::Tcp(avail)
            }
            _ => {
                return fail(
                    lua,
                    format!("unknown L4 protocol \"{}\"", show(lua, &protocol)?),
                )
            }
        }
    };
    let data = input(&pkt.raw_get("data")?)?;
    decode(lua, meta, kind, &data.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// An integer argument in `0..=max` (`string.pack`'s unsigned range check).
fn ranged(a: &Args, n: usize, max: u64) -> Result<u64> {
    let v = a.integer(n)?;
    if v < 0 || v as u64 > max {
        return Err(arg_error(n, "value out of range"));
    }
    Ok(v as u64)
}

/// Optional payload (`nil` = empty).
fn payload(lua: &Lua, a: &Args, n: usize) -> Result<Option<LuaString>> {
    a.opt_string(lua, n)
}

/// An IPv4 address argument converted like `inet_aton` (text that does not parse is 0.0.0.0).
fn addr(lua: &Lua, a: &Args, n: usize) -> Result<[u8; 4]> {
    let s = a.string(lua, n)?;
    Ok(wire::inet_aton(&s.as_bytes()).unwrap_or([0; 4]))
}

/// A MAC address argument (`nil` = `default` when given, else an error).
fn mac(lua: &Lua, a: &Args, n: usize, default: Option<[u8; 6]>) -> Result<[u8; 6]> {
    if let (Some(d), true) = (default, a.is_none(n)) {
        return Ok(d);
    }
    let s = a.string(lua, n)?;
    wire::parse_mac(&s.as_bytes()).ok_or_else(|| arg_error(n, "invalid MAC address"))
}

fn bytes(lua: &Lua, b: Vec<u8>) -> Result<LuaString> {
    lua.create_string(b)
}

/// `icmp` / `icmp6`: an echo message; `types` are the two accepted types.
fn build_icmp(lua: &Lua, a: &Args, types: [i64; 2]) -> Result<LuaString> {
    // `assert(typ == A or typ == B)`: only numbers compare equal
    match as_int(&a.get(1)) {
        Some(t) if types.contains(&t) && matches!(a.get(1), Value::Integer(_) | Value::Number(_)) => {}
        _ => return Err(error("assertion failed!")),
    }
    let typ = as_int(&a.get(1)).unwrap_or_default() as u8;
    let code = ranged(a, 2, 0xff)? as u8;
    let id = ranged(a, 3, 0xffff)? as u16;
    let seq = ranged(a, 4, 0xffff)? as u16;
    let data = payload(lua, a, 5)?;
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    bytes(lua, wire::build_icmp(typ, code, id, seq, d, a.boolean(6)))
}

fn too_long(n: usize) -> mlua::Error {
    arg_error(n, "data too long")
}

fn build_udp(lua: &Lua, a: &Args) -> Result<LuaString> {
    let source = ranged(a, 1, 0xffff)? as u16;
    let dest = ranged(a, 2, 0xffff)? as u16;
    let data = payload(lua, a, 3)?;
    let addrs = if !a.is_none(4) && !a.is_none(5) {
        Some((addr(lua, a, 4)?, addr(lua, a, 5)?))
    } else {
        None
    };
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    bytes(lua, wire::build_udp(source, dest, d, addrs).ok_or_else(|| too_long(3))?)
}

fn build_tcp(lua: &Lua, a: &Args) -> Result<LuaString> {
    let source = ranged(a, 1, 0xffff)? as u16;
    let dest = ranged(a, 2, 0xffff)? as u16;
    let seq = ranged(a, 3, 0xffff_ffff)? as u32;
    let ack_seq = ranged(a, 4, 0xffff_ffff)? as u32;
    let mut flags = 0u8;
    match a.get(5) {
        Value::Nil => {}
        Value::Table(t) => {
            for (i, k) in ["cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"]
                .iter()
                .enumerate()
            {
                let v: Value = t.get(*k)?;
                if !matches!(v, Value::Nil | Value::Boolean(false)) {
                    flags |= 0x80 >> i;
                }
            }
        }
        _ => return Err(a.type_error(5, "table")),
    }
    let window = ranged(a, 6, 0xffff)? as u16;
    let saddr = addr(lua, a, 7)?;
    let daddr = addr(lua, a, 8)?;
    let data = payload(lua, a, 9)?;
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    let seg = wire::build_tcp(source, dest, seq, ack_seq, flags, window, saddr, daddr, d)
        .ok_or_else(|| too_long(9))?;
    bytes(lua, seg)
}

fn build_ip(lua: &Lua, a: &Args) -> Result<LuaString> {
    let saddr = addr(lua, a, 1)?;
    let daddr = addr(lua, a, 2)?;
    let protocol = ranged(a, 3, 0xff)? as u8;
    let data = payload(lua, a, 4)?;
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    bytes(lua, wire::build_ip(saddr, daddr, protocol, d).ok_or_else(|| too_long(4))?)
}

fn build_arp(lua: &Lua, a: &Args) -> Result<LuaString> {
    let op = ranged(a, 1, 0xffff)? as u16;
    let sha = mac(lua, a, 2, Some([0; 6]))?;
    let sip = if a.is_none(3) { [0; 4] } else { addr(lua, a, 3)? };
    let tha = mac(lua, a, 4, Some([0; 6]))?;
    let tip = if a.is_none(5) { [0; 4] } else { addr(lua, a, 5)? };
    bytes(lua, wire::build_arp(op, sha, sip, tha, tip))
}

fn build_ether(lua: &Lua, a: &Args) -> Result<LuaString> {
    let source = mac(lua, a, 1, None)?;
    let dest = mac(lua, a, 2, None)?;
    let proto = ranged(a, 3, 0xffff)? as u16;
    let data = payload(lua, a, 4)?;
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    bytes(lua, wire::build_ether(source, dest, proto, d))
}

/// The native half: decoders, `next`, builders, and the packet metatable (`meta`, whose
/// `__tostring` the Lua half sets).
fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    let meta = lua.create_table()?;
    let methods = lua.create_table()?;
    meta.raw_set("__index", methods.clone())?;

    let m = meta.clone();
    methods.raw_set(
        "next",
        eco_util::function(lua, move |lua, this: Value| match this {
            Value::Table(pkt) => next(lua, &m, &pkt),
            other => Err(eco_util::type_error(1, "table", &other)),
        })?,
    )?;

    // from_ether / from_radiotap check their input with `assert(type(data) == 'string')`
    for (name, kind, asserted) in [
        ("from_ether", Kind::Ether, true),
        ("from_radiotap", Kind::Radiotap, true),
        ("from_ip", Kind::Ip, false),
        ("from_ip6", Kind::Ip6, false),
        ("from_icmp", Kind::Icmp, false),
        ("from_icmp6", Kind::Icmp6, false),
    ] {
        let m = meta.clone();
        t.raw_set(
            name,
            eco_util::function(lua, move |lua, a: Args| {
                let d = match (a.get(1), asserted) {
                    (Value::String(s), _) => s,
                    (_, true) => return Err(error("assertion failed!")),
                    (v, false) => input(&v)?,
                };
                decode(lua, &m, kind, &d.as_bytes())
            })?,
        )?;
    }

    t.raw_set(
        "icmp",
        eco_util::function(lua, |lua, a: Args| build_icmp(lua, &a, [0, 8]))?,
    )?;
    t.raw_set(
        "icmp6",
        eco_util::function(lua, |lua, a: Args| build_icmp(lua, &a, [128, 129]))?,
    )?;
    t.raw_set(
        "udp",
        eco_util::function(lua, |lua, a: Args| build_udp(lua, &a))?,
    )?;
    t.raw_set(
        "tcp",
        eco_util::function(lua, |lua, a: Args| build_tcp(lua, &a))?,
    )?;
    t.raw_set("ip", eco_util::function(lua, |lua, a: Args| build_ip(lua, &a))?)?;
    t.raw_set(
        "arp",
        eco_util::function(lua, |lua, a: Args| build_arp(lua, &a))?,
    )?;
    t.raw_set(
        "ether",
        eco_util::function(lua, |lua, a: Args| build_ether(lua, &a))?,
    )?;
    t.raw_set("meta", meta)?;
    Ok(t)
}

/// Opens the module: the Lua part receives the native table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/packet.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_packet")]
fn eco_packet(lua: &Lua) -> Result<Value> {
    open(lua)
}
