//! The Lua parts of the modules as they are embedded in the native code: ~180 KB of
//! well-commented source in the repository, stored with comments, indentation and repeated
//! blanks removed (keeping every line break, so that error messages and tracebacks name the
//! repository's line numbers) and then packed (module [`lz`], about 40%). A router keeps only that.
//!
//! A module crate's `build.rs` calls [`build::pack_lua_dir`] (feature `build`), which writes
//! `$OUT_DIR/<file>.lz` for every `lua/*.lua`; the crate embeds one with
//! `lua_source!("time.lua")` and loads it with `lua.load(SOURCE.text())`.
//!
//! The rewrite only touches text outside strings: a file with a long string or long comment
//! (`[[`, `[=[`, `--[[`) or a string continued over a line break is kept as it is.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "build"))]
extern crate std;

#[cfg(feature = "build")]
pub mod build;
pub mod lz;

use alloc::vec::Vec;

/// A packed Lua source embedded by [`lua_source!`].
#[derive(Clone, Copy)]
pub struct Source(pub &'static [u8]);

impl Source {
    /// The (minified) Lua text.
    pub fn text(&self) -> Vec<u8> {
        lz::unpack(self.0).expect("embedded Lua source packed by eco-luasrc's build step")
    }
}

/// `lua_source!("time.lua")`: the crate's `lua/time.lua` as packed by its build script, a
/// [`Source`].
#[macro_export]
macro_rules! lua_source {
    ($file:literal) => {
        $crate::Source(include_bytes!(concat!(env!("OUT_DIR"), "/", $file, ".lz")))
    };
}

/// `src` without comments, indentation and repeated blanks (line breaks kept).
pub fn minify(src: &[u8]) -> Vec<u8> {
    let mut out = alloc::vec![0u8; scan(src, &mut [])];
    scan(src, &mut out);
    out
}

/// Writes the minified text into `out` as far as it fits and returns its full length; the
/// source unchanged where it cannot be rewritten safely.
fn scan(src: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    let mut o = 0;
    // A blank seen in code and not yet written: written only before more code on the line.
    let mut blank = false;
    let mut line_start = true;
    while i < src.len() {
        let c = src[i];
        let next = if i + 1 < src.len() { src[i + 1] } else { 0 };
        if c == b'\n' {
            o = put(out, o, b'\n');
            blank = false;
            line_start = true;
            i += 1;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' {
            blank = !line_start;
            i += 1;
            continue;
        }
        if c == b'-' && next == b'-' {
            if i + 2 < src.len() && src[i + 2] == b'[' && long_bracket(src, i + 2) {
                return verbatim(src, out);
            }
            while i < src.len() && src[i] != b'\n' {
                i += 1;
            }
            blank = false;
            continue;
        }
        if c == b'[' && long_bracket(src, i) {
            return verbatim(src, out);
        }
        if blank {
            o = put(out, o, b' ');
            blank = false;
        }
        line_start = false;
        if c == b'"' || c == b'\'' {
            // A short string, copied as is up to its closing quote on this line.
            o = put(out, o, c);
            i += 1;
            loop {
                if i >= src.len() || src[i] == b'\n' {
                    return verbatim(src, out);
                }
                let d = src[i];
                o = put(out, o, d);
                i += 1;
                if d == b'\\' {
                    if i >= src.len() || src[i] == b'\n' || src[i] == b'\r' || src[i] == b'z' {
                        return verbatim(src, out);
                    }
                    o = put(out, o, src[i]);
                    i += 1;
                } else if d == c {
                    break;
                }
            }
            continue;
        }
        o = put(out, o, c);
        i += 1;
    }
    o
}

/// `[[` or `[=...=[` at `i`: the opening of a long string or comment.
fn long_bracket(src: &[u8], mut i: usize) -> bool {
    i += 1;
    while i < src.len() && src[i] == b'=' {
        i += 1;
    }
    i < src.len() && src[i] == b'['
}

fn put(out: &mut [u8], o: usize, c: u8) -> usize {
    if o < out.len() {
        out[o] = c;
    }
    o + 1
}

fn verbatim(src: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    while i < src.len() {
        put(out, i, src[i]);
        i += 1;
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn min(s: &str) -> String {
        let out = minify(s.as_bytes());
        assert_eq!(scan(s.as_bytes(), &mut []), out.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strips_comments_indentation_and_blanks() {
        let src = "--- doc\nlocal  x = 1 -- one\n    if x then\n\treturn   'a -- b'  -- c\n  end\n";
        assert_eq!(min(src), "\nlocal x = 1\nif x then\nreturn 'a -- b'\nend\n");
    }

    #[test]
    fn keeps_line_numbers_and_strings() {
        let src = "a = \"x\\\"  -- y\"\nb = 'q\\'  r' .. \"s\"\n\n\nc = 2";
        let m = min(src);
        assert_eq!(m.lines().count(), src.lines().count());
        assert_eq!(m, "a = \"x\\\"  -- y\"\nb = 'q\\'  r' .. \"s\"\n\n\nc = 2");
    }

    #[test]
    fn leaves_unsafe_files_alone() {
        for src in [
            "x = [[\n  a -- b\n]]",
            "--[[ long\n comment ]]\nx = 1",
            "x = [==[ ]==]",
            "x = 'a\\\n   b'",
            "x = 'a\\z\n   b'",
            "x = 'unterminated\n",
        ] {
            assert_eq!(min(src), src);
        }
        // `t[ [` is not a long bracket, `t[x]` neither.
        assert_eq!(min("t[x] = t[ y ]  -- z"), "t[x] = t[ y ]");
    }
}
