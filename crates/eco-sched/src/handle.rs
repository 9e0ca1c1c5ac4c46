//! The one way to reach the scheduler from a C function: the raw-pointer discipline.
//!
//! The scheduler state ([`Sched`]) is reached from C functions (upvalue 1 of every function the
//! core registers), from the ABI entries other `.so` files call (`EcoAbi.sched`) and from the
//! wrapper objects (`eco.io`/`reader`/`writer`). Lua code runs in between: a resume runs a
//! coroutine, which parks again through another C function; a `__gc` of a reader can run at any
//! allocation; a panic hook is called from inside the loop. So a `&mut Sched` must never be live
//! while Lua code runs, or two of them would alias.
//!
//! The rules, enforced here:
//! * The state lives in a [`Core`], heap-allocated once per Lua state, freed by the `__gc` of a
//!   registry userdata (the last finalizer to run). Every pointer to it is a [`SchedRef`]; only the
//!   two constructors below make one, from the places the core itself stored it.
//! * [`SchedRef::with`] is the only way to get `&mut Sched`: a short borrow around one state
//!   change, released before anything that can run Lua (`lua_resume`, `lua_call`/`lua_pcall`, a
//!   push or table creation that can run a GC step and thus `__gc` metamethods). Inside the
//!   closure only Lua API calls that run no Lua code are made (`lua_pushthread`,
//!   `luaL_ref`/`luaL_unref`: they allocate at most a table slot, which never runs a finalizer).
//! * A nested `with` (a rule broken somewhere) aborts the process instead of creating a second
//!   `&mut`: the aliasing cannot happen, by construction.
//! * What other `.so` files read without the core knowing when (the ABI table) and what never
//!   changes after the module is opened (the userdata metatables) sit in [`Core`] outside the
//!   borrowed part.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;
use std::ptr::NonNull;

use eco_abi::EcoAbi;

use crate::lua::{ffi, State};
use crate::sched::Sched;

/// The core's userdata types, indexing [`Core::set_metatable`].
#[derive(Clone, Copy)]
pub enum Kind {
    Io = 0,
    Reader = 1,
    Writer = 2,
}

/// The per-state allocation behind every [`SchedRef`].
pub struct Core {
    /// Published under `"eco.abi"`; read by other modules at any time, never written after
    /// [`Core::new`].
    abi: EcoAbi,
    /// Metatables of the core's userdata types, set once when the module is opened.
    mts: [Cell<*const c_void>; 3],
    /// Whether a [`SchedRef::with`] borrow is live.
    borrowed: Cell<bool>,
    sched: UnsafeCell<Sched>,
}

impl Core {
    /// Allocates the scheduler of the state whose main thread is `main`; the returned pointer is
    /// owned by the caller (freed with [`Core::free`]).
    pub fn new(main: State) -> Result<NonNull<Core>, i32> {
        let sched = Sched::new(main)?;
        let core = Box::new(Core {
            abi: crate::sched::abi_table(),
            mts: Default::default(),
            borrowed: Cell::new(false),
            sched: UnsafeCell::new(sched),
        });
        let p = NonNull::from(Box::leak(core));
        // SAFETY: `p` was just leaked from a Box and nothing else refers to it yet.
        unsafe { (*p.as_ptr()).abi.sched = p.as_ptr().cast() };
        Ok(p)
    }

    /// Frees a [`Core`] made by [`Core::new`].
    ///
    /// # Safety
    /// `p` comes from [`Core::new`], is freed once, and no [`SchedRef`] to it is used afterwards.
    pub unsafe fn free(p: NonNull<Core>) {
        // SAFETY: see the function's contract.
        let core = unsafe { Box::from_raw(p.as_ptr()) };
        if core.borrowed.get() {
            reentered();
        }
        drop(core);
    }

    /// The table to publish under `"eco.abi"`.
    pub fn abi_ptr(p: NonNull<Core>) -> *mut c_void {
        // SAFETY: `p` is live (the caller holds it); only the field's address is taken.
        unsafe { std::ptr::addr_of_mut!((*p.as_ptr()).abi).cast() }
    }

    pub fn set_metatable(&self, kind: Kind, mt: *const c_void) {
        self.mts[kind as usize].set(mt);
    }

    #[inline]
    pub fn metatable(&self, kind: Kind) -> *const c_void {
        self.mts[kind as usize].get()
    }
}

/// A pointer to the scheduler of the running Lua state (see the module documentation).
#[derive(Clone, Copy)]
pub struct SchedRef(NonNull<Core>);

impl SchedRef {
    pub fn new(p: NonNull<Core>) -> SchedRef {
        SchedRef(p)
    }

    /// The scheduler of a C function the core registered (upvalue 1, see `crate::set_funcs`).
    ///
    /// # Safety
    /// `l` is running a C function created by `crate::set_funcs` or `io::new_type`.
    #[inline]
    pub unsafe fn from_upvalue(l: State) -> SchedRef {
        // SAFETY: the contract says upvalue 1 is the light userdata `set_funcs` pushed, the
        // pointer of a live `Core`.
        let p = unsafe { ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) };
        // SAFETY: as above, never null.
        SchedRef(unsafe { NonNull::new_unchecked(p.cast()) })
    }

    /// The scheduler behind the `sched` argument of an ABI entry.
    ///
    /// # Safety
    /// `p` is the `EcoAbi.sched` value the core published, and its Lua state is open.
    #[inline]
    pub unsafe fn from_abi(p: *mut c_void) -> SchedRef {
        // SAFETY: see the function's contract: never null.
        SchedRef(unsafe { NonNull::new_unchecked(p.cast()) })
    }

    /// The light userdata stored as upvalue 1 of the core's C functions.
    pub fn as_upvalue(self) -> *mut c_void {
        self.0.as_ptr().cast()
    }

    #[inline]
    pub fn core(&self) -> &Core {
        // SAFETY: a `SchedRef` exists only for a live `Core` (constructors above); `Core` is only
        // ever shared (its mutable parts are `Cell`s and the `UnsafeCell` handed out by `with`).
        unsafe { self.0.as_ref() }
    }

    /// Runs `f` with the only `&mut Sched` there is. `f` must not run Lua code (module rules).
    #[inline]
    pub fn with<R>(self, f: impl FnOnce(&mut Sched) -> R) -> R {
        struct Release<'a>(&'a Cell<bool>);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let core = self.core();
        if core.borrowed.replace(true) {
            reentered();
        }
        let _release = Release(&core.borrowed);
        // SAFETY: `borrowed` was false, so no other reference into `sched` is live, and it stays
        // true (blocking any other) until `_release` drops after `f` returns or unwinds.
        f(unsafe { &mut *core.sched.get() })
    }
}

#[cold]
fn reentered() -> ! {
    eprintln!("eco: internal error: scheduler state re-entered while borrowed");
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_follow_each_other_and_a_nested_one_aborts() {
        // SAFETY: a private state, closed at the end; the core is freed once, after its last use.
        unsafe {
            let l = ffi::luaL_newstate();
            let core = Core::new(l).unwrap();
            let s = SchedRef::new(core);
            s.with(|s| s.watchdog_ns = 7);
            assert_eq!(s.with(|s| s.watchdog_ns), 7);
            assert!(!s.core().borrowed.get());
            match libc::fork() {
                0 => {
                    s.with(|_| s.with(|_| ()));
                    libc::_exit(0)
                }
                pid => {
                    let mut st = 0;
                    assert_eq!(libc::waitpid(pid, &mut st, 0), pid);
                    assert!(libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGABRT);
                }
            }
            Core::free(core);
            ffi::lua_close(l);
        }
    }
}
