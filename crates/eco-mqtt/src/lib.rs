//! `eco.mqtt` (spec/mqtt.md): an MQTT 3.1.1 client. The packet codec is Rust ([`codec`]); the
//! protocol flow (session, timers, acknowledgements, events) is Lua (`lua/mqtt.lua`) over
//! `eco.socket` / `eco.ssl`.
#![forbid(unsafe_code)]

pub mod codec;

use codec::{Packet, Will};
use eco_util::fail;
use mlua::{Lua, MultiValue, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("mqtt.lua");

fn bytes(s: &mlua::LuaString) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn opt_bytes(s: &Option<mlua::LuaString>) -> Option<Vec<u8>> {
    s.as_ref().map(bytes)
}

fn qos_of(q: i64) -> Result<u8> {
    u8::try_from(q)
        .ok()
        .filter(|q| *q <= 2)
        .ok_or_else(|| mlua::Error::runtime("expecting qos to be 0 or 1 or 2"))
}

fn mid_of(m: i64) -> Result<u16> {
    u16::try_from(m)
        .ok()
        .filter(|m| *m != 0)
        .ok_or_else(|| mlua::Error::runtime("invalid packet id"))
}

/// Encodes `p` into a Lua string; encoding errors raise.
fn wire(lua: &Lua, p: &Packet) -> Result<mlua::LuaString> {
    let v = codec::encode(p).map_err(|e| mlua::Error::runtime(e.to_string()))?;
    lua.create_string(v)
}

/// A decoded packet as a Lua table (`type`, `flags` and the packet's own fields).
fn packet_table(lua: &Lua, first: u8, p: Packet) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("type", first >> 4)?;
    t.set("flags", first & 0x0f)?;
    match p {
        Packet::Connack {
            session_present,
            rc,
        } => {
            t.set("session_present", session_present)?;
            t.set("rc", rc)?;
        }
        Packet::Publish {
            dup,
            qos,
            retain,
            topic,
            mid,
            payload,
        } => {
            t.set("dup", dup)?;
            t.set("qos", qos)?;
            t.set("retain", retain)?;
            t.set("topic", lua.create_string(topic)?)?;
            t.set("mid", mid)?;
            t.set("payload", lua.create_string(payload)?)?;
        }
        Packet::Puback(m)
        | Packet::Pubrec(m)
        | Packet::Pubrel(m)
        | Packet::Pubcomp(m)
        | Packet::Unsuback(m) => t.set("mid", m)?,
        Packet::Suback { mid, rcs } => {
            t.set("mid", mid)?;
            t.set("rcs", lua.create_sequence_from(rcs)?)?;
        }
        Packet::Subscribe { mid, filters } => {
            t.set("mid", mid)?;
            let f = lua.create_table()?;
            for (i, (topic, qos)) in filters.into_iter().enumerate() {
                let e = lua.create_table()?;
                e.set("topic", lua.create_string(topic)?)?;
                e.set("qos", qos)?;
                f.set(i + 1, e)?;
            }
            t.set("filters", f)?;
        }
        Packet::Unsubscribe { mid, topics } => {
            t.set("mid", mid)?;
            let f = lua.create_table()?;
            for (i, topic) in topics.into_iter().enumerate() {
                f.set(i + 1, lua.create_string(topic)?)?;
            }
            t.set("topics", f)?;
        }
        Packet::Connect {
            client_id,
            keepalive,
            clean_session,
            ..
        } => {
            t.set("id", lua.create_string(client_id)?)?;
            t.set("keepalive", keepalive)?;
            t.set("clean_session", clean_session)?;
        }
        Packet::Pingreq | Packet::Pingresp | Packet::Disconnect => {}
    }
    Ok(t)
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("MAX_REMAINING_LENGTH", codec::MAX_REMAINING_LENGTH)?;
    t.set("PINGREQ", wire(lua, &Packet::Pingreq)?)?;
    t.set("DISCONNECT", wire(lua, &Packet::Disconnect)?)?;

    // connect(id, keepalive, clean_session, will_topic?, will_payload?, will_qos?, will_retain?,
    //         username?, password?) -> packet string
    #[allow(clippy::type_complexity)]
    let connect = eco_util::function(
        lua,
        |lua,
         (id, keepalive, clean, wt, wp, wq, wr, user, pass): (
            mlua::LuaString,
            i64,
            bool,
            Option<mlua::LuaString>,
            Option<mlua::LuaString>,
            Option<i64>,
            Option<bool>,
            Option<mlua::LuaString>,
            Option<mlua::LuaString>,
        )| {
            let keepalive = u16::try_from(keepalive)
                .map_err(|_| mlua::Error::runtime("keepalive out of range"))?;
            let will = match wt {
                Some(topic) => Some(Will {
                    topic: bytes(&topic),
                    payload: opt_bytes(&wp).unwrap_or_default(),
                    qos: qos_of(wq.unwrap_or(0))?,
                    retain: wr.unwrap_or(false),
                }),
                None => None,
            };
            wire(
                lua,
                &Packet::Connect {
                    client_id: bytes(&id),
                    keepalive,
                    clean_session: clean,
                    will,
                    username: opt_bytes(&user),
                    password: opt_bytes(&pass),
                },
            )
        },
    )?;
    t.set("connect", connect)?;

    // publish(topic, payload, qos, retain, dup, mid?) -> packet string
    t.set(
        "publish",
        eco_util::function(
            lua,
            |lua,
             (topic, payload, qos, retain, dup, mid): (
                mlua::LuaString,
                mlua::LuaString,
                i64,
                bool,
                bool,
                Option<i64>,
            )| {
                let qos = qos_of(qos)?;
                let mid = if qos > 0 {
                    Some(mid_of(mid.unwrap_or(0))?)
                } else {
                    None
                };
                wire(
                    lua,
                    &Packet::Publish {
                        dup,
                        qos,
                        retain,
                        topic: bytes(&topic),
                        mid,
                        payload: bytes(&payload),
                    },
                )
            },
        )?,
    )?;

    // ack(type, mid) -> PUBACK/PUBREC/PUBREL/PUBCOMP/UNSUBACK packet string
    t.set(
        "ack",
        eco_util::function(lua, |lua, (typ, mid): (u8, i64)| {
            let m = u16::try_from(mid).map_err(|_| mlua::Error::runtime("invalid packet id"))?;
            let p = match typ {
                codec::PUBACK => Packet::Puback(m),
                codec::PUBREC => Packet::Pubrec(m),
                codec::PUBREL => Packet::Pubrel(m),
                codec::PUBCOMP => Packet::Pubcomp(m),
                codec::UNSUBACK => Packet::Unsuback(m),
                _ => return Err(mlua::Error::runtime("invalid ack type")),
            };
            wire(lua, &p)
        })?,
    )?;

    // subscribe(mid, topics, qoss) -> packet string
    t.set(
        "subscribe",
        eco_util::function(
            lua,
            |lua, (mid, topics, qoss): (i64, Vec<mlua::LuaString>, Vec<i64>)| {
                let mut filters = Vec::with_capacity(topics.len());
                for (i, topic) in topics.iter().enumerate() {
                    filters.push((bytes(topic), qos_of(qoss.get(i).copied().unwrap_or(0))?));
                }
                wire(
                    lua,
                    &Packet::Subscribe {
                        mid: mid_of(mid)?,
                        filters,
                    },
                )
            },
        )?,
    )?;

    // unsubscribe(mid, topics) -> packet string
    t.set(
        "unsubscribe",
        eco_util::function(lua, |lua, (mid, topics): (i64, Vec<mlua::LuaString>)| {
            wire(
                lua,
                &Packet::Unsubscribe {
                    mid: mid_of(mid)?,
                    topics: topics.iter().map(bytes).collect(),
                },
            )
        })?,
    )?;

    // remaining_length(bytes) -> len, used | false (need more) | nil, err
    t.set(
        "remaining_length",
        eco_util::function(
            lua,
            |lua, hdr: mlua::LuaString| match codec::remaining_length(&hdr.as_bytes()) {
                Ok(Some((len, used))) => Ok(MultiValue::from_vec(vec![
                    Value::Integer(len as i64),
                    Value::Integer(used as i64),
                ])),
                Ok(None) => Ok(MultiValue::from_vec(vec![Value::Boolean(false)])),
                Err(e) => fail(lua, e.to_string()),
            },
        )?,
    )?;

    // decode(first_byte, body) -> packet table | nil, err
    t.set(
        "decode",
        eco_util::function(
            lua,
            |lua, (first, body): (u8, mlua::LuaString)| match codec::decode_body(
                first,
                &body.as_bytes(),
            ) {
                Ok(p) => Ok(MultiValue::from_vec(vec![Value::Table(packet_table(
                    lua, first, p,
                )?)])),
                Err(e) => fail(lua, e.to_string()),
            },
        )?,
    )?;

    // encode_packet{ type = .., ... } is not needed by the client; tests build raw bytes.
    Ok(t)
}

/// Builds the module table (`require 'eco.mqtt'`).
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/mqtt.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_mqtt")]
fn eco_mqtt(lua: &Lua) -> Result<Value> {
    open(lua)
}
