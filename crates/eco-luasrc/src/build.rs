//! For module crates' build scripts: packs `lua/*.lua` into `$OUT_DIR/<file>.lz`.

use std::path::PathBuf;
use std::{env, fs};
use std::{format, println};

/// Minifies and packs every `lua/*.lua` of the crate being built into `$OUT_DIR/<file>.lz`.
pub fn pack_lua_dir() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("run from build.rs"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("run from build.rs"));
    let dir = manifest.join("lua");
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "lua") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let src = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let min = crate::minify(&src);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let dest = out.join(format!("{name}.lz"));
        fs::write(&dest, crate::lz::pack(&min))
            .unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    }
}
