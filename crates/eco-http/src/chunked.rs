//! Incremental decoder of the chunked transfer coding (RFC 9112 7.1), with explicit limits.
//! The grammar is strict where a lax reading lets a body hide a second request behind a proxy
//! that reads it differently (docs/http.md "Message framing"):
//!
//! * size line: hex digits, then nothing or chunk extensions (`;` after optional spaces or
//!   tabs, their content not interpreted); LF or CRLF terminated;
//! * after each chunk's data one line is read and its content ignored (the documented client
//!   behaviour; the data's length is already fixed by the size line);
//! * size 0: trailer lines (each must contain `:`) until an empty line.
//!
//! The decoder never panics; bytes of an incomplete line are left to the caller, who calls again
//! with them and more bytes.

use mlua::{Lua, MultiValue, Result, UserDataFields, Value};

/// Why a chunked body is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkError {
    /// A size line that is not hex digits (and extensions), or a size that overflows 64 bits.
    BadSize,
    /// A size line, the line after a chunk's data or a trailer line is longer than `max_line`
    /// (line terminator excluded).
    LineTooLong,
    /// A trailer line without `:`.
    BadTrailer,
    /// The sum of the chunk sizes exceeds `max_body`, or the trailer lines (with their line
    /// terminators, the final empty line excluded) exceed `max_trailer` bytes.
    TooLarge,
}

impl ChunkError {
    /// The code given to Lua.
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkError::BadSize => "bad size",
            ChunkError::LineTooLong => "line too long",
            ChunkError::BadTrailer => "bad trailer",
            ChunkError::TooLarge => "too large",
        }
    }
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ChunkError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// Expecting the (ignored) line after a chunk's data.
    DataEnd,
    /// Expecting trailer lines or the final empty line.
    Trailer,
    Done,
    Failed(ChunkError),
}

/// The decoder state.
#[derive(Clone, Debug)]
pub struct Chunked {
    max_line: usize,
    max_trailer: usize,
    max_body: u64,
    body: u64,
    trailer: usize,
    state: State,
}

impl Chunked {
    /// A decoder with its limits: longest line (terminator excluded), total trailer bytes,
    /// sum of the chunk sizes.
    pub fn new(max_line: usize, max_trailer: usize, max_body: u64) -> Self {
        Chunked {
            max_line,
            max_trailer,
            max_body,
            body: 0,
            trailer: 0,
            state: State::Size,
        }
    }

    /// The last chunk and the trailer have been consumed.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Sum of the chunk sizes announced so far.
    pub fn body_size(&self) -> u64 {
        self.body
    }

