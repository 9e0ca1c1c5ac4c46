//! `cargo xtask <command>`: build the loadable Lua modules, run every test, make packages, benchmark.
//!
//! The tables [`MODULES`] and [`PACKAGES`] below are the single place that says which crate becomes
//! which file of the install layout and which OpenWrt package ships it (see docs/packaging.md).
//! Cargo is always invoked through `$CARGO`, one invocation at a time, from the repository root.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------

/// Where a module's installed file comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// A Rust crate compiled to a cdylib with its `module` feature.
    Native,
    /// A pure-Lua module: this file (relative to the repo root) is copied as is.
    Lua(&'static str),
}

/// One Lua module of the install layout.
#[derive(Debug)]
struct Module {
    /// The name passed to `require`.
    name: &'static str,
    /// The workspace crate (directory `crates/<krate>`).
    krate: &'static str,
    src: Src,
    /// Path under `target/lua/5.4/` (and under the package's Lua directories).
    dest: &'static str,
    /// The package that ships it; `None` for test-only modules.
    package: Option<&'static str>,
}

const fn native(
    name: &'static str,
    krate: &'static str,
    dest: &'static str,
    package: &'static str,
) -> Module {
    Module {
        name,
        krate,
        src: Src::Native,
        dest,
        package: Some(package),
    }
}

const fn lua(
    name: &'static str,
    krate: &'static str,
    file: &'static str,
    dest: &'static str,
    package: &'static str,
) -> Module {
    Module {
        name,
        krate,
        src: Src::Lua(file),
        dest,
        package: Some(package),
    }
}

const fn test_only(m: Module) -> Module {
    Module { package: None, ..m }
}

/// Every module, in build order. Adding a module is one line here.
const MODULES: &[Module] = &[
    native("eco", "eco-sched", "eco.so", "lua-eco"),
    native("eco.time", "eco-time", "eco/time.so", "lua-eco"),
    native("eco.sync", "eco-sync", "eco/sync.so", "lua-eco"),
    native("eco.bufio", "eco-bufio", "eco/bufio.so", "lua-eco"),
    lua(
        "eco.cli",
        "eco-cli",
        "crates/eco-cli/lua/cli.lua",
        "eco/cli.lua",
        "lua-eco",
    ),
    lua(
        "eco.channel",
        "eco-channel",
        "crates/eco-channel/lua/channel.lua",
        "eco/channel.lua",
        "lua-eco",
    ),
    native(
        "eco.socket",
        "eco-socket",
        "eco/socket.so",
        "lua-eco-socket",
    ),
    lua(
        "eco.internal.socket",
        "eco-socket",
        "crates/eco-socket/lua/internal.lua",
        "eco/internal/socket.lua",
        "lua-eco-socket",
    ),
    native("eco.file", "eco-file", "eco/file.so", "lua-eco-file"),
    lua(
        "eco.internal.file",
        "eco-file",
        "crates/eco-file/lua/internal.lua",
        "eco/internal/file.lua",
        "lua-eco-file",
    ),
    native("eco.log", "eco-log", "eco/log.so", "lua-eco-log"),
    native("eco.sys", "eco-sys", "eco/sys.so", "lua-eco-sys"),
    native("eco.hash", "eco-hash", "eco/hash.so", "lua-eco-hash"),
    lua(
        "eco.hash.md5",
        "eco-hash",
        "crates/eco-hash/lua/alias_md5.lua",
        "eco/hash/md5.lua",
        "lua-eco-hash",
    ),
    lua(
        "eco.hash.sha1",
        "eco-hash",
        "crates/eco-hash/lua/alias_sha1.lua",
        "eco/hash/sha1.lua",
        "lua-eco-hash",
    ),
    lua(
        "eco.hash.sha256",
        "eco-hash",
        "crates/eco-hash/lua/alias_sha256.lua",
        "eco/hash/sha256.lua",
        "lua-eco-hash",
    ),
    lua(
        "eco.hash.hmac",
        "eco-hash",
        "crates/eco-hash/lua/alias_hmac.lua",
        "eco/hash/hmac.lua",
        "lua-eco-hash",
    ),
    native(
        "eco.encoding",
        "eco-encoding",
        "eco/encoding.so",
        "lua-eco-encoding",
    ),
    lua(
        "eco.encoding.base64",
        "eco-encoding",
        "crates/eco-encoding/lua/alias_base64.lua",
        "eco/encoding/base64.lua",
        "lua-eco-encoding",
    ),
    lua(
        "eco.encoding.hex",
        "eco-encoding",
        "crates/eco-encoding/lua/alias_hex.lua",
        "eco/encoding/hex.lua",
        "lua-eco-encoding",
    ),
    native(
        "eco.shared",
        "eco-shared",
        "eco/shared.so",
        "lua-eco-shared",
    ),
    native("eco.ssl", "eco-ssl", "eco/ssl.so", "lua-eco-ssl"),
    native("eco.dns", "eco-dns", "eco/dns.so", "lua-eco-dns"),
    native("eco.http", "eco-http", "eco/http.so", "lua-eco-http"),
    lua(
        "eco.http.url",
        "eco-http",
        "crates/eco-http/lua/alias_url.lua",
        "eco/http/url.lua",
        "lua-eco-http",
    ),
    lua(
        "eco.http.client",
        "eco-http",
        "crates/eco-http/lua/alias_client.lua",
        "eco/http/client.lua",
        "lua-eco-http",
    ),
    lua(
        "eco.http.server",
        "eco-http",
        "crates/eco-http/lua/alias_server.lua",
        "eco/http/server.lua",
        "lua-eco-http",
    ),
    native(
        "eco.websocket",
        "eco-websocket",
        "eco/websocket.so",
        "lua-eco-websocket",
    ),
    native("eco.mqtt", "eco-mqtt", "eco/mqtt.so", "lua-eco-mqtt"),
    lua(
        "eco.net",
        "eco-net",
        "crates/eco-net/lua/net.lua",
        "eco/net.lua",
        "lua-eco-net",
    ),
    test_only(native("ecotest", "eco-testutil", "ecotest.so", "")),
];

