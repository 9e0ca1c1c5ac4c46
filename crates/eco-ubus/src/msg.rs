//! ubus messages (docs/ubus.md, "Wire format"): an 8-byte header (version 0, type, big-endian
//! seq and peer) and one blob_attr container holding plain ubus attributes.

use crate::blob::{self, EncodeError};

pub const HDR_LEN: usize = 8;
/// Header + the container's blob_attr header: what is read before the rest of a message.
pub const PREFIX_LEN: usize = HDR_LEN + 4;
/// Largest padded container a message may carry (ubusd's `UBUS_MAX_MSGLEN`).
pub const MAX_MSGLEN: usize = 1_048_576;

// message types
pub const HELLO: u8 = 0;
pub const STATUS: u8 = 1;
pub const DATA: u8 = 2;
pub const PING: u8 = 3;
pub const LOOKUP: u8 = 4;
pub const INVOKE: u8 = 5;
pub const ADD_OBJECT: u8 = 6;
pub const REMOVE_OBJECT: u8 = 7;
pub const SUBSCRIBE: u8 = 8;
pub const UNSUBSCRIBE: u8 = 9;
pub const NOTIFY: u8 = 10;
pub const MONITOR: u8 = 11;

// ubus attribute ids
pub const A_STATUS: u8 = 1;
pub const A_OBJPATH: u8 = 2;
pub const A_OBJID: u8 = 3;
pub const A_METHOD: u8 = 4;
pub const A_OBJTYPE: u8 = 5;
pub const A_SIGNATURE: u8 = 6;
pub const A_DATA: u8 = 7;
pub const A_TARGET: u8 = 8;
pub const A_ACTIVE: u8 = 9;
pub const A_NO_REPLY: u8 = 10;
pub const A_SUBSCRIBERS: u8 = 11;
pub const A_USER: u8 = 12;
pub const A_GROUP: u8 = 13;

/// The ubus attributes of a message. `data` and `signature` hold the raw bytes of a blobmsg list
/// (decode them with [`blob::decode_list`]); a broker forwards them untouched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs {
    pub status: Option<i32>,
    pub objpath: Option<Vec<u8>>,
    pub objid: Option<u32>,
    pub method: Option<Vec<u8>>,
    pub objtype: Option<u32>,
    pub signature: Option<Vec<u8>>,
    pub data: Option<Vec<u8>>,
    pub target: Option<u32>,
    pub active: Option<u8>,
    pub no_reply: Option<u8>,
    pub subscribers: Option<Vec<u32>>,
    pub user: Option<Vec<u8>>,
    pub group: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Msg {
    pub typ: u8,
    pub seq: u16,
    pub peer: u32,
    pub attrs: Attrs,
}

/// Why bytes are not a ubus message. Any of these ends the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Version(u8),
    /// The container's length is below 4 or its padded length exceeds [`MAX_MSGLEN`].
    Length(usize),
    /// The container's attributes overrun it, or the input is not exactly one message.
    Framing,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Version(v) => write!(f, "bad ubus message: version {v}"),
            DecodeError::Length(n) => write!(f, "bad ubus message: length {n}"),
            DecodeError::Framing => write!(f, "bad ubus message: malformed attributes"),
        }
    }
}

/// Checks the first [`PREFIX_LEN`] bytes of a message; returns how many bytes follow them.
pub fn body_len(prefix: &[u8]) -> Result<usize, DecodeError> {
    if prefix.len() < PREFIX_LEN {
        return Err(DecodeError::Framing);
    }
    if prefix[0] != 0 {
        return Err(DecodeError::Version(prefix[0]));
    }
    let h = u32::from_be_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
    let len = (h & 0x00ff_ffff) as usize;
    if len < 4 || blob::pad4(len) > MAX_MSGLEN {
        return Err(DecodeError::Length(len));
    }
    Ok(len - 4)
}

fn be_u32(d: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(d.try_into().ok()?))
}

fn cstr(d: &[u8]) -> Option<Vec<u8>> {
    let (last, s) = d.split_last()?;
    (*last == 0).then(|| s.iter().take_while(|&&b| b != 0).copied().collect())
}

