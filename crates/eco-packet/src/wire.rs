//! The bytes side of `eco.packet` (docs/packet.md), free of Lua: header decoders that borrow
//! their input and never index past it, header builders, the internet checksum, and the address
//! text forms (`inet_aton`, `inet_ntop`, MAC strings).
//!
//! Every decoder takes `&[u8]` and returns `Err(message)` with the module's fixed error string
//! for input that is too short; a slice is only taken after its length was checked, and no
//! arithmetic on header fields can overflow (fields are widened before use).

/// Error strings of the decoders (docs/packet.md, "Decoders").
pub const ERR_ETHER: &str = "not a valid ether packet";
pub const ERR_8021Q: &str = "not a valid 8021Q packet";
pub const ERR_ARP: &str = "not a valid ARP packet";
pub const ERR_IP: &str = "not a valid IPv4 packet";
pub const ERR_IP6: &str = "not a valid IPV6 packet";
pub const ERR_ICMP: &str = "not a valid ICMP packet";
pub const ERR_ICMP6: &str = "not a valid ICMPV6 packet";
pub const ERR_TCP: &str = "not a valid TCP packet";
pub const ERR_UDP: &str = "not a valid UDP packet";
pub const ERR_RADIOTAP: &str = "not a valid radiotap packet";

pub const ETH_P_IP: u16 = 0x0800;
pub const ETH_P_ARP: u16 = 0x0806;
pub const ETH_P_8021Q: u16 = 0x8100;
pub const ETH_P_IPV6: u16 = 0x86dd;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ICMPV6: u8 = 58;

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

fn le16(d: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([d[at], d[at + 1]])
}

fn arr<const N: usize>(d: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&d[at..at + N]);
    a
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ether<'a> {
    pub dest: [u8; 6],
    pub source: [u8; 6],
    pub proto: u16,
    pub data: &'a [u8],
}

