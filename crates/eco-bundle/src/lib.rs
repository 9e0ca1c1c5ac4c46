//! The bundle: one cdylib exporting `luaopen_eco` and the `luaopen_eco_*` entry points of every
//! module crate enabled by a feature. Installed as `eco.so`, with `eco/<m>.so` links to it, it
//! holds one copy of std and mlua for all of them (docs/packaging.md, "The bundle").
//!
//! Naming a crate here is what links it in; its `#[no_mangle]` entry points are then exported.
#![forbid(unsafe_code)]

#[cfg(feature = "eco-bufio")]
pub use eco_bufio;
#[cfg(feature = "eco-dns")]
pub use eco_dns;
#[cfg(feature = "eco-encoding")]
pub use eco_encoding;
#[cfg(feature = "eco-file")]
pub use eco_file;
#[cfg(feature = "eco-hash")]
pub use eco_hash;
#[cfg(feature = "eco-http")]
pub use eco_http;
#[cfg(feature = "eco-log")]
pub use eco_log;
#[cfg(feature = "eco-mqtt")]
pub use eco_mqtt;
#[cfg(feature = "eco-netlink")]
pub use eco_netlink;
#[cfg(feature = "eco-nl80211")]
pub use eco_nl80211;
#[cfg(feature = "eco-packet")]
pub use eco_packet;
pub use eco_sched;
#[cfg(feature = "eco-shared")]
pub use eco_shared;
#[cfg(feature = "eco-socket")]
pub use eco_socket;
#[cfg(feature = "eco-ssh")]
pub use eco_ssh;
#[cfg(feature = "eco-ssl")]
pub use eco_ssl;
#[cfg(feature = "eco-sync")]
pub use eco_sync;
#[cfg(feature = "eco-sys")]
pub use eco_sys;
#[cfg(feature = "eco-termios")]
pub use eco_termios;
#[cfg(feature = "eco-time")]
pub use eco_time;
#[cfg(feature = "eco-ubus")]
pub use eco_ubus;
#[cfg(feature = "eco-uci")]
pub use eco_uci;
#[cfg(feature = "eco-websocket")]
pub use eco_websocket;
