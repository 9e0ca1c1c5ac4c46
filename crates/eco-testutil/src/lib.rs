//! `ecotest`: a test-only native Lua module giving the Lua test suite raw file-descriptor helpers
//! (socket pairs, pipes, plain blocking read/write/close, temporary files, buffer sizes, fd checks).
//!
//! Every function returns `nil, <strerror text>` on an OS error (without Rust's ` (os error N)`
//! suffix) and raises only on wrong argument types or values.
//!
//! Descriptor numbers handed in from Lua are borrowed and closed through `eco_abi`, which holds
//! the only `unsafe` this needs.
#![forbid(unsafe_code)]

use eco_util::fail;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::fd::{BorrowedFd, IntoRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table};
use rustix::io::Errno;

/// The C library's `strerror` text of an OS error, without Rust's " (os error N)" suffix.
fn os_text(err: &std::io::Error) -> String {
    let s = err.to_string();
    match s.rfind(" (os error ") {
        Some(pos) if s.ends_with(')') => s[..pos].to_string(),
        _ => s,
    }
}

fn errno_text(e: Errno) -> String {
    os_text(&std::io::Error::from(e))
}

/// Turns a result into the Lua convention: the values on success, `nil, strerror` on failure.
fn ret<T: IntoLuaMulti>(lua: &Lua, r: Result<T, Errno>) -> LuaResult<MultiValue> {
    match r {
        Ok(v) => v.into_lua_multi(lua),
        Err(e) => fail(lua, errno_text(e)),
    }
}

fn ret_io<T: IntoLuaMulti>(lua: &Lua, r: std::io::Result<T>) -> LuaResult<MultiValue> {
    match r {
        Ok(v) => v.into_lua_multi(lua),
        Err(e) => fail(lua, os_text(&e)),
    }
}

/// Validates a descriptor number coming from Lua. Negative or out-of-range numbers are reported
/// as `EBADF`, like the kernel would.
fn check_fd(fd: mlua::Integer) -> Result<RawFd, Errno> {
    if fd < 0 || fd > RawFd::MAX as mlua::Integer {
        Err(Errno::BADF)
    } else {
        Ok(fd as RawFd)
    }
}

/// Borrows a descriptor number for the duration of one syscall.
fn borrow_fd(fd: mlua::Integer) -> Result<BorrowedFd<'static>, Errno> {
    Ok(eco_abi::borrow_fd(check_fd(fd)?))
}

/// Closes a descriptor number, reporting the error (e.g. EBADF) instead of ignoring it.
fn close_fd(fd: mlua::Integer) -> Result<(), Errno> {
    eco_abi::close_fd(check_fd(fd)?).map_err(Errno::from_raw_os_error)
}

fn tmp_path() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("/tmp/ecotest-{}-{}-{}", std::process::id(), n, nanos)
}

