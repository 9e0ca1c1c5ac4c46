//! The context every command runs in, and small helpers: running commands, installing files,
//! listing sizes.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::table::Table;

pub type Res<T> = Result<T, String>;

/// Which cargo profiles a command builds with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
    /// The interpreter with `release` (speed: it holds the Lua VM); modules, bundle and launcher
    /// with `module` (release tuned for size, see the root Cargo.toml).
    Release,
    /// cargo's `dev` profile for everything.
    Debug,
}

impl Profile {
    /// `target/<dir>` of the interpreter.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--release"],
            Profile::Debug => &[],
        }
    }
    /// `target/<dir>` of modules, bundle and launcher.
    pub fn module_dir(self) -> &'static str {
        match self {
            Profile::Release => "module",
            Profile::Debug => "debug",
        }
    }
    pub fn module_args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--profile", "module"],
            Profile::Debug => &[],
        }
    }
}

pub struct Ctx {
    pub root: PathBuf,
    pub target: PathBuf,
    pub cargo: OsString,
    pub table: Table,
}

impl Ctx {
    pub fn new() -> Res<Ctx> {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest
            .parent()
            .ok_or("xtask lives in the repo root")?
            .to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(t) if Path::new(&t).is_absolute() => PathBuf::from(t),
            Some(t) => root.join(t),
            None => root.join("target"),
        };
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let table = Table::load(&root)?;
        Ok(Ctx {
            root,
            target,
            cargo,
            table,
        })
    }

    /// Per-module build: one `.so` per native module crate, `.lua` files beside them.
    pub fn lua_dir(&self) -> PathBuf {
        self.target.join("lua/5.4")
    }

    /// A bundle build: `eco.so` holding the set's native modules, links and `.lua` files.
    pub fn bundle_dir(&self, set: &str) -> PathBuf {
        self.target.join("bundle").join(set).join("lua/5.4")
    }

    pub fn dist_dir(&self) -> PathBuf {
        self.target.join("dist")
    }

    pub fn eco_bin(&self, p: Profile) -> PathBuf {
        self.target.join(p.dir()).join("eco")
    }

    pub fn launcher_bin(&self, p: Profile) -> PathBuf {
        let dir = match p {
            Profile::Release => "launcher",
            Profile::Debug => "debug",
        };
        self.target.join(dir).join("eco-launch")
    }

    pub fn cargo(&self) -> Command {
        let mut c = Command::new(&self.cargo);
        c.current_dir(&self.root);
        c
    }

    pub fn rel<'a>(&self, p: &'a Path) -> &'a Path {
        p.strip_prefix(&self.root).unwrap_or(p)
    }
}

pub fn show_cmd(c: &Command) -> String {
    let mut s = Path::new(c.get_program())
        .file_name()
        .unwrap_or(c.get_program())
        .to_string_lossy()
        .into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command with inherited stdio; error unless it exits 0.
pub fn run(mut c: Command) -> Res<()> {
    eprintln!("+ {}", show_cmd(&c));
    let st = c
        .status()
        .map_err(|e| format!("cannot run {}: {e}", show_cmd(&c)))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({st})", show_cmd(&c)))
    }
}

/// Runs a command with its output captured; error (with its stderr) unless it exits 0.
pub fn run_quiet(mut c: Command) -> Res<()> {
    let out = c
        .output()
        .map_err(|e| format!("cannot run {}: {e}", show_cmd(&c)))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed: {}",
            show_cmd(&c),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

pub fn mkdir(dir: &Path) -> Res<()> {
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))
}

/// Copies through a temporary file and renames, so a process that has the old `.so` mapped keeps a
/// valid mapping.
pub fn install_file(from: &Path, to: &Path, mode: u32) -> Res<()> {
    mkdir(to.parent().unwrap_or(Path::new(".")))?;
    let tmp = to.with_extension("xtask-tmp");
    fs::copy(from, &tmp)
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())?;
    fs::rename(&tmp, to).map_err(|e| format!("rename to {}: {e}", to.display()))
}

