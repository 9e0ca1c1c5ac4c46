//! Helpers shared by the eco module crates (one copy instead of one per crate):
//!
//! * natives made with [`function`] / [`method`] / [`method_mut`]: arguments are converted
//!   (or checked with [`Args`]) and every error they raise reaches Lua as a plain **string**,
//!   argument errors in the standard form `bad argument #N to 'NAME' (T expected, got U)` built
//!   by `luaL_argerror` (so the name is the one the caller used, and methods follow Lua's
//!   convention: `calling 'm' on bad self`, arguments counted after `self`);
//! * the `nil, msg` failure convention: [`fail`], [`os_fail`], [`io_fail`], and [`one`];
//! * the monotonic clock: [`monotonic`], [`monotonic_ms`];
//! * [`lua_type_name`].
//!
//! An `Err` returned by an mlua function would reach Lua as a userdata; the functions made here
//! are wrapped by `eco_abi::raising` (a C trampoline) and return a marker instead, which the
//! trampoline turns into `luaL_argerror` or a string error.
#![forbid(unsafe_code)]

use std::sync::Arc;

use mlua::{
    Error, FromLuaMulti, Function, IntoLuaMulti, Lua, LuaString, MultiValue, Result, Value,
};

pub use eco_abi::{io_error_text, strerror};

// ---------------------------------------------------------------------------------------------
// Failure convention
// ---------------------------------------------------------------------------------------------

/// `nil, msg`: the result of an operation that failed (the spec's "fails").
pub fn fail(lua: &Lua, msg: impl AsRef<[u8]>) -> Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![
        Value::Nil,
        Value::String(lua.create_string(msg)?),
    ]))
}

/// `nil, strerror(errno)`: the C library's text, without Rust's ` (os error N)`.
pub fn os_fail(lua: &Lua, errno: i32) -> Result<MultiValue> {
    fail(lua, strerror(errno))
}

/// `nil, msg` for an `io::Error` (strerror text for OS errors).
pub fn io_fail(lua: &Lua, e: &std::io::Error) -> Result<MultiValue> {
    fail(lua, io_error_text(e))
}

/// One value as a result list.
pub fn one(v: Value) -> Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![v]))
}

/// `true` as a result list.
pub fn ok_true() -> Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![Value::Boolean(true)]))
}

// ---------------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------------

/// `CLOCK_MONOTONIC` in seconds (sub-second precision), for deadlines.
pub fn monotonic() -> f64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// A native `() -> seconds` on [`monotonic`], the clock modules hand their Lua part.
pub fn monotonic_function(lua: &Lua) -> Result<Function> {
    function(lua, |_, ()| Ok(monotonic()))
}

/// `CLOCK_MONOTONIC` in milliseconds.
pub fn monotonic_ms() -> i64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec as i64 * 1000 + ts.tv_nsec as i64 / 1_000_000
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Lua type name of a value as `luaL_typename` gives it ("number" for integers too).
pub fn lua_type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// An argument error: raised as `bad argument #n to 'f' (msg)` by a function of this crate.
/// `n` counts arguments as Lua passes them (`self` is #1 of a method).
// mlua's `Error` holds its cause in an `Arc` whatever its thread-safety (no `send` feature here).
#[allow(clippy::arc_with_non_send_sync)]
pub fn arg_error(n: usize, msg: impl Into<String>) -> Error {
    Error::BadArgument {
        to: None,
        pos: n,
        name: None,
        cause: Arc::new(Error::RuntimeError(msg.into())),
    }
}

/// `bad argument #n to 'f' (T expected, got U)`.
pub fn type_error(n: usize, expected: &str, got: &Value) -> Error {
    arg_error(
        n,
        format!("{expected} expected, got {}", lua_type_name(got)),
    )
}

/// An error raised as the plain string `msg` (the spec's "raises").
pub fn error(msg: impl Into<String>) -> Error {
    Error::RuntimeError(msg.into())
}

