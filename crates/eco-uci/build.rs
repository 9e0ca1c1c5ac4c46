//! Packs lua/*.lua for `eco_luasrc::lua_source!` (minified, compressed; see crates/eco-luasrc),
//! and links libuci statically unless the system's is used.
//!
//! libuci-sys compiles the libuci sources it vendors into *shared* libraries inside cargo's
//! build directory (and links them with `-luci -lubox`): a module `.so` or the `eco` binary
//! would then need `LD_LIBRARY_PATH` to find them. So, when `UCI_DIR` is not set, this script
//! compiles the same vendored libuci sources (libuci-sys's `uci/` directory, found through
//! `cargo metadata`; libuci proper needs nothing from libubox) into a static archive linked into
//! this crate: the uci symbols then resolve there and the linker (`--as-needed`) drops the
//! shared libuci. With `UCI_DIR` (OpenWrt: `UCI_DIR=$(STAGING_DIR)/usr`), nothing is compiled
//! here and the system `libuci.so` is linked, as the C binding does. See docs/uci.md.
use std::path::PathBuf;
use std::process::Command;

fn libuci_sys_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("Cargo.toml");
    let run = |offline: bool| {
        let mut c = Command::new(&cargo);
        c.args(["metadata", "--format-version", "1", "--filter-platform"])
            .arg(std::env::var("TARGET").unwrap())
            .arg("--manifest-path")
            .arg(&manifest);
        if offline {
            c.arg("--offline");
        }
        c.output().expect("cargo metadata")
    };
    // Offline first (everything this build needs is there); a fresh machine may lack the
    // dev-dependencies of other workspace crates, which metadata resolves too.
    let mut out = run(true);
    if !out.status.success() {
        out = run(false);
    }
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // The package entry: "name":"libuci-sys", ... "manifest_path":"<dir>/Cargo.toml"
    for chunk in text.split("\"manifest_path\":\"").skip(1) {
        let path = &chunk[..chunk.find('"').unwrap_or(0)];
        let dir = PathBuf::from(path.replace("\\\\", "\\"));
        let dir = dir.parent().map(PathBuf::from).unwrap_or_default();
        let base = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if (base.starts_with("libuci-sys-") || base == "libuci-sys")
            && dir.join("uci/libuci.c").exists()
        {
            return dir;
        }
    }
    panic!("libuci-sys sources not found through cargo metadata");
}

fn main() {
    eco_luasrc::build::pack_lua_dir();
    println!("cargo:rerun-if-env-changed=UCI_DIR");
    if std::env::var_os("UCI_DIR").is_some() {
        return;
    }
    let src = libuci_sys_dir().join("uci");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let inc = out.join("include");
    std::fs::create_dir_all(&inc).unwrap();
    // uci_config.h as libuci's cmake writes it without UCI_DEBUG.
    std::fs::write(inc.join("uci_config.h"), "/* no UCI_DEBUG */\n").unwrap();
    let mut b = cc::Build::new();
    b.include(&inc)
        .include(&src)
        .define("UCI_PREFIX", "\"/usr\"")
        .flag_if_supported("-std=gnu99")
        .warnings(false);
    for f in ["libuci.c", "file.c", "util.c", "delta.c", "parse.c"] {
        b.file(src.join(f));
        println!("cargo:rerun-if-changed={}", src.join(f).display());
    }
    b.compile("eco_libuci");
}
