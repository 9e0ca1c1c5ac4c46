//! `build-modules`, `build-interp`: the loadable modules (one `.so` each, or one bundle), the
//! self-contained `eco` interpreter and the small `eco` launcher.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::table::{Kind, Module};
use crate::util::*;

impl Ctx {
    /// Builds the cdylib of `krate` (`cargo rustc --crate-type cdylib`) with `features`; returns
    /// the produced `.so`.
    fn cdylib(&self, profile: Profile, krate: &str, features: &str) -> Res<PathBuf> {
        let manifest = self.root.join("crates").join(krate).join("Cargo.toml");
        if !manifest.is_file() {
            return Err(format!(
                "crate {krate} not found ({} missing)",
                self.rel(&manifest).display()
            ));
        }
        let mut c = self.cargo();
        c.args(["rustc", "-p", krate, "--lib", "--crate-type", "cdylib"])
            .args(profile.module_args())
            .args([
                "--features",
                features,
                "--message-format=json-render-diagnostics",
            ])
            .stdout(Stdio::piped());
        if profile == Profile::Release {
            // Packed relative relocations (DT_RELR): 25 KB less per bundle. Needs glibc 2.36 or
            // musl 1.2.4 at run time (docs/packaging.md, "Sizes").
            c.args(["--", "-C", "link-arg=-Wl,-z,pack-relative-relocs"]);
        }
        eprintln!("+ {}", show_cmd(&c));
        let out = c.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!("building crate {krate} failed"));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let so = cdylib_from_messages(&stdout, &manifest).unwrap_or_else(|| {
            self.target
                .join(profile.module_dir())
                .join(format!("lib{}.so", krate.replace('-', "_")))
        });
        if !so.is_file() {
            return Err(format!("crate {krate}: cargo produced no {}", so.display()));
        }
        Ok(so)
    }

    fn install_lua(&self, m: &Module, dir: &Path) -> Res<PathBuf> {
        let file = m.file.as_deref().unwrap_or_default();
        let dest = dir.join(m.dest());
        eprintln!("+ install {file} -> {}", self.rel(&dest).display());
        install_file(&self.root.join(file), &dest, 0o644)?;
        Ok(dest)
    }

    /// Per-module build: every module of the table into `target/lua/5.4/` (native ones one `.so`
    /// each), then the interpreter and the launcher. Returns the produced files.
    pub fn build_modules(&self, profile: Profile) -> Res<Vec<PathBuf>> {
        let dir = self.lua_dir();
        mkdir(&dir)?;
        let mut produced = Vec::new();
        for m in &self.table.modules {
            let dest = match m.kind {
                Kind::Lua => self.install_lua(m, &dir)?,
                Kind::Native => {
                    let so = self
                        .cdylib(profile, &m.krate, "module")
                        .map_err(|e| format!("module `{}`: {e}", m.name))?;
                    let dest = dir.join(m.dest());
                    install_file(&so, &dest, 0o755)?;
                    dest
                }
            };
            produced.push(dest);
        }
        produced.push(self.build_interp(profile, &[])?);
        produced.push(self.build_launcher(profile)?);
        print_sizes(&self.root, &produced);
        Ok(produced)
    }

    /// Bundle build: one `eco.so` holding the native modules of `wanted` (a set of modules.toml,
    /// `all`, or module/package names) in `target/bundle/<name>/lua/5.4/`, `eco/<m>.so` links to
    /// it and the `.lua` files of the same packages. Returns the directory and the files.
    pub fn build_bundle(
        &self,
        profile: Profile,
        wanted: &[String],
    ) -> Res<(PathBuf, Vec<PathBuf>)> {
        let pkgs = self.table.bundle_packages(wanted)?;
        let crates = self.table.native_crates_of(&pkgs);
        let name = match wanted {
            [] => "all".to_string(),
            [one] => one.clone(),
            _ => "custom".to_string(),
        };
        let features: Vec<&str> = std::iter::once("module")
            .chain(crates.iter().copied().filter(|c| *c != "eco-sched"))
            .collect();
        let so = self.cdylib(profile, "eco-bundle", &features.join(","))?;
        let dir = self.bundle_dir(&name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("rm -r {}: {e}", dir.display()))?;
        }
        let mut produced = Vec::new();
        for m in &self.table.modules {
            if !m.package.as_ref().is_some_and(|p| pkgs.contains(p)) {
                continue;
            }
            let dest = dir.join(m.dest());
            match m.kind {
                Kind::Lua => {
                    self.install_lua(m, &dir)?;
                }
                Kind::Native if m.name == "eco" => install_file(&so, &dest, 0o755)?,
                Kind::Native => install_link(&link_to_top(&m.dest()), &dest)?,
            }
            produced.push(dest);
        }
        print_sizes(&self.root, &produced);
        println!("bundle {name}: {}", crates.join(" "));
        Ok((dir, produced))
    }

    /// The self-contained interpreter with the modules of `wanted` (module or package names;
    /// empty: all), as `target/<profile>/eco`.
    pub fn build_interp(&self, profile: Profile, wanted: &[String]) -> Res<PathBuf> {
        let mut c = self.cargo();
        c.args(["build", "-p", "eco"]).args(profile.args());
        if !wanted.is_empty() {
            // (the core is not optional)
            let crates: Vec<&str> = self
                .table
                .crates_for(wanted)?
                .into_iter()
                .filter(|c| *c != "eco-sched")
                .collect();
            c.args(["--no-default-features", "--features", &crates.join(",")]);
        }
        run(c)?;
        let bin = self.eco_bin(profile);
        if !bin.is_file() {
            return Err(format!(
                "the interpreter {} was not produced",
                bin.display()
            ));
        }
        Ok(bin)
    }

    /// The small launcher on the system's liblua5.4 (crates/eco-launch): `no_std` with
    /// `panic = "abort"` in release (profile `launcher`, `--cfg eco_small`).
    pub fn build_launcher(&self, profile: Profile) -> Res<PathBuf> {
        let mut c = self.cargo();
        match profile {
            Profile::Release => c.args([
                "rustc",
                "-p",
                "eco-launch",
                "--bin",
                "eco-launch",
                "--profile",
                "launcher",
                "--",
                "--cfg",
                "eco_small",
            ]),
            Profile::Debug => c.args(["build", "-p", "eco-launch"]),
        };
        run(c)?;
        let bin = self.launcher_bin(profile);
        if !bin.is_file() {
            return Err(format!("the launcher {} was not produced", bin.display()));
        }
        Ok(bin)
    }
}
