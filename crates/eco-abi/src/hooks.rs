//! Safe owner of a byte stream that sits under `eco.reader`/`eco.writer` through the native hook
//! arguments (spec/eco.md 10.6), so that module crates (which forbid `unsafe`) can offer hooks.
//!
//! A module implements [`HookStream`] for its stream type (e.g. a TLS session), wraps it in a
//! [`Hooked`] and hands Lua three light userdata: [`Hooked::read_fn`], [`Hooked::write_fn`] and
//! [`Hooked::ctx`]; Lua then builds `eco.reader(fd, read_fn, ctx)` / `eco.writer(fd, write_fn,
//! ctx)`. The trampolines behind `read_fn`/`write_fn` are the only unsafe part: they turn `ctx`
//! back into the stream, call the safe trait method with a slice, catch panics and translate the
//! result into the hook convention (bytes, `0` = end of stream, `-EAGAIN`, other negative + message).
//!
//! Lifetime rule for the module: the `Hooked` value must outlive every reader/writer built on its
//! `ctx` (keep the owning Lua object referenced from the same table as the reader/writer, and make
//! the stream report an error rather than dropping the `Hooked` when the user "frees" it early).

use std::collections::BTreeSet;
use std::ffi::{c_char, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

use crate::{ReadHook, WriteHook};

/// Why a hook call produced no bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// Nothing can be done now: the reader waits for readability (the writer for writability) of
    /// its fd, then calls again.
    WouldBlock,
    /// The read or write fails with this message.
    Failed(String),
}

/// A stream that a reader/writer drives through the native hooks.
pub trait HookStream {
    /// Fills `buf` with at least one byte (`Ok(n)`, n > 0), or reports end of stream (`Ok(0)`).
    fn hook_read(&mut self, buf: &mut [u8]) -> Result<usize, HookError>;
    /// Consumes some of `buf` (`Ok(n)`, n <= buf.len()).
    fn hook_write(&mut self, buf: &[u8]) -> Result<usize, HookError>;
}

/// The heap block `ctx` points at. `tag` comes first so a trampoline can reject a `ctx` made for
/// another stream type before touching anything else.
#[repr(C)]
struct Slot<T> {
    tag: usize,
    /// The last failure message, kept alive until the next call (the `*err` contract).
    err: CString,
    stream: T,
}

/// Owns a [`HookStream`] at a stable heap address for the hook trampolines.
pub struct Hooked<T: HookStream> {
    ptr: NonNull<Slot<T>>,
}

/// Addresses of the live slots of this `.so`: `ctx` arrives as a light userdata, which Lua code
/// can also make (`debug.upvalueid`), so a trampoline dereferences it only if it is one of
/// these. (Bookkeeping of this copy of the code's own allocations, not scheduler state.)
static LIVE: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

fn live() -> MutexGuard<'static, BTreeSet<usize>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn tag_of<T: HookStream>() -> usize {
    read_trampoline::<T> as ReadHook as usize
}

impl<T: HookStream> Hooked<T> {
    pub fn new(stream: T) -> Self {
        let slot = Box::new(Slot {
            tag: tag_of::<T>(),
            err: CString::default(),
            stream,
        });
        let ptr = NonNull::from(Box::leak(slot));
        live().insert(ptr.as_ptr() as usize);
        Hooked { ptr }
    }

    pub fn get(&self) -> &T {
        // SAFETY: `ptr` comes from `Box::leak` in `new` and is freed only in `drop`; the shared
        // borrow of `self` keeps it alive and no `&mut` to the slot exists meanwhile (trampolines
        // run only while Lua code calls a reader/writer, never inside a borrow of this value).
        unsafe { &self.ptr.as_ref().stream }
    }

    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: as in `get`; the exclusive borrow of `self` makes this the only live reference.
        unsafe { &mut self.ptr.as_mut().stream }
    }

    /// The `ctx` argument for `eco.reader`/`eco.writer` (valid while this value lives).
    pub fn ctx(&self) -> *mut c_void {
        self.ptr.as_ptr().cast()
    }

    /// The native read hook for streams of type `T` (an [`crate::ReadHook`] as a data pointer).
    pub fn read_fn() -> *mut c_void {
        read_trampoline::<T> as ReadHook as *mut c_void
    }

    /// The native write hook for streams of type `T` (an [`crate::WriteHook`]).
    pub fn write_fn() -> *mut c_void {
        write_trampoline::<T> as WriteHook as *mut c_void
    }
}

