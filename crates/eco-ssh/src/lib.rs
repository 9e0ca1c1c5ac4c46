//! `eco.ssh` (docs/ssh.md): an SSH-2 client (password authentication, `exec`, SCP) on the
//! `ssh2` crate over the system libssh2, the session in non-blocking mode.
//!
//! Rust holds one native session per Lua session object and the channels it opened (in a slab,
//! known to Lua by number, so that freeing the session frees every channel with it, whatever a
//! coroutine left behind). Every native call is one non-blocking step; its results are:
//! values on success, `false, dirs` when libssh2 would block (`dirs`: 1 inbound, 2 outbound,
//! 3 both or unknown, 0 "made progress, call again"), `nil, msg` on failure. `lua/ssh.lua`
//! repeats the steps, waiting on the socket with `eco.io` in the directions libssh2 reports.
//!
//! The TCP connection is an `eco.socket` made by Lua; libssh2 gets its descriptor number only
//! (never closes it): the Lua object frees the native session before it closes the socket.
#![forbid(unsafe_code)]

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use eco_util::fail;
use mlua::{Lua, LuaString, MultiValue, Result, Table, UserDataFields, Value};
use ssh2::{BlockDirections, Channel, DisconnectCode, ErrorCode, Session};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("ssh.lua");

/// libssh2's "would block" (`LIBSSH2_ERROR_EAGAIN`).
const EAGAIN: i32 = -37;
/// The most one `exec_read` step reads before handing control back (so a fast peer cannot
/// keep one coroutine running forever).
const READ_STEP: usize = 256 * 1024;
/// The most one `read` step returns.
const READ_MAX: usize = 1 << 20;

/// The descriptor libssh2 reads and writes. It belongs to the `eco.socket` object beside the
/// session; this type never closes it.
struct SockFd(RawFd);

impl AsRawFd for SockFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// One step's outcome.
enum Step<T> {
    Done(T),
    /// Would block; the directions to wait for (1 in, 2 out, 3 both/unknown).
    Again(i64),
    Failed(String),
}

fn dirs(sess: &Session) -> i64 {
    match sess.block_directions() {
        BlockDirections::Inbound => 1,
        BlockDirections::Outbound => 2,
        _ => 3,
    }
}

fn from_ssh<T>(sess: &Session, r: std::result::Result<T, ssh2::Error>) -> Step<T> {
    match r {
        Ok(v) => Step::Done(v),
        Err(e) if e.code() == ErrorCode::Session(EAGAIN) => Step::Again(dirs(sess)),
        Err(e) => Step::Failed(e.message().to_string()),
    }
}

fn from_io<T>(sess: &Session, r: std::io::Result<T>) -> Step<T> {
    match r {
        Ok(v) => Step::Done(v),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Step::Again(dirs(sess)),
        Err(e) => match e.get_ref() {
            Some(inner) => Step::Failed(inner.to_string()),
            None => Step::Failed(eco_abi::io_error_text(&e)),
        },
    }
}

/// Turns a step into Lua values (`done` makes the success values).
fn ret<T>(lua: &Lua, s: Step<T>, done: impl FnOnce(T) -> Result<MultiValue>) -> Result<MultiValue> {
    match s {
        Step::Done(v) => done(v),
        Step::Again(d) => Ok(MultiValue::from_vec(vec![
            Value::Boolean(false),
            Value::Integer(d),
        ])),
        Step::Failed(msg) => fail(lua, msg),
    }
}

fn vals(v: Vec<Value>) -> Result<MultiValue> {
    Ok(MultiValue::from_vec(v))
}

/// A channel and what `exec` collected from it.
struct Chan {
    ch: Channel,
    out: Vec<u8>,
    err: Vec<u8>,
    out_eof: bool,
    err_eof: bool,
}

/// The native session: libssh2's session and the open channels.
struct NativeSession {
    sess: Option<Session>,
    chans: Vec<Option<Chan>>,
    fd: RawFd,
}

