//! Pure RFC 6455 frame codec: no Lua, no I/O, never panics (fuzzed by `fuzz/fuzz_targets/ws_frame.rs`).

/// Close codes used for protocol failures (RFC 6455 section 7.4.1).
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
pub const CLOSE_TOO_BIG: u16 = 1009;

/// Largest payload `build_frame` accepts (the reference writes the 64-bit length with its high
/// 32 bits zero and fails above 31 bits).
pub const MAX_BUILD_LEN: usize = 0x7FFF_FFFF;

/// Result of [`parse_frame`].
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// One complete frame; `payload` is already unmasked; `consumed` bytes of the input were used.
    Frame {
        fin: bool,
        opcode: u8,
        payload: Vec<u8>,
        consumed: usize,
        masked: bool,
    },
    /// The buffer must hold at least this many bytes (in total) before parsing can go on.
    Need(usize),
    /// Protocol violation: close code and the spec's error text.
    Error(u16, &'static str),
}

/// Parses the frame at the start of `buf`. The checks run in the order of spec/websocket.md 5.1,
/// each as soon as the bytes it needs are present, so a caller reading "2 bytes, then the extended
/// length, then mask + payload" sees exactly the reference's sequence of reads and errors.
pub fn parse_frame(buf: &[u8], max_payload: u64) -> Parsed {
    let (b0, b1) = match buf {
        [a, b, ..] => (*a, *b),
        _ => return Parsed::Need(2),
    };
    if b0 & 0x70 != 0 {
        return Parsed::Error(CLOSE_PROTOCOL_ERROR, "bad RSV1, RSV2, or RSV3 bits");
    }
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0f;
    if (0x3..=0x7).contains(&opcode) {
        return Parsed::Error(CLOSE_PROTOCOL_ERROR, "reserved non-control frames");
    }
    if opcode >= 0xB {
        return Parsed::Error(CLOSE_PROTOCOL_ERROR, "reserved control frames");
    }
    let masked = b1 & 0x80 != 0;
    let (len, hlen): (u64, usize) = match b1 & 0x7f {
        126 => match buf.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Parsed::Need(4),
        },
        127 => match buf.get(2..10) {
            Some(s) => {
                let mut b = [0u8; 8];
                b.copy_from_slice(s);
                let l = u64::from_be_bytes(b);
                if l > i64::MAX as u64 {
                    return Parsed::Error(CLOSE_TOO_BIG, "payload len too large");
                }
                (l, 10)
            }
            None => return Parsed::Need(10),
        },
        n => (u64::from(n), 2),
    };
    if opcode & 0x8 != 0 {
        if len > 125 {
            return Parsed::Error(CLOSE_PROTOCOL_ERROR, "too long payload for control frame");
        }
        if !fin {
            return Parsed::Error(CLOSE_PROTOCOL_ERROR, "fragmented control frame");
        }
    }
    if len > max_payload {
        return Parsed::Error(CLOSE_TOO_BIG, "exceeding max payload len");
    }
    let mlen = if masked { 4 } else { 0 };
    let total = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(hlen + mlen));
    let Some(total) = total else {
        return Parsed::Error(CLOSE_TOO_BIG, "exceeding max payload len");
    };
    if buf.len() < total {
        return Parsed::Need(total);
    }
    let mut payload = buf[hlen + mlen..total].to_vec();
    if masked {
        let key = [buf[hlen], buf[hlen + 1], buf[hlen + 2], buf[hlen + 3]];
        apply_mask(&mut payload, key);
    }
    Parsed::Frame {
        fin,
        opcode,
        payload,
        consumed: total,
        masked,
    }
}

/// XORs `data` with the 4-byte masking key (RFC 6455 5.3); applying it twice restores the data.
pub fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// Builds a frame: `b0` is the first byte (FIN | opcode), `mask` the key for a masked frame.
/// `None` when the payload does not fit 31 bits.
pub fn build_frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Option<Vec<u8>> {
    let len = payload.len();
    if len > MAX_BUILD_LEN {
        return None;
    }
    let mut out = Vec::with_capacity(len + 14);
    out.push(b0);
    let mbit = if mask.is_some() { 0x80 } else { 0 };
    if len <= 125 {
        out.push(mbit | len as u8);
    } else if len <= 0xFFFF {
        out.push(mbit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mbit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            let start = out.len();
            out.extend_from_slice(payload);
            apply_mask(&mut out[start..], key);
        }
        None => out.extend_from_slice(payload),
    }
    Some(out)
}

