//! `eco.uci` (docs/uci.md): OpenWrt's UCI configuration cursor on the real libuci, so the file
//! format, delta files, locking and commit are exactly those of the `uci` command line.
//!
//! All `unsafe` is in `ffi.rs` (a safe API over `libuci-sys`); this file is the Lua glue: the
//! cursor userdata and its native methods. `foreach`/`each` are Lua (`lua/uci.lua`) over the
//! native `_section`, so a callback may yield. libuci reports errors by return codes (its
//! internal `setjmp` traps never leave its frames); errors for Lua are raised by the
//! `eco_util` trampoline after the Rust code has returned, never across a libuci frame.
//! libuci does its file I/O synchronously (local config files), as the C binding does.
#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod ffi;

use ffi::{Arg, Context, Found, Path, PkgCmd, Section, Value as UValue};
use mlua::{Lua, LuaString, MetaMethod, MultiValue, Result, Table, UserDataFields, Value};

use eco_util::{error, Args};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("uci.lua");

const TNAME: &str = "uci cursor";

/// The userdata behind a Lua cursor; `ctx` is `None` once closed.
struct Cursor {
    ctx: Option<Context>,
}

impl Cursor {
    fn ctx(&mut self) -> Result<&mut Context> {
        self.ctx.as_mut().ok_or_else(|| error("UCI context closed"))
    }
}

fn mv(v: Vec<Value>) -> MultiValue {
    MultiValue::from_vec(v)
}

fn s(lua: &Lua, b: &[u8]) -> Result<Value> {
    Ok(Value::String(lua.create_string(b)?))
}

/// `true`, or `false, msg`.
fn status(lua: &Lua, r: ffi::Res<()>) -> Result<MultiValue> {
    match r {
        Ok(()) => Ok(mv(vec![Value::Boolean(true)])),
        Err(e) => Ok(mv(vec![Value::Boolean(false), s(lua, e.msg.as_bytes())?])),
    }
}

/// `nil, msg`.
fn fail(lua: &Lua, e: ffi::Error) -> Result<MultiValue> {
    eco_util::fail(lua, e.msg)
}

/// Argument `i` (after self) as a string; errors count self as #1.
fn arg_str(lua: &Lua, a: &Args, i: usize) -> Result<LuaString> {
    a.string(lua, i)
        .map_err(|_| eco_util::type_error(i + 1, "string", &a.get(i)))
}

/// The location arguments of a method as the reference binding reads them: one dotted string,
/// or package, section[, option] (a 4th argument is the value and not part of the path).
struct Loc {
    parts: [Option<LuaString>; 3],
    n: usize,
}

impl Loc {
    fn read(lua: &Lua, a: &Args) -> Result<Loc> {
        let n = a.len();
        let first = arg_str(lua, a, 1)?;
        let mut parts = [Some(first), None, None];
        match n {
            0 | 1 => {}
            2..=4 => {
                if n >= 3 {
                    parts[2] = Some(arg_str(lua, a, 3)?);
                }
                parts[1] = Some(arg_str(lua, a, 2)?);
            }
            _ => return Err(error("invalid argument count")),
        }
        Ok(Loc { parts, n })
    }

    fn with<R>(&self, f: impl FnOnce(Path<'_>) -> R) -> R {
        let b: Vec<Option<mlua::BorrowedBytes>> = self
            .parts
            .iter()
            .map(|p| p.as_ref().map(|x| x.as_bytes()))
            .collect();
        let path = if self.n <= 1 {
            Path::Dotted(b[0].as_deref().unwrap_or(&[]))
        } else {
            Path::Parts {
                package: b[0].as_deref().unwrap_or(&[]),
                section: b[1].as_deref(),
                option: b[2].as_deref(),
            }
        };
        f(path)
    }
}

fn push_value(lua: &Lua, v: UValue<'_>) -> Result<Value> {
    match v {
        UValue::Str(b) => s(lua, b),
        UValue::List(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, it) in items.into_iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(it)?)?;
            }
            Ok(Value::Table(t))
        }
        UValue::Other => Ok(Value::Nil),
    }
}

