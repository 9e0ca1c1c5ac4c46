//! `eco.reader` (spec/eco.md 10): the Lua methods over [`Buf`](crate::buffer::Buf), reading a
//! descriptor or a native read hook. Bodies share the `# Safety` contract of `io.rs`.
//!
//! To add a method: write its body `unsafe fn(l, resumed) -> R` (in this file or a new one) and
//! add one line to [`METHODS`].

use std::ffi::CStr;

use eco_abi::{WAIT_CANCELED, WAIT_TIMEOUT};

use crate::buffer::{Buf, ReadErr, Source, Step};
use crate::handle::{Kind, SchedRef};
use crate::hooks::{self, ReadFn};
use crate::io::{self, check_obj, closed_err, eof_text, outcome_failure, pop_outcome, Base, Obj};
use crate::lua::cfn;
use crate::lua::{self, arg, check_integer, fail, ffi, opt_timeout, push_bytes, Ret, State, R};
use crate::sched::READ;
use crate::{sys, Funcs};

/// The reader's methods: one line per method.
pub const METHODS: &Funcs = &[
    (c"read", cfn!(read_impl)),
    (c"readfull", cfn!(readfull_impl)),
    (c"readuntil", cfn!(readuntil_impl)),
    (c"wait", cfn!(wait_impl)),
    (c"cancel", cfn!(cancel_impl)),
    (c"peek", cfn!(crate::reader_peek::peek_impl)),
    (c"skip", cfn!(crate::reader_peek::skip_impl)),
];

pub(crate) const BUF_SIZE: usize = 4096;
/// Largest single read for `read(n)` with an empty buffer.
const MAX_DIRECT_READ: usize = 1 << 20;
/// Reads up to this size go through a stack buffer.
const STACK_READ: usize = 64 * 1024;

/// The byte source under a reader: a native hook, or the fd itself.
pub struct Input {
    fd: i32,
    hook: Option<ReadFn>,
    /// A byte stream without a hook: a short read means it was drained (see `drained`).
    stream: bool,
    /// A socket: read with recv(2).
    socket: bool,
    /// The last direct read was short: the next one waits for readiness first instead of
    /// spending a read(2) on EAGAIN (a keep-alive server's next request is rarely there yet;
    /// epoll is level-triggered, so data that did arrive is reported at once).
    pub(crate) drained: bool,
}

impl Input {
    /// One read into `len` bytes at `dst` through the hook or the fd.
    ///
    /// # Safety
    /// `dst` is valid for `len` writable bytes (they need not be initialised).
    unsafe fn read_raw(&mut self, dst: *mut u8, len: usize) -> Result<usize, ReadErr> {
        if let Some(h) = self.hook {
            // SAFETY: the contract.
            return unsafe { h.read(dst, len) };
        }
        let was_socket = self.socket;
        // SAFETY: the contract.
        let r = unsafe { sys::read_raw(self.fd, dst, len, &mut self.socket) };
        if was_socket && !self.socket {
            // the socket's fd number names something else by now (dup2): no hint either
            self.stream = false;
        }
        match r {
            Ok(n) => {
                self.drained = self.stream && n > 0 && n < len;
                Ok(n)
            }
            Err(libc::EAGAIN) => Err(ReadErr::Again),
            Err(e) => Err(ReadErr::Failed(eco_abi::strerror(e))),
        }
    }
}

impl Source for Input {
    fn read(&mut self, dst: &mut [u8]) -> Result<usize, ReadErr> {
        // SAFETY: `dst` is a valid mutable slice.
        unsafe { self.read_raw(dst.as_mut_ptr(), dst.len()) }
    }
}

/// The fields and the helpers below are `pub(crate)` for methods written in other files.
pub struct Reader {
    pub(crate) base: Base,
    pub(crate) input: Input,
    pub(crate) buf: Buf,
    /// The current wait is the fairness yield (spec/eco.md 3.2), not a readiness wait.
    fair: bool,
    /// The current wait was entered on the `drained` hint, without trying a read first: if it
    /// times out, one read decides (data queued before the call must not time out).
    pub(crate) hinted: bool,
}

impl Obj for Reader {
    const KIND: Kind = Kind::Reader;
    const TNAME: &'static CStr = c"eco{reader}";
    fn close(&mut self, l: State, owner: usize) {
        if !self.base.closed {
            // SAFETY: `l` is the state running the metamethod.
            unsafe { self.base.detach(l, owner) };
        }
    }
}

impl Reader {
    fn owner(&self) -> usize {
        self as *const Reader as usize
    }