const TNAME: &str = "ssh session";

/// Asks the kernel to acknowledge the next segments at once. sshd sends many answers as two small
/// writes and, outside interactive sessions, with Nagle's algorithm on: its second write waits
/// for our ACK, which Linux delays by 40 ms after we sent something (an `exec` took 50 ms
/// instead of a few). Linux leaves quick-ack mode again by itself when we send, so Lua sets it
/// before each wait for inbound data (`quickack`).
fn quickack(fd: RawFd) {
    let _ = rustix::net::sockopt::set_tcp_quickack(eco_abi::borrow_fd(fd), true);
}

impl NativeSession {
    fn sess(&self) -> std::result::Result<&Session, mlua::Error> {
        self.sess
            .as_ref()
            .ok_or_else(|| mlua::Error::runtime("session freed"))
    }

    fn add(&mut self, ch: Channel) -> i64 {
        let c = Chan {
            ch,
            out: Vec::new(),
            err: Vec::new(),
            out_eof: false,
            err_eof: false,
        };
        let slot = match self.chans.iter().position(Option::is_none) {
            Some(i) => {
                self.chans[i] = Some(c);
                i
            }
            None => {
                self.chans.push(Some(c));
                self.chans.len() - 1
            }
        };
        slot as i64 + 1
    }

    /// The session and channel `id` (raises "session freed" / "channel freed").
    fn chan(&mut self, id: i64) -> std::result::Result<(&Session, &mut Chan), mlua::Error> {
        let sess = self
            .sess
            .as_ref()
            .ok_or_else(|| mlua::Error::runtime("session freed"))?;
        let c = usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.chans.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or_else(|| mlua::Error::runtime("channel freed"))?;
        Ok((sess, c))
    }

    fn open_channels(&self) -> usize {
        self.chans.iter().filter(|c| c.is_some()).count()
    }

    /// One teardown step: closes the first channel not yet closed. `Done` when none is left
    /// open (errors count as closed: the channel is freed anyway).
    fn close_channels(&mut self) -> Step<()> {
        let Some(sess) = self.sess.as_ref() else {
            return Step::Done(());
        };
        for c in self.chans.iter_mut().flatten() {
            if let Step::Again(d) = from_ssh(sess, c.ch.close()) {
                return Step::Again(d);
            }
        }
        Step::Done(())
    }

    /// Frees every channel, then the session. `shut`: first shut the socket down (Lua's `free`,
    /// which closes it next): libssh2 then sees the connection end at once, so freeing a channel
    /// whose close the peer has not confirmed yet does not "would block" (libssh2 would keep the
    /// channel and the session, leaked). The session also goes blocking with a 1 ms limit for
    /// these last calls, for what is still pending.
    fn free(&mut self, shut: bool) {
        if let Some(s) = &self.sess {
            if shut {
                let _ =
                    rustix::net::shutdown(eco_abi::borrow_fd(self.fd), rustix::net::Shutdown::Both);
            }
            s.set_timeout(1);
            s.set_blocking(true);
        }
        self.chans.clear();
        self.sess = None;
    }
}

impl Drop for NativeSession {
    fn drop(&mut self) {
        // Not shut down here: collected without Lua's `free`, the descriptor may be closed already
        // (and its number reused).
        self.free(false);
    }
}

