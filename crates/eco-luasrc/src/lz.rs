//! A small LZ77 byte format (the LZ4 block layout) for the embedded Lua sources: the packer runs
//! in build scripts, the unpacker when a module is opened. Lua text packs to about 40% and the
//! unpacker is a few hundred bytes of code, far less than a general-purpose inflater.
//!
//! A packed text is a series of sequences: a token byte (high nibble: literal count, low nibble:
//! match length - 4; 15 in either says more length bytes follow, each added, until one below 255),
//! the literal bytes, then, except in the last sequence, a 2-byte little-endian distance back into
//! the output (1..=65535) and the match's extra length bytes.

use alloc::vec::Vec;

const MIN_MATCH: usize = 4;
const WINDOW: usize = 65535;
const HASH_BITS: u32 = 15;
/// Candidates tried per position: more packs tighter, at build time only.
const CHAIN: usize = 256;

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 255 {
        out.push(255);
        n -= 255;
    }
    out.push(n as u8);
}

fn sequence(out: &mut Vec<u8>, lits: &[u8], m: Option<(usize, usize)>) {
    let l = lits.len();
    let ml = m.map_or(0, |(_, len)| len - MIN_MATCH);
    out.push(((l.min(15) as u8) << 4) | ml.min(15) as u8);
    if l >= 15 {
        put_len(out, l - 15);
    }
    out.extend_from_slice(lits);
    if let Some((dist, _)) = m {
        out.extend_from_slice(&(dist as u16).to_le_bytes());
        if ml >= 15 {
            put_len(out, ml - 15);
        }
    }
}

fn hash(s: &[u8]) -> usize {
    let v = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    (v.wrapping_mul(2654435761) >> (32 - HASH_BITS)) as usize
}

/// The longest earlier match for position `i`: (distance, length).
fn longest(src: &[u8], i: usize, head: &[usize], prev: &[usize]) -> (usize, usize) {
    let mut best = (0, 0);
    if i + MIN_MATCH > src.len() {
        return best;
    }
    let mut cand = head[hash(&src[i..])];
    let mut tries = 0;
    while cand != usize::MAX && i - cand <= WINDOW && tries < CHAIN {
        let len = src[cand..]
            .iter()
            .zip(&src[i..])
            .take_while(|(a, b)| a == b)
            .count();
        if len > best.1 {
            best = (i - cand, len);
        }
        cand = prev[cand];
        tries += 1;
    }
    best
}

/// Packs `src` (hash chains, one step of lazy matching: a match is deferred by a byte when the
/// next position has a longer one).
pub fn pack(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut head = alloc::vec![usize::MAX; 1 << HASH_BITS];
    let mut prev = alloc::vec![usize::MAX; src.len()];
    let mut lit_start = 0;
    let mut i = 0;
    let insert = |head: &mut Vec<usize>, prev: &mut Vec<usize>, p: usize| {
        if p + MIN_MATCH <= src.len() {
            let h = hash(&src[p..]);
            prev[p] = head[h];
            head[h] = p;
        }
    };
    while i + MIN_MATCH <= src.len() {
        let best = longest(src, i, &head, &prev);
        if best.1 < MIN_MATCH {
            insert(&mut head, &mut prev, i);
            i += 1;
            continue;
        }
        insert(&mut head, &mut prev, i);
        let next = longest(src, i + 1, &head, &prev);
        if next.1 > best.1 + 1 {
            i += 1; // this byte becomes a literal; the longer match is taken next round
            continue;
        }
        sequence(&mut out, &src[lit_start..i], Some(best));
        for p in i + 1..i + best.1 {
            insert(&mut head, &mut prev, p);
        }
        i += best.1;
        lit_start = i;
    }
    sequence(&mut out, &src[lit_start..], None);
    out
}

/// Reads a length continuation at `*i`.
fn get_len(p: &[u8], i: &mut usize, mut n: usize) -> Option<usize> {
    loop {
        let b = *p.get(*i)?;
        *i += 1;
        n += b as usize;
        if b != 255 {
            return Some(n);
        }
    }
}

/// Unpacks what [`pack`] made; `None` for malformed input.
pub fn unpack(p: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(p.len() * 3);
    let mut i = 0;
    while i < p.len() {
        let t = p[i];
        i += 1;
        let mut lits = (t >> 4) as usize;
        if lits == 15 {
            lits = get_len(p, &mut i, lits)?;
        }
        out.extend_from_slice(p.get(i..i.checked_add(lits)?)?);
        i += lits;
        if i == p.len() {
            break;
        }
        let dist = u16::from_le_bytes([*p.get(i)?, *p.get(i + 1)?]) as usize;
        i += 2;
        let mut len = (t & 15) as usize;
        if len == 15 {
            len = get_len(p, &mut i, len)?;
        }
        len += MIN_MATCH;
        let start = out.len().checked_sub(dist).filter(|_| dist > 0)?;
        for k in 0..len {
            let b = out[start + k];
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &[u8]) -> usize {
        let p = pack(s);
        assert_eq!(unpack(&p).as_deref(), Some(s));
        p.len()
    }

    #[test]
    fn roundtrips() {
        roundtrip(b"");
        roundtrip(b"a");
        roundtrip(b"abcd");
        roundtrip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let mut long = Vec::new();
        for i in 0..70000u32 {
            long.extend_from_slice(&(i % 251).to_le_bytes()[..1]);
            if i % 7 == 0 {
                long.extend_from_slice(b"local function ");
            }
        }
        assert!(roundtrip(&long) < long.len() / 2);
        // a literal run over 15 + 255 and a match over 15 + 255
        let mut s: Vec<u8> = (0..600u32).map(|i| (i * 7919 % 256) as u8).collect();
        s.extend(core::iter::repeat_n(b'x', 1000));
        roundtrip(&s);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(unpack(&[0x10]), None); // a literal promised, none there
        assert_eq!(unpack(&[0x00, 5, 0]), None); // a match before any output
        assert_eq!(unpack(&[0xf0]), None); // a length continuation missing
    }

    #[test]
    fn packs_the_repository_lua() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let (mut raw, mut packed) = (0, 0);
        for krate in std::fs::read_dir(root).unwrap().flatten() {
            let Ok(files) = std::fs::read_dir(krate.path().join("lua")) else {
                continue;
            };
            for f in files.flatten() {
                let src = std::fs::read(f.path()).unwrap();
                let min = crate::minify(&src);
                raw += src.len();
                packed += roundtrip(&min);
            }
        }
        std::eprintln!("repository Lua: {raw} bytes, packed {packed}");
        assert!(packed * 2 < raw, "{packed} of {raw}");
    }
}
