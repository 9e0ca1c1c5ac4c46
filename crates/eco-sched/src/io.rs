//! `eco.io`, `eco.reader` and `eco.writer` (spec/eco.md sections 8-11).
//!
//! Each blocking method is a C function plus a continuation: the function validates, tries the
//! operation, and on EAGAIN parks the coroutine and yields; the scheduler resumes it with the wait
//! outcome as the single value, and the continuation picks up where the function left off (the
//! method's arguments are still on the stack). Progress that must survive a yield (a partial
//! line, bytes written so far) lives in the object.

use std::ffi::{c_char, c_int, c_void, CStr};

use eco_abi::{ReadHook, WriteHook, WAIT_CANCELED, WAIT_TIMEOUT};

use crate::lua::{self, arg, check_integer, err, fail, ffi, opt_timeout, push_bytes, Ret, State};
use crate::sched::{Sched, FAIRNESS_NS, READ, WRITE};
use crate::{set_funcs, sys, R};

// `static`, not `const`: `test_obj` finds a type by the address of its name.
static IO_T: &CStr = c"eco{io}";
pub(crate) static READER_T: &CStr = c"eco{reader}";
static WRITER_T: &CStr = c"eco{writer}";
pub(crate) const BUF_SIZE: usize = 4096;
/// Largest single read for `read(n)` with an empty buffer.
const MAX_DIRECT_READ: usize = 1 << 20;
/// Reads up to this size go through a stack buffer.
const STACK_READ: usize = 64 * 1024;

const ERR_OBJ_BUSY: &str = "another coroutine is already waiting on this I/O object";
const ERR_FD_READ_BUSY: &str =
    "another coroutine is already waiting for read on this file descriptor";
const ERR_FD_WRITE_BUSY: &str =
    "another coroutine is already waiting for write on this file descriptor";
const ERR_NOT_YIELDABLE: &str = "attempt to yield from outside a coroutine";

pub struct IoObj {
    s: *mut Sched,
    fd: i32,
    token: i64,
    closed: bool,
}

pub struct Reader {
    pub(crate) s: *mut Sched,
    pub(crate) fd: i32,
    pub(crate) token: i64,
    pub(crate) closed: bool,
    hook: Option<(ReadHook, *mut c_void)>,
    pub(crate) buf: Box<[u8]>,
    pub(crate) r: usize,
    pub(crate) w: usize,
    eof: bool,
    acc: Vec<u8>,
    fair: bool,
    /// A byte stream without a hook: a short read means it was drained (see `drained`).
    stream: bool,
    /// A socket: read with recv(2).
    socket: bool,
    /// The current wait was entered on the `drained` hint, without trying a read first: if it
    /// times out, one read decides (data queued before the call must not time out).
    pub(crate) hinted: bool,
    /// The last direct read was short: the next one waits for readiness first instead of
    /// spending a read(2) on EAGAIN (a keep-alive server's next request is rarely there yet;
    /// epoll is level-triggered, so data that did arrive is reported at once).
    pub(crate) drained: bool,
}

struct SendState {
    in_fd: i32,
    off: i64,
    left: usize,
    total: usize,
}

pub struct Writer {
    s: *mut Sched,
    fd: i32,
    token: i64,
    closed: bool,
    hook: Option<(WriteHook, *mut c_void)>,
    off: usize,
    fair: bool,
    send: Option<SendState>,
    /// Written with send(2) (MSG_NOSIGNAL) until that fails with ENOTSOCK, then write(2).
    socket: bool,
}

// ---- shared helpers ------------------------------------------------------------------------------

/// `luaL_testudata` for the core's own types without its registry lookup by name (a string
/// hash and a strcmp per method call): the metatable is compared with the one this state
/// registered. Only for C functions whose upvalue 1 is the scheduler.
unsafe fn test_obj<T>(l: State, idx: c_int, tname: &CStr) -> *mut T {
    let s = crate::sched(l);
    let want = (*s)
        .udata_mts
        .iter()
        .find(|(n, _)| *n == tname.as_ptr())
        .map_or(std::ptr::null(), |(_, mt)| *mt);
    let p = ffi::lua_touserdata(l, idx);
    if p.is_null() || want.is_null() || ffi::lua_getmetatable(l, idx) == 0 {
        return std::ptr::null_mut();
    }
    let mt = ffi::lua_topointer(l, -1);
    ffi::lua_pop(l, 1);
    if mt == want {
        p as *mut T
    } else {
        std::ptr::null_mut()
    }
}

pub(crate) unsafe fn check_obj<'a, T>(
    l: State,
    tname: &CStr,
    what: &str,
) -> Result<&'a mut T, Ret> {
    let p = test_obj::<T>(l, 1, tname);
    if p.is_null() {
        return Err(arg(
            1,
            format!("{what} expected, got {}", lua::type_name(l, 1)),
        ));
    }
    Ok(&mut *p)
}

