//! `eco-sched`: the Lua module `eco` (spec/eco.md): one scheduler per Lua state, owning the
//! epoll instance, the timer heap and the ready queue; `eco.io`, `eco.reader` and `eco.writer`;
//! and the versioned ABI table other native modules park coroutines through.
//!
//! This crate is the core's Lua C-API glue, so it is one of the few places with `unsafe` code.

use std::ffi::c_int;

mod io;
mod lua;
mod reader_peek;
mod sched;
mod sys;
pub mod timer;

use lua::{arg, check_integer, check_number, err, ffi, guard, ms_to_ns, Ret, State};
use sched::Sched;

pub const VERSION: &str = "4.1.3";
const VERSION_PARTS: (i64, i64, i64) = (4, 1, 3);

/// Registry key of the module table, so every `luaopen_eco` in one state returns the same one.
const MODULE_KEY: &std::ffi::CStr = c"eco.module";

type R = Result<Ret, Ret>;

#[inline]
pub(crate) unsafe fn run(l: State, f: impl FnOnce(State) -> R) -> c_int {
    guard(l, |l| match f(l) {
        Ok(r) | Err(r) => r,
    })
}

/// The scheduler, from upvalue 1 of every function of the module.
#[inline]
pub(crate) unsafe fn sched(l: State) -> *mut Sched {
    ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *mut Sched
}

// ---- eco.run / sleep / count / all --------------------------------------------------------------

unsafe fn run_impl(l: State) -> R {
    if ffi::lua_type(l, 1) != ffi::LUA_TFUNCTION {
        return Err(arg(
            1,
            format!("function expected, got {}", lua::type_name(l, 1)),
        ));
    }
    let s = sched(l);
    let n = ffi::lua_gettop(l);
    let co = ffi::lua_newthread(l);
    if ffi::lua_checkstack(co, n + 1) == 0 {
        return Err(err("too many arguments"));
    }
    ffi::lua_rotate(l, 1, 1);
    ffi::lua_xmove(l, co, n);
    sched::resume(s, l, co, 1, n - 1, true);
    ffi::lua_settop(l, 1);
    Ok(Ret::N(1))
}
unsafe extern "C-unwind" fn l_run(l: State) -> c_int {
    run(l, |l| run_impl(l))
}

unsafe fn sleep_impl(l: State) -> R {
    let d = check_number(l, 1)?;
    if d.is_nan() || d < 0.0 {
        return Err(arg(1, "delay must be greater than or equal to 0"));
    }
    let s = sched(l);
    match (*s).park(l, -1, 0, ms_to_ns((d * 1000.0).floor())) {
        Ok(_) => Ok(Ret::Yield(Some(sleep_k))),
        Err(_) => Err(err("attempt to yield from outside a coroutine")),
    }
}
unsafe extern "C-unwind" fn l_sleep(l: State) -> c_int {
    run(l, |l| sleep_impl(l))
}
unsafe extern "C-unwind" fn sleep_k(_l: State, _status: c_int, _ctx: ffi::lua_KContext) -> c_int {
    0
}

unsafe extern "C-unwind" fn l_count(l: State) -> c_int {
    let s = &*sched(l);
    ffi::lua_pushinteger(l, (s.tracked_count + s.inflight.len()) as ffi::lua_Integer);
    1
}

unsafe extern "C-unwind" fn l_all(l: State) -> c_int {
    let s = &*sched(l);
    ffi::lua_createtable(l, (s.tracked_count + s.inflight.len()) as c_int, 0);
    let out = ffi::lua_gettop(l);
    let mut i = 0;
    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, s.tracked_ref as ffi::lua_Integer);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        ffi::lua_pop(l, 1);
        ffi::lua_pushvalue(l, -1);
        i += 1;
        ffi::lua_rawseti(l, out, i);
    }
    ffi::lua_pop(l, 1);
    for &co in s.inflight.iter() {
        ffi::lua_pushthread(co);
        if co != l {
            ffi::lua_xmove(co, l, 1);
        }
        i += 1;
        ffi::lua_rawseti(l, out, i);
    }
    1
}

// ---- loop / unloop / hooks / watchdog -----------------------------------------------------------

unsafe extern "C-unwind" fn l_loop(l: State) -> c_int {
    let s = sched(l);
    match (*s).run_loop(l) {
        Ok(()) => 0,
        Err(msg) => {
            lua::push_str(l, &msg);
            1
        }
    }
}

unsafe extern "C-unwind" fn l_unloop(l: State) -> c_int {
    (*sched(l)).quit = true;
    0
}

unsafe fn set_hook(l: State, key: &std::ffi::CStr) -> R {
    let t = ffi::lua_type(l, 1);
    if t != ffi::LUA_TFUNCTION && t != ffi::LUA_TNIL && t != ffi::LUA_TNONE {
        return Err(arg(
            1,
            format!("function expected, got {}", lua::type_name(l, 1)),
        ));
    }
    ffi::lua_settop(l, 1);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, key.as_ptr());
    Ok(Ret::N(0))
}
unsafe fn panic_hook_impl(l: State) -> R {
    set_hook(l, c"eco.panic_hook")
}
unsafe extern "C-unwind" fn l_set_panic_hook(l: State) -> c_int {
    run(l, |l| panic_hook_impl(l))
}
unsafe fn sigchld_hook_impl(l: State) -> R {
    set_hook(l, c"eco.sigchld_hook")
}
unsafe extern "C-unwind" fn l_set_sigchld_hook(l: State) -> c_int {
    run(l, |l| sigchld_hook_impl(l))
}

