//! Differential test of the blobmsg codec (src/blob.rs) against OpenWrt's own libubox (the
//! `libubox-sys` crate, a dev-dependency only: it vendors libubox and builds it with cmake).
//!
//! Over random nested values:
//! 1. libubox builds the same bytes as our encoder (`blobmsg_add_field`, `blobmsg_open_nested`,
//!    `blob_nest_end`), byte for byte;
//! 2. our decoder reads libubox's bytes back to the same values;
//! 3. libubox's parser (`blobmsg_parse`, `blobmsg_parse_array`, `blobmsg_check_attr_list`)
//!    accepts our bytes and finds every entry by name and type, at every level;
//! 4. for single scalar attributes with random corruptions, our decoder accepts exactly what
//!    `blobmsg_check_attr` accepts.
//!
//! The unsafe code of the crate's tests lives in this file only.

use eco_ubus::blob::{self, Value};
use libubox_sys as ub;
use std::ffi::CString;
use std::os::raw::{c_int, c_void};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn name(r: &mut Rng, i: usize) -> Vec<u8> {
    // unique by the index suffix; never empty (libubox requires names in tables)
    let len = r.below(10) as usize;
    let mut s: Vec<u8> = (0..len)
        .map(|_| b"abcdefghijklmnopqrstuvwxyz_.-"[r.below(29) as usize])
        .collect();
    s.extend_from_slice(format!("{i}").as_bytes());
    s
}

fn value(r: &mut Rng, depth: usize) -> Value {
    let top = if depth >= 4 { 7 } else { 9 };
    match r.below(top) {
        0 => Value::Int8(r.below(256) as u8),
        1 => Value::Int16(r.next() as i16),
        2 => Value::Int32(r.next() as i32),
        3 => Value::Int64(r.next() as i64),
        4 => {
            // any bit pattern but NaN (it never compares equal)
            let d = f64::from_bits(r.next());
            Value::Double(if d.is_nan() { 0.5 } else { d })
        }
        5 => {
            let len = r.below(40) as usize;
            Value::String((0..len).map(|_| 1 + r.below(255) as u8).collect())
        }
        6 => Value::Unspec,
        7 => {
            let n = r.below(6) as usize;
            Value::Array((0..n).map(|_| value(r, depth + 1)).collect())
        }
        _ => {
            let n = r.below(6) as usize;
            Value::Table((0..n).map(|i| (name(r, i), value(r, depth + 1))).collect())
        }
    }
}

fn type_of(v: &Value) -> u32 {
    match v {
        Value::Unspec => ub::blobmsg_type_BLOBMSG_TYPE_UNSPEC,
        Value::Array(_) => ub::blobmsg_type_BLOBMSG_TYPE_ARRAY,
        Value::Table(_) => ub::blobmsg_type_BLOBMSG_TYPE_TABLE,
        Value::String(_) => ub::blobmsg_type_BLOBMSG_TYPE_STRING,
        Value::Int64(_) => ub::blobmsg_type_BLOBMSG_TYPE_INT64,
        Value::Int32(_) => ub::blobmsg_type_BLOBMSG_TYPE_INT32,
        Value::Int16(_) => ub::blobmsg_type_BLOBMSG_TYPE_INT16,
        Value::Int8(_) => ub::blobmsg_type_BLOBMSG_TYPE_INT8,
        Value::Double(_) => ub::blobmsg_type_BLOBMSG_TYPE_DOUBLE,
    }
}

