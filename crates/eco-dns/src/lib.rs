//! `eco.dns` (spec/dns.md): the DNS message codec in Rust (hickory-proto for the header, names and
//! compression pointers; record data decoded here with the spec's error strings), everything else
//! (IP literals, `/etc/hosts`, `/etc/resolv.conf`, the UDP/TCP socket flow over `eco.socket`) in
//! `lua/dns.lua`.
//!
//! Limits: a reply longer than [`MAX_REPLY`] bytes is refused; names are at most 255 wire bytes and
//! compression pointers must point strictly backwards (hickory-proto), so a pointer loop cannot
//! run forever; the answer count is only a loop bound, never an allocation size. No input panics
//! (see the unit tests and `fuzz/fuzz_targets/dns_reply.rs`).
#![forbid(unsafe_code)]

use eco_util::{fail, one};
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::Name;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use mlua::{Lua, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("dns.lua");

/// Largest reply accepted (the largest message a TCP length prefix can announce).
pub const MAX_REPLY: usize = 65535;

/// Record type numbers the parser decodes into fields (spec §1).
pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_SPF: u16 = 99;

/// One decoded field value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Vec<u8>>),
}

/// One answer-section record: owner name, type, class, ttl and the type-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub name: Vec<u8>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub fields: Vec<(&'static str, Field)>,
}

