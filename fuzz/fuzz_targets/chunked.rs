//! The chunked transfer-coding decoder of eco.http: any bytes, fed in pieces whose sizes (and
//! the `want` of each call) come from the first input bytes, never panic; a call never consumes
//! more than it was given nor produces more than `want`; the body never exceeds `max_body`; and
//! the result (body, consumed bytes, done, error) is the same as feeding the input in one piece.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run chunked -- -max_total_time=300`
#![no_main]

use eco_http::chunked::{ChunkError, Chunked};
use libfuzzer_sys::fuzz_target;

type Outcome = (Vec<u8>, usize, bool, Option<ChunkError>);

/// Feeds `input` in pieces of the sizes given by `split` (cycled; 0 ⇒ whole rest) with the
/// wants given by `wants` (cycled), like a reader: unconsumed bytes are kept, calls are repeated
/// until no progress is made.
fn feed(dec: &mut Chunked, input: &[u8], split: &[u8], wants: &[u8], max_body: u64) -> Outcome {
    let mut pending = Vec::new();
    let mut body = Vec::new();
    let mut consumed = 0;
    let mut at = 0;
    let mut k = 0;
    let mut w = 0;
    let mut stalled = false;
    while at < input.len() {
        let n = match split.get(k % split.len().max(1)) {
            Some(&s) if s > 0 => usize::from(s).min(input.len() - at),
            _ => input.len() - at,
        };
        k += 1;
        pending.extend_from_slice(&input[at..at + n]);
        at += n;
        loop {
            // after a call with want 0 made no progress, ask for everything
            let want = match wants.get(w % wants.len().max(1)) {
                Some(&x) if !stalled => usize::from(x),
                _ => usize::MAX,
            };
            w += 1;
            let before = body.len();
            match dec.decode(&pending, want, &mut body) {
                Ok(used) => {
                    assert!(used <= pending.len());
                    assert!(body.len() - before <= want);
                    assert!(body.len() as u64 <= max_body);
                    pending.drain(..used);
                    consumed += used;
                    if dec.done() {
                        // a finished decoder consumes nothing more
                        assert_eq!(dec.decode(&pending, want, &mut body), Ok(0));
                        return (body, consumed, true, None);
                    }
                    stalled = used == 0 && body.len() == before;
                    if stalled && want > 0 {
                        stalled = false;
                        break;
                    }
                }
                Err(e) => {
                    // errors are sticky
                    assert_eq!(dec.decode(b"0\r\n\r\n", 1, &mut body), Err(e));
                    return (body, consumed, false, Some(e));
                }
            }
        }
    }
    (body, consumed, dec.done(), None)
}

fuzz_target!(|data: &[u8]| {
    // [nsplit, nwant, max_line, max_trailer, max_body(2)] splits wants input
    let [ns, nw, ml, mt, mb0, mb1, rest @ ..] = data else {
        return;
    };
    let (ns, nw) = (usize::from(*ns % 16), usize::from(*nw % 16));
    if rest.len() < ns + nw {
        return;
    }
    let (split, rest) = rest.split_at(ns);
    let (wants, input) = rest.split_at(nw);
    let max_line = usize::from(*ml);
    let max_trailer = usize::from(*mt) * 4;
    let max_body = u64::from(u16::from_be_bytes([*mb0, *mb1]));
    let lim = || Chunked::new(max_line, max_trailer, max_body);
    let whole = feed(&mut lim(), input, &[], &[], max_body);
    let parts = feed(&mut lim(), input, split, wants, max_body);
    if whole.3.is_some() {
        // the bytes consumed before the failing call depend on the split
        assert_eq!((&parts.0, parts.3), (&whole.0, whole.3));
    } else {
        assert_eq!(parts, whole);
    }
    // no limits at all: still never panics
    let _ = feed(
        &mut Chunked::new(usize::MAX, usize::MAX, u64::MAX),
        input,
        split,
        wants,
        u64::MAX,
    );
});
