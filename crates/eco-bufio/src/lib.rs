//! `eco.bufio`: the legacy buffered reader (spec/bufio.md).
//!
//! The logic lives in Lua (`lua/bufio.lua`) on top of `eco.io(fd)`. This crate adds the little
//! that Lua cannot do, in a native table handed to the chunk as its argument (`...`):
//!
//! * `set_nonblock(fd) -> true | nil, err`: switch the descriptor to `O_NONBLOCK`;
//! * `read(fd, n) -> data | '' (end of stream) | nil, 'again' | nil, err`: one `read(2)` of at
//!   most `n` bytes, `EINTR` retried;
//! * `page_size`: the system page size, the default buffer capacity.
//!
//! Errors use the C library's `strerror` text, without Rust's ` (os error N)` suffix.
//!
//! Descriptor numbers from Lua are borrowed through `eco_abi::borrow_fd`, the one place that
//! needs `unsafe` for it.
#![forbid(unsafe_code)]

use eco_util::fail;
use std::os::fd::BorrowedFd;

use mlua::{IntoLuaMulti, Lua, Table, Value};
use rustix::fs::OFlags;
use rustix::io::Errno;

/// The Lua part of the module. It expects the native table (see [`native`]) as its argument.
pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("bufio.lua");

/// The C library's `strerror` text of an errno, without Rust's " (os error N)" suffix.
fn errno_text(e: Errno) -> String {
    let s = std::io::Error::from(e).to_string();
    match s.rfind(" (os error ") {
        Some(pos) if s.ends_with(')') => s[..pos].to_string(),
        _ => s,
    }
}

/// Borrows a descriptor number for one syscall; impossible numbers are `EBADF`.
fn borrow_fd(fd: mlua::Integer) -> Result<BorrowedFd<'static>, Errno> {
    let raw = eco_abi::checked_fd(fd).map_err(Errno::from_raw_os_error)?;
    Ok(eco_abi::borrow_fd(raw))
}

/// Sets `O_NONBLOCK` on `fd` (one `F_SETFL` only when it is not already set).
fn set_nonblock(fd: mlua::Integer) -> Result<(), Errno> {
    let fd = borrow_fd(fd)?;
    let flags = rustix::fs::fcntl_getfl(fd)?;
    if !flags.contains(OFlags::NONBLOCK) {
        rustix::fs::fcntl_setfl(fd, flags | OFlags::NONBLOCK)?;
    }
    Ok(())
}

/// One `read(2)` of at most `n` bytes, retrying on `EINTR`.
fn read_fd(fd: mlua::Integer, n: usize) -> Result<Vec<u8>, Errno> {
    let fd = borrow_fd(fd)?;
    let mut buf = vec![0u8; n];
    loop {
        match rustix::io::read(fd, &mut buf[..]) {
            Ok(got) => {
                buf.truncate(got);
                return Ok(buf);
            }
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Builds the native helper table passed to `lua/bufio.lua`.
pub fn native(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;

    t.set(
        "set_nonblock",
        eco_util::function(lua, |lua, fd: mlua::Integer| match set_nonblock(fd) {
            Ok(()) => true.into_lua_multi(lua),
            Err(e) => fail(lua, errno_text(e)),
        })?,
    )?;

    t.set(
        "read",
        eco_util::function(lua, |lua, (fd, n): (mlua::Integer, mlua::Integer)| {
            // A zero-length read would look like end of stream: refuse it.
            let n = usize::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                mlua::Error::runtime("bad argument #2 to 'read' (size must be > 0)")
            })?;
            match read_fd(fd, n) {
                Ok(data) => lua.create_string(&data)?.into_lua_multi(lua),
                Err(e) if e == Errno::AGAIN || e == Errno::WOULDBLOCK => fail(lua, "again"),
                Err(e) => fail(lua, errno_text(e)),
            }
        })?,
    )?;

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
    fn errno_text_has_no_rust_suffix() {
        assert_eq!(errno_text(Errno::BADF), "Bad file descriptor");
        assert_eq!(errno_text(Errno::AGAIN), "Resource temporarily unavailable");
    }

    #[test]
    fn bad_descriptors_are_ebadf() {
        assert_eq!(set_nonblock(-1), Err(Errno::BADF));
        assert_eq!(set_nonblock(i64::MAX), Err(Errno::BADF));
        assert_eq!(read_fd(-3, 16), Err(Errno::BADF));
    }
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_bufio")]
fn eco_bufio(lua: &Lua) -> mlua::Result<Value> {
    open(lua)
}
