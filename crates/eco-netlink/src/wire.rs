//! The netlink wire format without Lua (docs/netlink.md, "Wire format"): the message builder,
//! the datagram walk and the attribute walk. Every integer is in host byte order (netlink is
//! host-order; big-endian MIPS routers exist). Every read of kernel bytes is bounded by the
//! slice it is given: nothing here indexes past its input or panics, whatever the bytes
//! (`fuzz/fuzz_targets/netlink_parse.rs`, the unit tests below).

/// `sizeof(struct nlmsghdr)`.
pub const NLMSG_HDRLEN: usize = 16;
/// `sizeof(struct nlattr)`.
pub const NLA_HDRLEN: usize = 4;
/// `sizeof(struct nlmsgerr)`.
pub const NLMSGERR_SIZE: usize = 20;
/// `NLA_F_NESTED`.
pub const NLA_F_NESTED: u16 = 0x8000;
/// The type bits of `nla_type` (`NLA_TYPE_MASK`).
pub const NLA_TYPE_MASK: u16 = 0x3fff;
/// `NLMSG_ERROR`.
pub const NLMSG_ERROR: u16 = 2;
/// `INT_MAX`, the reference's limit on sizes.
pub const INT_MAX: usize = i32::MAX as usize;
/// Largest attribute payload (`u16` length minus the header, aligned).
pub const MAX_ATTR_PAYLOAD: usize = 65531;

/// `NLMSG_ALIGN` / `NLA_ALIGN`, saturating instead of wrapping.
pub fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Native-endian readers on a slice: `None` when the bytes are not there.
pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes([s[0], s[1]]))
}

pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_ne_bytes(a))
}

/// A `struct nlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub typ: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

/// The header of the message at `at` if it passes `NLMSG_OK` on the bytes that remain: at least
/// 16 bytes left, `len >= 16`, `len <= remaining`.
pub fn msg_at(data: &[u8], at: usize) -> Option<Header> {
    let rest = data.get(at..)?;
    if rest.len() < NLMSG_HDRLEN {
        return None;
    }
    let len = u32_at(rest, 0)?;
    if (len as usize) < NLMSG_HDRLEN || len as usize > rest.len() {
        return None;
    }
    Some(Header {
        len,
        typ: u16_at(rest, 4)?,
        flags: u16_at(rest, 6)?,
        seq: u32_at(rest, 8)?,
        pid: u32_at(rest, 12)?,
    })
}

/// The offset of the message after the one at `at` of length `len` (`NLMSG_NEXT`).
pub fn next_offset(at: usize, len: u32) -> usize {
    at.saturating_add(align4(len as usize))
}

/// The attributes of `region` as `(type & 0x3fff, start, end)` ranges of whole attributes
/// (header included, `nla_len` bytes, no padding), in order. `Err(())` when the walk
/// (`nla_ok`: remaining >= 4, `nla_len >= 4`, `nla_len <= remaining`; advance by the aligned
/// length) does not consume the region exactly.
pub fn walk_attrs(region: &[u8], mut f: impl FnMut(u16, usize, usize)) -> Result<(), ()> {
    let mut at = 0usize;
    loop {
        let rem = region.len() - at;
        if rem == 0 {
            return Ok(());
        }
        if rem < NLA_HDRLEN {
            return Err(());
        }
        let (Some(len), Some(typ)) = (u16_at(region, at), u16_at(region, at + 2)) else {
            return Err(());
        };
        let len = len as usize;
        if len < NLA_HDRLEN || len > rem {
            return Err(());
        }
        f(typ & NLA_TYPE_MASK, at, at + len);
        // A last attribute without its padding leaves a negative remainder: malformed, as in
        // the reference (`rem != 0` after `nla_for_each_attr`).
        at += align4(len);
        if at > region.len() {
            return Err(());
        }
    }
}

/// Checks one raw attribute string and returns its payload (`nla_len - 4` bytes).
pub fn attr_payload(attr: &[u8]) -> Result<&[u8], &'static str> {
    let len = u16_at(attr, 0).ok_or("invalid attribute")? as usize;
    if attr.len() < NLA_HDRLEN || len < NLA_HDRLEN || len > attr.len() {
        return Err("invalid attribute");
    }
    Ok(&attr[NLA_HDRLEN..len])
}

/// The payload of `attr` if it holds at least `n` bytes.
pub fn attr_value(attr: &[u8], n: usize) -> Result<&[u8], &'static str> {
    let p = attr_payload(attr)?;
    if p.len() < n {
        return Err("attribute payload is too short");
    }
    Ok(&p[..n])
}