/// Adds `v` named `name` to libubox's buffer the way libubox's inline helpers do
/// (`blobmsg_add_u32` & co: the value in network byte order through `blobmsg_add_field`).
fn lib_add(b: &mut ub::blob_buf, name: &[u8], v: &Value) {
    let cname = CString::new(name).unwrap();
    let n = cname.as_ptr();
    let field = |b: &mut ub::blob_buf, typ: u32, data: &[u8]| {
        // SAFETY: `b` is an initialised blob_buf, `n` a NUL-terminated name alive for the call,
        // `data` a live slice of `data.len()` bytes.
        let r = unsafe {
            ub::blobmsg_add_field(
                b,
                typ as c_int,
                n,
                data.as_ptr().cast::<c_void>(),
                data.len() as u32,
            )
        };
        assert_eq!(r, 0, "blobmsg_add_field failed");
    };
    match v {
        Value::Unspec => field(b, ub::blobmsg_type_BLOBMSG_TYPE_UNSPEC, &[]),
        Value::Int8(x) => field(b, ub::blobmsg_type_BLOBMSG_TYPE_INT8, &[*x]),
        Value::Int16(x) => field(b, ub::blobmsg_type_BLOBMSG_TYPE_INT16, &x.to_be_bytes()),
        Value::Int32(x) => field(b, ub::blobmsg_type_BLOBMSG_TYPE_INT32, &x.to_be_bytes()),
        Value::Int64(x) => field(b, ub::blobmsg_type_BLOBMSG_TYPE_INT64, &x.to_be_bytes()),
        Value::Double(x) => field(
            b,
            ub::blobmsg_type_BLOBMSG_TYPE_DOUBLE,
            &x.to_bits().to_be_bytes(),
        ),
        Value::String(s) => {
            let mut d = s.clone();
            d.push(0);
            field(b, ub::blobmsg_type_BLOBMSG_TYPE_STRING, &d);
        }
        Value::Array(items) => {
            // SAFETY: as above; the cookie goes back to blob_nest_end on the same buffer.
            let c = unsafe { ub::blobmsg_open_nested(b, n, true) };
            assert!(!c.is_null());
            for it in items {
                lib_add(b, b"", it);
            }
            // SAFETY: `c` is the cookie of the nest opened above on `b`.
            unsafe { ub::blob_nest_end(b, c) };
        }
        Value::Table(items) => {
            // SAFETY: as above.
            let c = unsafe { ub::blobmsg_open_nested(b, n, false) };
            assert!(!c.is_null());
            for (k, it) in items {
                lib_add(b, k, it);
            }
            // SAFETY: `c` is the cookie of the nest opened above on `b`.
            unsafe { ub::blob_nest_end(b, c) };
        }
    }
}

/// The payload of the buffer's root attribute (what a ubus DATA attribute carries).
fn lib_bytes(b: &ub::blob_buf) -> Vec<u8> {
    let head = b.head.cast::<u8>();
    // SAFETY: `head` points at the root blob_attr of an initialised buffer: 4 header bytes
    // followed by `raw_len - 4` payload bytes inside the buffer.
    unsafe {
        let h = u32::from_be(std::ptr::read_unaligned(head.cast::<u32>()));
        let len = (h & ub::BLOB_ATTR_LEN_MASK) as usize;
        std::slice::from_raw_parts(head.add(4), len - 4).to_vec()
    }
}

/// The buffer's root attribute with its header (what libubus sends after the message header).
fn lib_raw(b: &ub::blob_buf) -> Vec<u8> {
    let head = b.head.cast::<u8>();
    // SAFETY: as in lib_bytes: `raw_len` bytes from `head` are inside the buffer.
    unsafe {
        let h = u32::from_be(std::ptr::read_unaligned(head.cast::<u32>()));
        let len = (h & ub::BLOB_ATTR_LEN_MASK) as usize;
        std::slice::from_raw_parts(head, len).to_vec()
    }
}

fn lib_encode(items: &[(Vec<u8>, Value)]) -> Vec<u8> {
    let mut b = ub::blob_buf::default();
    // SAFETY: a zeroed blob_buf is what blob_buf_init expects (libubox's `static struct blob_buf`).
    assert_eq!(unsafe { ub::blob_buf_init(&mut b, 0) }, 0);
    for (k, v) in items {
        lib_add(&mut b, k, v);
    }
    let out = lib_bytes(&b);
    // SAFETY: `b` was initialised by blob_buf_init and is not used afterwards.
    unsafe { ub::blob_buf_free(&mut b) };
    out
}

/// (payload pointer, payload length) of a blobmsg attribute: blobmsg_data/blobmsg_data_len.
///
/// # Safety
/// `a` points at a blob_attr that libubox validated (header and name header in bounds).
unsafe fn msg_data(a: *const ub::blob_attr) -> (*mut c_void, u32) {
    let p = a.cast::<u8>();
    // SAFETY: the caller guarantees the header and the name header are readable.
    unsafe {
        let h = u32::from_be(std::ptr::read_unaligned(p.cast::<u32>()));
        let raw = h & ub::BLOB_ATTR_LEN_MASK;
        let namelen = u16::from_be(std::ptr::read_unaligned(p.add(4).cast::<u16>())) as u32;
        let hdr = (2 + namelen + 1 + 3) & !3;
        (
            p.add(4 + hdr as usize).cast_mut().cast::<c_void>(),
            raw - 4 - hdr,
        )
    }
}

