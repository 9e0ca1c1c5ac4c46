//! `eco.io` (spec/eco.md 9) and what the three descriptor wrappers share: object lookup, the
//! busy rules, parking, fairness, wait outcomes, `__gc`/`__close`, and type registration.
//!
//! Each blocking method is one body `unsafe fn(l, resumed) -> R` turned into a C function and its
//! continuation by [`cfn!`](crate::lua::cfn): the body validates, tries the operation, and on EAGAIN
//! parks the coroutine and returns [`Ret::Yield`]; the scheduler resumes it with the wait outcome
//! as the single value, and the body runs again with `resumed` set (the method's arguments are
//! still on the stack). Progress that must survive a yield lives in the object.
//!
//! Every body (`*_impl`, and the `new` constructors) shares one `# Safety` contract: it is
//! called through `cfn!` with the running state of a function the core registered (upvalue 1 is
//! the scheduler, see `handle.rs`).

use std::ffi::{c_int, CStr};

use eco_abi::{WAIT_CANCELED, WAIT_TIMEOUT};

use crate::handle::{Kind, SchedRef};
use crate::lua::cfn;
use crate::lua::{self, arg, check_integer, err, fail, ffi, opt_timeout, Ret, State, R};
use crate::sched::{FAIRNESS_NS, READ, WRITE};
use crate::{set_funcs, sys, Funcs};

const ERR_OBJ_BUSY: &str = "another coroutine is already waiting on this I/O object";
const ERR_FD_READ_BUSY: &str =
    "another coroutine is already waiting for read on this file descriptor";
const ERR_FD_WRITE_BUSY: &str =
    "another coroutine is already waiting for write on this file descriptor";
const ERR_NOT_YIELDABLE: &str = "attempt to yield from outside a coroutine";

/// A userdata type of the core.
pub trait Obj {
    const KIND: Kind;
    const TNAME: &'static CStr;
    /// Teardown of `__gc`/`__close` (see [`gc`]).
    fn close(&mut self, l: State, owner: usize);
}

/// What every wrapper holds: its scheduler, fd and current wait.
pub struct Base {
    pub s: SchedRef,
    pub fd: i32,
    /// The token of the wait in progress, or 0.
    pub token: i64,
    pub closed: bool,
}

impl Base {
    pub fn new(s: SchedRef, fd: i32) -> Base {
        Base {
            s,
            fd,
            token: 0,
            closed: false,
        }
    }

    /// Checks the per-object and per-fd busy rules of spec/eco.md section 9.
    pub fn check_busy(&self, events: u32) -> Result<(), Ret> {
        if self.token != 0 {
            return Err(err(ERR_OBJ_BUSY));
        }
        match self.s.with(|s| s.fd_busy(self.fd, events)) {
            0 => Ok(()),
            b if b & READ != 0 => Err(err(ERR_FD_READ_BUSY)),
            _ => Err(err(ERR_FD_WRITE_BUSY)),
        }
    }

    /// Parks the running coroutine `l` on this fd for `events` (0: no fd, a plain timer) for
    /// the wrapper at `owner`, and records the token. On failure returns the Lua-visible result.
    ///
    /// # Safety
    /// `l` is the running state of a C function with room for two values.
    pub unsafe fn park(
        &mut self,
        l: State,
        events: u32,
        timeout: i64,
        owner: usize,
    ) -> Result<(), Ret> {
        let fd = if events == 0 { -1 } else { self.fd };
        let parked = self.s.with(|s| {
            // SAFETY: the contract (parking takes a registry reference to `l`).
            unsafe { s.park_owned(l, fd, events, timeout, owner) }
        });
        match parked {
            Ok(t) => {
                self.token = t;
                Ok(())
            }
            Err(eco_abi::PARK_NOT_YIELDABLE) => Err(err(ERR_NOT_YIELDABLE)),
            Err(eco_abi::PARK_BUSY) => Err(err(ERR_OBJ_BUSY)),
            // SAFETY: the contract.
            Err(e) => Err(unsafe { fail(l, &eco_abi::strerror((-e) as i32)) }),
        }
    }

    /// Cancels the wait in progress (it is resumed later with "canceled").
    pub fn cancel(&self) {
        if self.token != 0 {
            self.s.with(|s| s.wake(self.token, WAIT_CANCELED, false));
        }
    }

    /// Whether this coroutine has run long enough that it must yield once (spec/eco.md 3.2).
    /// The coarse clock is enough for a 300 ms budget, and cheaper than a precise reading on
    /// every I/O call (measurable in request/response servers).
    ///
    /// # Safety
    /// `l` is a valid state.
    pub unsafe fn must_yield_for_fairness(&self, l: State) -> bool {
        // SAFETY: the contract.
        let yieldable = unsafe { ffi::lua_isyieldable(l) != 0 };
        yieldable && sys::coarse_now_ns() - self.s.with(|s| s.resumed_at) >= FAIRNESS_NS
    }

