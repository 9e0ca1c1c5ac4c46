//! Helpers over the raw Lua C API used by the core.
//!
//! Lua raises errors and yields by `longjmp`. A Rust frame must never be jumped over while it owns
//! something with a destructor, so every C function is split in two: an `*_impl` that does the
//! work with ordinary Rust values and returns a [`Ret`], and [`finish`], which drops everything and
//! only then performs the raise or the yield.

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use mlua_sys as ffi;
pub type State = *mut ffi::lua_State;

/// What a C function does once its Rust work is done.
pub enum Ret {
    /// Return this many values (already pushed).
    N(c_int),
    /// Yield no values; resume continues in the given continuation.
    Yield(Option<ffi::lua_KFunction>),
    /// Raise this message (with position information when `pos` is set).
    Err(String, bool),
    /// `bad argument #n to 'f' (msg)`.
    Arg(c_int, String),
}

/// Raise `msg` with the position of the calling Lua code, like `luaL_error`.
pub fn err(msg: impl Into<String>) -> Ret {
    Ret::Err(msg.into(), true)
}

pub fn arg(n: c_int, msg: impl Into<String>) -> Ret {
    Ret::Arg(n, msg.into())
}

/// Runs `f` and turns its result into the C function's return, raising or yielding as asked.
///
/// # Safety
/// `l` must be the running Lua state of a C function call.
#[inline]
pub unsafe fn guard(l: State, f: impl FnOnce(State) -> Ret) -> c_int {
    let r = match catch_unwind(AssertUnwindSafe(|| f(l))) {
        Ok(r) => r,
        Err(_) => Ret::Err("eco: internal error (Rust panic)".into(), false),
    };
    finish(l, r)
}

/// # Safety
/// As for [`guard`]. Nothing with a destructor may be live in the caller's frame.
pub unsafe fn finish(l: State, r: Ret) -> c_int {
    match r {
        Ret::N(n) => n,
        Ret::Yield(k) => ffi::lua_yieldk(l, 0, 0, k),
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

/// # Safety
/// `l` must be a valid state with room for one value.
#[inline]
pub unsafe fn push_str(l: State, s: &str) {
    ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len());
}

#[inline]
pub unsafe fn push_bytes(l: State, s: &[u8]) {
    ffi::lua_pushlstring(l, s.as_ptr() as *const c_char, s.len());
}

/// Pushes `nil, msg` and returns 2.
pub unsafe fn fail(l: State, msg: &str) -> Ret {
    ffi::lua_pushnil(l);
    push_str(l, msg);
    Ret::N(2)
}

/// The bytes of the string (or number, converted in place) at `idx`, if it is one.
pub unsafe fn to_bytes<'a>(l: State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p as *const u8, len))
    }
}

pub unsafe fn type_name(l: State, idx: c_int) -> String {
    let p = ffi::luaL_typename(l, idx);
    CStr::from_ptr(p).to_string_lossy().into_owned()
}

/// Integer argument check without raising: `Err(Ret)` with the standard message.
pub unsafe fn check_integer(l: State, idx: c_int) -> Result<i64, Ret> {
    let mut isnum = 0;
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

pub unsafe fn check_number(l: State, idx: c_int) -> Result<f64, Ret> {
    let mut isnum = 0;
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

/// Optional timeout argument (spec/eco.md section 1): seconds, numeric strings converted;
/// nil/absent/0/negative/non-numeric mean none. Returns nanoseconds or -1.
pub unsafe fn opt_timeout(l: State, idx: c_int) -> i64 {
    let mut isnum = 0;
    let v = ffi::lua_tonumberx(l, idx, &mut isnum);
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
pub unsafe fn new_udata<T>(l: State, v: T, tname: &CStr) -> *mut T {
    let p = ffi::lua_newuserdatauv(l, std::mem::size_of::<T>(), 1) as *mut T;
    std::ptr::write(p, v);
    ffi::luaL_setmetatable(l, tname.as_ptr());
    p
}
