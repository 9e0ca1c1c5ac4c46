//! `eco.nl80211` and `eco.internal.nl80211` (docs/nl80211.md): the nl80211 constants, the 802.11
//! naming helpers and every parser of kernel bytes in Rust (`parse.rs`, bounded, fuzzed by
//! `fuzz/fuzz_targets/nl80211_parse.rs`); the request/reply flow over `eco.nl`/`eco.genl` (one
//! netlink socket per call, family id cached by `eco.genl`) in `lua/nl80211.lua`.
#![forbid(unsafe_code)]

pub mod consts;
pub mod parse;

use eco_util::{fail, one, Args};
use mlua::{Lua, MultiValue, Result, Table, Value};
use parse::{Obj, Val};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("nl80211.lua");

/// A decoded value as a Lua value.
pub fn to_lua(lua: &Lua, v: &Val<'_>) -> Result<Value> {
    Ok(match v {
        Val::Int(i) => Value::Integer(*i),
        Val::Float(f) => Value::Number(*f),
        Val::Bool(b) => Value::Boolean(*b),
        Val::Bytes(b) => Value::String(lua.create_string(b)?),
        Val::Text(s) => Value::String(lua.create_string(s)?),
        Val::Str(s) => Value::String(lua.create_string(s)?),
        Val::Set(names) => {
            let t = lua.create_table_with_capacity(0, names.len())?;
            for n in names {
                t.raw_set(*n, true)?;
            }
            Value::Table(t)
        }
        Val::Obj(o) => Value::Table(obj_to_lua(lua, o)?),
        Val::Elems(list) => {
            let t = lua.create_table()?;
            for (id, payloads) in list {
                let a = lua.create_table_with_capacity(payloads.len(), 0)?;
                for (i, p) in payloads.iter().enumerate() {
                    a.raw_set(i + 1, lua.create_string(p)?)?;
                }
                t.raw_set(*id as i64, a)?;
            }
            Value::Table(t)
        }
    })
}

/// A field list as a Lua table.
pub fn obj_to_lua(lua: &Lua, o: &Obj<'_>) -> Result<Table> {
    let t = lua.create_table_with_capacity(0, o.len())?;
    for (k, v) in o {
        t.raw_set(*k, to_lua(lua, v)?)?;
    }
    Ok(t)
}

/// `parse_x(payload)` natives: a table, plain `nil` (the reply carries no such entry) or
/// `nil, err` for malformed bytes.
fn reply_result(lua: &Lua, r: std::result::Result<Option<Obj<'_>>, &str>) -> Result<MultiValue> {
    match r {
        Ok(Some(o)) => one(Value::Table(obj_to_lua(lua, &o)?)),
        Ok(None) => one(Value::Nil),
        Err(e) => fail(lua, e),
    }
}

/// An integer argument for the naming tables: integers and floats with an integer value;
/// anything else matches no entry.
fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Number(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        _ => None,
    }
}

fn string_arg(args: &Args, n: usize) -> Result<mlua::LuaString> {
    match args.get(n) {
        Value::String(s) => Ok(s),
        _ => Err(args.type_error(n, "string")),
    }
}

/// The native table: constants, naming helpers, parsers. It is `eco.internal.nl80211` and the
/// first argument of `lua/nl80211.lua`.
pub fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    for (k, v) in consts::KERNEL.iter().chain(consts::LOCAL) {
        t.raw_set(*k, *v)?;
    }

    t.raw_set(
        "ftype_name",
        eco_util::function(lua, |_, (typ, sub): (Value, Value)| {
            Ok(match (int_of(&typ), int_of(&sub)) {
                (Some(a), Some(b)) => parse::ftype_name(a, b),
                _ => None,
            })
        })?,
    )?;
    t.raw_set(
        "iftype_name",
        eco_util::function(lua, |_, v: Value| {
            Ok(int_of(&v).map_or("Unknown", parse::iftype_name))
        })?,
    )?;
    t.raw_set(
        "width_name",
        eco_util::function(lua, |_, v: Value| {
            Ok(int_of(&v).map_or("Unknown", parse::width_name))
        })?,
    )?;
    t.raw_set(
        "channel_type_name",
        eco_util::function(lua, |_, v: Value| {
            Ok(int_of(&v).map_or("Unknown", parse::channel_type_name))
        })?,
    )?;
    t.raw_set(
        "escape_ssid",
        eco_util::function(lua, |_, v: Value| match v {
            Value::Nil => Ok(String::new()),
            Value::String(s) => Ok(parse::escape_ssid(&s.as_bytes())),
            other => Err(eco_util::type_error(1, "string", &other)),
        })?,
    )?;

    t.raw_set(
        "parse_sta_flag_update",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            match parse::parse_sta_flag_update(&p.as_bytes()) {
                Some(o) => Ok(obj_to_lua(lua, &o)?),
                None => Err(eco_util::arg_error(1, "invalid sta flags")),
            }
        })?,
    )?;
    t.raw_set(
        "parse_interface",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            let b = p.as_bytes();
            reply_result(lua, parse::parse_interface(&b).map(Some))
        })?,
    )?;
    t.raw_set(
        "parse_bss",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            let keep = !matches!(args.get(2), Value::Nil | Value::Boolean(false));
            let b = p.as_bytes();
            reply_result(lua, parse::parse_bss(&b, keep))
        })?,
    )?;
    t.raw_set(
        "parse_station",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            reply_result(lua, parse::parse_station(&p.as_bytes()))
        })?,
    )?;
    t.raw_set(
        "parse_survey",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            reply_result(lua, parse::parse_survey(&p.as_bytes()))
        })?,
    )?;
    t.raw_set(
        "parse_protocol_features",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            match parse::parse_protocol_features(&p.as_bytes()) {
                Ok(v) => one(Value::Integer(v)),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    // parse_freqlist(payload, out): appends the entries to the array `out`.
    t.raw_set(
        "parse_freqlist",
        eco_util::function(lua, |lua, args: Args| {
            let p = string_arg(&args, 1)?;
            let Value::Table(out) = args.get(2) else {
                return Err(args.type_error(2, "table"));
            };
            match parse::parse_freqlist(&p.as_bytes()) {
                Ok(list) => {
                    let mut n = out.raw_len();
                    for o in &list {
                        n += 1;
                        out.raw_set(n, obj_to_lua(lua, o)?)?;
                    }
                    eco_util::ok_true()
                }
                Err(e) => fail(lua, e),
            }
        })?,
    )?;
    Ok(t)
}

/// Opens `eco.nl80211`: the Lua part receives the native table and the private helpers.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    let p = lua.create_table()?;
    p.raw_set(
        "strerror",
        eco_util::function(lua, |_, errno: i32| Ok(eco_abi::strerror(errno)))?,
    )?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/nl80211.lua")
        .call((n, p))
}

/// Opens `eco.internal.nl80211`: the native parsers and constants.
pub fn open_internal(lua: &Lua) -> Result<Value> {
    Ok(Value::Table(native(lua)?))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_nl80211")]
fn eco_nl80211(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_internal_nl80211")]
fn eco_internal_nl80211(lua: &Lua) -> Result<Value> {
    open_internal(lua)
}

#[cfg(test)]
mod tests;