/// `attr_get_str`: the bytes before the first NUL; the payload must hold one.
pub fn attr_str(attr: &[u8]) -> Result<&[u8], &'static str> {
    let p = attr_payload(attr)?;
    if p.is_empty() {
        return Err("attribute payload is too short");
    }
    match p.iter().position(|&b| b == 0) {
        Some(i) => Ok(&p[..i]),
        None => Err("attribute string is not NUL-terminated"),
    }
}

/// The message builder (`nl.nlmsg`): a header and a bounded buffer, one open nest tracked.
#[derive(Debug, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    cap: usize,
    nest: Option<usize>,
}

/// Failures of the builder (the strings of docs/netlink.md).
pub const BUF_FULL: &str = "buf is full";
pub const ATTR_TOO_LARGE: &str = "attr is too large";
pub const DATA_TOO_LARGE: &str = "data is too large";

impl Builder {
    /// A message of `typ`/`flags`/`seq` with room for `size` payload bytes; `None` for a size
    /// out of range (negative, above `INT_MAX - 16`, or aligned above `INT_MAX`).
    pub fn new(typ: u16, flags: u16, seq: u32, size: i64) -> Option<Builder> {
        if size < 0 || size as u64 > (INT_MAX - NLMSG_HDRLEN) as u64 {
            return None;
        }
        let cap = NLMSG_HDRLEN + align4(size as usize);
        if cap > INT_MAX {
            return None;
        }
        let mut buf = Vec::with_capacity(cap.min(NLMSG_HDRLEN + 4096));
        buf.extend_from_slice(&(NLMSG_HDRLEN as u32).to_ne_bytes());
        buf.extend_from_slice(&typ.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        Some(Builder {
            buf,
            cap,
            nest: None,
        })
    }

    /// The message bytes (`nlmsg_len` bytes, header included).
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    fn set_len(&mut self) {
        let n = (self.buf.len() as u32).to_ne_bytes();
        self.buf[..4].copy_from_slice(&n);
    }

    fn room(&self) -> usize {
        self.cap - self.buf.len()
    }

    fn pad(&mut self) {
        let n = align4(self.buf.len()) - self.buf.len();
        self.buf.extend(std::iter::repeat_n(0u8, n));
    }

    /// Raw bytes, then padding to 4; not counted in an open nest.
    pub fn put(&mut self, data: &[u8]) -> Result<(), &'static str> {
        if data.len() > INT_MAX {
            return Err(DATA_TOO_LARGE);
        }
        if align4(data.len()) > self.room() {
            return Err(BUF_FULL);
        }
        self.buf.extend_from_slice(data);
        self.pad();
        self.set_len();
        Ok(())
    }

