//! The kernel-bytes parsers of eco.nl (crates/eco-netlink/src/wire.rs): any bytes as a datagram
//! (message walk, attribute walk at every offset, nested walks, every accessor) must never panic
//! or read out of bounds. Also the builder: attributes built from the input must walk back with
//! the same types and payloads.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run netlink_parse -- -max_total_time=300`
#![no_main]

use eco_netlink::wire;
use eco_netlink::NlMsgKer;
use libfuzzer_sys::fuzz_target;

fn walk_deep(region: &[u8], depth: u32) {
    let _ = wire::walk_attrs(region, |_, s, e| {
        let a = &region[s..e];
        let _ = wire::attr_str(a);
        for n in [1, 2, 4, 8] {
            let _ = wire::attr_value(a, n);
        }
        if depth < 4 {
            if let Ok(p) = wire::attr_payload(a) {
                walk_deep(p, depth + 1);
            }
        }
    });
}

fuzz_target!(|data: &[u8]| {
    let mut k = NlMsgKer::new(data.to_vec());
    while let Some(h) = k.advance() {
        let (h2, body) = k.current().expect("a current message after next()");
        assert_eq!(h, h2);
        assert_eq!(body.len() + 16, h.len as usize);
        for off in 0..body.len().min(64) {
            walk_deep(&body[wire::align4(off).min(body.len())..], 0);
        }
    }
    assert!(k.advance().is_none());
    walk_deep(data, 0);

    // builder round trip: chunks of the input become attributes
    let Some(mut b) = wire::Builder::new(16, 1, 2, 1 << 16) else {
        return;
    };
    let mut put = Vec::new();
    for (i, chunk) in data.chunks(7).enumerate() {
        let typ = (i as u16) & wire::NLA_TYPE_MASK;
        if b.put_attr(typ, &[chunk]).is_ok() {
            put.push((typ, chunk));
        }
    }
    let bytes = b.bytes().to_vec();
    let h = wire::msg_at(&bytes, 0).expect("a built message parses");
    assert_eq!(h.len as usize, bytes.len());
    let mut got = Vec::new();
    wire::walk_attrs(&bytes[16..], |t, s, e| got.push((t, s, e))).expect("a built message walks");
    assert_eq!(got.len(), put.len());
    for ((t, s, e), (pt, chunk)) in got.into_iter().zip(put) {
        assert_eq!(t, pt);
        assert_eq!(wire::attr_payload(&bytes[16 + s..16 + e]), Ok(chunk));
    }
});
