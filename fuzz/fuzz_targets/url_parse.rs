//! eco.http.url: `parse`, `escape` and `unescape` never panic on any bytes; `unescape(escape(x))`
//! is `x`; every parsed component is a slice of the input, in the order of the grammar.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run url_parse -- -max_total_time=300`
#![no_main]

use eco_http::url::{escape, parse, unescape, unescape_into};
use libfuzzer_sys::fuzz_target;

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr_range(), inner.as_ptr_range());
    o.start <= i.start && i.end <= o.end
}

fuzz_target!(|data: &[u8]| {
    if let Some(u) = parse(data) {
        for c in [u.scheme, u.host, u.raw_path, u.path].into_iter().chain(
            [u.user, u.password, u.params, u.query, u.frag]
                .into_iter()
                .flatten(),
        ) {
            assert!(within(data, c));
        }
        assert!(!u.host.is_empty());
        assert!(data.starts_with(u.scheme));
        assert!(data.ends_with(u.raw_path));
        assert!(within(u.raw_path, u.path) || u.path.is_empty());
        let path = u.path_bytes();
        let raw = u.raw_path_bytes();
        assert!(path.starts_with(b"/") && raw.starts_with(&path));
        if let Some(f) = u.frag {
            assert!(raw.ends_with(f));
        }
        for c in [u.params, u.query].into_iter().flatten() {
            assert!(!c.iter().any(|b| b";?#".contains(b)));
        }
    }
    let (e, n) = escape(data);
    assert_eq!(e.len(), data.len() + 2 * n);
    assert!(e
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'%'));
    let (d, m) = unescape(&e);
    assert_eq!(d, data);
    assert_eq!(m, n);
    let (d, m) = unescape(data);
    assert_eq!(d.len() + 2 * m, data.len());
    let mut out = b"prefix".to_vec();
    assert_eq!(unescape_into(data, &mut out), m);
    assert_eq!(&out[6..], d.as_slice());
});
