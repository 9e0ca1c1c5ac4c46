//! `eco.hash.md5`, `eco.hash.sha1`, `eco.hash.sha256` and `eco.hash.hmac` (spec/hash.md) on
//! RustCrypto's `md-5`, `sha1`, `sha2` and `hmac` crates.
//!
//! One crate, one `.so` (`eco/hash.so`) with an entry point per module: `luaopen_eco_hash_md5`,
//! `luaopen_eco_hash_sha1`, `luaopen_eco_hash_sha256`, `luaopen_eco_hash_hmac`, and
//! `luaopen_eco_hash` (a table of the four). The files `eco/hash/<m>.lua` are 3-line aliases that
//! load the matching entry point of `eco/hash.so`.
//!
//! Digests are raw bytes. The hot paths (`sum`, `update`) are native and borrow the Lua string
//! without copying it; `hmac.new`'s argument checks are Lua (`lua/hmac.lua`).
#![forbid(unsafe_code)]

use hmac::{KeyInit, Mac};
use md5::Md5;
use mlua::{Lua, MultiValue, Result, Table, UserDataFields, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const HMAC_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("hmac.lua");

/// The three digests, in the order the native `hmac_new` numbers them (1, 2, 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Md5 = 1,
    Sha1 = 2,
    Sha256 = 3,
}

impl Kind {
    /// The module's `mtname` field (spec/hash.md section 1), which `hmac` recognises.
    pub fn mtname(self) -> &'static str {
        match self {
            Kind::Md5 => "struct md5_ctx *",
            Kind::Sha1 => "struct sha1_ctx *",
            Kind::Sha256 => "struct sha256_ctx *",
        }
    }

    fn from_index(i: i64) -> Option<Kind> {
        match i {
            1 => Some(Kind::Md5),
            2 => Some(Kind::Sha1),
            3 => Some(Kind::Sha256),
            _ => None,
        }
    }
}

/// One-shot digest of `data`.
pub fn digest(kind: Kind, data: &[u8]) -> Vec<u8> {
    match kind {
        Kind::Md5 => Md5::digest(data).to_vec(),
        Kind::Sha1 => Sha1::digest(data).to_vec(),
        Kind::Sha256 => Sha256::digest(data).to_vec(),
    }
}

/// One-shot HMAC (RFC 2104, 64-byte block: keys longer than 64 bytes are hashed first).
pub fn hmac(kind: Kind, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = HmacState::new(kind, key);
    h.update(data);
    h.finish()
}

