//! `eco.file` (spec/file.md) and `eco.internal.file` (spec/internal.md).
//!
//! The Rust side holds the thin POSIX wrappers (open/close/lseek/stat/statvfs/access/readlink/
//! chown/mkdir/sync/flock, directory iteration, inotify, dirname/basename) and the constants; the
//! file objects, `walk`, the polling `flock` with timeout and the inotify watcher are Lua
//! (`lua/file.lua`) over `eco.reader`/`eco.writer`.
#![forbid(unsafe_code)]

use eco_util::one;
use std::ffi::OsStr;
use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;

use mlua::{Lua, MetaMethod, MultiValue, Result, Table, UserDataMethods, Value};
use rustix::fs::{Access, FileType, FlockOperation, Mode, OFlags, SeekFrom};
use rustix::io::Errno;

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("file.lua");
/// Wraps the native functions that raise on bad input (see the file).
pub const NATIVE_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("native.lua");

/// `(name, value)` of every integer constant the module exports.
pub const CONSTANTS: &[(&str, i64)] = &[
    ("O_RDONLY", 0),
    ("O_WRONLY", 1),
    ("O_RDWR", 2),
    ("O_CREAT", 0o100),
    ("O_EXCL", 0o200),
    ("O_NOCTTY", 0o400),
    ("O_TRUNC", 0o1000),
    ("O_APPEND", 0o2000),
    ("O_NONBLOCK", 0o4000),
    ("O_CLOEXEC", 0o2000000),
    ("S_IRWXU", 0o700),
    ("S_IRUSR", 0o400),
    ("S_IWUSR", 0o200),
    ("S_IXUSR", 0o100),
    ("S_IRWXG", 0o70),
    ("S_IRGRP", 0o40),
    ("S_IWGRP", 0o20),
    ("S_IXGRP", 0o10),
    ("S_IRWXO", 0o7),
    ("S_IROTH", 0o4),
    ("S_IWOTH", 0o2),
    ("S_IXOTH", 0o1),
    ("S_ISUID", 0o4000),
    ("S_ISGID", 0o2000),
    ("S_ISVTX", 0o1000),
    ("SEEK_SET", 0),
    ("SEEK_CUR", 1),
    ("SEEK_END", 2),
    ("LOCK_SH", 1),
    ("LOCK_EX", 2),
    ("LOCK_UN", 8),
    ("IN_ACCESS", 0x1),
    ("IN_MODIFY", 0x2),
    ("IN_ATTRIB", 0x4),
    ("IN_CLOSE_WRITE", 0x8),
    ("IN_CLOSE_NOWRITE", 0x10),
    ("IN_CLOSE", 0x18),
    ("IN_OPEN", 0x20),
    ("IN_MOVED_FROM", 0x40),
    ("IN_MOVED_TO", 0x80),
    ("IN_MOVE", 0xc0),
    ("IN_CREATE", 0x100),
    ("IN_DELETE", 0x200),
    ("IN_DELETE_SELF", 0x400),
    ("IN_MOVE_SELF", 0x800),
    ("IN_ALL_EVENTS", 0xfff),
    ("IN_ISDIR", 0x4000_0000),
];

// ---- return conventions -----------------------------------------------------------------------

fn fail(lua: &Lua, e: Errno) -> Result<MultiValue> {
    eco_util::os_fail(lua, e.raw_os_error())
}

fn ret_true(lua: &Lua, r: std::result::Result<(), Errno>) -> Result<MultiValue> {
    match r {
        Ok(()) => one(Value::Boolean(true)),
        Err(e) => fail(lua, e),
    }
}

fn fd_of(fd: i64) -> std::result::Result<std::os::fd::BorrowedFd<'static>, Errno> {
    eco_abi::checked_fd(fd)
        .map(eco_abi::borrow_fd)
        .map_err(Errno::from_raw_os_error)
}

fn path_of(s: &mlua::LuaString) -> Vec<u8> {
    s.as_bytes().to_vec()
}

// ---- stat -------------------------------------------------------------------------------------

