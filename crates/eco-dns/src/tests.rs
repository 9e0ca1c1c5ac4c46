//! Unit tests of the DNS codec: shapes, the spec's error strings, hostile inputs.
use super::*;

/// A reply header + the question `name`/`qtype` as the resolver would have asked it.
fn reply(id: u16, flags: u16, qd: u16, an: u16, name: &[u8], qtype: u16) -> Vec<u8> {
    let q = build_query(name, qtype, id, false).unwrap();
    let mut m = q.clone();
    m[2..4].copy_from_slice(&flags.to_be_bytes());
    m[4..6].copy_from_slice(&qd.to_be_bytes());
    m[6..8].copy_from_slice(&an.to_be_bytes());
    m
}

/// An answer record with a compressed owner (pointer to the question name at 12).
fn rr(rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut r = vec![0xC0, 0x0C];
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&1u16.to_be_bytes());
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

fn with(rrs: &[Vec<u8>]) -> Vec<u8> {
    let mut m = reply(7, 0x8180, 1, rrs.len() as u16, b"example.org", 1);
    for r in rrs {
        m.extend_from_slice(r);
    }
    m
}

fn field<'a>(r: &'a Record, k: &str) -> &'a Field {
    &r.fields.iter().find(|(n, _)| *n == k).unwrap().1
}

fn b(s: &str) -> Field {
    Field::Bytes(s.as_bytes().to_vec())
}

#[test]
fn query_wire_format() {
    let q = build_query(b"www.example.org.", 28, 0x1234, false).unwrap();
    assert_eq!(&q[..12], &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&q[12..], b"\x03www\x07example\x03org\x00\x00\x1c\x00\x01");
    let q = build_query(b"a", 65535, 1, true).unwrap();
    assert_eq!(&q[2..4], &[0, 0]);
    assert_eq!(&q[q.len() - 4..], &[0xff, 0xff, 0, 1]);
    assert!(build_query(b".x", 1, 1, false).is_none());
    assert!(build_query(b"a..b", 1, 1, false).is_none());
    assert!(build_query(&[b'a'; 64], 1, 1, false).is_none());
    assert!(build_query(&[b'a'; 256], 1, 1, false).is_none());
}

#[test]
fn header_errors() {
    let ok = with(&[]);
    assert_eq!(parse_reply(&ok, 7).unwrap(), vec![]);
    assert_eq!(parse_reply(&ok[..11], 7).unwrap_err(), "malformed response");
    assert_eq!(parse_reply(&ok, 8).unwrap_err(), "transaction ID mismatch");
    let cases: &[(u16, &str)] = &[
        (0x0180, "not a response"),
        (0x8380, "truncated"),
        (0x8181, "format error"),
        (0x8182, "server failure"),
        (0x8183, "name error"),
        (0x8184, "not implemented"),
        (0x8185, "refused"),
        (0x8189, "unknown error code: 9"),
    ];
    for (flags, err) in cases {
        let m = reply(7, *flags, 1, 0, b"x.y", 1);
        assert_eq!(&parse_reply(&m, 7).unwrap_err(), err);
    }
    let m = reply(7, 0x8180, 2, 0, b"x.y", 1);
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "unexpected number of questions: 2"
    );
    let mut m = reply(7, 0x8180, 1, 0, b"x.y", 1);
    let n = m.len();
    m[n - 1] = 3;
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "unknown query class 3 in DNS response"
    );
    assert_eq!(
        parse_reply(&m[..n - 2], 7).unwrap_err(),
        "malformed question section"
    );
    assert_eq!(
        parse_reply(&vec![0u8; MAX_REPLY + 1], 0).unwrap_err(),
        "response too large"
    );
}