/// Makes `to` a symbolic link with the relative target `link`, replacing what is there.
pub fn install_link(link: &str, to: &Path) -> Res<()> {
    mkdir(to.parent().unwrap_or(Path::new(".")))?;
    if to.symlink_metadata().is_ok() {
        fs::remove_file(to).map_err(|e| format!("rm {}: {e}", to.display()))?;
    }
    std::os::unix::fs::symlink(link, to).map_err(|e| format!("ln -s {link} {}: {e}", to.display()))
}

/// The relative link from `dest` (a path under a Lua module directory such as `eco/time.so`) to
/// `eco.so` at that directory's top.
pub fn link_to_top(dest: &str) -> String {
    let depth = dest.matches('/').count();
    format!("{}eco.so", "../".repeat(depth))
}

pub fn mode_string(mode: u32, is_dir: bool) -> String {
    let mut s = String::from(if is_dir { "d" } else { "-" });
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// `ls -l`-style listing: mode, size in bytes, human size, path (links as `-> target`).
pub fn print_sizes(root: &Path, files: &[PathBuf]) {
    println!();
    for f in files {
        let shown = f.strip_prefix(root).unwrap_or(f).display();
        if let Ok(link) = fs::read_link(f) {
            println!(
                "lrwxrwxrwx {:>10} {:>8}  {shown} -> {}",
                "-",
                "-",
                link.display()
            );
            continue;
        }
        match fs::metadata(f) {
            Ok(m) => println!(
                "{} {:>10} {:>8}  {shown}",
                mode_string(m.permissions().mode(), m.is_dir()),
                m.len(),
                human(m.len()),
            ),
            Err(e) => println!("?????????? {:>10} {:>8}  {shown} ({e})", "-", "-"),
        }
    }
}

pub fn human(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1}M", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1}K", n as f64 / 1024.0)
    } else {
        format!("{n}B")
    }
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|d| d.join(name)).find(|p| {
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

/// Finds the `.so` that cargo reports for the crate whose manifest is `manifest` in the output of
/// `--message-format=json*` (one JSON object per line). Crude string scanning, enough for cargo's
/// stable message format; no serde here.
pub fn cdylib_from_messages(stdout: &str, manifest: &Path) -> Option<PathBuf> {
    let want = format!("\"manifest_path\":\"{}\"", manifest.display());
    for line in stdout.lines() {
        if !line.contains("\"reason\":\"compiler-artifact\"") || !line.contains(&want) {
            continue;
        }
        let Some(start) = line.find("\"filenames\":[") else {
            continue;
        };
        let rest = &line[start + "\"filenames\":[".len()..];
        let Some(end) = rest.find(']') else { continue };
        for name in rest[..end].split(',') {
            let name = name.trim().trim_matches('"');
            if name.ends_with(".so") {
                return Some(PathBuf::from(name.replace("\\\\", "\\")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cdylib_in_cargo_messages() {
        let manifest = Path::new("/r/crates/eco-time/Cargo.toml");
        let msgs = concat!(
            r#"{"reason":"compiler-artifact","manifest_path":"/r/crates/other/Cargo.toml","filenames":["/r/target/release/deps/libx.so"]}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///r/crates/eco-time#0.1.0","manifest_path":"/r/crates/eco-time/Cargo.toml","target":{"kind":["lib"],"crate_types":["cdylib"]},"filenames":["/r/target/release/libeco_time.so"],"fresh":true}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            cdylib_from_messages(msgs, manifest),
            Some(PathBuf::from("/r/target/release/libeco_time.so"))
        );
        assert_eq!(cdylib_from_messages("", manifest), None);
    }

    #[test]
    fn modes_and_links() {
        assert_eq!(mode_string(0o755, false), "-rwxr-xr-x");
        assert_eq!(mode_string(0o644, true), "drw-r--r--");
        assert_eq!(link_to_top("eco/time.so"), "../eco.so");
        assert_eq!(link_to_top("eco/a/b.so"), "../../eco.so");
    }
}
