//! libubox `blob_attr` and `blobmsg` encoding (docs/ubus.md, "Wire format"): a pure codec with
//! explicit limits. Decoding never panics and never reads past its input; a malformed blobmsg
//! attribute inside a list is skipped (as ubus's Lua binding does), a malformed plain attribute
//! makes the whole message invalid.

/// Largest attribute length the 24-bit length field can hold.
pub const MAX_ATTR_LEN: usize = 0x00ff_ffff;
/// Deepest nesting of ARRAY/TABLE values accepted by the encoder and the decoder.
pub const MAX_DEPTH: usize = 32;

pub const ID_EXTENDED: u32 = 0x8000_0000;
const ID_MASK: u32 = 0x7f00_0000;
const ID_SHIFT: u32 = 24;
const LEN_MASK: u32 = 0x00ff_ffff;

/// blobmsg types.
pub const UNSPEC: u8 = 0;
pub const ARRAY: u8 = 1;
pub const TABLE: u8 = 2;
pub const STRING: u8 = 3;
pub const INT64: u8 = 4;
pub const INT32: u8 = 5;
pub const INT16: u8 = 6;
pub const INT8: u8 = 7;
pub const DOUBLE: u8 = 8;

/// A blobmsg value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An UNSPEC attribute or one of an unknown type (decoded only).
    Unspec,
    Int8(u8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Double(f64),
    /// The bytes without the NUL terminator (cut at the first NUL when encoding).
    String(Vec<u8>),
    /// Elements; their names are ignored (encoded with empty names).
    Array(Vec<Value>),
    /// Named entries in order.
    Table(Vec<(Vec<u8>, Value)>),
}

/// An encoding error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// An attribute would exceed the 24-bit length field or the message limit.
    TooLong,
    /// Values nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

pub fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Appends a blob_attr header with a placeholder length; returns its offset for [`end`].
pub fn start(buf: &mut Vec<u8>, id: u8, extended: bool) -> usize {
    let off = buf.len();
    let mut h = (u32::from(id) << ID_SHIFT) & ID_MASK;
    if extended {
        h |= ID_EXTENDED;
    }
    buf.extend_from_slice(&h.to_be_bytes());
    off
}

/// Sets the length of the attribute started at `off` (everything appended since) and pads.
pub fn end(buf: &mut Vec<u8>, off: usize) -> Result<(), EncodeError> {
    let len = buf.len() - off;
    if len > MAX_ATTR_LEN {
        return Err(EncodeError::TooLong);
    }
    let h = u32::from_be_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]);
    let h = (h & !LEN_MASK) | len as u32;
    buf[off..off + 4].copy_from_slice(&h.to_be_bytes());
    buf.resize(off + pad4(len), 0);
    Ok(())
}

/// A plain (non-extended) attribute with a raw payload.
pub fn put_raw(buf: &mut Vec<u8>, id: u8, payload: &[u8]) -> Result<(), EncodeError> {
    let off = start(buf, id, false);
    buf.extend_from_slice(payload);
    end(buf, off)
}

pub fn put_u32(buf: &mut Vec<u8>, id: u8, v: u32) -> Result<(), EncodeError> {
    put_raw(buf, id, &v.to_be_bytes())
}

pub fn put_u8(buf: &mut Vec<u8>, id: u8, v: u8) -> Result<(), EncodeError> {
    put_raw(buf, id, &[v])
}

/// A plain string attribute: the bytes up to the first NUL, then a NUL.
pub fn put_str(buf: &mut Vec<u8>, id: u8, s: &[u8]) -> Result<(), EncodeError> {
    let off = start(buf, id, false);
    buf.extend_from_slice(cut_nul(s));
    buf.push(0);
    end(buf, off)
}

fn cut_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// Starts a blobmsg attribute (header + name header); returns the offset for [`end`].
pub fn msg_start(buf: &mut Vec<u8>, typ: u8, name: &[u8]) -> Result<usize, EncodeError> {
    let name = cut_nul(name);
    if name.len() > usize::from(u16::MAX) {
        return Err(EncodeError::TooLong);
    }
    let off = start(buf, typ, true);
    buf.extend_from_slice(&(name.len() as u16).to_be_bytes());
    buf.extend_from_slice(name);
    buf.push(0);
    let hdr = 2 + name.len() + 1;
    buf.resize(buf.len() + pad4(hdr) - hdr, 0);
    Ok(off)
}

