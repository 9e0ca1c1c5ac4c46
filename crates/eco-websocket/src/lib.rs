//! `eco.websocket` (spec/websocket.md): the RFC 6455 frame codec, the handshake key math and the
//! UTF-8 check in Rust; the handshake and frame I/O flow in Lua (`lua/websocket.lua`) over
//! `eco.socket` / `eco.ssl` streams.
#![forbid(unsafe_code)]

pub mod frame;

use mlua::{Lua, MultiValue, Result, Table, Value};

pub use frame::{parse_frame, Parsed};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("websocket.lua");

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // getrandom(2) does not block once the pool is initialised; fall back to the clock (a
    // masking key or handshake nonce needs to be unpredictable, not secret).
    if rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    b
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    // parse_frame(buf, max_payload) -> fin, opcode, payload, consumed, masked
    //                                 | false, need | nil, close_code, err
    // (a non-FIN frame also starts with `false`: "need more" is the 2-value form, no payload)
    t.set(
        "parse_frame",
        eco_util::function(lua, |lua, (buf, max): (mlua::LuaString, i64)| {
            let max = u64::try_from(max).unwrap_or(0);
            let v = match parse_frame(&buf.as_bytes(), max) {
                Parsed::Frame {
                    fin,
                    opcode,
                    payload,
                    consumed,
                    masked,
                } => vec![
                    Value::Boolean(fin),
                    Value::Integer(opcode.into()),
                    Value::String(lua.create_string(&payload)?),
                    Value::Integer(consumed as i64),
                    Value::Boolean(masked),
                ],
                Parsed::Need(n) => vec![Value::Boolean(false), Value::Integer(n as i64)],
                Parsed::Error(code, msg) => vec![
                    Value::Nil,
                    Value::Integer(code.into()),
                    Value::String(lua.create_string(msg)?),
                ],
            };
            Ok(MultiValue::from_vec(v))
        })?,
    )?;
    // build_frame(first_byte, payload, masked) -> frame | nil, err
    t.set(
        "build_frame",
        eco_util::function(
            lua,
            |lua, (b0, payload, masked): (i64, mlua::LuaString, bool)| {
                let key = masked.then(random_bytes::<4>);
                let v = match frame::build_frame(b0 as u8, &payload.as_bytes(), key) {
                    Some(f) => vec![Value::String(lua.create_string(&f)?)],
                    None => vec![
                        Value::Nil,
                        Value::String(lua.create_string("payload too big")?),
                    ],
                };
                Ok(MultiValue::from_vec(v))
            },
        )?,
    )?;
    // utf8_check(s) -> true, incomplete_tail_len | false
    t.set(
        "utf8_check",
        eco_util::function(lua, |_, s: mlua::LuaString| {
            Ok(match frame::utf8_check(&s.as_bytes()) {
                Some(n) => (true, Some(n as i64)),
                None => (false, None),
            })
        })?,
    )?;
    t.set(
        "accept_key",
        eco_util::function(lua, |lua, key: mlua::LuaString| {
            lua.create_string(frame::accept_key(&key.as_bytes()))
        })?,
    )?;
    t.set(
        "key_ok",
        eco_util::function(lua, |_, key: mlua::LuaString| {
            Ok(frame::key_ok(&key.as_bytes()))
        })?,
    )?;
    t.set(
        "new_key",
        eco_util::function(lua, |lua, ()| {
            lua.create_string(eco_encoding::base64_encode(&random_bytes::<16>()))
        })?,
    )?;
    Ok(t)
}

/// Opens the module: the Lua part receives the native helper table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/websocket.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_websocket")]
fn eco_websocket(lua: &Lua) -> Result<Value> {
    open(lua)
}