/// The keys every section table has, created once per Lua state (a fifth of the cost of a
/// section table was creating them again).
struct Keys {
    anonymous: LuaString,
    type_: LuaString,
    name: LuaString,
    index: LuaString,
}

fn keys(lua: &Lua) -> Result<mlua::AppDataRef<'_, Keys>> {
    if lua.app_data_ref::<Keys>().is_none() {
        lua.set_app_data(Keys {
            anonymous: lua.create_string(".anonymous")?,
            type_: lua.create_string(".type")?,
            name: lua.create_string(".name")?,
            index: lua.create_string(".index")?,
        });
    }
    lua.app_data_ref::<Keys>()
        .ok_or_else(|| error("eco.uci: keys"))
}

/// A section table: `.anonymous`, `.type`, `.name`, `.index` (when given), the options.
fn push_section(lua: &Lua, sec: Section<'_>, index: Option<usize>) -> Result<Table> {
    let k = keys(lua)?;
    let t = lua.create_table_with_capacity(0, 8)?;
    t.raw_set(&k.anonymous, sec.anonymous())?;
    t.raw_set(&k.type_, lua.create_string(sec.type_())?)?;
    t.raw_set(&k.name, lua.create_string(sec.name())?)?;
    if let Some(i) = index {
        t.raw_set(&k.index, i as i64)?;
    }
    for o in sec.options() {
        t.raw_set(lua.create_string(o.name())?, push_value(lua, o.value())?)?;
    }
    Ok(t)
}

fn push_found(lua: &Lua, f: Found<'_>, all: bool) -> Result<MultiValue> {
    Ok(match f {
        Found::Package(p) => {
            let t = lua.create_table()?;
            for (i, sec) in p.sections().enumerate() {
                t.raw_set(
                    lua.create_string(sec.name())?,
                    push_section(lua, sec, Some(i))?,
                )?;
            }
            mv(vec![Value::Table(t)])
        }
        Found::Section(sec) if all => mv(vec![Value::Table(push_section(lua, sec, None)?)]),
        Found::Section(sec) => mv(vec![s(lua, sec.type_())?, s(lua, sec.name())?]),
        Found::Option(o) => mv(vec![push_value(lua, o.value())?]),
    })
}

fn get_any(lua: &Lua, c: &mut Cursor, a: Args, all: bool) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let loc = Loc::read(lua, &a)?;
    loc.with(|path| match ctx.get(path, all) {
        Ok(f) => push_found(lua, f, all),
        Err(e) => fail(lua, e),
    })
}

/// A list value for `set`: every element a string or number (else raises), not empty.
fn list_items(lua: &Lua, t: &Table) -> Result<Vec<LuaString>> {
    let n = t.raw_len();
    if n < 1 {
        return Err(error("Cannot set an uci option to an empty table value"));
    }
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        let v: Value = t.raw_get(i)?;
        match &v {
            Value::String(s) => out.push(s.clone()),
            Value::Integer(_) | Value::Number(_) => match lua.coerce_string(v.clone())? {
                Some(s) => out.push(s),
                None => return Err(eco_util::type_error(5, "string", &v)),
            },
            _ => return Err(eco_util::type_error(5, "string", &v)),
        }
    }
    Ok(out)
}

fn set(lua: &Lua, c: &mut Cursor, a: Args) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let loc = Loc::read(lua, &a)?;
    let r = match a.len() {
        1 => loc.with(|p| ctx.set(p, Arg::Dotted)),
        3 => loc.with(|p| ctx.set(p, Arg::Third)),
        4 => match a.get(4) {
            Value::Table(t) => {
                let items = list_items(lua, &t)?;
                let bytes: Vec<mlua::BorrowedBytes> = items.iter().map(|s| s.as_bytes()).collect();
                let refs: Vec<&[u8]> = bytes.iter().map(|b| &b[..]).collect();
                loc.with(|p| ctx.set(p, Arg::List(&refs)))
            }
            _ => {
                let v = arg_str(lua, &a, 4)?;
                loc.with(|p| ctx.set(p, Arg::Value(&v.as_bytes())))
            }
        },
        _ => loc.with(|p| ctx.set(p, Arg::Bad)),
    };
    status(lua, r)
}

