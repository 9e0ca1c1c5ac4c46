//! `cargo xtask <command>`: build the loadable Lua modules (one `.so` each or one bundle), the
//! interpreter and the launcher; generate the files that derive from the module table; make
//! packages; run every test; benchmark.
//!
//! The module table is `modules.toml` at the repository root ([`table`]); one file per task:
//! [`compile`] (build-modules, build-interp), [`gen`], [`package`], [`test`], [`bench`].
//! Cargo is always invoked through `$CARGO`, one invocation at a time, from the repository root.

mod bench;
mod compile;
mod gen;
mod package;
mod table;
mod test;
#[cfg(test)]
mod tidy;
mod toml;
mod util;

use std::env;
use std::process::ExitCode;

use package::Flavour;
use util::{print_sizes, Ctx, Profile, Res};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build-modules [--debug]     one loadable .so per native module crate into target/lua/5.4/ (plus
                              the pure-Lua modules), the `eco` interpreter and the `eco-launch`
                              launcher
  build-modules [--debug] --bundle [SET|MODULE|PACKAGE...]
                              one eco.so holding the native modules of a set of modules.toml (default
                              `all`) or of the named modules/packages and their dependencies, with
                              eco/<m>.so links and .lua files, into target/bundle/<name>/lua/5.4/
  build-interp [--debug] [MODULE|PACKAGE...]
                              the self-contained `eco` interpreter with only these modules (and what
                              they depend on); default: all
  gen                         rewrite the files generated from modules.toml (interpreter preload
                              list, OpenWrt feed Makefiles, docs/modules.md)
  package [--debug]           build-modules (both ways), then one .ipk and one .tar.gz per package:
                              per-module set in target/dist/, bundle set in target/dist/bundle/
  test [--debug] [--no-unit] [FILTER...]
                              cargo test --workspace, the builds and packages, then every
                              tests/**/*.lua under `eco`, under `lua5.4` (per-module .so files) and
                              under `lua5.4` with the bundle, tests/interp/*.lua under `eco`, and
                              tests/**/*.sh; FILTER keeps only test paths containing it
  bench [SCRIPT...]           build-modules (release), then bench/run.sh
  help                        this text

--debug uses cargo's dev profile instead of release (interpreter) and module (modules, launcher).
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    if matches!(cmd.as_str(), "help" | "-h" | "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = Ctx::new().and_then(|ctx| dispatch(&ctx, cmd, &args[1..]));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) if e.starts_with("usage") => {
            eprintln!("xtask: {e}\n");
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(ctx: &Ctx, cmd: &str, rest: &[String]) -> Res<bool> {
    let opts = Opts::parse(rest)?;
    match cmd {
        "build-modules" if opts.bundle => ctx.build_bundle(opts.profile, &opts.words).map(|_| true),
        "build-modules" => ctx.build_modules(opts.profile).map(|_| true),
        "build-interp" => {
            let bin = ctx.build_interp(opts.profile, &opts.words)?;
            print_sizes(&ctx.root, &[bin]);
            Ok(true)
        }
        "gen" => {
            let written = ctx.gen()?;
            eprintln!("{} file(s) rewritten", written.len());
            Ok(true)
        }
        "package" => {
            ctx.build_modules(opts.profile)?;
            ctx.build_bundle(opts.profile, &[])?;
            let mut files = ctx.write_packages(opts.profile, Flavour::PerModule)?;
            files.extend(ctx.write_packages(opts.profile, Flavour::Bundle)?);
            print_sizes(&ctx.root, &files);
            Ok(true)
        }
        "test" => ctx.test(opts.profile, rest),
        "bench" => ctx.bench(rest),
        other => Err(format!("usage: unknown command `{other}`")),
    }
}

struct Opts {
    profile: Profile,
    bundle: bool,
    words: Vec<String>,
}

impl Opts {
    /// `--debug`/`--release`, `--bundle`, `--no-unit` (read by `test` itself) and plain words.
    fn parse(args: &[String]) -> Res<Opts> {
        let mut o = Opts {
            profile: Profile::Release,
            bundle: false,
            words: Vec::new(),
        };
        for a in args {
            match a.as_str() {
                "--debug" => o.profile = Profile::Debug,
                "--release" => o.profile = Profile::Release,
                "--bundle" => o.bundle = true,
                "--no-unit" => {}
                s if s.starts_with('-') => return Err(format!("usage: unknown option `{s}`")),
                _ => o.words.push(a.clone()),
            }
        }
        Ok(o)
    }
}
