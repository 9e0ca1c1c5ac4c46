//! Registers every module of the workspace in `package.preload`.

use mlua::{Function, Lua, Result, Table, Value};

type Opener = fn(&Lua) -> Result<Value>;

pub fn preload_all(lua: &Lua) -> Result<()> {
    let preload: Table = lua.globals().get::<Table>("package")?.get("preload")?;
    // SAFETY: `luaopen_eco` is a valid lua_CFunction for this (vendored) Lua.
    let core = unsafe { lua.create_c_function(eco_sched::luaopen_eco)? };
    preload.set("eco", core)?;
    let rust: [(&str, Opener); 5] = [
        ("eco.time", eco_time::open),
        ("eco.sync", eco_sync::open),
        ("eco.channel", eco_channel::open),
        ("eco.bufio", eco_bufio::open),
        ("eco.cli", eco_cli::open),
    ];
    for (name, open) in rust {
        let f: Function = lua.create_function(move |lua, ()| open(lua))?;
        preload.set(name, f)?;
    }
    Ok(())
}
