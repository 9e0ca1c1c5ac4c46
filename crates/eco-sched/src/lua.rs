//! Helpers over the raw Lua C API used by the core.
//!
//! Lua raises errors and yields by `longjmp`. A Rust frame must never be jumped over while it owns
//! something with a destructor, so every C function is split in two: a body that does the work
//! with ordinary Rust values and returns a [`Ret`], and [`finish`], which drops everything and
//! only then performs the raise or the yield.
//!
//! The C function and its continuation (the `lua_KFunction` Lua calls when a yielded coroutine
//! is resumed) are generated once, by [`cfn!`](crate::cfn), from one body
//! `unsafe fn(State, resumed: bool) -> R`: the body returns [`Ret::Yield`] to park, and is called
//! again with `resumed = true` (the wait outcome on top of the stack) when the coroutine resumes.

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use mlua_sys as ffi;
pub type State = *mut ffi::lua_State;

/// What a C function does once its Rust work is done.
pub enum Ret {
    /// Return this many values (already pushed).
    N(c_int),
    /// Yield no values; when resumed, the function's body runs again with `resumed = true`.
    Yield,
    /// Raise this message (with position information when `pos` is set).
    Err(String, bool),
    /// `bad argument #n to 'f' (msg)`.
    Arg(c_int, String),
}

/// The result of a C function's body: `Err` is a shortcut for early returns with `?`.
pub type R = Result<Ret, Ret>;

/// Raise `msg` with the position of the calling Lua code, like `luaL_error`.
pub fn err(msg: impl Into<String>) -> Ret {
    Ret::Err(msg.into(), true)
}

pub fn arg(n: c_int, msg: impl Into<String>) -> Ret {
    Ret::Arg(n, msg.into())
}

/// Defines a C function (and its continuation) running `body(l, resumed) -> R` and evaluates to
/// it as a `lua_CFunction`; registration tables list `(c"name", cfn!(path::to::body))`.
macro_rules! cfn {
    ($body:path) => {{
        /// The continuation.
        ///
        /// # Safety
        /// Called by Lua when a coroutine that yielded in `f` (or here) is resumed.
        unsafe extern "C-unwind" fn k(
            l: $crate::lua::State,
            _status: ::std::ffi::c_int,
            _ctx: $crate::lua::ffi::lua_KContext,
        ) -> ::std::ffi::c_int {
            // SAFETY: Lua calls a continuation with the running state of the resumed call.
            unsafe { $crate::lua::call(l, true, k, |l, r| $body(l, r)) }
        }
        /// The C function.
        ///
        /// # Safety
        /// Called by Lua as a C function registered by the core.
        unsafe extern "C-unwind" fn f(l: $crate::lua::State) -> ::std::ffi::c_int {
            // SAFETY: Lua calls a C function with its running state.
            unsafe { $crate::lua::call(l, false, k, |l, r| $body(l, r)) }
        }
        f as $crate::lua::ffi::lua_CFunction
    }};
}
pub(crate) use cfn;

/// The shared glue of every C function: runs the body (catching panics), then [`finish`]es with
/// `k` as the continuation of a yield.
///
/// # Safety
/// `l` must be the running Lua state of a C function (or continuation) call, and `body` must
/// uphold the rules of [`finish`] for what it leaves on the stack.
#[inline(always)]
pub unsafe fn call(
    l: State,
    resumed: bool,
    k: ffi::lua_KFunction,
    body: impl FnOnce(State, bool) -> R,
) -> c_int {
    let r = match catch_unwind(AssertUnwindSafe(|| body(l, resumed))) {
        Ok(Ok(r) | Err(r)) => r,
        Err(_) => Ret::Err("eco: internal error (Rust panic)".into(), false),
    };
    match r {
        // the common case, inline: values returned
        Ret::N(n) => n,
        // SAFETY: the caller's contract; `body`'s values are all dropped by now.
        r => unsafe { finish(l, r, k) },
    }
}

/// Returns, yields or raises as `r` says.
///
/// # Safety
/// `l` must be the running Lua state of a C function call, nothing with a destructor may be live
/// in the caller's frames up to the C function, and `N(n)` means `n` values are on the stack.
#[inline(never)]
pub unsafe fn finish(l: State, r: Ret, k: ffi::lua_KFunction) -> c_int {
    // SAFETY: the function's contract: the jumps of lua_yieldk/lua_error skip no destructor
    // (the messages are dropped before them).
    unsafe {
        match r {
            Ret::N(n) => n,
            Ret::Yield => ffi::lua_yieldk(l, 0, 0, Some(k)),
            Ret::Err(msg, pos) => {
                if pos {
                    ffi::luaL_where(l, 1);
                    push_str(l, &msg);
                    drop(msg);
                    ffi::lua_concat(l, 2);
                } else {
                    push_str(l, &msg);
                    drop(msg);
                }
                ffi::lua_error(l)
            }
            Ret::Arg(n, msg) => {
                push_str(l, &msg);
                drop(msg);
                let p = ffi::lua_tostring(l, -1);
                ffi::luaL_argerror(l, n, p)
            }
        }
    }
}

