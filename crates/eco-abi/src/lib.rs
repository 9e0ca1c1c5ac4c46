//! The versioned `#[repr(C)]` table that `eco-sched` publishes in the Lua registry under the
//! string key [`REGISTRY_KEY`] (as a light userdata), so that native modules living in other
//! `.so` files can park and wake coroutines without sharing any Rust type with the core.
//!
//! Rules of the table:
//! * it only grows at its end; a client checks `abi_version` and that `struct_size` covers the
//!   entries it uses;
//! * every entry takes the opaque `sched` pointer first; it stays valid for the life of the Lua
//!   state (it is reset in place by `eco._init()`, never moved);
//! * coroutines are named by their `lua_State*` (what `lua_topointer` gives for a thread); the core
//!   keeps a parked coroutine alive by a registry reference, so a client holds only the token.
//!
//! The native read/write hook contract that `eco.reader`/`eco.writer` accept (spec/eco.md 10.6)
//! is [`ReadHook`]/[`WriteHook`]: a module hands them to Lua as light userdata.
//! With the `hooks` feature, `hooks::Hooked` provides them for a stream type implementing the
//! safe `hooks::HookStream` trait, so module crates can stay `#![forbid(unsafe_code)]`.

use std::ffi::{c_char, c_int, c_void};

/// Registry key (a string) of the light userdata pointing at [`EcoAbi`].
pub const REGISTRY_KEY: &str = "eco.abi";
/// Bumped only on an incompatible change; additions grow `struct_size` instead.
pub const ABI_VERSION: u32 = 1;

/// Event bits, equal to epoll's.
pub const READ: u32 = 1;
pub const WRITE: u32 = 4;

/// Outcome of a finished wait, as returned by [`EcoAbi::finish`].
pub const WAIT_PENDING: c_int = 0;
pub const WAIT_WOKEN: c_int = 1;
pub const WAIT_TIMEOUT: c_int = 2;
pub const WAIT_CANCELED: c_int = 3;

/// Errors returned (negated) by `park` besides `-errno`.
/// The caller is not running in a yieldable coroutine.
pub const PARK_NOT_YIELDABLE: i64 = -100_000;
/// Another coroutine already waits for this direction on this fd.
pub const PARK_BUSY: i64 = -100_001;

/// Park `co` (a `lua_State*`) until woken, until `fd` (if >= 0) is ready for `events`, or until
/// `timeout_ms` elapses (negative = no timeout). Returns a token > 0, or a negative code
/// (`-errno`, [`PARK_NOT_YIELDABLE`], [`PARK_BUSY`]). The caller must then yield `co` with no
/// values; the scheduler resumes it with one integer, the outcome (`WAIT_*`), as the yield's
/// result, and the token is released at that point.
pub type ParkFn = extern "C-unwind" fn(
    sched: *mut c_void,
    co: *mut c_void,
    fd: c_int,
    events: u32,
    timeout_ms: i64,
) -> i64;
/// Queue the coroutine parked under `token` with outcome `WAIT_WOKEN` (or `WAIT_CANCELED` for
/// `cancel`). A wait whose timer fired but which has not run yet is re-labelled woken, so a
/// wake that races a timeout wins. Returns 1 if the token was still waiting or queued, else 0.
pub type WakeFn = extern "C-unwind" fn(sched: *mut c_void, token: i64) -> c_int;
/// Withdraw `token` without resuming its coroutine (it gave up, or its owner object died) and
/// return its outcome so far (`WAIT_PENDING` if nothing had happened yet).
pub type FinishFn = extern "C-unwind" fn(sched: *mut c_void, token: i64) -> c_int;
/// Monotonic milliseconds as the scheduler's timers see them.
pub type NowFn = extern "C-unwind" fn(sched: *mut c_void) -> i64;
/// Accepts `hook` (a [`ReadHook`] for [`HOOK_READ`], a [`WriteHook`] for [`HOOK_WRITE`], as a
/// data pointer) in the hook position of `eco.reader`/`eco.writer`: the core calls only hook
/// functions registered this way, so a light userdata made by Lua code (`debug.upvalueid`) is
/// rejected instead of called. Returns 1 if accepted.
pub type RegisterHookFn =
    extern "C-unwind" fn(sched: *mut c_void, hook: *mut c_void, kind: u32) -> c_int;

