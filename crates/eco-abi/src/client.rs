//! Safe access to the core's ABI table for mlua-based module crates.

use std::ffi::c_int;

use mlua::{ffi, Function, LightUserData, Lua};

use crate::{EcoAbi, ABI_VERSION, REGISTRY_KEY};

/// A handle on the scheduler of one Lua state, fetched from the registry.
#[derive(Clone, Copy)]
pub struct Sched {
    abi: *const EcoAbi,
}

/// Why a coroutine could not be parked.
#[derive(Debug)]
pub enum ParkError {
    NotYieldable,
    Busy,
    Os(i32),
}

impl std::fmt::Display for ParkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParkError::NotYieldable => f.write_str("attempt to yield from outside a coroutine"),
            ParkError::Busy => {
                f.write_str("another coroutine is already waiting on this file descriptor")
            }
            ParkError::Os(e) => f.write_str(&crate::strerror(*e)),
        }
    }
}

impl Sched {
    /// Looks up the table published by `require 'eco'` (loading the core first if needed).
    pub fn get(lua: &Lua) -> mlua::Result<Sched> {
        if let Some(s) = lua.app_data_ref::<Sched>() {
            return Ok(*s);
        }
        let mut p: Option<LightUserData> = lua.named_registry_value(REGISTRY_KEY)?;
        if p.is_none() {
            let require: mlua::Function = lua.globals().get("require")?;
            require.call::<mlua::Value>("eco")?;
            p = lua.named_registry_value(REGISTRY_KEY)?;
        }
        let p = match p {
            Some(p) if !p.0.is_null() => p.0 as *const EcoAbi,
            _ => {
                return Err(mlua::Error::runtime(
                    "eco core not loaded: registry has no 'eco.abi'",
                ))
            }
        };
        // SAFETY: the core stores in the registry a pointer to an `EcoAbi` that it owns for the
        // whole life of the Lua state; the header fields are read before anything else.
        let (version, size) = unsafe { ((*p).abi_version, (*p).struct_size) };
        if version != ABI_VERSION || (size as usize) < std::mem::size_of::<EcoAbi>() {
            return Err(mlua::Error::runtime(format!(
                "eco core ABI mismatch (version {version}, size {size}; need {ABI_VERSION})"
            )));
        }
        let s = Sched { abi: p };
        lua.set_app_data(s);
        Ok(s)
    }

    fn abi(&self) -> &EcoAbi {
        // SAFETY: checked in `get`; the table lives as long as the Lua state that we are called from.
        unsafe { &*self.abi }
    }

    /// Parks the running coroutine; the caller must then `coroutine.yield()` (from Lua), which
    /// returns the outcome (`WAIT_*`). `timeout` is in seconds; `None`, `<= 0` mean none.
    pub fn park_current(
        &self,
        lua: &Lua,
        fd: i32,
        events: u32,
        timeout: Option<f64>,
    ) -> Result<i64, ParkError> {
        let co = lua.current_thread().to_pointer() as *mut std::ffi::c_void;
        let a = self.abi();
        let r = (a.park)(a.sched, co, fd, events, timeout_ms(timeout));
        if r > 0 {
            Ok(r)
        } else if r == crate::PARK_NOT_YIELDABLE {
            Err(ParkError::NotYieldable)
        } else if r == crate::PARK_BUSY {
            Err(ParkError::Busy)
        } else {
            Err(ParkError::Os((-r) as i32))
        }
    }

    pub fn wake(&self, token: i64) -> bool {
        let a = self.abi();
        (a.wake)(a.sched, token) == 1
    }

    pub fn cancel(&self, token: i64) -> bool {
        let a = self.abi();
        (a.cancel)(a.sched, token) == 1
    }

    pub fn finish(&self, token: i64) -> c_int {
        let a = self.abi();
        (a.finish)(a.sched, token)
    }

    pub fn now_ms(&self) -> i64 {
        let a = self.abi();
        (a.now_ms)(a.sched)
    }

    /// Registers a native hook function (`kind`: [`crate::HOOK_READ`]/[`crate::HOOK_WRITE`]) so
    /// that `eco.reader`/`eco.writer` accept it (see [`crate::RegisterHookFn`]).
    pub fn register_hook(&self, hook: *mut std::ffi::c_void, kind: u32) -> bool {
        let a = self.abi();
        (a.register_hook)(a.sched, hook, kind) == 1
    }
}

/// Seconds to the scheduler's millisecond timeout (`-1` = none), as spec/eco.md section 1 says.
pub fn timeout_ms(timeout: Option<f64>) -> i64 {
    match timeout {
        Some(t) if t > 0.0 && !t.is_nan() => {
            let ms = (t * 1000.0).floor();
            if ms >= i64::MAX as f64 {
                i64::MAX
            } else {
                ms as i64
            }
        }
        _ => -1,
    }
}

