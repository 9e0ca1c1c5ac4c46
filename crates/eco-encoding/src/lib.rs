//! `eco.encoding.base64` and `eco.encoding.hex` (spec/encoding.md).
//!
//! One crate, one `.so` (`eco/encoding.so`) with the entry points `luaopen_eco_encoding_base64`,
//! `luaopen_eco_encoding_hex` and `luaopen_eco_encoding` (a table of both); the files
//! `eco/encoding/<m>.lua` are 3-line aliases loading the matching entry point.
//!
//! Decoders are strict and all-or-nothing: malformed input gives `nil, "input is malformed"`,
//! never a partial result.
#![forbid(unsafe_code)]

use mlua::{Lua, MultiValue, Result, Table, Value};

pub const MALFORMED: &str = "input is malformed";

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 0xff;
const PAD: u8 = 0xfe;

/// Decoding table: 6-bit value, `PAD` for `=`, `INVALID` for everything else.
const B64_DEC: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[B64[i] as usize] = i as u8;
        i += 1;
    }
    t[b'=' as usize] = PAD;
    t
};

/// Pairs of base64 characters for 12-bit groups, packed little-endian in a `u16`: one lookup
/// yields two output bytes.
fn b64_pairs() -> &'static [u16; 4096] {
    static PAIRS: std::sync::OnceLock<Box<[u16; 4096]>> = std::sync::OnceLock::new();
    PAIRS.get_or_init(|| {
        let mut t = Box::new([0u16; 4096]);
        for (i, p) in t.iter_mut().enumerate() {
            *p = u16::from_le_bytes([B64[i >> 6], B64[i & 63]]);
        }
        t
    })
}

/// Standard base64 with `=` padding, no line breaks.
pub fn base64_encode(src: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; src.len().div_ceil(3) * 4];
    let p = b64_pairs();
    // Fast path: 6 input bytes -> 8 output bytes per step, from one big-endian 8-byte load and
    // four 12-bit lookups (the load needs 2 bytes of slack past the 6 it consumes).
    let steps = if src.len() >= 8 {
        (src.len() - 2) / 6
    } else {
        0
    };
    for (k, o) in out.chunks_exact_mut(8).take(steps).enumerate() {
        let i = k * 6;
        let n = u64::from_be_bytes(src[i..i + 8].try_into().unwrap());
        let w = p[(n >> 52) as usize & 0xfff] as u64
            | (p[(n >> 40) as usize & 0xfff] as u64) << 16
            | (p[(n >> 28) as usize & 0xfff] as u64) << 32
            | (p[(n >> 16) as usize & 0xfff] as u64) << 48;
        o.copy_from_slice(&w.to_le_bytes());
    }
    // The rest: 3 input bytes -> 4 output bytes; then the padded end.
    let (src, tail) = (&src[steps * 6..], &mut out[steps * 8..]);
    let mut chunks = src.chunks_exact(3);
    for (chunk, o) in (&mut chunks).zip(tail.chunks_exact_mut(4)) {
        let n = (chunk[0] as usize) << 16 | (chunk[1] as usize) << 8 | chunk[2] as usize;
        let w = p[n >> 12] as u32 | (p[n & 0xfff] as u32) << 16;
        o.copy_from_slice(&w.to_le_bytes());
    }
    let rest = chunks.remainder();
    // A partial group is the last quartet of the output.
    let len = out.len();
    let o = &mut out[len.saturating_sub(4)..];
    match rest.len() {
        1 => {
            let n = rest[0] as usize;
            o.copy_from_slice(&[B64[n >> 2], B64[(n & 3) << 4], b'=', b'=']);
        }
        2 => {
            let n = (rest[0] as usize) << 8 | rest[1] as usize;
            o.copy_from_slice(&[B64[n >> 10], B64[(n >> 4) & 63], B64[(n & 15) << 2], b'=']);
        }
        _ => {}
    }
    out
}

