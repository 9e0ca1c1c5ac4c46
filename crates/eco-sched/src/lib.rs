//! `eco-sched`: the Lua module `eco` (spec/eco.md): one scheduler per Lua state, owning the
//! epoll instance, the timer heap and the ready queue; `eco.io`, `eco.reader` and `eco.writer`;
//! and the versioned ABI table other native modules park coroutines through.
//!
//! This crate is the core's Lua C-API glue, so it is one of the few places with `unsafe` code.

use std::ffi::c_int;

mod buffer;
mod handle;
mod hooks;
mod io;
mod lua;
mod reader;
mod reader_peek;
mod sched;
mod sys;
pub mod timer;
mod writer;

use handle::{Core, SchedRef};
use lua::{arg, cfn, check_integer, check_number, err, ffi, ms_to_ns, Ret, State, R};

pub const VERSION: &str = "4.1.3";
const VERSION_PARTS: (i64, i64, i64) = (4, 1, 3);

/// Registry key of the module table, so every `luaopen_eco` in one state returns the same one.
const MODULE_KEY: &std::ffi::CStr = c"eco.module";

/// A registration table: Lua name and C function (made with [`cfn!`](lua::cfn)).
pub(crate) type Funcs = [(&'static std::ffi::CStr, ffi::lua_CFunction)];

/// The functions of the module table.
const FUNCS: &Funcs = &[
    (c"run", cfn!(run_impl)),
    (c"sleep", cfn!(sleep_impl)),
    (c"count", cfn!(count_impl)),
    (c"all", cfn!(all_impl)),
    (c"loop", cfn!(loop_impl)),
    (c"unloop", cfn!(unloop_impl)),
    (c"set_panic_hook", cfn!(panic_hook_impl)),
    (c"set_watchdog_timeout", cfn!(watchdog_impl)),
    (c"_resume", cfn!(resume_impl)),
    (c"_init", cfn!(init_impl)),
    (c"_set_sigchld_hook", cfn!(sigchld_hook_impl)),
    (c"io", cfn!(io::new)),
    (c"reader", cfn!(reader::new)),
    (c"writer", cfn!(writer::new)),
];

// ---- eco.run / sleep / count / all --------------------------------------------------------------
//
// Every body below is called through `cfn!` with the running state of a function registered by
// `set_funcs` (upvalue 1 is the scheduler); that is the `# Safety` contract they share.

/// # Safety
/// See the section comment.
unsafe fn run_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract; `co` is a new thread of the state, kept alive on `l`'s
    // stack while it runs.
    unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TFUNCTION {
            return Err(arg(
                1,
                format!("function expected, got {}", lua::type_name(l, 1)),
            ));
        }
        let s = SchedRef::from_upvalue(l);
        let n = ffi::lua_gettop(l);
        let co = ffi::lua_newthread(l);
        if ffi::lua_checkstack(co, n + 1) == 0 {
            return Err(err("too many arguments"));
        }
        ffi::lua_rotate(l, 1, 1);
        ffi::lua_xmove(l, co, n);
        sched::resume(s, l, co, 1, n - 1, true);
        ffi::lua_settop(l, 1);
    }
    Ok(Ret::N(1))
}

/// # Safety
/// See the section comment.
unsafe fn sleep_impl(l: State, resumed: bool) -> R {
    if resumed {
        return Ok(Ret::N(0));
    }
    // SAFETY: the section's contract.
    let (d, s) = unsafe { (check_number(l, 1)?, SchedRef::from_upvalue(l)) };
    if d.is_nan() || d < 0.0 {
        return Err(arg(1, "delay must be greater than or equal to 0"));
    }
    let ns = ms_to_ns((d * 1000.0).floor());
    // SAFETY: `l` is the running coroutine (parking checks it can yield).
    match s.with(|s| unsafe { s.park(l, -1, 0, ns) }) {
        Ok(_) => Ok(Ret::Yield),
        Err(_) => Err(err("attempt to yield from outside a coroutine")),
    }
}

