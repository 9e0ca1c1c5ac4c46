//! `eco.writer` (spec/eco.md 11): `write` through the fd or a native write hook, and
//! `sendfile`. Bodies share the `# Safety` contract of `io.rs`.
//!
//! To add a method: write its body `unsafe fn(l, resumed) -> R` and add one line to [`METHODS`].

use std::ffi::CStr;

use eco_abi::WAIT_CANCELED;

use crate::handle::{Kind, SchedRef};
use crate::hooks::{self, WriteFn};
use crate::io::{self, check_obj, closed_err, eof_text, outcome_failure, pop_outcome, Base, Obj};
use crate::lua::cfn;
use crate::lua::{self, arg, check_integer, err, fail, ffi, opt_timeout, Ret, State, R};
use crate::sched::WRITE;
use crate::{sys, Funcs};

/// The writer's methods: one line per method.
pub const METHODS: &Funcs = &[
    (c"write", cfn!(write_impl)),
    (c"sendfile", cfn!(sendfile_impl)),
    (c"wait", cfn!(wait_impl)),
    (c"cancel", cfn!(cancel_impl)),
];

struct SendState {
    in_fd: i32,
    off: i64,
    left: usize,
    total: usize,
}

pub struct Writer {
    base: Base,
    hook: Option<WriteFn>,
    /// Bytes of the current `write` already written.
    off: usize,
    /// The current wait is the fairness yield (spec/eco.md 3.2).
    fair: bool,
    send: Option<SendState>,
    /// Written with send(2) (MSG_NOSIGNAL) until that fails with ENOTSOCK, then write(2).
    socket: bool,
}

impl Obj for Writer {
    const KIND: Kind = Kind::Writer;
    const TNAME: &'static CStr = c"eco{writer}";
    fn close(&mut self, l: State, owner: usize) {
        if !self.base.closed {
            // SAFETY: `l` is the state running the metamethod.
            unsafe { self.base.detach(l, owner) };
            self.end_send();
        }
    }
}

impl Writer {
    fn owner(&self) -> usize {
        self as *const Writer as usize
    }

    fn end_send(&mut self) {
        if let Some(st) = self.send.take() {
            sys::close(st.in_fd);
        }
    }

    /// Common prologue: busy checks, the resumed-wait outcome, fairness. `Ok(None)`: go on.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    unsafe fn prologue(&mut self, l: State, resumed: bool) -> Result<Option<Ret>, Ret> {
        if self.base.closed {
            return Err(closed_err());
        }
        if resumed {
            // SAFETY: the contract: a resumed body has the outcome on top.
            let outcome = unsafe { pop_outcome(l) };
            self.base.token = 0;
            if self.fair {
                self.fair = false;
                self.off = 0;
                // a cancel during the fairness yield ends the call (spec/eco.md 11)
                if outcome == WAIT_CANCELED {
                    self.end_send();
                    // SAFETY: the contract.
                    return Ok(unsafe { outcome_failure(l, outcome) });
                }
            // SAFETY: the contract.
            } else if let Some(r) = unsafe { outcome_failure(l, outcome) } {
                self.end_send();
                return Ok(Some(r));
            }
            return Ok(None);
        }
        self.base.check_busy(WRITE)?;
        self.off = 0;
        self.end_send();
        // SAFETY: the contract.
        if unsafe { self.base.must_yield_for_fairness(l) } {
            // SAFETY: the contract.
            unsafe { self.base.park(l, 0, 0, 0)? };
            self.fair = true;
            return Ok(Some(Ret::Yield));
        }
        Ok(None)
    }

    /// Parks for writability; the caller yields.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    unsafe fn wait_writable(&mut self, l: State, timeout: i64) -> R {
        let owner = self.owner();
        // SAFETY: the contract.
        unsafe { self.base.park(l, WRITE, timeout, owner)? };
        Ok(Ret::Yield)
    }
}

