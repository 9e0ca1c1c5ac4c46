//! MQTT 3.1.1 packet codec: encoding and decoding of the 14 control packet types.
//!
//! Pure Rust, no I/O, never panics on any input. Decoding is split in two steps so a streaming
//! reader can use it: [`remaining_length`] parses the 1..4 byte length field, [`decode_body`]
//! parses a complete packet given its first byte and body. [`decode`] does both on a buffer and
//! enforces a maximum packet size. Error texts follow spec/mqtt.md §8 (`malformed <NAME> packet:
//! <reason>`, `malformed remaining length`).

use std::fmt;

/// Largest value the 4-byte remaining-length field can carry.
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;

pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const PUBACK: u8 = 4;
pub const PUBREC: u8 = 5;
pub const PUBREL: u8 = 6;
pub const PUBCOMP: u8 = 7;
pub const SUBSCRIBE: u8 = 8;
pub const SUBACK: u8 = 9;
pub const UNSUBSCRIBE: u8 = 10;
pub const UNSUBACK: u8 = 11;
pub const PINGREQ: u8 = 12;
pub const PINGRESP: u8 = 13;
pub const DISCONNECT: u8 = 14;

/// Upper-case packet name used in error messages (`None` for types 0 and 15).
pub fn type_name(typ: u8) -> Option<&'static str> {
    Some(match typ {
        CONNECT => "CONNECT",
        CONNACK => "CONNACK",
        PUBLISH => "PUBLISH",
        PUBACK => "PUBACK",
        PUBREC => "PUBREC",
        PUBREL => "PUBREL",
        PUBCOMP => "PUBCOMP",
        SUBSCRIBE => "SUBSCRIBE",
        SUBACK => "SUBACK",
        UNSUBSCRIBE => "UNSUBSCRIBE",
        UNSUBACK => "UNSUBACK",
        PINGREQ => "PINGREQ",
        PINGRESP => "PINGRESP",
        DISCONNECT => "DISCONNECT",
        _ => return None,
    })
}

/// The will of a CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub topic: Vec<u8>,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

/// One MQTT 3.1.1 control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Connect {
        client_id: Vec<u8>,
        keepalive: u16,
        clean_session: bool,
        will: Option<Will>,
        username: Option<Vec<u8>>,
        password: Option<Vec<u8>>,
    },
    Connack {
        session_present: bool,
        rc: u8,
    },
    Publish {
        dup: bool,
        qos: u8,
        retain: bool,
        topic: Vec<u8>,
        /// Present exactly when `qos > 0`.
        mid: Option<u16>,
        payload: Vec<u8>,
    },
    Puback(u16),
    Pubrec(u16),
    Pubrel(u16),
    Pubcomp(u16),
    Subscribe {
        mid: u16,
        filters: Vec<(Vec<u8>, u8)>,
    },
    Suback {
        mid: u16,
        rcs: Vec<u8>,
    },
    Unsubscribe {
        mid: u16,
        topics: Vec<Vec<u8>>,
    },
    Unsuback(u16),
    Pingreq,
    Pingresp,
    Disconnect,
}

