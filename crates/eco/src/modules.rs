//! Registers every module of the workspace in `package.preload`.

use mlua::{Function, Lua, Result, Table, Value};

type Opener = fn(&Lua) -> Result<Value>;

pub fn preload_all(lua: &Lua) -> Result<()> {
    let preload: Table = lua.globals().get::<Table>("package")?.get("preload")?;
    // SAFETY: `luaopen_eco` is a valid lua_CFunction for this (vendored) Lua.
    let core = unsafe { lua.create_c_function(eco_sched::luaopen_eco)? };
    preload.set("eco", core)?;
    let rust: &[(&str, Opener)] = &[
        ("eco.socket", eco_socket::open),
        ("eco.internal.socket", eco_socket::open_internal),
        ("eco.time", eco_time::open),
        ("eco.sync", eco_sync::open),
        ("eco.channel", eco_channel::open),
        ("eco.bufio", eco_bufio::open),
        ("eco.cli", eco_cli::open),
        ("eco.sys", eco_sys::open),
        ("eco.hash", eco_hash::open),
        ("eco.hash.md5", eco_hash::open_md5),
        ("eco.hash.sha1", eco_hash::open_sha1),
        ("eco.hash.sha256", eco_hash::open_sha256),
        ("eco.hash.hmac", eco_hash::open_hmac),
        ("eco.encoding", eco_encoding::open),
        ("eco.encoding.base64", eco_encoding::open_base64),
        ("eco.encoding.hex", eco_encoding::open_hex),
        ("eco.shared", eco_shared::open),
        ("eco.file", eco_file::open),
        ("eco.internal.file", eco_file::open_internal),
        ("eco.log", eco_log::open),
        ("eco.ssl", eco_ssl::open),
        ("eco.websocket", eco_websocket::open),
        ("eco.dns", eco_dns::open),
        ("eco.http", eco_http::open),
        ("eco.http.url", eco_http::open_url),
        ("eco.http.client", eco_http::open_client),
        ("eco.http.server", eco_http::open_server),
        ("eco.net", eco_net::open),
        ("eco.mqtt", eco_mqtt::open),
    ];
    for &(name, open) in rust {
        let f: Function = lua.create_function(move |lua, ()| open(lua))?;
        preload.set(name, f)?;
    }
    Ok(())
}
