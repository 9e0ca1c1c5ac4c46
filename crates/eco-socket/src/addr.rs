//! Encoding and decoding of `sockaddr` bytes for every family the module speaks, and the text
//! forms of IP addresses. Pure byte manipulation: no syscalls here.

use std::net::{Ipv4Addr, Ipv6Addr};

pub const AF_UNSPEC: i32 = 0;
pub const AF_UNIX: i32 = 1;
pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 10;
pub const AF_NETLINK: i32 = 16;
pub const AF_PACKET: i32 = 17;

/// `sizeof(sun_path)`.
pub const UNIX_PATH_MAX: usize = 108;

fn family_bytes(f: i32) -> [u8; 2] {
    (f as u16).to_ne_bytes()
}

pub fn inet(ip: Ipv4Addr, port: u16) -> Vec<u8> {
    let mut a = vec![0u8; 16];
    a[..2].copy_from_slice(&family_bytes(AF_INET));
    a[2..4].copy_from_slice(&port.to_be_bytes());
    a[4..8].copy_from_slice(&ip.octets());
    a
}

pub fn inet6(ip: Ipv6Addr, port: u16) -> Vec<u8> {
    let mut a = vec![0u8; 28];
    a[..2].copy_from_slice(&family_bytes(AF_INET6));
    a[2..4].copy_from_slice(&port.to_be_bytes());
    a[8..24].copy_from_slice(&ip.octets());
    a
}

/// A Unix address; `path` empty means autobind (only the family is passed).
pub fn unix(path: &[u8]) -> Vec<u8> {
    let mut a = family_bytes(AF_UNIX).to_vec();
    a.extend_from_slice(path);
    // Pathname sockets get their NUL terminator; abstract names (leading NUL) are exact.
    if !path.is_empty() && path[0] != 0 && path.last() != Some(&0) {
        a.push(0);
    }
    a
}

pub fn netlink(pid: u32, groups: u32) -> Vec<u8> {
    let mut a = vec![0u8; 12];
    a[..2].copy_from_slice(&family_bytes(AF_NETLINK));
    a[4..8].copy_from_slice(&pid.to_ne_bytes());
    a[8..12].copy_from_slice(&groups.to_ne_bytes());
    a
}

/// `sockaddr_ll` for an interface; protocol and hardware type are left 0.
pub fn packet(ifindex: i32) -> Vec<u8> {
    let mut a = vec![0u8; 20];
    a[..2].copy_from_slice(&family_bytes(AF_PACKET));
    a[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    a
}

/// A decoded address, as the Lua address tables of spec/socket.md 3.1 show it.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    Inet { ip: String, port: u16 },
    Unix { path: Vec<u8> },
    Netlink { pid: u32 },
    Packet { ifindex: i32 },
    Other,
}

/// Decodes raw address bytes; returns the family and the fields. Short inputs decode as much as
/// they hold (a truncated address never reads past its end).
pub fn decode(b: &[u8]) -> (i32, Decoded) {
    if b.len() < 2 {
        return (AF_UNSPEC, Decoded::Other);
    }
    let family = u16::from_ne_bytes([b[0], b[1]]) as i32;
    let port = |b: &[u8]| {
        if b.len() >= 4 {
            u16::from_be_bytes([b[2], b[3]])
        } else {
            0
        }
    };
    let d = match family {
        AF_INET if b.len() >= 8 => Decoded::Inet {
            ip: Ipv4Addr::new(b[4], b[5], b[6], b[7]).to_string(),
            port: port(b),
        },
        AF_INET6 if b.len() >= 24 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(&b[8..24]);
            Decoded::Inet {
                ip: fmt_ipv6(Ipv6Addr::from(o)),
                port: port(b),
            }
        }
        AF_UNIX => {
            let mut path = b[2..].to_vec();
            // Pathname sockets: drop the NUL terminator (and anything after it).
            if path.first().is_some_and(|&c| c != 0) {
                if let Some(z) = path.iter().position(|&c| c == 0) {
                    path.truncate(z);
                }
            }
            Decoded::Unix { path }
        }
        AF_NETLINK if b.len() >= 8 => Decoded::Netlink {
            pid: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        },
        AF_PACKET if b.len() >= 8 => Decoded::Packet {
            ifindex: i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        },
        _ => Decoded::Other,
    };
    (family, d)
}