/// Decoding / encoding failure; `Display` gives the spec's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// More than 4 length bytes (or a length above [`MAX_REMAINING_LENGTH`] when encoding).
    MalformedLength,
    /// A complete packet whose content breaks the rules: (packet name, reason).
    Malformed(&'static str, String),
    /// Packet type 0 or 15.
    UnknownType(u8),
    /// Remaining length above the caller's limit: (length, limit).
    TooLarge(usize, usize),
    /// Encoding: a string longer than 65535 bytes (field name).
    TooLong(&'static str),
    /// Encoding: an invalid field value (what).
    Invalid(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MalformedLength => f.write_str("malformed remaining length"),
            Error::Malformed(name, reason) => write!(f, "malformed {name} packet: {reason}"),
            Error::UnknownType(t) => write!(f, "unknown packet type {t}"),
            Error::TooLarge(n, max) => {
                write!(
                    f,
                    "packet too large: remaining length {n} exceeds the limit of {max}"
                )
            }
            Error::TooLong(what) => write!(f, "{what} too long"),
            Error::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parses the remaining-length field at the start of `buf` (the bytes after the first byte).
/// `Ok(None)`: more bytes needed; `Ok(Some((len, used)))`; more than 4 bytes is an error.
pub fn remaining_length(buf: &[u8]) -> Result<Option<(usize, usize)>, Error> {
    let mut len = 0usize;
    for (i, &b) in buf.iter().enumerate() {
        if i >= 4 {
            return Err(Error::MalformedLength);
        }
        len |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((len, i + 1)));
        }
    }
    if buf.len() >= 4 {
        return Err(Error::MalformedLength);
    }
    Ok(None)
}

fn push_length(out: &mut Vec<u8>, mut len: usize) -> Result<(), Error> {
    if len > MAX_REMAINING_LENGTH {
        return Err(Error::MalformedLength);
    }
    loop {
        let mut b = (len & 0x7f) as u8;
        len >>= 7;
        if len > 0 {
            b |= 0x80;
        }
        out.push(b);
        if len == 0 {
            return Ok(());
        }
    }
}

fn push_str(out: &mut Vec<u8>, s: &[u8], what: &'static str) -> Result<(), Error> {
    let n = u16::try_from(s.len()).map_err(|_| Error::TooLong(what))?;
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(s);
    Ok(())
}

fn check_qos(qos: u8) -> Result<(), Error> {
    if qos > 2 {
        return Err(Error::Invalid("qos"));
    }
    Ok(())
}

/// Encodes a packet into its wire form (fixed header included).
pub fn encode(p: &Packet) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    let first: u8 = match p {
        Packet::Connect {
            client_id,
            keepalive,
            clean_session,
            will,
            username,
            password,
        } => {
            push_str(&mut body, b"MQTT", "protocol name")?;
            body.push(4);
            let mut flags = 0u8;
            if *clean_session {
                flags |= 0x02;
            }
            if let Some(w) = will {
                check_qos(w.qos)?;
                flags |= 0x04 | (w.qos << 3);
                if w.retain {
                    flags |= 0x20;
                }
            }
            if password.is_some() {
                flags |= 0x40;
            }
            if username.is_some() {
                flags |= 0x80;
            }
            body.push(flags);
            body.extend_from_slice(&keepalive.to_be_bytes());
            push_str(&mut body, client_id, "client id")?;
            if let Some(w) = will {
                push_str(&mut body, &w.topic, "will topic")?;
                push_str(&mut body, &w.payload, "will payload")?;
            }
            if let Some(u) = username {
                push_str(&mut body, u, "username")?;
            }
            if let Some(pw) = password {
                push_str(&mut body, pw, "password")?;
            }
            CONNECT << 4
        }
        Packet::Connack {
            session_present,
            rc,
        } => {
            body.push(u8::from(*session_present));
            body.push(*rc);
            CONNACK << 4
        }
        Packet::Publish {
            dup,
            qos,
            retain,
            topic,
            mid,
            payload,
        } => {
            check_qos(*qos)?;
            push_str(&mut body, topic, "topic")?;
            match (*qos, mid) {
                (0, None) => {}
                (1 | 2, Some(m)) if *m != 0 => body.extend_from_slice(&m.to_be_bytes()),
                _ => return Err(Error::Invalid("packet id")),
            }
            if payload.len() > MAX_REMAINING_LENGTH {
                return Err(Error::TooLong("payload"));
            }
            body.extend_from_slice(payload);
            (PUBLISH << 4) | (u8::from(*dup) << 3) | (qos << 1) | u8::from(*retain)
        }
        Packet::Puback(m) | Packet::Pubrec(m) | Packet::Pubrel(m) | Packet::Pubcomp(m) => {
            body.extend_from_slice(&m.to_be_bytes());
            match p {
                Packet::Puback(_) => PUBACK << 4,
                Packet::Pubrec(_) => PUBREC << 4,
                Packet::Pubrel(_) => (PUBREL << 4) | 0x2,
                _ => PUBCOMP << 4,
            }
        }
        Packet::Subscribe { mid, filters } => {
            if filters.is_empty() {
                return Err(Error::Invalid("empty topic list"));
            }
            body.extend_from_slice(&mid.to_be_bytes());
            for (t, q) in filters {
                check_qos(*q)?;
                push_str(&mut body, t, "topic")?;
                body.push(*q);
            }
            (SUBSCRIBE << 4) | 0x2
        }
        Packet::Suback { mid, rcs } => {
            body.extend_from_slice(&mid.to_be_bytes());
            body.extend_from_slice(rcs);
            SUBACK << 4
        }
        Packet::Unsubscribe { mid, topics } => {
            if topics.is_empty() {
                return Err(Error::Invalid("empty topic list"));
            }
            body.extend_from_slice(&mid.to_be_bytes());
            for t in topics {
                push_str(&mut body, t, "topic")?;
            }
            (UNSUBSCRIBE << 4) | 0x2
        }
        Packet::Unsuback(m) => {
            body.extend_from_slice(&m.to_be_bytes());
            UNSUBACK << 4
        }
        Packet::Pingreq => PINGREQ << 4,
        Packet::Pingresp => PINGRESP << 4,
        Packet::Disconnect => DISCONNECT << 4,
    };
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(first);
    push_length(&mut out, body.len())?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Bounds-checked cursor over a packet body.
struct Cur<'a> {
    b: &'a [u8],
    name: &'static str,
}