/// `kind` of [`RegisterHookFn`].
pub const HOOK_READ: u32 = 1;
pub const HOOK_WRITE: u32 = 2;

#[repr(C)]
pub struct EcoAbi {
    pub abi_version: u32,
    pub struct_size: u32,
    pub sched: *mut c_void,
    pub park: ParkFn,
    pub wake: WakeFn,
    pub cancel: WakeFn,
    pub finish: FinishFn,
    pub now_ms: NowFn,
    /// Added after the first release: check `struct_size` before use.
    pub register_hook: RegisterHookFn,
}

/// Native read hook (spec/eco.md 10.6): returns bytes produced (> 0), 0 at end of stream,
/// `-EAGAIN` to wait for readability, any other negative value for failure with `*err` set to a
/// NUL-terminated message that stays valid until the next call on the same `ctx`.
///
/// A hook must not call into Lua (it runs while the reader object is borrowed). The core calls
/// only hooks registered with [`EcoAbi::register_hook`].
///
/// # Safety
/// `buf` must be valid for `len` writable bytes, `err` null or a valid out-pointer, and `ctx`
/// what the hook's module paired it with.
pub type ReadHook = unsafe extern "C-unwind" fn(
    buf: *mut u8,
    len: usize,
    ctx: *mut c_void,
    err: *mut *const c_char,
) -> isize;
/// Native write hook: returns bytes written (>= 0), `-EAGAIN` to wait for writability, other
/// negative values for failure with `*err` set as for [`ReadHook`].
///
/// # Safety
/// `buf` must hold `len` readable bytes; `err` and `ctx` as for [`ReadHook`].
pub type WriteHook = unsafe extern "C-unwind" fn(
    buf: *const u8,
    len: usize,
    ctx: *mut c_void,
    err: *mut *const c_char,
) -> isize;

/// `strerror` text of an errno, without Rust's ` (os error N)` suffix.
pub fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Same as [`strerror`] for an `io::Error`.
pub fn io_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => strerror(n),
        None => e.to_string(),
    }
}

/// Borrows a descriptor number received from Lua for one syscall.
///
/// An fd number that is not open (or that gets closed meanwhile by other code) makes the syscall
/// fail with `EBADF`; the borrow itself touches no memory.
pub fn borrow_fd<'a>(fd: i32) -> std::os::fd::BorrowedFd<'a> {
    // SAFETY: `BorrowedFd` only carries the number; `-1` is the only value it rejects, and callers
    // validate `fd >= 0` (see `checked_fd`).
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// Validates a descriptor number from Lua: `Err(EBADF)` when it cannot be a descriptor.
pub fn checked_fd(fd: i64) -> Result<i32, i32> {
    if (0..=i32::MAX as i64).contains(&fd) {
        Ok(fd as i32)
    } else {
        Err(libc::EBADF)
    }
}

/// Closes a descriptor number owned by the caller (received from Lua), returning the errno.
pub fn close_fd(fd: i32) -> Result<(), i32> {
    // SAFETY: closing a plain descriptor number touches no memory; a wrong number fails with EBADF.
    let r = unsafe { libc::close(fd) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    }
}

#[cfg(feature = "hooks")]
pub mod hooks;

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub use client::{raise_mark, raising, timeout_ms, ParkError, Sched};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_has_no_rust_suffix() {
        assert_eq!(strerror(libc::EBADF), "Bad file descriptor");
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
    }

    #[test]
    fn table_layout_is_stable() {
        // abi_version, struct_size, then pointer-sized entries in declaration order.
        assert_eq!(std::mem::offset_of!(EcoAbi, sched), 8);
        assert_eq!(
            std::mem::offset_of!(EcoAbi, park),
            8 + std::mem::size_of::<usize>()
        );
        assert_eq!(
            std::mem::size_of::<EcoAbi>(),
            8 + 7 * std::mem::size_of::<usize>()
        );
    }
}
