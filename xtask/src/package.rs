//! `package`: ipk and tar.gz files from the module table, for the two ways of installing
//! lua-eco (docs/packaging.md): per-module packages in `target/dist/`, and the bundle set in
//! `target/dist/bundle/`, where `lua-eco` carries one `eco.so` with every native module and the
//! other packages only their Lua files and `eco/<m>.so` links.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::table::{Package, Table};
use crate::util::*;

const MAINTAINER: &str = "lua-eco-rs developers";
const PKG_RELEASE: &str = "1";
/// Install directories inside a package's data tree (docs/packaging.md).
pub const SO_DIR: &str = "usr/lib/lua/5.4";
pub const LUA_DIR: &str = "usr/share/lua/5.4";
pub const BIN_DIR: &str = "usr/bin";
/// What the bundle's `lua-eco` provides and the bundle set's other packages depend on.
pub const BUNDLE_VIRTUAL: &str = "lua-eco-bundle";

/// Which of the two package sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavour {
    PerModule,
    Bundle,
}

/// Runs `tar` reproducibly: sorted names, root ownership, fixed mtime.
fn tar_create(dir: &Path, out: &Path, members: &[&str], mtime: u64) -> Res<()> {
    let mut c = Command::new("tar");
    c.arg("--format=gnu")
        .arg("--sort=name")
        .arg("--owner=0")
        .arg("--group=0")
        .arg("--numeric-owner")
        .arg(format!("--mtime=@{mtime}"))
        .arg("-C")
        .arg(dir)
        .arg("-cf")
        .arg(out)
        .args(members);
    run_quiet(c)
}

/// `gzip -9n file` -> `file.gz`.
fn gzip(file: &Path) -> Res<PathBuf> {
    let mut c = Command::new("gzip");
    c.args(["-9", "-n", "-f"]).arg(file);
    run_quiet(c)?;
    let mut gz = file.as_os_str().to_owned();
    gz.push(".gz");
    Ok(PathBuf::from(gz))
}

/// The `Depends` line of a package (`libc` first).
pub fn depends(t: &Table, p: &Package, flavour: Flavour) -> Vec<String> {
    let mut deps = vec!["libc".to_string()];
    deps.extend(p.depends.iter().cloned());
    if flavour == Flavour::Bundle {
        if p.name == "lua-eco" {
            // The bundle holds every native module: their system libraries come with it.
            for q in &t.packages {
                for d in &q.depends {
                    if t.package(d).is_none() && !deps.contains(d) {
                        deps.push(d.clone());
                    }
                }
            }
        } else {
            deps.push(BUNDLE_VIRTUAL.into());
        }
    }
    deps
}

pub fn control_text(
    t: &Table,
    p: &Package,
    flavour: Flavour,
    version: &str,
    arch: &str,
    installed_size: u64,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Package: {}", p.name);
    let _ = writeln!(s, "Version: {version}");
    let _ = writeln!(s, "Depends: {}", depends(t, p, flavour).join(", "));
    if flavour == Flavour::Bundle && p.name == "lua-eco" {
        let _ = writeln!(s, "Provides: {BUNDLE_VIRTUAL}");
    }
    let _ = writeln!(s, "Source: lua-eco");
    let _ = writeln!(s, "License: MIT");
    let _ = writeln!(s, "Section: lang");
    let _ = writeln!(s, "Architecture: {arch}");
    let _ = writeln!(s, "Installed-Size: {installed_size}");
    let _ = writeln!(s, "Maintainer: {MAINTAINER}");
    let _ = writeln!(s, "Description: {}", p.description);
    s
}

/// Path of a module's file inside a package data tree.
pub fn data_path(dest: &str) -> String {
    if dest.ends_with(".lua") {
        format!("{LUA_DIR}/{dest}")
    } else {
        format!("{SO_DIR}/{dest}")
    }
}

fn set_dir_modes(dir: &Path) -> Res<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    for e in fs::read_dir(dir).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        if e.file_type().map_err(|e| e.to_string())?.is_dir() {
            set_dir_modes(&e.path())?;
        }
    }
    Ok(())
}

