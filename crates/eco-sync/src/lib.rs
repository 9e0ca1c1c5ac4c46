//! `eco.sync` (spec/sync.md). The primitives are Lua (`lua/sync.lua`); this crate gives them the
//! one thing Lua cannot do: park the running coroutine with the scheduler and wake it by token,
//! through the core's ABI table (so this works when `eco` and `eco.sync` are separate `.so`
//! files). A wake goes straight onto the scheduler's ready queue: no descriptor is involved.
#![forbid(unsafe_code)]

use eco_abi::{Sched, WAIT_CANCELED, WAIT_TIMEOUT, WAIT_WOKEN};
use mlua::{Lua, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("sync.lua");

fn native(lua: &Lua) -> Result<Table> {
    let s = Sched::get(lua)?;
    let t = lua.create_table()?;
    t.set("WOKEN", WAIT_WOKEN)?;
    t.set("TIMEOUT", WAIT_TIMEOUT)?;
    t.set("CANCELED", WAIT_CANCELED)?;
    // park([timeout]) -> token; the caller then does `coroutine.yield()`, which returns the outcome.
    let (park, wake) = s.park_functions(lua)?;
    t.set("park", park)?;
    t.set("wake", wake)?;
    Ok(t)
}

pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/sync.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_sync")]
fn eco_sync(lua: &Lua) -> Result<Value> {
    open(lua)
}
