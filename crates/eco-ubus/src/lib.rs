//! `eco.ubus` (docs/ubus.md): a native client of OpenWrt's ubusd. The wire codec is Rust
//! ([`blob`]: libubox blob/blobmsg attributes, [`msg`]: ubus messages, both bounded and fuzzed);
//! the connection state machine (pending requests by sequence number, objects, subscribers,
//! event listeners, reconnection) is Lua (`lua/ubus.lua`) over `eco.socket`, so only the calling
//! coroutine waits for a reply.
#![forbid(unsafe_code)]

pub mod blob;
pub mod msg;

use blob::{EncodeError, Value as Bv};
use mlua::{Lua, MultiValue, Result, Table, Value};
use std::collections::HashSet;

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("ubus.lua");

/// libubus's status texts (`ubus_strerror`).
pub fn strerror(code: i64) -> String {
    const T: [&str; 14] = [
        "Success",
        "Invalid command",
        "Invalid argument",
        "Method not found",
        "Not found",
        "No response",
        "Permission denied",
        "Request timed out",
        "Operation not supported",
        "Unknown error",
        "Connection failed",
        "Out of memory",
        "Parsing message data failed",
        "System error",
    ];
    match usize::try_from(code).ok().and_then(|i| T.get(i)) {
        Some(s) => (*s).to_string(),
        None => format!("Unknown error: {code}"),
    }
}

enum ToBlobError {
    Lua(mlua::Error),
    Circular,
    TooDeep,
}

impl From<mlua::Error> for ToBlobError {
    fn from(e: mlua::Error) -> Self {
        ToBlobError::Lua(e)
    }
}

/// A table key as a blobmsg name: strings as they are, numbers in their Lua string form, other
/// keys an empty name.
fn key_name(k: &Value) -> Vec<u8> {
    match k {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(i) => i.to_string().into_bytes(),
        Value::Number(n) => k
            .to_string()
            .map(String::into_bytes)
            .unwrap_or_else(|_| n.to_string().into_bytes()),
        _ => Vec::new(),
    }
}

/// A Lua value as a blobmsg value (`None`: skipped, as nil/function/thread/userdata are).
fn to_blob(
    v: &Value,
    seen: &mut HashSet<usize>,
    depth: usize,
) -> std::result::Result<Option<Bv>, ToBlobError> {
    Ok(Some(match v {
        Value::Boolean(b) => Bv::Int8(u8::from(*b)),
        Value::Integer(i) => {
            if *i > i64::from(i32::MAX) {
                Bv::Int64(*i)
            } else {
                Bv::Int32(*i as i32)
            }
        }
        Value::Number(n) => Bv::Double(*n),
        Value::String(s) => Bv::String(s.as_bytes().to_vec()),
        Value::Table(t) => {
            let nkeys = t.pairs::<Value, Value>().count();
            if nkeys == t.raw_len() {
                // a sequence (or empty): an ARRAY in index order
                let p = enter(t, seen, depth)?;
                let mut arr = Vec::with_capacity(nkeys);
                for i in 1..=nkeys {
                    let e: Value = t.raw_get(i)?;
                    if let Some(b) = to_blob(&e, seen, depth + 1)? {
                        arr.push(b);
                    }
                }
                seen.remove(&p);
                Bv::Array(arr)
            } else {
                Bv::Table(table_items(t, seen, depth)?)
            }
        }
        _ => return Ok(None),
    }))
}

/// Marks `t` as being encoded (a second visit on the same path is a cycle); returns its key
/// in `seen`, removed by the caller when done.
fn enter(
    t: &Table,
    seen: &mut HashSet<usize>,
    depth: usize,
) -> std::result::Result<usize, ToBlobError> {
    let p = t.to_pointer() as usize;
    if !seen.insert(p) {
        return Err(ToBlobError::Circular);
    }
    if depth > blob::MAX_DEPTH {
        return Err(ToBlobError::TooDeep);
    }
    Ok(p)
}