/// One installable package. Its files are the [`MODULES`] rows that name it.
#[derive(Debug)]
struct Package {
    name: &'static str,
    /// OpenWrt package names, comma-separated (`libc` is added to every package).
    depends: &'static str,
    description: &'static str,
}

const fn pkg(name: &'static str, depends: &'static str, description: &'static str) -> Package {
    Package {
        name,
        depends,
        description,
    }
}

/// Every package. Adding `lua-eco-<module>` is one line here (plus its rows in [`MODULES`]), e.g.
/// `pkg("lua-eco-http", "lua-eco, lua-eco-socket", "HTTP client and server for lua-eco"),`
const PACKAGES: &[Package] = &[
    pkg(
        "lua-eco",
        "liblua5.4",
        "Coroutine-first runtime for Lua 5.4: scheduler (eco), eco.time, eco.sync, eco.channel, eco.bufio, eco.cli",
    ),
    pkg(
        "lua-eco-file",
        "lua-eco",
        "Files, directories, flock and inotify for lua-eco (eco.file)",
    ),
    pkg(
        "lua-eco-log",
        "lua-eco",
        "Leveled logging to stdout, syslog or a rolling file for lua-eco (eco.log)",
    ),
    pkg("lua-eco-socket", "lua-eco", "Coroutine-aware sockets for lua-eco (eco.socket)"),
    pkg(
        "lua-eco-ssl",
        "lua-eco, lua-eco-socket, libopenssl3",
        "TLS client and server streams for lua-eco (eco.ssl)",
    ),
    pkg(
        "lua-eco-websocket",
        "lua-eco, lua-eco-socket",
        "WebSocket (RFC 6455) client and server for lua-eco (eco.websocket)",
    ),
    pkg(
        "lua-eco-dns",
        "lua-eco, lua-eco-socket",
        "Stub DNS resolver (hosts, resolv.conf, UDP with TCP retry) for lua-eco (eco.dns)",
    ),
    pkg(
        "lua-eco-http",
        "lua-eco, lua-eco-socket, lua-eco-file, lua-eco-dns",
        "HTTP/1.1 client and server and URL helpers for lua-eco (eco.http.url, eco.http.client, eco.http.server; https needs lua-eco-ssl)",
    ),
    pkg(
        "lua-eco-mqtt",
        "lua-eco, lua-eco-socket",
        "MQTT 3.1.1 client for lua-eco (eco.mqtt; MQTT over TLS needs lua-eco-ssl)",
    ),
    pkg(
        "lua-eco-net",
        "lua-eco-socket, lua-eco-dns",
        "ICMP echo (ping, ping6) for lua-eco (eco.net)",
    ),
    pkg(
        "lua-eco-sys",
        "lua-eco",
        "Processes with captured output, signal handlers and system calls for lua-eco (eco.sys)",
    ),
    pkg(
        "lua-eco-hash",
        "lua-eco",
        "MD5, SHA-1, SHA-256 and HMAC for lua-eco (eco.hash.md5, eco.hash.sha1, eco.hash.sha256, eco.hash.hmac)",
    ),
    pkg(
        "lua-eco-encoding",
        "lua-eco",
        "Base64 and hex codecs and hex dump for lua-eco (eco.encoding.base64, eco.encoding.hex)",
    ),
    pkg(
        "lua-eco-shared",
        "lua-eco",
        "Cross-process key/value dictionary in shared memory for lua-eco (eco.shared)",
    ),
];