pub(crate) fn closed_err() -> Ret {
    err("attempt to use a closed I/O object")
}

/// Checks the per-object and per-fd busy rules of spec/eco.md section 9.
unsafe fn check_busy(s: *mut Sched, token: i64, fd: i32, events: u32) -> Result<(), Ret> {
    if token != 0 {
        return Err(err(ERR_OBJ_BUSY));
    }
    match (*s).fd_busy(fd, events) {
        0 => Ok(()),
        b if b & READ != 0 => Err(err(ERR_FD_READ_BUSY)),
        _ => Err(err(ERR_FD_WRITE_BUSY)),
    }
}

/// Parks the running coroutine on `fd` for the wrapper object `owner` (its address; 0 when the
/// wait has no fd); on failure returns the Lua-visible result.
unsafe fn park(
    l: State,
    s: *mut Sched,
    fd: i32,
    events: u32,
    timeout: i64,
    owner: usize,
) -> Result<i64, Ret> {
    match (*s).park_owned(l, fd, events, timeout, owner) {
        Ok(t) => Ok(t),
        Err(eco_abi::PARK_NOT_YIELDABLE) => Err(err(ERR_NOT_YIELDABLE)),
        Err(eco_abi::PARK_BUSY) => Err(err(ERR_OBJ_BUSY)),
        Err(e) => Err(fail(l, &eco_abi::strerror((-e) as i32))),
    }
}

/// Whether this coroutine has run long enough that it must yield once (spec/eco.md 3.2).
/// The coarse clock is enough for a 300 ms budget, and cheaper than a precise reading on every
/// I/O call (measurable in request/response servers).
unsafe fn must_yield_for_fairness(l: State, s: *mut Sched) -> bool {
    ffi::lua_isyieldable(l) != 0 && sys::coarse_now_ns() - (*s).resumed_at >= FAIRNESS_NS
}

/// Pops the wait outcome the scheduler resumed us with.
unsafe fn pop_outcome(l: State) -> c_int {
    let o = ffi::lua_tointeger(l, -1) as c_int;
    ffi::lua_pop(l, 1);
    o
}

unsafe fn outcome_failure(l: State, outcome: c_int) -> Option<Ret> {
    match outcome {
        WAIT_TIMEOUT => Some(fail(l, "timeout")),
        WAIT_CANCELED => Some(fail(l, "canceled")),
        _ => None,
    }
}

pub(crate) fn eof_text(fd: i32) -> &'static str {
    if sys::is_socket(fd) {
        "closed"
    } else {
        "eof"
    }
}

unsafe fn new_fd_arg(l: State) -> Result<i32, Ret> {
    let fd = check_integer(l, 1)?;
    if fd < 0 || fd > i32::MAX as i64 {
        return Err(fail(l, &eco_abi::strerror(libc::EBADF)));
    }
    if let Err(e) = sys::set_nonblock(fd as i32) {
        return Err(fail(l, &eco_abi::strerror(e)));
    }
    Ok(fd as i32)
}

/// Optional light userdata argument (hook pointers): absent is fine, anything else raises.
unsafe fn opt_light(l: State, idx: c_int) -> Result<*mut c_void, Ret> {
    if ffi::lua_gettop(l) < idx {
        return Ok(std::ptr::null_mut());
    }
    if ffi::lua_type(l, idx) != ffi::LUA_TLIGHTUSERDATA {
        return Err(arg(
            idx,
            format!("userdata expected, got {}", lua::type_name(l, idx)),
        ));
    }
    Ok(ffi::lua_touserdata(l, idx))
}

// ---- eco.io -------------------------------------------------------------------------------------

unsafe fn io_new(l: State) -> R {
    let fd = new_fd_arg(l)?;
    let s = crate::sched(l);
    lua::new_udata(
        l,
        IoObj {
            s,
            fd,
            token: 0,
            closed: false,
        },
        IO_T,
    );
    Ok(Ret::N(1))
}
pub unsafe extern "C-unwind" fn l_io(l: State) -> c_int {
    crate::run(l, |l| io_new(l))
}

