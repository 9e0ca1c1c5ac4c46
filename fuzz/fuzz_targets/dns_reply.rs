//! The DNS reply parsing path of eco.dns: any bytes, the expected id taken from the input so that
//! the parser gets past the id check. Must never panic. Also the hand-written query builder: any
//! name it accepts must come back through the parser as a well-formed (empty) reply.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run dns_reply -- -max_total_time=300`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let id = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    let _ = eco_dns::parse_reply(data, id);
    let _ = eco_dns::parse_reply(data, id.wrapping_add(1));
    if let Some(mut q) = eco_dns::build_query(data, id, id, false) {
        q[2] |= 0x80;
        assert_eq!(eco_dns::parse_reply(&q, id), Ok(Vec::new()));
    }
});
