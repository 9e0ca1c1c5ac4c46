//! The client's response head parser: never panics, a complete head fits in the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(r)) = eco_http::parse_response(data) {
        assert!(r.len <= data.len());
    }
});
