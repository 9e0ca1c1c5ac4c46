//! `eco.bufio`: the legacy buffered reader (spec/bufio.md).
//!
//! The logic lives in Lua (`lua/bufio.lua`) over an `eco.reader` of the descriptor, which holds
//! the bytes (`peek`/`skip`, docs/reader.md). The only thing Lua cannot know is the default
//! capacity, handed to the chunk as its argument (`...`) in a native table:
//!
//! * `page_size`: the system page size, the default buffer capacity.
#![forbid(unsafe_code)]

use mlua::{Lua, Table, Value};

/// The Lua part of the module. It expects the native table (see [`native`]) as its argument.
pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("bufio.lua");

/// Builds the native table passed to `lua/bufio.lua`.
pub fn native(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("page_size", rustix::param::page_size() as mlua::Integer)?;
    Ok(t)
}

/// Runs the embedded Lua chunk with the native table and returns the module table.
/// `eco` must be loadable (the chunk requires it).
pub fn open(lua: &Lua) -> mlua::Result<Value> {
    let native = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/bufio.lua")
        .call(native)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_table_has_the_page_size() {
        let lua = Lua::new();
        let t = native(&lua).unwrap();
        let ps: mlua::Integer = t.get("page_size").unwrap();
        assert!(ps >= 4096 && ps.count_ones() == 1);
    }
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_bufio")]
fn eco_bufio(lua: &Lua) -> mlua::Result<Value> {
    open(lua)
}