unsafe fn io_wait_impl(l: State) -> R {
    let o = check_obj::<IoObj>(l, IO_T, "eco{io}")?;
    if o.closed {
        return Err(closed_err());
    }
    let ev = check_integer(l, 2)?;
    if ev == 0 || ev & !((READ | WRITE) as i64) != 0 {
        return Err(arg(2, "invalid event"));
    }
    let timeout = opt_timeout(l, 3);
    check_busy(o.s, o.token, o.fd, ev as u32)?;
    o.token = park(l, o.s, o.fd, ev as u32, timeout, o as *const IoObj as usize)?;
    Ok(Ret::Yield(Some(io_wait_k)))
}
unsafe extern "C-unwind" fn io_wait(l: State) -> c_int {
    crate::run(l, |l| io_wait_impl(l))
}
unsafe fn io_wait_k_impl(l: State) -> R {
    let outcome = pop_outcome(l);
    let o = check_obj::<IoObj>(l, IO_T, "eco{io}")?;
    o.token = 0;
    if let Some(r) = outcome_failure(l, outcome) {
        return Ok(r);
    }
    ffi::lua_pushboolean(l, 1);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn io_wait_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| io_wait_k_impl(l))
}

unsafe fn cancel_token(s: *mut Sched, token: i64) {
    if token != 0 {
        (*s).wake(token, WAIT_CANCELED, false);
    }
}

unsafe fn io_cancel_impl(l: State) -> R {
    let o = check_obj::<IoObj>(l, IO_T, "eco{io}")?;
    cancel_token(o.s, o.token);
    Ok(Ret::N(0))
}
unsafe extern "C-unwind" fn io_cancel(l: State) -> c_int {
    crate::run(l, |l| io_cancel_impl(l))
}

