//! `eco.termios` (docs/termios.md): a thin POSIX termios layer. `tcgetattr` reads a tty's
//! attributes into an `attr` object (one C library `struct termios`, all 32 `c_cc` included),
//! whose methods edit flags, control characters and speeds; `tcsetattr` applies it; `tcflush` and
//! `tcflow` act on the queues. Everything here is one synchronous system call. Extensions of this
//! implementation: `tcdrain` with a timeout (the output queue is polled with `TIOCOUTQ` and
//! `eco.sleep` in `lua/termios.lua`, so the loop is never blocked while a slow line drains),
//! `outq`/`inq`, `openpty`, `attr:make_raw()`, `attr:get_flag()`, `attr:get_cc()`, the `CS5`..`CS8`
//! and `NCCS` constants and the speeds above 230400.
//!
//! The structure is the C library's (`libc::termios`), edited field by field; the calls go through
//! `nix` (the libc's `tcgetattr`, `tcsetattr`, `cfset*speed`, `cfmakeraw`), so glibc and musl
//! behave as their C callers see them. Every constant comes from the `libc` crate for the target:
//! they differ between architectures (MIPS, PowerPC, SPARC, Alpha).
#![forbid(unsafe_code)]

use std::os::fd::{AsFd, IntoRawFd};

use eco_util::{arg_error, os_fail, Args};
use mlua::{Lua, MultiValue, Result, Table, UserDataFields, Value};
use nix::errno::Errno;
use nix::sys::termios::{
    self as nt, BaudRate, ControlFlags, FlowArg, FlushArg, InputFlags, LocalFlags, OutputFlags,
    SetArg, Termios,
};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("termios.lua");

/// The name argument errors give an `attr` (`attr expected, got table`).
const ATTR_NAME: &str = "termios attr";

/// Every constant of the module, from the target's C library headers (via the `libc` crate).
pub fn constants() -> Vec<(&'static str, i64)> {
    macro_rules! c {
        ($($n:ident),* $(,)?) => { vec![$((stringify!($n), libc::$n as i64)),*] };
    }
    let mut v = c![
        // tcsetattr actions
        TCSANOW, TCSADRAIN, TCSAFLUSH, // c_iflag
        IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY,
        IXOFF, IMAXBEL, IUTF8, // c_oflag
        OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, OFILL, OFDEL, NLDLY, CRDLY, TABDLY, BSDLY,
        VTDLY, FFDLY, // c_cflag
        CBAUD, CBAUDEX, CSIZE, CSTOPB, CREAD, PARENB, PARODD, HUPCL, CLOCAL, CIBAUD, CMSPAR,
        CRTSCTS, // c_lflag
        ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP, ECHOCTL, ECHOPRT, ECHOKE,
        FLUSHO, PENDIN, IEXTEN, // c_cc indices
        VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSTART, VSTOP, VSUSP, VEOL, VREPRINT,
        VDISCARD, VWERASE, VLNEXT, VEOL2, // tcflush, tcflow
        TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF, TCION,
        // extensions: character sizes, the size of c_cc
        CS5, CS6, CS7, CS8, NCCS,
    ];
    v.extend(SPEEDS.iter().map(|&(n, code, _)| (n, code as i64)));
    v
}