/// The entries of table `t` as named blobmsg values (keys converted with [`key_name`]).
fn table_items(
    t: &Table,
    seen: &mut HashSet<usize>,
    depth: usize,
) -> std::result::Result<Vec<(Vec<u8>, Bv)>, ToBlobError> {
    let p = enter(t, seen, depth)?;
    let mut items = Vec::new();
    for kv in t.pairs::<Value, Value>() {
        let (k, v) = kv?;
        if let Some(b) = to_blob(&v, seen, depth + 1)? {
            items.push((key_name(&k), b));
        }
    }
    seen.remove(&p);
    Ok(items)
}

fn encode_failure(e: EncodeError) -> &'static str {
    match e {
        EncodeError::TooLong => "msg too long",
        EncodeError::TooDeep => "table nested too deep",
    }
}

/// A conversion error as the Lua error it raises.
fn conv<T>(r: std::result::Result<T, ToBlobError>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(ToBlobError::Lua(e)) => Err(e),
        Err(ToBlobError::Circular) => Err(eco_util::error("circular reference in table")),
        Err(ToBlobError::TooDeep) => Err(eco_util::error("table nested too deep")),
    }
}

/// A Lua table as the bytes of a blobmsg list; `extra` (name, table) is appended as a TABLE
/// entry (the `data` of an event). `Ok(Err(msg))` is a failure to return as `nil, msg`.
fn list_bytes(
    t: &Table,
    extra: Option<(Vec<u8>, Table)>,
) -> Result<std::result::Result<Vec<u8>, &'static str>> {
    let mut seen = HashSet::new();
    let mut items = conv(table_items(t, &mut seen, 0))?;
    if let Some((name, et)) = extra {
        let inner = conv(table_items(&et, &mut seen, 1))?;
        items.push((name, Bv::Table(inner)));
    }
    Ok(blob::encode_list(&items).map_err(encode_failure))
}

/// A blobmsg value as a Lua value (INT8 becomes a boolean; UNSPEC is nil).
fn to_lua(lua: &Lua, v: Bv) -> Result<Value> {
    Ok(match v {
        Bv::Unspec => Value::Nil,
        Bv::Int8(b) => Value::Boolean(b != 0),
        Bv::Int16(i) => Value::Integer(i64::from(i)),
        Bv::Int32(i) => Value::Integer(i64::from(i)),
        Bv::Int64(i) => Value::Integer(i),
        Bv::Double(d) => Value::Number(d),
        Bv::String(s) => Value::String(lua.create_string(s)?),
        Bv::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, it) in items.into_iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, it)?)?;
            }
            Value::Table(t)
        }
        Bv::Table(items) => Value::Table(named_table(lua, items)?),
    })
}

/// Named entries become `t[name]`, unnamed ones are appended to `t[1..]`.
fn named_table(lua: &Lua, items: Vec<(Vec<u8>, Bv)>) -> Result<Table> {
    let t = lua.create_table()?;
    let mut n = 0;
    for (k, v) in items {
        let v = to_lua(lua, v)?;
        if k.is_empty() {
            n += 1;
            t.raw_set(n, v)?;
        } else {
            t.raw_set(lua.create_string(k)?, v)?;
        }
    }
    Ok(t)
}

fn opt_u32(t: &Table, k: &str) -> Result<Option<u32>> {
    Ok(t.raw_get::<Option<i64>>(k)?.map(|v| v as u32))
}

fn opt_bytes(t: &Table, k: &str) -> Result<Option<Vec<u8>>> {
    Ok(t.raw_get::<Option<mlua::LuaString>>(k)?
        .map(|s| s.as_bytes().to_vec()))
}