unsafe fn io_getfd_impl(l: State) -> R {
    let o = check_obj::<IoObj>(l, IO_T, "eco{io}")?;
    ffi::lua_pushinteger(l, o.fd as ffi::lua_Integer);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn io_getfd(l: State) -> c_int {
    crate::run(l, |l| io_getfd_impl(l))
}

/// `__gc`/`__close`: detach from the fd registry; a waiter is dropped without being resumed.
unsafe fn detach(
    l: State,
    s: *mut Sched,
    fd: i32,
    owner: usize,
    token: &mut i64,
    closed: &mut bool,
) {
    (*s).forget_owner(fd, owner);
    if *token != 0 {
        (*s).abandon(l, *token);
        *token = 0;
    }
    *closed = true;
}

unsafe extern "C-unwind" fn io_gc(l: State) -> c_int {
    let p = test_obj::<IoObj>(l, 1, IO_T);
    if !p.is_null() && !(*p).closed {
        let o = &mut *p;
        detach(l, o.s, o.fd, p as usize, &mut o.token, &mut o.closed);
    }
    0
}

// ---- eco.reader ---------------------------------------------------------------------------------

pub(crate) enum Fill {
    Data(usize),
    /// End of stream; carries whether the EOF flag was already set.
    Eof(bool),
    Again,
    Err(String),
}

#[derive(Clone, Copy)]
enum Fmt {
    Size(usize),
    Line(bool),
    All,
}

impl Reader {
    pub(crate) fn buffered(&self) -> usize {
        self.w - self.r
    }

    /// Reads once into `dst` through the hook or the fd, maintaining the EOF flag.
    unsafe fn read_into(&mut self, dst: *mut u8, len: usize) -> Fill {
        let n: Result<usize, String> = match self.hook {
            Some((f, ctx)) => {
                let mut e: *const c_char = std::ptr::null();
                let r = f(dst, len, ctx, &mut e);
                if r >= 0 {
                    Ok(r as usize)
                } else if r == -(libc::EAGAIN as isize) {
                    return Fill::Again;
                } else if e.is_null() {
                    Err(eco_abi::strerror((-r) as i32))
                } else {
                    Err(CStr::from_ptr(e).to_string_lossy().into_owned())
                }
            }
            None => {
                let was_socket = self.socket;
                let r = sys::read_raw(self.fd, dst, len, &mut self.socket);
                if was_socket && !self.socket {
                    // the socket's fd number names something else by now (dup2): no hint either
                    self.stream = false;
                }
                match r {
                    Ok(n) => {
                        self.drained = self.stream && n > 0 && n < len;
                        Ok(n)
                    }
                    Err(libc::EAGAIN) => return Fill::Again,
                    Err(e) => Err(eco_abi::strerror(e)),
                }
            }
        };
        match n {
            Ok(0) => {
                let was = self.eof;
                self.eof = true;
                Fill::Eof(was)
            }
            Ok(n) => {
                self.eof = false;
                Fill::Data(n)
            }
            Err(e) => Fill::Err(e),
        }
    }

    /// Refills the internal buffer (compacting it first).
    pub(crate) unsafe fn fill(&mut self) -> Fill {
        if self.r > 0 {
            self.buf.copy_within(self.r..self.w, 0);
            self.w -= self.r;
            self.r = 0;
        }
        let (w, len) = (self.w, self.buf.len() - self.w);
        let dst = self.buf.as_mut_ptr().add(w);
        let f = self.read_into(dst, len);
        if let Fill::Data(n) = f {
            self.w += n;
        }
        f
    }

    fn take_buffered(&mut self) {
        self.acc.extend_from_slice(&self.buf[self.r..self.w]);
        self.r = 0;
        self.w = 0;
    }
}

unsafe fn parse_fmt(l: State) -> Result<Fmt, Ret> {
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

/// Common prologue of every reading method: busy checks, the resumed-wait outcome, fairness.
/// `Ok(None)` means: go on with the operation.
pub(crate) unsafe fn read_prologue(
    l: State,
    rd: &mut Reader,
    resumed: bool,
    keep_acc: bool,
) -> Result<Option<Ret>, Ret> {
    if rd.closed {
        return Err(closed_err());
    }
    if resumed {
        let outcome = pop_outcome(l);
        rd.token = 0;
        if rd.fair {
            rd.fair = false;
        } else if rd.hinted && outcome == WAIT_TIMEOUT {
            // keep `hinted`: the read that follows reports the timeout if it finds nothing
        } else {
            rd.hinted = false;
            if let Some(r) = outcome_failure(l, outcome) {
                rd.acc.clear();
                return Ok(Some(r));
            }
        }
        return Ok(None);
    }
    check_busy(rd.s, rd.token, rd.fd, READ)?;
    if !keep_acc {
        rd.acc.clear();
    }
    if must_yield_for_fairness(l, rd.s) {
        rd.token = park(l, rd.s, -1, 0, 0, 0)?;
        rd.fair = true;
        return Ok(Some(Ret::Yield(None)));
    }
    Ok(None)
}

/// Parks for readability; the caller yields with its continuation.
pub(crate) unsafe fn wait_readable(l: State, rd: &mut Reader, timeout: i64) -> Result<(), Ret> {
    match park(l, rd.s, rd.fd, READ, timeout, rd as *const Reader as usize) {
        Ok(t) => {
            rd.token = t;
            Ok(())
        }
        Err(r) => {
            rd.acc.clear();
            Err(r)
        }
    }
}

unsafe fn reader_read_impl(l: State, resumed: bool) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    let fmt = parse_fmt(l)?;
    let timeout = opt_timeout(l, 3);
    if let Some(r) = read_prologue(l, rd, resumed, false)? {
        return Ok(match r {
            Ret::Yield(_) => Ret::Yield(Some(reader_read_k)),
            r => r,
        });
    }
    loop {
        match fmt {
            Fmt::Size(n) => {
                if rd.buffered() > 0 {
                    let k = n.min(rd.buffered());
                    push_bytes(l, &rd.buf[rd.r..rd.r + k]);
                    rd.r += k;
                    return Ok(Ret::N(1));
                }
                // (a zero timeout, or a caller that cannot yield, tries the read first as before)
                if rd.drained && !resumed && timeout != 0 && ffi::lua_isyieldable(l) != 0 {
                    rd.drained = false;
                    wait_readable(l, rd, timeout)?;
                    rd.hinted = true;
                    return Ok(Ret::Yield(Some(reader_read_k)));
                }
                let timed_out = std::mem::take(&mut rd.hinted);
                let want = n.min(MAX_DIRECT_READ);
                let f = if want <= rd.buf.len() {
                    rd.r = 0;
                    rd.w = 0;
                    let p = rd.buf.as_mut_ptr();
                    rd.read_into(p, want)
                } else if want <= STACK_READ {
                    // Servers typically ask for 64 KiB at a time: read on the stack rather than
                    // allocating (and freeing) that much per call.
                    // Not zeroed (that memset cost more than the read): only the `k` bytes the
                    // read wrote are looked at.
                    let mut tmp = std::mem::MaybeUninit::<[u8; STACK_READ]>::uninit();
                    let p = tmp.as_mut_ptr() as *mut u8;
                    match rd.read_into(p, want) {
                        Fill::Data(k) => {
                            // SAFETY: read(2) (or the hook) initialised the first `k` bytes.
                            push_bytes(l, std::slice::from_raw_parts(p, k));
                            return Ok(Ret::N(1));
                        }
                        f => f,
                    }
                } else {
                    rd.acc.clear();
                    rd.acc.reserve(want);
                    let p = rd.acc.as_mut_ptr();
                    let f = rd.read_into(p, want);
                    if let Fill::Data(k) = f {
                        rd.acc.set_len(k);
                        push_bytes(l, &rd.acc);
                        rd.acc = Vec::new();
                        return Ok(Ret::N(1));
                    }
                    f
                };
                match f {
                    Fill::Data(k) => {
                        push_bytes(l, &rd.buf[..k]);
                        return Ok(Ret::N(1));
                    }
                    Fill::Eof(_) => return Ok(fail(l, eof_text(rd.fd))),
                    Fill::Err(e) => return Ok(fail(l, &e)),
                    Fill::Again if timed_out => return Ok(fail(l, "timeout")),
                    Fill::Again => {}
                }
            }
            Fmt::Line(keep) => {
                if let Some(p) = rd.buf[rd.r..rd.w].iter().position(|&c| c == b'\n') {
                    let end = rd.r + p + 1;
                    rd.acc.extend_from_slice(&rd.buf[rd.r..end]);
                    rd.r = end;
                    let mut line = std::mem::take(&mut rd.acc);
                    if !keep {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    push_bytes(l, &line);
                    line.clear();
                    rd.acc = line;
                    return Ok(Ret::N(1));
                }
                rd.take_buffered();
                match rd.fill() {
                    Fill::Data(_) => continue,
                    Fill::Eof(_) => {
                        rd.acc.clear();
                        return Ok(fail(l, eof_text(rd.fd)));
                    }
                    Fill::Err(e) => {
                        rd.acc.clear();
                        return Ok(fail(l, &e));
                    }
                    Fill::Again => {}
                }
            }
            Fmt::All => {
                rd.take_buffered();
                match rd.fill() {
                    Fill::Data(_) => continue,
                    Fill::Eof(was) => {
                        if was && rd.acc.is_empty() {
                            return Ok(fail(l, eof_text(rd.fd)));
                        }
                        push_bytes(l, &rd.acc);
                        rd.acc.clear();
                        return Ok(Ret::N(1));
                    }
                    Fill::Err(e) => {
                        rd.acc.clear();
                        return Ok(fail(l, &e));
                    }
                    Fill::Again => {}
                }
            }
        }
        wait_readable(l, rd, timeout)?;
        return Ok(Ret::Yield(Some(reader_read_k)));
    }
}
unsafe extern "C-unwind" fn reader_read(l: State) -> c_int {
    crate::run(l, |l| reader_read_impl(l, false))
}
unsafe extern "C-unwind" fn reader_read_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| reader_read_impl(l, true))
}