/// The `B*` speed codes of the target: name, code, bits per second. The spec's list ends at
/// `B230400`; the higher ones are extensions (where the target defines them).
pub const SPEEDS: &[(&str, libc::speed_t, u32)] = &[
    ("B0", libc::B0, 0),
    ("B50", libc::B50, 50),
    ("B75", libc::B75, 75),
    ("B110", libc::B110, 110),
    ("B134", libc::B134, 134),
    ("B150", libc::B150, 150),
    ("B200", libc::B200, 200),
    ("B300", libc::B300, 300),
    ("B600", libc::B600, 600),
    ("B1200", libc::B1200, 1200),
    ("B1800", libc::B1800, 1800),
    ("B2400", libc::B2400, 2400),
    ("B4800", libc::B4800, 4800),
    ("B9600", libc::B9600, 9600),
    ("B19200", libc::B19200, 19200),
    ("B38400", libc::B38400, 38400),
    ("B57600", libc::B57600, 57600),
    ("B115200", libc::B115200, 115_200),
    ("B230400", libc::B230400, 230_400),
    ("B460800", libc::B460800, 460_800),
    ("B500000", libc::B500000, 500_000),
    ("B576000", libc::B576000, 576_000),
    ("B921600", libc::B921600, 921_600),
    ("B1000000", libc::B1000000, 1_000_000),
    ("B1152000", libc::B1152000, 1_152_000),
    ("B1500000", libc::B1500000, 1_500_000),
    ("B2000000", libc::B2000000, 2_000_000),
    ("B2500000", libc::B2500000, 2_500_000),
    ("B3000000", libc::B3000000, 3_000_000),
    ("B3500000", libc::B3500000, 3_500_000),
    ("B4000000", libc::B4000000, 4_000_000),
];

/// Bits per second of a `B*` code, `None` for anything else.
pub fn baud_of(code: i64) -> Option<u32> {
    SPEEDS
        .iter()
        .find(|&&(_, c, _)| c as i64 == code)
        .map(|&(_, _, b)| b)
}

/// glibc's private `c_iflag` bit recording `cfsetispeed(B0)` ("input speed = output speed").
#[cfg(target_env = "gnu")]
const IBAUD0: libc::tcflag_t = 0o20000000000;
#[cfg(not(target_env = "gnu"))]
const IBAUD0: libc::tcflag_t = 0;

/// `cfgetospeed`: the `B*` code in `c_cflag` (what glibc and musl compute).
pub fn ospeed(t: &libc::termios) -> libc::speed_t {
    t.c_cflag & libc::CBAUD
}

/// `cfgetispeed`: as glibc (0 after `cfsetispeed(B0)`, else the output speed) and musl (the
/// output speed) compute it; Linux libcs keep one speed in `c_cflag`.
pub fn ispeed(t: &libc::termios) -> libc::speed_t {
    if t.c_iflag & IBAUD0 != 0 {
        0
    } else {
        t.c_cflag & libc::CBAUD
    }
}

/// Seconds one character takes on the line `t` describes (start bit, data bits, parity, stop
/// bits), `None` at speed 0 or an unknown code.
pub fn char_time(t: &libc::termios) -> Option<f64> {
    let baud = baud_of(ospeed(t) as i64).filter(|&b| b > 0)?;
    let data = match t.c_cflag & libc::CSIZE {
        libc::CS5 => 5,
        libc::CS6 => 6,
        libc::CS7 => 7,
        _ => 8,
    };
    let parity = u32::from(t.c_cflag & libc::PARENB != 0);
    let stop = if t.c_cflag & libc::CSTOPB != 0 { 2 } else { 1 };
    Some(f64::from(1 + data + parity + stop) / f64::from(baud))
}

/// How long `tcdrain` sleeps before it looks at the output queue again: the time `queued` bytes
/// take on the line, between 1 ms and 50 ms (50 ms when the speed is unknown).
pub fn drain_delay(queued: usize, char_time: Option<f64>) -> f64 {
    match char_time {
        Some(c) => (queued as f64 * c).clamp(0.001, 0.05),
        None => 0.05,
    }
}

/// A nix `Termios` holding exactly `raw` (nix drops the flag bits it has no name for when it
/// converts; the public fields are set back with every bit).
fn to_nix(raw: &libc::termios) -> Termios {
    let mut t = Termios::from(*raw);
    t.input_flags = InputFlags::from_bits_retain(raw.c_iflag);
    t.output_flags = OutputFlags::from_bits_retain(raw.c_oflag);
    t.control_flags = ControlFlags::from_bits_retain(raw.c_cflag);
    t.local_flags = LocalFlags::from_bits_retain(raw.c_lflag);
    t
}