unsafe fn watchdog_impl(l: State) -> R {
    let ms = check_integer(l, 1)?;
    if !(0..=5000).contains(&ms) {
        return Err(arg(1, "timeout must be in range [0, 5000]"));
    }
    (*sched(l)).watchdog_ns = ms * 1_000_000;
    Ok(Ret::N(0))
}
unsafe extern "C-unwind" fn l_set_watchdog_timeout(l: State) -> c_int {
    run(l, |l| watchdog_impl(l))
}

// ---- internal functions -------------------------------------------------------------------------

unsafe fn resume_impl(l: State) -> R {
    if ffi::lua_type(l, 1) != ffi::LUA_TTHREAD {
        return Err(arg(
            1,
            format!("thread expected, got {}", lua::type_name(l, 1)),
        ));
    }
    ffi::lua_settop(l, 1);
    (*sched(l)).queue_plain(l);
    Ok(Ret::N(0))
}
unsafe extern "C-unwind" fn l_resume(l: State) -> c_int {
    run(l, |l| resume_impl(l))
}

unsafe fn init_impl(l: State) -> R {
    let s = sched(l);
    if sys::getpid() == (*s).pid {
        return Err(err(
            "eco._init() is only allowed in child process after fork()",
        ));
    }
    match (*s).reset_after_fork(l) {
        Ok(()) => Ok(Ret::N(0)),
        Err(e) => Err(err(eco_abi::strerror(e))),
    }
}
unsafe extern "C-unwind" fn l_init(l: State) -> c_int {
    run(l, |l| init_impl(l))
}

// ---- module setup -------------------------------------------------------------------------------

unsafe extern "C-unwind" fn sched_gc(l: State) -> c_int {
    let p = ffi::lua_touserdata(l, 1) as *mut *mut Sched;
    if !p.is_null() && !(*p).is_null() {
        drop(Box::from_raw(*p));
        *p = std::ptr::null_mut();
    }
    0
}

/// Registers `funcs` into the table on top of the stack, each with the scheduler as upvalue 1.
pub(crate) unsafe fn set_funcs(
    l: State,
    s: *mut Sched,
    funcs: &[(&std::ffi::CStr, ffi::lua_CFunction)],
) {
    for (name, f) in funcs {
        ffi::lua_pushlightuserdata(l, s.cast());
        ffi::lua_pushcclosure(l, *f, 1);
        ffi::lua_setfield(l, -2, name.as_ptr());
    }
}

/// `luaopen_eco`: creates (once per state) the scheduler and the module table.
///
/// # Safety
/// Called by Lua with a valid state.
#[no_mangle]
pub unsafe extern "C-unwind" fn luaopen_eco(l: State) -> c_int {
    if ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, MODULE_KEY.as_ptr()) == ffi::LUA_TTABLE {
        return 1;
    }
    ffi::lua_pop(l, 1);
    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
    let main = ffi::lua_tothread(l, -1);
    ffi::lua_pop(l, 1);
    let s = match Sched::new(main) {
        Ok(s) => Box::into_raw(s),
        Err(e) => {
            lua::push_str(l, &eco_abi::strerror(e));
            ffi::lua_error(l)
        }
    };
    // Owner userdata: frees the scheduler when the state closes (created first, finalized last).
    let owner = ffi::lua_newuserdatauv(l, std::mem::size_of::<*mut Sched>(), 0) as *mut *mut Sched;
    *owner = s;
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcfunction(l, sched_gc);
    ffi::lua_setfield(l, -2, c"__gc".as_ptr());
    ffi::lua_setmetatable(l, -2);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"eco.sched".as_ptr());

    ffi::lua_pushlightuserdata(l, (&mut (*s).abi as *mut eco_abi::EcoAbi).cast());
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"eco.abi".as_ptr());

    ffi::lua_newtable(l);
    (*s).tracked_ref = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);

    io::register_types(l, s);

    ffi::lua_createtable(l, 0, 24);
    set_funcs(
        l,
        s,
        &[
            (c"run", l_run),
            (c"sleep", l_sleep),
            (c"count", l_count),
            (c"all", l_all),
            (c"loop", l_loop),
            (c"unloop", l_unloop),
            (c"set_panic_hook", l_set_panic_hook),
            (c"set_watchdog_timeout", l_set_watchdog_timeout),
            (c"_resume", l_resume),
            (c"_init", l_init),
            (c"_set_sigchld_hook", l_set_sigchld_hook),
            (c"io", io::l_io),
            (c"reader", io::l_reader),
            (c"writer", io::l_writer),
        ],
    );
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
    1
}
