use super::*;

#[test]
fn checksum_rfc1071_example() {
    // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2
    assert_eq!(
        checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
        !0xddf2
    );
    // an odd last byte is a high byte
    assert_eq!(checksum(&[0x01]), !0x0100);
    assert_eq!(checksum(&[]), 0xffff);
}

#[test]
fn icmp_echo_bytes() {
    let p = build_icmp(8, 0, 1, 2, b"abc", true);
    assert_eq!(p, b"\x08\x00\x33\x9a\x00\x01\x00\x02abc");
    assert_eq!(checksum(&p), 0);
    assert_eq!(&build_icmp(8, 0, 1, 2, b"abc", false)[2..4], &[0, 0]);
}

#[test]
fn ip_udp_roundtrip() {
    let s = inet_aton(b"10.1.1.1").unwrap();
    let d = inet_aton(b"10.1.1.2").unwrap();
    let u = build_udp(1234, 5678, b"hello", Some((s, d))).unwrap();
    let pkt = build_ip(s, d, IPPROTO_UDP, &u).unwrap();
    assert_eq!(checksum(&pkt[..20]), 0);
    let ip = ip(&pkt).unwrap();
    assert_eq!((ip.ihl, ip.ttl, ip.tot_len, ip.protocol), (5, 64, 33, 17));
    assert_eq!(ip.check, u16::from_be_bytes([pkt[10], pkt[11]]));
    let up = udp(ip.data).unwrap();
    assert_eq!(
        (up.source, up.dest, up.len, up.data),
        (1234, 5678, 13, &b"hello"[..])
    );
    // the pseudo-header sum verifies
    assert_eq!(fold(sum16(pseudo(s, d, 17, 13), &u)), 0);
    assert_eq!(&build_udp(1, 2, b"a", None).unwrap()[6..8], &[0, 0]);
    assert!(build_udp(1, 2, &vec![0; 65528], None).is_none());
    assert!(build_udp(1, 2, &vec![0; 65527], None).is_some());
}

#[test]
fn tcp_roundtrip() {
    let s = [192, 0, 2, 1];
    let d = [192, 0, 2, 2];
    let seg = build_tcp(1, 2, 3, 4, 0x12, 100, s, d, b"xy").unwrap();
    assert_eq!((seg[12], seg[13]), (0x50, 0x12));
    assert_eq!(fold(sum16(pseudo(s, d, 6, 22), &seg)), 0);
    let t = tcp(&seg, Some(22)).unwrap();
    assert_eq!(
        (t.seq, t.ack_seq, t.window, t.data),
        (3, 4, 100, &b"xy"[..])
    );
    // the IP layer's length wins over trailing bytes, a short one gives no payload
    let mut padded = seg.clone();
    padded.extend_from_slice(b"pad");
    assert_eq!(tcp(&padded, Some(22)).unwrap().data, b"xy");
    assert_eq!(tcp(&padded, None).unwrap().data, b"xypad");
    assert_eq!(tcp(&seg, Some(10)).unwrap().data, b"");
    assert_eq!(tcp(&seg, Some(i64::MIN)).unwrap().data, b"");
    assert_eq!(tcp(&seg, Some(i64::MAX)).unwrap().data, b"xy");
    // a data offset past the input
    let mut big = seg.clone();
    big[12] = 0xf0;
    assert_eq!(tcp(&big, Some(1000)).unwrap().data, b"");
    assert_eq!(tcp(&seg[..19], None), Err(ERR_TCP));
}

#[test]
fn short_inputs() {
    assert_eq!(ether(&[0; 13]), Err(ERR_ETHER));
    assert_eq!(vlan(&[0; 3]), Err(ERR_8021Q));
    assert_eq!(arp(&[0; 7]), Err(ERR_ARP));
    assert_eq!(ip(b"abc"), Err(ERR_IP));
    assert_eq!(ip6(b"abc"), Err(ERR_IP6));
    assert_eq!(icmp(b"abc", false), Err(ERR_ICMP));
    assert_eq!(icmp(b"abc", true), Err(ERR_ICMP6));
    assert_eq!(udp(&[0; 7]), Err(ERR_UDP));
    // ihl 15 = 60 bytes
    let mut h = vec![0x4f; 20];
    assert_eq!(ip(&h), Err(ERR_IP));
    h.resize(60, 0);
    assert_eq!(ip(&h).unwrap().data, b"");
    // ARP: announced lengths, and the fixed Ethernet/IPv4 layout
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.resize(27, 0);
    assert_eq!(arp(&a), Err(ERR_ARP));
    let a = [0, 6, 8, 0, 0, 0, 0, 2];
    let p = arp(&a).unwrap();
    assert_eq!((p.hrd, p.op, p.addrs), (6, 2, None));
}