impl<'a> Cur<'a> {
    fn err(&self, reason: &str) -> Error {
        Error::Malformed(self.name, reason.to_string())
    }
    fn u8(&mut self, what: &str) -> Result<u8, Error> {
        let (&v, rest) = self.b.split_first().ok_or_else(|| self.err(what))?;
        self.b = rest;
        Ok(v)
    }
    fn u16(&mut self, what: &str) -> Result<u16, Error> {
        if self.b.len() < 2 {
            return Err(self.err(what));
        }
        let v = u16::from_be_bytes([self.b[0], self.b[1]]);
        self.b = &self.b[2..];
        Ok(v)
    }
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        if self.b.len() < n {
            return Err(self.err(what));
        }
        let (v, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(v)
    }
    fn string(&mut self, what: &str) -> Result<Vec<u8>, Error> {
        let n = self.u16(&format!("missing {what} length"))?;
        Ok(self
            .bytes(n as usize, &format!("truncated {what}"))?
            .to_vec())
    }
}

/// Decodes one complete packet from its first byte and body (the `remaining length` bytes).
pub fn decode_body(first: u8, body: &[u8]) -> Result<Packet, Error> {
    let typ = first >> 4;
    let flags = first & 0x0f;
    let name = type_name(typ).ok_or(Error::UnknownType(typ))?;
    let mut c = Cur { b: body, name };
    let want_flags = match typ {
        PUBLISH => flags,
        PUBREL | SUBSCRIBE | UNSUBSCRIBE => 0x2,
        _ => 0,
    };
    if flags != want_flags {
        return Err(c.err(&format!("invalid flags 0x{flags:02x}")));
    }
    let exact = |n: usize| -> Result<(), Error> {
        if body.len() != n {
            return Err(Error::Malformed(
                name,
                format!("remaining length must be {n}"),
            ));
        }
        Ok(())
    };
    let p = match typ {
        CONNECT => {
            let proto = c.string("protocol name")?;
            let level = c.u8("missing protocol level")?;
            if proto != b"MQTT" || level != 4 {
                return Err(c.err("unsupported protocol"));
            }
            let f = c.u8("missing connect flags")?;
            if f & 0x01 != 0 {
                return Err(c.err("reserved connect flag set"));
            }
            let keepalive = c.u16("missing keep-alive")?;
            let client_id = c.string("client id")?;
            let will_qos = (f >> 3) & 3;
            let will = if f & 0x04 != 0 {
                if will_qos > 2 {
                    return Err(c.err("invalid will qos"));
                }
                Some(Will {
                    topic: c.string("will topic")?,
                    payload: c.string("will payload")?,
                    qos: will_qos,
                    retain: f & 0x20 != 0,
                })
            } else {
                if f & 0x38 != 0 {
                    return Err(c.err("will flags without will"));
                }
                None
            };
            let username = if f & 0x80 != 0 {
                Some(c.string("username")?)
            } else {
                None
            };
            let password = if f & 0x40 != 0 {
                Some(c.string("password")?)
            } else {
                None
            };
            if !c.b.is_empty() {
                return Err(c.err("trailing bytes"));
            }
            Packet::Connect {
                client_id,
                keepalive,
                clean_session: f & 0x02 != 0,
                will,
                username,
                password,
            }
        }
        CONNACK => {
            exact(2)?;
            Packet::Connack {
                session_present: body[0] & 1 != 0,
                rc: body[1],
            }
        }
        PUBLISH => {
            let qos = (flags >> 1) & 3;
            if qos == 3 {
                return Err(c.err("invalid qos"));
            }
            let tlen = c.u16("missing topic length")? as usize;
            if tlen == 0 {
                return Err(c.err("empty topic name"));
            }
            let topic = c.bytes(tlen, "truncated topic name")?.to_vec();
            let mid = if qos > 0 {
                let m = c.u16("missing packet id")?;
                if m == 0 {
                    return Err(c.err("packet id must not be 0"));
                }
                Some(m)
            } else {
                None
            };
            Packet::Publish {
                dup: flags & 0x08 != 0,
                qos,
                retain: flags & 0x01 != 0,
                topic,
                mid,
                payload: c.b.to_vec(),
            }
        }
        PUBACK | PUBREC | PUBREL | PUBCOMP | UNSUBACK => {
            exact(2)?;
            let m = u16::from_be_bytes([body[0], body[1]]);
            match typ {
                PUBACK => Packet::Puback(m),
                PUBREC => Packet::Pubrec(m),
                PUBREL => Packet::Pubrel(m),
                PUBCOMP => Packet::Pubcomp(m),
                _ => Packet::Unsuback(m),
            }
        }
        SUBSCRIBE => {
            let mid = c.u16("missing packet id")?;
            let mut filters = Vec::new();
            while !c.b.is_empty() {
                let t = c.string("topic filter")?;
                let q = c.u8("missing requested qos")?;
                if q > 2 {
                    return Err(c.err("invalid requested qos"));
                }
                filters.push((t, q));
            }
            if filters.is_empty() {
                return Err(c.err("no topic filter"));
            }
            Packet::Subscribe { mid, filters }
        }
        SUBACK => {
            if body.len() < 3 {
                return Err(c.err("remaining length must be at least 3"));
            }
            Packet::Suback {
                mid: u16::from_be_bytes([body[0], body[1]]),
                rcs: body[2..].to_vec(),
            }
        }
        UNSUBSCRIBE => {
            let mid = c.u16("missing packet id")?;
            let mut topics = Vec::new();
            while !c.b.is_empty() {
                topics.push(c.string("topic filter")?);
            }
            if topics.is_empty() {
                return Err(c.err("no topic filter"));
            }
            Packet::Unsubscribe { mid, topics }
        }
        PINGREQ => {
            exact(0)?;
            Packet::Pingreq
        }
        PINGRESP => {
            exact(0)?;
            Packet::Pingresp
        }
        _ => {
            exact(0)?;
            Packet::Disconnect
        }
    };
    Ok(p)
}