/// # Safety
/// See the section comment.
unsafe fn count_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    let s = unsafe { SchedRef::from_upvalue(l) };
    let n = s.with(|s| s.tracked_count + s.inflight.len());
    // SAFETY: the section's contract.
    unsafe { ffi::lua_pushinteger(l, n as ffi::lua_Integer) };
    Ok(Ret::N(1))
}

/// # Safety
/// See the section comment.
unsafe fn all_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    let s = unsafe { SchedRef::from_upvalue(l) };
    // copied out: building the table allocates, which may run a `__gc` that parks or detaches
    let (tracked_ref, count, inflight) =
        s.with(|s| (s.tracked_ref, s.tracked_count, s.inflight.clone()));
    // SAFETY: the section's contract; the threads of `inflight` are running (alive) coroutines
    // of this state.
    unsafe {
        ffi::lua_createtable(l, (count + inflight.len()) as c_int, 0);
        let out = ffi::lua_gettop(l);
        let mut i = 0;
        ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, tracked_ref as ffi::lua_Integer);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            ffi::lua_pushvalue(l, -1);
            i += 1;
            ffi::lua_rawseti(l, out, i);
        }
        ffi::lua_pop(l, 1);
        for &co in inflight.iter() {
            ffi::lua_pushthread(co);
            if co != l {
                ffi::lua_xmove(co, l, 1);
            }
            i += 1;
            ffi::lua_rawseti(l, out, i);
        }
    }
    Ok(Ret::N(1))
}

// ---- loop / unloop / hooks / watchdog -----------------------------------------------------------

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn loop_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    let s = unsafe { SchedRef::from_upvalue(l) };
    // SAFETY: as above; no scheduler borrow is live here.
    match unsafe { sched::run_loop(s, l) } {
        Ok(()) => Ok(Ret::N(0)),
        Err(msg) => {
            // SAFETY: as above.
            unsafe { lua::push_str(l, &msg) };
            Ok(Ret::N(1))
        }
    }
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn unloop_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    unsafe { SchedRef::from_upvalue(l) }.with(|s| s.quit = true);
    Ok(Ret::N(0))
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn set_hook(l: State, key: &std::ffi::CStr) -> R {
    // SAFETY: the section's contract.
    unsafe {
        let t = ffi::lua_type(l, 1);
        if t != ffi::LUA_TFUNCTION && t != ffi::LUA_TNIL && t != ffi::LUA_TNONE {
            return Err(arg(
                1,
                format!("function expected, got {}", lua::type_name(l, 1)),
            ));
        }
        ffi::lua_settop(l, 1);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, key.as_ptr());
    }
    Ok(Ret::N(0))
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn panic_hook_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    unsafe { set_hook(l, c"eco.panic_hook") }
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn sigchld_hook_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    unsafe { set_hook(l, c"eco.sigchld_hook") }
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn watchdog_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    let (ms, s) = unsafe { (check_integer(l, 1)?, SchedRef::from_upvalue(l)) };
    if !(0..=5000).contains(&ms) {
        return Err(arg(1, "timeout must be in range [0, 5000]"));
    }
    s.with(|s| s.watchdog_ns = ms * 1_000_000);
    Ok(Ret::N(0))
}

// ---- internal functions -------------------------------------------------------------------------

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn resume_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract; the reference is taken before the scheduler is borrowed.
    let (s, r) = unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TTHREAD {
            return Err(arg(
                1,
                format!("thread expected, got {}", lua::type_name(l, 1)),
            ));
        }
        ffi::lua_settop(l, 1);
        (
            SchedRef::from_upvalue(l),
            ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX),
        )
    };
    s.with(|s| s.queue_plain(r));
    Ok(Ret::N(0))
}

/// # Safety
/// See the section comment of `run_impl`.
unsafe fn init_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the section's contract.
    let s = unsafe { SchedRef::from_upvalue(l) };
    if sys::getpid() == s.with(|s| s.pid) {
        return Err(err(
            "eco._init() is only allowed in child process after fork()",
        ));
    }
    // SAFETY: the registry references released are the scheduler's own.
    match s.with(|s| unsafe { s.reset_after_fork(l) }) {
        Ok(()) => {
            let tracked_ref = s.with(|s| s.tracked_ref);
            // SAFETY: the section's contract; a fresh tracking table replaces the old one.
            unsafe {
                ffi::lua_newtable(l);
                ffi::lua_rawseti(l, ffi::LUA_REGISTRYINDEX, tracked_ref as ffi::lua_Integer);
            }
            Ok(Ret::N(0))
        }
        Err(e) => Err(err(eco_abi::strerror(e))),
    }
}