    /// The next complete line of `buf`: `(content length without CR/LF, bytes with the
    /// terminator)`, `None` when incomplete.
    fn line(&self, buf: &[u8]) -> std::result::Result<Option<(usize, usize)>, ChunkError> {
        let window = self.max_line.saturating_add(2).min(buf.len());
        match buf[..window].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let len = i - usize::from(i > 0 && buf[i - 1] == b'\r');
                if len > self.max_line {
                    return Err(ChunkError::LineTooLong);
                }
                Ok(Some((len, i + 1)))
            }
            None => {
                // No LF in the first max_line + 2 bytes, or max_line + 1 bytes that do not end
                // with the CR of a CRLF: the line is too long whatever follows.
                let ml = self.max_line;
                if buf.len() > ml.saturating_add(1)
                    || (buf.len() == ml.saturating_add(1) && buf.get(ml) != Some(&b'\r'))
                {
                    return Err(ChunkError::LineTooLong);
                }
                Ok(None)
            }
        }
    }

    /// Decodes from `buf`, appending at most `want` body bytes to `out`; returns the number of
    /// bytes of `buf` consumed. One call produces the data of one chunk at most (it returns at
    /// the end of each chunk's data), so the caller loops while bytes are consumed; when nothing
    /// is consumed and not [`done`](Self::done), more input is needed (or `want` was 0).
    /// After an error every call returns the same error.
    pub fn decode(
        &mut self,
        buf: &[u8],
        want: usize,
        out: &mut Vec<u8>,
    ) -> std::result::Result<usize, ChunkError> {
        match self.step(buf, want, out) {
            Ok(n) => Ok(n),
            Err(e) => {
                self.state = State::Failed(e);
                Err(e)
            }
        }
    }

    fn step(
        &mut self,
        buf: &[u8],
        want: usize,
        out: &mut Vec<u8>,
    ) -> std::result::Result<usize, ChunkError> {
        let mut pos = 0;
        let mut produced = 0usize;
        loop {
            let rest = &buf[pos..];
            match self.state {
                State::Failed(e) => return Err(e),
                State::Done => return Ok(pos),
                State::Size => {
                    let Some((len, n)) = self.line(rest)? else {
                        return Ok(pos);
                    };
                    let line = &rest[..len];
                    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                    if digits == 0 || !size_line_tail_ok(&line[digits..]) {
                        return Err(ChunkError::BadSize);
                    }
                    let size = line[..digits]
                        .iter()
                        .try_fold(0u64, |a, &b| {
                            let d = (b as char).to_digit(16)?;
                            a.checked_mul(16)?.checked_add(u64::from(d))
                        })
                        .ok_or(ChunkError::BadSize)?;
                    if size > self.max_body.saturating_sub(self.body) {
                        return Err(ChunkError::TooLarge);
                    }
                    self.body += size;
                    pos += n;
                    self.state = if size == 0 {
                        State::Trailer
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    let room = want.saturating_sub(produced).min(rest.len());
                    let n = usize::try_from(left).map_or(room, |l| l.min(room));
                    if n == 0 {
                        return Ok(pos);
                    }
                    out.extend_from_slice(&rest[..n]);
                    pos += n;
                    produced += n;
                    let left = left - n as u64;
                    if left == 0 {
                        self.state = State::DataEnd;
                        return Ok(pos);
                    }
                    self.state = State::Data(left);
                }
                State::DataEnd => {
                    let Some((_, n)) = self.line(rest)? else {
                        return Ok(pos);
                    };
                    pos += n;
                    self.state = State::Size;
                }
                State::Trailer => {
                    let Some((len, n)) = self.line(rest)? else {
                        return Ok(pos);
                    };
                    if len == 0 {
                        pos += n;
                        self.state = State::Done;
                        continue;
                    }
                    if !rest[..len].contains(&b':') {
                        return Err(ChunkError::BadTrailer);
                    }
                    self.trailer = self.trailer.saturating_add(n);
                    if self.trailer > self.max_trailer {
                        return Err(ChunkError::TooLarge);
                    }
                    pos += n;
                }
            }
        }
    }
}

/// A Lua number as a limit (argument `pos`): nil ⇒ `def`, negative ⇒ 0, huge ⇒ saturated.
fn limit(v: &Value, def: u64, pos: usize) -> Result<u64> {
    match *v {
        Value::Nil => Ok(def),
        Value::Integer(n) => Ok(u64::try_from(n).unwrap_or(0)),
        Value::Number(f) if !f.is_nan() => Ok(if f <= 0.0 { 0 } else { f as u64 }),
        _ => Err(eco_util::type_error(pos, "number", v)),
    }
}

struct LuaChunked(Chunked);