#[test]
fn record_shapes() {
    let mut soa = b"\x02ns\xc0\x0c\x05admin\xc0\x0c".to_vec();
    for v in [1u32, 2, 3, 4, 5] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let m = with(&[
        rr(1, 60, &[192, 0, 2, 1]),
        rr(
            28,
            60,
            &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ),
        rr(5, 60, b"\x03www\xc0\x0c"),
        rr(15, 60, b"\x00\x0a\x02mx\xc0\x0c"),
        rr(33, 60, b"\x00\x01\x00\x02\x00\x35\x03srv\xc0\x0c"),
        rr(2, 60, b"\x02ns\xc0\x0c"),
        rr(12, 60, b"\x03ptr\xc0\x0c"),
        rr(6, 60, &soa),
        rr(16, 60, b"\x03abc\x02de"),
        rr(16, 60, b"\x05hello"),
        rr(16, 60, b""),
        rr(99, 60, b"\x04v=sp"),
        rr(16, 60, b"\x09ab"),
        rr(999, 60, b"\x00raw\xff"),
    ]);
    let r = parse_reply(&m, 7).unwrap();
    assert_eq!(r.len(), 14);
    assert!(r
        .iter()
        .all(|x| x.name == b"example.org" && x.class == 1 && x.ttl == 60));
    assert_eq!(field(&r[0], "address"), &b("192.0.2.1"));
    assert_eq!(field(&r[1], "address"), &b("2001:db8::1"));
    assert_eq!(field(&r[2], "cname"), &b("www.example.org"));
    assert_eq!(field(&r[3], "preference"), &Field::Int(10));
    assert_eq!(field(&r[3], "exchange"), &b("mx.example.org"));
    assert_eq!(field(&r[4], "priority"), &Field::Int(1));
    assert_eq!(field(&r[4], "weight"), &Field::Int(2));
    assert_eq!(field(&r[4], "port"), &Field::Int(53));
    assert_eq!(field(&r[4], "target"), &b("srv.example.org"));
    assert_eq!(field(&r[5], "nsdname"), &b("ns.example.org"));
    assert_eq!(field(&r[6], "ptrdname"), &b("ptr.example.org"));
    assert_eq!(field(&r[7], "mname"), &b("ns.example.org"));
    assert_eq!(field(&r[7], "rname"), &b("admin.example.org"));
    assert_eq!(field(&r[7], "serial"), &Field::Int(1));
    assert_eq!(field(&r[7], "minimum"), &Field::Int(5));
    assert_eq!(
        field(&r[8], "txt"),
        &Field::List(vec![b"abc".to_vec(), b"de".to_vec()])
    );
    assert_eq!(field(&r[9], "txt"), &b("hello"));
    assert_eq!(field(&r[10], "txt"), &b(""));
    assert_eq!(field(&r[11], "spf"), &b("v=sp"));
    assert_eq!(field(&r[12], "txt"), &b("ab"));
    assert_eq!(
        field(&r[13], "rdata"),
        &Field::Bytes(b"\x00raw\xff".to_vec())
    );
}

#[test]
fn record_errors() {
    let cases: &[(u16, &[u8], &str)] = &[
        (1, &[1, 2, 3], "invalid A record length"),
        (28, &[1; 4], "invalid AAAA record length"),
        (5, b"\x03www", "malformed cname"),
        (5, b"\x03www\xc0\x0c\x00", "bad cname record length"),
        (15, b"\x00\x01", "bad MX record value length"),
        (15, b"\x00\x01\xc0\xff", "malformed mx exchange"),
        (15, b"\x00\x01\xc0\x0c\x00", "bad mx record length"),
        (33, b"\x00\x01\x00\x02\x00", "bad SRV record value length"),
        (33, b"\x00\x01\x00\x02\x00\x35\xc0", "malformed srv target"),
        (
            33,
            b"\x00\x01\x00\x02\x00\x35\xc0\x0c\x01",
            "bad srv record length",
        ),
        (2, b"\x05", "malformed nsdname"),
        (2, b"\xc0\x0c\x01", "bad nsdname record length"),
        (12, b"\xc0\xc0", "malformed ptrdname"),
        (12, b"\xc0\x0c\x01", "bad ptrdname record length"),
        (6, b"\x40", "malformed soa mname"),
        (6, b"\xc0\x0c\x40", "malformed soa rname"),
        (
            6,
            b"\xc0\x0c\xc0\x0c\x00\x00",
            "bad SOA record value length",
        ),
    ];
    for (t, rdata, err) in cases {
        // a trailing byte after the message keeps names from simply running off its end
        let mut m = with(&[rr(*t, 1, rdata)]);
        m.push(0xff);
        assert_eq!(&parse_reply(&m, 7).unwrap_err(), err, "type {t}");
    }
    let mut soa = b"\xc0\x0c\xc0\x0c".to_vec();
    soa.extend_from_slice(&[0; 21]);
    assert_eq!(
        parse_reply(&with(&[rr(6, 1, &soa)]), 7).unwrap_err(),
        "bad SOA record length"
    );
}

