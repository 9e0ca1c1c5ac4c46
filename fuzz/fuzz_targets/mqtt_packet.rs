//! The MQTT packet decoder of eco.mqtt: any bytes, decoded as a stream of packets with a size
//! limit taken from the input. Must never panic; every packet it accepts must re-encode into
//! bytes that decode to the same packet.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run mqtt_packet -- -max_total_time=300`
#![no_main]

use eco_mqtt::codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (max, mut buf) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) as usize * 16, rest),
        _ => (1024, data),
    };
    let _ = codec::remaining_length(buf);
    if let [first, body @ ..] = buf {
        let _ = codec::decode_body(*first, body);
    }
    while let Ok(Some((p, used))) = codec::decode(buf, max) {
        assert!(used > 0 && used <= buf.len());
        if let Ok(wire) = codec::encode(&p) {
            let (q, n) = codec::decode(&wire, codec::MAX_REMAINING_LENGTH)
                .expect("re-encoded packet decodes")
                .expect("re-encoded packet is complete");
            assert_eq!(q, p);
            assert_eq!(n, wire.len());
        }
        buf = &buf[used..];
    }
});