/// Installs the methods of [`LuaChunked`] (once per Lua state).
fn register(lua: &Lua) -> Result<()> {
    {
        // The hot path of chunked bodies: raw arguments, nothing allocated for them.
        let m_decode = eco_util::method_mut3(
            lua,
            "chunked decoder",
            |lua, this: &mut LuaChunked, [buf, want, init]| {
                let buf = match buf {
                    Value::String(s) => s,
                    v @ (Value::Integer(_) | Value::Number(_)) => lua
                        .coerce_string(v.clone())?
                        .ok_or_else(|| eco_util::type_error(2, "string", &v))?,
                    v => return Err(eco_util::type_error(2, "string", &v)),
                };
                let want = limit(&want, u64::MAX, 3)?;
                let init = match init {
                    Value::Nil => None,
                    Value::Integer(i) => Some(i),
                    Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(x as i64),
                    Value::Number(_) => {
                        return Err(eco_util::arg_error(
                            4,
                            "number has no integer representation",
                        ))
                    }
                    v => return Err(eco_util::type_error(4, "number", &v)),
                };
                let want = usize::try_from(want).unwrap_or(usize::MAX);
                let bytes = buf.as_bytes();
                // `init` (1-based, like string.find) lets callers walk a buffer without slicing
                // it after every chunk
                let start = usize::try_from(init.unwrap_or(1).max(1) - 1)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let mut out = Vec::new();
                let mut ret = MultiValue::new();
                match this.0.decode(&bytes[start..], want, &mut out) {
                    Ok(used) => {
                        ret.push_back(Value::String(lua.create_string(&out)?));
                        ret.push_back(Value::Integer(used as i64));
                        ret.push_back(Value::Boolean(this.0.done()));
                    }
                    Err(e) => {
                        ret.push_back(Value::Nil);
                        ret.push_back(Value::String(lua.create_string(e.as_str())?));
                    }
                }
                Ok(ret)
            },
        )?;
        let m_done = eco_util::method(lua, "chunked decoder", |_, this: &LuaChunked, ()| {
            Ok(this.0.done())
        })?;
        eco_util::register::<LuaChunked>(lua, move |r| {
            r.add_field("decode", m_decode);
            r.add_field("done", m_done);
        })
    }
}

/// `chunked(max_line?, max_trailer?, max_body?)` (defaults 4096, 65536, 1 GiB) ⇒ a decoder
/// object with `decode(buf, want?, init?) -> data, used, done | nil, code` (`used`: bytes consumed
/// from position `init`, default 1; code: `'bad size'`,
/// `'line too long'`, `'bad trailer'`, `'too large'`) and `done()`.
pub fn constructor(lua: &Lua) -> Result<mlua::Function> {
    register(lua)?;
    eco_util::function(lua, |lua, (ml, mt, mb): (Value, Value, Value)| {
        let ml = usize::try_from(limit(&ml, 4096, 1)?).unwrap_or(usize::MAX);
        let mt = usize::try_from(limit(&mt, 65536, 2)?).unwrap_or(usize::MAX);
        let mb = limit(&mb, 1 << 30, 3)?;
        lua.create_any_userdata(LuaChunked(Chunked::new(ml, mt, mb)))
    })
}