/// RFC 5952 text, with IPv4-mapped addresses in their dotted form (as glibc's inet_ntop does).
pub fn fmt_ipv6(ip: Ipv6Addr) -> String {
    ip.to_string()
}

/// `inet_pton` rules for IPv4: four decimal parts.
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

pub fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    s.parse().ok()
}

/// The liberal `inet_aton` forms: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x);
/// the last part fills the remaining bytes. Returns the address in host order.
pub fn inet_aton(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        if v > u32::MAX as u64 {
            return None;
        }
        vals.push(v as u32);
    }
    let n = vals.len();
    let last = vals[n - 1];
    let limit: u64 = match n {
        1 => u32::MAX as u64,
        2 => 0xff_ffff,
        3 => 0xffff,
        _ => 0xff,
    };
    if last as u64 > limit || vals[..n - 1].iter().any(|&v| v > 0xff) {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, v) in vals[..n - 1].iter().enumerate() {
        addr |= v << (24 - 8 * i);
    }
    Some(addr | last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trip() {
        let a = inet(Ipv4Addr::new(127, 0, 0, 1), 8080);
        assert_eq!(
            decode(&a),
            (
                AF_INET,
                Decoded::Inet {
                    ip: "127.0.0.1".into(),
                    port: 8080
                }
            )
        );
        let b = inet6(Ipv6Addr::LOCALHOST, 53);
        assert_eq!(
            decode(&b),
            (
                AF_INET6,
                Decoded::Inet {
                    ip: "::1".into(),
                    port: 53
                }
            )
        );
        let m: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            decode(&inet6(m, 1)).1,
            Decoded::Inet {
                ip: "::ffff:127.0.0.1".into(),
                port: 1
            }
        );
    }

    #[test]
    fn unix_paths() {
        assert_eq!(
            unix(b"/tmp/x"),
            [&family_bytes(AF_UNIX)[..], b"/tmp/x\0"].concat()
        );
        assert_eq!(unix(b"").len(), 2);
        assert_eq!(
            decode(&unix(b"/tmp/x")).1,
            Decoded::Unix {
                path: b"/tmp/x".to_vec()
            }
        );
        let abs = [&family_bytes(AF_UNIX)[..], b"\x001a7a6"].concat();
        assert_eq!(
            decode(&abs).1,
            Decoded::Unix {
                path: b"\x001a7a6".to_vec()
            }
        );
        assert_eq!(
            decode(&family_bytes(AF_UNIX)).1,
            Decoded::Unix { path: vec![] }
        );
    }

    #[test]
    fn truncated_addresses_never_overrun() {
        for n in 0..30 {
            let full = inet6(Ipv6Addr::LOCALHOST, 1);
            let _ = decode(&full[..n.min(full.len())]);
            let p = packet(3);
            let _ = decode(&p[..n.min(p.len())]);
        }
        assert_eq!(decode(&packet(7)).1, Decoded::Packet { ifindex: 7 });
        assert_eq!(decode(&netlink(42, 0)).1, Decoded::Netlink { pid: 42 });
    }

    #[test]
    fn aton_forms() {
        assert_eq!(inet_aton("1.2.3.4"), Some(0x01020304));
        assert_eq!(inet_aton("1"), Some(1));
        assert_eq!(inet_aton("0x7f.1"), Some(0x7f000001));
        assert_eq!(inet_aton("010.0.0.1"), Some(0x08000001));
        assert_eq!(inet_aton("bad"), None);
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton(""), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
    }

    #[test]
    fn strict_literals() {
        assert!(parse_ipv4("1.2.3").is_none());
        assert!(parse_ipv4("127.0.0.1").is_some());
        assert!(parse_ipv6("fe80::1%eth0").is_none());
        assert!(parse_ipv6("::ffff:1.2.3.4").is_some());
        assert!(parse_ipv6("1.2.3.4").is_none());
    }
}
