//! The decoders of eco.packet: any bytes, decoded as an Ethernet frame and then layer by layer
//! the way `pkt:next()` walks (802.1Q, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP with the IP layer's
//! length, UDP), and as a radiotap/802.11 frame. Must never panic or read past the input; a
//! decoded UDP or ICMP layer rebuilt by the builders must decode to the same fields.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run packet_decode -- -max_total_time=300`
#![no_main]

use eco_packet::wire::{self, Upper};
use libfuzzer_sys::fuzz_target;

/// What the next layer is, as `next()` dispatches.
enum Next<'a> {
    Proto(u16, &'a [u8]),
    Protocol(u8, &'a [u8], Option<i64>),
    End,
}

fn step<'a>(n: Next<'a>) -> Next<'a> {
    match n {
        Next::Proto(p, d) => match p {
            wire::ETH_P_8021Q => match wire::vlan(d) {
                Ok(v) => Next::Proto(v.proto, v.data),
                Err(_) => Next::End,
            },
            wire::ETH_P_ARP => {
                let _ = wire::arp(d);
                Next::End
            }
            wire::ETH_P_IP => match wire::ip(d) {
                Ok(ip) => Next::Protocol(
                    ip.protocol,
                    ip.data,
                    Some(ip.tot_len as i64 - ip.ihl as i64 * 4),
                ),
                Err(_) => Next::End,
            },
            wire::ETH_P_IPV6 => match wire::ip6(d) {
                Ok(ip) => match ip.upper {
                    Upper::Proto(p) => Next::Proto(p, ip.data),
                    Upper::Protocol(p) => Next::Protocol(p, ip.data, Some(ip.payload_len as i64)),
                    Upper::None => Next::End,
                },
                Err(_) => Next::End,
            },
            _ => Next::End,
        },
        Next::Protocol(p, d, avail) => {
            match p {
                wire::IPPROTO_ICMP | wire::IPPROTO_ICMPV6 => {
                    let v6 = p == wire::IPPROTO_ICMPV6;
                    if let Ok(m) = wire::icmp(d, v6) {
                        if let wire::IcmpRest::Echo { id, sequence } = m.rest {
                            let b = wire::build_icmp(m.typ, m.code, id, sequence, m.data, true);
                            let again = wire::icmp(&b, v6).expect("rebuilt ICMP decodes");
                            assert_eq!(again.rest, m.rest);
                            assert_eq!(again.data, m.data);
                            assert_eq!(wire::checksum(&b), 0);
                        }
                    }
                }
                wire::IPPROTO_TCP => {
                    if let Ok(t) = wire::tcp(d, avail) {
                        assert!(t.data.len() <= d.len());
                    }
                }
                wire::IPPROTO_UDP => {
                    if let Ok(u) = wire::udp(d) {
                        let b = wire::build_udp(u.source, u.dest, u.data, None).expect("fits");
                        let again = wire::udp(&b).expect("rebuilt UDP decodes");
                        assert_eq!((again.source, again.dest, again.data), (u.source, u.dest, u.data));
                    }
                }
                _ => {}
            }
            Next::End
        }
        Next::End => Next::End,
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = wire::radiotap(data);
    let _ = wire::tcp(data, None);
    if let Ok(e) = wire::ether(data) {
        let mut n = Next::Proto(e.proto, e.data);
        // nesting is bounded by the input (every layer consumes at least 4 bytes)
        loop {
            n = step(n);
            if matches!(n, Next::End) {
                break;
            }
        }
    }
    // the same bytes as an IPv4 / IPv6 packet (from_ip, from_ip6)
    for p in [wire::ETH_P_IP, wire::ETH_P_IPV6] {
        let mut n = Next::Proto(p, data);
        while !matches!(n, Next::End) {
            n = step(n);
        }
    }
});