/// Builds the `ecotest` module table.
pub fn open(lua: &Lua) -> LuaResult<Table> {
    let t = lua.create_table()?;

    // socketpair([kind]) -> fd1, fd2
    t.set(
        "socketpair",
        eco_util::function(lua, |lua, kind: Option<mlua::LuaString>| {
            use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
            let ty = match kind.as_ref().map(|k| k.to_string_lossy()) {
                None => SocketType::STREAM,
                Some(k) if k == "stream" => SocketType::STREAM,
                Some(k) if k == "dgram" => SocketType::DGRAM,
                Some(k) => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #1 to 'socketpair' (invalid kind '{k}')"
                    )))
                }
            };
            ret(
                lua,
                socketpair(AddressFamily::UNIX, ty, SocketFlags::CLOEXEC, None)
                    .map(|(a, b)| (a.into_raw_fd(), b.into_raw_fd())),
            )
        })?,
    )?;

    // pipe() -> rfd, wfd
    t.set(
        "pipe",
        eco_util::function(lua, |lua, ()| {
            use rustix::pipe::{pipe_with, PipeFlags};
            ret(
                lua,
                pipe_with(PipeFlags::CLOEXEC).map(|(r, w)| (r.into_raw_fd(), w.into_raw_fd())),
            )
        })?,
    )?;

    // write(fd, data) -> n
    t.set(
        "write",
        eco_util::function(lua, |lua, (fd, data): (mlua::Integer, mlua::LuaString)| {
            let bytes = data.as_bytes();
            ret(
                lua,
                borrow_fd(fd).and_then(|fd| rustix::io::write(fd, &bytes)),
            )
        })?,
    )?;

    // read(fd, n) -> string ('' at EOF)
    t.set(
        "read",
        eco_util::function(lua, |lua, (fd, n): (mlua::Integer, mlua::Integer)| {
            if n < 0 {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'read' (size must be >= 0)",
                ));
            }
            let mut buf = vec![0u8; n as usize];
            match borrow_fd(fd).and_then(|fd| rustix::io::read(fd, &mut buf[..])) {
                Ok(got) => lua.create_string(&buf[..got])?.into_lua_multi(lua),
                Err(e) => fail(lua, errno_text(e)),
            }
        })?,
    )?;

    // close(fd) -> true
    t.set(
        "close",
        eco_util::function(lua, |lua, fd: mlua::Integer| {
            ret(lua, close_fd(fd).map(|()| true))
        })?,
    )?;

    // tmpfile(content) -> path
    t.set(
        "tmpfile",
        eco_util::function(lua, |lua, content: Option<mlua::LuaString>| {
            let path = tmp_path();
            let r = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| match &content {
                    Some(c) => f.write_all(&c.as_bytes()),
                    None => Ok(()),
                })
                .map(|()| path);
            ret_io(lua, r)
        })?,
    )?;

    // open(path[, mode]) -> fd
    t.set(
        "open",
        eco_util::function(
            lua,
            |lua, (path, mode): (mlua::LuaString, Option<mlua::LuaString>)| {
                let path = path.to_str()?.to_string();
                let mode = mode
                    .map(|m| m.to_string_lossy())
                    .unwrap_or_else(|| "r".into());
                let mut o = OpenOptions::new();
                match mode.as_str() {
                    "r" => o.read(true),
                    "w" => o.write(true).create(true).truncate(true),
                    "rw" => o.read(true).write(true),
                    "a" => o.append(true).create(true),
                    other => {
                        return Err(mlua::Error::runtime(format!(
                            "bad argument #2 to 'open' (invalid mode '{other}')"
                        )))
                    }
                };
                ret_io(lua, o.open(&path).map(|f| f.into_raw_fd()))
            },
        )?,
    )?;

    // lseek(fd, off) -> new offset (SEEK_SET)
    t.set(
        "lseek",
        eco_util::function(lua, |lua, (fd, off): (mlua::Integer, mlua::Integer)| {
            if off < 0 {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'lseek' (offset must be >= 0)",
                ));
            }
            ret(
                lua,
                borrow_fd(fd)
                    .and_then(|fd| rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(off as u64)))
                    .map(|pos| pos as mlua::Integer),
            )
        })?,
    )?;

    // set_sndbuf(fd, bytes) -> true
    t.set(
        "set_sndbuf",
        eco_util::function(lua, |lua, (fd, size): (mlua::Integer, mlua::Integer)| {
            let size = usize::try_from(size).map_err(|_| {
                mlua::Error::runtime("bad argument #2 to 'set_sndbuf' (size must be >= 0)")
            })?;
            ret(
                lua,
                borrow_fd(fd)
                    .and_then(|fd| rustix::net::sockopt::set_socket_send_buffer_size(fd, size))
                    .map(|()| true),
            )
        })?,
    )?;

    // set_rcvbuf(fd, bytes) -> true
    t.set(
        "set_rcvbuf",
        eco_util::function(lua, |lua, (fd, size): (mlua::Integer, mlua::Integer)| {
            let size = usize::try_from(size).map_err(|_| {
                mlua::Error::runtime("bad argument #2 to 'set_rcvbuf' (size must be >= 0)")
            })?;
            ret(
                lua,
                borrow_fd(fd)
                    .and_then(|fd| rustix::net::sockopt::set_socket_recv_buffer_size(fd, size))
                    .map(|()| true),
            )
        })?,
    )?;

    // fd_open(fd) -> boolean
    t.set(
        "fd_open",
        eco_util::function(lua, |_, fd: mlua::Integer| {
            Ok(borrow_fd(fd).and_then(rustix::io::fcntl_getfd).is_ok())
        })?,
    )?;

    // fd_count() -> number of open descriptors (not counting the one used to list them)
    t.set(
        "fd_count",
        eco_util::function(lua, |lua, ()| {
            let r = std::fs::read_dir("/proc/self/fd").map(|d| {
                let n = d.count() as mlua::Integer;
                n - 1
            });
            ret_io(lua, r)
        })?,
    )?;

    // getpid() -> integer
    t.set(
        "getpid",
        eco_util::function(lua, |_, ()| {
            Ok(rustix::process::getpid().as_raw_nonzero().get() as mlua::Integer)
        })?,
    )?;

    // fstat_err(fd) -> nil | strerror text
    t.set(
        "fstat_err",
        eco_util::function(lua, |_, fd: mlua::Integer| {
            Ok(match borrow_fd(fd).and_then(rustix::fs::fstat) {
                Ok(_) => None,
                Err(e) => Some(errno_text(e)),
            })
        })?,
    )?;

    // unlink(path) -> true
    t.set(
        "unlink",
        eco_util::function(lua, |lua, path: mlua::LuaString| {
            let path = path.to_str()?.to_string();
            ret_io(lua, std::fs::remove_file(path).map(|()| true))
        })?,
    )?;

    Ok(t)
}

/// Entry point `luaopen_ecotest` for `require 'ecotest'` under stock lua5.4.
#[cfg(feature = "module")]
mod entry {
    use mlua::{Lua, Result as LuaResult, Table};

    #[mlua::lua_module(name = "ecotest")]
    fn ecotest(lua: &Lua) -> LuaResult<Table> {
        super::open(lua)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_os_error_suffix() {
        let e = std::io::Error::from_raw_os_error(9);
        assert_eq!(os_text(&e), "Bad file descriptor");
        assert_eq!(errno_text(Errno::NOENT), "No such file or directory");
    }
}