/// # Safety
/// `l` must be a valid state with room for one value.
#[inline]
pub unsafe fn push_str(l: State, s: &str) {
    // SAFETY: the contract; Lua copies the bytes.
    unsafe { ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len()) };
}

/// # Safety
/// As for [`push_str`].
#[inline]
pub unsafe fn push_bytes(l: State, s: &[u8]) {
    // SAFETY: the contract; Lua copies the bytes.
    unsafe { ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len()) };
}

/// Pushes `nil, msg` and returns 2.
///
/// # Safety
/// `l` must be a valid state with room for two values.
pub unsafe fn fail(l: State, msg: &str) -> Ret {
    // SAFETY: the contract.
    unsafe {
        ffi::lua_pushnil(l);
        push_str(l, msg);
    }
    Ret::N(2)
}

/// The bytes of the string (or number, converted in place) at `idx`, if it is one.
///
/// # Safety
/// `idx` must be a valid index of `l`, and the slot must not be changed or popped while the
/// returned slice is used (Lua keeps the string alive as long as it is on the stack).
pub unsafe fn to_bytes<'a>(l: State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    // SAFETY: the contract.
    let p = unsafe { ffi::lua_tolstring(l, idx, &mut len) };
    if p.is_null() {
        None
    } else {
        // SAFETY: Lua returned a string of `len` bytes, alive while it stays on the stack.
        Some(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
    }
}

/// # Safety
/// `idx` must be an acceptable index of `l`.
pub unsafe fn type_name(l: State, idx: c_int) -> String {
    // SAFETY: the contract; luaL_typename returns a static NUL-terminated name.
    unsafe { CStr::from_ptr(ffi::luaL_typename(l, idx)) }
        .to_string_lossy()
        .into_owned()
}

/// Integer argument check without raising: `Err(Ret)` with the standard message.
///
/// # Safety
/// `idx` must be an acceptable index of `l`.
pub unsafe fn check_integer(l: State, idx: c_int) -> Result<i64, Ret> {
    let mut isnum = 0;
    // SAFETY: the contract; these calls only read the slot.
    unsafe {
        let v = ffi::lua_tointegerx(l, idx, &mut isnum);
        if isnum != 0 {
            return Ok(v);
        }
        if ffi::lua_isnumber(l, idx) != 0 {
            Err(arg(idx, "number has no integer representation"))
        } else {
            Err(arg(
                idx,
                format!("number expected, got {}", type_name(l, idx)),
            ))
        }
    }
}

/// # Safety
/// `idx` must be an acceptable index of `l`.
pub unsafe fn check_number(l: State, idx: c_int) -> Result<f64, Ret> {
    let mut isnum = 0;
    // SAFETY: the contract; these calls only read the slot.
    unsafe {
        let v = ffi::lua_tonumberx(l, idx, &mut isnum);
        if isnum != 0 {
            Ok(v)
        } else {
            Err(arg(
                idx,
                format!("number expected, got {}", type_name(l, idx)),
            ))
        }
    }
}

/// Optional timeout argument (spec/eco.md section 1): seconds, numeric strings converted;
/// nil/absent/0/negative/non-numeric mean none. Returns nanoseconds or -1.
///
/// # Safety
/// `idx` must be an acceptable index of `l`.
pub unsafe fn opt_timeout(l: State, idx: c_int) -> i64 {
    let mut isnum = 0;
    // SAFETY: the contract.
    let v = unsafe { ffi::lua_tonumberx(l, idx, &mut isnum) };
    if isnum == 0 || v.is_nan() || v <= 0.0 {
        return -1;
    }
    ms_to_ns((v * 1000.0).floor())
}

/// Whole milliseconds (as a float) to nanoseconds, clamped to "effectively infinite".
pub fn ms_to_ns(ms: f64) -> i64 {
    const MAX_MS: f64 = (i64::MAX / 4 / 1_000_000) as f64;
    if ms >= MAX_MS {
        (MAX_MS as i64) * 1_000_000
    } else {
        ms as i64 * 1_000_000
    }
}

/// Pushes a new full userdata holding `v`, with the metatable registered under `tname`.
///
/// # Safety
/// `l` must be a valid state with room for two values and `tname` a registered metatable whose
/// `__gc` drops a `T`.
pub unsafe fn new_udata<T>(l: State, v: T, tname: &CStr) -> *mut T {
    // SAFETY: Lua returns a block of the requested size, aligned for any Lua value (the core's
    // types need at most 8-byte alignment); `v` is moved into it before anything can read it.
    unsafe {
        let p = ffi::lua_newuserdatauv(l, std::mem::size_of::<T>(), 1) as *mut T;
        std::ptr::write(p, v);
        ffi::luaL_setmetatable(l, tname.as_ptr());
        p
    }
}
