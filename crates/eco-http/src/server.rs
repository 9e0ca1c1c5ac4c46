//! The server's per-request native: the request parser handing Lua the `req` fields in one call
//! (the hello world benchmark spends most of its user time on per-request work). The response
//! head is built in Lua (`lua/server.lua`): through mlua, iterating the header table alone cost
//! more than building the head in Lua.

use mlua::{Either, Function, Lua, Result, Value};

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
type Str = Either<Either<&'static str, String>, Value>;
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
        let name_of = |off: &mut usize, hd: &httparse::Header| {
            let n = names.get(*off..*off + hd.name.len()).unwrap_or_default();
            *off += hd.name.len();
            std::str::from_utf8(n).unwrap_or_default()
        };
        // Content-Length repeats, or a list of equal values, folded to the one number.
        let folded = match h.framing {
            crate::Framing::Length(l) => Some(l.to_string()),
            _ => None,
        };
        let folded = folded.as_deref();
        let fold = |name: &str| folded.filter(|_| name == "content-length");
        let headers = if h
            .headers
            .iter()
            .all(|hd| std::str::from_utf8(hd.value).is_ok())
        {
            lua.create_table_from(h.headers.iter().map(|hd| {
                let name = name_of(&mut off, hd);
                let v = std::str::from_utf8(hd.value).unwrap_or_default();
                (name, fold(name).unwrap_or(v))
            }))?
        } else {
            // some value is not UTF-8: copied through a Lua string
            let mut values = Vec::with_capacity(h.headers.len());
            for hd in h.headers {
                values.push(lua_bytes(lua, hd.value)?);
            }
            lua.create_table_from(h.headers.iter().zip(values).map(|(hd, v)| {
                let name = name_of(&mut off, hd);
                (name, fold(name).map_or(v, Either::Left))
            }))?
        };
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
                Ok("") => Either::Left(Either::Left("")),
                Ok(s) => Either::Left(Either::Right(s.to_owned())),
                Err(_) => Either::Right(Value::String(lua.create_string(v)?)),
            })
        };
        let method = match h.method {
            "GET" => Either::Left(Either::Left("GET")),
            "POST" => Either::Left(Either::Left("POST")),
            "HEAD" => Either::Left(Either::Left("HEAD")),
            m => Either::Left(Either::Right(m.to_owned())),
        };
        // nil: the same as raw_path (no query, nothing to decode)
        let path = if path.len() == h.path.len() {
            NIL
        } else {
            s(path)?
        };
        Ok((
            method,
            s(h.path)?,
            path,
            s(qs)?,
            Value::Integer(i64::from(h.minor)),
            Value::Table(headers),
            query.map_or(Value::Nil, Value::Table),
            Value::Integer(h.len as i64),
        ))
    })
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
}
