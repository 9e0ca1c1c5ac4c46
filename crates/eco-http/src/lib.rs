#![forbid(unsafe_code)]
//! eco.http.url, eco.http.client and eco.http.server: one shared object with an entry point per
//! module. The protocol flow is Lua (`lua/*.lua`); the request/response head parsers (httparse,
//! with the server's size limits) and the HTTP date helpers are native.

use mlua::{Lua, MultiValue, Result, Table, Value};

pub mod chunked;
pub mod server;
pub mod url;

const CLIENT_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("client.lua");
const SERVER_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("server.lua");

/// Size limits of a request head (server side).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest request line (bytes, without the line terminator) ⇒ 414 beyond.
    pub max_line: usize,
    /// Longest header line ⇒ 431 beyond.
    pub max_header_line: usize,
    /// Most header lines ⇒ 431 beyond.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 8192,
            max_header_line: 8192,
            max_headers: 100,
        }
    }
}

/// A complete request head.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: Vec<u8>,
    pub minor: u8,
    /// Lowercased names with their raw values, in wire order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Bytes of the head, leading empty lines and the blank line included.
    pub len: usize,
}

/// A complete response head.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub code: i64,
    pub reason: Vec<u8>,
    pub minor: u8,
    pub headers: Vec<(String, Vec<u8>)>,
    pub len: usize,
}

fn find_nl(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| p + from)
}

fn line_len(buf: &[u8], start: usize, nl: usize) -> usize {
    let mut end = nl;
    if end > start && buf[end - 1] == b'\r' {
        end -= 1;
    }
    end - start
}

/// A complete request head, borrowing from the buffer and the header storage.
pub struct Head<'b, 'h> {
    pub method: &'b str,
    pub path: &'b [u8],
    pub minor: u8,
    /// Names as received (not lowercased) with their raw values, in wire order.
    pub headers: &'h [httparse::Header<'b>],
    /// Bytes of the head, leading empty lines and the blank line included.
    pub len: usize,
    /// How the body is delimited (already checked: a bad one is a 400).
    pub framing: Framing,
}

/// Header slots for [`parse_head`]: `storage` must hold at least `lim.max_headers` entries.
pub type HeaderSlot<'b> = std::mem::MaybeUninit<httparse::Header<'b>>;

/// Parses a request head from the bytes received so far, without allocating.
/// `Ok(None)`: need more bytes; `Err(status)`: reject with that status (400, 414, 431).
pub fn parse_head<'b, 'h>(
    buf: &'b [u8],
    lim: &Limits,
    storage: &'h mut [HeaderSlot<'b>],
) -> std::result::Result<Option<Head<'b, 'h>>, u16> {
    // Leading empty lines are ignored (RFC 9112 2.2), but not without bound.
    let mut pos = 0;
    loop {
        match buf.get(pos) {
            Some(b'\n') => pos += 1,
            Some(b'\r') if buf.get(pos + 1) == Some(&b'\n') => pos += 2,
            Some(b'\r') if pos + 1 == buf.len() => return Ok(None),
            _ => break,
        }
        if pos > lim.max_line {
            return Err(400);
        }
    }
    // Pre-scan the lines so that limits are enforced before the head is complete.
    let Some(nl) = find_nl(buf, pos) else {
        return if buf.len() - pos > lim.max_line {
            Err(414)
        } else {
            Ok(None)
        };
    };
    if line_len(buf, pos, nl) > lim.max_line {
        return Err(414);
    }
    let mut p = nl + 1;
    let mut count = 0;
    loop {
        let Some(nl) = find_nl(buf, p) else {
            if buf.len() - p > lim.max_header_line {
                return Err(431);
            }
            break;
        };
        let n = line_len(buf, p, nl);
        if n == 0 {
            break;
        }
        count += 1;
        if count > lim.max_headers || n > lim.max_header_line {
            return Err(431);
        }
        p = nl + 1;
    }
    let mut req = httparse::Request::new(&mut []);
    let n = match req.parse_with_uninit_headers(&buf[pos..], storage) {
        Ok(httparse::Status::Partial) => return Ok(None),
        Ok(httparse::Status::Complete(n)) => n,
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(_) => return Err(400),
    };
    let method = req.method.unwrap_or("");
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(400);
    }
    // the server decodes no coding but chunked: any other is a 400 like a bad framing
    let framing = match framing(req.headers.iter().map(|h| (h.name.as_bytes(), h.value))) {
        Ok(Framing::OtherCoding) | Err(_) => return Err(400),
        Ok(f) => f,
    };
    Ok(Some(Head {
        method,
        path: req.path.unwrap_or("").as_bytes(),
        minor: req.version.unwrap_or(1),
        headers: req.headers,
        len: pos + n,
        framing,
    }))
}

