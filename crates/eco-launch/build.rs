// Links the system's Lua 5.4 (Debian: liblua5.4-dev; OpenWrt: liblua5.4), as found by pkg-config,
// else by its usual name.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=lua/boot.lua");
    // Set by `cargo xtask build-modules` for the no_std release build (src/main.rs).
    println!("cargo::rustc-check-cfg=cfg(eco_small)");
    for name in ["lua5.4", "lua-5.4", "lua54"] {
        let Ok(out) = Command::new("pkg-config").args(["--libs", name]).output() else {
            break;
        };
        if out.status.success() {
            for flag in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-L") {
                    println!("cargo:rustc-link-search=native={dir}");
                } else if let Some(lib) = flag.strip_prefix("-l") {
                    println!("cargo:rustc-link-lib=dylib={lib}");
                }
            }
            return;
        }
    }
    println!("cargo:rustc-link-lib=dylib=lua5.4");
}