/// Ethernet II header: 14 bytes, padding kept in `data`, no FCS expected.
pub fn ether(d: &[u8]) -> Result<Ether<'_>, &'static str> {
    if d.len() < 14 {
        return Err(ERR_ETHER);
    }
    Ok(Ether {
        dest: arr(d, 0),
        source: arr(d, 6),
        proto: be16(d, 12),
        data: &d[14..],
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vlan<'a> {
    pub pri: u8,
    pub vid: u16,
    pub proto: u16,
    pub data: &'a [u8],
}

/// The 4 bytes after an 802.1Q EtherType: TCI and the inner EtherType.
pub fn vlan(d: &[u8]) -> Result<Vlan<'_>, &'static str> {
    if d.len() < 4 {
        return Err(ERR_8021Q);
    }
    let tci = be16(d, 0);
    Ok(Vlan {
        pri: (tci >> 13) as u8,
        vid: tci & 0x0fff,
        proto: be16(d, 2),
        data: &d[4..],
    })
}

/// Ethernet/IPv4 addresses of an ARP body at the fixed offsets 8..28.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpAddrs {
    pub sha: [u8; 6],
    pub sip: [u8; 4],
    pub tha: [u8; 6],
    pub tip: [u8; 4],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arp {
    pub hrd: u16,
    pub pro: u16,
    pub hln: u8,
    pub pln: u8,
    pub op: u16,
    /// Only for hardware type 1 (Ethernet) and protocol 0x0800 (IPv4).
    pub addrs: Option<ArpAddrs>,
}

/// ARP header; the addresses only for Ethernet/IPv4. The body must hold the lengths the header
/// announces, and an Ethernet/IPv4 body its 28 bytes (the addresses are read at fixed offsets).
pub fn arp(d: &[u8]) -> Result<Arp, &'static str> {
    if d.len() < 8 {
        return Err(ERR_ARP);
    }
    let (hln, pln) = (d[4], d[5]);
    if d.len() < 8 + 2 * hln as usize + 2 * pln as usize {
        return Err(ERR_ARP);
    }
    let (hrd, pro) = (be16(d, 0), be16(d, 2));
    let addrs = if hrd == 1 && pro == ETH_P_IP {
        if d.len() < 28 {
            return Err(ERR_ARP);
        }
        Some(ArpAddrs {
            sha: arr(d, 8),
            sip: arr(d, 14),
            tha: arr(d, 18),
            tip: arr(d, 24),
        })
    } else {
        None
    };
    Ok(Arp {
        hrd,
        pro,
        hln,
        pln,
        op: be16(d, 6),
        addrs,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip<'a> {
    pub version: u8,
    pub ihl: u8,
    pub tos: u8,
    pub tot_len: u16,
    pub id: u16,
    pub frag_off: u16,
    pub ttl: u8,
    pub protocol: u8,
    pub check: u16,
    pub saddr: [u8; 4],
    pub daddr: [u8; 4],
    pub data: &'a [u8],
}

/// IPv4 header. The version nibble is not checked; `data` runs from `ihl * 4` to the end of the
/// input (not trimmed to `tot_len`).
pub fn ip(d: &[u8]) -> Result<Ip<'_>, &'static str> {
    if d.len() < 20 {
        return Err(ERR_IP);
    }
    let ihl = d[0] & 0x0f;
    let hl = ihl as usize * 4;
    if d.len() < hl {
        return Err(ERR_IP);
    }
    Ok(Ip {
        version: d[0] >> 4,
        ihl,
        tos: d[1],
        tot_len: be16(d, 2),
        id: be16(d, 4),
        frag_off: be16(d, 6),
        ttl: d[8],
        protocol: d[9],
        check: be16(d, 10),
        saddr: arr(d, 12),
        daddr: arr(d, 16),
        data: &d[hl..],
    })
}

/// What `next()` decodes after an IPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upper {
    None,
    /// An EtherType (`proto`).
    Proto(u16),
    /// An IP protocol number (`protocol`).
    Protocol(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip6<'a> {
    pub version: u8,
    pub priority: u8,
    pub payload_len: u16,
    pub nexthdr: u8,
    pub hop_limit: u8,
    pub saddr: [u8; 16],
    pub daddr: [u8; 16],
    pub upper: Upper,
    pub data: &'a [u8],
}

/// IPv6 fixed header (extension headers are not skipped).
pub fn ip6(d: &[u8]) -> Result<Ip6<'_>, &'static str> {
    if d.len() < 40 {
        return Err(ERR_IP6);
    }
    let nexthdr = d[6];
    let upper = match nexthdr {
        IPPROTO_TCP | IPPROTO_UDP => Upper::Protocol(nexthdr),
        4 => Upper::Proto(ETH_P_IP),
        41 => Upper::Proto(ETH_P_IPV6),
        _ => Upper::None,
    };
    Ok(Ip6 {
        version: d[0] >> 4,
        priority: d[0] & 0x0f,
        payload_len: be16(d, 4),
        nexthdr,
        hop_limit: d[7],
        saddr: arr(d, 8),
        daddr: arr(d, 24),
        upper,
        data: &d[40..],
    })
}

/// The type-specific 4 bytes of an ICMP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpRest {
    None,
    Echo { id: u16, sequence: u16 },
    Gateway([u8; 4]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp<'a> {
    pub typ: u8,
    pub code: u8,
    pub checksum: u16,
    pub rest: IcmpRest,
    pub data: &'a [u8],
}

/// ICMP (`v6 == false`: echo types 8/0, redirect 5) or ICMPv6 (echo types 128/129) header.
/// The checksum is not verified.
pub fn icmp(d: &[u8], v6: bool) -> Result<Icmp<'_>, &'static str> {
    if d.len() < 8 {
        return Err(if v6 { ERR_ICMP6 } else { ERR_ICMP });
    }
    let typ = d[0];
    let rest = match (v6, typ) {
        (false, 0 | 8) | (true, 128 | 129) => IcmpRest::Echo {
            id: be16(d, 4),
            sequence: be16(d, 6),
        },
        (false, 5) => IcmpRest::Gateway(arr(d, 4)),
        _ => IcmpRest::None,
    };
    Ok(Icmp {
        typ,
        code: d[1],
        checksum: be16(d, 2),
        rest,
        data: &d[8..],
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp<'a> {
    pub source: u16,
    pub dest: u16,
    pub seq: u32,
    pub ack_seq: u32,
    pub doff: u8,
    /// Byte 13: cwr ece urg ack psh rst syn fin, bit 7 to bit 0.
    pub flags: u8,
    pub window: u16,
    pub check: u16,
    pub urg_ptr: u16,
    pub data: &'a [u8],
}

/// TCP header. `avail` is the segment length the IP layer announces (IPv4 `tot_len - ihl*4`,
/// IPv6 `payload_len`); the payload is `[doff*4, avail)` clipped to the input, empty when
/// `avail` does not exceed the header. `None`: the payload runs to the end of the input.
/// Options are skipped, not parsed.
pub fn tcp(d: &[u8], avail: Option<i64>) -> Result<Tcp<'_>, &'static str> {
    if d.len() < 20 {
        return Err(ERR_TCP);
    }
    let doff = d[12] >> 4;
    let thl = doff as usize * 4;
    let start = thl.min(d.len());
    let end = match avail {
        None => d.len(),
        Some(a) => {
            let len = a.saturating_sub(thl as i64);
            if len <= 0 {
                start
            } else {
                (thl as u64).saturating_add(len as u64).min(d.len() as u64) as usize
            }
        }
    };
    Ok(Tcp {
        source: be16(d, 0),
        dest: be16(d, 2),
        seq: be32(d, 4),
        ack_seq: be32(d, 8),
        doff,
        flags: d[13],
        window: be16(d, 14),
        check: be16(d, 16),
        urg_ptr: be16(d, 18),
        data: &d[start..end.max(start)],
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udp<'a> {
    pub source: u16,
    pub dest: u16,
    pub len: u16,
    pub check: u16,
    pub data: &'a [u8],
}

/// UDP header; the payload is `len - 8` bytes clipped to the input (bytes beyond the UDP
/// length are dropped). The checksum is not verified.
pub fn udp(d: &[u8]) -> Result<Udp<'_>, &'static str> {
    if d.len() < 8 {
        return Err(ERR_UDP);
    }
    let len = be16(d, 4);
    let end = (len as usize).clamp(8, d.len());
    Ok(Udp {
        source: be16(d, 0),
        dest: be16(d, 2),
        len,
        check: be16(d, 6),
        data: &d[8..end],
    })
}

/// Beacon / probe response fixed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconFixed {
    pub timestamp: u64,
    pub beacon_interval: u16,
    pub capability: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dot11<'a> {
    pub fc: u16,
    pub duration: u16,
    pub addr1: [u8; 6],
    pub addr2: Option<[u8; 6]>,
    pub addr3: Option<[u8; 6]>,
    pub addr4: Option<[u8; 6]>,
    pub fixed: Option<BeaconFixed>,
    pub ssid: Option<&'a [u8]>,
}

impl Dot11<'_> {
    pub fn version(&self) -> u8 {
        (self.fc & 3) as u8
    }
    pub fn typ(&self) -> u8 {
        ((self.fc >> 2) & 3) as u8
    }
    pub fn subtype(&self) -> u8 {
        ((self.fc >> 4) & 0xf) as u8
    }
    /// Frame control bit `8 + n`: to_ds, from_ds, more_frag, retry, pwr_mgmt, more_data,
    /// protected, plus_htc for n = 0..7.
    pub fn flag(&self, n: u8) -> bool {
        self.fc >> (8 + n) & 1 == 1
    }
}

/// Names of the frame control flags, bits 8..15 in order.
pub const DOT11_FLAGS: [&str; 8] = [
    "to_ds",
    "from_ds",
    "more_frag",
    "retry",
    "pwr_mgmt",
    "more_data",
    "protected",
    "plus_htc",
];

/// The last SSID element of an IE list; stops at a truncated element.
fn scan_ssid(mut ies: &[u8]) -> Option<&[u8]> {
    let mut ssid = None;
    while ies.len() >= 2 {
        let (id, len) = (ies[0], ies[1] as usize);
        if ies.len() - 2 < len {
            break;
        }
        if id == 0 {
            ssid = Some(&ies[2..2 + len]);
        }
        ies = &ies[2 + len..];
    }
    ssid
}

/// A radiotap header (only its length field is read) and the 802.11 frame after it.
pub fn radiotap(d: &[u8]) -> Result<Dot11<'_>, &'static str> {
    if d.len() < 8 {
        return Err(ERR_RADIOTAP);
    }
    let hlen = le16(d, 2) as usize;
    if hlen < 8 || hlen > d.len() {
        return Err(ERR_RADIOTAP);
    }
    let f = &d[hlen..];
    if f.len() < 10 {
        return Err(ERR_RADIOTAP);
    }
    let mut p = Dot11 {
        fc: le16(f, 0),
        duration: le16(f, 2),
        addr1: arr(f, 4),
        addr2: None,
        addr3: None,
        addr4: None,
        fixed: None,
        ssid: None,
    };
    let (to_ds, from_ds, htc) = (p.flag(0), p.flag(1), p.flag(7));
    match p.typ() {
        0 => {
            let hl = if htc { 28 } else { 24 };
            if f.len() < hl {
                return Err(ERR_RADIOTAP);
            }
            p.addr2 = Some(arr(f, 10));
            p.addr3 = Some(arr(f, 16));
            let body = &f[hl..];
            match p.subtype() {
                8 | 5 => {
                    if body.len() < 12 {
                        return Err(ERR_RADIOTAP);
                    }
                    p.fixed = Some(BeaconFixed {
                        timestamp: u64::from_le_bytes(arr(body, 0)),
                        beacon_interval: le16(body, 8),
                        capability: le16(body, 10),
                    });
                    p.ssid = scan_ssid(&body[12..]);
                }
                4 => p.ssid = scan_ssid(body),
                _ => {}
            }
        }
        2 => {
            if f.len() < 24 {
                return Err(ERR_RADIOTAP);
            }
            p.addr2 = Some(arr(f, 10));
            p.addr3 = Some(arr(f, 16));
            let four = to_ds && from_ds;
            if four {
                if f.len() < 30 {
                    return Err(ERR_RADIOTAP);
                }
                p.addr4 = Some(arr(f, 24));
            }
            if htc && f.len() < if four { 34 } else { 28 } {
                return Err(ERR_RADIOTAP);
            }
        }
        // control frames with a transmitter address: BACK_REQ, BACK, PSPOLL, RTS, CFEND, CFENDACK
        1 if matches!(p.subtype(), 8 | 9 | 10 | 11 | 14 | 15) && f.len() < 16 => {
            return Err(ERR_RADIOTAP);
        }
        _ => {}
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Checksum and builders
// ---------------------------------------------------------------------------------------------

/// Adds the big-endian 16-bit words of `d` to `sum` (an odd last byte is a high byte).
pub fn sum16(mut sum: u64, d: &[u8]) -> u64 {
    let mut chunks = d.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [b] = chunks.remainder() {
        sum += (*b as u64) << 8;
    }
    sum
}

/// Folds a sum to 16 bits and complements it (RFC 1071).
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The internet checksum of `d`.
pub fn checksum(d: &[u8]) -> u16 {
    fold(sum16(0, d))
}

/// The IPv4 pseudo-header sum for a TCP/UDP segment of `len` bytes.
fn pseudo(saddr: [u8; 4], daddr: [u8; 4], proto: u8, len: u16) -> u64 {
    let mut p = [0u8; 12];
    p[..4].copy_from_slice(&saddr);
    p[4..8].copy_from_slice(&daddr);
    p[9] = proto;
    p[10..].copy_from_slice(&len.to_be_bytes());
    sum16(0, &p)
}

/// ICMP / ICMPv6 echo message: 8-byte header and `data`; the checksum (over the message only,
/// also for ICMPv6) when `with_checksum`, else 0.
pub fn build_icmp(
    typ: u8,
    code: u8,
    id: u16,
    seq: u16,
    data: &[u8],
    with_checksum: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + data.len());
    out.extend_from_slice(&[typ, code, 0, 0]);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(data);
    if with_checksum {
        let c = checksum(&out);
        out[2..4].copy_from_slice(&c.to_be_bytes());
    }
    out
}

/// UDP datagram; `None` when `8 + data.len()` does not fit the length field. The checksum uses
/// the IPv4 pseudo-header when `addrs` is given (a computed 0 stays 0), else it is 0.
pub fn build_udp(
    source: u16,
    dest: u16,
    data: &[u8],
    addrs: Option<([u8; 4], [u8; 4])>,
) -> Option<Vec<u8>> {
    let len = u16::try_from(8 + data.len()).ok()?;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&source.to_be_bytes());
    out.extend_from_slice(&dest.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(data);
    if let Some((s, d)) = addrs {
        let c = fold(sum16(pseudo(s, d, IPPROTO_UDP, len), &out));
        out[6..8].copy_from_slice(&c.to_be_bytes());
    }
    Some(out)
}

/// TCP segment without options (`doff` 5, urgent pointer 0), checksummed with the IPv4
/// pseudo-header; `None` when the segment length does not fit 16 bits.
#[allow(clippy::too_many_arguments)]
pub fn build_tcp(
    source: u16,
    dest: u16,
    seq: u32,
    ack_seq: u32,
    flags: u8,
    window: u16,
    saddr: [u8; 4],
    daddr: [u8; 4],
    data: &[u8],
) -> Option<Vec<u8>> {
    let len = u16::try_from(20 + data.len()).ok()?;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&source.to_be_bytes());
    out.extend_from_slice(&dest.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack_seq.to_be_bytes());
    out.extend_from_slice(&[5 << 4, flags]);
    out.extend_from_slice(&window.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(data);
    let c = fold(sum16(pseudo(saddr, daddr, IPPROTO_TCP, len), &out));
    out[16..18].copy_from_slice(&c.to_be_bytes());
    Some(out)
}

/// IPv4 header without options (TTL 64, id 0, no DF) and `data`; `None` when the total length
/// does not fit 16 bits.
pub fn build_ip(saddr: [u8; 4], daddr: [u8; 4], protocol: u8, data: &[u8]) -> Option<Vec<u8>> {
    let tot = u16::try_from(20 + data.len()).ok()?;
    let mut out = Vec::with_capacity(tot as usize);
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&tot.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 64, protocol, 0, 0]);
    out.extend_from_slice(&saddr);
    out.extend_from_slice(&daddr);
    let c = checksum(&out);
    out[10..12].copy_from_slice(&c.to_be_bytes());
    out.extend_from_slice(data);
    Some(out)
}

/// The 28-byte Ethernet/IPv4 ARP body.
pub fn build_arp(op: u16, sha: [u8; 6], sip: [u8; 4], tha: [u8; 6], tip: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(28);
    out.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
    out.extend_from_slice(&op.to_be_bytes());
    out.extend_from_slice(&sha);
    out.extend_from_slice(&sip);
    out.extend_from_slice(&tha);
    out.extend_from_slice(&tip);
    out
}

/// Ethernet frame: destination first on the wire, no padding, no FCS.
pub fn build_ether(source: [u8; 6], dest: [u8; 6], proto: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + data.len());
    out.extend_from_slice(&dest);
    out.extend_from_slice(&source);
    out.extend_from_slice(&proto.to_be_bytes());
    out.extend_from_slice(data);
    out
}

// ---------------------------------------------------------------------------------------------
// Address text
// ---------------------------------------------------------------------------------------------

/// A MAC address string: every `:` removed, the rest 12 hex digits (either case).
pub fn parse_mac(s: &[u8]) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0usize;
    for &c in s.iter().filter(|&&c| c != b':') {
        let v = (c as char).to_digit(16)? as u8;
        if n >= 12 {
            return None;
        }
        out[n / 2] |= if n.is_multiple_of(2) { v << 4 } else { v };
        n += 1;
    }
    (n == 12).then_some(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `aa:bb:cc:dd:ee:ff`, lower case.
pub fn fmt_mac(m: &[u8; 6]) -> [u8; 17] {
    let mut out = [b':'; 17];
    for (i, b) in m.iter().enumerate() {
        out[i * 3] = HEX[(b >> 4) as usize];
        out[i * 3 + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// Dotted quad.
pub fn fmt_ip4(a: &[u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// `inet_ntop(AF_INET6)` as glibc writes it: the longest run of two or more zero words (the
/// first of equal runs) becomes `::`, and `::a.b.c.d` / `::ffff:a.b.c.d` keep the IPv4 tail.
pub fn fmt_ip6(a: &[u8; 16]) -> String {
    use std::fmt::Write as _;
    let w: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
    let (mut best, mut best_len, mut cur, mut cur_len) = (usize::MAX, 0, 0, 0);
    for (i, &x) in w.iter().enumerate() {
        if x == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut s = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if i == best {
            if i == 0 {
                s.push(':');
            }
            s.push(':');
            i += best_len;
            continue;
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let _ = write!(s, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            break;
        }
        let _ = write!(s, "{:x}", w[i]);
        if i < 7 {
            s.push(':');
        }
        i += 1;
    }
    s
}

/// C `inet_aton`: 1 to 4 parts separated by `.`, each decimal, octal (leading `0`) or hex
/// (`0x`); the last part fills the remaining bytes. Anything after the address must start
/// with white space. `None` for text that does not parse.
pub fn inet_aton(s: &[u8]) -> Option<[u8; 4]> {
    let mut parts = [0u64; 4];
    let mut n = 0;
    let mut i = 0;
    loop {
        let c = *s.get(i)?;
        if !c.is_ascii_digit() {
            return None;
        }
        let (base, mut j) = if c == b'0' {
            match s.get(i + 1) {
                Some(b'x' | b'X') => (16, i + 2),
                _ => (8, i + 1),
            }
        } else {
            (10, i)
        };
        // a lone `0` is an octal number; `0x` needs a digit after it
        let mut digits = base == 8;
        let mut v: u64 = 0;
        while let Some(d) = s.get(j).and_then(|&c| (c as char).to_digit(base)) {
            v = v * base as u64 + d as u64;
            if v > u32::MAX as u64 {
                return None;
            }
            digits = true;
            j += 1;
        }
        if !digits {
            return None;
        }
        if n == 4 {
            return None;
        }
        parts[n] = v;
        n += 1;
        i = j;
        match s.get(i) {
            Some(b'.') => i += 1,
            None => break,
            Some(c) if c.is_ascii_whitespace() => break,
            Some(_) => return None,
        }
    }
    let max_last = [u32::MAX as u64, 0xff_ffff, 0xffff, 0xff][n - 1];
    if parts[n - 1] > max_last || parts[..n - 1].iter().any(|&p| p > 0xff) {
        return None;
    }
    let mut v = parts[n - 1] as u32;
    for (k, &p) in parts[..n - 1].iter().enumerate() {
        v |= (p as u32) << (24 - 8 * k);
    }
    Some(v.to_be_bytes())
}

#[cfg(test)]
mod tests;