/// Builds a query message: header (id, RD unless `no_recurse`, QDCOUNT 1), one question
/// `name`/`qtype`/IN. The name's labels are taken as raw bytes (1..63 bytes each, at most 255
/// bytes on the wire); one trailing dot is tolerated. Written directly rather than through
/// hickory-proto's `Message` encoder, whose error and record types would triple the .so.
pub fn build_query(name: &[u8], qtype: u16, id: u16, no_recurse: bool) -> Option<Vec<u8>> {
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.len() > 253 || name.first() == Some(&b'.') {
        return None;
    }
    let mut out = Vec::with_capacity(18 + name.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(if no_recurse { &[0, 0] } else { &[1, 0] });
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    if !name.is_empty() {
        for label in name.split(|&b| b == b'.') {
            let n = u8::try_from(label.len())
                .ok()
                .filter(|n| (1..=63).contains(n))?;
            out.push(n);
            out.extend_from_slice(label);
        }
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Some(out)
}

fn name_bytes(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    }
    out
}

/// Reads a (possibly compressed) name at `at`; returns it and the offset just after it.
fn read_name(msg: &[u8], at: usize) -> Option<(Vec<u8>, usize)> {
    if at >= msg.len() {
        return None;
    }
    let mut dec = BinDecoder::new(msg).clone(u16::try_from(at).ok()?);
    let name = Name::read(&mut dec).ok()?;
    Some((name_bytes(&name), dec.index()))
}

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    let b = msg.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn u32_at(msg: &[u8], at: usize) -> Option<u32> {
    let b = msg.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A name that must fill the rdata `[start, end)` exactly.
fn rdata_name(
    msg: &[u8],
    start: usize,
    end: usize,
    malformed: &'static str,
    bad_len: &'static str,
) -> std::result::Result<Vec<u8>, String> {
    let (name, after) = read_name(msg, start).ok_or(malformed)?;
    if after != end {
        return Err(bad_len.into());
    }
    Ok(name)
}

/// TXT/SPF character-strings; a length byte overrunning the rdata is clamped.
fn char_strings(rdata: &[u8]) -> Field {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < rdata.len() {
        let n = rdata[i] as usize;
        let s = i + 1;
        let e = (s + n).min(rdata.len());
        parts.push(rdata[s..e].to_vec());
        i = e;
    }
    match parts.len() {
        0 => Field::Bytes(Vec::new()),
        1 => Field::Bytes(parts.pop().unwrap_or_default()),
        _ => Field::List(parts),
    }
}

fn parse_rdata(
    msg: &[u8],
    rtype: u16,
    start: usize,
    end: usize,
) -> std::result::Result<Vec<(&'static str, Field)>, String> {
    let rdata = &msg[start..end];
    let bytes = |v: Vec<u8>| Field::Bytes(v);
    Ok(match rtype {
        TYPE_A => {
            let b: [u8; 4] = rdata
                .try_into()
                .map_err(|_| "invalid A record length".to_string())?;
            vec![("address", bytes(Ipv4Addr::from(b).to_string().into_bytes()))]
        }
        TYPE_AAAA => {
            let b: [u8; 16] = rdata
                .try_into()
                .map_err(|_| "invalid AAAA record length".to_string())?;
            vec![("address", bytes(Ipv6Addr::from(b).to_string().into_bytes()))]
        }
        TYPE_CNAME => vec![(
            "cname",
            bytes(rdata_name(
                msg,
                start,
                end,
                "malformed cname",
                "bad cname record length",
            )?),
        )],
        TYPE_NS => vec![(
            "nsdname",
            bytes(rdata_name(
                msg,
                start,
                end,
                "malformed nsdname",
                "bad nsdname record length",
            )?),
        )],
        TYPE_PTR => vec![(
            "ptrdname",
            bytes(rdata_name(
                msg,
                start,
                end,
                "malformed ptrdname",
                "bad ptrdname record length",
            )?),
        )],
        TYPE_MX => {
            if rdata.len() < 3 {
                return Err("bad MX record value length".into());
            }
            let pref = u16_at(msg, start).ok_or("bad MX record value length")?;
            let exchange = rdata_name(
                msg,
                start + 2,
                end,
                "malformed mx exchange",
                "bad mx record length",
            )?;
            vec![
                ("preference", Field::Int(pref.into())),
                ("exchange", bytes(exchange)),
            ]
        }
        TYPE_SRV => {
            if rdata.len() < 7 {
                return Err("bad SRV record value length".into());
            }
            let f = |o| u16_at(msg, start + o).map(|v| Field::Int(v.into()));
            let (p, w, port) = (f(0), f(2), f(4));
            let (Some(p), Some(w), Some(port)) = (p, w, port) else {
                return Err("bad SRV record value length".into());
            };
            let target = rdata_name(
                msg,
                start + 6,
                end,
                "malformed srv target",
                "bad srv record length",
            )?;
            vec![
                ("priority", p),
                ("weight", w),
                ("port", port),
                ("target", bytes(target)),
            ]
        }
        TYPE_SOA => {
            let (mname, at) = read_name(msg, start).ok_or("malformed soa mname")?;
            let (rname, at) = read_name(msg, at).ok_or("malformed soa rname")?;
            if at > end || end - at < 20 {
                return Err("bad SOA record value length".into());
            }
            if end - at != 20 {
                return Err("bad SOA record length".into());
            }
            let n = |o| Field::Int(u32_at(msg, at + o).unwrap_or(0).into());
            vec![
                ("mname", bytes(mname)),
                ("rname", bytes(rname)),
                ("serial", n(0)),
                ("refresh", n(4)),
                ("retry", n(8)),
                ("expire", n(12)),
                ("minimum", n(16)),
            ]
        }
        TYPE_TXT => vec![("txt", char_strings(rdata))],
        TYPE_SPF => vec![("spf", char_strings(rdata))],
        _ => vec![("rdata", bytes(rdata.to_vec()))],
    })
}

/// Whether `reply` answers the question of `query` (a message from [`build_query`]): the first
/// question's name (ASCII case-insensitively), type and class are the query's. A reply that
/// carries no question (some servers' FORMERR or REFUSED) or cannot be read here passes, and
/// [`parse_reply`] reports it. Like a wrong id, a mismatch means the reply is for another
/// query (a stale or forged one) and is ignored (docs/dns.md).
pub fn question_matches(reply: &[u8], query: &[u8]) -> bool {
    if u16_at(reply, 4).unwrap_or(0) == 0 {
        return true;
    }
    let question = |m: &[u8]| {
        let (name, at) = read_name(m, 12)?;
        Some((name, u16_at(m, at)?, u16_at(m, at + 2)?))
    };
    match (question(reply), question(query)) {
        (Some((rn, rt, rc)), Some((qn, qt, qc))) => {
            rt == qt && rc == qc && rn.eq_ignore_ascii_case(&qn)
        }
        (None, _) => true,
        (_, None) => false,
    }
}

/// Validates a reply to the query with id `expected_id` and decodes its answer section
/// (spec §4). Errors are the spec's strings.
pub fn parse_reply(msg: &[u8], expected_id: u16) -> std::result::Result<Vec<Record>, String> {
    if msg.len() < 12 {
        return Err("malformed response".into());
    }
    if msg.len() > MAX_REPLY {
        return Err("response too large".into());
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    if id != expected_id {
        return Err("transaction ID mismatch".into());
    }
    let flags = msg[2];
    if flags & 0x80 == 0 {
        return Err("not a response".into());
    }
    if flags & 0x02 != 0 {
        return Err("truncated".into());
    }
    match msg[3] & 0x0f {
        0 => {}
        1 => return Err("format error".into()),
        2 => return Err("server failure".into()),
        3 => return Err("name error".into()),
        4 => return Err("not implemented".into()),
        5 => return Err("refused".into()),
        n => return Err(format!("unknown error code: {n}")),
    }
    let qdcount = u16_at(msg, 4).unwrap_or(0);
    let ancount = u16_at(msg, 6).unwrap_or(0);
    if qdcount != 1 {
        return Err(format!("unexpected number of questions: {qdcount}"));
    }
    let (_, at) = read_name(msg, 12).ok_or("malformed question section")?;
    let class = u16_at(msg, at + 2).ok_or("malformed question section")?;
    if class != 1 {
        return Err(format!("unknown query class {class} in DNS response"));
    }
    let mut at = at + 4;
    // The count is a loop bound only: every record consumes at least 11 bytes of input.
    let mut answers = Vec::with_capacity(usize::from(ancount).min(16));
    for _ in 0..ancount {
        let (name, after) = read_name(msg, at).ok_or("malformed name")?;
        let hdr = (
            u16_at(msg, after),
            u16_at(msg, after + 2),
            u32_at(msg, after + 4),
            u16_at(msg, after + 8),
        );
        let (Some(rtype), Some(class), Some(ttl), Some(rdlen)) = hdr else {
            return Err("malformed resource record header".into());
        };
        let start = after + 10;
        let end = start + usize::from(rdlen);
        if end > msg.len() {
            return Err("malformed resource record data".into());
        }
        let fields = parse_rdata(msg, rtype, start, end)?;
        answers.push(Record {
            name,
            rtype,
            class,
            ttl,
            fields,
        });
        at = end;
    }
    Ok(answers)
}

fn field_value(lua: &Lua, f: &Field) -> Result<Value> {
    Ok(match f {
        Field::Int(n) => Value::Integer(*n),
        Field::Bytes(b) => Value::String(lua.create_string(b)?),
        Field::List(l) => {
            let t = lua.create_table_with_capacity(l.len(), 0)?;
            for s in l {
                t.raw_push(lua.create_string(s)?)?;
            }
            Value::Table(t)
        }
    })
}

fn records_table(lua: &Lua, recs: &[Record]) -> Result<Table> {
    let list = lua.create_table_with_capacity(recs.len(), 0)?;
    for r in recs {
        let t = lua.create_table_with_capacity(0, 6 + r.fields.len())?;
        t.raw_set("name", lua.create_string(&r.name)?)?;
        t.raw_set("type", r.rtype)?;
        t.raw_set("class", r.class)?;
        t.raw_set("ttl", r.ttl)?;
        t.raw_set("section", 1)?;
        for (k, v) in &r.fields {
            t.raw_set(*k, field_value(lua, v)?)?;
        }
        list.raw_push(t)?;
    }
    Ok(list)
}

fn u16_arg(v: i64, what: &str) -> Result<u16> {
    u16::try_from(v).map_err(|_| mlua::Error::runtime(format!("{what} out of range: {v}")))
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "build_query",
        eco_util::function(
            lua,
            |lua, (name, qtype, id, no_recurse): (mlua::LuaString, i64, i64, Option<bool>)| {
                let qtype = u16_arg(qtype, "query type")?;
                let id = u16_arg(id, "transaction id")?;
                match build_query(&name.as_bytes(), qtype, id, no_recurse.unwrap_or(false)) {
                    Some(q) => one(Value::String(lua.create_string(q)?)),
                    None => fail(lua, "bad name"),
                }
            },
        )?,
    )?;
    t.set(
        "parse_reply",
        eco_util::function(
            lua,
            |lua, (msg, id, query): (mlua::LuaString, i64, Option<mlua::LuaString>)| {
                let id = u16_arg(id, "transaction id")?;
                let msg = msg.as_bytes();
                if let Some(q) = query {
                    if u16_at(&msg, 0) == Some(id) && !question_matches(&msg, &q.as_bytes()) {
                        return fail(lua, "question mismatch");
                    }
                }
                match parse_reply(&msg, id) {
                    Ok(recs) => one(Value::Table(records_table(lua, &recs)?)),
                    Err(e) => fail(lua, &e),
                }
            },
        )?,
    )?;
    t.set(
        "random_id",
        eco_util::function(lua, |_, ()| {
            let mut b = [0u8; 2];
            // getrandom(2) on 2 bytes does not block once the pool is initialised; fall back to the
            // clock's nanoseconds if it fails anyway.
            if rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).is_err() {
                b = ((eco_util::monotonic() * 1e9) as u64 as u16).to_be_bytes();
            }
            Ok(u16::from_be_bytes(b))
        })?,
    )?;
    t.set("monotonic", eco_util::monotonic_function(lua)?)?;
    t.set(
        "mtime",
        eco_util::function(lua, |_, path: mlua::LuaString| {
            let path = path.to_str()?.to_string();
            Ok(rustix::fs::stat(path.as_str()).ok().map(|st| st.st_mtime))
        })?,
    )?;
    Ok(t)
}

/// Opens the module: the Lua part receives the native helper table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text()).set_name("@eco/dns.lua").call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_dns")]
fn eco_dns(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests;
