//! eco.uci on libuci: any bytes as a config file. Loading must never crash; a file that does not
//! load is left untouched; a file that loads, once rewritten by libuci's writer (a change and its
//! removal committed), loads again to the same sections and options (`eco_uci::roundtrip_check`,
//! which found libuci writing section types unquoted: docs/uci.md).
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run uci_roundtrip -- -max_total_time=300`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return;
    }
    let dir = std::env::temp_dir().join(format!("eco-uci-fuzz-{}", std::process::id()));
    if let Err(e) = eco_uci::roundtrip_check(&dir, data) {
        panic!("{e}");
    }
});