unsafe fn reader_readfull_impl(l: State, resumed: bool) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    let size = match check_integer(l, 2)? {
        n if n > 0 => n as usize,
        _ => return Err(arg(2, "size must be greater than 0")),
    };
    let timeout = opt_timeout(l, 3);
    if let Some(r) = read_prologue(l, rd, resumed, false)? {
        return Ok(match r {
            Ret::Yield(_) => Ret::Yield(Some(reader_readfull_k)),
            r => r,
        });
    }
    loop {
        let need = size - rd.acc.len();
        let k = need.min(rd.buffered());
        rd.acc.extend_from_slice(&rd.buf[rd.r..rd.r + k]);
        rd.r += k;
        if rd.acc.len() == size {
            push_bytes(l, &rd.acc);
            rd.acc.clear();
            return Ok(Ret::N(1));
        }
        match rd.fill() {
            Fill::Data(_) => continue,
            Fill::Eof(_) => {
                rd.acc.clear();
                return Ok(fail(l, eof_text(rd.fd)));
            }
            Fill::Err(e) => {
                rd.acc.clear();
                return Ok(fail(l, &e));
            }
            Fill::Again => {}
        }
        wait_readable(l, rd, timeout)?;
        return Ok(Ret::Yield(Some(reader_readfull_k)));
    }
}
unsafe extern "C-unwind" fn reader_readfull(l: State) -> c_int {
    crate::run(l, |l| reader_readfull_impl(l, false))
}
unsafe extern "C-unwind" fn reader_readfull_k(
    l: State,
    _st: c_int,
    _ctx: ffi::lua_KContext,
) -> c_int {
    crate::run(l, |l| reader_readfull_impl(l, true))
}

