//! The `eco` interpreter (spec/eco.md 12.2): runs a script inside a coroutine with the event loop
//! started automatically, every lua-eco module preloaded.

use std::process::exit;

use mlua::state::GcMode;
use mlua::{Function, Lua, Table, Value};

mod modules;

const USAGE: &str = "usage: eco [options] [script [args]]\n\
Available options are:\n  \
-h       show this help\n  \
-e stat  execute string 'stat'\n  \
-v       show version information\n";

enum Mode {
    Script(String, Vec<String>),
    Eval(String),
}

fn usage_exit(msg: Option<&str>) -> ! {
    if let Some(m) = msg {
        eprintln!("eco: {m}");
    }
    eprint!("{USAGE}");
    exit(1)
}

fn parse_args(args: &[String]) -> Mode {
    let Some(first) = args.first() else {
        usage_exit(None)
    };
    match first.as_str() {
        "-v" => {
            eprintln!("{}", lua_release());
            eprintln!("Lua-eco {}", eco_sched::VERSION);
            exit(0)
        }
        "-h" => usage_exit(None),
        "-e" => match args.get(1) {
            Some(stat) => Mode::Eval(stat.clone()),
            None => usage_exit(Some("'-e' needs argument")),
        },
        s if s.starts_with('-') && s.len() > 1 && !s.starts_with("--") => {
            usage_exit(Some(&format!("unrecognized option '{s}'")))
        }
        _ => Mode::Script(first.clone(), args[1..].to_vec()),
    }
}

fn lua_release() -> String {
    let lua = Lua::new();
    lua.globals()
        .get::<String>("_VERSION")
        .unwrap_or_else(|_| "Lua 5.4".into())
}

/// Closes every inherited descriptor from 3 up (spec/eco.md 12.2 step 1).
fn close_inherited_fds() {
    // SAFETY: close_range/close on descriptors this process does not use yet; no memory involved.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) == 0 {
            return;
        }
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) == 0 {
            rl.rlim_cur.min(1 << 20)
        } else {
            1024
        };
        for fd in 3..max as i32 {
            libc::close(fd);
        }
    }
}

/// Adds the system's Lua directories to the search paths, as Debian's and OpenWrt's `lua5.4` have
/// them (the embedded Lua's defaults only know `/usr/local`), unless the user set a path without
/// the `;;` default marker.
fn add_system_paths(lua: &Lua) -> mlua::Result<()> {
    let package: Table = lua.globals().get("package")?;
    let multiarch = format!("/usr/lib/{}-linux-gnu/lua/5.4", std::env::consts::ARCH);
    for (field, envs, dirs) in [
        (
            "path",
            ["LUA_PATH_5_4", "LUA_PATH"],
            vec![
                "/usr/share/lua/5.4/?.lua",
                "/usr/share/lua/5.4/?/init.lua",
                "/usr/lib/lua/5.4/?.lua",
            ],
        ),
        (
            "cpath",
            ["LUA_CPATH_5_4", "LUA_CPATH"],
            vec!["/usr/lib/lua/5.4/?.so", &format!("{multiarch}/?.so")],
        ),
    ] {
        let user = envs.iter().find_map(|e| std::env::var(e).ok());
        if user.is_some_and(|v| !v.contains(";;")) {
            continue;
        }
        let mut cur: String = package.get(field)?;
        for d in dirs {
            if !cur.split(';').any(|p| p == d) {
                cur.push(';');
                cur.push_str(d);
            }
        }
        package.set(field, cur)?;
    }
    Ok(())
}

fn load_source(path: &str) -> Result<Vec<u8>, String> {
    let mut src = std::fs::read(path).map_err(|_| format!("cannot open {path}"))?;
    // Like luaL_loadfile: a first line starting with '#' (shebang) is skipped, keeping line numbers.
    if src.first() == Some(&b'#') {
        let end = src.iter().position(|&c| c == b'\n').unwrap_or(src.len());
        src.drain(..end);
    }
    Ok(src)
}

