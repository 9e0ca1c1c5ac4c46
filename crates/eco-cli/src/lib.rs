#![forbid(unsafe_code)]
//! `eco.cli`: a getopt_long-style command-line parser (spec/cli.md).
//!
//! The module is pure Lua (`lua/cli.lua`). Under the `eco` interpreter it is opened from the
//! embedded source; for stock `lua5.4` the build tool installs `lua/cli.lua` as `eco/cli.lua`.

/// The Lua source of the module, installed verbatim as `eco/cli.lua` for stock `lua5.4`.
pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("cli.lua");

/// Runs the embedded chunk and returns the module table.
pub fn open(lua: &mlua::Lua) -> mlua::Result<mlua::Value> {
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/cli.lua")
        .call(())
}