/// The Lua type an mlua conversion target stands for.
fn expected_of(to: &str) -> &str {
    match to {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" | "Integer" | "integer" | "f32" | "f64" | "Number" => "number",
        "String" | "LuaString" | "BString" | "OsString" | "PathBuf" | "CString" | "BorrowedStr"
        | "BorrowedBytes" => "string",
        "Table" => "table",
        "Function" => "function",
        "Thread" => "thread",
        "AnyUserData" | "UserDataRef" | "UserDataRefMut" => "userdata",
        other => other,
    }
}

fn is_integer_type(to: &str) -> bool {
    matches!(
        to,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "Integer"
            | "integer"
    )
}

/// What a failed call turns into: `(n, message)` with `n > 0` for an argument error,
/// `n == 0` for a plain string error.
fn describe(e: &Error, nargs: usize) -> (usize, String) {
    match e {
        Error::BadArgument { pos, cause, .. } => {
            let msg = match cause.as_ref() {
                Error::FromLuaConversionError { from, to, .. } => {
                    let got = if *pos > nargs { "no value" } else { from };
                    if got == "number" && is_integer_type(to) {
                        "number has no integer representation".to_string()
                    } else {
                        format!("{} expected, got {got}", expected_of(to))
                    }
                }
                Error::RuntimeError(m) => m.clone(),
                other => other.to_string(),
            };
            (*pos, msg)
        }
        Error::RuntimeError(m) => (0, m.clone()),
        Error::CallbackError { cause, .. } | Error::WithContext { cause, .. } => {
            describe(cause, nargs)
        }
        other => (0, other.to_string()),
    }
}

/// The results that make the trampoline raise `e`.
fn raise(lua: &Lua, e: Error, nargs: usize) -> Result<MultiValue> {
    if let Error::MemoryError(_) = e {
        return Err(e);
    }
    let (n, msg) = describe(&e, nargs);
    Ok(MultiValue::from_vec(vec![
        Value::LightUserData(eco_abi::raise_mark()),
        Value::Integer(n as i64),
        Value::String(lua.create_string(msg)?),
    ]))
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/// The body of a native once its arguments are in a list: what [`function`] and [`method`]
/// make of each Rust closure.
type Body = Box<dyn Fn(&Lua, MultiValue) -> Result<MultiValue>>;

/// Wraps a body into a Lua function: the only place that instantiates mlua's callback glue, so it
/// exists once in a module instead of once per native (about 1 KB each: the bundle budgets of
/// docs/packaging.md depend on it).
fn native(lua: &Lua, first_arg: usize, body: Body) -> Result<Function> {
    let inner = lua.create_function(move |lua, args: MultiValue| {
        let nargs = args.len() + first_arg - 1;
        match body(lua, args) {
            Ok(r) => Ok(r),
            Err(e) => raise(lua, e, nargs),
        }
    })?;
    eco_abi::raising(lua, inner)
}

/// `lua.create_function` for module natives: conversion failures of the arguments and every
/// `Err` of `f` are raised as Lua strings (see the crate documentation).
pub fn function<A, R, F>(lua: &Lua, f: F) -> Result<Function>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> Result<R> + 'static,
{
    native(
        lua,
        1,
        Box::new(move |lua, args| {
            let a = A::from_lua_args(args, 1, None, lua)?;
            f(lua, a)?.into_lua_multi(lua)
        }),
    )
}

fn self_error(tname: &str, v: &Value) -> Error {
    type_error(1, tname, v)
}

/// The raw native under [`method`] and [`method_mut`]: `self` is taken apart from the other
/// arguments (which are then numbered from 2).
fn method_with<A, R, F>(lua: &Lua, f: F) -> Result<Function>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, &Value, A) -> Result<R> + 'static,
{
    native(
        lua,
        1,
        Box::new(move |lua, mut args| {
            let this = args.pop_front().unwrap_or(Value::Nil);
            let a = A::from_lua_args(args, 2, None, lua)?;
            f(lua, &this, a)?.into_lua_multi(lua)
        }),
    )
}