fn rename(lua: &Lua, c: &mut Cursor, a: Args) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let loc = Loc::read(lua, &a)?;
    let r = match a.len() {
        1 => loc.with(|p| ctx.rename(p, Arg::Dotted)),
        3 => loc.with(|p| ctx.rename(p, Arg::Third)),
        4 => {
            let v = arg_str(lua, &a, 4)?;
            loc.with(|p| ctx.rename(p, Arg::Value(&v.as_bytes())))
        }
        _ => loc.with(|p| ctx.rename(p, Arg::Bad)),
    };
    status(lua, r)
}

fn reorder(lua: &Lua, c: &mut Cursor, a: Args) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let loc = Loc::read(lua, &a)?;
    let arg = match a.len() {
        1 => Arg::Dotted,
        3 => Arg::Third,
        _ => Arg::Bad,
    };
    let r = loc.with(|p| ctx.reorder(p, arg));
    status(lua, r)
}

fn package_cmd(lua: &Lua, c: &mut Cursor, a: Args, cmd: PkgCmd) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let loc = Loc::read(lua, &a)?;
    if cmd != PkgCmd::Revert && a.len() > 1 {
        // The reference returns the previous error state here; docs/uci.md: invalid argument.
        return status(lua, Err(ffi::Error::inval()));
    }
    let r = loc.with(|p| ctx.package_cmd(p, cmd));
    status(lua, r)
}

/// `_section(pkg, type, i[, last])`: the next section of a walk (of `type` when not nil; after
/// the section named `last`, which was at position i - 1) as a section table and the position
/// after it; nil at the end; false when the package cannot be loaded.
fn section_at(lua: &Lua, c: &mut Cursor, a: Args) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let pkg = arg_str(lua, &a, 1)?;
    let ty = a.opt_string(lua, 2)?;
    let from = a.integer(3)?.max(0) as usize;
    let after = a.opt_string(lua, 4)?;
    let after = after.as_ref().map(|t| t.as_bytes());
    let ty = ty.as_ref().map(|t| t.as_bytes());
    match ctx.section_from(&pkg.as_bytes(), ty.as_deref(), from, after.as_deref()) {
        Err(_) => Ok(mv(vec![Value::Boolean(false)])),
        Ok(None) => Ok(mv(vec![Value::Nil])),
        Ok(Some((sec, i))) => {
            let t = push_section(lua, sec, Some(i))?;
            Ok(mv(vec![Value::Table(t), Value::Integer(i as i64 + 1)]))
        }
    }
}

fn changes_of(lua: &Lua, ctx: &mut Context, t: &Table, pkg: &[u8]) -> Result<()> {
    let Some(list) = ctx.changes(pkg) else {
        return Ok(());
    };
    if list.is_empty() {
        return Ok(());
    }
    let pt = lua.create_table()?;
    for ch in list {
        let sec: Table = match pt.raw_get::<Value>(lua.create_string(&ch.section)?)? {
            Value::Table(t) => t,
            _ => {
                let t = lua.create_table()?;
                pt.raw_set(lua.create_string(&ch.section)?, &t)?;
                t
            }
        };
        let value = lua.create_string(&ch.value)?;
        match ch.name {
            None => sec.raw_set(".type", value)?,
            Some(name) => {
                let key = lua.create_string(&name)?;
                if ch.list_add {
                    match sec.raw_get::<Value>(&key)? {
                        Value::Table(l) => l.raw_set(l.raw_len() + 1, value)?,
                        Value::Nil => sec.raw_set(key, lua.create_sequence_from([value])?)?,
                        old => sec
                            .raw_set(key, lua.create_sequence_from([old, Value::String(value)])?)?,
                    }
                } else {
                    sec.raw_set(key, value)?;
                }
            }
        }
    }
    t.raw_set(lua.create_string(pkg)?, pt)?;
    Ok(())
}

fn changes(lua: &Lua, c: &mut Cursor, a: Args) -> Result<MultiValue> {
    let ctx = c.ctx()?;
    let t = lua.create_table()?;
    match a.len() {
        0 => {
            if let Ok(names) = ctx.list_configs() {
                for n in names {
                    changes_of(lua, ctx, &t, &n)?;
                }
            }
        }
        1 => {
            let p = arg_str(lua, &a, 1)?;
            changes_of(lua, ctx, &t, &p.as_bytes())?;
        }
        _ => return Err(error("invalid argument count")),
    }
    Ok(mv(vec![Value::Table(t)]))
}

