//! The module table (`modules.toml` at the repository root): every Lua module, the crate that
//! builds it and the package that ships it, and every package with its dependencies.
//!
//! The file is a small subset of TOML (arrays of tables, strings, string arrays, booleans) read by
//! a parser of our own, so that xtask keeps building from std alone.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::toml::{parse_entries, Fields};
use crate::util::Res;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A Rust crate compiled to a cdylib with its `module` feature.
    Native,
    /// A pure-Lua file installed as is.
    Lua,
}

#[derive(Debug, Clone)]
pub struct Module {
    /// The name passed to `require`.
    pub name: String,
    /// The workspace crate (directory `crates/<krate>`).
    pub krate: String,
    pub kind: Kind,
    /// Kind `lua`: the source file relative to the repository root.
    pub file: Option<String>,
    /// The interpreter's opener: a Rust path to `fn(&Lua) -> Result<Value>`...
    pub open: Option<String>,
    /// ...or to a raw `lua_CFunction`.
    pub open_c: Option<String>,
    /// The package that ships it; `None` for test-only modules.
    pub package: Option<String>,
}

impl Module {
    /// Path under a Lua module directory: `eco.http.url` -> `eco/http/url.so` or `.lua`.
    pub fn dest(&self) -> String {
        let ext = match self.kind {
            Kind::Native => "so",
            Kind::Lua => "lua",
        };
        format!("{}.{ext}", self.name.replace('.', "/"))
    }

    pub fn is_native(&self) -> bool {
        self.kind == Kind::Native
    }
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Packages of this table and system packages.
    pub depends: Vec<String>,
    /// Packages whose modules are required only on demand.
    pub optional: Vec<String>,
}

/// A named set of modules for a bundle (`cargo xtask build-modules --bundle NAME`).
#[derive(Debug, Clone)]
pub struct Set {
    pub name: String,
    pub description: String,
    /// Module or package names; their package dependencies are added.
    pub modules: Vec<String>,
    /// Size budget of the stripped bundle (x86_64, release), in bytes.
    pub budget: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub modules: Vec<Module>,
    pub packages: Vec<Package>,
    pub sets: Vec<Set>,
}

/// The table file's name at the repository root.
pub const FILE: &str = "modules.toml";

impl Table {
    pub fn load(root: &Path) -> Res<Table> {
        let path = root.join(FILE);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Table::parse(&text).map_err(|e| format!("{FILE}: {e}"))
    }

    pub fn parse(text: &str) -> Res<Table> {
        let entries = parse_entries(text)?;
        let mut t = Table {
            modules: Vec::new(),
            packages: Vec::new(),
            sets: Vec::new(),
        };
        for (kind, line, fields) in entries {
            let mut f = Fields::new(line, fields);
            match kind.as_str() {
                "module" => {
                    let kind = match f.string("kind")?.as_str() {
                        "native" => Kind::Native,
                        "lua" => Kind::Lua,
                        k => {
                            return Err(format!("line {line}: kind must be native or lua, not {k}"))
                        }
                    };
                    let test_only = f.boolean("test_only")?.unwrap_or(false);
                    let m = Module {
                        name: f.string("name")?,
                        krate: f.string("crate")?,
                        kind,
                        file: f.opt_string("file")?,
                        open: f.opt_string("open")?,
                        open_c: f.opt_string("open_c")?,
                        package: if test_only {
                            None
                        } else {
                            Some(f.string("package")?)
                        },
                    };
                    f.done()?;
                    t.modules.push(m);
                }
                "package" => {
                    let p = Package {
                        name: f.string("name")?,
                        title: f.string("title")?,
                        description: f.string("description")?,
                        depends: f.list("depends")?,
                        optional: f.list("optional")?,
                    };
                    f.done()?;
                    t.packages.push(p);
                }
                "set" => {
                    let budget = match f.opt_string("budget_kb")? {
                        None => None,
                        Some(kb) => Some(
                            kb.parse::<u64>()
                                .map_err(|_| format!("line {line}: budget_kb is a number"))?
                                * 1000,
                        ),
                    };
                    let s = Set {
                        name: f.string("name")?,
                        description: f.string("description")?,
                        modules: f.list("modules")?,
                        budget,
                    };
                    f.done()?;
                    t.sets.push(s);
                }
                other => return Err(format!("line {line}: unknown table [[{other}]]")),
            }
        }
        t.check()?;
        Ok(t)
    }

    /// Consistency of the table itself; the checks against the source tree are tidy tests.
    fn check(&self) -> Res<()> {
        let mut names = BTreeSet::new();
        for m in &self.modules {
            if !names.insert(&m.name) {
                return Err(format!("module {} listed twice", m.name));
            }
            match (m.kind, &m.file) {
                (Kind::Lua, None) => {
                    return Err(format!("module {}: kind lua needs a file", m.name))
                }
                (Kind::Native, Some(_)) => {
                    return Err(format!("module {}: a native module has no file", m.name))
                }
                _ => {}
            }
            if m.package.is_some() && m.open.is_none() && m.open_c.is_none() {
                return Err(format!(
                    "module {}: packaged modules need `open` (the interpreter preloads them)",
                    m.name
                ));
            }
            if let Some(p) = &m.package {
                if self.package(p).is_none() {
                    return Err(format!("module {} names unknown package {p}", m.name));
                }
            }
        }
        for s in &self.sets {
            self.bundle_packages(std::slice::from_ref(&s.name))
                .map_err(|e| format!("set {}: {e}", s.name))?;
        }
        for p in &self.packages {
            if !self
                .modules
                .iter()
                .any(|m| m.package.as_ref() == Some(&p.name))
            {
                return Err(format!("package {} ships no module", p.name));
            }
        }
        Ok(())
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// The modules a package ships.
    pub fn modules_of<'a>(&'a self, pkg: &'a str) -> impl Iterator<Item = &'a Module> + 'a {
        self.modules
            .iter()
            .filter(move |m| m.package.as_deref() == Some(pkg))
    }