/// Decodes one whole message (header, container and nothing else). An attribute of a known id
/// whose payload has the wrong size counts as absent, as libubus's policy check does; unknown
/// ids are ignored.
pub fn decode(b: &[u8]) -> Result<Msg, DecodeError> {
    let body = body_len(b)?;
    if b.len() != PREFIX_LEN + body {
        return Err(DecodeError::Framing);
    }
    let mut m = Msg {
        typ: b[1],
        seq: u16::from_be_bytes([b[2], b[3]]),
        peer: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        attrs: Attrs::default(),
    };
    let a = &mut m.attrs;
    let mut it = blob::iter(&b[PREFIX_LEN..]);
    for at in &mut it {
        let d = at.data;
        match at.id {
            A_STATUS => a.status = be_u32(d).map(|v| v as i32),
            A_OBJPATH => a.objpath = cstr(d),
            A_OBJID => a.objid = be_u32(d),
            A_METHOD => a.method = cstr(d),
            A_OBJTYPE => a.objtype = be_u32(d),
            A_SIGNATURE => a.signature = Some(d.to_vec()),
            A_DATA => a.data = Some(d.to_vec()),
            A_TARGET => a.target = be_u32(d),
            A_ACTIVE => a.active = (d.len() == 1).then(|| d[0]),
            A_NO_REPLY => a.no_reply = (d.len() == 1).then(|| d[0]),
            A_SUBSCRIBERS => {
                let mut ids = Vec::new();
                let mut si = blob::iter(d);
                for s in &mut si {
                    if let Some(id) = be_u32(s.data) {
                        ids.push(id);
                    }
                }
                if si.bad {
                    return Err(DecodeError::Framing);
                }
                a.subscribers = Some(ids);
            }
            A_USER => a.user = cstr(d),
            A_GROUP => a.group = cstr(d),
            _ => {}
        }
    }
    if it.bad {
        return Err(DecodeError::Framing);
    }
    Ok(m)
}