type Body = fn(&Lua, &mut Cursor, Args) -> Result<MultiValue>;

fn methods() -> Vec<(&'static str, Body)> {
    vec![
        ("load", |lua, c, a| {
            let ctx = c.ctx()?;
            let p = arg_str(lua, &a, 1)?;
            status(lua, ctx.load(&p.as_bytes()))
        }),
        ("unload", |lua, c, a| {
            let ctx = c.ctx()?;
            let p = arg_str(lua, &a, 1)?;
            match ctx.unload(&p.as_bytes()) {
                Some(r) => status(lua, r),
                None => Ok(mv(vec![Value::Boolean(false)])),
            }
        }),
        ("get", |lua, c, a| get_any(lua, c, a, false)),
        ("get_all", |lua, c, a| get_any(lua, c, a, true)),
        ("add", |lua, c, a| {
            let ctx = c.ctx()?;
            let p = arg_str(lua, &a, 1)?;
            let t = arg_str(lua, &a, 2)?;
            match ctx.add(&p.as_bytes(), &t.as_bytes()) {
                Ok(name) => Ok(mv(vec![s(lua, &name)?])),
                Err(e) => fail(lua, e),
            }
        }),
        ("set", set),
        ("rename", rename),
        ("reorder", reorder),
        ("delete", |lua, c, a| {
            let ctx = c.ctx()?;
            let loc = Loc::read(lua, &a)?;
            let r = loc.with(|p| ctx.delete(p));
            status(lua, r)
        }),
        ("save", |lua, c, a| package_cmd(lua, c, a, PkgCmd::Save)),
        ("commit", |lua, c, a| package_cmd(lua, c, a, PkgCmd::Commit)),
        ("revert", |lua, c, a| package_cmd(lua, c, a, PkgCmd::Revert)),
        ("changes", changes),
        ("_section", section_at),
        ("get_confdir", |lua, c, _| {
            let ctx = c.ctx()?;
            Ok(mv(vec![s(lua, ctx.confdir())?]))
        }),
        ("get_savedir", |lua, c, _| {
            let ctx = c.ctx()?;
            Ok(mv(vec![s(lua, ctx.savedir())?]))
        }),
        ("set_confdir", |lua, c, a| {
            let ctx = c.ctx()?;
            let d = arg_str(lua, &a, 1)?;
            status(lua, ctx.set_confdir(&d.as_bytes()))
        }),
        ("set_savedir", |lua, c, a| {
            let ctx = c.ctx()?;
            let d = arg_str(lua, &a, 1)?;
            status(lua, ctx.set_savedir(&d.as_bytes()))
        }),
        ("add_delta", |lua, c, a| {
            let ctx = c.ctx()?;
            let d = arg_str(lua, &a, 1)?;
            status(lua, ctx.add_delta_path(&d.as_bytes()))
        }),
        ("list_configs", |lua, c, _| {
            let ctx = c.ctx()?;
            match ctx.list_configs() {
                Ok(names) => {
                    let t = lua.create_table_with_capacity(names.len(), 0)?;
                    for (i, n) in names.iter().enumerate() {
                        t.raw_set(i + 1, lua.create_string(n)?)?;
                    }
                    Ok(mv(vec![Value::Table(t)]))
                }
                Err(e) => Ok(mv(vec![Value::Boolean(false), s(lua, e.msg.as_bytes())?])),
            }
        }),
        ("close", |_, c, _| {
            c.ctx = None;
            Ok(MultiValue::new())
        }),
    ]
}