/// `writer:write(data[, timeout])`.
///
/// # Safety
/// See `io.rs`.
unsafe fn write_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`; `data` stays on the stack while it is written.
    unsafe {
        let wr = check_obj::<Writer>(l)?;
        let t = ffi::lua_type(l, 2);
        if t != ffi::LUA_TSTRING && t != ffi::LUA_TNUMBER {
            return Err(arg(
                2,
                format!("string expected, got {}", lua::type_name(l, 2)),
            ));
        }
        let timeout = opt_timeout(l, 3);
        if let Some(r) = wr.prologue(l, resumed)? {
            return Ok(r);
        }
        let data = lua::to_bytes(l, 2).unwrap_or_default();
        while wr.off < data.len() {
            let rest = &data[wr.off..];
            let r = match wr.hook {
                Some(h) => h.write(rest),
                None => match sys::write_to(wr.base.fd, rest, &mut wr.socket) {
                    Ok(n) => Ok(n),
                    Err(libc::EAGAIN) => Err(None),
                    Err(e) => Err(Some(eco_abi::strerror(e))),
                },
            };
            match r {
                Ok(n) => wr.off += n,
                Err(None) => return wr.wait_writable(l, timeout),
                Err(Some(e)) => return Ok(fail(l, &e)),
            }
        }
        ffi::lua_pushinteger(l, data.len() as ffi::lua_Integer);
    }
    Ok(Ret::N(1))
}

/// `writer:sendfile(path, offset, len[, timeout])`.
///
/// # Safety
/// See `io.rs`.
unsafe fn sendfile_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`; `path` stays on the stack while it is used.
    unsafe {
        let wr = check_obj::<Writer>(l)?;
        let path = match lua::to_bytes(l, 2) {
            Some(p) if ffi::lua_type(l, 2) == ffi::LUA_TSTRING => p,
            _ => {
                return Err(arg(
                    2,
                    format!("string expected, got {}", lua::type_name(l, 2)),
                ))
            }
        };
        let offset = check_integer(l, 3)?;
        if offset < 0 {
            return Err(arg(3, "offset must be greater than or equal to 0"));
        }
        let len = check_integer(l, 4)?;
        if len <= 0 {
            return Err(arg(4, "len must be great than 0"));
        }
        let timeout = opt_timeout(l, 5);
        let started = resumed && wr.send.is_some();
        if let Some(r) = wr.prologue(l, resumed)? {
            return Ok(r);
        }
        if !started {
            let Ok(cpath) = std::ffi::CString::new(path) else {
                return Ok(fail(l, &eco_abi::strerror(libc::ENOENT)));
            };
            let in_fd = match sys::open_rdonly(&cpath) {
                Ok(fd) => fd,
                Err(e) => return Ok(fail(l, &eco_abi::strerror(e))),
            };
            wr.send = Some(SendState {
                in_fd,
                off: offset,
                left: len as usize,
                total: len as usize,
            });
        }
        loop {
            let Some(st) = wr.send.as_mut() else {
                return Err(err("sendfile state lost"));
            };
            if st.left == 0 {
                let total = st.total;
                wr.end_send();
                ffi::lua_pushinteger(l, total as ffi::lua_Integer);
                return Ok(Ret::N(1));
            }
            match sys::sendfile(wr.base.fd, st.in_fd, &mut st.off, st.left) {
                Ok(0) => {
                    wr.end_send();
                    return Ok(fail(l, eof_text(wr.base.fd)));
                }
                Ok(n) => st.left -= n.min(st.left),
                Err(libc::EAGAIN) => {
                    return wr.wait_writable(l, timeout).inspect_err(|_| wr.end_send());
                }
                Err(e) => {
                    wr.end_send();
                    return Ok(fail(l, &eco_abi::strerror(e)));
                }
            }
        }
    }
}

/// # Safety
/// See `io.rs`.
unsafe fn wait_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe { io::wait_method::<Writer>(l, resumed, |w| &mut w.base, Some(WRITE)) }
}

/// # Safety
/// See `io.rs`.
unsafe fn cancel_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe { io::cancel_method::<Writer>(l, |o| &mut o.base) }
}

/// `eco.writer(fd[, write_fn[, ctx]])`.
///
/// # Safety
/// See `io.rs`.
pub unsafe fn new(l: State, _resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let fd = io::new_fd_arg(l)?;
        let hook = hooks::write_hook(l)?;
        let s = SchedRef::from_upvalue(l);
        let wr = Writer {
            base: Base::new(s, fd),
            hook,
            off: 0,
            fair: false,
            send: None,
            // optimistic: the first send(2) to something else fails with ENOTSOCK and turns it
            // off
            socket: true,
        };
        lua::new_udata(l, wr, Writer::TNAME);
    }
    Ok(Ret::N(1))
}