const MAINTAINER: &str = "lua-eco-rs developers";
const PKG_RELEASE: &str = "1";
/// Install directories inside a package's data tree (docs/packaging.md).
const SO_DIR: &str = "usr/lib/lua/5.4";
const LUA_DIR: &str = "usr/share/lua/5.4";
/// Per-run timeout of `xtask test`.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build-modules [--debug]     build one loadable .so per native module crate into target/lua/5.4/
                              (plus the pure-Lua modules) and the `eco` interpreter
  test [--debug] [--no-unit] [FILTER...]
                              cargo test --workspace, build-modules, package, then every
                              tests/**/*.lua under `eco` and `lua5.4`, tests/interp/*.lua under `eco`,
                              and tests/**/*.sh; FILTER keeps only test paths containing it
  package [--debug]           build-modules, then one .ipk and one .tar.gz per package in target/dist/
  bench [SCRIPT...]           build-modules (release), then bench/run.sh
  help                        this text

--debug uses cargo's dev profile instead of --release.
";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Profile {
    Release,
    Debug,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
    fn args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--release"],
            Profile::Debug => &[],
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let ctx = Ctx::new();
    let result = match cmd.as_str() {
        "build-modules" => {
            parse_profile(rest).and_then(|(p, _)| ctx.build_modules(p).map(|_| true))
        }
        "package" => parse_profile(rest).and_then(|(p, _)| {
            ctx.build_modules(p)?;
            let files = ctx.write_packages()?;
            print_sizes(&ctx.root, &files);
            Ok(true)
        }),
        "test" => parse_profile(rest).and_then(|(p, other)| ctx.test(p, &other)),
        "bench" => ctx.bench(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(true)
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Splits `--debug` off; returns the other arguments. Rejects unknown `--options` other than
/// `--no-unit` (used by `test`).
fn parse_profile(args: &[String]) -> Result<(Profile, Vec<String>), String> {
    let mut profile = Profile::Release;
    let mut other = Vec::new();
    for a in args {
        match a.as_str() {
            "--debug" => profile = Profile::Debug,
            "--release" => profile = Profile::Release,
            "--no-unit" => other.push(a.clone()),
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`\n\n{USAGE}")),
            _ => other.push(a.clone()),
        }
    }
    Ok((profile, other))
}

// ---------------------------------------------------------------------------------------------
// Context and helpers
// ---------------------------------------------------------------------------------------------

type Res<T> = Result<T, String>;

struct Ctx {
    root: PathBuf,
    target: PathBuf,
    cargo: OsString,
}

impl Ctx {
    fn new() -> Ctx {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest
            .parent()
            .expect("xtask lives in the repo root")
            .to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(t) if Path::new(&t).is_absolute() => PathBuf::from(t),
            Some(t) => root.join(t),
            None => root.join("target"),
        };
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ctx {
            root,
            target,
            cargo,
        }
    }

    fn lua_dir(&self) -> PathBuf {
        self.target.join("lua/5.4")
    }

    fn dist_dir(&self) -> PathBuf {
        self.target.join("dist")
    }

    fn eco_bin(&self, p: Profile) -> PathBuf {
        self.target.join(p.dir()).join("eco")
    }

    fn cargo(&self) -> Command {
        let mut c = Command::new(&self.cargo);
        c.current_dir(&self.root);
        c
    }

    fn rel<'a>(&self, p: &'a Path) -> &'a Path {
        p.strip_prefix(&self.root).unwrap_or(p)
    }
}

fn show_cmd(c: &Command) -> String {
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
fn run(mut c: Command) -> Res<()> {
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

/// Copies through a temporary file and renames, so a process that has the old `.so` mapped keeps a
/// valid mapping.
fn install_file(from: &Path, to: &Path, mode: u32) -> Res<()> {
    let dir = to.parent().unwrap();
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let tmp = to.with_extension("xtask-tmp");
    fs::copy(from, &tmp)
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())?;
    fs::rename(&tmp, to).map_err(|e| format!("rename to {}: {e}", to.display()))
}

fn mode_string(mode: u32, is_dir: bool) -> String {
    let mut s = String::from(if is_dir { "d" } else { "-" });
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// `ls -l`-style listing: mode, size in bytes, human size, path.
fn print_sizes(root: &Path, files: &[PathBuf]) {
    println!();
    for f in files {
        match fs::metadata(f) {
            Ok(m) => {
                let size = m.len();
                println!(
                    "{} {:>10} {:>8}  {}",
                    mode_string(m.permissions().mode(), m.is_dir()),
                    size,
                    human(size),
                    f.strip_prefix(root).unwrap_or(f).display()
                );
            }
            Err(e) => println!("?????????? {:>10} {:>8}  {} ({e})", "-", "-", f.display()),
        }
    }
}

fn human(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1}M", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1}K", n as f64 / 1024.0)
    } else {
        format!("{n}B")
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|d| d.join(name)).find(|p| {
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

// ---------------------------------------------------------------------------------------------
// build-modules
// ---------------------------------------------------------------------------------------------

/// Finds the `.so` that cargo reports for the crate whose manifest is `manifest` in the output of
/// `--message-format=json*` (one JSON object per line). Crude string scanning, enough for cargo's
/// stable message format; no serde here.
fn cdylib_from_messages(stdout: &str, manifest: &Path) -> Option<PathBuf> {
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

impl Ctx {
    /// Builds every module into `target/lua/5.4/` and the interpreter; returns the produced files.
    fn build_modules(&self, profile: Profile) -> Res<Vec<PathBuf>> {
        let lua_dir = self.lua_dir();
        fs::create_dir_all(&lua_dir).map_err(|e| format!("mkdir {}: {e}", lua_dir.display()))?;
        let mut produced = Vec::new();
        for m in MODULES {
            let crate_dir = self.root.join("crates").join(m.krate);
            let manifest = crate_dir.join("Cargo.toml");
            if !manifest.is_file() {
                return Err(format!(
                    "module `{}`: crate {} not found ({} missing)",
                    m.name,
                    m.krate,
                    self.rel(&manifest).display()
                ));
            }
            let dest = lua_dir.join(m.dest);
            match m.src {
                Src::Lua(file) => {
                    let from = self.root.join(file);
                    eprintln!("+ install {} -> {}", file, self.rel(&dest).display());
                    install_file(&from, &dest, 0o644)?;
                }
                Src::Native => {
                    let mut c = self.cargo();
                    c.args(["rustc", "-p", m.krate, "--lib", "--crate-type", "cdylib"])
                        .args(profile.args())
                        .args([
                            "--features",
                            "module",
                            "--message-format=json-render-diagnostics",
                        ])
                        .stdout(Stdio::piped());
                    eprintln!("+ {}", show_cmd(&c));
                    let out = c.output().map_err(|e| format!("cannot run cargo: {e}"))?;
                    if !out.status.success() {
                        return Err(format!(
                            "building module `{}` (crate {}) failed",
                            m.name, m.krate
                        ));
                    }
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    let so = cdylib_from_messages(&stdout, &manifest).unwrap_or_else(|| {
                        self.target
                            .join(profile.dir())
                            .join(format!("lib{}.so", m.krate.replace('-', "_")))
                    });
                    if !so.is_file() {
                        return Err(format!(
                            "module `{}`: cargo produced no {}",
                            m.name,
                            so.display()
                        ));
                    }
                    install_file(&so, &dest, 0o755)?;
                }
            }
            produced.push(dest);
        }
        let mut c = self.cargo();
        c.args(["build", "-p", "eco"]).args(profile.args());
        run(c)?;
        let bin = self.eco_bin(profile);
        if !bin.is_file() {
            return Err(format!(
                "the interpreter {} was not produced",
                bin.display()
            ));
        }
        produced.push(bin);
        print_sizes(&self.root, &produced);
        Ok(produced)
    }
}

// ---------------------------------------------------------------------------------------------
// package
// ---------------------------------------------------------------------------------------------

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

fn run_quiet(mut c: Command) -> Res<()> {
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

fn control_text(p: &Package, version: &str, arch: &str, installed_size: u64) -> String {
    let mut deps = String::from("libc");
    for d in p
        .depends
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        deps.push_str(", ");
        deps.push_str(d);
    }
    let mut s = String::new();
    let _ = writeln!(s, "Package: {}", p.name);
    let _ = writeln!(s, "Version: {version}");
    let _ = writeln!(s, "Depends: {deps}");
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
fn data_path(dest: &str) -> String {
    if dest.ends_with(".lua") {
        format!("{LUA_DIR}/{dest}")
    } else {
        format!("{SO_DIR}/{dest}")
    }
}

impl Ctx {
    /// Writes `<pkg>_<version>_<arch>.ipk` and `.tar.gz` for every package from the files already
    /// in `target/lua/5.4/`. Returns the written files.
    fn write_packages(&self) -> Res<Vec<PathBuf>> {
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
        let dist = self.dist_dir();
        // One staging directory per run, so concurrent runs on one target dir do not collide.
        let work = self
            .target
            .join(format!("xtask/pkg-{}", std::process::id()));
        for d in [&dist, &work] {
            if d.exists() {
                fs::remove_dir_all(d).map_err(|e| format!("rm -r {}: {e}", d.display()))?;
            }
            fs::create_dir_all(d).map_err(|e| format!("mkdir {}: {e}", d.display()))?;
        }
        let mut written = Vec::new();
        for p in PACKAGES {
            let mods: Vec<&Module> = MODULES
                .iter()
                .filter(|m| m.package == Some(p.name))
                .collect();
            if mods.is_empty() {
                return Err(format!("package {} has no module in MODULES", p.name));
            }
            let base = work.join(p.name);
            let data = base.join("data");
            let control = base.join("control");
            let ipk = base.join("ipk");
            for d in [&data, &control, &ipk] {
                fs::create_dir_all(d).map_err(|e| e.to_string())?;
            }
            let mut size = 0;
            for m in &mods {
                let from = self.lua_dir().join(m.dest);
                if !from.is_file() {
                    return Err(format!(
                        "{} is missing: run `cargo xtask build-modules`",
                        from.display()
                    ));
                }
                let mode = if m.dest.ends_with(".so") {
                    0o755
                } else {
                    0o644
                };
                install_file(&from, &data.join(data_path(m.dest)), mode)?;
                size += fs::metadata(&from).map(|m| m.len()).unwrap_or(0);
            }
            // Directories: 0755 regardless of umask.
            set_dir_modes(&data)?;
            fs::write(
                control.join("control"),
                control_text(p, &version, arch, size),
            )
            .map_err(|e| e.to_string())?;
            fs::write(ipk.join("debian-binary"), "2.0\n").map_err(|e| e.to_string())?;

            tar_create(&data, &ipk.join("data.tar"), &["."], mtime)?;
            let data_gz = gzip(&ipk.join("data.tar"))?;
            tar_create(&control, &ipk.join("control.tar"), &["."], mtime)?;
            gzip(&ipk.join("control.tar"))?;
            // Member order as OpenWrt's ipkg-build writes it.
            let stem = format!("{}_{}_{}", p.name, version, arch);
            let outer = base.join(format!("{stem}.tar"));
            tar_create(
                &ipk,
                &outer,
                &["./debian-binary", "./data.tar.gz", "./control.tar.gz"],
                mtime,
            )?;
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

// ---------------------------------------------------------------------------------------------
// test
// ---------------------------------------------------------------------------------------------

/// Collects files with extension `ext` under `dir`, recursively, sorted, skipping `skip` dirs.
fn collect(dir: &Path, ext: &str, skip: &[PathBuf], out: &mut Vec<PathBuf>) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_type()?.is_dir() {
            if !skip.contains(&p) {
                collect(&p, ext, skip, out)?;
            }
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    Ok(())
}

struct Outcome {
    ok: bool,
    secs: f64,
    note: String,
    output: String,
}

/// Runs `c` in its own process group with stdout+stderr going to `log`; kills the group after
/// `timeout`. Leftover processes of the group are killed when the run ends.
fn run_captured(mut c: Command, log: &Path, timeout: Duration) -> Outcome {
    let start = Instant::now();
    let fail = |note: String| Outcome {
        ok: false,
        secs: start.elapsed().as_secs_f64(),
        note,
        output: String::new(),
    };
    if let Some(d) = log.parent() {
        let _ = fs::create_dir_all(d);
    }
    let file = match fs::File::create(log) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot create {}: {e}", log.display())),
    };
    let err_file = match file.try_clone() {
        Ok(f) => f,
        Err(e) => return fail(e.to_string()),
    };
    c.stdin(Stdio::null())
        .stdout(file)
        .stderr(err_file)
        .process_group(0);
    let mut child = match c.spawn() {
        Ok(ch) => ch,
        Err(e) => return fail(format!("cannot run {}: {e}", show_cmd(&c))),
    };
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let kill_group = || {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    let (ok, note) = match rx.recv_timeout(timeout) {
        Ok(Ok(st)) if st.success() => (true, String::new()),
        Ok(Ok(st)) => (false, format!("{st}")),
        Ok(Err(e)) => (false, format!("wait failed: {e}")),
        Err(_) => {
            kill_group();
            let _ = rx.recv();
            (
                false,
                format!("timed out after {} s, killed", timeout.as_secs()),
            )
        }
    };
    let secs = start.elapsed().as_secs_f64();
    // The leader is reaped; its group id cannot be reused while members remain.
    kill_group();
    let output = fs::read(log)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Outcome {
        ok,
        secs,
        note,
        output,
    }
}

struct Tally {
    passed: usize,
    failed: usize,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, runner: &str, what: &str, o: &Outcome) {
        let status = if o.ok { "ok  " } else { "FAIL" };
        let note = if o.note.is_empty() {
            String::new()
        } else {
            format!(" {}", o.note)
        };
        println!("{status} {runner:<6} {what} ({:.2}s){note}", o.secs);
        if o.ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.failures.push(format!("{runner} {what}"));
            const MAX_LINES: usize = 300;
            let lines: Vec<&str> = o.output.lines().collect();
            if lines.len() > MAX_LINES {
                println!(
                    "    ... ({} earlier lines omitted)",
                    lines.len() - MAX_LINES
                );
            }
            for l in &lines[lines.len().saturating_sub(MAX_LINES)..] {
                println!("    {l}");
            }
        }
    }

    fn fail_step(&mut self, what: &str, err: &str) {
        println!("FAIL {:<6} {what}: {err}", "xtask");
        self.failed += 1;
        self.failures.push(format!("xtask {what}"));
    }
}

impl Ctx {
    fn lua_env(&self, c: &mut Command) {
        let root = self.root.display();
        let lua = self.lua_dir();
        c.current_dir(&self.root)
            .env(
                "LUA_PATH",
                format!("{root}/tests/lib/?.lua;{}/?.lua;;", lua.display()),
            )
            .env("LUA_CPATH", format!("{}/?.so;;", lua.display()))
            .env("ECO_TARGET_DIR", &self.target)
            .env_remove("LUA_PATH_5_4")
            .env_remove("LUA_CPATH_5_4")
            .env_remove("LUA_INIT")
            .env_remove("LUA_INIT_5_4")
            .env_remove("LD_LIBRARY_PATH");
    }

    fn test(&self, profile: Profile, args: &[String]) -> Res<bool> {
        let no_unit = args.iter().any(|a| a == "--no-unit");
        let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
        let mut t = Tally {
            passed: 0,
            failed: 0,
            failures: Vec::new(),
        };
        let lua54 = find_in_path("lua5.4");
        if lua54.is_none() {
            println!("!!! lua5.4 not found: install Debian's lua5.4 (apt-get install lua5.4); the stock-Lua runs cannot happen !!!");
        }

        if !no_unit {
            let mut c = self.cargo();
            c.args(["test", "--workspace"]);
            eprintln!("+ {}", show_cmd(&c));
            let start = Instant::now();
            let st = c.status();
            let o = Outcome {
                ok: st.as_ref().map(|s| s.success()).unwrap_or(false),
                secs: start.elapsed().as_secs_f64(),
                note: match &st {
                    Ok(s) if s.success() => String::new(),
                    Ok(s) => format!("{s}"),
                    Err(e) => e.to_string(),
                },
                output: String::new(),
            };
            t.record("cargo", "cargo test --workspace", &o);
        }

        if let Err(e) = self.build_modules(profile) {
            t.fail_step("build-modules", &e);
            return Ok(self.summary(&t, lua54.is_none()));
        }
        let packaged = match self.write_packages() {
            Ok(_) => true,
            Err(e) => {
                t.fail_step("package", &e);
                false
            }
        };

        let tests = self.root.join("tests");
        let interp = tests.join("interp");
        let mut both = Vec::new();
        let mut only_eco = Vec::new();
        let mut scripts = Vec::new();
        collect(
            &tests,
            "lua",
            &[tests.join("lib"), interp.clone()],
            &mut both,
        )
        .map_err(|e| e.to_string())?;
        collect(&interp, "lua", &[], &mut only_eco).map_err(|e| e.to_string())?;
        collect(&tests, "sh", &[], &mut scripts).map_err(|e| e.to_string())?;
        let keep = |p: &PathBuf| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| self.rel(p).to_string_lossy().contains(f.as_str()))
        };
        both.retain(keep);
        only_eco.retain(keep);
        scripts.retain(keep);

        let eco = self.eco_bin(profile);
        let logs = self.target.join("xtask/test-logs");
        let log_for = |p: &Path, runner: &str| {
            logs.join(format!(
                "{}.{runner}.log",
                self.rel(p).to_string_lossy().replace('/', "__")
            ))
        };
        println!();
        for p in &both {
            let what = self.rel(p).display().to_string();
            let mut c = Command::new(&eco);
            c.arg(self.rel(p));
            self.lua_env(&mut c);
            t.record(
                "eco",
                &what,
                &run_captured(c, &log_for(p, "eco"), TEST_TIMEOUT),
            );
            if let Some(l) = &lua54 {
                let mut c = Command::new(l);
                c.arg(self.rel(p));
                self.lua_env(&mut c);
                t.record(
                    "lua5.4",
                    &what,
                    &run_captured(c, &log_for(p, "lua5.4"), TEST_TIMEOUT),
                );
            }
        }
        for p in &only_eco {
            let mut c = Command::new(&eco);
            c.arg(self.rel(p));
            self.lua_env(&mut c);
            t.record(
                "eco",
                &self.rel(p).display().to_string(),
                &run_captured(c, &log_for(p, "eco"), TEST_TIMEOUT),
            );
        }
        for p in &scripts {
            let what = self.rel(p).display().to_string();
            if !packaged && what.starts_with("tests/package/") {
                t.fail_step(&what, "skipped: `package` failed");
                continue;
            }
            let mut c = Command::new("bash");
            c.arg(self.rel(p))
                .arg(&eco)
                .arg(lua54.as_deref().unwrap_or(Path::new("lua5.4")));
            self.lua_env(&mut c);
            t.record(
                "sh",
                &what,
                &run_captured(c, &log_for(p, "sh"), TEST_TIMEOUT),
            );
        }
        Ok(self.summary(&t, lua54.is_none()))
    }

    fn summary(&self, t: &Tally, lua_missing: bool) -> bool {
        let mut failed = t.failed;
        println!();
        if !t.failures.is_empty() {
            println!("failed:");
            for f in &t.failures {
                println!("    {f}");
            }
        }
        if lua_missing {
            println!("!!! lua5.4 not found: install Debian's lua5.4; counted as a failure !!!");
            failed += 1;
        }
        println!("{} passed, {} failed", t.passed, failed);
        failed == 0
    }

    // -----------------------------------------------------------------------------------------
    // bench
    // -----------------------------------------------------------------------------------------

    fn bench(&self, scripts: &[String]) -> Res<bool> {
        self.build_modules(Profile::Release)?;
        let mut c = Command::new("bash");
        c.arg(self.root.join("bench/run.sh")).args(scripts);
        self.lua_env(&mut c);
        c.env("ECO", self.eco_bin(Profile::Release));
        if let Some(l) = find_in_path("lua5.4") {
            c.env("LUA", l);
        }
        let lua = find_in_path("lua5.4");
        run(c)?;
        if !scripts.is_empty() {
            return Ok(true);
        }
        // TCP echo against a native epoll server (bench/echo.sh), with its Rust peers.
        let mut b = Command::new(&self.cargo);
        b.args(["build", "--release", "-p", "eco-bench-echo"]);
        run(b)?;
        let mut scripts = vec!["bench/echo.sh"];
        // HTTP hello world against nginx, when wrk and nginx are installed.
        if find_in_path("wrk").is_some() && find_in_path("nginx").is_some() {
            scripts.push("bench/http.sh");
        } else {
            eprintln!(
                "xtask: wrk or nginx not found, skipping bench/http.sh (apt-get install wrk nginx)"
            );
        }
        // MQTT publish throughput through mosquitto, when it is installed.
        if find_in_path("mosquitto_pub").is_some() {
            scripts.push("bench/mqtt.sh");
        } else {
            eprintln!("xtask: mosquitto-clients not found, skipping bench/mqtt.sh");
        }
        for script in scripts {
            let mut e = Command::new("bash");
            e.arg(self.root.join(script));
            self.lua_env(&mut e);
            e.env("ECO", self.eco_bin(Profile::Release));
            if let Some(l) = &lua {
                e.env("LUA", l);
            }
            run(e)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for m in MODULES {
            if let Some(p) = m.package {
                assert!(
                    PACKAGES.iter().any(|q| q.name == p),
                    "{} names unknown package {p}",
                    m.name
                );
            }
            assert!(
                m.dest.ends_with(".so") || m.dest.ends_with(".lua"),
                "{}",
                m.dest
            );
            match m.src {
                Src::Native => assert!(m.dest.ends_with(".so")),
                Src::Lua(f) => assert!(f.ends_with(".lua") && m.dest.ends_with(".lua")),
            }
            // require name <-> install path
            let stem = m.dest.rsplit_once('.').unwrap().0;
            assert_eq!(stem.replace('/', "."), m.name);
        }
        for p in PACKAGES {
            assert!(
                MODULES.iter().any(|m| m.package == Some(p.name)),
                "{} is empty",
                p.name
            );
        }
    }

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
    fn control_file() {
        let c = control_text(&PACKAGES[0], "0.1.0-1", "x86_64", 42);
        assert!(c.contains("Package: lua-eco\n"));
        assert!(c.contains("Depends: libc, liblua5.4\n"));
        assert!(c.contains("Architecture: x86_64\n"));
        assert!(c.contains("Installed-Size: 42\n"));
        assert_eq!(data_path("eco/time.so"), "usr/lib/lua/5.4/eco/time.so");
        assert_eq!(data_path("eco/cli.lua"), "usr/share/lua/5.4/eco/cli.lua");
    }

    #[test]
    fn modes() {
        assert_eq!(mode_string(0o755, false), "-rwxr-xr-x");
        assert_eq!(mode_string(0o644, true), "drw-r--r--");
    }
}