/// A method of userdata type `T` (Lua name `tname`, for the error when `self` is something
/// else), borrowing it shared; install it with [`register`]. Argument errors count `self` as
/// #1 (`luaL_argerror` renumbers them for a call with `:`).
pub fn method<T, A, R, F>(lua: &Lua, tname: &'static str, f: F) -> Result<Function>
where
    T: 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, &T, A) -> Result<R> + 'static,
{
    method_with(lua, move |lua, this: &Value, a: A| {
        let ud = match this {
            Value::UserData(ud) => ud,
            _ => return Err(self_error(tname, this)),
        };
        let this_ref = ud.borrow::<T>().map_err(|e| match e {
            Error::UserDataTypeMismatch => self_error(tname, this),
            e => error(e.to_string()),
        })?;
        f(lua, &this_ref, a)
    })
}

/// Like [`method`], borrowing `T` mutably.
pub fn method_mut<T, A, R, F>(lua: &Lua, tname: &'static str, f: F) -> Result<Function>
where
    T: 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, &mut T, A) -> Result<R> + 'static,
{
    method_with(lua, move |lua, this: &Value, a: A| {
        let ud = match this {
            Value::UserData(ud) => ud,
            _ => return Err(self_error(tname, this)),
        };
        let mut this_ref = ud.borrow_mut::<T>().map_err(|e| match e {
            Error::UserDataTypeMismatch => self_error(tname, this),
            e => error(e.to_string()),
        })?;
        f(lua, &mut this_ref, a)
    })
}