/// Checks with libubox's parser that the list at `data` holds `items` (names, types), then
/// recurses into nested tables and arrays.
fn lib_check_table(data: *mut c_void, len: u32, items: &[(Vec<u8>, Value)]) {
    if items.is_empty() {
        return;
    }
    let names: Vec<CString> = items
        .iter()
        .map(|(k, _)| CString::new(k.clone()).unwrap())
        .collect();
    let policy: Vec<ub::blobmsg_policy> = items
        .iter()
        .zip(&names)
        .map(|((_, v), n)| ub::blobmsg_policy {
            name: n.as_ptr(),
            type_: type_of(v),
        })
        .collect();
    let mut tb = vec![std::ptr::null_mut::<ub::blob_attr>(); items.len()];
    // SAFETY: policy/tb have items.len() entries; data/len describe a live buffer.
    let r = unsafe {
        ub::blobmsg_parse(
            policy.as_ptr(),
            policy.len() as c_int,
            tb.as_mut_ptr(),
            data,
            len,
        )
    };
    assert_eq!(r, 0, "blobmsg_parse rejected our bytes");
    for (i, (k, v)) in items.iter().enumerate() {
        assert!(
            !tb[i].is_null(),
            "libubox did not find {:?} ({v:?})",
            String::from_utf8_lossy(k)
        );
        lib_check_nested(tb[i], v);
    }
}

fn lib_check_nested(a: *mut ub::blob_attr, v: &Value) {
    match v {
        Value::Table(items) => {
            // SAFETY: `a` was returned by libubox's parser for a live buffer.
            assert!(unsafe {
                ub::blobmsg_check_attr_list(a, ub::blobmsg_type_BLOBMSG_TYPE_UNSPEC as c_int)
            });
            // SAFETY: validated just above.
            let (d, l) = unsafe { msg_data(a) };
            lib_check_table(d, l, items);
        }
        Value::Array(items) => {
            // SAFETY: as above.
            assert!(unsafe {
                ub::blobmsg_check_attr_list(a, ub::blobmsg_type_BLOBMSG_TYPE_UNSPEC as c_int)
            });
            if items.is_empty() {
                return;
            }
            // SAFETY: validated just above.
            let (d, l) = unsafe { msg_data(a) };
            let policy: Vec<ub::blobmsg_policy> = items
                .iter()
                .map(|v| ub::blobmsg_policy {
                    name: std::ptr::null(),
                    type_: type_of(v),
                })
                .collect();
            let mut tb = vec![std::ptr::null_mut::<ub::blob_attr>(); items.len()];
            // SAFETY: policy/tb have items.len() entries; d/l describe the array's payload.
            let r = unsafe {
                ub::blobmsg_parse_array(
                    policy.as_ptr(),
                    policy.len() as c_int,
                    tb.as_mut_ptr(),
                    d,
                    l,
                )
            };
            assert_eq!(r, 0);
            for (i, v) in items.iter().enumerate() {
                assert!(
                    !tb[i].is_null(),
                    "array element {i} ({v:?}) not found by libubox"
                );
                lib_check_nested(tb[i], v);
            }
        }
        _ => {}
    }
}

#[test]
fn random_values_match_libubox() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let n = r.below(8) as usize;
        let items: Vec<(Vec<u8>, Value)> = (0..n)
            .map(|i| (name(&mut r, i), value(&mut r, 0)))
            .collect();
        let ours = blob::encode_list(&items).unwrap();
        let theirs = lib_encode(&items);
        assert_eq!(ours, theirs, "bytes differ for {items:?}");
        assert_eq!(
            blob::decode_list(&theirs, 0),
            items,
            "decoding libubox's bytes"
        );
        // libubox reads ours (from a 4-byte aligned copy, as a received message would be)
        let mut aligned = vec![0u32; ours.len().div_ceil(4)];
        // SAFETY: `aligned` has at least ours.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                ours.as_ptr(),
                aligned.as_mut_ptr().cast::<u8>(),
                ours.len(),
            )
        };
        lib_check_table(
            aligned.as_mut_ptr().cast::<c_void>(),
            ours.len() as u32,
            &items,
        );
    }
}

#[test]
fn scalar_validity_matches_libubox() {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..20000 {
        let v = value(&mut r, 4); // scalars only
        let mut b = Vec::new();
        blob::put_value(&mut b, &name(&mut r, 0), &v).unwrap();
        // corrupt: a random length, type (known types only), or byte
        match r.below(4) {
            0 => {
                let len = r.below(b.len() as u64 + 1).max(4) as u32;
                b[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
            }
            1 => b[0] = (b[0] & 0x80) | r.below(9) as u8,
            2 => {
                let i = 4 + r.below(b.len() as u64 - 4) as usize;
                b[i] = r.next() as u8;
            }
            _ => {}
        }
        let Some(a) = blob::iter(&b).next() else {
            continue;
        };
        let ours = blob::decode_attr(&a, 0).is_some();
        let mut aligned = vec![0u32; b.len().div_ceil(4)];
        // SAFETY: `aligned` has at least b.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), aligned.as_mut_ptr().cast::<u8>(), b.len())
        };
        let p = aligned.as_ptr().cast::<ub::blob_attr>();
        // SAFETY: `p` points at b.len() readable bytes; the length checked by iter is in bounds.
        let theirs = unsafe { ub::blobmsg_check_attr_len(p, false, b.len()) };
        assert_eq!(ours, theirs, "validity differs for {b:02x?}");
    }
}