impl Sched {
    /// Two Lua C functions bound to this scheduler, for modules that park from Lua code:
    /// `park([timeout]) -> token` (raises when the caller cannot yield; the caller must then
    /// `coroutine.yield()`, which returns the outcome) and `wake(token) -> boolean`.
    /// They are raw C closures: no mlua call machinery on these hot paths.
    pub fn park_functions(&self, lua: &Lua) -> mlua::Result<(Function, Function)> {
        let abi = self.abi as *mut std::ffi::c_void;
        let make = |f: ffi::lua_CFunction| -> mlua::Result<Function> {
            // SAFETY: pushes one C closure whose upvalue is the published table pointer.
            unsafe {
                lua.exec_raw((), |l| {
                    ffi::lua_pushlightuserdata(l, abi);
                    ffi::lua_pushcclosure(l, f, 1);
                })
            }
        };
        Ok((make(lua_park)?, make(lua_wake)?))
    }
}

/// The ABI table from upvalue 1 of a closure made by `park_functions`.
///
/// # Safety
/// `l` is running a C function made by `park_functions` (upvalue 1 = the published table).
unsafe fn upvalue_abi<'a>(l: *mut ffi::lua_State) -> &'a EcoAbi {
    // SAFETY: the contract; the table lives as long as the Lua state.
    unsafe { &*(ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *const EcoAbi) }
}

/// `park([timeout]) -> token`.
///
/// # Safety
/// Called by Lua as a closure made by `park_functions`.
unsafe extern "C-unwind" fn lua_park(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua calls this closure (made by `park_functions`) with the running coroutine;
    // nothing with a destructor is alive when `lua_error` jumps.
    unsafe {
        let abi = upvalue_abi(l);
        let mut isnum = 0;
        let t = ffi::lua_tonumberx(l, 1, &mut isnum);
        let timeout = if isnum != 0 { Some(t) } else { None };
        let r = (abi.park)(abi.sched, l.cast(), -1, 0, timeout_ms(timeout));
        if r > 0 {
            ffi::lua_pushinteger(l, r);
            return 1;
        }
        let msg: &std::ffi::CStr = if r == crate::PARK_NOT_YIELDABLE {
            c"attempt to yield from outside a coroutine"
        } else {
            c"eco: cannot park the coroutine"
        };
        ffi::luaL_where(l, 1);
        ffi::lua_pushstring(l, msg.as_ptr());
        ffi::lua_concat(l, 2);
        ffi::lua_error(l)
    }
}

/// `wake(token) -> boolean`.
///
/// # Safety
/// As for `lua_park`.
unsafe extern "C-unwind" fn lua_wake(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: as for `lua_park`; only integers cross.
    unsafe {
        let abi = upvalue_abi(l);
        let token = ffi::lua_tointeger(l, 1);
        let ok = (abi.wake)(abi.sched, token) == 1;
        ffi::lua_pushboolean(l, ok as c_int);
    }
    1
}

/// The marker a function wrapped by [`raising`] returns first to ask its trampoline to raise.
static RAISE_MARK: u8 = 0;

/// The light userdata value of the raise marker (see [`raising`]).
pub fn raise_mark() -> LightUserData {
    LightUserData(std::ptr::addr_of!(RAISE_MARK) as *mut std::ffi::c_void)
}

/// Wraps `f` in a raw C closure that raises plain Lua strings, as C modules do.
///
/// mlua turns an `Err` returned by a Rust function into a userdata error; this trampoline lets
/// a function raise a string instead: when `f` returns `(raise_mark(), n, msg)`, the closure
/// raises `luaL_argerror(L, n, msg)` for `n > 0` (so the message names the function as the
/// caller sees it and follows Lua's conventions for methods: `calling 'm' on bad self`) and
/// the string `msg` as it is for `n == 0`. Any other results are returned unchanged.
pub fn raising(lua: &Lua, f: Function) -> mlua::Result<Function> {
    let mark = raise_mark();
    // SAFETY: pushes one C closure with two upvalues: `f` (the one argument on the stack) and
    // the marker.
    unsafe {
        lua.exec_raw(f, |l| {
            ffi::lua_pushlightuserdata(l, mark.0);
            ffi::lua_pushcclosure(l, lua_raising, 2);
        })
    }
}

/// The C closure made by [`raising`].
///
/// # Safety
/// Called by Lua as a C function, with `f` and the marker as upvalues 1 and 2.
unsafe extern "C-unwind" fn lua_raising(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: `l` is the running state; only C API calls, nothing with a destructor is alive
    // when `lua_error`/`luaL_argerror` jump.
    unsafe {
        let nargs = ffi::lua_gettop(l);
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
        ffi::lua_insert(l, 1);
        ffi::lua_call(l, nargs, ffi::LUA_MULTRET);
        let nres = ffi::lua_gettop(l);
        if nres >= 3
            && ffi::lua_type(l, 1) == ffi::LUA_TLIGHTUSERDATA
            && ffi::lua_touserdata(l, 1) == ffi::lua_touserdata(l, ffi::lua_upvalueindex(2))
        {
            let n = ffi::lua_tointeger(l, 2);
            if n > 0 {
                let msg = ffi::lua_tolstring(l, 3, std::ptr::null_mut());
                return ffi::luaL_argerror(l, n as c_int, msg);
            }
            ffi::lua_settop(l, 3);
            ffi::lua_error(l)
        }
        nres
    }
}
