#![forbid(unsafe_code)]
//! `eco.net`: ICMP echo ("ping") helpers (spec/net.md).
//!
//! The module is pure Lua (`lua/net.lua`) over `eco.socket`'s ping sockets (`socket.icmp()` /
//! `socket.icmp6()`), with host names resolved by `eco.dns` and the ICMP messages built and
//! decoded by `eco.packet`.
//! Under the `eco` interpreter it is opened from the embedded source; for stock `lua5.4` the build
//! tool installs `lua/net.lua` as `eco/net.lua`.

/// The Lua source of the module, installed verbatim as `eco/net.lua` for stock `lua5.4`.
pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("net.lua");

/// Runs the embedded chunk and returns the module table. `eco.socket`, `eco.dns`, `eco.time` and
/// `eco.packet` must be loadable (they are required when the chunk runs).
pub fn open(lua: &mlua::Lua) -> mlua::Result<mlua::Value> {
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/net.lua")
        .call(())
}