    /// Common prologue of every reading method: busy checks, the resumed-wait outcome,
    /// fairness. `Ok(None)` means: go on with the operation.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    pub(crate) unsafe fn prologue(&mut self, l: State, resumed: bool) -> Result<Option<Ret>, Ret> {
        if self.base.closed {
            return Err(closed_err());
        }
        if resumed {
            // SAFETY: the contract: a resumed body has the outcome on top.
            let outcome = unsafe { pop_outcome(l) };
            self.base.token = 0;
            if self.fair {
                self.fair = false;
                // a cancel during the fairness yield ends the call (spec/eco.md 10.5)
                if outcome == WAIT_CANCELED {
                    self.buf.reset();
                    // SAFETY: the contract.
                    return Ok(unsafe { outcome_failure(l, outcome) });
                }
            } else if self.hinted && outcome == WAIT_TIMEOUT {
                // keep `hinted`: the read that follows reports the timeout if it finds nothing
            } else {
                self.hinted = false;
                // SAFETY: the contract.
                if let Some(r) = unsafe { outcome_failure(l, outcome) } {
                    self.buf.reset();
                    return Ok(Some(r));
                }
            }
            return Ok(None);
        }
        self.base.check_busy(READ)?;
        self.buf.reset();
        // SAFETY: the contract.
        if unsafe { self.base.must_yield_for_fairness(l) } {
            // SAFETY: the contract.
            unsafe { self.base.park(l, 0, 0, 0)? };
            self.fair = true;
            return Ok(Some(Ret::Yield));
        }
        Ok(None)
    }

    /// Parks for readability; the caller yields.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    pub(crate) unsafe fn wait_readable(&mut self, l: State, timeout: i64) -> R {
        let owner = self.owner();
        // SAFETY: the contract.
        match unsafe { self.base.park(l, READ, timeout, owner) } {
            Ok(()) => Ok(Ret::Yield),
            Err(r) => {
                self.buf.reset();
                Err(r)
            }
        }
    }

    /// Pushes the result of a buffered operation, or parks on `Again`.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    pub(crate) unsafe fn finish(&mut self, l: State, step: Step<()>, timeout: i64) -> R {
        // SAFETY: the contract.
        unsafe {
            match step {
                Step::Ready(()) => Ok(Ret::N(1)),
                Step::Eof => Ok(fail(l, eof_text(self.base.fd))),
                Step::Failed(e) => Ok(fail(l, &e)),
                Step::Again => self.wait_readable(l, timeout),
            }
        }
    }

    /// `read(n)`: buffered bytes first, else one direct read.
    ///
    /// # Safety
    /// `l` is the running state of the method.
    unsafe fn read_size(&mut self, l: State, n: usize, resumed: bool, timeout: i64) -> R {
        // SAFETY: the contract.
        unsafe {
            if let Some(b) = self.buf.take(n) {
                push_bytes(l, b);
                return Ok(Ret::N(1));
            }
            // (a zero timeout, or a caller that cannot yield, tries the read first as before)
            if self.input.drained && !resumed && timeout != 0 && ffi::lua_isyieldable(l) != 0 {
                self.input.drained = false;
                let r = self.wait_readable(l, timeout);
                self.hinted = true;
                return r;
            }
        }
        let timed_out = std::mem::take(&mut self.hinted);
        let want = n.min(MAX_DIRECT_READ);
        let step = if want <= self.buf.capacity() {
            match self.buf.read_direct(want, &mut self.input) {
                Step::Ready(b) => {
                    // SAFETY: the contract.
                    unsafe { push_bytes(l, b) };
                    return Ok(Ret::N(1));
                }
                s => s.map(|_| ()),
            }
        } else if want <= STACK_READ {
            // Servers typically ask for 64 KiB at a time: read on the stack rather than
            // allocating (and freeing) that much per call. Not zeroed (that memset cost more
            // than the read): only the `k` bytes the read wrote are looked at.
            let mut tmp = std::mem::MaybeUninit::<[u8; STACK_READ]>::uninit();
            let p = tmp.as_mut_ptr() as *mut u8;
            // SAFETY: `p` is valid for STACK_READ >= want writable bytes.
            let r = unsafe { self.input.read_raw(p, want) };
            match self.buf.note(r).into_step() {
                Step::Ready(k) => {
                    // SAFETY: the read initialised the first `k` bytes; `l` as above.
                    unsafe { push_bytes(l, std::slice::from_raw_parts(p, k)) };
                    return Ok(Ret::N(1));
                }
                s => s.map(|_| ()),
            }
        } else {
            let mut v: Vec<u8> = Vec::with_capacity(want);
            // SAFETY: the vector's spare capacity is valid for `want` writable bytes.
            let r = unsafe { self.input.read_raw(v.as_mut_ptr(), want) };
            match self.buf.note(r).into_step() {
                Step::Ready(k) => {
                    // SAFETY: the read initialised the first `k` bytes; `l` as above.
                    unsafe {
                        v.set_len(k);
                        push_bytes(l, &v);
                    }
                    return Ok(Ret::N(1));
                }
                s => s.map(|_| ()),
            }
        };
        if step == Step::Again && timed_out {
            // SAFETY: the contract.
            return Ok(unsafe { fail(l, "timeout") });
        }
        // SAFETY: the contract.
        unsafe { self.finish(l, step, timeout) }
    }
}

#[derive(Clone, Copy)]
enum Fmt {
    Size(usize),
    Line(bool),
    All,
}

