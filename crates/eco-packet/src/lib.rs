//! `eco.packet` (docs/packet.md): raw packet builders and layered decoders.
//!
//! The bytes are handled in Rust (`wire.rs`: bounded decoders, builders, checksums, address
//! text). A decoded layer is one native call returning the layer's fields as values;
//! `lua/packet.lua` puts them in a plain table (one table constructor) with the shared
//! `ParsedPacket` metatable, and holds `next()` (dispatch on the table's `proto` / `protocol` /
//! `data`, as a script may have changed them), the one-line summaries (`__tostring`) and the lazy
//! `eco.nl80211` lookup of 802.11 frame names.
#![forbid(unsafe_code)]

pub mod wire;

use eco_util::{arg_error, error, Args};
use mlua::{Lua, LuaString, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("packet.lua");

// ---------------------------------------------------------------------------------------------
// Decoders: one native call per layer returns the layer's fields as a flat list of values, in
// the order lua/packet.lua's constructors take them (`nil, err` first when the input is too
// short). Values are pushed straight onto the Lua stack: no table is filled from here, since
// with mlua every `rawset` and every key string would be a protected call of its own.
// ---------------------------------------------------------------------------------------------

type V = Value;

fn int(v: impl Into<i64>) -> V {
    Value::Integer(v.into())
}

fn text(lua: &Lua, b: &[u8]) -> Result<V> {
    Ok(Value::String(lua.create_string(b)?))
}

fn mac_v(lua: &Lua, m: &[u8; 6]) -> Result<V> {
    text(lua, &wire::fmt_mac(m))
}

fn ip4_v(lua: &Lua, a: &[u8; 4]) -> Result<V> {
    text(lua, wire::fmt_ip4(a).as_bytes())
}

/// `nil, err`: how a decoder's result starts when the input is too short (the rest is nil).
fn err_v(lua: &Lua, e: &str) -> Result<(V, V)> {
    Ok((Value::Nil, text(lua, e.as_bytes())?))
}

/// An integer-valued number (what a Lua table lookup would find under an integer key).
fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(*x as i64),
        _ => None,
    }
}

/// dest, source, proto, data
fn ether_v(lua: &Lua, d: &[u8]) -> Result<(V, V, V, V)> {
    Ok(match wire::ether(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil)
        }
        Ok(p) => (
            mac_v(lua, &p.dest)?,
            mac_v(lua, &p.source)?,
            int(p.proto),
            text(lua, p.data)?,
        ),
    })
}

/// pri, vid, proto, data
fn vlan_v(lua: &Lua, d: &[u8]) -> Result<(V, V, V, V)> {
    Ok(match wire::vlan(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil)
        }
        Ok(p) => (int(p.pri), int(p.vid), int(p.proto), text(lua, p.data)?),
    })
}

/// ar_hrd, ar_pro, ar_hln, ar_pln, op, sha, sip, tha, tip
type ArpV = (V, V, V, V, V, V, V, V, V);
fn arp_v(lua: &Lua, d: &[u8]) -> Result<ArpV> {
    Ok(match wire::arp(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil)
        }
        Ok(p) => {
            let (sha, sip, tha, tip) = match &p.addrs {
                Some(a) => (
                    mac_v(lua, &a.sha)?,
                    ip4_v(lua, &a.sip)?,
                    mac_v(lua, &a.tha)?,
                    ip4_v(lua, &a.tip)?,
                ),
                None => (V::Nil, V::Nil, V::Nil, V::Nil),
            };
            (
                int(p.hrd),
                int(p.pro),
                int(p.hln),
                int(p.pln),
                int(p.op),
                sha,
                sip,
                tha,
                tip,
            )
        }
    })
}

/// version, ihl, tos, tot_len, id, frag_off, ttl, protocol, check, saddr, daddr, data
type IpV = (V, V, V, V, V, V, V, V, V, V, V, V);
fn ip_v(lua: &Lua, d: &[u8]) -> Result<IpV> {
    Ok(match wire::ip(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            let n = V::Nil;
            (
                a,
                b,
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n,
            )
        }
        Ok(p) => (
            int(p.version),
            int(p.ihl),
            int(p.tos),
            int(p.tot_len),
            int(p.id),
            int(p.frag_off),
            int(p.ttl),
            int(p.protocol),
            int(p.check),
            ip4_v(lua, &p.saddr)?,
            ip4_v(lua, &p.daddr)?,
            text(lua, p.data)?,
        ),
    })
}

