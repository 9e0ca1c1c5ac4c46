// Export the Lua C API from the interpreter so that C modules (ours as `.so`, or third-party ones
// such as Debian's lua-lpeg) can be loaded into it with `require`.
fn main() {
    for pat in ["lua_*", "luaL_*", "luaopen_*"] {
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={pat}");
    }
}