/// Reads what is available from one stream of `c` into its buffer: `Done(true)` at EOF,
/// `Done(false)` when nothing more is available now.
fn drain(stream: &mut impl Read, buf: &mut Vec<u8>, budget: &mut usize) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16384];
    while *budget > 0 {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                *budget = budget.saturating_sub(n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

fn register_session(lua: &Lua) -> Result<()> {
    type S = NativeSession;
    let handshake = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, ()| {
        let mut s = this.sess()?.clone();
        let r = s.handshake();
        ret(lua, from_ssh(&s, r), |()| vals(vec![Value::Boolean(true)]))
    })?;
    // auth_list(user) -> "list" ("" when "none" authentication was accepted)
    let auth_list = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, user: LuaString| {
        let s = this.sess()?;
        let user = user.to_str()?.to_string();
        let r = s.auth_methods(&user).map(str::to_string);
        ret(lua, from_ssh(s, r), |l| {
            vals(vec![Value::String(lua.create_string(l)?)])
        })
    })?;
    let auth_password = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (user, pass): (LuaString, LuaString)| {
            let s = this.sess()?;
            let r = s.userauth_password(&user.to_str()?, &pass.to_str()?);
            ret(lua, from_ssh(s, r), |()| vals(vec![Value::Boolean(true)]))
        },
    )?;
    let authenticated = eco_util::method(lua, TNAME, |_, this: &S, ()| {
        Ok(this.sess.as_ref().is_some_and(|s| s.authenticated()))
    })?;
    let disconnect = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (reason, desc): (i64, LuaString)| {
            let Some(s) = this.sess.as_ref() else {
                return vals(vec![Value::Boolean(true)]);
            };
            let code = match reason {
                1 => DisconnectCode::HostNotAllowedToConnect,
                2 => DisconnectCode::ProtocolError,
                3 => DisconnectCode::KeyExchangeFailed,
                4 => DisconnectCode::Reserved,
                5 => DisconnectCode::MacError,
                6 => DisconnectCode::CompressionError,
                7 => DisconnectCode::ServiceNotAvailable,
                8 => DisconnectCode::ProtocolVersionNotSupported,
                9 => DisconnectCode::HostKeyNotVerifiable,
                10 => DisconnectCode::ConnectionLost,
                12 => DisconnectCode::TooManyConnections,
                13 => DisconnectCode::AuthCancelledByUser,
                14 => DisconnectCode::NoMoreAuthMethodsAvailable,
                15 => DisconnectCode::IllegalUserName,
                _ => DisconnectCode::ByApplication,
            };
            let r = s.disconnect(Some(code), &desc.to_str()?, None);
            ret(lua, from_ssh(s, r), |()| vals(vec![Value::Boolean(true)]))
        },
    )?;
    // cipher() -> the negotiated client-to-server cipher (for benchmarks and diagnostics)
    let cipher = eco_util::method(lua, TNAME, |_, this: &S, ()| {
        Ok(this
            .sess
            .as_ref()
            .and_then(|s| s.methods(ssh2::MethodType::CryptCs))
            .map(str::to_string))
    })?;
    let quick_ack = eco_util::method(lua, TNAME, |_, this: &S, ()| {
        quickack(this.fd);
        Ok(())
    })?;
    // pending() -> bytes waiting in the socket's receive queue
    let pending = eco_util::method(lua, TNAME, |_, this: &S, ()| {
        Ok(rustix::io::ioctl_fionread(eco_abi::borrow_fd(this.fd)).unwrap_or(0) as i64)
    })?;
    let close_channels = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, ()| {
        let st = this.close_channels();
        ret(lua, st, |()| vals(vec![Value::Boolean(true)]))
    })?;
    let free = eco_util::method_mut(lua, TNAME, |_, this: &mut S, ()| {
        this.free(true);
        Ok(())
    })?;
    let freed = eco_util::method(lua, TNAME, |_, this: &S, ()| Ok(this.sess.is_none()))?;
    let open_channels =
        eco_util::method(
            lua,
            TNAME,
            |_, this: &S, ()| Ok(this.open_channels() as i64),
        )?;
    // channel() -> id
    let channel = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, ()| {
        let s = this.sess()?.clone();
        let r = s.channel_session();
        ret(lua, from_ssh(&s, r), |ch| {
            vals(vec![Value::Integer(this.add(ch))])
        })
    })?;
    // scp_recv(path) -> id, size
    let scp_recv = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, path: LuaString| {
        let s = this.sess()?.clone();
        let p = path.to_str()?.to_string();
        let r = s.scp_recv(Path::new(&p));
        ret(lua, from_ssh(&s, r), |(ch, st)| {
            let size = st.size() as i64;
            vals(vec![Value::Integer(this.add(ch)), Value::Integer(size)])
        })
    })?;
    // scp_send(path, mode, size) -> id
    let scp_send = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (path, mode, size): (LuaString, i64, i64)| {
            let s = this.sess()?.clone();
            let p = path.to_str()?.to_string();
            let r = s.scp_send(
                Path::new(&p),
                (mode & 0o777) as i32,
                size.max(0) as u64,
                None,
            );
            ret(lua, from_ssh(&s, r), |ch| {
                vals(vec![Value::Integer(this.add(ch))])
            })
        },
    )?;
    let exec = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (id, cmd): (i64, LuaString)| {
            let (s, c) = this.chan(id)?;
            let r = c.ch.exec(&cmd.to_str()?);
            ret(lua, from_ssh(s, r), |()| vals(vec![Value::Boolean(true)]))
        },
    )?;
    // exec_read(id) -> true at EOF of both streams | false, dirs (0: more to read at once)
    let exec_read = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, id: i64| {
        let (s, c) = this.chan(id)?;
        let mut budget = READ_STEP;
        let r = (|| {
            // Reading one stream may queue packets of the other one (libssh2 reads the socket
            // until it is empty, whatever channel or stream the packets are for), and the socket
            // would not wake us for them: more passes read those (until a second pass that
            // reads nothing).
            let mut idle = 0;
            loop {
                let before = budget;
                if !c.out_eof {
                    c.out_eof = drain(&mut c.ch, &mut c.out, &mut budget)?;
                }
                if !c.err_eof {
                    let mut e = c.ch.stderr();
                    c.err_eof = drain(&mut e, &mut c.err, &mut budget)?;
                }
                if (c.out_eof && c.err_eof) || budget == 0 || c.ch.read_window().available == 0 {
                    break;
                }
                if budget == before {
                    idle += 1;
                    if idle == 2 {
                        break;
                    }
                }
            }
            Ok(())
        })();
        let st = match r {
            Ok(()) if c.out_eof && c.err_eof => Step::Done(()),
            Ok(()) if budget == 0 => Step::Again(0),
            Ok(()) => Step::Again(dirs(s)),
            Err(e) => from_io(s, Err(e)),
        };
        ret(lua, st, |()| vals(vec![Value::Boolean(true)]))
    })?;
    // output(id) -> stdout .. stderr (and forgets them)
    let output = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, id: i64| {
        let (_, c) = this.chan(id)?;
        let mut all = std::mem::take(&mut c.out);
        all.append(&mut c.err);
        lua.create_string(all)
    })?;
    // exit_status(id) -> code, signame|nil
    let exit_status = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, id: i64| {
        let (_, c) = this.chan(id)?;
        let code = c.ch.exit_status().unwrap_or(0);
        let sig = c.ch.exit_signal().ok().and_then(|s| s.exit_signal);
        let sig = match sig {
            Some(s) if !s.is_empty() => Value::String(lua.create_string(s)?),
            _ => Value::Nil,
        };
        vals(vec![Value::Integer(code as i64), sig])
    })?;
    // read(id[, max]) -> data ("" at the end) | false, dirs | nil, err
    let read = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (id, max): (i64, Option<i64>)| {
            let (s, c) = this.chan(id)?;
            let max = max.unwrap_or(65536).clamp(1, READ_MAX as i64) as usize;
            let mut buf = vec![0u8; max];
            let r = c.ch.read(&mut buf);
            ret(lua, from_io(s, r), |n| {
                vals(vec![Value::String(lua.create_string(&buf[..n])?)])
            })
        },
    )?;
    // write(id, data[, offset]) -> bytes written from data[offset..] (0-based offset)
    let write = eco_util::method_mut(
        lua,
        TNAME,
        |lua, this: &mut S, (id, data, off): (i64, LuaString, Option<i64>)| {
            let (s, c) = this.chan(id)?;
            let data = data.as_bytes();
            let off = (off.unwrap_or(0).max(0) as usize).min(data.len());
            let r = c.ch.write(&data[off..]);
            ret(lua, from_io(s, r), |n| vals(vec![Value::Integer(n as i64)]))
        },
    )?;
    macro_rules! chan_op {
        ($name:ident, $call:ident) => {
            let $name = eco_util::method_mut(lua, TNAME, |lua, this: &mut S, id: i64| {
                let (s, c) = this.chan(id)?;
                let r = c.ch.$call();
                ret(lua, from_ssh(s, r), |()| vals(vec![Value::Boolean(true)]))
            })?;
        };
    }
    chan_op!(send_eof, send_eof);
    chan_op!(wait_eof, wait_eof);
    chan_op!(close, close);
    chan_op!(wait_closed, wait_close);
    let free_channel = eco_util::method_mut(lua, TNAME, |_, this: &mut S, id: i64| {
        if let Some(slot) = usize::try_from(id - 1)
            .ok()
            .and_then(|i| this.chans.get_mut(i))
        {
            *slot = None;
        }
        Ok(())
    })?;
    eco_util::register::<S>(lua, move |r| {
        r.add_field("handshake", handshake);
        r.add_field("auth_list", auth_list);
        r.add_field("auth_password", auth_password);
        r.add_field("authenticated", authenticated);
        r.add_field("disconnect", disconnect);
        r.add_field("close_channels", close_channels);
        r.add_field("cipher", cipher);
        r.add_field("quickack", quick_ack);
        r.add_field("pending", pending);
        r.add_field("free", free);
        r.add_field("freed", freed);
        r.add_field("open_channels", open_channels);
        r.add_field("channel", channel);
        r.add_field("scp_recv", scp_recv);
        r.add_field("scp_send", scp_send);
        r.add_field("exec", exec);
        r.add_field("exec_read", exec_read);
        r.add_field("output", output);
        r.add_field("exit_status", exit_status);
        r.add_field("read", read);
        r.add_field("write", write);
        r.add_field("send_eof", send_eof);
        r.add_field("wait_eof", wait_eof);
        r.add_field("close", close);
        r.add_field("wait_closed", wait_closed);
        r.add_field("free_channel", free_channel);
    })
}

