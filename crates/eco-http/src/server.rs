//! The server's per-request natives: the request parser handing Lua the `req` fields in one call,
//! and the response head builder. Both exist to keep the Lua work per request small: the hello
//! world benchmark spends most of its user time here otherwise.

use std::cell::RefCell;
use std::io::Write;

use mlua::{Either, Function, Lua, Result, Table, Value};

use crate::{parse_head, HeaderSlot, Limits};

/// `query` of spec/http.md C.4: items split on `&`; only `key=value` with a non-empty key;
/// values percent-decoded when they contain `%`; the last duplicate wins.
pub fn parse_query(qs: &[u8]) -> Vec<(&[u8], std::borrow::Cow<'_, [u8]>)> {
    let mut out = Vec::new();
    for item in qs.split(|&b| b == b'&') {
        let Some(eq) = item.iter().position(|&b| b == b'=') else {
            continue;
        };
        if eq == 0 {
            continue;
        }
        let v = &item[eq + 1..];
        let v = if v.contains(&b'%') {
            let mut d = Vec::with_capacity(v.len());
            crate::url::unescape_into(v, &mut d);
            std::borrow::Cow::Owned(d)
        } else {
            std::borrow::Cow::Borrowed(v)
        };
        out.push((&item[..eq], v));
    }
    out
}

/// A string for Lua: pushed directly when UTF-8 (mlua's fast path for `&str`), else copied.
fn lua_bytes<'a>(lua: &Lua, v: &'a [u8]) -> Result<Either<&'a str, Value>> {
    Ok(match std::str::from_utf8(v) {
        Ok(s) => Either::Left(s),
        Err(_) => Either::Right(Value::String(lua.create_string(v)?)),
    })
}

/// A string for Lua returned by value: `String` is pushed directly, without a registry reference.
type Str = Either<String, Value>;
type Parsed = (Str, Str, Str, Str, Value, Value, Value, Value);
const NIL: Str = Either::Right(Value::Nil);

/// `request_parser(max_line, max_header_line, max_headers)` ⇒ `parse(buf)`, which returns the
/// `req` table of spec/http.md C.4 and the length of the head for a complete head, `false` for an
/// incomplete one, `nil, status` for one to reject. Tables are filled through `create_table_from`:
/// one mlua call per table instead of one per field.
pub fn request_parser(lua: &Lua, lim: Limits) -> Result<Function> {
    const STACK_HEADERS: usize = 100;
    let mut names = Vec::with_capacity(256);
    let mut decoded = Vec::new();
    lua.create_function_mut(move |lua, buf: mlua::LuaString| -> Result<Parsed> {
        let bytes = buf.as_bytes();
        let mut stack = [const { HeaderSlot::uninit() }; STACK_HEADERS];
        let mut heap;
        let storage: &mut [HeaderSlot] = if lim.max_headers <= STACK_HEADERS {
            &mut stack[..lim.max_headers.max(1)]
        } else {
            heap = vec![HeaderSlot::uninit(); lim.max_headers];
            &mut heap
        };
        let h = match parse_head(&bytes, &lim, storage) {
            Ok(None) => {
                let f = Either::Right(Value::Boolean(false));
                return Ok((
                    f,
                    NIL,
                    NIL,
                    NIL,
                    Value::Nil,
                    Value::Nil,
                    Value::Nil,
                    Value::Nil,
                ));
            }
            Err(status) => {
                let st = Either::Right(Value::Integer(i64::from(status)));
                return Ok((
                    NIL,
                    st,
                    NIL,
                    NIL,
                    Value::Nil,
                    Value::Nil,
                    Value::Nil,
                    Value::Nil,
                ));
            }
            Ok(Some(h)) => h,
        };
        // names are tokens (ASCII): lowercased, they are still UTF-8
        names.clear();
        names.extend(
            h.headers
                .iter()
                .flat_map(|hd| hd.name.bytes())
                .map(|b| b.to_ascii_lowercase()),
        );
        let mut off = 0;
        let mut values = Vec::with_capacity(h.headers.len());
        for hd in h.headers {
            values.push(lua_bytes(lua, hd.value)?);
        }
        let headers = lua.create_table_from(h.headers.iter().zip(values).map(|(hd, v)| {
            let n = names.get(off..off + hd.name.len()).unwrap_or_default();
            off += hd.name.len();
            (std::str::from_utf8(n).unwrap_or_default(), v)
        }))?;
        let (path, qs) = match h.path.iter().position(|&b| b == b'?') {
            Some(q) => (&h.path[..q], &h.path[q + 1..]),
            None => (h.path, &b""[..]),
        };
        let path = if path.contains(&b'%') {
            decoded.clear();
            crate::url::unescape_into(path, &mut decoded);
            &decoded[..]
        } else {
            path
        };
        let query = if qs.is_empty() {
            None
        } else {
            let items = parse_query(qs)
                .into_iter()
                .map(|(k, v)| Ok((lua.create_string(k)?, lua.create_string(&v)?)))
                .collect::<Result<Vec<_>>>()?;
            Some(lua.create_table_from(items)?)
        };
        let s = |v: &[u8]| -> Result<Str> {
            Ok(match std::str::from_utf8(v) {
                Ok(s) => Either::Left(s.to_owned()),
                Err(_) => Either::Right(Value::String(lua.create_string(v)?)),
            })
        };
        Ok((
            Either::Left(h.method.to_owned()),
            s(h.path)?,
            s(path)?,
            s(qs)?,
            Value::Integer(i64::from(h.minor)),
            Value::Table(headers),
            query.map_or(Value::Nil, Value::Table),
            Value::Integer(h.len as i64),
        ))
    })
}