/// Strict base64 decoding (spec/encoding.md 1): length a multiple of 4, alphabet only, `=` only
/// as the last one or two characters of the final quartet (`xx=y` refused); unused trailing bits
/// are not checked. `None` if malformed.
pub fn base64_decode(src: &[u8]) -> Option<Vec<u8>> {
    if !src.len().is_multiple_of(4) {
        return None;
    }
    if src.is_empty() {
        return Some(Vec::new());
    }
    let (body, last) = src.split_at(src.len() - 4);
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    for q in body.chunks_exact(4) {
        let a = B64_DEC[q[0] as usize];
        let b = B64_DEC[q[1] as usize];
        let c = B64_DEC[q[2] as usize];
        let d = B64_DEC[q[3] as usize];
        // PAD and INVALID both have the top bit set.
        if (a | b | c | d) & 0x80 != 0 {
            return None;
        }
        let n = (a as u32) << 18 | (b as u32) << 12 | (c as u32) << 6 | d as u32;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let [a, b, c, d] = [last[0], last[1], last[2], last[3]].map(|x| B64_DEC[x as usize]);
    if (a | b) & 0x80 != 0 || c == INVALID || d == INVALID {
        return None;
    }
    match (c == PAD, d == PAD) {
        (false, false) => {
            let n = (a as u32) << 18 | (b as u32) << 12 | (c as u32) << 6 | d as u32;
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        }
        (false, true) => {
            let n = (a as u32) << 18 | (b as u32) << 12 | (c as u32) << 6;
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8]);
        }
        (true, true) => {
            let n = (a as u32) << 18 | (b as u32) << 12;
            out.push((n >> 16) as u8);
        }
        (true, false) => return None,
    }
    Some(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex, `sep` between bytes.
pub fn hex_encode(src: &[u8], sep: &[u8]) -> Vec<u8> {
    if src.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(src.len() * 2 + (src.len() - 1) * sep.len());
    for (i, &b) in src.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Even-length strings of hex digits only; `None` otherwise.
pub fn hex_decode(src: &[u8]) -> Option<Vec<u8>> {
    if !src.len().is_multiple_of(2) {
        return None;
    }
    src.chunks_exact(2)
        .map(|p| Some(hex_val(p[0])? << 4 | hex_val(p[1])?))
        .collect()
}

/// The `hexdump -C`-like dump of spec/encoding.md 2 (single space after the offset, no closing
/// `|`, no final offset line).
pub fn hex_dump(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len().div_ceil(16) * 78);
    for (line, chunk) in src.chunks(16).enumerate() {
        let off = line * 16;
        for shift in (0..8).rev() {
            out.push(HEX[(off >> (shift * 4)) & 15]);
        }
        out.push(b' ');
        for i in 0..16 {
            match chunk.get(i) {
                Some(&b) => {
                    out.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize], b' '])
                }
                None => out.extend_from_slice(b"   "),
            }
            if i == 7 {
                out.push(b' ');
            }
        }
        out.extend_from_slice(b" |");
        out.extend(
            chunk
                .iter()
                .map(|&b| if b < 32 || b == 127 { b'.' } else { b }),
        );
        out.push(b'\n');
    }
    out
}

fn bad_arg(n: usize, f: &str, v: &Value) -> mlua::Error {
    mlua::Error::runtime(format!(
        "bad argument #{n} to '{f}' (string expected, got {})",
        eco_util::lua_type_name(v)
    ))
}

/// `luaL_checklstring`: a string, or a number in its Lua string form; anything else raises.
fn string_or_number(lua: &Lua, v: Value, n: usize, f: &str) -> Result<mlua::LuaString> {
    match v {
        Value::String(s) => Ok(s),
        Value::Integer(_) | Value::Number(_) => match lua.coerce_string(v.clone())? {
            Some(s) => Ok(s),
            None => Err(bad_arg(n, f, &v)),
        },
        other => Err(bad_arg(n, f, &other)),
    }
}

/// A string only (numbers raise too: the reference uses the argument as a string object).
fn string_only(v: Value, n: usize, f: &str) -> Result<mlua::LuaString> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(bad_arg(n, f, &other)),
    }
}

/// `value` on success, `nil, "input is malformed"` otherwise (exactly 1 or 2 values).
fn decoded(lua: &Lua, r: Option<Vec<u8>>) -> Result<MultiValue> {
    Ok(match r {
        Some(v) => MultiValue::from_vec(vec![Value::String(lua.create_string(v)?)]),
        None => MultiValue::from_vec(vec![
            Value::Nil,
            Value::String(lua.create_string(MALFORMED)?),
        ]),
    })
}

/// `eco.encoding.base64`: `encode`, `decode`.
pub fn open_base64(lua: &Lua) -> Result<Value> {
    let t = lua.create_table()?;
    t.set(
        "encode",
        eco_util::function(lua, |lua, data: Value| {
            let s = string_or_number(lua, data, 1, "encode")?;
            lua.create_string(base64_encode(&s.as_bytes()))
        })?,
    )?;
    t.set(
        "decode",
        eco_util::function(lua, |lua, text: Value| {
            let s = string_or_number(lua, text, 1, "decode")?;
            let r = base64_decode(&s.as_bytes());
            decoded(lua, r)
        })?,
    )?;
    Ok(Value::Table(t))
}