// ---- module setup -------------------------------------------------------------------------------

/// `__gc` of the registry userdata that owns the scheduler.
///
/// # Safety
/// Called by Lua as that metamethod, once, when the state closes.
unsafe extern "C-unwind" fn sched_gc(l: State) -> c_int {
    // SAFETY: this is the `__gc` of the owner userdata made in `luaopen_eco`, which holds the
    // `Core` pointer (or null once freed); the state is closing, so nothing uses it afterwards.
    unsafe {
        let p = ffi::lua_touserdata(l, 1) as *mut *mut Core;
        if !p.is_null() {
            if let Some(core) = std::ptr::NonNull::new(*p) {
                Core::free(core);
                *p = std::ptr::null_mut();
            }
        }
    }
    0
}

/// Registers `funcs` into the table on top of the stack, each with the scheduler as upvalue 1.
///
/// # Safety
/// `l` is a valid state of `s`'s scheduler with a table on top and room for two values.
pub(crate) unsafe fn set_funcs(l: State, s: SchedRef, funcs: &Funcs) {
    for (name, f) in funcs {
        // SAFETY: the contract.
        unsafe {
            ffi::lua_pushlightuserdata(l, s.as_upvalue());
            ffi::lua_pushcclosure(l, *f, 1);
            ffi::lua_setfield(l, -2, name.as_ptr());
        }
    }
}

/// `luaopen_eco`: creates (once per state) the scheduler and the module table.
///
/// # Safety
/// Called by Lua with a valid state.
#[no_mangle]
pub unsafe extern "C-unwind" fn luaopen_eco(l: State) -> c_int {
    // SAFETY: the function's contract; `lua_error` is reached with nothing to drop.
    unsafe {
        if ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, MODULE_KEY.as_ptr()) == ffi::LUA_TTABLE {
            return 1;
        }
        ffi::lua_pop(l, 1);
        ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
        let main = ffi::lua_tothread(l, -1);
        ffi::lua_pop(l, 1);
        let core = match Core::new(main) {
            Ok(c) => c,
            Err(e) => {
                lua::push_str(l, &eco_abi::strerror(e));
                ffi::lua_error(l)
            }
        };
        // Owner userdata: frees the scheduler when the state closes (created first, finalized
        // last).
        let owner =
            ffi::lua_newuserdatauv(l, std::mem::size_of::<*mut Core>(), 0) as *mut *mut Core;
        *owner = core.as_ptr();
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushcfunction(l, sched_gc);
        ffi::lua_setfield(l, -2, c"__gc".as_ptr());
        ffi::lua_setmetatable(l, -2);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"eco.sched".as_ptr());

        ffi::lua_pushlightuserdata(l, Core::abi_ptr(core));
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"eco.abi".as_ptr());

        let s = SchedRef::new(core);
        ffi::lua_newtable(l);
        let tracked_ref = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
        s.with(|s| s.tracked_ref = tracked_ref);

        io::register_types(l, s);

        ffi::lua_createtable(l, 0, 24);
        set_funcs(l, s, FUNCS);
        lua::push_str(l, VERSION);
        ffi::lua_setfield(l, -2, c"VERSION".as_ptr());
        for (name, v) in [
            (c"VERSION_MAJOR", VERSION_PARTS.0),
            (c"VERSION_MINOR", VERSION_PARTS.1),
            (c"VERSION_PATCH", VERSION_PARTS.2),
            (c"READ", sched::READ as i64),
            (c"WRITE", sched::WRITE as i64),
        ] {
            ffi::lua_pushinteger(l, v);
            ffi::lua_setfield(l, -2, name.as_ptr());
        }
        ffi::lua_pushvalue(l, -1);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, MODULE_KEY.as_ptr());
    }
    1
}