#[test]
fn hostile_replies() {
    // counts that lie: 65535 answers announced, one present
    let mut m = with(&[rr(1, 1, &[1, 2, 3, 4])]);
    m[6..8].copy_from_slice(&[0xff, 0xff]);
    assert_eq!(parse_reply(&m, 7).unwrap_err(), "malformed name");
    // rdlength past the end
    let mut m = with(&[rr(1, 1, &[1, 2, 3, 4])]);
    let n = m.len();
    m[n - 6..n - 4].copy_from_slice(&[0x10, 0]);
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "malformed resource record data"
    );
    // truncated record header
    let m = with(&[rr(1, 1, &[1, 2, 3, 4])[..6].to_vec()]);
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "malformed resource record header"
    );
    // compression loops: owner name pointing at itself, and two pointers pointing at each other
    let mut m = with(&[]);
    let at = m.len() as u16;
    m[6..8].copy_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&(0xC000 | at).to_be_bytes());
    m.extend_from_slice(&[0; 10]);
    assert_eq!(parse_reply(&m, 7).unwrap_err(), "malformed name");
    let mut m = reply(7, 0x8180, 1, 0, b"", 1);
    m.truncate(12);
    m.extend_from_slice(&[0xC0, 14, 0xC0, 12, 0, 1, 0, 1]);
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "malformed question section"
    );
    // a name longer than 255 bytes made of pointers to a long label chain
    let mut m = reply(7, 0x8180, 1, 0, b"", 1);
    m.truncate(12);
    for _ in 0..4 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    assert_eq!(
        parse_reply(&m, 7).unwrap_err(),
        "malformed question section"
    );
}

/// Deterministic pseudo-random inputs (xorshift), plus mutations of a valid reply: never panics.
#[test]
fn random_inputs_never_panic() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = with(&[
        rr(1, 60, &[192, 0, 2, 1]),
        rr(5, 60, b"\x03www\xc0\x0c"),
        rr(16, 60, b"\x03abc\x02de"),
    ]);
    for i in 0..200_000u32 {
        let mut m = if i % 2 == 0 {
            base.clone()
        } else {
            let len = (next() % 600) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if v.len() >= 2 {
                v[0] = 0;
                v[1] = 7;
            }
            v
        };
        for _ in 0..(next() % 8) {
            if m.is_empty() {
                break;
            }
            let at = (next() as usize) % m.len();
            m[at] = next() as u8;
        }
        let _ = parse_reply(&m, 7);
    }
}

#[test]
fn question_section_must_match() {
    let q = build_query(b"Example.org", 1, 7, false).unwrap();
    let with_q = |name: &[u8], t: u16, c: u16| {
        let mut m = q[..12].to_vec();
        m[2] = 0x81;
        m[3] = 0x80;
        let mut r = build_query(name, t, 7, false).unwrap();
        let n = r.len();
        r[n - 2..].copy_from_slice(&c.to_be_bytes());
        m.extend_from_slice(&r[12..]);
        m
    };
    assert!(question_matches(&with_q(b"example.ORG", 1, 1), &q));
    assert!(!question_matches(&with_q(b"example.net", 1, 1), &q));
    assert!(!question_matches(&with_q(b"example.org", 28, 1), &q));
    assert!(!question_matches(&with_q(b"example.org", 1, 3), &q));
    // no question (a bare FORMERR): parse_reply decides; an unreadable one too
    let mut bare = q[..12].to_vec();
    bare[4..6].copy_from_slice(&[0, 0]);
    assert!(question_matches(&bare, &q));
    assert!(question_matches(&q[..14], &q));
}
