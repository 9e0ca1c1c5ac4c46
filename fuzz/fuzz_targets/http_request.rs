//! The server's request head parser (httparse + line/count limits): never panics, a complete
//! head never claims more bytes than given, and limits hold; the server's query splitting never
//! panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lim = eco_http::Limits {
        max_line: 256,
        max_header_line: 128,
        max_headers: 8,
    };
    if let Ok(Some(r)) = eco_http::parse_request(data, &lim) {
        assert!(r.len <= data.len());
        assert!(r.headers.len() <= lim.max_headers);
        assert!(r.path.len() <= lim.max_line);
        if let Some(q) = r.path.iter().position(|&b| b == b'?') {
            for (k, v) in eco_http::server::parse_query(&r.path[q + 1..]) {
                assert!(!k.is_empty() && !k.contains(&b'&') && v.len() <= r.path.len());
            }
        }
    }
    let _ = eco_http::parse_request(data, &eco_http::Limits::default());
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = eco_http::parse_http_date(s);
    }
});