    /// `__gc`/`__close`: detach from the fd registry; a waiter is dropped without being resumed.
    ///
    /// # Safety
    /// `l` is a thread of the scheduler's state.
    pub unsafe fn detach(&mut self, l: State, owner: usize) {
        let (fd, token) = (self.fd, self.token);
        self.s.with(|s| {
            s.forget_owner(fd, owner);
            if token != 0 {
                // SAFETY: the contract; only the registry reference of the wait is released.
                unsafe { s.abandon(l, token) };
            }
        });
        self.token = 0;
        self.closed = true;
    }
}

/// `luaL_testudata` for the core's own types without its registry lookup by name (a string
/// hash and a strcmp per method call): the metatable is compared with the one this state
/// registered.
///
/// # Safety
/// `l` is the running state of a function the core registered (upvalue 1 = the scheduler), and
/// `idx` an acceptable index.
pub unsafe fn test_obj<T: Obj>(l: State, idx: c_int) -> *mut T {
    // SAFETY: the contract; a userdata whose metatable is `T`'s was made by `new_udata::<T>`.
    unsafe {
        let want = SchedRef::from_upvalue(l).core().metatable(T::KIND);
        let p = ffi::lua_touserdata(l, idx);
        if p.is_null() || want.is_null() || ffi::lua_getmetatable(l, idx) == 0 {
            return std::ptr::null_mut();
        }
        let mt = ffi::lua_topointer(l, -1);
        ffi::lua_pop(l, 1);
        if mt == want && ffi::lua_type(l, idx) == ffi::LUA_TUSERDATA {
            p as *mut T
        } else {
            std::ptr::null_mut()
        }
    }
}

/// The object argument of a method (`self`), raising `eco{x} expected` otherwise.
///
/// # Safety
/// As for [`test_obj`]; the object stays on the stack (alive) while the reference is used, and
/// no other reference to it is live.
pub unsafe fn check_obj<'a, T: Obj>(l: State) -> Result<&'a mut T, Ret> {
    // SAFETY: the contract.
    let p = unsafe { test_obj::<T>(l, 1) };
    if p.is_null() {
        let name = T::TNAME.to_string_lossy();
        // SAFETY: the contract.
        let got = unsafe { lua::type_name(l, 1) };
        return Err(arg(1, format!("{name} expected, got {got}")));
    }
    // SAFETY: see above.
    Ok(unsafe { &mut *p })
}

pub fn closed_err() -> Ret {
    err("attempt to use a closed I/O object")
}

/// Pops the wait outcome the scheduler resumed us with.
///
/// # Safety
/// `l` has the outcome on top (a resumed body).
pub unsafe fn pop_outcome(l: State) -> c_int {
    // SAFETY: the contract.
    unsafe {
        let o = ffi::lua_tointeger(l, -1) as c_int;
        ffi::lua_pop(l, 1);
        o
    }
}

/// The Lua result of a wait that ended by timeout or cancel.
///
/// # Safety
/// `l` is a valid state with room for two values.
pub unsafe fn outcome_failure(l: State, outcome: c_int) -> Option<Ret> {
    // SAFETY: the contract.
    unsafe {
        match outcome {
            WAIT_TIMEOUT => Some(fail(l, "timeout")),
            WAIT_CANCELED => Some(fail(l, "canceled")),
            _ => None,
        }
    }
}

/// The end-of-stream failure text: "closed" on a socket, "eof" otherwise.
pub fn eof_text(fd: i32) -> &'static str {
    if sys::is_socket(fd) {
        "closed"
    } else {
        "eof"
    }
}

/// The fd argument of a constructor, made non-blocking.
///
/// # Safety
/// `l` is the running state of a C function.
pub unsafe fn new_fd_arg(l: State) -> Result<i32, Ret> {
    // SAFETY: the contract.
    let fd = unsafe { check_integer(l, 1)? };
    if fd < 0 || fd > i32::MAX as i64 {
        // SAFETY: the contract.
        return Err(unsafe { fail(l, &eco_abi::strerror(libc::EBADF)) });
    }
    if let Err(e) = sys::set_nonblock(fd as i32) {
        // SAFETY: the contract.
        return Err(unsafe { fail(l, &eco_abi::strerror(e)) });
    }
    Ok(fd as i32)
}

/// The `wait` method shared by the three wrappers: readiness for `events` (`None`: the events
/// argument at index 2), then `true`, or the failure.
///
/// # Safety
/// See the module documentation.
pub unsafe fn wait_method<T: Obj>(
    l: State,
    resumed: bool,
    base: impl FnOnce(&mut T) -> &mut Base,
    events: Option<u32>,
) -> R {
    // SAFETY: the module's contract.
    unsafe {
        let o = check_obj::<T>(l)?;
        let owner = o as *const T as usize;
        let b = base(o);
        if resumed {
            let outcome = pop_outcome(l);
            b.token = 0;
            if let Some(r) = outcome_failure(l, outcome) {
                return Ok(r);
            }
            ffi::lua_pushboolean(l, 1);
            return Ok(Ret::N(1));
        }
        if b.closed {
            return Err(closed_err());
        }
        let (ev, tidx) = match events {
            Some(ev) => (ev, 2),
            None => {
                let ev = check_integer(l, 2)?;
                if ev == 0 || ev & !((READ | WRITE) as i64) != 0 {
                    return Err(arg(2, "invalid event"));
                }
                (ev as u32, 3)
            }
        };
        let timeout = opt_timeout(l, tidx);
        b.check_busy(ev)?;
        b.park(l, ev, timeout, owner)?;
        Ok(Ret::Yield)
    }
}