    /// One attribute of `parts` concatenated as payload; grows the open nest.
    pub fn put_attr(&mut self, typ: u16, parts: &[&[u8]]) -> Result<(), &'static str> {
        let plen: usize = parts.iter().map(|p| p.len()).sum();
        if plen > MAX_ATTR_PAYLOAD {
            return Err(ATTR_TOO_LARGE);
        }
        let total = align4(NLA_HDRLEN + plen);
        if let Some(n) = self.nest {
            let cur = u16_at(&self.buf, n).unwrap_or(0) as usize;
            if cur + total > 65535 {
                return Err(ATTR_TOO_LARGE);
            }
        }
        if total > self.room() {
            return Err(BUF_FULL);
        }
        self.buf
            .extend_from_slice(&((NLA_HDRLEN + plen) as u16).to_ne_bytes());
        self.buf.extend_from_slice(&typ.to_ne_bytes());
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        self.pad();
        self.set_len();
        if let Some(n) = self.nest {
            let cur = u16_at(&self.buf, n).unwrap_or(0) as usize;
            let v = ((cur + total) as u16).to_ne_bytes();
            self.buf[n..n + 2].copy_from_slice(&v);
        }
        Ok(())
    }

    /// An empty attribute of type `typ | NLA_F_NESTED` that becomes the current nest (an outer
    /// open nest is not grown by it nor by anything after it).
    pub fn nest_start(&mut self, typ: u16) -> Result<(), &'static str> {
        self.nest = None;
        let at = self.buf.len();
        self.put_attr(typ | NLA_F_NESTED, &[])?;
        self.nest = Some(at);
        Ok(())
    }

    pub fn nest_end(&mut self) {
        self.nest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_in_host_order() {
        let b = Builder::new(18, 0x301, 7, 4096).unwrap();
        let h = msg_at(b.bytes(), 0).unwrap();
        assert_eq!(
            h,
            Header {
                len: 16,
                typ: 18,
                flags: 0x301,
                seq: 7,
                pid: 0
            }
        );
        assert_eq!(&b.bytes()[4..6], &18u16.to_ne_bytes());
    }

    #[test]
    fn sizes() {
        assert!(Builder::new(0, 0, 0, -1).is_none());
        assert!(Builder::new(0, 0, 0, i64::MAX).is_none());
        assert!(Builder::new(0, 0, 0, (INT_MAX - 16) as i64).is_none());
        let mut b = Builder::new(0, 0, 0, 4).unwrap();
        assert_eq!(b.put(b"abcd"), Ok(()));
        assert_eq!(b.put(b"x"), Err(BUF_FULL));
        assert_eq!(b.put_attr(1, &[]), Err(BUF_FULL));
    }

    #[test]
    fn nests() {
        let mut b = Builder::new(0, 0, 0, 4096).unwrap();
        b.nest_start(8).unwrap();
        b.put_attr(1, &[&9u32.to_ne_bytes()]).unwrap();
        assert_eq!(u16_at(b.bytes(), 16), Some(12));
        assert_eq!(u16_at(b.bytes(), 18), Some(0x8008));
        b.nest_start(9).unwrap();
        b.put_attr(1, &[b"a"]).unwrap();
        assert_eq!(u16_at(b.bytes(), 16), Some(12));
        assert_eq!(u16_at(b.bytes(), 28), Some(12));
        let mut seen = Vec::new();
        walk_attrs(&b.bytes()[16..], |t, s, e| seen.push((t, s, e))).unwrap();
        assert_eq!(seen, vec![(8, 0, 12), (9, 12, 24)]);
    }

    #[test]
    fn nest_limit() {
        let mut b = Builder::new(0, 0, 0, 200_000).unwrap();
        b.nest_start(1).unwrap();
        b.put_attr(2, &[&[0u8; 65000]]).unwrap();
        assert_eq!(b.put_attr(2, &[&[0u8; 1000]]), Err(ATTR_TOO_LARGE));
        assert_eq!(b.put_attr(2, &[&[0u8; 65532]]), Err(ATTR_TOO_LARGE));
    }

    #[test]
    fn walks_are_bounded() {
        assert_eq!(walk_attrs(&[], |_, _, _| {}), Ok(()));
        assert_eq!(walk_attrs(&[5, 0, 1], |_, _, _| {}), Err(()));
        let mut a = Vec::new();
        a.extend_from_slice(&5u16.to_ne_bytes());
        a.extend_from_slice(&1u16.to_ne_bytes());
        a.push(0xff);
        // an unpadded last attribute leaves a negative remainder
        assert_eq!(walk_attrs(&a, |_, _, _| {}), Err(()));
        a.extend_from_slice(&[0, 0, 0]);
        assert_eq!(walk_attrs(&a, |_, _, _| {}), Ok(()));
        a.extend_from_slice(&100u16.to_ne_bytes());
        a.extend_from_slice(&1u16.to_ne_bytes());
        assert_eq!(walk_attrs(&a, |_, _, _| {}), Err(()));
        assert_eq!(attr_payload(&[4, 0]), Err("invalid attribute"));
        assert_eq!(attr_value(&a[..8], 8), Err("attribute payload is too short"));
    }

    #[test]
    fn random_bytes_never_panic() {
        // a small xorshift: every length 0..64, many seeds, through every reader
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 64) as usize;
            let bytes: Vec<u8> = (0..n)
                .map(|i| {
                    let v = (x >> (i % 8 * 8)) as u8;
                    if i % 4 == 1 { v % 3 } else { v % 40 }
                })
                .collect();
            let mut at = 0;
            while let Some(h) = msg_at(&bytes, at) {
                let body = &bytes[at + 16..at + h.len as usize];
                let _ = walk_attrs(body, |_, s, e| {
                    let _ = attr_str(&body[s..e]);
                    let _ = walk_attrs(attr_payload(&body[s..e]).unwrap_or(&[]), |_, _, _| {});
                });
                at = next_offset(at, h.len);
            }
            let _ = walk_attrs(&bytes, |_, _, _| {});
            let _ = attr_value(&bytes, 8);
            let _ = attr_str(&bytes);
        }
    }
}