#[test]
fn udp_length_clips() {
    let mut u = build_udp(1, 2, b"abcdef", None).unwrap();
    u[4..6].copy_from_slice(&10u16.to_be_bytes());
    assert_eq!(udp(&u).unwrap().data, b"ab");
    u[4..6].copy_from_slice(&3u16.to_be_bytes());
    assert_eq!(udp(&u).unwrap().data, b"");
    u[4..6].copy_from_slice(&900u16.to_be_bytes());
    assert_eq!(udp(&u).unwrap().data, b"abcdef");
}

#[test]
fn ip6_next_layers() {
    let mut h = vec![0u8; 40];
    h[0] = 0x6a;
    for (nh, up) in [
        (17, Upper::Protocol(17)),
        (6, Upper::Protocol(6)),
        (4, Upper::Proto(ETH_P_IP)),
        (41, Upper::Proto(ETH_P_IPV6)),
        (58, Upper::None),
    ] {
        h[6] = nh;
        let p = ip6(&h).unwrap();
        assert_eq!((p.version, p.priority, p.upper), (6, 10, up));
    }
}

#[test]
fn addresses() {
    assert_eq!(inet_aton(b"192.168.1.1"), Some([192, 168, 1, 1]));
    assert_eq!(inet_aton(b"1"), Some([0, 0, 0, 1]));
    assert_eq!(inet_aton(b"10.1"), Some([10, 0, 0, 1]));
    assert_eq!(inet_aton(b"10.1.258"), Some([10, 1, 1, 2]));
    assert_eq!(inet_aton(b"0x7f.1"), Some([127, 0, 0, 1]));
    assert_eq!(inet_aton(b"010.0.0.1"), Some([8, 0, 0, 1]));
    assert_eq!(inet_aton(b"1.2.3.4 trailing"), Some([1, 2, 3, 4]));
    for bad in [
        &b""[..],
        b"1.2.3.4.5",
        b"256.1.1.1",
        b"1.2.3.",
        b"08.1.1.1",
        b"0x.1.1.1",
        b"a.b.c.d",
        b"1.2.3.4x",
        b"4294967296",
        b"99999999999999999999999",
    ] {
        assert_eq!(inet_aton(bad), None, "{}", String::from_utf8_lossy(bad));
    }
    assert_eq!(
        parse_mac(b"00:11:22:AA:bb:cc"),
        Some([0, 0x11, 0x22, 0xaa, 0xbb, 0xcc])
    );
    assert_eq!(
        parse_mac(b"001122aabbcc"),
        Some([0, 0x11, 0x22, 0xaa, 0xbb, 0xcc])
    );
    for bad in [
        &b"zz"[..],
        b"00:11:22:33:44",
        b"00:11:22:33:44:55:66",
        b"0:11:22:33:44:55",
        b"",
    ] {
        assert_eq!(parse_mac(bad), None);
    }
    assert_eq!(
        &fmt_mac(&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
        b"aa:bb:cc:dd:ee:ff"
    );
    let v6 = |s: &str| fmt_ip6(&s.parse::<std::net::Ipv6Addr>().unwrap().octets());
    assert_eq!(v6("::1"), "::1");
    assert_eq!(v6("::"), "::");
    assert_eq!(v6("fe80::2"), "fe80::2");
    assert_eq!(v6("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
    assert_eq!(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert_eq!(v6("1:0:2:0:3:0:4:0"), "1:0:2:0:3:0:4:0");
    assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
    assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
    assert_eq!(v6("1::"), "1::");
}

/// A radiotap header of 8 bytes and the frame.
fn rt(frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 0, 0, 0, 0, 0];
    v.extend_from_slice(frame);
    v
}

#[test]
fn radiotap_frames() {
    // beacon: fc 0x0080, duration, addr1..3, seq, fixed 12 bytes, SSID "eco", rates
    let mut f = vec![0x80, 0x00, 0, 0];
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&[0x11; 6]);
    f.extend_from_slice(&[0x22; 6]);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&1u64.to_le_bytes());
    f.extend_from_slice(&100u16.to_le_bytes());
    f.extend_from_slice(&0x0431u16.to_le_bytes());
    f.extend_from_slice(&[0, 3, b'e', b'c', b'o', 1, 1, 0x82, 0, 1, b'x', 221, 9]);
    let beacon = rt(&f);
    let p = radiotap(&beacon).unwrap();
    assert_eq!((p.typ(), p.subtype()), (0, 8));
    assert_eq!(p.ssid, Some(&b"x"[..])); // last SSID wins; the truncated vendor IE ends the scan
    assert_eq!(p.fixed.unwrap().beacon_interval, 100);
    assert_eq!(p.addr2, Some([0x11; 6]));
    // missing fixed fields
    assert_eq!(radiotap(&rt(&f[..24 + 11])), Err(ERR_RADIOTAP));
    assert_eq!(radiotap(&rt(&f[..23])), Err(ERR_RADIOTAP));
    // header length checks
    assert_eq!(radiotap(&[0; 7]), Err(ERR_RADIOTAP));
    assert_eq!(
        radiotap(&[0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(ERR_RADIOTAP)
    );
    assert_eq!(radiotap(&[0, 0, 200, 0, 0, 0, 0, 0]), Err(ERR_RADIOTAP));
    assert_eq!(
        radiotap(&rt(&[0xd4, 0, 0, 0, 1, 2, 3, 4, 5])),
        Err(ERR_RADIOTAP)
    );
    // ACK (control 13) with 10 bytes; RTS (11) needs 16
    let ackf = rt(&[0xd4, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    let ack = radiotap(&ackf).unwrap();
    assert_eq!((ack.typ(), ack.subtype(), ack.addr2), (1, 13, None));
    assert_eq!(
        radiotap(&rt(&[0xb4, 0, 0, 0, 1, 2, 3, 4, 5, 6])),
        Err(ERR_RADIOTAP)
    );
    // data frame, 4 addresses
    let mut d = vec![0x08, 0x03, 0, 0];
    d.extend_from_slice(&[1; 24]);
    assert_eq!(radiotap(&rt(&d)), Err(ERR_RADIOTAP));
    d.extend_from_slice(&[4; 2]);
    let df = rt(&d);
    let p = radiotap(&df).unwrap();
    assert_eq!(p.addr4, Some([1, 1, 1, 1, 4, 4]));
    assert!(p.flag(0) && p.flag(1) && !p.flag(7));
    // +HTC needs 34 bytes with 4 addresses
    d[1] |= 0x80;
    assert_eq!(radiotap(&rt(&d)), Err(ERR_RADIOTAP));
}

/// A small xorshift generator: decoders see random bytes and random cuts of valid frames.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn decode_all(d: &[u8]) {
    let _ = ether(d);
    let _ = vlan(d);
    let _ = arp(d);
    let _ = ip(d);
    let _ = ip6(d);
    let _ = icmp(d, false);
    let _ = icmp(d, true);
    let _ = udp(d);
    let _ = radiotap(d);
    for a in [
        None,
        Some(-5),
        Some(0),
        Some(20),
        Some(70000),
        Some(i64::MAX),
    ] {
        let _ = tcp(d, a);
    }
}

#[test]
fn random_input_never_panics() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let seg = build_tcp(1, 2, 3, 4, 0xff, 5, [1; 4], [2; 4], b"payload").unwrap();
    let frame = build_ether(
        [1; 6],
        [2; 6],
        ETH_P_IP,
        &build_ip([1; 4], [2; 4], 6, &seg).unwrap(),
    );
    for _ in 0..20000 {
        let n = (r.next() % 80) as usize;
        let mut v: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        decode_all(&v);
        // radiotap headers with small lengths reach the 802.11 code
        if v.len() >= 4 {
            v[2] = 8;
            v[3] = 0;
        }
        decode_all(&v);
        let cut = (r.next() as usize) % (frame.len() + 1);
        decode_all(&frame[..cut]);
        decode_all(&frame[14.min(cut)..cut]);
        decode_all(&frame[34.min(cut)..cut]);
    }
}