    /// Packages of this table that `pkg` depends on, directly or not, `pkg` included.
    pub fn closure(&self, pkg: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![pkg.to_string()];
        while let Some(p) = todo.pop() {
            if let Some(p) = self.package(&p) {
                if seen.insert(p.name.clone()) {
                    todo.extend(p.depends.iter().cloned());
                }
            }
        }
        seen
    }

    /// The packages of a bundle: `all` (or nothing: every package), a [`Set`]'s name, or module
    /// and package names; with the packages they depend on.
    pub fn bundle_packages(&self, wanted: &[String]) -> Res<BTreeSet<String>> {
        let names: &[String] = match wanted {
            [] => return Ok(self.packages.iter().map(|p| p.name.clone()).collect()),
            [one] if one == "all" => return self.bundle_packages(&[]),
            [one] => match self.set(one) {
                Some(s) if s.modules.is_empty() => return self.bundle_packages(&[]),
                Some(s) => &s.modules,
                None => wanted,
            },
            _ => wanted,
        };
        let mut pkgs = BTreeSet::new();
        for w in names {
            let pkg = if self.package(w).is_some() {
                w.clone()
            } else if let Some(p) = self.module(w).and_then(|m| m.package.clone()) {
                p
            } else {
                return Err(format!("no module, package or set named `{w}` in {FILE}"));
            };
            pkgs.extend(self.closure(&pkg));
        }
        pkgs.insert("lua-eco".into());
        Ok(pkgs)
    }

    /// The native crates of the given packages, in table order, each once.
    pub fn native_crates_of(&self, pkgs: &BTreeSet<String>) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in &self.modules {
            let shipped = m.package.as_ref().is_some_and(|p| pkgs.contains(p));
            if m.is_native() && shipped && !out.contains(&m.krate.as_str()) {
                out.push(&m.krate);
            }
        }
        out
    }

    pub fn set(&self, name: &str) -> Option<&Set> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// The crates that provide the given `require` names or packages and everything their
    /// packages depend on, in table order. Unknown names are an error.
    pub fn crates_for(&self, wanted: &[String]) -> Res<Vec<&str>> {
        let mut pkgs = BTreeSet::new();
        for w in wanted {
            let pkg = if self.package(w).is_some() {
                w.clone()
            } else if let Some(p) = self.module(w).and_then(|m| m.package.clone()) {
                p
            } else {
                return Err(format!("no module or package named `{w}` in {FILE}"));
            };
            pkgs.extend(self.closure(&pkg));
        }
        pkgs.insert("lua-eco".into());
        let mut out: Vec<&str> = Vec::new();
        for m in &self.modules {
            if let Some(p) = &m.package {
                if pkgs.contains(p) && !out.contains(&m.krate.as_str()) {
                    out.push(&m.krate);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
# comment
[[package]]
name = "lua-eco"   # trailing comment
title = "T # not a comment"
description = "say \"hi\""
depends = ["liblua5.4"]

[[package]]
name = "lua-eco-x"
title = "X"
description = "x"
depends = ["lua-eco", ]

[[module]]
name = "eco"
crate = "eco-sched"
kind = "native"
open_c = "eco_sched::luaopen_eco"
package = "lua-eco"

[[module]]
name = "eco.x.y"
crate = "eco-x"
kind = "lua"
file = "crates/eco-x/lua/y.lua"
open = "eco_x::open_y"
package = "lua-eco-x"

[[module]]
name = "ecotest"
crate = "eco-testutil"
kind = "native"
test_only = true
"#;

    #[test]
    fn parses_the_subset() {
        let t = Table::parse(SMALL).unwrap();
        assert_eq!(t.packages.len(), 2);
        assert_eq!(t.packages[0].title, "T # not a comment");
        assert_eq!(t.packages[0].description, "say \"hi\"");
        assert_eq!(t.packages[1].depends, vec!["lua-eco"]);
        assert_eq!(t.modules[1].dest(), "eco/x/y.lua");
        assert_eq!(t.modules[0].dest(), "eco.so");
        assert_eq!(t.modules[2].package, None);
        assert_eq!(
            t.closure("lua-eco-x").into_iter().collect::<Vec<_>>(),
            vec!["lua-eco", "lua-eco-x"]
        );
        assert_eq!(
            t.crates_for(&["eco.x.y".into()]).unwrap(),
            vec!["eco-sched", "eco-x"]
        );
        assert!(t.crates_for(&["nope".into()]).is_err());
    }

    #[test]
    fn rejects_mistakes() {
        for (bad, why) in [
            ("[[module]]\nname = \"a\"\nname = \"b\"", "set twice"),
            ("name = \"a\"", "outside"),
            ("[[module]]\nname = \"a", "unterminated"),
            ("[[thing]]\nname = \"a\"", "unknown table"),
            (
                "[[module]]\nname = \"a\"\ncrate = \"c\"\nkind = \"lua\"\ntest_only = true",
                "needs a file",
            ),
            (
                "[[module]]\nname = \"a\"\ncrate = \"c\"\nkind = \"native\"\ntest_only = true\ncolour = \"red\"",
                "unknown key",
            ),
        ] {
            let e = Table::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_repository_table_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let t = Table::load(root).unwrap();
        assert!(t.module("eco").is_some());
        assert!(t.package("lua-eco").is_some());
    }
}