fn type_name(mode: u32) -> &'static str {
    match FileType::from_raw_mode(mode as _) {
        FileType::RegularFile => "REG",
        FileType::Directory => "DIR",
        FileType::CharacterDevice => "CHR",
        FileType::BlockDevice => "BLK",
        FileType::Fifo => "FIFO",
        FileType::Symlink => "LNK",
        FileType::Socket => "SOCK",
        _ => "",
    }
}

// The field types of `Stat` differ between targets (32-bit, mips64), hence the casts.
#[allow(clippy::unnecessary_cast)]
fn stat_table(lua: &Lua, st: &rustix::fs::Stat) -> Result<Table> {
    let t = lua.create_table_with_capacity(0, 10)?;
    let mode = st.st_mode as u32;
    t.set("type", type_name(mode))?;
    t.set("mode", (mode & 0o777) as i64)?;
    t.set("size", st.st_size as i64)?;
    t.set("ino", st.st_ino as i64)?;
    t.set("nlink", st.st_nlink as i64)?;
    t.set("uid", st.st_uid as i64)?;
    t.set("gid", st.st_gid as i64)?;
    t.set("atime", st.st_atime as i64)?;
    t.set("mtime", st.st_mtime as i64)?;
    t.set("ctime", st.st_ctime as i64)?;
    Ok(t)
}

fn ret_stat(lua: &Lua, r: std::result::Result<rustix::fs::Stat, Errno>) -> Result<MultiValue> {
    match r {
        Ok(st) => one(Value::Table(stat_table(lua, &st)?)),
        Err(e) => fail(lua, e),
    }
}

// ---- dirname / basename (POSIX, on bytes) -----------------------------------------------------

/// POSIX `dirname`: `/a/b/c` -> `/a/b`, `/a/b/` -> `/a`, `a` -> `.`, `` -> `.`, `/` -> `/`.
pub fn dirname(p: &[u8]) -> Vec<u8> {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    if end == 0 {
        return b".".to_vec();
    }
    let Some(slash) = p[..end].iter().rposition(|&c| c == b'/') else {
        return b".".to_vec();
    };
    let mut d = slash;
    while d > 0 && p[d - 1] == b'/' {
        d -= 1;
    }
    if d == 0 {
        return b"/".to_vec();
    }
    p[..d].to_vec()
}

/// POSIX `basename`: `/a/b/` -> `b`, `` -> `.`, `/` -> `/`.
pub fn basename(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let mut end = p.len();
    while end > 0 && p[end - 1] == b'/' {
        end -= 1;
    }
    if end == 0 {
        return b"/".to_vec();
    }
    let start = p[..end]
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    p[start..end].to_vec()
}

// ---- inotify records --------------------------------------------------------------------------

/// One parsed `struct inotify_event`.
#[derive(Debug, PartialEq, Eq)]
pub struct InotifyEvent {
    pub wd: i32,
    pub mask: u32,
    pub name: Option<Vec<u8>>,
}

const INOTIFY_HEADER: usize = 16;

/// Parses raw kernel records (native byte order). `None` when a header or a name is truncated.
pub fn parse_inotify(buf: &[u8]) -> Option<Vec<InotifyEvent>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let h = buf.get(off..off + INOTIFY_HEADER)?;
        let wd = i32::from_ne_bytes(h[0..4].try_into().ok()?);
        let mask = u32::from_ne_bytes(h[4..8].try_into().ok()?);
        let len = u32::from_ne_bytes(h[12..16].try_into().ok()?) as usize;
        let start = off + INOTIFY_HEADER;
        let end = start.checked_add(len)?;
        let raw = buf.get(start..end)?;
        let name = if len == 0 {
            None
        } else {
            let cut = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
            Some(raw[..cut].to_vec())
        };
        out.push(InotifyEvent { wd, mask, name });
        off = end;
    }
    Some(out)
}

// ---- directory iteration ----------------------------------------------------------------------

/// The state (and closing value) of `dir(path)`: the open directory until exhausted or closed.
struct DirState(Option<std::fs::ReadDir>);

/// Installs the `__close` of [`DirState`] (once per Lua state).
fn register_dir(lua: &Lua) -> Result<()> {
    eco_util::register::<DirState>(lua, |r| {
        r.add_meta_method_mut(MetaMethod::Close, |_, this, _: MultiValue| {
            this.0 = None;
            Ok(())
        });
    })
}

