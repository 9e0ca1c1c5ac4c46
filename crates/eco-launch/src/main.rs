//! The small `eco` launcher (docs/packaging.md, "The eco commands"): the `eco` command line on the system's
//! liblua5.4, loading the installed lua-eco modules through `package.cpath`, as the C original's
//! `eco` does. The start-up logic is Lua (`lua/boot.lua`); this file creates the state, hands it
//! the arguments and returns its exit status.
//!
//! Release builds (`cargo xtask build-modules`: profile `launcher`, `--cfg eco_small`) are
//! `no_std` with `panic = "abort"`: no std runtime, formatting or backtrace printer, a binary of a
//! few KB. Other builds (`cargo build`, `cargo test`, with the workspace's unwinding profiles) use
//! std; the code is the same: it has nothing that can panic (no indexing, no unwrap).
#![cfg_attr(eco_small, no_std)]
#![no_main]

use core::ffi::{c_char, c_int, c_long, c_void};

#[cfg(eco_small)]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: abort(3) takes no arguments and does not return.
    unsafe { abort() }
}

type State = *mut c_void;
type KFunction = Option<unsafe extern "C" fn(State, c_int, isize) -> c_int>;

const LUA_OK: c_int = 0;
/// `SYS_close_range` (the same number on every Linux architecture: a syscall added after the
/// numbering was unified).
const SYS_CLOSE_RANGE: c_long = 436;
const RLIMIT_NOFILE: c_int = 7;

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
}

// The C library: what the launcher needs of it, declared here so that it links nothing else.
#[link(name = "c")]
extern "C" {
    fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
    fn close(fd: c_int) -> c_int;
    fn syscall(n: c_long, ...) -> c_long;
    fn getrlimit(resource: c_int, rl: *mut Rlimit) -> c_int;
    #[cfg(eco_small)]
    fn abort() -> !;
}

extern "C" {
    fn luaL_newstate() -> State;
    fn luaL_openlibs(l: State);
    fn luaL_loadbufferx(
        l: State,
        buf: *const c_char,
        size: usize,
        name: *const c_char,
        mode: *const c_char,
    ) -> c_int;
    fn lua_createtable(l: State, narr: c_int, nrec: c_int);
    fn lua_pushstring(l: State, s: *const c_char) -> *const c_char;
    fn lua_rawseti(l: State, idx: c_int, n: i64);
    fn lua_pcallk(
        l: State,
        nargs: c_int,
        nresults: c_int,
        msgh: c_int,
        ctx: isize,
        k: KFunction,
    ) -> c_int;
    fn lua_tointegerx(l: State, idx: c_int, isnum: *mut c_int) -> i64;
    fn lua_tolstring(l: State, idx: c_int, len: *mut usize) -> *const c_char;
    fn lua_close(l: State);
}

const BOOT: &str = include_str!("../lua/boot.lua");

fn write_err(s: &[u8]) {
    // SAFETY: writes `s.len()` bytes from a live slice to fd 2.
    unsafe { write(2, s.as_ptr().cast(), s.len()) };
}

/// Closes every inherited descriptor from 3 up (the interpreter's start-up, as lua-eco's does).
fn close_inherited_fds() {
    // SAFETY: close_range on descriptors this process has not opened; no memory is involved.
    let r = unsafe {
        syscall(
            SYS_CLOSE_RANGE,
            3 as c_long,
            c_long::from(u32::MAX),
            0 as c_long,
        )
    };
    if r == 0 {
        return;
    }
    let mut rl = Rlimit { cur: 0, max: 0 };
    // SAFETY: getrlimit writes into the local struct, laid out as the kernel's rlimit.
    let max = if unsafe { getrlimit(RLIMIT_NOFILE, &mut rl) } == 0 {
        rl.cur.min(1 << 20) as c_int
    } else {
        1024
    };
    for fd in 3..max {
        // SAFETY: closing a descriptor number; nothing of ours uses it yet.
        unsafe { close(fd) };
    }
}

/// The C entry point (no std `main`: see the module comment).
///
/// # Safety
///
/// Called by the C runtime with `argc` valid, NUL-terminated strings in `argv`.
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    close_inherited_fds();
    // SAFETY: plain state creation; null on allocation failure.
    let l = unsafe { luaL_newstate() };
    if l.is_null() {
        write_err(b"eco: cannot create a Lua state: not enough memory\n");
        return 1;
    }
    // SAFETY: `l` is a valid state; every call below keeps the stack balanced as noted.
    unsafe {
        luaL_openlibs(l);
        // [boot]
        if luaL_loadbufferx(
            l,
            BOOT.as_ptr().cast(),
            BOOT.len(),
            c"=eco".as_ptr(),
            c"t".as_ptr(),
        ) != LUA_OK
        {
            return report(l);
        }
        // [boot, argv]: argv[0] is the launcher as invoked, as the interpreter's arg[-1].
        lua_createtable(l, argc, 0);
        for i in 0..argc.max(0) {
            // SAFETY: the C runtime gives `argc` valid pointers.
            lua_pushstring(l, *argv.add(i as usize));
            lua_rawseti(l, -2, i as i64);
        }
        if lua_pcallk(l, 1, 1, 0, 0, None) != LUA_OK {
            return report(l);
        }
        let status = lua_tointegerx(l, -1, core::ptr::null_mut()) as c_int;
        lua_close(l);
        status
    }
}

/// Prints the error message on top of the stack of `l` and returns the failure status.
///
/// # Safety
///
/// `l` is a valid state with the error value on top.
unsafe fn report(l: State) -> c_int {
    let mut len = 0usize;
    // SAFETY: `l` is valid; lua_tolstring returns null for values that are not strings or numbers.
    let msg = unsafe { lua_tolstring(l, -1, &mut len) };
    write_err(b"eco: ");
    if msg.is_null() {
        write_err(b"(error object is not a string)");
    } else {
        // SAFETY: Lua keeps the string alive while it is on the stack; `len` is its length.
        write_err(unsafe { core::slice::from_raw_parts(msg.cast::<u8>(), len) });
    }
    write_err(b"\n");
    1
}