/// version, priority, payload_len, nexthdr, hop_limit, saddr, daddr, data
type Ip6V = (V, V, V, V, V, V, V, V);
fn ip6_v(lua: &Lua, d: &[u8]) -> Result<Ip6V> {
    Ok(match wire::ip6(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil)
        }
        Ok(p) => (
            int(p.version),
            int(p.priority),
            int(p.payload_len),
            int(p.nexthdr),
            int(p.hop_limit),
            text(lua, wire::fmt_ip6(&p.saddr).as_bytes())?,
            text(lua, wire::fmt_ip6(&p.daddr).as_bytes())?,
            text(lua, p.data)?,
        ),
    })
}

/// type, code, checksum, id, sequence, gateway, data
type IcmpV = (V, V, V, V, V, V, V);
fn icmp_v(lua: &Lua, d: &[u8], v6: bool) -> Result<IcmpV> {
    Ok(match wire::icmp(d, v6) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil, V::Nil, V::Nil, V::Nil)
        }
        Ok(p) => {
            let (id, seq, gw) = match p.rest {
                wire::IcmpRest::Echo { id, sequence } => (int(id), int(sequence), V::Nil),
                wire::IcmpRest::Gateway(g) => (V::Nil, V::Nil, ip4_v(lua, &g)?),
                wire::IcmpRest::None => (V::Nil, V::Nil, V::Nil),
            };
            (
                int(p.typ),
                int(p.code),
                int(p.checksum),
                id,
                seq,
                gw,
                text(lua, p.data)?,
            )
        }
    })
}

/// source, dest, seq, ack_seq, doff, flag byte, window, check, urg_ptr, data
type TcpV = (V, V, V, V, V, V, V, V, V, V);
fn tcp_v(lua: &Lua, d: &[u8], avail: Option<i64>) -> Result<TcpV> {
    Ok(match wire::tcp(d, avail) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            let n = V::Nil;
            (
                a,
                b,
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n,
            )
        }
        Ok(p) => (
            int(p.source),
            int(p.dest),
            int(p.seq),
            int(p.ack_seq),
            int(p.doff),
            int(p.flags),
            int(p.window),
            int(p.check),
            int(p.urg_ptr),
            text(lua, p.data)?,
        ),
    })
}

/// source, dest, len, check, data
fn udp_v(lua: &Lua, d: &[u8]) -> Result<(V, V, V, V, V)> {
    Ok(match wire::udp(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            (a, b, V::Nil, V::Nil, V::Nil)
        }
        Ok(p) => (
            int(p.source),
            int(p.dest),
            int(p.len),
            int(p.check),
            text(lua, p.data)?,
        ),
    })
}

