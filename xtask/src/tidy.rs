//! Tidy tests: the module table against the source tree. Run by `cargo test -p xtask` (and so by
//! `cargo xtask test`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::gen;
use crate::table::Table;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn table() -> Table {
    Table::load(&root()).unwrap()
}

#[test]
fn generated_files_are_current() {
    let mut stale = Vec::new();
    for (rel, text) in gen::files(&table()) {
        if fs::read_to_string(root().join(&rel)).ok().as_deref() != Some(text.as_str()) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with modules.toml (run `cargo xtask gen`): {stale:?}"
    );
}

/// `require 'eco.x'` calls in a Lua source: (name, at top level?). A require inside a function
/// (indented) or under pcall is on demand.
fn requires(src: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in src.lines() {
        let code = line.split("--").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("require") {
            let after = rest[i + "require".len()..].trim_start_matches([' ', '(', ',']);
            let after = after.trim_start();
            if let Some(q) = after.chars().next().filter(|c| *c == '\'' || *c == '"') {
                if let Some(end) = after[1..].find(q) {
                    let name = &after[1..1 + end];
                    let top = !line.starts_with([' ', '\t']) && !code[..i].contains("pcall");
                    out.push((name.to_string(), top));
                }
            }
            rest = &rest[i + "require".len()..];
        }
    }
    out
}

#[test]
fn finds_requires() {
    let r = requires("local a = require 'eco.x'\n  local b = require('eco.y')\nlocal ok = pcall(require, 'eco.z') -- require 'no'\n");
    assert_eq!(
        r,
        vec![
            ("eco.x".to_string(), true),
            ("eco.y".to_string(), false),
            ("eco.z".to_string(), false)
        ]
    );
}

/// Every `require` of an eco module in a crate's Lua sources is covered by its package: the
/// same package or one it depends on (on-demand requires may also name an `optional` package).
#[test]
fn lua_requires_match_package_depends() {
    let t = table();
    let mut problems = Vec::new();
    for krate in t.modules.iter().map(|m| &m.krate).collect::<BTreeSet<_>>() {
        let Some(pkg) = t
            .modules
            .iter()
            .find(|m| &m.krate == krate)
            .and_then(|m| m.package.clone())
        else {
            continue;
        };
        let deps = t.closure(&pkg);
        let optional: BTreeSet<String> =
            t.package(&pkg).unwrap().optional.iter().cloned().collect();
        let dir = root().join("crates").join(krate).join("lua");
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let src = fs::read_to_string(&path).unwrap();
            for (name, top) in requires(&src) {
                let Some(m) = t.module(&name) else {
                    if name.starts_with("eco") {
                        problems.push(format!(
                            "{}: requires {name}, not in modules.toml",
                            path.display()
                        ));
                    }
                    continue;
                };
                let Some(need) = &m.package else { continue };
                let ok = deps.contains(need) || (!top && optional.contains(need));
                if !ok {
                    problems.push(format!(
                        "{}: requires {name} ({need}), which {pkg} does not depend on{}",
                        path.strip_prefix(root()).unwrap().display(),
                        if top { "" } else { " nor list as optional" }
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn manifest(krate: &str) -> String {
    fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap()
}

/// The interpreter has an optional dependency (and so a feature) for every module crate, all on
/// by default; its preload list is generated (`generated_files_are_current`).
#[test]
fn interpreter_features_match_the_table() {
    let t = table();
    let m = manifest("eco");
    let mut crates: Vec<&str> = Vec::new();
    for md in t
        .modules
        .iter()
        .filter(|m| m.package.is_some() && m.krate != "eco-sched")
    {
        if !crates.contains(&md.krate.as_str()) {
            crates.push(&md.krate);
        }
    }
    let default = m
        .split_once("default = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .expect("crates/eco/Cargo.toml has a default feature list")
        .0;
    for c in &crates {
        assert!(
            m.contains(&format!("{c} = {{ workspace = true, optional = true }}")),
            "crates/eco/Cargo.toml: {c} is not an optional dependency"
        );
        assert!(
            default.contains(&format!("\"{c}\"")),
            "{c} not in the default features"
        );
    }
}

/// The bundle crate has a feature for every native module crate.
#[test]
fn bundle_features_match_the_table() {
    let t = table();
    let m = manifest("eco-bundle");
    let lib = fs::read_to_string(root().join("crates/eco-bundle/src/lib.rs")).unwrap();
    let all = t.bundle_packages(&[]).unwrap();
    for c in t
        .native_crates_of(&all)
        .into_iter()
        .filter(|c| *c != "eco-sched")
    {
        assert!(
            m.contains(&format!("{c} = [\"dep:{c}\", \"{c}/module\"]")),
            "crates/eco-bundle/Cargo.toml: no feature {c}"
        );
        let u = c.replace('-', "_");
        assert!(
            lib.contains(&format!("#[cfg(feature = \"{c}\")]\npub use {u};")),
            "crates/eco-bundle/src/lib.rs does not link {c}"
        );
    }
}

/// Every crate under crates/ is a module crate of the table or one of the support crates.
#[test]
fn every_crate_is_in_the_table() {
    const SUPPORT: &[&str] = &[
        "eco",
        "eco-abi",
        "eco-os",
        "eco-bundle",
        "eco-launch",
        "eco-luasrc",
        "eco-util",
        // the test-only ubusd-compatible broker of tests/ubus (a binary, never packaged)
        "eco-ubusd-test",
    ];
    let t = table();
    for e in fs::read_dir(root().join("crates")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            SUPPORT.contains(&name.as_str()) || t.modules.iter().any(|m| m.krate == name),
            "crates/{name} is neither in modules.toml nor a support crate"
        );
    }
    for m in &t.modules {
        assert!(
            root().join("crates").join(&m.krate).is_dir(),
            "{}: no crates/{}",
            m.name,
            m.krate
        );
        if let Some(f) = &m.file {
            assert!(root().join(f).is_file(), "{}: no {f}", m.name);
        }
    }
}
