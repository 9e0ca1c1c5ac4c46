//! The ubus message and blobmsg decoders of eco.ubus: any bytes, as a message (header, container,
//! ubus attributes) and as a blobmsg list. Must never panic; an accepted message re-encodes to
//! one that decodes the same, and decoding is stable: encode(decode(x)) decodes to itself.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ubus_msg -- -max_total_time=300`
#![no_main]

use eco_ubus::{blob, msg};
use libfuzzer_sys::fuzz_target;

fn stable(list: &[u8]) {
    let v = blob::decode_list(list, 0);
    if let Ok(b1) = blob::encode_list(&v) {
        let v2 = blob::decode_list(&b1, 0);
        let b2 = blob::encode_list(&v2).expect("re-encodes");
        assert_eq!(b1, b2);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = msg::body_len(data);
    if let Ok(m) = msg::decode(data) {
        let wire = msg::encode(&m).expect("a decoded message re-encodes");
        assert_eq!(msg::decode(&wire).expect("re-encoded message decodes"), m);
        if let Some(d) = &m.attrs.data {
            stable(d);
        }
        if let Some(s) = &m.attrs.signature {
            stable(s);
        }
    }
    stable(data);
});
