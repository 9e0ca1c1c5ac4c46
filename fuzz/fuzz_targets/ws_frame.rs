//! The WebSocket frame parser of eco.websocket: any bytes with any payload limit must never panic;
//! a "need more" answer always asks for more than was given; a parsed frame never claims more
//! bytes than exist; and every frame the builder makes (masked or not) parses back to itself.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ws_frame -- -max_total_time=300`
#![no_main]

use eco_websocket::frame::{build_frame, parse_frame, utf8_check, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (max, buf) = match data {
        [a, b, rest @ ..] => (u64::from(u16::from_be_bytes([*a, *b])) * 4, rest),
        _ => (0, data),
    };
    for limit in [max, u64::MAX, i64::MAX as u64] {
        match parse_frame(buf, limit) {
            Parsed::Need(n) => assert!(n > buf.len()),
            Parsed::Frame {
                consumed, payload, ..
            } => {
                assert!(consumed <= buf.len());
                assert!(payload.len() as u64 <= limit);
            }
            Parsed::Error(code, _) => assert!(code == 1002 || code == 1009),
        }
    }
    let _ = utf8_check(buf);
    if let Some(&b0) = buf.first() {
        let b0 = b0 & 0x8f;
        let opcode = b0 & 0x0f;
        let payload = &buf[1..];
        let control = opcode & 0x8 != 0;
        let reserved = (0x3..=0x7).contains(&opcode) || opcode >= 0xB;
        for mask in [None, Some([data.len() as u8, 0x5a, 0xa5, 0xff])] {
            let f = build_frame(b0, payload, mask).expect("short payload builds");
            let r = parse_frame(&f, u64::MAX);
            if reserved || (control && (payload.len() > 125 || b0 & 0x80 == 0)) {
                assert!(matches!(r, Parsed::Error(..)));
            } else {
                assert_eq!(
                    r,
                    Parsed::Frame {
                        fin: b0 & 0x80 != 0,
                        opcode,
                        payload: payload.to_vec(),
                        consumed: f.len(),
                        masked: mask.is_some(),
                    }
                );
            }
        }
    }
});