/// `eco.encoding.hex`: `encode`, `decode`, `dump`.
pub fn open_hex(lua: &Lua) -> Result<Value> {
    let t = lua.create_table()?;
    t.set(
        "encode",
        eco_util::function(lua, |lua, (bin, sep): (Value, Value)| {
            let s = string_only(bin, 1, "encode")?;
            let sep = match sep {
                Value::Nil => None,
                v => Some(string_or_number(lua, v, 2, "encode")?),
            };
            let sep_bytes = sep.as_ref().map(|s| s.as_bytes());
            let out = hex_encode(&s.as_bytes(), sep_bytes.as_deref().unwrap_or(b""));
            lua.create_string(out)
        })?,
    )?;
    t.set(
        "decode",
        eco_util::function(lua, |lua, text: Value| {
            let s = string_only(text, 1, "decode")?;
            let r = hex_decode(&s.as_bytes());
            decoded(lua, r)
        })?,
    )?;
    t.set(
        "dump",
        eco_util::function(lua, |lua, data: Value| {
            let s = string_only(data, 1, "dump")?;
            lua.create_string(hex_dump(&s.as_bytes()))
        })?,
    )?;
    Ok(Value::Table(t))
}

/// `eco.encoding`: `{ base64 = ..., hex = ... }`, loaded through `require` so that the tables
/// are the ones `require 'eco.encoding.<m>'` returns.
pub fn open(lua: &Lua) -> Result<Value> {
    let require: mlua::Function = lua.globals().get("require")?;
    let t: Table = lua.create_table()?;
    for m in ["base64", "hex"] {
        let r: MultiValue = require.call(format!("eco.encoding.{m}"))?;
        t.set(m, r.into_iter().next().unwrap_or(Value::Nil))?;
    }
    Ok(Value::Table(t))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_encoding")]
fn eco_encoding(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_encoding_base64")]
fn eco_encoding_base64(lua: &Lua) -> Result<Value> {
    open_base64(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_encoding_hex")]
fn eco_encoding_hex(lua: &Lua) -> Result<Value> {
    open_hex(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648() {
        let v: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (plain, enc) in v {
            assert_eq!(base64_encode(plain), *enc);
            assert_eq!(base64_decode(enc).as_deref(), Some(*plain));
        }
    }

    #[test]
    fn base64_strict() {
        for bad in [
            &b"abc"[..],
            b"ab#=",
            b"ab\n=",
            b"====",
            b"=AAA",
            b"A===",
            b"AA=A",
            b"AAAA=AAA",
            b"AAAAAA=A",
            b"AAA=AAAA",
            b"AA==AAAA",
            b"Zm9v\n",
            b"Zm-_",
        ] {
            assert_eq!(
                base64_decode(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(base64_decode(b"QR=="), base64_decode(b"QQ=="));
    }

    #[test]
    fn base64_round_trip_all_lengths() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for n in 0..data.len() {
            assert_eq!(
                base64_decode(&base64_encode(&data[..n])).as_deref(),
                Some(&data[..n])
            );
        }
    }

    #[test]
    fn hex() {
        assert_eq!(hex_encode(b"\x01\xab", b":"), b"01:ab");
        assert_eq!(hex_encode(b"", b":"), b"");
        assert_eq!(hex_decode(b"0aFF").as_deref(), Some(&b"\x0a\xff"[..]));
        assert_eq!(hex_decode(b"0a F"), None);
        assert_eq!(hex_decode(b"abc"), None);
        assert_eq!(hex_decode(b"0x0a"), None);
    }

    #[test]
    fn dump() {
        let mut want = b"00000000 68 65 6c 6c 6f".to_vec();
        want.extend(std::iter::repeat_n(b' ', 35));
        want.extend_from_slice(b" |hello\n");
        assert_eq!(hex_dump(b"hello"), want);
        assert_eq!(
            hex_dump(b"0123456789abcdef"),
            b"00000000 30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef\n"
        );
        assert_eq!(hex_dump(b""), b"");
    }
}

#[cfg(test)]
mod speed {
    /// `cargo test --release -p eco-encoding -- --ignored --nocapture speed`
    #[test]
    #[ignore]
    fn speed() {
        let data: Vec<u8> = (0..64u32 << 20)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let e = super::base64_encode(&data);
            let dt = t.elapsed().as_secs_f64();
            let t2 = std::time::Instant::now();
            let d = super::base64_decode(&e).unwrap();
            let dt2 = t2.elapsed().as_secs_f64();
            assert_eq!(d.len(), data.len());
            println!(
                "encode {:.0} MB/s, decode {:.0} MB/s",
                64.0 / dt,
                64.0 / dt2
            );
        }
    }
}