/// How a message's body is delimited, from its `Content-Length` and `Transfer-Encoding` lines
/// (RFC 9112 section 6; docs/http.md "Message framing").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Neither header.
    None,
    /// Every `Content-Length` value, across lines and comma lists, is this number.
    Length(u64),
    /// The codings of all `Transfer-Encoding` lines, combined, are exactly `chunked`.
    Chunked,
    /// `Transfer-Encoding` lists other codings, `chunked` last or absent (the server answers
    /// 400: it decodes no other coding; a client reads such a body as it did before).
    OtherCoding,
}

/// Why a head's framing is refused: a request gets 400, a response is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramingError {
    /// An empty or non-numeric `Content-Length` value, or values that differ.
    ContentLength,
    /// `Transfer-Encoding` with `chunked` repeated or not last, or beside `Content-Length`.
    TransferEncoding,
}

/// The items of a comma-separated header value, trimmed; empty items are skipped (RFC 9110 5.6.1).
fn list_items(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|i| !i.is_empty())
}

/// The framing of a head whose header lines are `(name, value)` pairs, names in any case.
/// Content-Length values must be 1 to 15 digits (no sign, no space inside) and all equal;
/// Transfer-Encoding may hold one `chunked` only, as its last coding; both at once is refused
/// (a request smuggling vector, RFC 9112 6.1).
pub fn framing<'a>(
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> std::result::Result<Framing, FramingError> {
    let mut length: Option<u64> = None;
    let mut te_seen = false;
    let mut chunked_last = false;
    let mut chunked_count = 0;
    let mut codings = 0;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"content-length") {
            let mut any = false;
            for item in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if item.is_empty() || item.len() > 15 || !item.iter().all(u8::is_ascii_digit) {
                    return Err(FramingError::ContentLength);
                }
                let n = item.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
                if length.is_some_and(|l| l != n) {
                    return Err(FramingError::ContentLength);
                }
                length = Some(n);
                any = true;
            }
            if !any {
                return Err(FramingError::ContentLength);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te_seen = true;
            for item in list_items(value) {
                // a coding may carry parameters: `gzip;q=1`
                let coding = item.split(|&b| b == b';').next().unwrap_or_default();
                chunked_last = coding.trim_ascii().eq_ignore_ascii_case(b"chunked");
                chunked_count += usize::from(chunked_last);
                codings += 1;
            }
        }
    }
    if te_seen {
        if length.is_some() || chunked_count > 1 || (chunked_count == 1 && !chunked_last) {
            return Err(FramingError::TransferEncoding);
        }
        return Ok(if chunked_last && codings == 1 {
            Framing::Chunked
        } else {
            Framing::OtherCoding
        });
    }
    Ok(length.map_or(Framing::None, Framing::Length))
}

/// [`parse_head`] into owned values (tests and fuzzing).
pub fn parse_request(buf: &[u8], lim: &Limits) -> std::result::Result<Option<Request>, u16> {
    let mut storage = vec![HeaderSlot::uninit(); lim.max_headers.max(1)];
    Ok(parse_head(buf, lim, &mut storage)?.map(|h| Request {
        method: h.method.to_string(),
        path: h.path.to_vec(),
        minor: h.minor,
        headers: h
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
            .collect(),
        len: h.len,
    }))
}