/// Like [`method_mut`] for a hot path: the (up to) three arguments after `self` arrive as raw
/// values and nothing is allocated for them (an absent argument reads as nil, so a check on it
/// reports `got nil`); check them with [`type_error`]/[`arg_error`] (`self` is #1).
pub fn method_mut3<T, R, F>(lua: &Lua, tname: &'static str, f: F) -> Result<Function>
where
    T: 'static,
    R: IntoLuaMulti,
    F: Fn(&Lua, &mut T, [Value; 3]) -> Result<R> + 'static,
{
    let inner =
        lua.create_function(move |lua, (this, a, b, c): (Value, Value, Value, Value)| {
            let r = (|| {
                let ud = match &this {
                    Value::UserData(ud) => ud,
                    _ => return Err(self_error(tname, &this)),
                };
                let mut this_ref = ud.borrow_mut::<T>().map_err(|e| match e {
                    Error::UserDataTypeMismatch => self_error(tname, &this),
                    e => error(e.to_string()),
                })?;
                f(lua, &mut this_ref, [a, b, c])?.into_lua_multi(lua)
            })();
            match r {
                Ok(r) => Ok(r),
                Err(e) => raise(lua, e, usize::MAX),
            }
        })?;
    eco_abi::raising(lua, inner)
}

struct Registered<T>(std::marker::PhantomData<T>);

/// Registers userdata type `T` once per Lua state (a second call does nothing: registering
/// again would orphan live objects). `f` adds its methods (functions made by [`method`],
/// installed with `add_field`) and meta methods. Objects are then made with
/// `lua.create_any_userdata`.
pub fn register<T: 'static>(
    lua: &Lua,
    f: impl FnOnce(&mut mlua::UserDataRegistry<T>),
) -> Result<()> {
    if lua.app_data_ref::<Registered<T>>().is_some() {
        return Ok(());
    }
    lua.register_userdata_type::<T>(f)?;
    lua.set_app_data(Registered::<T>(std::marker::PhantomData));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Checks on raw arguments
// ---------------------------------------------------------------------------------------------

/// The raw arguments of a call, for natives that check them one by one (`luaL_check*`-like,
/// with "no value" for a missing argument). Positions count from 1.
pub struct Args {
    vals: Vec<Value>,
}

impl mlua::FromLuaMulti for Args {
    fn from_lua_multi(values: MultiValue, _lua: &Lua) -> Result<Self> {
        Ok(Args {
            vals: values.into_vec(),
        })
    }
}

impl Args {
    /// Number of arguments passed.
    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    /// Argument `n` (nil when absent).
    pub fn get(&self, n: usize) -> Value {
        self.vals.get(n - 1).cloned().unwrap_or(Value::Nil)
    }

    /// Whether argument `n` is nil or absent.
    pub fn is_none(&self, n: usize) -> bool {
        matches!(self.vals.get(n - 1), None | Some(Value::Nil))
    }

    fn got(&self, n: usize) -> &'static str {
        match self.vals.get(n - 1) {
            None => "no value",
            Some(v) => lua_type_name(v),
        }
    }

    /// `expected expected, got T` for argument `n`.
    pub fn type_error(&self, n: usize, expected: &str) -> Error {
        arg_error(n, format!("{expected} expected, got {}", self.got(n)))
    }

    /// `luaL_checkinteger`: an integer, a float with an integer value or a numeric string.
    pub fn integer(&self, n: usize) -> Result<i64> {
        match self.vals.get(n - 1) {
            Some(Value::Integer(i)) => Ok(*i),
            Some(Value::Number(x)) => {
                float_to_int(*x).ok_or_else(|| arg_error(n, "number has no integer representation"))
            }
            Some(Value::String(s)) => match parse_number(s) {
                Some(Value::Integer(i)) => Ok(i),
                Some(Value::Number(x)) => float_to_int(x)
                    .ok_or_else(|| arg_error(n, "number has no integer representation")),
                _ => Err(self.type_error(n, "number")),
            },
            _ => Err(self.type_error(n, "number")),
        }
    }

    /// `luaL_optinteger`.
    pub fn opt_integer(&self, n: usize) -> Result<Option<i64>> {
        if self.is_none(n) {
            Ok(None)
        } else {
            self.integer(n).map(Some)
        }
    }

    /// `luaL_checknumber`.
    pub fn number(&self, n: usize) -> Result<f64> {
        match self.vals.get(n - 1) {
            Some(Value::Integer(i)) => Ok(*i as f64),
            Some(Value::Number(x)) => Ok(*x),
            Some(Value::String(s)) => match parse_number(s) {
                Some(Value::Integer(i)) => Ok(i as f64),
                Some(Value::Number(x)) => Ok(x),
                _ => Err(self.type_error(n, "number")),
            },
            _ => Err(self.type_error(n, "number")),
        }
    }

    /// `luaL_optnumber`.
    pub fn opt_number(&self, n: usize) -> Result<Option<f64>> {
        if self.is_none(n) {
            Ok(None)
        } else {
            self.number(n).map(Some)
        }
    }

    /// `luaL_checklstring`: a string, or a number in its Lua string form.
    pub fn string(&self, lua: &Lua, n: usize) -> Result<LuaString> {
        match self.vals.get(n - 1) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v @ (Value::Integer(_) | Value::Number(_))) => lua
                .coerce_string(v.clone())?
                .ok_or_else(|| self.type_error(n, "string")),
            _ => Err(self.type_error(n, "string")),
        }
    }

    /// `luaL_optlstring` (without a default).
    pub fn opt_string(&self, lua: &Lua, n: usize) -> Result<Option<LuaString>> {
        if self.is_none(n) {
            Ok(None)
        } else {
            self.string(lua, n).map(Some)
        }
    }

    /// `luaL_checktype(L, n, LUA_TTABLE)`.
    pub fn table(&self, n: usize) -> Result<mlua::Table> {
        match self.vals.get(n - 1) {
            Some(Value::Table(t)) => Ok(t.clone()),
            _ => Err(self.type_error(n, "table")),
        }
    }

    /// `lua_toboolean`: anything but nil and false is true.
    pub fn boolean(&self, n: usize) -> bool {
        !matches!(
            self.vals.get(n - 1),
            None | Some(Value::Nil) | Some(Value::Boolean(false))
        )
    }
}

fn float_to_int(x: f64) -> Option<i64> {
    if x.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        Some(x as i64)
    } else {
        None
    }
}

/// A numeric string as Lua reads it (decimal or hex integer, or a float).
fn parse_number(s: &LuaString) -> Option<Value> {
    let b = s.as_bytes();
    let t = std::str::from_utf8(&b).ok()?.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        if let Ok(v) = u64::from_str_radix(h, 16) {
            let v = v as i64;
            return Some(Value::Integer(if neg { v.wrapping_neg() } else { v }));
        }
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Integer(i));
    }
    if t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("nan") || t.contains("inf") {
        return None;
    }
    t.parse::<f64>().ok().map(Value::Number)
}

#[cfg(test)]
mod tests;