unsafe fn reader_readuntil_impl(l: State, resumed: bool) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    let needle = match lua::to_bytes(l, 2) {
        Some(b) if ffi::lua_type(l, 2) == ffi::LUA_TSTRING && !b.is_empty() && b.len() <= 256 => b,
        _ => return Err(arg(2, "needle length must be 1~256 bytes")),
    };
    let timeout = opt_timeout(l, 3);
    if let Some(r) = read_prologue(l, rd, resumed, false)? {
        return Ok(match r {
            Ret::Yield(_) => Ret::Yield(Some(reader_readuntil_k)),
            r => r,
        });
    }
    loop {
        let data = &rd.buf[rd.r..rd.w];
        if let Some(p) = data.windows(needle.len()).position(|w| w == needle) {
            push_bytes(l, &data[..p]);
            rd.r += p + needle.len();
            ffi::lua_pushboolean(l, 1);
            return Ok(Ret::N(2));
        }
        if data.len() > needle.len() {
            let k = data.len() - needle.len() + 1;
            push_bytes(l, &data[..k]);
            rd.r += k;
            return Ok(Ret::N(1));
        }
        match rd.fill() {
            Fill::Data(_) => continue,
            Fill::Eof(_) => {
                if rd.buffered() > 0 {
                    push_bytes(l, &rd.buf[rd.r..rd.w]);
                    rd.r = 0;
                    rd.w = 0;
                    return Ok(Ret::N(1));
                }
                return Ok(fail(l, eof_text(rd.fd)));
            }
            Fill::Err(e) => return Ok(fail(l, &e)),
            Fill::Again => {}
        }
        wait_readable(l, rd, timeout)?;
        return Ok(Ret::Yield(Some(reader_readuntil_k)));
    }
}
unsafe extern "C-unwind" fn reader_readuntil(l: State) -> c_int {
    crate::run(l, |l| reader_readuntil_impl(l, false))
}
unsafe extern "C-unwind" fn reader_readuntil_k(
    l: State,
    _st: c_int,
    _ctx: ffi::lua_KContext,
) -> c_int {
    crate::run(l, |l| reader_readuntil_impl(l, true))
}

unsafe fn reader_wait_impl(l: State) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    if rd.closed {
        return Err(closed_err());
    }
    let timeout = opt_timeout(l, 2);
    check_busy(rd.s, rd.token, rd.fd, READ)?;
    rd.token = park(l, rd.s, rd.fd, READ, timeout, rd as *const Reader as usize)?;
    Ok(Ret::Yield(Some(reader_wait_k)))
}
unsafe extern "C-unwind" fn reader_wait(l: State) -> c_int {
    crate::run(l, |l| reader_wait_impl(l))
}
unsafe fn reader_wait_k_impl(l: State) -> R {
    let outcome = pop_outcome(l);
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    rd.token = 0;
    if let Some(r) = outcome_failure(l, outcome) {
        return Ok(r);
    }
    ffi::lua_pushboolean(l, 1);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn reader_wait_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| reader_wait_k_impl(l))
}

unsafe fn reader_cancel_impl(l: State) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    if !rd.fair {
        cancel_token(rd.s, rd.token);
    }
    Ok(Ret::N(0))
}
unsafe extern "C-unwind" fn reader_cancel(l: State) -> c_int {
    crate::run(l, |l| reader_cancel_impl(l))
}

unsafe fn reader_new(l: State) -> R {
    let fd = new_fd_arg(l)?;
    let f = opt_light(l, 2)?;
    let ctx = opt_light(l, 3)?;
    let hook = if f.is_null() {
        None
    } else {
        // SAFETY: light userdata in this position comes from our native modules, which export
        // functions of exactly this type (spec/eco.md 10.6; Lua code cannot make such pointers).
        Some((std::mem::transmute::<*mut c_void, ReadHook>(f), ctx))
    };
    let s = crate::sched(l);
    let kind = sys::fd_kind(fd);
    let rd = Reader {
        s,
        fd,
        token: 0,
        closed: false,
        hook,
        buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
        r: 0,
        w: 0,
        eof: false,
        acc: Vec::new(),
        fair: false,
        stream: hook.is_none() && kind.byte_stream(),
        socket: matches!(kind, sys::FdKind::Socket { .. }),
        drained: false,
        hinted: false,
    };
    lua::new_udata(l, rd, READER_T);
    Ok(Ret::N(1))
}
pub unsafe extern "C-unwind" fn l_reader(l: State) -> c_int {
    crate::run(l, |l| reader_new(l))
}

unsafe extern "C-unwind" fn reader_gc(l: State) -> c_int {
    let p = test_obj::<Reader>(l, 1, READER_T);
    if !p.is_null() {
        let rd = &mut *p;
        if !rd.closed {
            detach(l, rd.s, rd.fd, p as usize, &mut rd.token, &mut rd.closed);
        }
        if ffi::lua_gettop(l) >= 1 && is_gc_call(l) {
            std::ptr::drop_in_place(p);
        }
    }
    0
}

// ---- eco.writer ---------------------------------------------------------------------------------

unsafe fn writer_prologue(l: State, wr: &mut Writer, resumed: bool) -> Result<Option<Ret>, Ret> {
    if wr.closed {
        return Err(closed_err());
    }
    if resumed {
        let outcome = pop_outcome(l);
        wr.token = 0;
        if wr.fair {
            wr.fair = false;
            wr.off = 0;
        } else if let Some(r) = outcome_failure(l, outcome) {
            end_send(wr);
            return Ok(Some(r));
        }
        return Ok(None);
    }
    check_busy(wr.s, wr.token, wr.fd, WRITE)?;
    wr.off = 0;
    end_send(wr);
    if must_yield_for_fairness(l, wr.s) {
        wr.token = park(l, wr.s, -1, 0, 0, 0)?;
        wr.fair = true;
        return Ok(Some(Ret::Yield(None)));
    }
    Ok(None)
}