/// UTF-8 check of a text fragment: `None` when invalid, else the number of trailing bytes that
/// form an incomplete (but so far valid) sequence, to be completed by the next fragment.
pub fn utf8_check(data: &[u8]) -> Option<usize> {
    match std::str::from_utf8(data) {
        Ok(_) => Some(0),
        Err(e) if e.error_len().is_none() => Some(data.len() - e.valid_up_to()),
        Err(_) => None,
    }
}

/// `Sec-WebSocket-Accept` for a key: base64(SHA1(key .. GUID)).
pub fn accept_key(key: &[u8]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(key);
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    eco_encoding::base64_encode(&h.finalize())
}

/// Whether a `Sec-WebSocket-Key` base64-decodes to exactly 16 bytes.
pub fn key_ok(key: &[u8]) -> bool {
    eco_encoding::base64_decode(key).is_some_and(|k| k.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_vec()
        );
        assert!(key_ok(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!key_ok(b"===="));
    }

    #[test]
    fn roundtrip_lengths() {
        for len in [0usize, 1, 125, 126, 65535, 65536, 70000] {
            let p: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for mask in [None, Some([1, 2, 3, 4])] {
                let f = build_frame(0x82, &p, mask).unwrap();
                match parse_frame(&f, 1 << 20) {
                    Parsed::Frame {
                        fin,
                        opcode,
                        payload,
                        consumed,
                        masked,
                    } => {
                        assert!(fin);
                        assert_eq!(opcode, 2);
                        assert_eq!(payload, p);
                        assert_eq!(consumed, f.len());
                        assert_eq!(masked, mask.is_some());
                    }
                    other => panic!("{other:?}"),
                }
                // every strict prefix asks for more
                for cut in [0, 1, f.len() - 1] {
                    if cut < f.len() {
                        assert!(
                            matches!(parse_frame(&f[..cut], 1 << 20), Parsed::Need(n) if n > cut)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn errors() {
        let huge = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse_frame(&huge, u64::MAX),
            Parsed::Error(1009, "payload len too large")
        );
        let big = [0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            parse_frame(&big, 65535),
            Parsed::Error(1009, "exceeding max payload len")
        );
        assert_eq!(
            parse_frame(&[0x89, 126, 0, 126], 1000),
            Parsed::Error(1002, "too long payload for control frame")
        );
        assert_eq!(
            parse_frame(&[0x09, 0], 1000),
            Parsed::Error(1002, "fragmented control frame")
        );
        assert_eq!(parse_frame(&[0xC1, 0], 1000).clone_err(), 1002);
        assert_eq!(parse_frame(&[0x83, 0], 1000).clone_err(), 1002);
        assert_eq!(parse_frame(&[0x8B, 0], 1000).clone_err(), 1002);
        assert!(build_frame(0x82, &[], None).is_some());
    }

    #[test]
    fn utf8() {
        assert_eq!(utf8_check("héllo".as_bytes()), Some(0));
        assert_eq!(utf8_check(&[b'a', 0xE2, 0x82]), Some(2));
        assert_eq!(utf8_check(&[0xFF]), None);
        assert_eq!(utf8_check(&[0xED, 0xA0, 0x80]), None); // surrogate
        assert_eq!(utf8_check(&[0xC0, 0x80]), None); // overlong
    }

    /// Randomized robustness test (xorshift, fixed seed): arbitrary bytes never panic, and a
    /// `Need(n)` always asks for more than was given.
    #[test]
    fn random_input_never_panics() {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..200_000 {
            let len = (next() % 40) as usize;
            let buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let max = next() % 70;
            match parse_frame(&buf, max) {
                Parsed::Need(n) => assert!(n > buf.len()),
                Parsed::Frame { consumed, .. } => assert!(consumed <= buf.len()),
                Parsed::Error(..) => {}
            }
        }
    }

    impl Parsed {
        fn clone_err(&self) -> u16 {
            match self {
                Parsed::Error(c, _) => *c,
                _ => 0,
            }
        }
    }
}