/// `__gc` (one argument) and `__close` (two): tear the object down; `__gc` also drops it.
///
/// # Safety
/// Called by Lua as a metamethod registered by [`new_type`] for `T`.
pub unsafe fn gc<T: Obj>(l: State, _resumed: bool) -> R {
    // SAFETY: the contract; `__gc` runs once, last, so the value is dropped exactly once.
    unsafe {
        let p = test_obj::<T>(l, 1);
        if !p.is_null() {
            (*p).close(l, p as usize);
            if ffi::lua_gettop(l) == 1 {
                std::ptr::drop_in_place(p);
            }
        }
    }
    Ok(Ret::N(0))
}

// ---- eco.io -------------------------------------------------------------------------------------

pub struct IoObj {
    base: Base,
}

impl Obj for IoObj {
    const KIND: Kind = Kind::Io;
    const TNAME: &'static CStr = c"eco{io}";
    fn close(&mut self, l: State, owner: usize) {
        if !self.base.closed {
            // SAFETY: `l` is the state running the metamethod.
            unsafe { self.base.detach(l, owner) };
        }
    }
}

/// `eco.io(fd)`.
///
/// # Safety
/// See the module documentation.
pub unsafe fn new(l: State, _resumed: bool) -> R {
    // SAFETY: the module's contract.
    unsafe {
        let fd = new_fd_arg(l)?;
        let s = SchedRef::from_upvalue(l);
        lua::new_udata(
            l,
            IoObj {
                base: Base::new(s, fd),
            },
            IoObj::TNAME,
        );
    }
    Ok(Ret::N(1))
}

/// # Safety
/// See the module documentation.
unsafe fn wait_impl(l: State, resumed: bool) -> R {
    // SAFETY: the module's contract.
    unsafe { wait_method::<IoObj>(l, resumed, |o| &mut o.base, None) }
}

/// `cancel()` of every wrapper (spec/eco.md 9, 10.5, 11): wakes the coroutine waiting on it, also
/// during a reader's or writer's fairness yield (the call then ends with "canceled").
///
/// # Safety
/// See the module documentation.
pub unsafe fn cancel_method<T: Obj>(l: State, base: impl FnOnce(&mut T) -> &mut Base) -> R {
    // SAFETY: the module's contract.
    base(unsafe { check_obj::<T>(l)? }).cancel();
    Ok(Ret::N(0))
}

/// # Safety
/// See the module documentation.
unsafe fn cancel_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the module's contract.
    unsafe { cancel_method::<IoObj>(l, |o| &mut o.base) }
}

/// # Safety
/// See the module documentation.
unsafe fn getfd_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the module's contract.
    unsafe {
        let o = check_obj::<IoObj>(l)?;
        ffi::lua_pushinteger(l, o.base.fd as ffi::lua_Integer);
    }
    Ok(Ret::N(1))
}

const IO_METHODS: &Funcs = &[
    (c"wait", cfn!(wait_impl)),
    (c"cancel", cfn!(cancel_impl)),
    (c"getfd", cfn!(getfd_impl)),
];

// ---- registration -------------------------------------------------------------------------------

/// Registers the metatable of `T` with `methods` as `__index` and `gc` as `__gc`/`__close`.
///
/// # Safety
/// `l` is a valid state of `s`'s scheduler with room for a few values.
unsafe fn new_type<T: Obj>(l: State, s: SchedRef, gc: ffi::lua_CFunction, methods: &Funcs) {
    // SAFETY: the contract.
    unsafe {
        ffi::luaL_newmetatable(l, T::TNAME.as_ptr());
        s.core().set_metatable(T::KIND, ffi::lua_topointer(l, -1));
        ffi::lua_createtable(l, 0, methods.len() as c_int);
        set_funcs(l, s, methods);
        ffi::lua_setfield(l, -2, c"__index".as_ptr());
        set_funcs(l, s, &[(c"__gc", gc), (c"__close", gc)]);
        ffi::lua_pop(l, 1);
    }
}

/// Registers the three wrapper types.
///
/// # Safety
/// As for [`new_type`].
pub unsafe fn register_types(l: State, s: SchedRef) {
    use crate::reader::Reader;
    use crate::writer::Writer;
    // SAFETY: the contract.
    unsafe {
        new_type::<IoObj>(l, s, cfn!(gc::<IoObj>), IO_METHODS);
        new_type::<Reader>(l, s, cfn!(gc::<Reader>), crate::reader::METHODS);
        new_type::<Writer>(l, s, cfn!(gc::<Writer>), crate::writer::METHODS);
    }
}