/// Lua's allocator as lauxlib's `l_alloc` is: a failed allocation returns NULL, which Lua turns
/// into a "not enough memory" error the script can catch. (mlua's own allocator aborts the process
/// when malloc fails, so `io.read(2^40)` or `string.rep('x', 2^40)` would kill it.)
///
/// # Safety
/// Called by Lua only, with a block it got from this allocator or the one it replaced (both are
/// the C library's malloc family: Rust's System allocator, which mlua's allocator uses, is malloc,
/// realloc and posix_memalign for Lua's alignment).
unsafe extern "C" fn l_alloc(
    _ud: *mut std::ffi::c_void,
    ptr: *mut std::ffi::c_void,
    _osize: usize,
    nsize: usize,
) -> *mut std::ffi::c_void {
    // SAFETY: the contract above; `ptr` is NULL or a live malloc-family block.
    unsafe {
        if nsize == 0 {
            libc::free(ptr);
            std::ptr::null_mut()
        } else {
            libc::realloc(ptr, nsize)
        }
    }
}

/// Makes allocation failures Lua errors (README.md, "Memory"). A memory limit, even an
/// unreachable one, tells mlua that allocations can fail, so it runs its own allocating calls in
/// protected mode; then the state's allocator becomes [`l_alloc`].
fn use_failing_allocator(lua: &Lua) {
    let _ = lua.set_memory_limit(usize::MAX);
    // SAFETY: run on the main state before any script; the blocks allocated so far came from the
    // malloc family (see `l_alloc`), so the new allocator may resize and free them.
    let _ = unsafe {
        lua.exec_raw::<()>((), |state| {
            mlua::ffi::lua_setallocf(state, l_alloc, std::ptr::null_mut())
        })
    };
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = parse_args(&args[1..]);
    close_inherited_fds();

    // SAFETY: `unsafe_new` is required so that C modules (`.so`) can be loaded into this state.
    let lua = unsafe { Lua::unsafe_new() };
    use_failing_allocator(&lua);
    lua.gc_set_mode(GcMode::Generational(Default::default()));
    let _ = add_system_paths(&lua);
    if let Err(e) = modules::preload_all(&lua) {
        eprintln!("eco: {e}");
        exit(1);
    }
    let eco: Table = match lua.load("return require 'eco'").eval() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("eco: {e}");
            exit(1)
        }
    };
    let _ = lua.globals().set("eco", &eco);

    let chunk = match &mode {
        Mode::Eval(stat) => lua
            .load(stat.as_str())
            .set_name("=(command line)")
            .into_function(),
        Mode::Script(path, script_args) => {
            let argt = lua.create_table().expect("arg table");
            let _ = argt.set(-1, args[0].as_str());
            let _ = argt.set(0, path.as_str());
            for (i, a) in script_args.iter().enumerate() {
                let _ = argt.set(i as i64 + 1, a.as_str());
            }
            let _ = lua.globals().set("arg", argt);
            match load_source(path) {
                Ok(src) => lua.load(src).set_name(format!("@{path}")).into_function(),
                Err(e) => {
                    eprintln!("eco: {e}");
                    exit(1)
                }
            }
        }
    };
    let chunk: Function = match chunk {
        Ok(f) => f,
        Err(e) => {
            eprintln!("eco: {e}");
            exit(1)
        }
    };

    let run: Function = eco.get("run").expect("eco.run");
    let eco_loop: Function = eco.get("loop").expect("eco.loop");
    if let Err(e) = run.call::<Value>(chunk) {
        eprintln!("eco: {e}");
        exit(1);
    }
    match eco_loop.call::<Option<String>>(()) {
        Ok(None) => {}
        Ok(Some(err)) => {
            eprintln!("eco: {err}");
            exit(1);
        }
        Err(e) => {
            eprintln!("eco: {e}");
            exit(1);
        }
    }
    drop(eco);
    drop(run);
    drop(eco_loop);
    drop(lua);
    exit(0)
}