/// fc, duration, addr1, addr2, addr3, addr4, timestamp, beacon_interval, capability, ssid
type Dot11V = (V, V, V, V, V, V, V, V, V, V);
fn radiotap_v(lua: &Lua, d: &[u8]) -> Result<Dot11V> {
    Ok(match wire::radiotap(d) {
        Err(e) => {
            let (a, b) = err_v(lua, e)?;
            let n = V::Nil;
            (
                a,
                b,
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n,
            )
        }
        Ok(p) => {
            let opt_mac = |m: &Option<[u8; 6]>| -> Result<V> {
                match m {
                    Some(m) => mac_v(lua, m),
                    None => Ok(V::Nil),
                }
            };
            let (ts, bi, cap) = match p.fixed {
                // u64 as Lua's integer (two's complement), as string.unpack('<I8') gives it
                Some(f) => (
                    int(f.timestamp as i64),
                    int(f.beacon_interval),
                    int(f.capability),
                ),
                None => (V::Nil, V::Nil, V::Nil),
            };
            (
                int(p.fc),
                int(p.duration),
                mac_v(lua, &p.addr1)?,
                opt_mac(&p.addr2)?,
                opt_mac(&p.addr3)?,
                opt_mac(&p.addr4)?,
                ts,
                bi,
                cap,
                match p.ssid {
                    Some(s) => text(lua, s)?,
                    None => V::Nil,
                },
            )
        }
    })
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

/// Optional payload (`nil` or `false` = empty).
fn payload(lua: &Lua, a: &Args, n: usize) -> Result<Option<LuaString>> {
    // `data or ''`: false counts as absent too
    if a.boolean(n) {
        a.string(lua, n).map(Some)
    } else {
        Ok(None)
    }
}

/// An IPv4 address argument converted like `inet_aton` (text that does not parse is 0.0.0.0).
fn addr(lua: &Lua, a: &Args, n: usize) -> Result<[u8; 4]> {
    let s = a.string(lua, n)?;
    Ok(wire::inet_aton(&s.as_bytes()).unwrap_or([0; 4]))
}

/// A MAC address argument (`nil` or `false` = `default` when given, else an error).
fn mac(lua: &Lua, a: &Args, n: usize, default: Option<[u8; 6]>) -> Result<[u8; 6]> {
    if let (Some(d), false) = (default, a.boolean(n)) {
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
        Some(t)
            if types.contains(&t) && matches!(a.get(1), Value::Integer(_) | Value::Number(_)) => {}
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
    let addrs = if a.boolean(4) && a.boolean(5) {
        Some((addr(lua, a, 4)?, addr(lua, a, 5)?))
    } else {
        None
    };
    let data = data.as_ref().map(|d| d.as_bytes());
    let d: &[u8] = data.as_deref().unwrap_or(b"");
    bytes(
        lua,
        wire::build_udp(source, dest, d, addrs).ok_or_else(|| too_long(3))?,
    )
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
    bytes(
        lua,
        wire::build_ip(saddr, daddr, protocol, d).ok_or_else(|| too_long(4))?,
    )
}

fn build_arp(lua: &Lua, a: &Args) -> Result<LuaString> {
    let op = ranged(a, 1, 0xffff)? as u16;
    let sha = mac(lua, a, 2, Some([0; 6]))?;
    let sip = if !a.boolean(3) {
        [0; 4]
    } else {
        addr(lua, a, 3)?
    };
    let tha = mac(lua, a, 4, Some([0; 6]))?;
    let tip = if !a.boolean(5) {
        [0; 4]
    } else {
        addr(lua, a, 5)?
    };
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

/// The native half: the decoders (called by lua/packet.lua with a string, they return the
/// fields of one layer) and the builders (the module's public functions).
fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    // plain mlua functions: they are only called by lua/packet.lua, with checked arguments
    t.raw_set(
        "ether",
        lua.create_function(|lua, d: LuaString| ether_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "vlan",
        lua.create_function(|lua, d: LuaString| vlan_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "arp",
        lua.create_function(|lua, d: LuaString| arp_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "ip",
        lua.create_function(|lua, d: LuaString| ip_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "ip6",
        lua.create_function(|lua, d: LuaString| ip6_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "icmp",
        lua.create_function(|lua, d: LuaString| icmp_v(lua, &d.as_bytes(), false))?,
    )?;
    t.raw_set(
        "icmp6",
        lua.create_function(|lua, d: LuaString| icmp_v(lua, &d.as_bytes(), true))?,
    )?;
    // tcp(data, avail): avail is the segment length the IP layer announces, or nil
    t.raw_set(
        "tcp",
        lua.create_function(|lua, (d, avail): (LuaString, Value)| {
            tcp_v(lua, &d.as_bytes(), as_int(&avail))
        })?,
    )?;
    t.raw_set(
        "udp",
        lua.create_function(|lua, d: LuaString| udp_v(lua, &d.as_bytes()))?,
    )?;
    t.raw_set(
        "radiotap",
        lua.create_function(|lua, d: LuaString| radiotap_v(lua, &d.as_bytes()))?,
    )?;

    // the builders, exported as they are (their argument errors name the caller's function)
    let b = lua.create_table()?;
    t.raw_set("build", b.clone())?;
    b.raw_set(
        "icmp",
        eco_util::function(lua, |lua, a: Args| build_icmp(lua, &a, [0, 8]))?,
    )?;
    b.raw_set(
        "icmp6",
        eco_util::function(lua, |lua, a: Args| build_icmp(lua, &a, [128, 129]))?,
    )?;
    b.raw_set(
        "udp",
        eco_util::function(lua, |lua, a: Args| build_udp(lua, &a))?,
    )?;
    b.raw_set(
        "tcp",
        eco_util::function(lua, |lua, a: Args| build_tcp(lua, &a))?,
    )?;
    b.raw_set(
        "ip",
        eco_util::function(lua, |lua, a: Args| build_ip(lua, &a))?,
    )?;
    b.raw_set(
        "arp",
        eco_util::function(lua, |lua, a: Args| build_arp(lua, &a))?,
    )?;
    b.raw_set(
        "ether",
        eco_util::function(lua, |lua, a: Args| build_ether(lua, &a))?,
    )?;
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