impl<T: HookStream> Drop for Hooked<T> {
    fn drop(&mut self) {
        live().remove(&(self.ptr.as_ptr() as usize));
        // SAFETY: `ptr` was produced by `Box::leak` in `new` and is released exactly once, here.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

const EIO: isize = libc::EIO as isize;
const EAGAIN: isize = libc::EAGAIN as isize;

/// Converts a trait result into the hook return value, storing a failure message in the slot.
fn finish<T>(
    slot: &mut Slot<T>,
    r: std::thread::Result<Result<usize, HookError>>,
) -> (isize, *const c_char) {
    let msg = match r {
        Ok(Ok(n)) => return (n.min(isize::MAX as usize) as isize, std::ptr::null()),
        Ok(Err(HookError::WouldBlock)) => return (-EAGAIN, std::ptr::null()),
        Ok(Err(HookError::Failed(m))) => m,
        Err(_) => "panic in native stream hook".to_string(),
    };
    slot.err = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    (-EIO, slot.err.as_ptr())
}

/// The `Slot<T>` behind a hook's `ctx`, if `ctx` is one (non-null, with `T`'s tag).
///
/// # Safety
/// The slot must not be borrowed elsewhere while the result is used (the core calls hooks one at
/// a time on the Lua thread).
unsafe fn slot_of<'a, T: HookStream>(ctx: *mut c_void) -> Option<&'a mut Slot<T>> {
    if ctx.is_null() || !live().contains(&(ctx as usize)) {
        return None;
    }
    // SAFETY: `ctx` is the address of a live `Slot<_>` of this `.so` (checked above); `Slot` is
    // `repr(C)` with `tag` first, so reading that word is valid for any `Slot<_>`, and a foreign
    // stream type is rejected before the rest is interpreted.
    if unsafe { *(ctx as *const usize) } != tag_of::<T>() {
        return None;
    }
    // SAFETY: the tag matched, so `ctx` points at a live `Slot<T>` owned by a `Hooked<T>` that the
    // module keeps alive while the reader/writer exists; the core calls hooks one at a time on the
    // Lua thread, so this is the only reference in use.
    Some(unsafe { &mut *(ctx as *mut Slot<T>) })
}

/// Hands an error message (owned by the slot) to the core's out-pointer.
///
/// # Safety
/// `err` must be null or the core's out-pointer for this call.
unsafe fn set_err(err: *mut *const c_char, msg: *const c_char) {
    if !msg.is_null() && !err.is_null() {
        // SAFETY: see the function's contract.
        unsafe { *err = msg };
    }
}

/// The [`ReadHook`] of streams of type `T`.
///
/// # Safety
/// Called by the core as a read hook: `buf` is valid for `len` writable bytes and `err` is null
/// or a valid out-pointer (`ctx` is checked here).
unsafe extern "C-unwind" fn read_trampoline<T: HookStream>(
    buf: *mut u8,
    len: usize,
    ctx: *mut c_void,
    err: *mut *const c_char,
) -> isize {
    // SAFETY: the core passes the `ctx` it was given with this hook.
    let Some(slot) = (unsafe { slot_of::<T>(ctx) }) else {
        return -(libc::EINVAL as isize);
    };
    if buf.is_null() {
        return -(libc::EINVAL as isize);
    }
    // SAFETY: `buf` is the reader's buffer of `len` writable bytes.
    let dst = unsafe { std::slice::from_raw_parts_mut(buf, len) };
    let r = catch_unwind(AssertUnwindSafe(|| slot.stream.hook_read(dst)));
    let (n, msg) = finish(slot, r);
    // SAFETY: `err` is the core's out-pointer for this call.
    unsafe { set_err(err, msg) };
    n
}

/// The [`WriteHook`] of streams of type `T`.
///
/// # Safety
/// Called by the core as a write hook: `buf` holds `len` readable bytes and `err` is null or a
/// valid out-pointer (`ctx` is checked here).
unsafe extern "C-unwind" fn write_trampoline<T: HookStream>(
    buf: *const u8,
    len: usize,
    ctx: *mut c_void,
    err: *mut *const c_char,
) -> isize {
    // SAFETY: the core passes the `ctx` it was given with this hook.
    let Some(slot) = (unsafe { slot_of::<T>(ctx) }) else {
        return -(libc::EINVAL as isize);
    };
    if buf.is_null() {
        return -(libc::EINVAL as isize);
    }
    // SAFETY: `buf` holds `len` readable bytes of the string being written, alive for this call.
    let src = unsafe { std::slice::from_raw_parts(buf, len) };
    let r = catch_unwind(AssertUnwindSafe(|| slot.stream.hook_write(src)));
    let (n, msg) = finish(slot, r);
    // SAFETY: `err` is the core's out-pointer for this call.
    unsafe { set_err(err, msg) };
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// Serves bytes from a script of results.
    struct Script {
        reads: Vec<Result<Vec<u8>, HookError>>,
        written: Vec<u8>,
        write_limit: usize,
    }

    impl HookStream for Script {
        fn hook_read(&mut self, buf: &mut [u8]) -> Result<usize, HookError> {
            match self.reads.remove(0) {
                Ok(b) => {
                    buf[..b.len()].copy_from_slice(&b);
                    Ok(b.len())
                }
                Err(e) => Err(e),
            }
        }
        fn hook_write(&mut self, buf: &[u8]) -> Result<usize, HookError> {
            if buf == b"boom" {
                panic!("boom");
            }
            let n = buf.len().min(self.write_limit);
            if n == 0 {
                return Err(HookError::WouldBlock);
            }
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }
    }

    struct Other;
    impl HookStream for Other {
        fn hook_read(&mut self, _: &mut [u8]) -> Result<usize, HookError> {
            Ok(1)
        }
        fn hook_write(&mut self, _: &[u8]) -> Result<usize, HookError> {
            Ok(1)
        }
    }

    fn call_read(f: *mut c_void, ctx: *mut c_void, buf: &mut [u8]) -> (isize, Option<String>) {
        // SAFETY: `f` is a `ReadHook` produced by `Hooked::read_fn`.
        let f: ReadHook = unsafe { std::mem::transmute::<*mut c_void, ReadHook>(f) };
        let mut e: *const c_char = std::ptr::null();
        // SAFETY: calling the hook as the core does.
        let n = unsafe { f(buf.as_mut_ptr(), buf.len(), ctx, &mut e) };
        let msg = (!e.is_null()).then(|| {
            // SAFETY: a non-null `e` is the slot's NUL-terminated message.
            unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
        });
        (n, msg)
    }

    fn call_write(f: *mut c_void, ctx: *mut c_void, buf: &[u8]) -> (isize, Option<String>) {
        // SAFETY: `f` is a `WriteHook` produced by `Hooked::write_fn`.
        let f: WriteHook = unsafe { std::mem::transmute::<*mut c_void, WriteHook>(f) };
        let mut e: *const c_char = std::ptr::null();
        // SAFETY: calling the hook as the core does.
        let n = unsafe { f(buf.as_ptr(), buf.len(), ctx, &mut e) };
        let msg = (!e.is_null()).then(|| {
            // SAFETY: a non-null `e` is the slot's NUL-terminated message.
            unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
        });
        (n, msg)
    }

    #[test]
    fn read_results_map_to_the_hook_convention() {
        let mut h = Hooked::new(Script {
            reads: vec![
                Ok(b"abc".to_vec()),
                Err(HookError::WouldBlock),
                Err(HookError::Failed("bad record".into())),
                Ok(vec![]),
            ],
            written: vec![],
            write_limit: 2,
        });
        let (rf, ctx) = (Hooked::<Script>::read_fn(), h.ctx());
        let mut buf = [0u8; 8];
        assert_eq!(call_read(rf, ctx, &mut buf), (3, None));
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(call_read(rf, ctx, &mut buf), (-EAGAIN, None));
        assert_eq!(
            call_read(rf, ctx, &mut buf),
            (-EIO, Some("bad record".to_string()))
        );
        assert_eq!(call_read(rf, ctx, &mut buf), (0, None));
        assert!(h.get_mut().reads.is_empty());
    }

    #[test]
    fn writes_are_partial_and_panics_are_caught() {
        let h = Hooked::new(Script {
            reads: vec![],
            written: vec![],
            write_limit: 2,
        });
        let (wf, ctx) = (Hooked::<Script>::write_fn(), h.ctx());
        assert_eq!(call_write(wf, ctx, b"hello"), (2, None));
        assert_eq!(h.get().written, b"he");
        let (n, msg) = call_write(wf, ctx, b"boom");
        assert_eq!(n, -EIO);
        assert!(msg.unwrap().contains("panic"));
    }

    #[test]
    fn a_ctx_of_another_stream_type_is_rejected() {
        let o = Hooked::new(Other);
        let mut buf = [0u8; 4];
        let (n, _) = call_read(Hooked::<Script>::read_fn(), o.ctx(), &mut buf);
        assert_eq!(n, -(libc::EINVAL as isize));
        let (n, _) = call_read(Hooked::<Other>::read_fn(), o.ctx(), &mut buf);
        assert_eq!(n, 1);
    }

    #[test]
    fn a_ctx_that_is_not_a_live_stream_is_rejected_unread() {
        let mut buf = [0u8; 4];
        // an address that is not a slot (it holds the right tag, even)
        let mut fake = [tag_of::<Other>(), 0, 0, 0];
        let (n, _) = call_read(
            Hooked::<Other>::read_fn(),
            fake.as_mut_ptr().cast(),
            &mut buf,
        );
        assert_eq!(n, -(libc::EINVAL as isize));
        let o = Hooked::new(Other);
        let ctx = o.ctx();
        drop(o);
        let (n, _) = call_read(Hooked::<Other>::read_fn(), ctx, &mut buf);
        assert_eq!(n, -(libc::EINVAL as isize), "a dropped stream's ctx");
    }
}