/// A ubus message container built the way libubus does (`blob_buf_init(&b, 0)`, then
/// `blob_put_int32`/`blob_put_string`/`blob_put_int8`/nests, each an inline wrapper of
/// `blob_put`/`blob_nest_start`) is byte for byte what `msg::encode` puts after the header.
#[test]
fn message_container_matches_libubox() {
    use eco_ubus::msg::{self, Attrs, Msg};
    let mut r = Rng(0x1234_5678_9abc_def1);
    for _ in 0..500 {
        let items: Vec<(Vec<u8>, Value)> = (0..r.below(4) as usize)
            .map(|i| (name(&mut r, i), value(&mut r, 1)))
            .collect();
        let data = blob::encode_list(&items).unwrap();
        let a = Attrs {
            status: (r.below(2) == 0).then(|| r.next() as i32),
            objpath: (r.below(2) == 0).then(|| name(&mut r, 1)),
            objid: (r.below(2) == 0).then(|| r.next() as u32),
            method: (r.below(2) == 0).then(|| name(&mut r, 2)),
            data: (r.below(2) == 0).then(|| data.clone()),
            target: (r.below(2) == 0).then(|| r.next() as u32),
            no_reply: (r.below(2) == 0).then(|| r.below(2) as u8),
            subscribers: (r.below(3) == 0)
                .then(|| (0..r.below(4)).map(|_| r.next() as u32).collect()),
            ..Attrs::default()
        };
        let m = Msg {
            typ: msg::INVOKE,
            seq: r.next() as u16,
            peer: r.next() as u32,
            attrs: a.clone(),
        };
        let ours = msg::encode(&m).unwrap();

        let mut b = ub::blob_buf::default();
        // SAFETY: a zeroed blob_buf is what blob_buf_init expects.
        assert_eq!(unsafe { ub::blob_buf_init(&mut b, 0) }, 0);
        let put = |b: &mut ub::blob_buf, id: u8, d: &[u8]| {
            // SAFETY: `b` is initialised; `d` is a live slice of d.len() bytes.
            let p = unsafe {
                ub::blob_put(
                    b,
                    c_int::from(id),
                    d.as_ptr().cast::<c_void>(),
                    d.len() as u32,
                )
            };
            assert!(!p.is_null());
        };
        let cstr = |s: &[u8]| {
            let mut v = s.to_vec();
            v.push(0);
            v
        };
        if let Some(v) = a.status {
            put(&mut b, msg::A_STATUS, &v.to_be_bytes());
        }
        if let Some(v) = &a.objpath {
            put(&mut b, msg::A_OBJPATH, &cstr(v));
        }
        if let Some(v) = a.objid {
            put(&mut b, msg::A_OBJID, &v.to_be_bytes());
        }
        if let Some(v) = &a.method {
            put(&mut b, msg::A_METHOD, &cstr(v));
        }
        if let Some(v) = &a.data {
            put(&mut b, msg::A_DATA, v);
        }
        if let Some(v) = a.target {
            put(&mut b, msg::A_TARGET, &v.to_be_bytes());
        }
        if let Some(v) = a.no_reply {
            put(&mut b, msg::A_NO_REPLY, &[v]);
        }
        if let Some(ids) = &a.subscribers {
            // SAFETY: `b` is initialised; the cookie goes back to blob_nest_end below.
            let c = unsafe { ub::blob_nest_start(&mut b, c_int::from(msg::A_SUBSCRIBERS)) };
            for id in ids {
                put(&mut b, 0, &id.to_be_bytes()); // blob_put_int32(&b, 0, id), as ubusd does
            }
            // SAFETY: `c` is the cookie of the nest opened above on `b`.
            unsafe { ub::blob_nest_end(&mut b, c) };
        }
        let theirs = lib_raw(&b);
        // SAFETY: initialised by blob_buf_init, not used afterwards.
        unsafe { ub::blob_buf_free(&mut b) };
        assert_eq!(
            &ours[msg::HDR_LEN..],
            &theirs[..],
            "container differs for {m:?}"
        );
        assert_eq!(msg::decode(&ours).unwrap(), m);
    }
}