fn end_send(wr: &mut Writer) {
    if let Some(st) = wr.send.take() {
        sys::close(st.in_fd);
    }
}

unsafe fn writer_write_impl(l: State, resumed: bool) -> R {
    let wr = check_obj::<Writer>(l, WRITER_T, "eco{writer}")?;
    let t = ffi::lua_type(l, 2);
    if t != ffi::LUA_TSTRING && t != ffi::LUA_TNUMBER {
        return Err(arg(
            2,
            format!("string expected, got {}", lua::type_name(l, 2)),
        ));
    }
    let timeout = opt_timeout(l, 3);
    if let Some(r) = writer_prologue(l, wr, resumed)? {
        return Ok(match r {
            Ret::Yield(_) => Ret::Yield(Some(writer_write_k)),
            r => r,
        });
    }
    let data = lua::to_bytes(l, 2).unwrap_or_default();
    while wr.off < data.len() {
        let rest = &data[wr.off..];
        let r: Result<usize, String> = match wr.hook {
            Some((f, ctx)) => {
                let mut e: *const c_char = std::ptr::null();
                let n = f(rest.as_ptr(), rest.len(), ctx, &mut e);
                if n >= 0 {
                    Ok(n as usize)
                } else if n == -(libc::EAGAIN as isize) {
                    Ok(usize::MAX)
                } else if e.is_null() {
                    Err(eco_abi::strerror((-n) as i32))
                } else {
                    Err(CStr::from_ptr(e).to_string_lossy().into_owned())
                }
            }
            None => match sys::write_to(wr.fd, rest, &mut wr.socket) {
                Ok(n) => Ok(n),
                Err(libc::EAGAIN) => Ok(usize::MAX),
                Err(e) => Err(eco_abi::strerror(e)),
            },
        };
        match r {
            Ok(usize::MAX) => {
                wr.token = park(l, wr.s, wr.fd, WRITE, timeout, wr as *const Writer as usize)?;
                return Ok(Ret::Yield(Some(writer_write_k)));
            }
            Ok(n) => wr.off += n,
            Err(e) => return Ok(fail(l, &e)),
        }
    }
    ffi::lua_pushinteger(l, data.len() as ffi::lua_Integer);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn writer_write(l: State) -> c_int {
    crate::run(l, |l| writer_write_impl(l, false))
}
unsafe extern "C-unwind" fn writer_write_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| writer_write_impl(l, true))
}

unsafe fn writer_sendfile_impl(l: State, resumed: bool) -> R {
    let wr = check_obj::<Writer>(l, WRITER_T, "eco{writer}")?;
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
    if let Some(r) = writer_prologue(l, wr, resumed)? {
        return Ok(match r {
            Ret::Yield(_) => Ret::Yield(Some(writer_sendfile_k)),
            r => r,
        });
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
            end_send(wr);
            ffi::lua_pushinteger(l, total as ffi::lua_Integer);
            return Ok(Ret::N(1));
        }
        match sys::sendfile(wr.fd, st.in_fd, &mut st.off, st.left) {
            Ok(0) => {
                end_send(wr);
                return Ok(fail(l, eof_text(wr.fd)));
            }
            Ok(n) => st.left -= n.min(st.left),
            Err(libc::EAGAIN) => {
                wr.token = park(l, wr.s, wr.fd, WRITE, timeout, wr as *const Writer as usize)
                    .inspect_err(|_| end_send(wr))?;
                return Ok(Ret::Yield(Some(writer_sendfile_k)));
            }
            Err(e) => {
                end_send(wr);
                return Ok(fail(l, &eco_abi::strerror(e)));
            }
        }
    }
}
unsafe extern "C-unwind" fn writer_sendfile(l: State) -> c_int {
    crate::run(l, |l| writer_sendfile_impl(l, false))
}
unsafe extern "C-unwind" fn writer_sendfile_k(
    l: State,
    _st: c_int,
    _ctx: ffi::lua_KContext,
) -> c_int {
    crate::run(l, |l| writer_sendfile_impl(l, true))
}