enum State {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl State {
    fn new(kind: Kind) -> State {
        match kind {
            Kind::Md5 => State::Md5(Md5::new()),
            Kind::Sha1 => State::Sha1(Sha1::new()),
            Kind::Sha256 => State::Sha256(Sha256::new()),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            State::Md5(h) => h.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }
    fn finish(self) -> Vec<u8> {
        match self {
            State::Md5(h) => h.finalize().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

enum HmacState {
    Md5(hmac::Hmac<Md5>),
    Sha1(hmac::Hmac<Sha1>),
    Sha256(hmac::Hmac<Sha256>),
}

impl HmacState {
    fn new(kind: Kind, key: &[u8]) -> HmacState {
        // HMAC accepts keys of any length: new_from_slice cannot fail for these hashes.
        match kind {
            Kind::Md5 => HmacState::Md5(
                hmac::Hmac::<Md5>::new_from_slice(key).expect("HMAC takes any key length"),
            ),
            Kind::Sha1 => HmacState::Sha1(
                hmac::Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length"),
            ),
            Kind::Sha256 => HmacState::Sha256(
                hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
            ),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            HmacState::Md5(h) => h.update(data),
            HmacState::Sha1(h) => h.update(data),
            HmacState::Sha256(h) => h.update(data),
        }
    }
    fn finish(self) -> Vec<u8> {
        match self {
            HmacState::Md5(h) => h.finalize().into_bytes().to_vec(),
            HmacState::Sha1(h) => h.finalize().into_bytes().to_vec(),
            HmacState::Sha256(h) => h.finalize().into_bytes().to_vec(),
        }
    }
}

/// `luaL_checklstring`: a string, or a number converted to its Lua string form; anything else
/// raises `bad argument #n to 'f' (string expected, got T)` (`n` counts `self` for methods).
fn check_string(lua: &Lua, v: Value, n: usize) -> Result<mlua::LuaString> {
    match v {
        Value::String(s) => Ok(s),
        Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())?
            .ok_or_else(|| eco_util::type_error(n, "string", &v)),
        other => Err(eco_util::type_error(n, "string", &other)),
    }
}

/// An incremental digest context (`M.new()`); spent by `final`.
struct DigestCtx {
    kind: Kind,
    state: Option<State>,
}

fn spent(kind: Kind, what: &str) -> mlua::Error {
    mlua::Error::runtime(format!(
        "{what}: the {} context is finalized (create a new one with new())",
        match kind {
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
        }
    ))
}

/// Installs the methods of [`DigestCtx`] (once per Lua state).
fn register_digest(lua: &Lua) -> Result<()> {
    let update = eco_util::method_mut(
        lua,
        "hash context",
        |lua, this: &mut DigestCtx, data: Value| {
            let s = check_string(lua, data, 2)?;
            let kind = this.kind;
            let st = this.state.as_mut().ok_or_else(|| spent(kind, "update"))?;
            st.update(&s.as_bytes());
            Ok(())
        },
    )?;
    let fin = eco_util::method_mut(lua, "hash context", |lua, this: &mut DigestCtx, ()| {
        let st = this.state.take().ok_or_else(|| spent(this.kind, "final"))?;
        lua.create_string(st.finish())
    })?;
    eco_util::register::<DigestCtx>(lua, move |r| {
        r.add_field("update", update);
        r.add_field("final", fin);
    })
}

/// An incremental HMAC context (`hmac.new(...)`); spent by `final`.
struct HmacCtx {
    state: Option<HmacState>,
}

/// Installs the methods of [`HmacCtx`] (once per Lua state).
fn register_hmac(lua: &Lua) -> Result<()> {
    let update =
        eco_util::method_mut(lua, "hmac context", |_, this: &mut HmacCtx, data: Value| {
            let Value::String(s) = data else {
                return Err(eco_util::error("expecting data to be a string"));
            };
            let st = this
                .state
                .as_mut()
                .ok_or_else(|| eco_util::error("update: the hmac context is finalized"))?;
            st.update(&s.as_bytes());
            Ok(())
        })?;
    let fin = eco_util::method_mut(lua, "hmac context", |lua, this: &mut HmacCtx, ()| {
        let st = this
            .state
            .take()
            .ok_or_else(|| eco_util::error("final: the hmac context is finalized"))?;
        lua.create_string(st.finish())
    })?;
    eco_util::register::<HmacCtx>(lua, move |r| {
        r.add_field("update", update);
        r.add_field("final", fin);
    })
}

/// The table of one digest module: `mtname`, `sum`, `new`.
pub fn open_digest(lua: &Lua, kind: Kind) -> Result<Value> {
    register_digest(lua)?;
    let t = lua.create_table()?;
    t.set("mtname", kind.mtname())?;
    t.set(
        "sum",
        eco_util::function(lua, move |lua, data: Value| {
            let s = check_string(lua, data, 1)?;
            let d = digest(kind, &s.as_bytes());
            lua.create_string(d)
        })?,
    )?;
    t.set(
        "new",
        eco_util::function(lua, move |lua, ()| {
            lua.create_any_userdata(DigestCtx {
                kind,
                state: Some(State::new(kind)),
            })
        })?,
    )?;
    Ok(Value::Table(t))
}

pub fn open_md5(lua: &Lua) -> Result<Value> {
    open_digest(lua, Kind::Md5)
}

pub fn open_sha1(lua: &Lua) -> Result<Value> {
    open_digest(lua, Kind::Sha1)
}

pub fn open_sha256(lua: &Lua) -> Result<Value> {
    open_digest(lua, Kind::Sha256)
}

/// `eco.hash.hmac`: the native `new(kind, key)` under the Lua part's argument checks.
pub fn open_hmac(lua: &Lua) -> Result<Value> {
    register_hmac(lua)?;
    let native = lua.create_table()?;
    for k in [Kind::Md5, Kind::Sha1, Kind::Sha256] {
        native.set(k.mtname(), k as i64)?;
    }
    native.set(
        "new",
        eco_util::function(lua, |lua, (kind, key): (i64, mlua::LuaString)| {
            let kind = Kind::from_index(kind)
                .ok_or_else(|| mlua::Error::runtime("expecting hash to be a hash module"))?;
            lua.create_any_userdata(HmacCtx {
                state: Some(HmacState::new(kind, &key.as_bytes())),
            })
        })?,
    )?;
    native.set(
        "sum",
        eco_util::function(
            lua,
            |lua, (kind, key, data): (i64, mlua::LuaString, Value)| {
                let kind = Kind::from_index(kind)
                    .ok_or_else(|| mlua::Error::runtime("expecting hash to be a hash module"))?;
                let Value::String(data) = data else {
                    return Err(mlua::Error::runtime("expecting data to be a string"));
                };
                lua.create_string(hmac(kind, &key.as_bytes(), &data.as_bytes()))
            },
        )?,
    )?;
    lua.load(HMAC_SOURCE.text())
        .set_name("@eco/hash/hmac.lua")
        .call(native)
}

/// `eco.hash`: `{ md5 = ..., sha1 = ..., sha256 = ..., hmac = ... }`, each loaded through
/// `require` so that the tables are the same ones `require 'eco.hash.<m>'` returns.
pub fn open(lua: &Lua) -> Result<Value> {
    let require: mlua::Function = lua.globals().get("require")?;
    let t: Table = lua.create_table()?;
    for m in ["md5", "sha1", "sha256", "hmac"] {
        let r: MultiValue = require.call(format!("eco.hash.{m}"))?;
        t.set(m, r.into_iter().next().unwrap_or(Value::Nil))?;
    }
    Ok(Value::Table(t))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_hash")]
fn eco_hash(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_hash_md5")]
fn eco_hash_md5(lua: &Lua) -> Result<Value> {
    open_md5(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_hash_sha1")]
fn eco_hash_sha1(lua: &Lua) -> Result<Value> {
    open_sha1(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_hash_sha256")]
fn eco_hash_sha256(lua: &Lua) -> Result<Value> {
    open_sha256(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_hash_hmac")]
fn eco_hash_hmac(lua: &Lua) -> Result<Value> {
    open_hmac(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn vectors() {
        assert_eq!(
            hex(&digest(Kind::Md5, b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&digest(Kind::Sha1, b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&digest(Kind::Sha256, b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let fox = b"The quick brown fox jumps over the lazy dog";
        assert_eq!(
            hex(&hmac(Kind::Md5, b"key", fox)),
            "80070713463e7749b90c2dc24911e275"
        );
        assert_eq!(
            hex(&hmac(Kind::Sha256, b"key", fox)),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn lua_api() {
        let lua = Lua::new();
        let md5 = open_md5(&lua).unwrap();
        let hm = open_hmac(&lua).unwrap();
        lua.globals().set("md5", md5).unwrap();
        lua.globals().set("hmac", hm).unwrap();
        lua.load(
            r#"
            assert(#md5.sum('') == 16)
            assert(md5.sum(123) == md5.sum('123'))
            local c = md5.new(); c:update('a'); c:update('bc')
            assert(c:final() == md5.sum('abc'))
            assert(not pcall(c.update, c, 'x'))
            assert(not pcall(md5.sum, {}))
            local h = hmac.new(md5, 'key'); h:update('abc')
            assert(h:final() == hmac.sum(md5, 'key', 'abc'))
            local ok, e = pcall(hmac.new, {}, 'k')
            assert(not ok and tostring(e):find('expecting hash to be a hash module', 1, true))
            "#,
        )
        .exec()
        .unwrap();
    }
}