/// Encodes a message; fails with [`EncodeError::TooLong`] past [`MAX_MSGLEN`].
pub fn encode(m: &Msg) -> Result<Vec<u8>, EncodeError> {
    let a = &m.attrs;
    let mut b = Vec::with_capacity(64 + a.data.as_ref().map_or(0, Vec::len));
    b.push(0);
    b.push(m.typ);
    b.extend_from_slice(&m.seq.to_be_bytes());
    b.extend_from_slice(&m.peer.to_be_bytes());
    let c = blob::start(&mut b, 0, false);
    if let Some(v) = a.status {
        blob::put_u32(&mut b, A_STATUS, v as u32)?;
    }
    if let Some(v) = &a.objpath {
        blob::put_str(&mut b, A_OBJPATH, v)?;
    }
    if let Some(v) = a.objid {
        blob::put_u32(&mut b, A_OBJID, v)?;
    }
    if let Some(v) = &a.method {
        blob::put_str(&mut b, A_METHOD, v)?;
    }
    if let Some(v) = a.objtype {
        blob::put_u32(&mut b, A_OBJTYPE, v)?;
    }
    if let Some(v) = &a.signature {
        blob::put_raw(&mut b, A_SIGNATURE, v)?;
    }
    if let Some(v) = &a.data {
        blob::put_raw(&mut b, A_DATA, v)?;
    }
    if let Some(v) = a.target {
        blob::put_u32(&mut b, A_TARGET, v)?;
    }
    if let Some(v) = a.active {
        blob::put_u8(&mut b, A_ACTIVE, v)?;
    }
    if let Some(v) = a.no_reply {
        blob::put_u8(&mut b, A_NO_REPLY, v)?;
    }
    if let Some(ids) = &a.subscribers {
        let s = blob::start(&mut b, A_SUBSCRIBERS, false);
        // ubusd puts the ids as plain int32 attributes with id 0
        for id in ids {
            blob::put_u32(&mut b, 0, *id)?;
        }
        blob::end(&mut b, s)?;
    }
    if let Some(v) = &a.user {
        blob::put_str(&mut b, A_USER, v)?;
    }
    if let Some(v) = &a.group {
        blob::put_str(&mut b, A_GROUP, v)?;
    }
    blob::end(&mut b, c)?;
    if b.len() - HDR_LEN > MAX_MSGLEN {
        return Err(EncodeError::TooLong);
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_layout() {
        let m = Msg {
            typ: HELLO,
            seq: 0,
            peer: 0x1234_5678,
            ..Msg::default()
        };
        let b = encode(&m).unwrap();
        assert_eq!(b, [0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 4]);
        assert_eq!(body_len(&b).unwrap(), 0);
        assert_eq!(decode(&b).unwrap(), m);
    }

    #[test]
    fn status_layout_and_roundtrip() {
        let m = Msg {
            typ: STATUS,
            seq: 0x0102,
            peer: 7,
            attrs: Attrs {
                status: Some(3),
                objid: Some(0xdead_beef),
                ..Attrs::default()
            },
        };
        let b = encode(&m).unwrap();
        assert_eq!(
            b,
            [
                0, 1, 1, 2, 0, 0, 0, 7, 0, 0, 0, 20, 0x01, 0, 0, 8, 0, 0, 0, 3, 0x03, 0, 0, 8,
                0xde, 0xad, 0xbe, 0xef
            ]
        );
        assert_eq!(decode(&b).unwrap(), m);
    }

    #[test]
    fn full_roundtrip_and_truncations() {
        let data = blob::encode_list(&[(b"a".to_vec(), blob::Value::Int32(1))]).unwrap();
        let m = Msg {
            typ: INVOKE,
            seq: 65535,
            peer: 1,
            attrs: Attrs {
                status: Some(-1),
                objpath: Some(b"x.y".to_vec()),
                objid: Some(9),
                method: Some(b"m".to_vec()),
                objtype: Some(4),
                signature: Some(Vec::new()),
                data: Some(data),
                target: Some(5),
                active: Some(1),
                no_reply: Some(1),
                subscribers: Some(vec![1, 2, 3]),
                user: Some(b"root".to_vec()),
                group: Some(b"wheel".to_vec()),
            },
        };
        let b = encode(&m).unwrap();
        assert_eq!(decode(&b).unwrap(), m);
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err());
        }
        let mut v = b.clone();
        v[0] = 1;
        assert_eq!(decode(&v), Err(DecodeError::Version(1)));
    }

    #[test]
    fn size_limit() {
        let big = vec![b'x'; MAX_MSGLEN];
        let m = Msg {
            typ: DATA,
            attrs: Attrs {
                data: Some(big),
                ..Attrs::default()
            },
            ..Msg::default()
        };
        assert_eq!(encode(&m), Err(EncodeError::TooLong));
        let mut p = vec![0u8; PREFIX_LEN];
        p[9..12].copy_from_slice(&[0x10, 0, 4]); // 1 MiB + 4
        assert!(matches!(body_len(&p), Err(DecodeError::Length(_))));
        p[9..12].copy_from_slice(&[0x10, 0, 0]); // exactly 1 MiB
        assert_eq!(body_len(&p), Ok(MAX_MSGLEN - 4));
    }

    /// The fuzz target's property (fuzz/fuzz_targets/ubus_msg.rs) over random corruptions of
    /// valid messages: never a panic; what decodes re-encodes to the same message, and the
    /// blobmsg payload decodes stably.
    #[test]
    fn randomized_corruptions() {
        let mut x: u64 = 0x0123_4567_89ab_cdef;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let data = blob::encode_list(&[
            (
                b"a".to_vec(),
                blob::Value::Table(vec![(b"b".to_vec(), blob::Value::Int16(5))]),
            ),
            (
                b"c".to_vec(),
                blob::Value::Array(vec![blob::Value::String(b"s".to_vec())]),
            ),
            (b"d".to_vec(), blob::Value::Double(2.5)),
        ])
        .unwrap();
        let m = Msg {
            typ: INVOKE,
            seq: 7,
            peer: 9,
            attrs: Attrs {
                objid: Some(3),
                method: Some(b"m".to_vec()),
                data: Some(data),
                subscribers: Some(vec![4, 5]),
                ..Attrs::default()
            },
        };
        let good = encode(&m).unwrap();
        let mut accepted = 0;
        for _ in 0..50_000 {
            let mut b = good.clone();
            for _ in 0..1 + rnd() % 4 {
                let i = (rnd() as usize) % b.len();
                b[i] = rnd() as u8;
            }
            if rnd() % 8 == 0 {
                b.truncate((rnd() as usize) % (b.len() + 1));
            }
            if let Ok(d) = decode(&b) {
                accepted += 1;
                let w = encode(&d).unwrap();
                assert_eq!(decode(&w).unwrap(), d);
                if let Some(data) = &d.attrs.data {
                    let v = blob::decode_list(data, 0);
                    let b1 = blob::encode_list(&v).unwrap();
                    let b2 = blob::encode_list(&blob::decode_list(&b1, 0)).unwrap();
                    assert_eq!(b1, b2);
                }
            }
        }
        assert!(accepted > 1000, "only {accepted} corruptions decoded");
    }
}