/// `uci.cursor([confdir[, savedir]])`.
fn cursor(lua: &Lua, a: Args) -> Result<Value> {
    if a.len() > 2 {
        return Err(error("Invalid args"));
    }
    let confdir = if a.is_empty() {
        None
    } else {
        Some(a.string(lua, 1)?)
    };
    let savedir = if a.len() == 2 {
        Some(a.string(lua, 2)?)
    } else {
        None
    };
    let mut ctx = Context::new().ok_or_else(|| error("Cannot allocate UCI context"))?;
    if let Some(d) = savedir {
        ctx.set_savedir(&d.as_bytes())
            .map_err(|_| error("Unable to set savedir"))?;
    }
    if let Some(d) = confdir {
        ctx.set_confdir(&d.as_bytes())
            .map_err(|_| error("Unable to set confdir"))?;
    }
    Ok(Value::UserData(
        lua.create_any_userdata(Cursor { ctx: Some(ctx) })?,
    ))
}

/// Opens the module: registers the cursor type (native methods + `foreach`/`each` from
/// `lua/uci.lua`) and returns `{ cursor = ... }`.
pub fn open(lua: &Lua) -> Result<Value> {
    let mut fields = Vec::new();
    for (name, body) in methods() {
        let f = eco_util::method_mut(lua, TNAME, move |lua, c: &mut Cursor, a: Args| {
            body(lua, c, a)
        })?;
        fields.push((name, f));
    }
    let section = fields
        .iter()
        .find(|(n, _)| *n == "_section")
        .map(|(_, f)| f.clone())
        .ok_or_else(|| error("no _section"))?;
    let close = fields
        .iter()
        .find(|(n, _)| *n == "close")
        .map(|(_, f)| f.clone())
        .ok_or_else(|| error("no close"))?;
    let lua_part: Table = lua
        .load(LUA_SOURCE.text())
        .set_name("@eco/uci.lua")
        .call(section)?;
    let foreach: mlua::Function = lua_part.get("foreach")?;
    let each: mlua::Function = lua_part.get("each")?;
    eco_util::register::<Cursor>(lua, move |r| {
        for (name, f) in fields {
            r.add_field(name, f);
        }
        r.add_field("foreach", foreach);
        r.add_field("each", each);
        r.add_meta_field(MetaMethod::Close, close);
    })?;
    let m = lua.create_table()?;
    m.set("cursor", eco_util::function(lua, cursor)?)?;
    Ok(Value::Table(m))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_uci")]
fn eco_uci(lua: &Lua) -> Result<Value> {
    open(lua)
}

/// A property of libuci through this crate's safe API, for the fuzz target
/// (`fuzz/fuzz_targets/uci_roundtrip.rs`) and the unit test below: `data` written as config
/// file `p` in `dir/conf` either fails to load (and the file is left as it was), or loads, and
/// after a change and its removal are committed (libuci rewrites the file with its writer), the
/// rewritten file loads again to the same sections and options.
#[doc(hidden)]
pub fn roundtrip_check(dir: &std::path::Path, data: &[u8]) -> std::result::Result<bool, String> {
    type Snap = Vec<(Vec<u8>, Vec<u8>, bool, Vec<(Vec<u8>, Vec<Vec<u8>>, bool)>)>;
    fn snap(c: &mut Context) -> std::result::Result<Snap, String> {
        let mut out = Snap::new();
        let mut i = 0;
        while let Some((s, _)) = c.section_from(b"p", None, i, None).map_err(|e| e.msg)? {
            let opts = s
                .options()
                .map(|o| match o.value() {
                    UValue::Str(v) => (o.name().to_vec(), vec![v.to_vec()], false),
                    UValue::List(l) => (
                        o.name().to_vec(),
                        l.iter().map(|v| v.to_vec()).collect(),
                        true,
                    ),
                    UValue::Other => (o.name().to_vec(), vec![], false),
                })
                .collect();
            // anonymous names are regenerated by every parse: not compared
            let name = if s.anonymous() {
                vec![]
            } else {
                s.name().to_vec()
            };
            out.push((name, s.type_().to_vec(), s.anonymous(), opts));
            i += 1;
        }
        Ok(out)
    }
    let conf = dir.join("conf");
    let save = dir.join("save");
    let _ = std::fs::remove_dir_all(&save);
    std::fs::create_dir_all(&conf).map_err(|e| e.to_string())?;
    let file = conf.join("p");
    std::fs::write(&file, data).map_err(|e| e.to_string())?;
    let dirs = |c: &mut Context| -> std::result::Result<(), String> {
        use std::os::unix::ffi::OsStrExt;
        c.set_confdir(conf.as_os_str().as_bytes())
            .map_err(|e| e.msg)?;
        c.set_savedir(save.as_os_str().as_bytes())
            .map_err(|e| e.msg)
    };
    let mut a = Context::new().ok_or("no context")?;
    dirs(&mut a)?;
    if a.load(b"p").is_err() {
        let now = std::fs::read(&file).map_err(|e| e.to_string())?;
        return if now == data {
            Ok(false)
        } else {
            Err("a config file that failed to load was changed".into())
        };
    }
    let before = snap(&mut a)?;
    let sec = Path::Parts {
        package: b"p",
        section: Some(b"zz_eco_roundtrip"),
        option: Some(b"t"),
    };
    a.set(sec, Arg::Third)
        .map_err(|e| format!("set: {}", e.msg))?;
    a.delete(Path::Dotted(b"p.zz_eco_roundtrip"))
        .map_err(|e| format!("delete: {}", e.msg))?;
    let unwritable = before.iter().any(|s| !ffi::writable_type(&s.1));
    match a.package_cmd(Path::Dotted(b"p"), PkgCmd::Commit) {
        Err(e) if unwritable && e.code == ffi::UCI_ERR_INVAL => {
            // refused: a section type libuci would write back unparsable; file untouched
            let now = std::fs::read(&file).map_err(|e| e.to_string())?;
            return if now == data {
                Ok(false)
            } else {
                Err("a refused commit changed the file".into())
            };
        }
        Err(e) => return Err(format!("commit: {}", e.msg)),
        Ok(()) if unwritable => return Err("commit of an unwritable type".into()),
        Ok(()) => {}
    }
    let mut b = Context::new().ok_or("no context")?;
    dirs(&mut b)?;
    b.load(b"p").map_err(|e| {
        format!(
            "the committed file does not load again: {} ({:?})",
            e.msg,
            String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default())
        )
    })?;
    let after = snap(&mut b)?;
    if before != after {
        return Err(format!(
            "sections changed by commit: {} -> {} sections ({:?})",
            before.len(),
            after.len(),
            String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default())
        ));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    /// Random config-like inputs through [`super::roundtrip_check`] (fixed seed).
    #[test]
    fn roundtrip_random_configs() {
        const WORDS: [&str; 22] = [
            "config ", "option ", "list ", "package ", "'", "\"", "\\", "#", ";", "\n", "\t", " ",
            "a", "b_1", "x-y", "\\\n", "'\\''", "\r\n", "=", "\u{e9}", "\u{1}", ".",
        ];
        let dir = std::env::temp_dir().join(format!("eco-uci-roundtrip-{}", std::process::id()));
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let (mut loaded, mut total) = (0, 0);
        let tokens = [
            "a",
            "b_1",
            "x-y",
            "'q v'",
            "\"d q\"",
            "'it'\\''s'",
            "\"e\\\"x\"",
            "'#'",
            "'a;b'",
            "\"\\\nline\"",
            "'\u{e9}'",
            "''",
            "'tab\there'",
            "n'a'b",
        ];
        for _ in 0..1000 {
            let mut s = String::new();
            for _ in 0..rnd(10) {
                let kw = ["config", "option", "list", "package", "#", "", "config"][rnd(7)];
                s.push_str(kw);
                for _ in 0..rnd(4) {
                    s.push(' ');
                    s.push_str(tokens[rnd(tokens.len())]);
                }
                if rnd(30) == 0 {
                    s.push_str(WORDS[rnd(WORDS.len())]);
                }
                s.push_str(["\n", "\n", "\n", ";", " # c\n", "\r\n"][rnd(6)]);
            }
            // a well-formed start, so that many inputs load
            if rnd(2) == 0 {
                s = format!(
                    "config t{} 'n{}'\n\toption o '{}'\n{s}",
                    rnd(3),
                    rnd(5),
                    rnd(9)
                );
            }
            total += 1;
            match super::roundtrip_check(&dir, s.as_bytes()) {
                Ok(true) => loaded += 1,
                Ok(false) => {}
                Err(e) => panic!("input {s:?}: {e}"),
            }
        }
        assert!(
            loaded > total / 10,
            "only {loaded} of {total} inputs loaded"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
