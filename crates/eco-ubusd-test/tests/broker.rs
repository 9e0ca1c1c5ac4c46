//! The test broker answers like ubusd (the status codes of ubusd_proto.c/ubusd_event.c) and is
//! strict about sequence numbers and peers: raw messages over its socket.

use eco_ubus::blob::{self, Value};
use eco_ubus::msg::{self, Attrs, Msg};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command};
use std::time::Duration;

struct Broker {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn broker(tag: &str) -> (Broker, String) {
    let dir = std::env::temp_dir().join(format!("eco-ubusd-test-{}-{tag}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("ubus.sock").to_string_lossy().into_owned();
    let child = Command::new(env!("CARGO_BIN_EXE_eco-ubusd-test"))
        .args(["-s", &path])
        .spawn()
        .expect("broker starts");
    for _ in 0..200 {
        if UnixStream::connect(&path).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (Broker { child, dir }, path)
}

struct Client {
    s: UnixStream,
    id: u32,
    seq: u16,
}

impl Client {
    fn new(path: &str) -> Client {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut c = Client { s, id: 0, seq: 0 };
        let h = c.read();
        assert_eq!(h.typ, msg::HELLO);
        assert_eq!(h.seq, 0);
        c.id = h.peer;
        c
    }
    fn read(&mut self) -> Msg {
        let mut p = [0u8; msg::PREFIX_LEN];
        self.s.read_exact(&mut p).unwrap();
        let n = msg::body_len(&p).unwrap();
        let mut b = p.to_vec();
        b.resize(msg::PREFIX_LEN + n, 0);
        self.s.read_exact(&mut b[msg::PREFIX_LEN..]).unwrap();
        msg::decode(&b).unwrap()
    }
    fn send(&mut self, typ: u8, peer: u32, attrs: Attrs) -> u16 {
        self.seq = self.seq.wrapping_add(1);
        let m = Msg {
            typ,
            seq: self.seq,
            peer,
            attrs,
        };
        self.s.write_all(&msg::encode(&m).unwrap()).unwrap();
        self.seq
    }
    /// Sends a request; returns the DATA replies and the status, checking seq and peer.
    fn request(&mut self, typ: u8, peer: u32, attrs: Attrs) -> (Vec<Msg>, i32) {
        let seq = self.send(typ, peer, attrs);
        let mut data = Vec::new();
        loop {
            let m = self.read();
            if m.typ == msg::NOTIFY || (m.typ == msg::INVOKE && m.peer == 0) {
                continue; // subscription state, events
            }
            assert_eq!(
                (m.seq, m.peer),
                (seq, peer),
                "reply matches the request: {m:?}"
            );
            if m.typ == msg::STATUS {
                return (data, m.attrs.status.unwrap());
            }
            assert_eq!(m.typ, msg::DATA);
            data.push(m);
        }
    }
    fn add(&mut self, path: Option<&str>) -> u32 {
        let attrs = Attrs {
            objpath: path.map(|p| p.as_bytes().to_vec()),
            signature: path.map(|_| Vec::new()),
            ..Attrs::default()
        };
        let (d, st) = self.request(msg::ADD_OBJECT, 0, attrs);
        assert_eq!(st, 0);
        d[0].attrs.objid.unwrap()
    }
}

fn list(items: &[(&str, Value)]) -> Vec<u8> {
    blob::encode_list(
        &items
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

#[test]
fn statuses_and_forwarding() {
    let (_b, path) = broker("st");
    let mut a = Client::new(&path);
    let mut c = Client::new(&path);
    assert_ne!(a.id, c.id);

    // ADD_OBJECT: an existing path is INVALID_ARGUMENT
    let obj = a.add(Some("t.obj"));
    let (_, st) = c.request(
        msg::ADD_OBJECT,
        0,
        Attrs {
            objpath: Some(b"t.obj".to_vec()),
            signature: Some(vec![]),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2);
    // LOOKUP: found / NOT_FOUND / prefix
    let (d, st) = c.request(
        msg::LOOKUP,
        0,
        Attrs {
            objpath: Some(b"t.obj".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!((d.len(), st, d[0].attrs.objid), (1, 0, Some(obj)));
    let (d, st) = c.request(
        msg::LOOKUP,
        0,
        Attrs {
            objpath: Some(b"nope".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!((d.len(), st), (0, 4));
    let (d, st) = c.request(
        msg::LOOKUP,
        0,
        Attrs {
            objpath: Some(b"t.*".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!((d.len(), st), (1, 0));
    // PING: echoed as DATA, then STATUS 0
    let (d, st) = c.request(msg::PING, 0, Attrs::default());
    assert_eq!((d.len(), st), (1, 0));
    // an unknown type: INVALID_COMMAND
    let (_, st) = c.request(42, 0, Attrs::default());
    assert_eq!(st, 1);

    // INVOKE: missing METHOD -> INVALID_ARGUMENT; unknown object -> NOT_FOUND
    let (_, st) = c.request(
        msg::INVOKE,
        obj,
        Attrs {
            objid: Some(obj),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2);
    let (_, st) = c.request(
        msg::INVOKE,
        77777,
        Attrs {
            objid: Some(77777),
            method: Some(b"m".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 4);
    // stricter than ubusd: the header peer must be the object
    let (_, st) = c.request(
        msg::INVOKE,
        5,
        Attrs {
            objid: Some(obj),
            method: Some(b"m".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2);

    // INVOKE forwarded to the owner with the caller's seq and id as peer
    let seq = c.send(
        msg::INVOKE,
        obj,
        Attrs {
            objid: Some(obj),
            method: Some(b"m".to_vec()),
            data: Some(list(&[("x", Value::Int32(1))])),
            ..Attrs::default()
        },
    );
    let inv = a.read();
    assert_eq!(
        (inv.typ, inv.seq, inv.peer, inv.attrs.objid),
        (msg::INVOKE, seq, c.id, Some(obj))
    );
    assert_eq!(inv.attrs.method.as_deref(), Some(&b"m"[..]));
    // a reply to a request that is not outstanding (wrong seq) is dropped
    let bogus = Msg {
        typ: msg::STATUS,
        seq: seq.wrapping_add(9),
        peer: c.id,
        attrs: Attrs {
            objid: Some(obj),
            status: Some(0),
            ..Attrs::default()
        },
    };
    a.s.write_all(&msg::encode(&bogus).unwrap()).unwrap();
    // the real replies, forwarded with peer = the object
    for m in [
        Msg {
            typ: msg::DATA,
            seq,
            peer: c.id,
            attrs: Attrs {
                objid: Some(obj),
                data: Some(list(&[("r", Value::Int8(1))])),
                ..Attrs::default()
            },
        },
        Msg {
            typ: msg::STATUS,
            seq,
            peer: c.id,
            attrs: Attrs {
                objid: Some(obj),
                status: Some(3),
                ..Attrs::default()
            },
        },
    ] {
        a.s.write_all(&msg::encode(&m).unwrap()).unwrap();
    }
    let d = c.read();
    assert_eq!((d.typ, d.seq, d.peer), (msg::DATA, seq, obj));
    let s = c.read();
    assert_eq!(
        (s.typ, s.seq, s.peer, s.attrs.status),
        (msg::STATUS, seq, obj, Some(3))
    );
    // a second STATUS for the completed request is dropped: the next message c sees is a PING's
    a.s.write_all(
        &msg::encode(&Msg {
            typ: msg::STATUS,
            seq,
            peer: c.id,
            attrs: Attrs {
                objid: Some(obj),
                status: Some(0),
                ..Attrs::default()
            },
        })
        .unwrap(),
    )
    .unwrap();
    let (_, st) = c.request(msg::PING, 0, Attrs::default());
    assert_eq!(st, 0);

    // REMOVE_OBJECT of another client's object: PERMISSION_DENIED; unknown: NOT_FOUND
    let (_, st) = c.request(
        msg::REMOVE_OBJECT,
        0,
        Attrs {
            objid: Some(obj),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 6);
    let (_, st) = c.request(
        msg::REMOVE_OBJECT,
        0,
        Attrs {
            objid: Some(4242),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 4);

    // events: register checks, "ubus." refused, delivery with peer 0 to the listener object
    let lst = c.add(None);
    let reg = |o: Value, p: &str| {
        list(&[
            ("object", o),
            ("pattern", Value::String(p.as_bytes().to_vec())),
        ])
    };
    let (_, st) = c.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"register".to_vec()),
            data: Some(reg(Value::Int32(obj as i32), "x")),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 6, "another client's object");
    let (_, st) = c.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"register".to_vec()),
            data: Some(reg(Value::Int32(3), "x")),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 6, "a system object");
    let (_, st) = c.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"register".to_vec()),
            data: Some(list(&[("pattern", Value::String(b"x".to_vec()))])),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2);
    let (_, st) = c.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"register".to_vec()),
            data: Some(reg(Value::Int32(lst as i32), "ev.*")),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 0);
    let (_, st) = c.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"nope".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 1);
    let send = |id: &str| {
        list(&[
            ("id", Value::String(id.as_bytes().to_vec())),
            ("data", Value::Table(vec![(b"n".to_vec(), Value::Int32(5))])),
        ])
    };
    let (_, st) = a.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"send".to_vec()),
            data: Some(send("ubus.x")),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 6);
    let (_, st) = a.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"send".to_vec()),
            data: Some(list(&[("id", Value::String(b"ev.a".to_vec()))])),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2, "data missing");
    let (_, st) = a.request(
        msg::INVOKE,
        1,
        Attrs {
            objid: Some(1),
            method: Some(b"send".to_vec()),
            data: Some(send("ev.a")),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 0);
    let ev = c.read();
    assert_eq!(
        (ev.typ, ev.peer, ev.attrs.objid),
        (msg::INVOKE, 0, Some(lst))
    );
    assert_eq!(ev.attrs.method.as_deref(), Some(&b"ev.a"[..]));
    assert_eq!(
        blob::decode_list(ev.attrs.data.as_deref().unwrap(), 0),
        vec![(b"n".to_vec(), Value::Int32(5))]
    );

    // SUBSCRIBE: own object -> INVALID_ARGUMENT; missing target -> NOT_FOUND
    let sub = c.add(None);
    let own = c.add(Some("t.own"));
    let (_, st) = c.request(
        msg::SUBSCRIBE,
        0,
        Attrs {
            objid: Some(sub),
            target: Some(own),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 2);
    let (_, st) = c.request(
        msg::SUBSCRIBE,
        0,
        Attrs {
            objid: Some(sub),
            target: Some(999_999),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 4);
    let (_, st) = c.request(
        msg::SUBSCRIBE,
        0,
        Attrs {
            objid: Some(sub),
            target: Some(obj),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 0);
    let act = a.read();
    assert_eq!(
        (act.typ, act.attrs.objid, act.attrs.active),
        (msg::NOTIFY, Some(obj), Some(1))
    );
    // NOTIFY from a non-owner: PERMISSION_DENIED; with NO_REPLY: forwarded, no status
    let (_, st) = c.request(
        msg::NOTIFY,
        obj,
        Attrs {
            objid: Some(obj),
            method: Some(b"n".to_vec()),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 6);
    a.send(
        msg::NOTIFY,
        obj,
        Attrs {
            objid: Some(obj),
            method: Some(b"tick".to_vec()),
            data: Some(list(&[])),
            no_reply: Some(1),
            ..Attrs::default()
        },
    );
    let n = c.read();
    assert_eq!(
        (n.typ, n.peer, n.attrs.objid, n.attrs.no_reply),
        (msg::INVOKE, a.id, Some(sub), Some(1))
    );
    // UNSUBSCRIBE twice: the second is NOT_FOUND
    let (_, st) = c.request(
        msg::UNSUBSCRIBE,
        0,
        Attrs {
            objid: Some(sub),
            target: Some(obj),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 0);
    let (_, st) = c.request(
        msg::UNSUBSCRIBE,
        0,
        Attrs {
            objid: Some(sub),
            target: Some(obj),
            ..Attrs::default()
        },
    );
    assert_eq!(st, 4);
}

#[test]
fn malformed_message_drops_only_that_client() {
    let (_b, path) = broker("bad");
    let mut good = Client::new(&path);
    let mut bad = Client::new(&path);
    // version 1
    bad.s
        .write_all(&[1, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4])
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(bad.s.read(&mut buf).unwrap(), 0, "the broker hung up");
    // oversized
    let mut big = Client::new(&path);
    big.s
        .write_all(&[0, 4, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 8])
        .unwrap();
    assert_eq!(big.s.read(&mut buf).unwrap(), 0, "the broker hung up");
    let (_, st) = good.request(msg::PING, 0, Attrs::default());
    assert_eq!(st, 0, "other clients are served");
}
