//! `test`: the unit tests, the builds (per-module, bundles, packages), then every Lua test under
//! the `eco` interpreter, under stock `lua5.4` with the per-module `.so` files and with the
//! bundle, and the shell tests.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::package::Flavour;
use crate::util::*;

/// Per-run timeout of `xtask test`.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// The environment of a test or bench run: Lua paths into `lua` (a per-module or bundle
    /// directory; the test-only `ecotest.so` always from the per-module one), `ECO_TARGET_DIR`.
    pub fn lua_env_in(&self, c: &mut Command, lua: &Path) {
        let root = self.root.display();
        let per_module = self.lua_dir();
        let mut cpath = format!("{}/?.so;", lua.display());
        if lua != per_module {
            cpath.push_str(&format!("{}/?.so;", per_module.display()));
        }
        cpath.push(';');
        c.current_dir(&self.root)
            .env(
                "LUA_PATH",
                format!("{root}/tests/lib/?.lua;{}/?.lua;;", lua.display()),
            )
            .env("LUA_CPATH", cpath)
            .env("ECO_TARGET_DIR", &self.target)
            // the test-only ubusd-compatible broker of tests/ubus (built by `test`)
            .env("ECO_TEST_UBUSD", self.target.join("debug/eco-ubusd-test"))
            .env_remove("LUA_PATH_5_4")
            .env_remove("LUA_CPATH_5_4")
            .env_remove("LUA_INIT")
            .env_remove("LUA_INIT_5_4")
            .env_remove("LD_LIBRARY_PATH");
    }

    pub fn lua_env(&self, c: &mut Command) {
        self.lua_env_in(c, &self.lua_dir());
    }

    pub fn test(&self, profile: Profile, args: &[String]) -> Res<bool> {
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
        // Test-only peers: the ubusd-compatible broker of tests/ubus (always a debug build).
        {
            let mut c = self.cargo();
            c.args(["build", "-p", "eco-ubusd-test"]);
            eprintln!("+ {}", show_cmd(&c));
            if !c.status().map(|s| s.success()).unwrap_or(false) {
                t.fail_step("cargo build -p eco-ubusd-test", "build failed");
            }
        }
        // The bundle of every module (tested below) and the router set (its size is checked).
        let mut bundled = true;
        for set in ["all", "router"] {
            if let Err(e) = self.build_bundle(profile, &[set.to_string()]) {
                t.fail_step(&format!("build-modules --bundle {set}"), &e);
                bundled = false;
            }
        }
        let mut packaged = true;
        for flavour in [Flavour::PerModule, Flavour::Bundle] {
            if flavour == Flavour::Bundle && !bundled {
                continue;
            }
            if let Err(e) = self.write_packages(profile, flavour) {
                t.fail_step(&format!("package ({flavour:?})"), &e);
                packaged = false;
            }
        }

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
                if bundled {
                    let mut c = Command::new(l);
                    c.arg(self.rel(p));
                    self.lua_env_in(&mut c, &self.bundle_dir("all"));
                    t.record(
                        "bundle",
                        &what,
                        &run_captured(c, &log_for(p, "bundle"), TEST_TIMEOUT),
                    );
                }
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
            c.env("ECO_LAUNCHER", self.launcher_bin(profile))
                .env("ECO_BUNDLE_DIR", self.bundle_dir("all"))
                .env("ECO_PROFILE", profile.dir());
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
}
