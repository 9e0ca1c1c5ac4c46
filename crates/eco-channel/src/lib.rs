#![forbid(unsafe_code)]
//! `eco.channel`: a bounded FIFO channel between coroutines (spec/channel.md).
//!
//! The module is pure Lua (`lua/channel.lua`) built on two `eco.sync` condition variables.
//! Under the `eco` interpreter it is opened from the embedded source; for stock `lua5.4` the
//! build tool installs `lua/channel.lua` as `eco/channel.lua`.

/// The Lua source of the module, installed verbatim as `eco/channel.lua` for stock `lua5.4`.
pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("channel.lua");

/// Runs the embedded chunk and returns the module table. `eco.sync` must be loadable
/// (it is required when the chunk runs).
pub fn open(lua: &mlua::Lua) -> mlua::Result<mlua::Value> {
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/channel.lua")
        .call(())
}