/// Appends one named blobmsg value.
pub fn put_value(buf: &mut Vec<u8>, name: &[u8], v: &Value) -> Result<(), EncodeError> {
    put_value_at(buf, name, v, 0)
}

fn put_value_at(
    buf: &mut Vec<u8>,
    name: &[u8],
    v: &Value,
    depth: usize,
) -> Result<(), EncodeError> {
    let typ = match v {
        Value::Unspec => UNSPEC,
        Value::Int8(_) => INT8,
        Value::Int16(_) => INT16,
        Value::Int32(_) => INT32,
        Value::Int64(_) => INT64,
        Value::Double(_) => DOUBLE,
        Value::String(_) => STRING,
        Value::Array(_) => ARRAY,
        Value::Table(_) => TABLE,
    };
    let off = msg_start(buf, typ, name)?;
    match v {
        Value::Unspec => {}
        Value::Int8(x) => buf.push(*x),
        Value::Int16(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Int32(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Int64(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Double(x) => buf.extend_from_slice(&x.to_bits().to_be_bytes()),
        Value::String(s) => {
            buf.extend_from_slice(cut_nul(s));
            buf.push(0);
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(EncodeError::TooDeep);
            }
            for it in items {
                put_value_at(buf, b"", it, depth + 1)?;
            }
        }
        Value::Table(items) => {
            if depth >= MAX_DEPTH {
                return Err(EncodeError::TooDeep);
            }
            for (k, it) in items {
                put_value_at(buf, k, it, depth + 1)?;
            }
        }
    }
    end(buf, off)
}

/// One attribute found by [`Iter`]: id, extended flag, payload (without padding).
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    pub id: u8,
    pub extended: bool,
    pub data: &'a [u8],
}

/// Iterates over the attributes of a list; stops (with [`Iter::bad`] set) at an attribute whose
/// length is below 4 or runs past the input.
pub struct Iter<'a> {
    rest: &'a [u8],
    pub bad: bool,
}

pub fn iter(data: &[u8]) -> Iter<'_> {
    Iter {
        rest: data,
        bad: false,
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Attr<'a>;
    fn next(&mut self) -> Option<Attr<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < 4 {
            self.bad = true;
            return None;
        }
        let h = u32::from_be_bytes([self.rest[0], self.rest[1], self.rest[2], self.rest[3]]);
        let len = (h & LEN_MASK) as usize;
        if len < 4 || len > self.rest.len() {
            self.bad = true;
            return None;
        }
        let data = &self.rest[4..len];
        let next = pad4(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(Attr {
            id: ((h & ID_MASK) >> ID_SHIFT) as u8,
            extended: h & ID_EXTENDED != 0,
            data,
        })
    }
}

/// Splits a blobmsg attribute's payload into (name, value bytes); `None` if the name header is
/// malformed (too short, not NUL-terminated).
pub fn msg_split<'a>(a: &Attr<'a>) -> Option<(&'a [u8], &'a [u8])> {
    if !a.extended || a.data.len() < 2 {
        return None;
    }
    let namelen = usize::from(u16::from_be_bytes([a.data[0], a.data[1]]));
    let hdr = pad4(2 + namelen + 1);
    if a.data.len() < hdr || a.data[2 + namelen] != 0 {
        return None;
    }
    Some((&a.data[2..2 + namelen], &a.data[hdr..]))
}