/// `encode(type, seq, peer, fields)` -> message string | nil, "msg too long".
fn encode(lua: &Lua, (typ, seq, peer, f): (u8, i64, i64, Table)) -> Result<MultiValue> {
    let mut a = msg::Attrs {
        status: t_i32(&f)?,
        objpath: opt_bytes(&f, "objpath")?,
        objid: opt_u32(&f, "objid")?,
        method: opt_bytes(&f, "method")?,
        objtype: opt_u32(&f, "objtype")?,
        target: opt_u32(&f, "target")?,
        active: f.raw_get::<Option<bool>>("active")?.map(u8::from),
        no_reply: f.raw_get::<Option<bool>>("no_reply")?.map(u8::from),
        ..msg::Attrs::default()
    };
    if let Some(t) = f.raw_get::<Option<Table>>("data")? {
        let extra = match f.raw_get::<Option<Table>>("data_table")? {
            Some(et) => Some((
                f.raw_get::<mlua::LuaString>("data_name")?
                    .as_bytes()
                    .to_vec(),
                et,
            )),
            None => None,
        };
        match list_bytes(&t, extra)? {
            Ok(b) => a.data = Some(b),
            Err(e) => return eco_util::fail(lua, e),
        }
    }
    if let Some(st) = f.raw_get::<Option<Table>>("signature")? {
        // {method = {arg = type}}: every method a TABLE (an empty policy too), as libubus sends
        let mut items = Vec::new();
        for kv in st.pairs::<Value, Table>() {
            let (k, pol) = kv?;
            let mut seen = HashSet::new();
            let inner = conv(table_items(&pol, &mut seen, 1))?;
            items.push((key_name(&k), Bv::Table(inner)));
        }
        match blob::encode_list(&items) {
            Ok(b) => a.signature = Some(b),
            Err(e) => return eco_util::fail(lua, encode_failure(e)),
        }
    }
    let m = msg::Msg {
        typ,
        seq: seq as u16,
        peer: peer as u32,
        attrs: a,
    };
    match msg::encode(&m) {
        Ok(b) => eco_util::one(Value::String(lua.create_string(b)?)),
        Err(e) => eco_util::fail(lua, encode_failure(e)),
    }
}

fn t_i32(f: &Table) -> Result<Option<i32>> {
    Ok(f.raw_get::<Option<i64>>("status")?.map(|v| v as i32))
}

/// `decode(bytes)` -> message table | nil, err: `type`, `seq`, `peer` and the attributes present
/// (`data` and `signature` decoded to tables).
fn decode(lua: &Lua, b: mlua::LuaString) -> Result<MultiValue> {
    let m = match msg::decode(&b.as_bytes()) {
        Ok(m) => m,
        Err(e) => return eco_util::fail(lua, e.to_string()),
    };
    let t = lua.create_table()?;
    t.raw_set("type", m.typ)?;
    t.raw_set("seq", m.seq)?;
    t.raw_set("peer", m.peer)?;
    let a = m.attrs;
    t.raw_set("status", a.status)?;
    t.raw_set("objid", a.objid)?;
    t.raw_set("objtype", a.objtype)?;
    t.raw_set("target", a.target)?;
    t.raw_set("active", a.active.map(|v| v != 0))?;
    t.raw_set("no_reply", a.no_reply.map(|v| v != 0))?;
    for (k, v) in [
        ("objpath", a.objpath),
        ("method", a.method),
        ("user", a.user),
        ("group", a.group),
    ] {
        if let Some(v) = v {
            t.raw_set(k, lua.create_string(v)?)?;
        }
    }
    for (k, v) in [("data", a.data), ("signature", a.signature)] {
        if let Some(v) = v {
            t.raw_set(k, named_table(lua, blob::decode_list(&v, 0))?)?;
        }
    }
    eco_util::one(Value::Table(t))
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("PREFIX_LEN", msg::PREFIX_LEN)?;
    t.set("MAX_MSGLEN", msg::MAX_MSGLEN)?;
    t.set("MAX_DEPTH", blob::MAX_DEPTH)?;
    t.set(
        "strerror",
        eco_util::function(lua, |_, code: i64| Ok(strerror(code)))?,
    )?;
    // body_len(prefix) -> bytes that follow the 12-byte prefix | nil, err
    t.set(
        "body_len",
        eco_util::function(lua, |lua, p: mlua::LuaString| {
            match msg::body_len(&p.as_bytes()) {
                Ok(n) => eco_util::one(Value::Integer(n as i64)),
                Err(e) => eco_util::fail(lua, e.to_string()),
            }
        })?,
    )?;
    t.set("encode", eco_util::function(lua, encode)?)?;
    t.set(
        "geteuid",
        eco_util::function(lua, |_, ()| Ok(rustix::process::geteuid().as_raw()))?,
    )?;
    t.set("decode", eco_util::function(lua, decode)?)?;
    Ok(t)
}

/// Builds the module table (`require 'eco.ubus'`).
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/ubus.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_ubus")]
fn eco_ubus(lua: &Lua) -> Result<Value> {
    open(lua)
}