/// What may follow the hex digits of a chunk-size line (RFC 9112 7.1): nothing, or chunk
/// extensions, which start with `;` after optional whitespace. `3zz` or `3 ` is not a size.
fn size_line_tail_ok(tail: &[u8]) -> bool {
    let ext = tail.trim_ascii_start();
    tail.is_empty()
        || (ext.first() == Some(&b';')
            && tail[..tail.len() - ext.len()]
                .iter()
                .all(|&b| b == b' ' || b == b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` like a reader would: keeps unconsumed bytes, calls until no progress.
    /// Returns (body, total consumed, done, error).
    fn feed(
        dec: &mut Chunked,
        pieces: &[&[u8]],
        mut want: impl FnMut() -> usize,
    ) -> (Vec<u8>, usize, bool, Option<ChunkError>) {
        let mut pending = Vec::new();
        let mut body = Vec::new();
        let mut consumed = 0;
        for p in pieces {
            pending.extend_from_slice(p);
            loop {
                let before = body.len();
                let w = want();
                match dec.decode(&pending, w, &mut body) {
                    Ok(n) => {
                        assert!(n <= pending.len());
                        assert!(body.len() - before <= w);
                        pending.drain(..n);
                        consumed += n;
                        if dec.done() || (n == 0 && body.len() == before && w > 0) {
                            break;
                        }
                    }
                    Err(e) => return (body, consumed, false, Some(e)),
                }
            }
            if dec.done() {
                break;
            }
        }
        (body, consumed, dec.done(), None)
    }

    fn one(input: &[u8]) -> (Vec<u8>, usize, bool, Option<ChunkError>) {
        feed(&mut Chunked::new(64, 256, 1 << 20), &[input], || usize::MAX)
    }

    #[test]
    fn basic() {
        let (b, n, done, e) = one(b"3;ext\r\nabc\r\n0\r\nTrailer: x\r\n\r\nnext");
        assert_eq!((b.as_slice(), n, done, e), (&b"abc"[..], 29, true, None));
        // LF only, upper/lower hex, extensions after blanks, data line content ignored
        let (b, _, done, e) =
            one(b"A\nabcdefghij\n1f \t;x=\"y\"\n0123456789012345678901234567890 ignored\n0\n\n");
        assert_eq!(b, b"abcdefghij0123456789012345678901234567890");
        assert!(done && e.is_none());
        // not a size: trailing junk, or blanks without an extension
        for bad in [
            &b"3zz\r\nabc\r\n0\r\n\r\n"[..],
            b"3 \r\nabc\r\n0\r\n\r\n",
            b"-3\r\n",
            b"0x3\r\n",
        ] {
            assert_eq!(
                one(bad).3,
                Some(ChunkError::BadSize),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // leading zeros are fine
        assert_eq!(one(b"0000000000000000000003\r\nabc\r\n0\r\n\r\n").0, b"abc");
        // incomplete: nothing more to do, not done
        let (b, n, done, e) = one(b"3\r\nab");
        assert_eq!((b.as_slice(), n, done, e), (&b"ab"[..], 5, false, None));
        let (_, n, done, _) = one(b"3\r");
        assert_eq!((n, done), (0, false));
    }

    #[test]
    fn one_chunk_per_call() {
        let mut d = Chunked::new(64, 64, 100);
        let input = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut out = Vec::new();
        let n = d.decode(input, usize::MAX, &mut out).unwrap();
        assert_eq!((out.as_slice(), n), (&b"abc"[..], 6));
        out.clear();
        let n2 = d.decode(&input[n..], usize::MAX, &mut out).unwrap();
        assert_eq!((out.as_slice(), n2), (&b"de"[..], 7));
        out.clear();
        let n3 = d.decode(&input[n + n2..], usize::MAX, &mut out).unwrap();
        assert_eq!(
            (out.as_slice(), n + n2 + n3, d.done()),
            (&b""[..], input.len(), true)
        );
        assert_eq!(d.decode(b"more", 10, &mut out), Ok(0));
        // want bounds the output
        let mut d = Chunked::new(64, 64, 100);
        out.clear();
        assert_eq!(d.decode(b"5\r\nabcde\r\n", 2, &mut out), Ok(5));
        assert_eq!(out, b"ab");
        assert_eq!(d.decode(b"cde\r\n", 0, &mut out), Ok(0));
        assert_eq!(d.decode(b"cde\r\n", 9, &mut out), Ok(3));
        assert_eq!(out, b"abcde");
    }

    #[test]
    fn errors() {
        assert_eq!(one(b"zz\r\n").3, Some(ChunkError::BadSize));
        assert_eq!(one(b"\r\n").3, Some(ChunkError::BadSize));
        assert_eq!(one(b";x\r\n").3, Some(ChunkError::BadSize));
        assert_eq!(one(b"10000000000000000\r\n").3, Some(ChunkError::BadSize));
        assert_eq!(
            one(b"0\r\nbad trailer\r\n\r\n").3,
            Some(ChunkError::BadTrailer)
        );
        // a lone CR is not an empty line (the old readline stripped one CR)
        assert_eq!(one(b"0\r\n\r\r\n").3, Some(ChunkError::BadTrailer));
        // max_body: sum of chunk sizes
        let mut d = Chunked::new(64, 64, 5);
        assert_eq!(
            feed(&mut d, &[b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"], || 99).3,
            None
        );
        let mut d = Chunked::new(64, 64, 4);
        let r = feed(&mut d, &[b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"], || 99);
        assert_eq!(
            (r.0.as_slice(), r.3),
            (&b"abc"[..], Some(ChunkError::TooLarge))
        );
        let mut d = Chunked::new(64, 64, u64::MAX);
        assert_eq!(feed(&mut d, &[b"ffffffffffffffff\r\nab"], || 99).3, None);
        // errors are sticky
        let mut d = Chunked::new(64, 64, 4);
        let mut out = Vec::new();
        assert_eq!(d.decode(b"9\r\n", 9, &mut out), Err(ChunkError::TooLarge));
        assert_eq!(
            d.decode(b"0\r\n\r\n", 9, &mut out),
            Err(ChunkError::TooLarge)
        );
        // trailer total: 2 lines of 5 bytes with CRLF fit in 10, not in 9
        let t = b"0\r\na:1\r\nb:2\r\n\r\n";
        assert!(feed(&mut Chunked::new(64, 10, 9), &[t], || 9).2);
        assert_eq!(
            feed(&mut Chunked::new(64, 9, 9), &[t], || 9).3,
            Some(ChunkError::TooLarge)
        );
        assert!(feed(&mut Chunked::new(64, 0, 9), &[b"0\r\n\r\n"], || 9).2);
    }

    #[test]
    fn line_limits() {
        let ml = 8;
        let lim = |s: &[u8]| feed(&mut Chunked::new(ml, 64, 1 << 20), &[s], || 99);
        // exactly max_line bytes, CRLF or LF
        assert_eq!(lim(b"3;567890\r\nabc\r\n0\r\n\r\n").0, b"abc");
        assert!(lim(b"3;567890\nabc\n0\n\n").2);
        assert_eq!(lim(b"3;5678901\r\n").3, Some(ChunkError::LineTooLong));
        assert_eq!(lim(b"3;5678901\n").3, Some(ChunkError::LineTooLong));
        // incomplete lines: error as soon as it cannot fit any more
        assert_eq!(lim(b"3;567890\r").3, None);
        assert_eq!(lim(b"3;5678901").3, Some(ChunkError::LineTooLong));
        assert_eq!(lim(b"3;567890").3, None);
        // the line after the data and trailer lines are bounded too
        assert_eq!(lim(b"1\r\nx123456789\r\n").3, Some(ChunkError::LineTooLong));
        assert_eq!(lim(b"0\r\na:34567890\r\n").3, Some(ChunkError::LineTooLong));
        assert!(lim(b"0\r\na:345678\r\n\r\n").2);
        // max_line 0: only empty lines; usize::MAX: no overflow
        assert_eq!(
            feed(&mut Chunked::new(0, 64, 9), &[b"1\r\n"], || 9).3,
            Some(ChunkError::LineTooLong)
        );
        assert!(
            feed(
                &mut Chunked::new(usize::MAX, usize::MAX, u64::MAX),
                &[b"1\r\nx\r\n0\r\n\r\n"],
                || 9
            )
            .2
        );
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn encode(r: &mut Rng, body: &[u8]) -> Vec<u8> {
        let mut enc = Vec::new();
        let mut i = 0;
        while i < body.len() {
            let n = (1 + r.below(20)).min(body.len() - i);
            let ext = if r.below(3) == 0 { ";a=b" } else { "" };
            let nl = if r.below(2) == 0 { "\r\n" } else { "\n" };
            enc.extend_from_slice(format!("{n:x}{ext}{nl}").as_bytes());
            enc.extend_from_slice(&body[i..i + n]);
            enc.extend_from_slice(nl.as_bytes());
            i += n;
        }
        enc.extend_from_slice(b"0\r\n");
        if r.below(2) == 0 {
            enc.extend_from_slice(b"X-T: 1\r\n");
        }
        enc.extend_from_slice(b"\r\n");
        enc
    }

    fn split<'a>(r: &mut Rng, input: &'a [u8]) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < input.len() {
            let n = 1 + r.below(7.min(input.len() - i));
            pieces.push(&input[i..i + n]);
            i += n;
        }
        pieces
    }

    /// Property: random splits (and random `want`s) of a valid encoding decode to the same
    /// body as one piece; garbage never panics, consumed <= len and the result does not depend
    /// on the split either.
    #[test]
    fn randomized_splits() {
        let mut r = Rng(0x853c49e6748fea9b);
        for round in 0..20_000 {
            let input = if round % 2 == 0 {
                let body: Vec<u8> = (0..r.below(80)).map(|_| r.next() as u8).collect();
                let enc = encode(&mut r, &body);
                let whole = one(&enc);
                assert_eq!(
                    (whole.0.as_slice(), whole.1, whole.2),
                    (body.as_slice(), enc.len(), true)
                );
                enc
            } else {
                let alphabet = b"0123456789aAfFgz;:\r\n \x00";
                (0..r.below(60))
                    .map(|_| alphabet[r.below(alphabet.len())])
                    .collect()
            };
            let whole = feed(&mut Chunked::new(16, 32, 200), &[&input], || usize::MAX);
            let pieces = split(&mut r, &input);
            let mut wr = Rng(r.next() | 1);
            let mut d = Chunked::new(16, 32, 200);
            let parts = feed(&mut d, &pieces, || wr.below(12));
            if whole.3.is_some() {
                // bytes consumed before the failing call differ with the split
                assert_eq!((&parts.0, parts.3), (&whole.0, whole.3));
            } else {
                assert_eq!(parts, whole);
            }
            assert!(whole.1 <= input.len());
            assert!(whole.0.len() <= 200);
        }
    }

    /// The Lua glue: return shapes and error codes.
    #[test]
    fn lua_glue() {
        let lua = Lua::new();
        lua.globals()
            .set("chunked", constructor(&lua).unwrap())
            .unwrap();
        lua.load(
            r#"
            local d = chunked(16, 64, 10)
            local function n(...) return select('#', ...), ... end
            assert(select('#', d:decode('3\r\nab', 10)) == 3)
            local c, data, used, done = n(d:decode('', 10))
            assert(c == 3 and data == '' and used == 0 and done == false)
            c, data, used, done = n(d:decode('c\r\n0\r\nA: b\r\n\r\nrest', math.maxinteger))
            assert(c == 3 and data == 'c' and used == 1 and done == false)
            data, used, done = d:decode('\r\n0\r\nA: b\r\n\r\nrest')
            assert(data == '' and used == 13 and done == true and d:done())
            for _, case in ipairs({
                { 'zz\r\n', 'bad size' }, { string.rep('1', 20), 'line too long' },
                { '0\r\nnocolon\r\n', 'bad trailer' }, { 'b\r\n', 'too large' },
            }) do
                local e = chunked(16, 64, 10)
                c, data, used = n(e:decode(case[1], 99))
                assert(c == 2 and data == nil and used == case[2], case[2])
                assert(select(2, e:decode('0\r\n\r\n', 1)) == case[2])
            end
            local e = chunked()
            assert(select(2, e:decode(string.rep('1', 4097) .. '\r\n')) == 'line too long')
            assert(not pcall(chunked, 'x'))
            local ok, err = pcall(function() return d:decode({}) end)
            assert(not ok and err:find("bad argument #1 to 'decode' (string expected, got table)", 1, true), err)
            ok, err = pcall(function() return d:decode('', 1, {}) end)
            assert(not ok and err:find("bad argument #3 to 'decode' (number expected, got table)", 1, true), err)
            ok, err = pcall(function() return d.decode({}, '') end)
            assert(not ok and err:find("bad argument #1 to 'decode' (chunked decoder expected, got table)", 1, true), err)
            ok, err = pcall(function() return chunked({}) end)
            assert(not ok and err:find("bad argument #1 to 'chunked' (number expected, got table)", 1, true), err)
            "#,
        )
        .exec()
        .unwrap();
    }
}