fn native(lua: &Lua) -> Result<Table> {
    register_session(lua)?;
    let t = lua.create_table()?;
    // session(fd) -> native session over the connected socket `fd` (not owned) | nil, err
    t.set(
        "session",
        eco_util::function(lua, |lua, fd: i64| {
            let Ok(fd) = eco_abi::checked_fd(fd) else {
                return fail(lua, "Bad file descriptor");
            };
            let mut s = match Session::new() {
                Ok(s) => s,
                Err(e) => return fail(lua, e.message()),
            };
            s.set_blocking(false);
            s.set_tcp_stream(SockFd(fd));
            let ud = lua.create_any_userdata(NativeSession {
                sess: Some(s),
                chans: Vec::new(),
                fd,
            })?;
            vals(vec![Value::UserData(ud)])
        })?,
    )?;
    t.set("now", eco_util::monotonic_function(lua)?)?;
    // stat(path) -> mode, size, is_regular | nil, strerror
    t.set(
        "stat",
        eco_util::function(lua, |lua, path: LuaString| {
            let p = std::ffi::OsStr::from_bytes(&path.as_bytes()).to_os_string();
            match rustix::fs::stat(Path::new(&p)) {
                Ok(st) => {
                    let regular = rustix::fs::FileType::from_raw_mode(st.st_mode)
                        == rustix::fs::FileType::RegularFile;
                    vals(vec![
                        Value::Integer(i64::from(st.st_mode)),
                        Value::Integer(st.st_size),
                        Value::Boolean(regular),
                    ])
                }
                Err(e) => eco_util::os_fail(lua, e.raw_os_error()),
            }
        })?,
    )?;
    Ok(t)
}

pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text()).set_name("@eco/ssh.lua").call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_ssh")]
fn eco_ssh(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::os::unix::net::UnixStream;

    /// A reader giving scripted results.
    struct Script(VecDeque<std::io::Result<Vec<u8>>>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.pop_front() {
                None => Ok(0),
                Some(Ok(d)) => {
                    buf[..d.len()].copy_from_slice(&d);
                    Ok(d.len())
                }
                Some(Err(e)) => Err(e),
            }
        }
    }

    #[test]
    fn drain_stops_at_would_block_eof_and_budget() {
        let wb = || Err(std::io::Error::from(ErrorKind::WouldBlock));
        let mut r = Script(VecDeque::from(vec![
            Ok(b"ab".to_vec()),
            Ok(b"c".to_vec()),
            wb(),
        ]));
        let (mut buf, mut budget) = (Vec::new(), 100);
        assert!(!drain(&mut r, &mut buf, &mut budget).unwrap());
        assert_eq!(buf, b"abc");
        assert_eq!(budget, 97);
        // then the end
        assert!(drain(&mut r, &mut buf, &mut budget).unwrap());
        // a budget of 2 stops after the first read
        let mut r = Script(VecDeque::from(vec![Ok(b"xy".to_vec()), Ok(b"z".to_vec())]));
        let (mut buf, mut budget) = (Vec::new(), 2);
        assert!(!drain(&mut r, &mut buf, &mut budget).unwrap());
        assert_eq!(buf, b"xy");
        // errors pass through
        let mut r = Script(VecDeque::from(vec![Err(std::io::Error::other("boom"))]));
        assert!(drain(&mut r, &mut Vec::new(), &mut 10).is_err());
    }

    fn lua_with_native() -> (Lua, Table) {
        let lua = Lua::new();
        let t = native(&lua).unwrap();
        (lua, t)
    }

    #[test]
    fn stat_and_bad_descriptors() {
        let (lua, t) = lua_with_native();
        lua.globals().set("n", t).unwrap();
        let (mode, size, reg): (i64, i64, bool) =
            lua.load("return n.stat('Cargo.toml')").eval().unwrap();
        assert!(reg && size > 0 && mode & 0o400 != 0);
        let (a, b): (Value, String) = lua.load("return n.stat('/no/such')").eval().unwrap();
        assert!(a.is_nil());
        assert_eq!(b, "No such file or directory");
        let (_, _, reg): (i64, i64, bool) = lua.load("return n.stat('/tmp')").eval().unwrap();
        assert!(!reg);
        let (a, b): (Value, String) = lua.load("return n.session(-1)").eval().unwrap();
        assert!(a.is_nil());
        assert_eq!(b, "Bad file descriptor");
    }

    /// A peer that is not an SSH server: the handshake steps end in a library error (no panic),
    /// and a freed session raises "session freed".
    #[test]
    fn handshake_against_garbage_then_free() {
        let (lua, t) = lua_with_native();
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.write_all(b"SSH-2.0-fake\r\n\0\0\0\x0c\x0agarbage!!!!!")
            .unwrap();
        drop(b);
        lua.globals().set("n", t).unwrap();
        lua.globals().set("fd", a.as_raw_fd()).unwrap();
        let (ok, err): (Value, Value) = lua
            .load(
                "local s = n.session(fd)
                 for _ = 1, 100 do
                     local ok, err = s:handshake()
                     if ok ~= false then
                         s:free()
                         assert(s:freed())
                         assert(not pcall(s.channel, s))
                         return ok, err
                     end
                 end",
            )
            .eval()
            .unwrap();
        assert!(ok.is_nil(), "handshake failed");
        assert!(matches!(err, Value::String(ref s) if !s.as_bytes().is_empty()));
        // the descriptor is still ours (never closed by the session)
        assert!(rustix::io::fcntl_getfd(&a).is_ok());
    }
}