/// # Safety
/// `l` is the running state of a C function.
unsafe fn parse_fmt(l: State) -> Result<Fmt, Ret> {
    // SAFETY: the contract; the format string stays on the stack while it is compared.
    unsafe {
        match ffi::lua_type(l, 2) {
            ffi::LUA_TNUMBER => {
                if ffi::lua_isinteger(l, 2) == 0 {
                    return Err(arg(2, "invalid format"));
                }
                let n = ffi::lua_tointeger(l, 2);
                if n <= 0 {
                    return Err(arg(2, "expected size must be greater than 0"));
                }
                Ok(Fmt::Size(n.min(isize::MAX as i64) as usize))
            }
            ffi::LUA_TSTRING => {
                let b = lua::to_bytes(l, 2).unwrap_or_default();
                let b = b.strip_prefix(b"*").unwrap_or(b);
                match b {
                    b"l" => Ok(Fmt::Line(false)),
                    b"L" => Ok(Fmt::Line(true)),
                    b"a" => Ok(Fmt::All),
                    _ => Err(arg(2, "invalid format")),
                }
            }
            _ => Err(arg(2, "invalid format")),
        }
    }
}

/// Pushes a buffered operation's bytes: `Step<&[u8]>` to `Step<()>`.
///
/// # Safety
/// `l` is a valid state with room for a value.
unsafe fn push(l: State, step: Step<&[u8]>) -> Step<()> {
    // SAFETY: the contract.
    step.map(|b| unsafe { push_bytes(l, b) })
}

/// `reader:read(format[, timeout])`.
///
/// # Safety
/// See `io.rs`.
unsafe fn read_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let rd = check_obj::<Reader>(l)?;
        let fmt = parse_fmt(l)?;
        let timeout = opt_timeout(l, 3);
        if let Some(r) = rd.prologue(l, resumed)? {
            return Ok(r);
        }
        let step = match fmt {
            Fmt::Size(n) => return rd.read_size(l, n, resumed, timeout),
            Fmt::Line(keep) => push(l, rd.buf.line(keep, &mut rd.input)),
            Fmt::All => push(l, rd.buf.all(&mut rd.input)),
        };
        rd.finish(l, step, timeout)
    }
}

/// `reader:readfull(size[, timeout])`.
///
/// # Safety
/// See `io.rs`.
unsafe fn readfull_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let rd = check_obj::<Reader>(l)?;
        let size = match check_integer(l, 2)? {
            n if n > 0 => n as usize,
            _ => return Err(arg(2, "size must be greater than 0")),
        };
        let timeout = opt_timeout(l, 3);
        if let Some(r) = rd.prologue(l, resumed)? {
            return Ok(r);
        }
        let step = push(l, rd.buf.full(size, &mut rd.input));
        rd.finish(l, step, timeout)
    }
}

/// `reader:readuntil(needle[, timeout])`.
///
/// # Safety
/// See `io.rs`.
unsafe fn readuntil_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`; the needle stays on the stack.
    unsafe {
        let rd = check_obj::<Reader>(l)?;
        let needle = match lua::to_bytes(l, 2) {
            Some(b)
                if ffi::lua_type(l, 2) == ffi::LUA_TSTRING && !b.is_empty() && b.len() <= 256 =>
            {
                b
            }
            _ => return Err(arg(2, "needle length must be 1~256 bytes")),
        };
        let timeout = opt_timeout(l, 3);
        if let Some(r) = rd.prologue(l, resumed)? {
            return Ok(r);
        }
        let step = match rd.buf.until(needle, &mut rd.input) {
            Step::Ready((b, found)) => {
                push_bytes(l, b);
                if found {
                    ffi::lua_pushboolean(l, 1);
                    return Ok(Ret::N(2));
                }
                Step::Ready(())
            }
            s => s.map(|_| ()),
        };
        rd.finish(l, step, timeout)
    }
}

/// # Safety
/// See `io.rs`.
unsafe fn wait_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe { io::wait_method::<Reader>(l, resumed, |r| &mut r.base, Some(READ)) }
}

/// # Safety
/// See `io.rs`.
unsafe fn cancel_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe { io::cancel_method::<Reader>(l, |o| &mut o.base) }
}

/// `eco.reader(fd[, read_fn[, ctx]])`.
///
/// # Safety
/// See `io.rs`.
pub unsafe fn new(l: State, _resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let fd = io::new_fd_arg(l)?;
        let hook = hooks::read_hook(l)?;
        let s = SchedRef::from_upvalue(l);
        let kind = sys::fd_kind(fd);
        let rd = Reader {
            base: Base::new(s, fd),
            input: Input {
                fd,
                hook,
                stream: hook.is_none() && kind.byte_stream(),
                socket: matches!(kind, sys::FdKind::Socket { .. }),
                drained: false,
            },
            buf: Buf::new(BUF_SIZE),
            fair: false,
            hinted: false,
        };
        lua::new_udata(l, rd, Reader::TNAME);
    }
    Ok(Ret::N(1))
}