/// The status line grammar of spec/http.md B.4: `HTTP/1` any-char `0|1` spaces+ digits spaces* reason.
fn parse_status_line(line: &[u8]) -> Option<(i64, Vec<u8>, u8)> {
    if line.len() < 9 || !line.starts_with(b"HTTP/1") {
        return None;
    }
    let minor = match line[7] {
        b'0' => 0,
        b'1' => 1,
        _ => return None,
    };
    let mut i = 8;
    let sp = i;
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    if i == sp {
        return None;
    }
    let d = i;
    let mut code: i64 = 0;
    while let Some(c) = line.get(i).filter(|c| c.is_ascii_digit()) {
        code = code.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
        i += 1;
    }
    if i == d {
        return None;
    }
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    Some((code, line[i..].to_vec(), minor))
}

/// Parses a response head. `Ok(None)`: need more bytes; `Err(msg)`: the spec's error text.
pub fn parse_response(buf: &[u8]) -> std::result::Result<Option<Response>, &'static str> {
    let Some(nl) = find_nl(buf, 0) else {
        return Ok(None);
    };
    let line = &buf[..nl - usize::from(nl > 0 && buf[nl - 1] == b'\r')];
    let (code, reason, minor) = parse_status_line(line).ok_or("invalid http status line")?;
    let rest = &buf[nl + 1..];
    let mut cap = 64;
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; cap];
        match httparse::parse_headers(rest, &mut headers) {
            Ok(httparse::Status::Partial) => return Ok(None),
            Ok(httparse::Status::Complete((n, hs))) => {
                let framing = framing(hs.iter().map(|h| (h.name.as_bytes(), h.value))).map_err(
                    |e| match e {
                        FramingError::ContentLength => "invalid content-length",
                        FramingError::TransferEncoding => "invalid transfer-encoding",
                    },
                )?;
                let headers = hs
                    .iter()
                    .map(|h| {
                        let name = h.name.to_ascii_lowercase();
                        let value = match framing {
                            // repeats folded: the one value the checks agreed on
                            Framing::Length(l) if name == "content-length" => {
                                l.to_string().into_bytes()
                            }
                            _ => h.value.trim_ascii().to_vec(),
                        };
                        (name, value)
                    })
                    .collect();
                return Ok(Some(Response {
                    code,
                    reason,
                    minor,
                    headers,
                    len: nl + 1 + n,
                }));
            }
            Err(httparse::Error::TooManyHeaders) if cap < 65536 => cap *= 4,
            Err(_) => return Err("invalid http header"),
        }
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// IMF-fixdate (`Fri, 27 Nov 2026 04:51:14 GMT`) of a Unix time.
pub fn http_date(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses an IMF-fixdate; `None` when it is not one.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_ascii_whitespace();
    let _day = it.next()?;
    let d: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let m = MONTHS.iter().position(|x| *x == mon)? as i64 + 1;
    let y: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let se: i64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT" || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + se)
}

fn headers_table(lua: &Lua, hs: &[(String, Vec<u8>)]) -> Result<Table> {
    let t = lua.create_table_with_capacity(0, hs.len())?;
    for (k, v) in hs {
        t.set(k.as_str(), lua.create_string(v)?)?;
    }
    Ok(t)
}

fn opt_usize(v: Option<i64>, def: usize) -> usize {
    v.filter(|n| *n > 0).map_or(def, |n| n as usize)
}