/// Decodes the first packet of `buf`. `Ok(None)`: incomplete, read more. `Ok(Some((packet,
/// consumed)))` otherwise. A remaining length above `max` fails before the body is awaited.
pub fn decode(buf: &[u8], max: usize) -> Result<Option<(Packet, usize)>, Error> {
    let Some((&first, rest)) = buf.split_first() else {
        return Ok(None);
    };
    let Some((len, used)) = remaining_length(rest)? else {
        return Ok(None);
    };
    if len > max {
        return Err(Error::TooLarge(len, max));
    }
    let start = 1 + used;
    let Some(body) = buf.get(start..start + len) else {
        return Ok(None);
    };
    Ok(Some((decode_body(first, body)?, start + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic, dependency-free randomness for the property tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn bytes(&mut self, max: u64) -> Vec<u8> {
            let n = self.below(max + 1);
            (0..n).map(|_| self.next() as u8).collect()
        }
        fn nonempty(&mut self, max: u64) -> Vec<u8> {
            let mut v = self.bytes(max);
            if v.is_empty() {
                v.push(b't');
            }
            v
        }
        fn mid(&mut self) -> u16 {
            1 + self.below(65535) as u16
        }
    }

    fn random_packet(r: &mut Rng) -> Packet {
        match 1 + r.below(14) as u8 {
            CONNECT => Packet::Connect {
                client_id: r.bytes(30),
                keepalive: r.next() as u16,
                clean_session: r.below(2) == 0,
                will: (r.below(2) == 0).then(|| Will {
                    topic: r.bytes(20),
                    payload: r.bytes(50),
                    qos: r.below(3) as u8,
                    retain: r.below(2) == 0,
                }),
                username: (r.below(2) == 0).then(|| r.bytes(10)),
                password: (r.below(2) == 0).then(|| r.bytes(10)),
            },
            CONNACK => Packet::Connack {
                session_present: r.below(2) == 0,
                rc: r.next() as u8,
            },
            PUBLISH => {
                let qos = r.below(3) as u8;
                let big = if r.below(10) == 0 { 40_000 } else { 200 };
                Packet::Publish {
                    dup: r.below(2) == 0,
                    qos,
                    retain: r.below(2) == 0,
                    topic: r.nonempty(40),
                    mid: (qos > 0).then(|| r.mid()),
                    payload: r.bytes(big),
                }
            }
            PUBACK => Packet::Puback(r.next() as u16),
            PUBREC => Packet::Pubrec(r.next() as u16),
            PUBREL => Packet::Pubrel(r.next() as u16),
            PUBCOMP => Packet::Pubcomp(r.next() as u16),
            SUBSCRIBE => Packet::Subscribe {
                mid: r.next() as u16,
                filters: (0..1 + r.below(5))
                    .map(|_| (r.bytes(20), r.below(3) as u8))
                    .collect(),
            },
            SUBACK => Packet::Suback {
                mid: r.next() as u16,
                rcs: (0..1 + r.below(5)).map(|_| r.next() as u8).collect(),
            },
            UNSUBSCRIBE => Packet::Unsubscribe {
                mid: r.next() as u16,
                topics: (0..1 + r.below(5)).map(|_| r.bytes(20)).collect(),
            },
            UNSUBACK => Packet::Unsuback(r.next() as u16),
            PINGREQ => Packet::Pingreq,
            PINGRESP => Packet::Pingresp,
            _ => Packet::Disconnect,
        }
    }

    #[test]
    fn random_round_trip_and_garbage() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let p = random_packet(&mut r);
            let wire = encode(&p).expect("encodable");
            // Whole buffer: decodes back to the same packet and consumes everything.
            let (q, used) = decode(&wire, MAX_REMAINING_LENGTH).unwrap().unwrap();
            assert_eq!(q, p);
            assert_eq!(used, wire.len());
            // Every strict prefix is "incomplete", never an error or a wrong packet.
            let cut = r.below(wire.len() as u64) as usize;
            assert_eq!(decode(&wire[..cut], MAX_REMAINING_LENGTH), Ok(None));
            // A limit below the body size fails before the body is needed.
            let body = wire.len() - 1 - remaining_length(&wire[1..]).unwrap().unwrap().1;
            if body > 0 {
                assert_eq!(
                    decode(&wire[..2], body - 1),
                    if wire[1] & 0x80 == 0 {
                        Err(Error::TooLarge(body, body - 1))
                    } else {
                        Ok(None)
                    }
                );
            }
            // Mutated packets: any result, but no panic; a success re-encodes consistently.
            let mut m = wire.clone();
            for _ in 0..1 + r.below(4) {
                let i = r.below(m.len() as u64) as usize;
                m[i] ^= 1 << r.below(8);
            }
            if let Ok(Some((q, _))) = decode(&m, MAX_REMAINING_LENGTH) {
                let again = encode(&q);
                if let Ok(again) = again {
                    assert_eq!(decode(&again, MAX_REMAINING_LENGTH).unwrap().unwrap().0, q);
                }
            }
            // Pure garbage.
            let g = r.bytes(64);
            let _ = decode(&g, 1 << 20);
        }
    }

    #[test]
    fn remaining_length_limits() {
        assert_eq!(remaining_length(&[0]), Ok(Some((0, 1))));
        assert_eq!(remaining_length(&[0x7f]), Ok(Some((127, 1))));
        assert_eq!(remaining_length(&[0x80, 0x01]), Ok(Some((128, 2))));
        assert_eq!(
            remaining_length(&[0xff, 0xff, 0xff, 0x7f]),
            Ok(Some((MAX_REMAINING_LENGTH, 4)))
        );
        assert_eq!(remaining_length(&[0xff, 0xff, 0xff]), Ok(None));
        assert_eq!(
            remaining_length(&[0xff, 0xff, 0xff, 0xff]),
            Err(Error::MalformedLength)
        );
        assert_eq!(
            remaining_length(&[0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(Error::MalformedLength)
        );
        for n in [
            0usize,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            MAX_REMAINING_LENGTH,
        ] {
            let mut v = Vec::new();
            push_length(&mut v, n).unwrap();
            assert_eq!(remaining_length(&v), Ok(Some((n, v.len()))));
        }
        let mut v = Vec::new();
        assert_eq!(
            push_length(&mut v, MAX_REMAINING_LENGTH + 1),
            Err(Error::MalformedLength)
        );
    }

    #[test]
    fn spec_error_strings() {
        let e = |first: u8, body: &[u8]| decode_body(first, body).unwrap_err().to_string();
        assert_eq!(
            e(0x20, &[0]),
            "malformed CONNACK packet: remaining length must be 2"
        );
        assert_eq!(
            e(0x21, &[0, 0]),
            "malformed CONNACK packet: invalid flags 0x01"
        );
        assert_eq!(
            e(0x30, &[0]),
            "malformed PUBLISH packet: missing topic length"
        );
        assert_eq!(
            e(0x30, b"\0\x04ab"),
            "malformed PUBLISH packet: truncated topic name"
        );
        assert_eq!(
            e(0x30, b"\0\0"),
            "malformed PUBLISH packet: empty topic name"
        );
        assert_eq!(
            e(0x32, b"\0\x01t"),
            "malformed PUBLISH packet: missing packet id"
        );
        assert_eq!(
            e(0x36, b"\0\x01t\0\x01"),
            "malformed PUBLISH packet: invalid qos"
        );
        assert_eq!(
            e(0x40, &[0]),
            "malformed PUBACK packet: remaining length must be 2"
        );
        assert_eq!(
            e(0x60, &[0, 1]),
            "malformed PUBREL packet: invalid flags 0x00"
        );
        assert_eq!(
            e(0x90, &[0, 1]),
            "malformed SUBACK packet: remaining length must be at least 3"
        );
        assert_eq!(
            e(0xb0, &[]),
            "malformed UNSUBACK packet: remaining length must be 2"
        );
        assert_eq!(
            e(0xd0, &[0]),
            "malformed PINGRESP packet: remaining length must be 0"
        );
        assert_eq!(e(0xf0, &[]), "unknown packet type 15");
        assert_eq!(e(0x00, &[]), "unknown packet type 0");
    }

    #[test]
    fn connect_example_is_29_bytes() {
        let p = Packet::Connect {
            client_id: b"abc".to_vec(),
            keepalive: 5,
            clean_session: true,
            will: Some(Will {
                topic: b"w".to_vec(),
                payload: b"m".to_vec(),
                qos: 0,
                retain: false,
            }),
            username: Some(b"u".to_vec()),
            password: Some(b"p".to_vec()),
        };
        let w = encode(&p).unwrap();
        assert_eq!(w.len(), 29);
        assert_eq!(w[9], 0xc6);
        assert_eq!(&w[10..12], &[0, 5]);
    }
}