/// Decodes one blobmsg attribute; `None` if it is malformed (it is then skipped by the caller).
pub fn decode_attr(a: &Attr<'_>, depth: usize) -> Option<(Vec<u8>, Value)> {
    let (name, d) = msg_split(a)?;
    let v = match a.id {
        INT8 => Value::Int8(*<&[u8; 1]>::try_from(d).ok()?.first()?),
        INT16 => Value::Int16(i16::from_be_bytes(d.try_into().ok()?)),
        INT32 => Value::Int32(i32::from_be_bytes(d.try_into().ok()?)),
        INT64 => Value::Int64(i64::from_be_bytes(d.try_into().ok()?)),
        // libubox checks a double's length as a minimum (blob_check_type), integers' exactly
        DOUBLE => Value::Double(f64::from_bits(u64::from_be_bytes(
            d.get(..8)?.try_into().ok()?,
        ))),
        STRING => {
            let (last, s) = d.split_last()?;
            if *last != 0 {
                return None;
            }
            Value::String(cut_nul(s).to_vec())
        }
        ARRAY => {
            if depth >= MAX_DEPTH {
                return None;
            }
            Value::Array(
                decode_list(d, depth + 1)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            )
        }
        TABLE => {
            if depth >= MAX_DEPTH {
                return None;
            }
            Value::Table(decode_list(d, depth + 1))
        }
        _ => Value::Unspec,
    };
    // names are C strings to libubox (strcmp): up to the first NUL
    Some((cut_nul(name).to_vec(), v))
}

/// Decodes a blobmsg list (a TABLE's body): malformed attributes are skipped; a list whose
/// framing breaks ends at the break.
pub fn decode_list(data: &[u8], depth: usize) -> Vec<(Vec<u8>, Value)> {
    iter(data).filter_map(|a| decode_attr(&a, depth)).collect()
}

/// Encodes a blobmsg list (the body of a TABLE) from named values.
pub fn encode_list(items: &[(Vec<u8>, Value)]) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::new();
    for (k, v) in items {
        put_value(&mut buf, k, v)?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_named_int32() {
        let mut b = Vec::new();
        put_value(&mut b, b"a", &Value::Int32(7)).unwrap();
        // EXTENDED | id 5, len 4 + 4 (name hdr "\0\x01a\0") + 4
        assert_eq!(b, [0x85, 0, 0, 12, 0, 1, b'a', 0, 0, 0, 0, 7]);
    }

    #[test]
    fn layout_of_empty_name_string_padding() {
        let mut b = Vec::new();
        put_value(&mut b, b"", &Value::String(b"hi".to_vec())).unwrap();
        // name header 0,0,0 + pad 1 = 4; value "hi\0" -> len 4+4+3 = 11, padded to 12
        assert_eq!(b, [0x83, 0, 0, 11, 0, 0, 0, 0, b'h', b'i', 0, 0]);
    }

    #[test]
    fn roundtrip_nested() {
        let v = vec![
            (
                b"t".to_vec(),
                Value::Table(vec![(b"x".to_vec(), Value::Double(1.5))]),
            ),
            (
                b"a".to_vec(),
                Value::Array(vec![Value::Int64(1 << 40), Value::Int8(1)]),
            ),
            (b"s".to_vec(), Value::String(b"abc".to_vec())),
            (b"i".to_vec(), Value::Int16(-3)),
        ];
        let b = encode_list(&v).unwrap();
        assert_eq!(decode_list(&b, 0), v);
    }

    #[test]
    fn depth_limit() {
        let mut v = Value::Int32(1);
        for _ in 0..MAX_DEPTH {
            v = Value::Array(vec![v]);
        }
        assert!(encode_list(&[(b"x".to_vec(), v.clone())]).is_ok());
        let deeper = Value::Array(vec![v]);
        assert_eq!(
            encode_list(&[(b"x".to_vec(), deeper)]),
            Err(EncodeError::TooDeep)
        );
    }

    #[test]
    fn malformed_is_skipped_never_panics() {
        let v = vec![
            (b"a".to_vec(), Value::Int32(1)),
            (b"b".to_vec(), Value::Int32(2)),
        ];
        let b = encode_list(&v).unwrap();
        for n in 0..b.len() {
            let _ = decode_list(&b[..n], 0);
        }
        // a bad INT32 length in the first attribute: it is skipped, the second survives
        let mut bad = b.clone();
        bad[3] = 11; // len 11: value has 3 bytes
        let d = decode_list(&bad, 0);
        assert_eq!(d, vec![(b"b".to_vec(), Value::Int32(2))]);
    }
}