/// The native table shared by the Lua parts.
fn native(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("chunked", chunked::constructor(lua)?)?;
    t.set(
        "request_parser",
        eco_util::function(
            lua,
            |lua, (max_line, max_hline, max_headers): (Option<i64>, Option<i64>, Option<i64>)| {
                let d = Limits::default();
                server::request_parser(
                    lua,
                    Limits {
                        max_line: opt_usize(max_line, d.max_line),
                        max_header_line: opt_usize(max_hline, d.max_header_line),
                        max_headers: opt_usize(max_headers, d.max_headers),
                    },
                )
            },
        )?,
    )?;
    t.set(
        "parse_response",
        eco_util::function(lua, |lua, buf: mlua::LuaString| {
            let mut out = MultiValue::new();
            match parse_response(&buf.as_bytes()) {
                Ok(None) => out.push_back(Value::Boolean(false)),
                Err(e) => {
                    out.push_back(Value::Nil);
                    out.push_back(Value::String(lua.create_string(e)?));
                }
                Ok(Some(r)) => {
                    out.push_back(Value::Integer(r.code));
                    out.push_back(Value::String(lua.create_string(&r.reason)?));
                    out.push_back(Value::Integer(i64::from(r.minor)));
                    out.push_back(Value::Table(headers_table(lua, &r.headers)?));
                    out.push_back(Value::Integer(r.len as i64));
                }
            }
            Ok(out)
        })?,
    )?;
    t.set("clock", eco_util::monotonic_function(lua)?)?;
    t.set(
        "http_date",
        eco_util::function(lua, |_, t: i64| Ok(http_date(t)))?,
    )?;
    t.set(
        "parse_http_date",
        eco_util::function(lua, |_, s: String| Ok(parse_http_date(&s)))?,
    )?;
    Ok(t)
}

/// `eco.http.url`.
pub fn open_url(lua: &Lua) -> Result<Value> {
    url::open(lua)
}

/// `eco.http.client`.
pub fn open_client(lua: &Lua) -> Result<Value> {
    lua.load(CLIENT_SRC.text())
        .set_name("@eco/http/client.lua")
        .call(native(lua)?)
}

/// `eco.http.server`.
pub fn open_server(lua: &Lua) -> Result<Value> {
    lua.load(SERVER_SRC.text())
        .set_name("@eco/http/server.lua")
        .call(native(lua)?)
}