/// The field `kind` selects by its first character.
fn flag_field<'a>(t: &'a mut libc::termios, kind: &[u8]) -> Option<&'a mut libc::tcflag_t> {
    match kind.first() {
        Some(b'i') => Some(&mut t.c_iflag),
        Some(b'o') => Some(&mut t.c_oflag),
        Some(b'c') => Some(&mut t.c_cflag),
        Some(b'l') => Some(&mut t.c_lflag),
        _ => None,
    }
}

/// [`flag_field`] for a method's argument 2: an unknown kind is `invalid type`.
fn flag_arg<'a>(
    t: &'a mut libc::termios,
    kind: &mlua::LuaString,
) -> Result<&'a mut libc::tcflag_t> {
    flag_field(t, &kind.as_bytes()).ok_or_else(|| arg_error(2, "invalid type"))
}

/// Which of the speeds `set_*speed` changes.
#[derive(Clone, Copy)]
enum Which {
    In,
    Out,
    Both,
}

/// `cfset{i,o,}speed` of the C library; `EINVAL` for a value that is not a `B*` code.
fn set_speed(t: &mut libc::termios, code: i64, which: Which) -> std::result::Result<(), Errno> {
    let code = libc::speed_t::try_from(code).map_err(|_| Errno::EINVAL)?;
    let baud = BaudRate::try_from(code).map_err(|_| Errno::EINVAL)?;
    let mut n = to_nix(t);
    match which {
        Which::In => nt::cfsetispeed(&mut n, baud)?,
        Which::Out => nt::cfsetospeed(&mut n, baud)?,
        Which::Both => nt::cfsetspeed(&mut n, baud)?,
    }
    *t = n.into();
    Ok(())
}

/// An `attr` object: one `struct termios`.
#[derive(Clone, Copy)]
struct Attr(libc::termios);

fn new_attr(lua: &Lua, t: libc::termios) -> Result<Value> {
    Ok(Value::UserData(lua.create_any_userdata(Attr(t))?))
}

fn checked_index(index: i64) -> Result<usize> {
    if (0..libc::NCCS as i64).contains(&index) {
        Ok(index as usize)
    } else {
        Err(arg_error(2, "invalid cc name"))
    }
}

fn register_attr(lua: &Lua) -> Result<()> {
    let set_flag = eco_util::method_mut(
        lua,
        ATTR_NAME,
        |_, a: &mut Attr, (kind, mask): (mlua::LuaString, i64)| {
            let f = flag_arg(&mut a.0, &kind)?;
            *f |= mask as libc::tcflag_t;
            Ok(())
        },
    )?;
    let clr_flag = eco_util::method_mut(
        lua,
        ATTR_NAME,
        |_, a: &mut Attr, (kind, mask): (mlua::LuaString, i64)| {
            let f = flag_arg(&mut a.0, &kind)?;
            *f &= !(mask as libc::tcflag_t);
            Ok(())
        },
    )?;
    let get_flag =
        eco_util::method_mut(lua, ATTR_NAME, |_, a: &mut Attr, kind: mlua::LuaString| {
            let f = flag_arg(&mut a.0, &kind)?;
            Ok(*f as i64)
        })?;
    let set_cc = eco_util::method_mut(
        lua,
        ATTR_NAME,
        |_, a: &mut Attr, (index, value): (i64, i64)| {
            let i = checked_index(index)?;
            a.0.c_cc[i] = value as libc::cc_t;
            Ok(())
        },
    )?;
    let get_cc = eco_util::method(lua, ATTR_NAME, |_, a: &Attr, index: i64| {
        Ok(a.0.c_cc[checked_index(index)?] as i64)
    })?;
    let get_ispeed = eco_util::method(lua, ATTR_NAME, |_, a: &Attr, ()| Ok(ispeed(&a.0) as i64))?;
    let get_ospeed = eco_util::method(lua, ATTR_NAME, |_, a: &Attr, ()| Ok(ospeed(&a.0) as i64))?;
    let setter = |which: Which| {
        eco_util::method_mut(
            lua,
            ATTR_NAME,
            move |lua, a: &mut Attr, code: i64| match set_speed(&mut a.0, code, which) {
                Ok(()) => eco_util::ok_true(),
                Err(e) => os_fail(lua, e as i32),
            },
        )
    };
    let set_ispeed = setter(Which::In)?;
    let set_ospeed = setter(Which::Out)?;
    let set_speed = setter(Which::Both)?;
    let make_raw = eco_util::method_mut(lua, ATTR_NAME, |_, a: &mut Attr, ()| {
        let mut n = to_nix(&a.0);
        nt::cfmakeraw(&mut n);
        a.0 = n.into();
        Ok(())
    })?;
    let clone = eco_util::method(lua, ATTR_NAME, |lua, a: &Attr, ()| new_attr(lua, a.0))?;
    eco_util::register::<Attr>(lua, move |r| {
        r.add_field("set_flag", set_flag);
        r.add_field("clr_flag", clr_flag);
        r.add_field("get_flag", get_flag);
        r.add_field("set_cc", set_cc);
        r.add_field("get_cc", get_cc);
        r.add_field("get_ispeed", get_ispeed);
        r.add_field("get_ospeed", get_ospeed);
        r.add_field("set_ispeed", set_ispeed);
        r.add_field("set_ospeed", set_ospeed);
        r.add_field("set_speed", set_speed);
        r.add_field("make_raw", make_raw);
        r.add_field("clone", clone);
    })
}

