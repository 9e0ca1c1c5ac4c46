//! Native read/write hooks under `eco.reader`/`eco.writer` (spec/eco.md 10.6).
//!
//! The hook function arrives from Lua as a light userdata, which Lua code can also make
//! (`debug.upvalueid` returns one). So the core calls only functions a native module registered
//! through the ABI (`EcoAbi.register_hook`, kept in Rust memory that Lua cannot reach); anything
//! else is rejected with an argument error before it is dereferenced. The `ctx` pointer is the
//! hook's own business: `eco_abi::hooks` checks it against the streams it owns.
//!
//! A hook runs while the reader or writer object is borrowed: it must not call into Lua.

use std::ffi::{c_char, c_int, c_void, CStr};

use eco_abi::{ReadHook, WriteHook, HOOK_READ, HOOK_WRITE};

use crate::buffer::ReadErr;
use crate::handle::SchedRef;
use crate::lua::{self, arg, ffi, Ret, State};

/// `EcoAbi.register_hook`: accepts `hook` as a native hook of `kind` (`HOOK_READ`/`HOOK_WRITE`).
pub extern "C-unwind" fn abi_register_hook(
    sched: *mut c_void,
    hook: *mut c_void,
    kind: u32,
) -> c_int {
    if hook.is_null() || (kind != HOOK_READ && kind != HOOK_WRITE) {
        return 0;
    }
    // SAFETY: `sched` is the pointer the core published.
    let s = unsafe { SchedRef::from_abi(sched) };
    s.with(|s| {
        if !s.hooks.contains(&(hook as usize, kind)) {
            s.hooks.push((hook as usize, kind));
        }
    });
    1
}

/// Optional light userdata argument: absent gives null; anything else than a light userdata
/// raises `userdata expected`.
///
/// # Safety
/// `l` is the running state of a C function.
unsafe fn opt_light(l: State, idx: c_int) -> Result<*mut c_void, Ret> {
    // SAFETY: the contract; these calls only read the slot.
    unsafe {
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
}

/// The hook function at `idx` (if any) and the ctx after it, checked against the registered
/// hooks of `kind`.
///
/// # Safety
/// `l` is the running state of a function registered by the core (upvalue 1 = the scheduler).
unsafe fn opt_hook(l: State, idx: c_int, kind: u32) -> Result<Option<(usize, *mut c_void)>, Ret> {
    // SAFETY: the contract.
    let (f, ctx, s) = unsafe {
        (
            opt_light(l, idx)?,
            opt_light(l, idx + 1)?,
            SchedRef::from_upvalue(l),
        )
    };
    if f.is_null() {
        return Ok(None);
    }
    if !s.with(|s| s.hooks.contains(&(f as usize, kind))) {
        let what = if kind == HOOK_READ { "read" } else { "write" };
        return Err(arg(idx, format!("not a native {what} hook")));
    }
    Ok(Some((f as usize, ctx)))
}

/// A registered native read hook and its context.
#[derive(Clone, Copy)]
pub struct ReadFn(ReadHook, *mut c_void);

/// A registered native write hook and its context.
#[derive(Clone, Copy)]
pub struct WriteFn(WriteHook, *mut c_void);

/// The read hook arguments of `eco.reader(fd, read_fn, ctx)`.
///
/// # Safety
/// As for `opt_hook`.
pub unsafe fn read_hook(l: State) -> Result<Option<ReadFn>, Ret> {
    // SAFETY: the contract.
    Ok(unsafe { opt_hook(l, 2, HOOK_READ)? }.map(|(f, ctx)| {
        // SAFETY: `f` was registered through the ABI as a read hook: a function of this type.
        ReadFn(unsafe { std::mem::transmute::<usize, ReadHook>(f) }, ctx)
    }))
}

/// The write hook arguments of `eco.writer(fd, write_fn, ctx)`.
///
/// # Safety
/// As for `opt_hook`.
pub unsafe fn write_hook(l: State) -> Result<Option<WriteFn>, Ret> {
    // SAFETY: the contract.
    Ok(unsafe { opt_hook(l, 2, HOOK_WRITE)? }.map(|(f, ctx)| {
        // SAFETY: `f` was registered through the ABI as a write hook: a function of this type.
        WriteFn(unsafe { std::mem::transmute::<usize, WriteHook>(f) }, ctx)
    }))
}

/// The hook's message for a failure return `r` (`*err`, or the errno text).
///
/// # Safety
/// `e` is null or the NUL-terminated message the hook set.
unsafe fn hook_error(r: isize, e: *const c_char) -> String {
    if e.is_null() {
        eco_abi::strerror((-r) as i32)
    } else {
        // SAFETY: the contract.
        unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
    }
}

impl ReadFn {
    /// One call of the hook into `len` bytes at `dst`.
    ///
    /// # Safety
    /// `dst` is valid for `len` writable bytes.
    pub unsafe fn read(self, dst: *mut u8, len: usize) -> Result<usize, ReadErr> {
        let mut e: *const c_char = std::ptr::null();
        // SAFETY: a registered hook of this type, called with its context and a valid buffer.
        let r = unsafe { (self.0)(dst, len, self.1, &mut e) };
        if r >= 0 {
            Ok(r as usize)
        } else if r == -(libc::EAGAIN as isize) {
            Err(ReadErr::Again)
        } else {
            // SAFETY: the hook contract: `e` is null or its message.
            Err(ReadErr::Failed(unsafe { hook_error(r, e) }))
        }
    }
}

impl WriteFn {
    /// One call of the hook with `src`: bytes consumed, `Err(None)` for EAGAIN.
    pub fn write(self, src: &[u8]) -> Result<usize, Option<String>> {
        let mut e: *const c_char = std::ptr::null();
        // SAFETY: a registered hook of this type, called with its context and a valid buffer.
        let r = unsafe { (self.0)(src.as_ptr(), src.len(), self.1, &mut e) };
        if r >= 0 {
            Ok(r as usize)
        } else if r == -(libc::EAGAIN as isize) {
            Err(None)
        } else {
            // SAFETY: the hook contract: `e` is null or its message.
            Err(Some(unsafe { hook_error(r, e) }))
        }
    }
}
