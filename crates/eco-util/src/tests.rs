use super::*;
use mlua::UserDataFields;

/// Runs `code` with `f` as global `f`; returns what `pcall` gave as `type(err) .. '|' .. err`.
fn call_err(lua: &Lua, code: &str) -> String {
    lua.load(format!(
        "local ok, e = pcall(function() {code} end) assert(not ok) return type(e) .. '|' .. tostring(e)"
    ))
    .eval::<String>()
    .unwrap()
}

#[test]
fn conversion_errors_are_standard_strings() {
    let lua = Lua::new();
    let f = function(&lua, |_, (a, b): (i64, String)| Ok(format!("{a}{b}"))).unwrap();
    lua.globals().set("f", f).unwrap();
    assert_eq!(lua.load("return f(1, 'x')").eval::<String>().unwrap(), "1x");
    assert_eq!(lua.load("return f('2', 3)").eval::<String>().unwrap(), "23");
    let e = call_err(&lua, "f('x')");
    assert!(e.starts_with("string|"), "{e}");
    assert!(
        e.ends_with(":1: bad argument #1 to 'f' (number expected, got string)"),
        "{e}"
    );
    assert!(
        call_err(&lua, "f(1)").ends_with("bad argument #2 to 'f' (string expected, got no value)")
    );
    assert!(
        call_err(&lua, "f(1, nil)").ends_with("bad argument #2 to 'f' (string expected, got nil)")
    );
    assert!(call_err(&lua, "f(1.5, 'x')")
        .ends_with("bad argument #1 to 'f' (number has no integer representation)"));
    assert!(call_err(&lua, "local t = {g = f} t.g({})")
        .ends_with("bad argument #1 to 'g' (number expected, got table)"));
}

#[test]
fn body_errors_are_strings() {
    let lua = Lua::new();
    let f = function(&lua, |_, v: Value| -> Result<()> {
        match v {
            Value::Nil => Err(error("boom")),
            _ => Err(type_error(1, "table", &v)),
        }
    })
    .unwrap();
    lua.globals().set("f", f).unwrap();
    assert_eq!(call_err(&lua, "f()"), "string|boom");
    assert!(
        call_err(&lua, "f(true)").ends_with("bad argument #1 to 'f' (table expected, got boolean)")
    );
}

struct Counter(i64);

#[test]
fn methods_count_after_self() {
    let lua = Lua::new();
    let add = method_mut(&lua, "counter", |_, c: &mut Counter, n: i64| {
        c.0 += n;
        Ok(c.0)
    })
    .unwrap();
    register::<Counter>(&lua, move |reg| reg.add_field("add", add)).unwrap();
    // A second registration is ignored (it would orphan live objects).
    register::<Counter>(&lua, |_| {}).unwrap();
    let c = lua.create_any_userdata(Counter(1)).unwrap();
    lua.globals().set("c", c).unwrap();
    assert_eq!(lua.load("return c:add(2)").eval::<i64>().unwrap(), 3);
    assert!(call_err(&lua, "c:add('x')")
        .ends_with("bad argument #1 to 'add' (number expected, got string)"));
    assert!(call_err(&lua, "c.add(1, 2)")
        .ends_with("bad argument #1 to 'add' (counter expected, got number)"));
    assert!(call_err(&lua, "c.add(c, {})")
        .ends_with("bad argument #2 to 'add' (number expected, got table)"));
    assert!(call_err(&lua, "local x = {add = c.add} x:add(1)")
        .ends_with("calling 'add' on bad self (counter expected, got table)"));
}

#[test]
fn args_checks() {
    let lua = Lua::new();
    let f = function(&lua, |lua, a: Args| {
        let i = a.integer(1)?;
        let s = a.opt_string(lua, 2)?;
        let x = a.opt_number(3)?.unwrap_or(0.5);
        Ok((i, s, x, a.boolean(4), a.len()))
    })
    .unwrap();
    lua.globals().set("f", f).unwrap();
    let (i, s, x, b, n): (i64, Option<String>, f64, bool, usize) =
        lua.load("return f('0x10', 7, '2.5', 0)").eval().unwrap();
    assert_eq!((i, s.as_deref(), x, b, n), (16, Some("7"), 2.5, true, 4));
    assert!(
        call_err(&lua, "f()").ends_with("bad argument #1 to 'f' (number expected, got no value)")
    );
    assert!(call_err(&lua, "f('1.5')").ends_with("(number has no integer representation)"));
    assert!(
        call_err(&lua, "f(1, {})").ends_with("bad argument #2 to 'f' (string expected, got table)")
    );
    assert!(call_err(&lua, "f(1, nil, 'z')")
        .ends_with("bad argument #3 to 'f' (number expected, got string)"));
}

#[test]
fn fail_convention() {
    let lua = Lua::new();
    let r = os_fail(&lua, 2).unwrap().into_vec();
    assert!(r[0].is_nil());
    assert_eq!(r[1].to_string().unwrap(), "No such file or directory");
    let e = std::io::Error::from_raw_os_error(13);
    assert_eq!(
        io_fail(&lua, &e).unwrap().into_vec()[1]
            .to_string()
            .unwrap(),
        "Permission denied"
    );
    assert_eq!(
        one(Value::Integer(5)).unwrap().into_vec(),
        vec![Value::Integer(5)]
    );
}

#[test]
fn clock_is_monotonic() {
    let a = monotonic();
    let b = monotonic_ms();
    assert!(a > 0.0 && b >= (a * 1000.0) as i64 - 1);
    assert!(monotonic() >= a);
}

#[test]
fn type_names() {
    let lua = Lua::new();
    assert_eq!(lua_type_name(&Value::Integer(1)), "number");
    assert_eq!(
        lua_type_name(&Value::Table(lua.create_table().unwrap())),
        "table"
    );
    assert_eq!(lua_type_name(&Value::Nil), "nil");
}

struct Acc(i64);

#[test]
fn fixed_argument_methods() {
    let lua = Lua::new();
    let add = method_mut3(&lua, "acc", |_, a: &mut Acc, [x, _, _]| match x {
        Value::Integer(n) => {
            a.0 += n;
            Ok(a.0)
        }
        v => Err(type_error(2, "number", &v)),
    })
    .unwrap();
    register::<Acc>(&lua, move |reg| reg.add_field("add", add)).unwrap();
    lua.globals()
        .set("a", lua.create_any_userdata(Acc(1)).unwrap())
        .unwrap();
    assert_eq!(lua.load("return a:add(2)").eval::<i64>().unwrap(), 3);
    assert!(call_err(&lua, "a:add({})")
        .ends_with("bad argument #1 to 'add' (number expected, got table)"));
    assert!(
        call_err(&lua, "a.add(1)").ends_with("bad argument #1 to 'add' (acc expected, got number)")
    );
}