/// `true`, or `nil, strerror(errno)`.
fn done(lua: &Lua, r: std::result::Result<(), Errno>) -> Result<MultiValue> {
    match r {
        Ok(()) => eco_util::ok_true(),
        Err(e) => os_fail(lua, e as i32),
    }
}

/// Argument `n` as a descriptor (`luaL_checkinteger`); a number that cannot be one is `EBADF`.
fn fd_arg(a: &Args, n: usize) -> Result<std::result::Result<i32, Errno>> {
    Ok(eco_abi::checked_fd(a.integer(n)?).map_err(Errno::from_raw))
}

fn with_fd<T>(
    fd: std::result::Result<i32, Errno>,
    f: impl FnOnce(std::os::fd::BorrowedFd<'_>) -> std::result::Result<T, Errno>,
) -> std::result::Result<T, Errno> {
    f(eco_abi::borrow_fd(fd?))
}

/// Builds the module table: the natives and constants (the Lua part adds `tcdrain`).
fn native(lua: &Lua) -> Result<Table> {
    register_attr(lua)?;
    let t = lua.create_table()?;
    for (k, v) in constants() {
        t.set(k, v)?;
    }

    t.set(
        "tcgetattr",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            match with_fd(fd, |fd| nt::tcgetattr(fd)) {
                Ok(n) => eco_util::one(new_attr(lua, n.into())?),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;

    t.set(
        "tcsetattr",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            let actions = a.integer(2)?;
            let raw = match a.get(3) {
                Value::UserData(ud) => match ud.borrow::<Attr>() {
                    Ok(attr) => attr.0,
                    Err(_) => return Err(a.type_error(3, ATTR_NAME)),
                },
                _ => return Err(a.type_error(3, ATTR_NAME)),
            };
            let how = match i32::try_from(actions) {
                Ok(libc::TCSANOW) => Ok(SetArg::TCSANOW),
                Ok(libc::TCSADRAIN) => Ok(SetArg::TCSADRAIN),
                Ok(libc::TCSAFLUSH) => Ok(SetArg::TCSAFLUSH),
                _ => Err(Errno::EINVAL),
            };
            let r = with_fd(fd, |fd| nt::tcsetattr(fd, how?, &to_nix(&raw)));
            done(lua, r)
        })?,
    )?;

    t.set(
        "tcflush",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            let how = match i32::try_from(a.integer(2)?) {
                Ok(libc::TCIFLUSH) => Ok(FlushArg::TCIFLUSH),
                Ok(libc::TCOFLUSH) => Ok(FlushArg::TCOFLUSH),
                Ok(libc::TCIOFLUSH) => Ok(FlushArg::TCIOFLUSH),
                _ => Err(Errno::EINVAL),
            };
            done(lua, with_fd(fd, |fd| nt::tcflush(fd, how?)))
        })?,
    )?;

    t.set(
        "tcflow",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            let how = match i32::try_from(a.integer(2)?) {
                Ok(libc::TCOOFF) => Ok(FlowArg::TCOOFF),
                Ok(libc::TCOON) => Ok(FlowArg::TCOON),
                Ok(libc::TCIOFF) => Ok(FlowArg::TCIOFF),
                Ok(libc::TCION) => Ok(FlowArg::TCION),
                _ => Err(Errno::EINVAL),
            };
            done(lua, with_fd(fd, |fd| nt::tcflow(fd, how?)))
        })?,
    )?;

    // outq(fd) -> bytes written but not yet sent by the driver (TIOCOUTQ)
    t.set(
        "outq",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            match with_fd(fd, |fd| eco_os::tiocoutq(fd).map_err(Errno::from_raw)) {
                Ok(n) => eco_util::one(Value::Integer(n as i64)),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;

    // inq(fd) -> bytes received and not yet read (TIOCINQ, the same request as FIONREAD)
    t.set(
        "inq",
        eco_util::function(lua, |lua, a: Args| {
            let fd = fd_arg(&a, 1)?;
            // A non-tty answers FIONREAD too (pipes, sockets): ask isatty first, as TIOCINQ would.
            let r = with_fd(fd, |fd| {
                nt::tcgetattr(fd)?;
                rustix::io::ioctl_fionread(fd).map_err(|e| Errno::from_raw(e.raw_os_error()))
            });
            match r {
                Ok(n) => eco_util::one(Value::Integer(n as i64)),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;

    // openpty() -> master_fd, slave_fd, slave_path (both non-blocking, close-on-exec)
    t.set(
        "openpty",
        eco_util::function(lua, |lua, ()| match openpty() {
            Ok((m, s, name)) => Ok(MultiValue::from_vec(vec![
                Value::Integer(m.into_raw_fd() as i64),
                Value::Integer(s.into_raw_fd() as i64),
                Value::String(lua.create_string(name)?),
            ])),
            Err(e) => os_fail(lua, e.raw_os_error()),
        })?,
    )?;
    Ok(t)
}

/// A new pseudo-terminal pair and the slave's path.
fn openpty() -> rustix::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd, Vec<u8>)> {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::OpenptFlags;
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    rustix::pty::grantpt(&master)?;
    rustix::pty::unlockpt(&master)?;
    let name = rustix::pty::ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let fl = rustix::fs::fcntl_getfl(master.as_fd())?;
    rustix::fs::fcntl_setfl(master.as_fd(), fl | OFlags::NONBLOCK)?;
    Ok((master, slave, name.into_bytes()))
}

/// What the Lua part needs and does not publish: the blocking `tcdrain` it calls once the
/// queue is empty, and the delay between two looks at the queue.
fn private(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "tcdrain",
        eco_util::function(lua, |lua, fd: i64| {
            let fd = eco_abi::checked_fd(fd).map_err(Errno::from_raw);
            done(lua, with_fd(fd, |fd| nt::tcdrain(fd)))
        })?,
    )?;
    // delay(fd, queued) -> seconds to sleep before looking at the queue again
    t.set(
        "delay",
        eco_util::function(lua, |_, (fd, queued): (i64, i64)| {
            let fd = eco_abi::checked_fd(fd).map_err(Errno::from_raw);
            let ct = with_fd(fd, |fd| nt::tcgetattr(fd))
                .ok()
                .and_then(|n| char_time(&n.into()));
            Ok(drain_delay(queued.max(0) as usize, ct))
        })?,
    )?;
    t.set("monotonic", eco_util::monotonic_function(lua)?)?;
    Ok(t)
}

/// Opens `eco.termios`.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    let p = private(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/termios.lua")
        .call((n, p))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_termios")]
fn eco_termios(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests;
