//! `eco.log` (spec/log.md). The record building (levels, argument joining, location prefix, line
//! splitting, timestamps) is Lua (`lua/log.lua`); this crate gives it the OS side: the process
//! name and pid, `isatty`, appending to a file, size-based rotation, and the syslog(3) wire
//! protocol over the `/dev/log` Unix datagram socket.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use mlua::{Lua, LuaString, Result, Table, Value};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("log.lua");

/// Where syslog(3) sends its records.
pub const SYSLOG_PATH: &str = "/dev/log";

/// The connection to the syslog daemon, opened lazily and reopened after an error.
#[derive(Default)]
struct Syslog {
    sock: Option<UnixDatagram>,
}

impl Syslog {
    /// Sends one record; never blocks (a full receive queue drops the record) and never fails.
    fn send(&mut self, data: &[u8]) {
        for _ in 0..2 {
            if self.sock.is_none() {
                let Ok(s) = UnixDatagram::unbound() else {
                    return;
                };
                if s.connect(SYSLOG_PATH).is_err() || s.set_nonblocking(true).is_err() {
                    return;
                }
                self.sock = Some(s);
            }
            let Some(s) = &self.sock else { return };
            match s.send(data) {
                Ok(_) => return,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                // The daemon went away or restarted: reconnect once.
                Err(_) => self.sock = None,
            }
        }
    }
}

fn os_path(s: &LuaString) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(&s.as_bytes()))
}

/// The process name as the kernel reports it (`/proc/self/comm`), at most 15 bytes.
pub fn process_name() -> Vec<u8> {
    let mut name = fs::read("/proc/self/comm").unwrap_or_default();
    while name.last().is_some_and(|c| *c == b'\n') {
        name.pop();
    }
    name.truncate(15);
    name
}

/// Parses the sequence number of a rotated sibling `<base>.<digits>.<something>`.
pub fn rotated_seq(base: &[u8], name: &[u8]) -> Option<u64> {
    let rest = name.strip_prefix(base)?.strip_prefix(b".")?;
    let dot = rest.iter().position(|&c| c == b'.')?;
    let (digits, tail) = (&rest[..dot], &rest[dot + 1..]);
    if digits.is_empty() || tail.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Renames `path` to `<path>.<seq>.<stamp>` (seq one above the highest existing rotated sibling,
/// zero-padded to 4 digits) and deletes the oldest rotated siblings beyond `count`.
pub fn rotate(path: &Path, count: usize, stamp: &str) {
    let Some(base) = path.file_name().map(|b| b.as_bytes().to_vec()) else {
        return;
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let siblings = |dir: &Path| -> Vec<(u64, PathBuf)> {
        let Ok(rd) = fs::read_dir(dir) else {
            return Vec::new();
        };
        rd.filter_map(|e| e.ok())
            .filter_map(|e| rotated_seq(&base, e.file_name().as_bytes()).map(|seq| (seq, e.path())))
            .collect()
    };
    let next = siblings(&dir).iter().map(|(s, _)| *s).max().unwrap_or(0) + 1;
    let mut target = path.as_os_str().to_owned();
    target.push(format!(".{next:04}.{stamp}"));
    if fs::rename(path, &target).is_err() {
        return;
    }
    let mut all = siblings(&dir);
    if all.len() > count {
        all.sort();
        let excess = all.len() - count;
        for (_, p) in all.into_iter().take(excess) {
            let _ = fs::remove_file(p);
        }
    }
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "process_name",
        eco_util::function(lua, |lua, ()| lua.create_string(process_name()))?,
    )?;
    t.set(
        "getpid",
        eco_util::function(lua, |_, ()| Ok(std::process::id() as i64))?,
    )?;
    t.set(
        "isatty",
        eco_util::function(lua, |_, fd: i64| {
            Ok(eco_abi::checked_fd(fd)
                .map(|fd| rustix::termios::isatty(eco_abi::borrow_fd(fd)))
                .unwrap_or(false))
        })?,
    )?;
    t.set(
        "writable",
        eco_util::function(lua, |_, dir: LuaString| {
            Ok(rustix::fs::access(os_path(&dir), rustix::fs::Access::WRITE_OK).is_ok())
        })?,
    )?;
    // size(path) -> bytes (0 when missing)
    t.set(
        "size",
        eco_util::function(lua, |_, path: LuaString| {
            Ok(fs::metadata(os_path(&path)).map(|m| m.len()).unwrap_or(0) as i64)
        })?,
    )?;
    t.set(
        "rotate",
        eco_util::function(
            lua,
            |_, (path, count, stamp): (LuaString, i64, LuaString)| {
                rotate(
                    &os_path(&path),
                    count.max(1) as usize,
                    &stamp.to_string_lossy(),
                );
                Ok(())
            },
        )?,
    )?;
    // append(path, data): open, append, close; errors are ignored (logging never fails).
    t.set(
        "append",
        eco_util::function(lua, |_, (path, data): (LuaString, LuaString)| {
            if let Ok(mut f) = fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(os_path(&path))
            {
                let _ = f.write_all(&data.as_bytes());
            }
            Ok(())
        })?,
    )?;
    let syslog = Rc::new(RefCell::new(Syslog::default()));
    let s = syslog.clone();
    t.set(
        "syslog_send",
        eco_util::function(lua, move |_, data: LuaString| {
            s.borrow_mut().send(&data.as_bytes());
            Ok(())
        })?,
    )?;
    t.set(
        "syslog_close",
        eco_util::function(lua, move |_, ()| {
            syslog.borrow_mut().sock = None;
            Ok(())
        })?,
    )?;
    Ok(t)
}

/// Opens the module: the Lua part receives the native helper table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text()).set_name("@eco/log.lua").call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_log")]
fn eco_log(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names() {
        assert_eq!(
            rotated_seq(b"app.log", b"app.log.0003.20260101-101010"),
            Some(3)
        );
        assert_eq!(rotated_seq(b"app.log", b"app.log.12345.x"), Some(12345));
        assert_eq!(rotated_seq(b"app.log", b"app.log"), None);
        assert_eq!(rotated_seq(b"app.log", b"app.log.0003"), None);
        assert_eq!(rotated_seq(b"app.log", b"app.log.0003."), None);
        assert_eq!(rotated_seq(b"app.log", b"app.log.x1.y"), None);
        assert_eq!(rotated_seq(b"app.log", b"other.log.1.y"), None);
    }

    #[test]
    fn rotation_keeps_count() {
        let dir = std::env::temp_dir().join(format!("eco-log-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.log");
        for i in 0..5 {
            fs::write(&p, format!("{i}")).unwrap();
            rotate(&p, 2, &format!("stamp{i}"));
        }
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a.log.0004.stamp3", "a.log.0005.stamp4"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