/// `eco.http`: `{ url = ..., client = ..., server = ... }` through `require`.
pub fn open(lua: &Lua) -> Result<Value> {
    let require: mlua::Function = lua.globals().get("require")?;
    let t: Table = lua.create_table()?;
    for m in ["url", "client", "server"] {
        let r: MultiValue = require.call(format!("eco.http.{m}"))?;
        t.set(m, r.into_iter().next().unwrap_or(Value::Nil))?;
    }
    Ok(Value::Table(t))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_http")]
fn eco_http(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_http_url")]
fn eco_http_url(lua: &Lua) -> Result<Value> {
    open_url(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_http_client")]
fn eco_http_client(lua: &Lua) -> Result<Value> {
    open_client(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_http_server")]
fn eco_http_server(lua: &Lua) -> Result<Value> {
    open_server(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_basic_and_limits() {
        let l = Limits::default();
        let r = parse_request(
            b"\r\nGET /a?b HTTP/1.0\r\nHost: x\r\nX-A:  1 \r\n\r\nbody",
            &l,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, b"/a?b");
        assert_eq!(r.minor, 0);
        assert_eq!(r.headers[1], ("x-a".to_string(), b"1".to_vec()));
        assert_eq!(r.len, 2 + 19 + 9 + 10 + 2);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost", &l), Ok(None));
        assert_eq!(parse_request(b"get / HTTP/1.1\r\n\r\n", &l), Err(400));
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nbad\r\n\r\n", &l),
            Err(400)
        );
        let long = vec![b'a'; 9000];
        assert_eq!(parse_request(&long, &l), Err(414));
        let mut h = b"GET / HTTP/1.1\r\nX: ".to_vec();
        h.extend_from_slice(&long);
        assert_eq!(parse_request(&h, &l), Err(431));
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..101 {
            many.extend_from_slice(b"a: b\r\n");
        }
        assert_eq!(parse_request(&many, &l), Err(431));
    }

    #[test]
    fn framing_rules() {
        let f = |hs: &[(&str, &str)]| framing(hs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
        use FramingError::*;
        assert_eq!(f(&[]), Ok(Framing::None));
        assert_eq!(f(&[("Content-Length", "5")]), Ok(Framing::Length(5)));
        // identical repeats fold, across lines and inside a list
        assert_eq!(
            f(&[("content-length", "5"), ("CONTENT-LENGTH", "5, 5")]),
            Ok(Framing::Length(5))
        );
        for bad in [
            "5, 6",
            "",
            " ",
            "+5",
            "5 5",
            "0x5",
            "1234567890123456",
            "5,",
        ] {
            assert_eq!(f(&[("content-length", bad)]), Err(ContentLength), "{bad:?}");
        }
        assert_eq!(
            f(&[("content-length", "5"), ("content-length", "6")]),
            Err(ContentLength)
        );
        assert_eq!(f(&[("transfer-encoding", "chunked")]), Ok(Framing::Chunked));
        assert_eq!(
            f(&[("Transfer-Encoding", " Chunked ")]),
            Ok(Framing::Chunked)
        );
        // one coding list, however it is split over lines
        assert_eq!(
            f(&[("transfer-encoding", "gzip, chunked")]),
            Ok(Framing::OtherCoding)
        );
        assert_eq!(
            f(&[
                ("transfer-encoding", "gzip"),
                ("transfer-encoding", "chunked")
            ]),
            Ok(Framing::OtherCoding)
        );
        assert_eq!(
            f(&[("transfer-encoding", "gzip")]),
            Ok(Framing::OtherCoding)
        );
        assert_eq!(
            f(&[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked")
            ]),
            Err(TransferEncoding)
        );
        assert_eq!(
            f(&[("transfer-encoding", "chunked, gzip")]),
            Err(TransferEncoding)
        );
        assert_eq!(
            f(&[("transfer-encoding", "chunked"), ("content-length", "3")]),
            Err(TransferEncoding)
        );
        // the server: 400 for all but identity, a length and exactly chunked
        let l = Limits::default();
        for head in [
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        ] {
            assert_eq!(parse_request(head.as_bytes(), &l), Err(400), "{head:?}");
        }
        // a client: the spec's error strings, repeats folded
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"),
            Err("invalid content-length")
        );
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            r.headers,
            vec![("content-length".to_string(), b"2".to_vec())]
        );
    }

    #[test]
    fn response_basic() {
        let r = parse_response(b"HTTP/1.0 404\r\nA: 1\r\na:  2 \r\n\r\nx")
            .unwrap()
            .unwrap();
        assert_eq!((r.code, r.reason.as_slice(), r.minor), (404, &b""[..], 0));
        assert_eq!(r.headers[1], ("a".to_string(), b"2".to_vec()));
        assert_eq!(r.len, 30);
        assert_eq!(
            parse_response(b"HTTP/2 200 OK\r\n\r\n"),
            Err("invalid http status line")
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n"),
            Err("invalid http header")
        );
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\nA: 1\r\n"), Ok(None));
    }

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1795755074), "Fri, 27 Nov 2026 04:51:14 GMT");
        assert_eq!(
            parse_http_date("Fri, 27 Nov 2026 04:51:14 GMT"),
            Some(1795755074)
        );
        assert_eq!(parse_http_date("garbage"), None);
    }

    /// Randomized inputs (xorshift, fixed seed): the parsers never panic and a complete head
    /// never claims more bytes than it was given.
    #[test]
    fn randomized_parsers() {
        let mut s: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let alphabet = b"GET /HTP1.0\r\n:abcXY-%? \t\x00\xff0123456789";
        let seed = b"POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
        let l = Limits {
            max_line: 64,
            max_header_line: 32,
            max_headers: 4,
        };
        for _ in 0..200_000 {
            let mut buf = seed.to_vec();
            let edits = next() % 6;
            for _ in 0..edits {
                let pos = (next() as usize) % (buf.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if pos < buf.len() => buf[pos] = c,
                    1 => buf.insert(pos, c),
                    _ => buf.truncate(pos),
                }
            }
            if let Ok(Some(r)) = parse_request(&buf, &l) {
                assert!(r.len <= buf.len());
            }
            if let Ok(Some(r)) = parse_response(&buf) {
                assert!(r.len <= buf.len());
            }
        }
    }
}
