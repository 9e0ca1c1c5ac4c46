//! `eco.time` (spec/time.md): the native clock and timerfd helpers; timer objects are Lua
//! (`lua/time.lua`) over `eco.reader` on the timer descriptor.
#![forbid(unsafe_code)]

use eco_util::{one, os_fail};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlua::{Lua, Result, Table, Value};
use rustix::time::{Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("time.lua");

fn clock_of(id: i64) -> Option<TimerfdClockId> {
    Some(match id {
        0 => TimerfdClockId::Realtime,
        1 => TimerfdClockId::Monotonic,
        7 => TimerfdClockId::Boottime,
        8 => TimerfdClockId::RealtimeAlarm,
        9 => TimerfdClockId::BoottimeAlarm,
        _ => return None,
    })
}

fn timespec(secs: f64) -> Timespec {
    let secs = if secs.is_finite() && secs > 0.0 {
        secs
    } else {
        0.0
    };
    let d = Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(i64::MAX as u64 / 2));
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("CLOCK_REALTIME", 0)?;
    t.set("CLOCK_MONOTONIC", 1)?;
    t.set("TFD_TIMER_ABSTIME", 1)?;
    t.set(
        "now",
        eco_util::function(lua, |_, ()| {
            let d = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            Ok(d.as_secs_f64())
        })?,
    )?;
    t.set(
        "timerfd_create",
        eco_util::function(lua, |lua, clock: i64| {
            let Some(clock) = clock_of(clock) else {
                return os_fail(lua, rustix::io::Errno::INVAL.raw_os_error());
            };
            match rustix::time::timerfd_create(
                clock,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            ) {
                Ok(fd) => one(Value::Integer(
                    std::os::fd::IntoRawFd::into_raw_fd(fd) as i64
                )),
                Err(e) => os_fail(lua, e.raw_os_error()),
            }
        })?,
    )?;
    t.set(
        "timerfd_settime",
        eco_util::function(
            lua,
            |lua, (fd, flags, delay, interval): (i64, i64, f64, Option<f64>)| {
                let fd = match eco_abi::checked_fd(fd) {
                    Ok(fd) => fd,
                    Err(e) => return os_fail(lua, e),
                };
                let flags = if flags & 1 != 0 {
                    TimerfdTimerFlags::ABSTIME
                } else {
                    TimerfdTimerFlags::empty()
                };
                let spec = Itimerspec {
                    it_interval: timespec(interval.unwrap_or(0.0)),
                    it_value: timespec(delay),
                };
                match rustix::time::timerfd_settime(eco_abi::borrow_fd(fd), flags, &spec) {
                    Ok(_) => one(Value::Boolean(true)),
                    Err(e) => os_fail(lua, e.raw_os_error()),
                }
            },
        )?,
    )?;
    t.set(
        "close",
        eco_util::function(lua, |lua, fd: i64| {
            match eco_abi::checked_fd(fd).and_then(eco_abi::close_fd) {
                Ok(()) => one(Value::Boolean(true)),
                Err(e) => os_fail(lua, e),
            }
        })?,
    )?;
    Ok(t)
}

/// Opens the module: the Lua part receives the native helper table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/time.lua")
        .call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_time")]
fn eco_time(lua: &Lua) -> Result<Value> {
    open(lua)
}
