//! Safe access to the core's ABI table for mlua-based module crates.

use std::ffi::c_int;

use mlua::{LightUserData, Lua};

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