/// Standard reason phrases.
pub fn reason(code: i64) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

/// Wire form of a lowercased header name: `content-type` ⇒ `Content-Type`, `etag` ⇒ `ETag`.
pub fn wire_name(name: &[u8], out: &mut Vec<u8>) {
    if name == b"etag" {
        out.extend_from_slice(b"ETag");
        return;
    }
    let mut up = true;
    for &c in name {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = c == b'-';
    }
}

thread_local! {
    /// The `Date` value of the current second, formatted once per second.
    static DATE: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

fn date_now(out: &mut Vec<u8>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        if d.0 != now {
            *d = (now, crate::http_date(now));
        }
        out.extend_from_slice(d.1.as_bytes());
    });
}

/// Lua's `tostring` of a header value (strings and numbers; anything else through `tostring`).
fn value_bytes(lua: &Lua, v: &Value, out: &mut Vec<u8>) -> Result<()> {
    match v {
        Value::String(s) => out.extend_from_slice(&s.as_bytes()),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        other => {
            let tostring: Function = lua.globals().raw_get("tostring")?;
            let s: mlua::LuaString = tostring.call(other.clone())?;
            out.extend_from_slice(&s.as_bytes());
        }
    }
    Ok(())
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    let _ = write!(out, "{n}");
}

thread_local! {
    /// The head under construction (kept between calls: no allocation per response).
    static HEAD: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

/// `head_builder(server, keepalive|nil)` ⇒ `build(code, reason|nil, headers, minor)` returning the
/// response head and whether the body is chunked (spec/http.md C.6): `Server`, `Date` and
/// `Keep-Alive` are ours; 1xx/204/304 drop `transfer-encoding` and get `content-length: 0`
/// (except 101); otherwise a response without a length is chunked.
pub fn head_builder(
    lua: &Lua,
    server: mlua::LuaString,
    keepalive: Option<mlua::LuaString>,
) -> Result<Function> {
    let mut ours = b"Server: ".to_vec();
    ours.extend_from_slice(&server.as_bytes());
    ours.extend_from_slice(b"\r\n");
    if let Some(ka) = keepalive {
        ours.extend_from_slice(b"Keep-Alive: ");
        ours.extend_from_slice(&ka.as_bytes());
        ours.extend_from_slice(b"\r\n");
    }
    lua.create_function(
        move |lua, (code, reason_s, headers, minor): (i64, Option<mlua::LuaString>, Table, i64)| {
            HEAD.with(|buf| {
                let mut out = buf.borrow_mut();
                let out = &mut *out;
                out.clear();
                out.extend_from_slice(b"HTTP/1.");
                push_int(out, minor);
                out.push(b' ');
                push_int(out, code);
                match (&reason_s, reason(code)) {
                    (Some(r), _) => {
                        out.push(b' ');
                        out.extend_from_slice(&r.as_bytes());
                    }
                    (None, Some(r)) => {
                        out.push(b' ');
                        out.extend_from_slice(r.as_bytes());
                    }
                    (None, None) => {}
                }
                out.extend_from_slice(b"\r\n");
                let no_body = (100..200).contains(&code) || code == 204 || code == 304;
                let mut te: Option<Vec<u8>> = None;
                let mut has_cl = false;
                headers.for_each(|k: mlua::LuaString, v: Value| {
                    let k = k.as_bytes();
                    match &k[..] {
                        b"server" | b"date" | b"keep-alive" => return Ok(()),
                        b"transfer-encoding" => {
                            let mut b = Vec::new();
                            value_bytes(lua, &v, &mut b)?;
                            te = Some(b);
                            return Ok(());
                        }
                        b"content-length" => has_cl = true,
                        _ => {}
                    }
                    wire_name(&k, out);
                    out.extend_from_slice(b": ");
                    value_bytes(lua, &v, out)?;
                    out.extend_from_slice(b"\r\n");
                    Ok(())
                })?;
                let chunked = if no_body {
                    if code != 101 && !has_cl {
                        out.extend_from_slice(b"Content-Length: 0\r\n");
                    }
                    false
                } else if let Some(te) = te {
                    out.extend_from_slice(b"Transfer-Encoding: ");
                    out.extend_from_slice(&te);
                    out.extend_from_slice(b"\r\n");
                    te.eq_ignore_ascii_case(b"chunked")
                } else if !has_cl {
                    out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
                    true
                } else {
                    false
                };
                out.extend_from_slice(&ours);
                out.extend_from_slice(b"Date: ");
                date_now(out);
                out.extend_from_slice(b"\r\n\r\n");
                Ok((lua.create_string(&out[..])?, chunked))
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query() {
        let q = parse_query(b"a=1&b=%41+B&c&=d&a=2&e=");
        let q: Vec<(&[u8], &[u8])> = q.iter().map(|(k, v)| (*k, &v[..])).collect();
        assert_eq!(
            q,
            vec![
                (&b"a"[..], &b"1"[..]),
                (b"b", b"A+B"),
                (b"a", b"2"),
                (b"e", b"")
            ]
        );
    }

    #[test]
    fn names() {
        let mut o = Vec::new();
        wire_name(b"x-forwarded--for", &mut o);
        assert_eq!(o, b"X-Forwarded--For");
        o.clear();
        wire_name(b"etag", &mut o);
        assert_eq!(o, b"ETag");
    }
}