fn dir_next(lua: &Lua, st: &mut DirState) -> Result<MultiValue> {
    loop {
        let Some(rd) = st.0.as_mut() else {
            return one(Value::Nil);
        };
        match rd.next() {
            None => {
                st.0 = None;
                return one(Value::Nil);
            }
            Some(Err(_)) => continue,
            Some(Ok(ent)) => {
                let path = ent.path();
                let info = match rustix::fs::stat(&path) {
                    Ok(s) => s,
                    Err(_) => match rustix::fs::lstat(&path) {
                        Ok(s) => s,
                        Err(_) => continue,
                    },
                };
                let name = lua.create_string(ent.file_name().as_bytes())?;
                let info = stat_table(lua, &info)?;
                return Ok(MultiValue::from_vec(vec![
                    Value::String(name),
                    Value::Table(info),
                ]));
            }
        }
    }
}

// ---- the native table -------------------------------------------------------------------------

fn flock_op(op: i64) -> Option<FlockOperation> {
    Some(match op & !4 {
        1 => FlockOperation::NonBlockingLockShared,
        2 => FlockOperation::NonBlockingLockExclusive,
        8 => FlockOperation::NonBlockingUnlock,
        _ => return None,
    })
}

/// Builds the table of native helpers and constants (this is also `eco.internal.file`).
pub fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    for (k, v) in CONSTANTS {
        t.set(*k, *v)?;
    }

    t.set(
        "open",
        eco_util::function(
            lua,
            |lua, (path, flags, mode): (mlua::LuaString, Option<i64>, Option<i64>)| {
                let flags = OFlags::from_bits_retain(flags.unwrap_or(0) as u32);
                let mode = Mode::from_raw_mode(mode.unwrap_or(0) as _);
                match rustix::fs::open(path_of(&path), flags, mode) {
                    Ok(fd) => one(Value::Integer(fd.into_raw_fd() as i64)),
                    Err(e) => fail(lua, e),
                }
            },
        )?,
    )?;

    t.set(
        "close",
        eco_util::function(lua, |lua, fd: i64| {
            let r = eco_abi::checked_fd(fd).and_then(eco_abi::close_fd);
            ret_true(lua, r.map_err(Errno::from_raw_os_error))
        })?,
    )?;

    t.set(
        "lseek",
        eco_util::function(lua, |lua, (fd, off, whence): (i64, i64, i64)| {
            let pos = match whence {
                0 if off >= 0 => SeekFrom::Start(off as u64),
                1 => SeekFrom::Current(off),
                2 => SeekFrom::End(off),
                _ => return fail(lua, Errno::INVAL),
            };
            match fd_of(fd).and_then(|fd| rustix::fs::seek(fd, pos)) {
                Ok(p) => one(Value::Integer(p as i64)),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;

    t.set(
        "stat",
        eco_util::function(lua, |lua, path: mlua::LuaString| {
            ret_stat(lua, rustix::fs::stat(path_of(&path)))
        })?,
    )?;

    t.set(
        "fstat",
        eco_util::function(lua, |lua, fd: i64| {
            ret_stat(lua, fd_of(fd).and_then(rustix::fs::fstat))
        })?,
    )?;

    t.set(
        "statvfs",
        eco_util::function(
            lua,
            |lua, path: mlua::LuaString| match rustix::fs::statvfs(path_of(&path)) {
                Ok(s) => {
                    let frsize = s.f_frsize as f64;
                    let total = s.f_blocks as f64 * frsize / 1024.0;
                    let avail = s.f_bavail as f64 * frsize / 1024.0;
                    let used = (s.f_blocks as f64 - s.f_bfree as f64) * frsize / 1024.0;
                    Ok(MultiValue::from_vec(vec![
                        Value::Number(total),
                        Value::Number(avail),
                        Value::Number(used),
                    ]))
                }
                Err(e) => fail(lua, e),
            },
        )?,
    )?;

    t.set(
        "access",
        eco_util::function(
            lua,
            |_, (path, mode): (mlua::LuaString, Option<mlua::LuaString>)| {
                let how = match mode {
                    None => Access::EXISTS,
                    Some(m) => {
                        let m = m.as_bytes();
                        if m.contains(&b'x') {
                            Access::EXEC_OK
                        } else if m.contains(&b'w') {
                            Access::WRITE_OK
                        } else if m.contains(&b'r') {
                            Access::READ_OK
                        } else {
                            Access::EXISTS
                        }
                    }
                };
                Ok(rustix::fs::access(path_of(&path), how).is_ok())
            },
        )?,
    )?;

    t.set(
        "readlink",
        eco_util::function(
            lua,
            |lua, path: mlua::LuaString| match rustix::fs::readlink(path_of(&path), Vec::new()) {
                Ok(target) => one(Value::String(lua.create_string(target.as_bytes())?)),
                Err(e) => fail(lua, e),
            },
        )?,
    )?;

    t.set(
        "chown",
        eco_util::function(
            lua,
            |lua, (path, uid, gid): (mlua::LuaString, Value, Value)| {
                let id = |v: &Value| match v {
                    Value::Integer(i) => u32::try_from(*i).ok(),
                    Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64 => {
                        Some(*n as u32)
                    }
                    _ => None,
                };
                let uid = id(&uid).map(rustix::fs::Uid::from_raw);
                let gid = id(&gid).map(rustix::fs::Gid::from_raw);
                ret_true(lua, rustix::fs::chown(path_of(&path), uid, gid))
            },
        )?,
    )?;

    t.set(
        "mkdir",
        eco_util::function(lua, |lua, (path, mode): (mlua::LuaString, Option<i64>)| {
            // A negative mode is rejected (raised) by the Lua wrapper in lua/native.lua.
            let mode = mode.unwrap_or(0o777).max(0);
            ret_true(
                lua,
                rustix::fs::mkdir(path_of(&path), Mode::from_raw_mode(mode as _)),
            )
        })?,
    )?;

    t.set(
        "sync",
        eco_util::function(lua, |_, ()| {
            rustix::fs::sync();
            Ok(())
        })?,
    )?;

    t.set(
        "dirname",
        eco_util::function(lua, |lua, path: mlua::LuaString| {
            lua.create_string(dirname(&path.as_bytes()))
        })?,
    )?;
    t.set(
        "basename",
        eco_util::function(lua, |lua, path: mlua::LuaString| {
            lua.create_string(basename(&path.as_bytes()))
        })?,
    )?;

    t.set(
        "flock",
        eco_util::function(lua, |_, (fd, op): (i64, i64)| {
            let r = match flock_op(op) {
                Some(op) => fd_of(fd).and_then(|fd| rustix::fs::flock(fd, op)),
                None => Err(Errno::INVAL),
            };
            match r {
                Ok(()) => one(Value::Boolean(true)),
                Err(e) => Ok(MultiValue::from_vec(vec![
                    Value::Nil,
                    Value::Integer(e.raw_os_error() as i64),
                ])),
            }
        })?,
    )?;

    register_dir(lua)?;
    let next = eco_util::method_mut(lua, "dir state", |lua, st: &mut DirState, _: Value| {
        dir_next(lua, st)
    })?;
    t.set(
        "dir",
        eco_util::function(lua, move |lua, path: mlua::LuaString| {
            let rd = std::fs::read_dir(OsStr::from_bytes(&path.as_bytes())).ok();
            let state = lua.create_any_userdata(DirState(rd))?;
            Ok(MultiValue::from_vec(vec![
                Value::Function(next.clone()),
                Value::UserData(state.clone()),
                Value::Nil,
                Value::UserData(state),
            ]))
        })?,
    )?;

    t.set(
        "inotify_init",
        eco_util::function(lua, |lua, ()| {
            use rustix::fs::inotify::CreateFlags;
            match rustix::fs::inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC) {
                Ok(fd) => one(Value::Integer(fd.into_raw_fd() as i64)),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;

    t.set(
        "inotify_add_watch",
        eco_util::function(lua, |lua, (fd, path, mask): (i64, mlua::LuaString, i64)| {
            use rustix::fs::inotify::WatchFlags;
            let flags = WatchFlags::from_bits_retain(mask as u32);
            match fd_of(fd).and_then(|fd| rustix::fs::inotify::add_watch(fd, path_of(&path), flags))
            {
                Ok(wd) => one(Value::Integer(wd as i64)),
                Err(e) => fail(lua, e),
            }
        })?,
    )?;

    t.set(
        "inotify_rm_watch",
        eco_util::function(lua, |lua, (fd, wd): (i64, i64)| {
            let r = match i32::try_from(wd) {
                Ok(wd) => fd_of(fd).and_then(|fd| rustix::fs::inotify::remove_watch(fd, wd)),
                Err(_) => Err(Errno::INVAL),
            };
            ret_true(lua, r)
        })?,
    )?;

    t.set(
        "inotify_parse_event",
        eco_util::function(lua, |lua, buf: mlua::LuaString| {
            let Some(events) = parse_inotify(&buf.as_bytes()) else {
                // Raised by the Lua wrapper in lua/native.lua.
                return Ok(MultiValue::from_vec(vec![
                    Value::Boolean(false),
                    Value::String(lua.create_string("invalid inotify event buffer")?),
                ]));
            };
            let out = lua.create_table_with_capacity(events.len(), 0)?;
            for (i, ev) in events.iter().enumerate() {
                let e = lua.create_table_with_capacity(0, 3)?;
                e.set("wd", ev.wd as i64)?;
                e.set("mask", ev.mask as i64)?;
                if let Some(name) = &ev.name {
                    e.set("name", lua.create_string(name)?)?;
                }
                out.raw_set(i + 1, e)?;
            }
            one(Value::Table(out))
        })?,
    )?;

    lua.load(NATIVE_SOURCE.text())
        .set_name("@eco/file_native.lua")
        .call(t)
}

/// Helpers the Lua part needs but that are not part of the module's public names.
fn private(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("EWOULDBLOCK", Errno::WOULDBLOCK.raw_os_error() as i64)?;
    t.set(
        "strerror",
        eco_util::function(lua, |_, errno: i32| Ok(eco_abi::strerror(errno)))?,
    )?;
    t.set("monotonic", eco_util::monotonic_function(lua)?)?;
    Ok(t)
}

/// Opens `eco.file`: the Lua part receives the native helpers and the private helpers.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    let p = private(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/file.lua")
        .call((n, p))
}

/// Opens `eco.internal.file`: the raw native helpers and constants.
pub fn open_internal(lua: &Lua) -> Result<Value> {
    Ok(Value::Table(native(lua)?))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_file")]
fn eco_file(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_internal_file")]
fn eco_internal_file(lua: &Lua) -> Result<Value> {
    open_internal(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_dirname() {
        for (p, d) in [
            ("/a/b/c", "/a/b"),
            ("/a/b/", "/a"),
            ("a", "."),
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("/a", "/"),
            ("a/b", "a"),
            ("a//b//", "a"),
            ("///a///b", "///a"),
        ] {
            assert_eq!(dirname(p.as_bytes()), d.as_bytes(), "dirname({p:?})");
        }
    }

    #[test]
    fn posix_basename() {
        for (p, b) in [
            ("/a/b/c", "c"),
            ("/a/b/", "b"),
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("a", "a"),
            ("a//", "a"),
        ] {
            assert_eq!(basename(p.as_bytes()), b.as_bytes(), "basename({p:?})");
        }
    }

    fn record(wd: i32, mask: u32, name: &[u8], len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(name);
        v
    }

    #[test]
    fn inotify_records() {
        assert_eq!(parse_inotify(b""), Some(vec![]));
        let mut buf = record(1, 0x100, b"x\0pad\0\0\0", 8);
        buf.extend(record(2, 0x400, b"", 0));
        let ev = parse_inotify(&buf).unwrap();
        assert_eq!(
            ev,
            vec![
                InotifyEvent {
                    wd: 1,
                    mask: 0x100,
                    name: Some(b"x".to_vec())
                },
                InotifyEvent {
                    wd: 2,
                    mask: 0x400,
                    name: None
                },
            ]
        );
        assert_eq!(parse_inotify(&[0u8; 15]), None);
        assert_eq!(parse_inotify(&record(1, 1, b"a", 8)), None);
        assert_eq!(parse_inotify(&record(1, 1, b"", u32::MAX)), None);
    }
}