unsafe fn writer_wait_impl(l: State) -> R {
    let wr = check_obj::<Writer>(l, WRITER_T, "eco{writer}")?;
    if wr.closed {
        return Err(closed_err());
    }
    let timeout = opt_timeout(l, 2);
    check_busy(wr.s, wr.token, wr.fd, WRITE)?;
    wr.token = park(l, wr.s, wr.fd, WRITE, timeout, wr as *const Writer as usize)?;
    Ok(Ret::Yield(Some(writer_wait_k)))
}
unsafe extern "C-unwind" fn writer_wait(l: State) -> c_int {
    crate::run(l, |l| writer_wait_impl(l))
}
unsafe fn writer_wait_k_impl(l: State) -> R {
    let outcome = pop_outcome(l);
    let wr = check_obj::<Writer>(l, WRITER_T, "eco{writer}")?;
    wr.token = 0;
    if let Some(r) = outcome_failure(l, outcome) {
        return Ok(r);
    }
    ffi::lua_pushboolean(l, 1);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn writer_wait_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| writer_wait_k_impl(l))
}

unsafe fn writer_cancel_impl(l: State) -> R {
    let wr = check_obj::<Writer>(l, WRITER_T, "eco{writer}")?;
    if !wr.fair {
        cancel_token(wr.s, wr.token);
    }
    Ok(Ret::N(0))
}
unsafe extern "C-unwind" fn writer_cancel(l: State) -> c_int {
    crate::run(l, |l| writer_cancel_impl(l))
}

unsafe fn writer_new(l: State) -> R {
    let fd = new_fd_arg(l)?;
    let f = opt_light(l, 2)?;
    let ctx = opt_light(l, 3)?;
    let hook = if f.is_null() {
        None
    } else {
        // SAFETY: as for the reader hook: only our native modules can supply this pointer.
        Some((std::mem::transmute::<*mut c_void, WriteHook>(f), ctx))
    };
    let s = crate::sched(l);
    let wr = Writer {
        s,
        fd,
        token: 0,
        closed: false,
        hook,
        off: 0,
        fair: false,
        send: None,
        // optimistic: the first send(2) to something else fails with ENOTSOCK and turns it off
        socket: true,
    };
    lua::new_udata(l, wr, WRITER_T);
    Ok(Ret::N(1))
}
pub unsafe extern "C-unwind" fn l_writer(l: State) -> c_int {
    crate::run(l, |l| writer_new(l))
}

unsafe extern "C-unwind" fn writer_gc(l: State) -> c_int {
    let p = test_obj::<Writer>(l, 1, WRITER_T);
    if !p.is_null() {
        let wr = &mut *p;
        if !wr.closed {
            detach(l, wr.s, wr.fd, p as usize, &mut wr.token, &mut wr.closed);
            end_send(wr);
        }
        if is_gc_call(l) {
            std::ptr::drop_in_place(p);
        }
    }
    0
}

/// `__gc` is called with one argument, `__close` with two (the value and the error).
unsafe fn is_gc_call(l: State) -> bool {
    ffi::lua_gettop(l) == 1
}

// ---- registration -------------------------------------------------------------------------------

unsafe fn new_type(
    l: State,
    s: *mut Sched,
    tname: &CStr,
    gc: ffi::lua_CFunction,
    close: ffi::lua_CFunction,
    methods: &[(&CStr, ffi::lua_CFunction)],
) {
    ffi::luaL_newmetatable(l, tname.as_ptr());
    if let Some(slot) = (*s)
        .udata_mts
        .iter_mut()
        .find(|(n, _)| n.is_null() || *n == tname.as_ptr())
    {
        *slot = (tname.as_ptr(), ffi::lua_topointer(l, -1));
    }
    ffi::lua_createtable(l, 0, methods.len() as c_int);
    set_funcs(l, s, methods);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushlightuserdata(l, s.cast());
    ffi::lua_pushcclosure(l, gc, 1);
    ffi::lua_setfield(l, -2, c"__gc".as_ptr());
    ffi::lua_pushlightuserdata(l, s.cast());
    ffi::lua_pushcclosure(l, close, 1);
    ffi::lua_setfield(l, -2, c"__close".as_ptr());
    ffi::lua_pop(l, 1);
}

pub unsafe fn register_types(l: State, s: *mut Sched) {
    new_type(
        l,
        s,
        IO_T,
        io_gc,
        io_gc,
        &[
            (c"wait", io_wait),
            (c"cancel", io_cancel),
            (c"getfd", io_getfd),
        ],
    );
    new_type(
        l,
        s,
        READER_T,
        reader_gc,
        reader_gc,
        &[
            (c"read", reader_read),
            (c"readfull", reader_readfull),
            (c"readuntil", reader_readuntil),
            (c"peek", crate::reader_peek::reader_peek),
            (c"skip", crate::reader_peek::reader_skip),
            (c"wait", reader_wait),
            (c"cancel", reader_cancel),
        ],
    );
    new_type(
        l,
        s,
        WRITER_T,
        writer_gc,
        writer_gc,
        &[
            (c"write", writer_write),
            (c"sendfile", writer_sendfile),
            (c"wait", writer_wait),
            (c"cancel", writer_cancel),
        ],
    );
}