impl Ctx {
    /// Writes `<pkg>_<version>_<arch>.ipk` and `.tar.gz` for every package of `flavour` from the
    /// files already built (`build-modules`, and `build-modules --bundle` for the bundle set).
    /// Returns the written files.
    pub fn write_packages(&self, profile: Profile, flavour: Flavour) -> Res<Vec<PathBuf>> {
        let version = format!("{}-{PKG_RELEASE}", env!("CARGO_PKG_VERSION"));
        let arch = env::consts::ARCH;
        let mtime = env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            });
        let (dist, from_dir) = match flavour {
            Flavour::PerModule => (self.dist_dir(), self.lua_dir()),
            Flavour::Bundle => (self.dist_dir().join("bundle"), self.bundle_dir("all")),
        };
        // One staging directory per run, so concurrent runs on one target dir do not collide.
        let work = self
            .target
            .join(format!("xtask/pkg-{}-{flavour:?}", std::process::id()));
        if work.exists() {
            fs::remove_dir_all(&work).map_err(|e| format!("rm -r {}: {e}", work.display()))?;
        }
        // Only this flavour's files are replaced (the bundle set lives below the other).
        mkdir(&dist)?;
        for e in fs::read_dir(&dist).map_err(|e| e.to_string())? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.is_file() {
                fs::remove_file(&p).map_err(|e| format!("rm {}: {e}", p.display()))?;
            }
        }
        let mut written = Vec::new();
        for p in &self.table.packages {
            let base = work.join(&p.name);
            let (data, control, ipk) = (base.join("data"), base.join("control"), base.join("ipk"));
            for d in [&data, &control, &ipk] {
                mkdir(d)?;
            }
            let mut size = 0;
            for m in self.table.modules_of(&p.name) {
                let from = from_dir.join(m.dest());
                let to = data.join(data_path(&m.dest()));
                if let Ok(link) = fs::read_link(&from) {
                    install_link(&link.to_string_lossy(), &to)?;
                    continue;
                }
                if !from.is_file() {
                    return Err(format!(
                        "{} is missing: run `cargo xtask build-modules{}`",
                        from.display(),
                        if flavour == Flavour::Bundle {
                            " --bundle"
                        } else {
                            ""
                        }
                    ));
                }
                let mode = if m.is_native() { 0o755 } else { 0o644 };
                install_file(&from, &to, mode)?;
                size += fs::metadata(&from).map(|m| m.len()).unwrap_or(0);
            }
            if p.name == "lua-eco" {
                let bin = self.launcher_bin(profile);
                if !bin.is_file() {
                    return Err(format!(
                        "{} is missing: run `cargo xtask build-modules`",
                        bin.display()
                    ));
                }
                install_file(&bin, &data.join(BIN_DIR).join("eco"), 0o755)?;
                size += fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
            }
            // Directories: 0755 regardless of umask.
            set_dir_modes(&data)?;
            let text = control_text(&self.table, p, flavour, &version, arch, size);
            fs::write(control.join("control"), text).map_err(|e| e.to_string())?;
            fs::write(ipk.join("debian-binary"), "2.0\n").map_err(|e| e.to_string())?;

            tar_create(&data, &ipk.join("data.tar"), &["."], mtime)?;
            let data_gz = gzip(&ipk.join("data.tar"))?;
            tar_create(&control, &ipk.join("control.tar"), &["."], mtime)?;
            gzip(&ipk.join("control.tar"))?;
            // Member order as OpenWrt's ipkg-build writes it.
            let stem = format!("{}_{}_{}", p.name, version, arch);
            let outer = base.join(format!("{stem}.tar"));
            let members = ["./debian-binary", "./data.tar.gz", "./control.tar.gz"];
            tar_create(&ipk, &outer, &members, mtime)?;
            let outer_gz = gzip(&outer)?;
            let ipk_file = dist.join(format!("{stem}.ipk"));
            let tarball = dist.join(format!("{stem}.tar.gz"));
            fs::rename(&outer_gz, &ipk_file).map_err(|e| e.to_string())?;
            fs::copy(&data_gz, &tarball).map_err(|e| e.to_string())?;
            eprintln!("+ package {} -> {}", p.name, self.rel(&ipk_file).display());
            written.push(ipk_file);
            written.push(tarball);
        }
        let _ = fs::remove_dir_all(&work);
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table() -> Table {
        Table::load(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()).unwrap()
    }

    #[test]
    fn control_file() {
        let t = table();
        let base = t.package("lua-eco").unwrap();
        let c = control_text(&t, base, Flavour::PerModule, "0.1.0-1", "x86_64", 42);
        assert!(c.contains("Package: lua-eco\n"));
        assert!(c.contains("Depends: libc, liblua5.4\n"));
        assert!(c.contains("Architecture: x86_64\n"));
        assert!(c.contains("Installed-Size: 42\n"));
        assert!(!c.contains("Provides"));
        assert_eq!(data_path("eco/time.so"), "usr/lib/lua/5.4/eco/time.so");
        assert_eq!(data_path("eco/cli.lua"), "usr/share/lua/5.4/eco/cli.lua");
    }

    #[test]
    fn bundle_control_files() {
        let t = table();
        let base = t.package("lua-eco").unwrap();
        let c = control_text(&t, base, Flavour::Bundle, "0.1.0-1", "x86_64", 42);
        assert!(c.contains("Provides: lua-eco-bundle\n"), "{c}");
        assert!(c.contains("libopenssl3"), "the bundle holds eco.ssl: {c}");
        let http = t.package("lua-eco-http").unwrap();
        let c = control_text(&t, http, Flavour::Bundle, "0.1.0-1", "x86_64", 1);
        assert!(c.contains("lua-eco-socket") && c.ends_with("\n"));
        assert!(c.contains(", lua-eco-bundle\n"), "{c}");
    }
}
