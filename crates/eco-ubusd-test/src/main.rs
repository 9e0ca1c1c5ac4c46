//! A small ubusd-compatible broker for the eco.ubus tests (never packaged). It implements the
//! broker side of the protocol described in docs/ubus.md ("Wire format", "What ubusd does"):
//! HELLO, PING, LOOKUP, ADD/REMOVE_OBJECT, INVOKE forwarding with peer rewriting, the event
//! object (register/send, ubus.object.add/remove), SUBSCRIBE/UNSUBSCRIBE/NOTIFY, the status codes
//! ubusd answers with, and the 1 MiB message limit. A malformed message drops that client.
//!
//! It is stricter than ubusd in two places, to catch client bugs: an INVOKE's header peer must
//! equal its OBJID, and a reply (DATA/STATUS) must match an INVOKE still outstanding (caller,
//! seq, object); other replies are dropped.
//!
//! Usage: eco-ubusd-test -s <socket path>. One thread per client reads; one per client writes
//! from a queue, so no thread ever blocks on a peer while holding the state lock.
#![forbid(unsafe_code)]

use eco_ubus::blob::{self, Value};
use eco_ubus::msg::{self, Attrs, Msg};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

const STATUS_OK: i32 = 0;
const STATUS_INVALID_COMMAND: i32 = 1;
const STATUS_INVALID_ARGUMENT: i32 = 2;
const STATUS_NOT_FOUND: i32 = 4;
const STATUS_PERMISSION_DENIED: i32 = 6;

const EVENT_OBJECT: u32 = 1;
const SYSTEM_OBJECT_MAX: u32 = 1024;

struct Object {
    path: Option<Vec<u8>>,
    owner: u32,
    typ: Option<u32>,
    signature: Vec<u8>,
    /// subscriber object ids, one entry per subscription (ubusd keeps duplicates too)
    subscribers: Vec<u32>,
    /// ids of the objects this (subscriber) object is subscribed to, one per subscription
    targets: Vec<u32>,
}

#[derive(Default)]
struct State {
    clients: HashMap<u32, Sender<Vec<u8>>>,
    objects: BTreeMap<u32, Object>,
    /// (listener object id, pattern)
    listeners: Vec<(u32, Vec<u8>)>,
    /// INVOKEs forwarded and not yet completed: (caller client, seq, object id)
    outstanding: HashSet<(u32, u16, u32)>,
    rng: u64,
    event_seq: u16,
}

impl State {
    /// A random unused id >= 1024 (ubusd's ids are random 32-bit numbers too).
    fn alloc_id(&mut self) -> u32 {
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            let id = (self.rng >> 16) as u32;
            if id >= SYSTEM_OBJECT_MAX
                && !self.objects.contains_key(&id)
                && !self.clients.contains_key(&id)
            {
                return id;
            }
        }
    }

    fn send(&self, client: u32, m: &Msg) {
        if let (Some(tx), Ok(b)) = (self.clients.get(&client), msg::encode(m)) {
            let _ = tx.send(b);
        }
    }

    fn reply(&self, client: u32, req: &Msg, typ: u8, attrs: Attrs) {
        self.send(
            client,
            &Msg {
                typ,
                seq: req.seq,
                peer: req.peer,
                attrs,
            },
        );
    }

    /// Sends event `id` with payload `data` (a blobmsg list) to every matching listener not
    /// owned by `from`.
    fn event(&mut self, from: Option<u32>, id: &[u8], data: &[u8]) {
        let mut targets = Vec::new();
        for (obj, pat) in &self.listeners {
            let hit = match pat.strip_suffix(b"*") {
                Some(prefix) => id.starts_with(prefix),
                None => pat.as_slice() == id,
            };
            if let (true, Some(o)) = (hit, self.objects.get(obj)) {
                // each listener object once per event, never the sender's own
                if Some(o.owner) != from && !targets.contains(&(o.owner, *obj)) {
                    targets.push((o.owner, *obj));
                }
            }
        }
        for (owner, obj) in targets {
            self.event_seq = self.event_seq.wrapping_add(1);
            let m = Msg {
                typ: msg::INVOKE,
                seq: self.event_seq,
                peer: 0,
                attrs: Attrs {
                    objid: Some(obj),
                    method: Some(id.to_vec()),
                    data: Some(data.to_vec()),
                    ..Attrs::default()
                },
            };
            self.send(owner, &m);
        }
    }

    fn object_event(&mut self, name: &[u8], id: u32, path: &[u8]) {
        let data = blob::encode_list(&[
            (b"id".to_vec(), Value::Int32(id as i32)),
            (b"path".to_vec(), Value::String(path.to_vec())),
        ])
        .unwrap_or_default();
        self.event(None, name, &data);
    }

    fn notify_active(&self, target: u32) {
        if let Some(o) = self.objects.get(&target) {
            let m = Msg {
                typ: msg::NOTIFY,
                seq: 0,
                peer: 0,
                attrs: Attrs {
                    objid: Some(target),
                    active: Some(u8::from(!o.subscribers.is_empty())),
                    ..Attrs::default()
                },
            };
            self.send(o.owner, &m);
        }
    }

    fn unsubscribe(&mut self, sub: u32, target: u32) {
        let mut now_empty = false;
        if let Some(t) = self.objects.get_mut(&target) {
            if let Some(i) = t.subscribers.iter().position(|x| *x == sub) {
                t.subscribers.remove(i);
                now_empty = t.subscribers.is_empty();
            }
        }
        if let Some(s) = self.objects.get_mut(&sub) {
            if let Some(i) = s.targets.iter().position(|x| *x == target) {
                s.targets.remove(i);
            }
        }
        if now_empty {
            self.notify_active(target);
        }
    }

    fn remove_object(&mut self, id: u32) {
        let Some(o) = self.objects.remove(&id) else {
            return;
        };
        self.listeners.retain(|(l, _)| *l != id);
        for t in &o.targets {
            self.unsubscribe(id, *t);
        }
        for s in &o.subscribers {
            if let Some(so) = self.objects.get_mut(s) {
                so.targets.retain(|x| *x != id);
                let owner = so.owner;
                let m = Msg {
                    typ: msg::UNSUBSCRIBE,
                    seq: 0,
                    peer: 0,
                    attrs: Attrs {
                        objid: Some(*s),
                        target: Some(id),
                        ..Attrs::default()
                    },
                };
                self.send(owner, &m);
            }
        }
        if let Some(p) = &o.path {
            self.object_event(b"ubus.object.remove", id, p);
        }
    }

    fn lookup_data(&self, id: u32, o: &Object) -> Attrs {
        Attrs {
            objpath: o.path.clone(),
            objid: Some(id),
            objtype: o.typ,
            signature: Some(o.signature.clone()),
            ..Attrs::default()
        }
    }

    /// Handles one message of client `cl`; returns the status to answer with, if any.
    fn handle(&mut self, cl: u32, m: &Msg) -> Option<i32> {
        let a = &m.attrs;
        match m.typ {
            msg::PING => {
                self.reply(cl, m, msg::DATA, a.clone());
                Some(STATUS_OK)
            }
            msg::LOOKUP => {
                // ubusd walks its path tree (sorted by path) and sends only typed objects
                let mut named: Vec<(&Vec<u8>, u32, &Object)> = self
                    .objects
                    .iter()
                    .filter_map(|(id, o)| o.path.as_ref().map(|p| (p, *id, o)))
                    .collect();
                named.sort_by(|x, y| x.0.cmp(y.0));
                let mut found = Vec::new();
                let mut any = false;
                for (p, id, o) in named {
                    let hit = match &a.objpath {
                        None => true,
                        Some(q) => match q.strip_suffix(b"*") {
                            Some(prefix) => p.starts_with(prefix),
                            None => p == q,
                        },
                    };
                    if hit {
                        any = true;
                        if o.typ.is_some() {
                            found.push(self.lookup_data(id, o));
                        }
                    }
                }
                if !any && a.objpath.is_some() {
                    return Some(STATUS_NOT_FOUND);
                }
                for d in found {
                    self.reply(cl, m, msg::DATA, d);
                }
                Some(STATUS_OK)
            }
            msg::ADD_OBJECT => {
                if let Some(p) = &a.objpath {
                    if self.objects.values().any(|o| o.path.as_ref() == Some(p)) {
                        return Some(STATUS_INVALID_ARGUMENT);
                    }
                }
                let id = self.alloc_id();
                let typ = a.signature.as_ref().map(|_| self.alloc_id());
                if let Some(sig) = &a.signature {
                    // every method must be a well-formed blobmsg attribute
                    let mut it = blob::iter(sig);
                    if it.any(|x| blob::msg_split(&x).is_none()) || it.bad {
                        return Some(STATUS_INVALID_ARGUMENT);
                    }
                }
                self.objects.insert(
                    id,
                    Object {
                        path: a.objpath.clone(),
                        owner: cl,
                        typ,
                        signature: a.signature.clone().unwrap_or_default(),
                        subscribers: Vec::new(),
                        targets: Vec::new(),
                    },
                );
                let attrs = Attrs {
                    objid: Some(id),
                    objtype: typ,
                    ..Attrs::default()
                };
                self.reply(cl, m, msg::DATA, attrs);
                if let Some(p) = a.objpath.clone() {
                    self.object_event(b"ubus.object.add", id, &p);
                }
                Some(STATUS_OK)
            }
            msg::REMOVE_OBJECT => {
                let id = a.objid?;
                let Some(o) = self.objects.get(&id) else {
                    return Some(STATUS_NOT_FOUND);
                };
                if o.owner != cl {
                    return Some(STATUS_PERMISSION_DENIED);
                }
                let attrs = Attrs {
                    objid: Some(id),
                    objtype: o.typ,
                    ..Attrs::default()
                };
                self.remove_object(id);
                self.reply(cl, m, msg::DATA, attrs);
                Some(STATUS_OK)
            }
            msg::INVOKE => {
                let (Some(method), Some(objid)) = (&a.method, a.objid) else {
                    return Some(STATUS_INVALID_ARGUMENT);
                };
                if m.peer != objid {
                    return Some(STATUS_INVALID_ARGUMENT);
                }
                if objid == EVENT_OBJECT {
                    return Some(self.event_object(cl, method, a.data.as_deref()));
                }
                let Some(o) = self.objects.get(&objid) else {
                    return Some(STATUS_NOT_FOUND);
                };
                let owner = o.owner;
                self.outstanding.insert((cl, m.seq, objid));
                let fwd = Msg {
                    typ: msg::INVOKE,
                    seq: m.seq,
                    peer: cl,
                    attrs: Attrs {
                        objid: Some(objid),
                        method: Some(method.clone()),
                        data: a.data.clone(),
                        user: Some(b"root".to_vec()),
                        group: Some(b"root".to_vec()),
                        ..Attrs::default()
                    },
                };
                self.send(owner, &fwd);
                None
            }
            msg::STATUS | msg::DATA => {
                // a reply of an object owner to a forwarded INVOKE: header peer = the caller
                let objid = a.objid?;
                if (m.typ == msg::STATUS && a.status.is_none())
                    || (m.typ == msg::DATA && a.data.is_none())
                {
                    return None;
                }
                if self.objects.get(&objid).map(|o| o.owner) != Some(cl) {
                    return None;
                }
                let key = (m.peer, m.seq, objid);
                if !self.outstanding.contains(&key) {
                    return None;
                }
                if m.typ == msg::STATUS {
                    self.outstanding.remove(&key);
                }
                let fwd = Msg {
                    typ: m.typ,
                    seq: m.seq,
                    peer: objid,
                    attrs: a.clone(),
                };
                self.send(m.peer, &fwd);
                None
            }
            msg::SUBSCRIBE => {
                let (Some(sub), Some(target)) = (a.objid, a.target) else {
                    return Some(STATUS_INVALID_ARGUMENT);
                };
                match self.objects.get(&sub) {
                    None => return Some(STATUS_NOT_FOUND),
                    Some(o) if o.owner != cl => return Some(STATUS_INVALID_ARGUMENT),
                    _ => {}
                }
                let first = match self.objects.get_mut(&target) {
                    None => return Some(STATUS_NOT_FOUND),
                    Some(t) if t.owner == cl => return Some(STATUS_INVALID_ARGUMENT),
                    Some(t) => {
                        let first = t.subscribers.is_empty();
                        t.subscribers.push(sub);
                        first
                    }
                };
                if let Some(s) = self.objects.get_mut(&sub) {
                    s.targets.push(target);
                }
                if first {
                    self.notify_active(target);
                }
                Some(STATUS_OK)
            }
            msg::UNSUBSCRIBE => {
                let (Some(sub), Some(target)) = (a.objid, a.target) else {
                    return Some(STATUS_INVALID_ARGUMENT);
                };
                match self.objects.get(&sub) {
                    None => return Some(STATUS_NOT_FOUND),
                    Some(o) if o.owner != cl => return Some(STATUS_INVALID_ARGUMENT),
                    _ => {}
                }
                if !self
                    .objects
                    .get(&sub)
                    .is_some_and(|o| o.targets.contains(&target))
                {
                    return Some(STATUS_NOT_FOUND);
                }
                self.unsubscribe(sub, target);
                Some(STATUS_OK)
            }
            msg::NOTIFY => {
                let (Some(objid), Some(method)) = (a.objid, &a.method) else {
                    return Some(STATUS_INVALID_ARGUMENT);
                };
                let subs = match self.objects.get(&objid) {
                    Some(o) if o.owner == cl => o.subscribers.clone(),
                    Some(_) => return Some(STATUS_PERMISSION_DENIED),
                    None => return Some(STATUS_NOT_FOUND),
                };
                let no_reply = a.no_reply.unwrap_or(0) != 0;
                for s in &subs {
                    let Some(owner) = self.objects.get(s).map(|o| o.owner) else {
                        continue;
                    };
                    let fwd = Msg {
                        typ: msg::INVOKE,
                        seq: m.seq,
                        peer: cl,
                        attrs: Attrs {
                            objid: Some(*s),
                            method: Some(method.clone()),
                            data: a.data.clone(),
                            no_reply: no_reply.then_some(1),
                            user: Some(b"root".to_vec()),
                            group: Some(b"root".to_vec()),
                            ..Attrs::default()
                        },
                    };
                    self.send(owner, &fwd);
                }
                None
            }
            _ => Some(STATUS_INVALID_COMMAND),
        }
    }

    /// INVOKE on the event object: `register` a listener or `send` an event.
    fn event_object(&mut self, cl: u32, method: &[u8], data: Option<&[u8]>) -> i32 {
        let fields = data.map(|d| blob::decode_list(d, 0)).unwrap_or_default();
        let get = |k: &[u8]| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        match method {
            b"register" => {
                let (Some(Value::Int32(obj)), Some(Value::String(pat))) =
                    (get(b"object"), get(b"pattern"))
                else {
                    return STATUS_INVALID_ARGUMENT;
                };
                if pat.is_empty() {
                    return STATUS_PERMISSION_DENIED;
                }
                let obj = *obj as u32;
                if obj < SYSTEM_OBJECT_MAX {
                    return STATUS_PERMISSION_DENIED;
                }
                match self.objects.get(&obj) {
                    None => STATUS_NOT_FOUND,
                    Some(o) if o.owner != cl => STATUS_PERMISSION_DENIED,
                    Some(_) => {
                        self.listeners.push((obj, pat.clone()));
                        STATUS_OK
                    }
                }
            }
            b"send" => {
                let (Some(Value::String(id)), Some(Value::Table(_))) = (get(b"id"), get(b"data"))
                else {
                    return STATUS_INVALID_ARGUMENT;
                };
                if id.starts_with(b"ubus.") {
                    return STATUS_PERMISSION_DENIED;
                }
                // forward the raw bytes of the `data` table's body
                let raw = blob::iter(data.unwrap_or_default())
                    .filter_map(|x| blob::msg_split(&x).map(|(n, v)| (n, v, x.id)))
                    .find(|(n, _, t)| *n == b"data" && *t == blob::TABLE)
                    .map(|(_, v, _)| v.to_vec())
                    .unwrap_or_default();
                let id = id.clone();
                self.event(Some(cl), &id, &raw);
                STATUS_OK
            }
            _ => STATUS_INVALID_COMMAND,
        }
    }

    fn drop_client(&mut self, cl: u32) {
        self.clients.remove(&cl);
        let ids: Vec<u32> = self
            .objects
            .iter()
            .filter(|(_, o)| o.owner == cl)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.remove_object(id);
        }
        self.outstanding.retain(|(caller, _, _)| *caller != cl);
    }
}

fn read_msg(s: &mut UnixStream) -> Result<Msg, String> {
    let mut prefix = [0u8; msg::PREFIX_LEN];
    s.read_exact(&mut prefix).map_err(|e| e.to_string())?;
    let n = msg::body_len(&prefix).map_err(|e| e.to_string())?;
    let mut b = prefix.to_vec();
    b.resize(msg::PREFIX_LEN + n, 0);
    s.read_exact(&mut b[msg::PREFIX_LEN..])
        .map_err(|e| e.to_string())?;
    msg::decode(&b).map_err(|e| e.to_string())
}

fn serve(state: Arc<Mutex<State>>, mut s: UnixStream) {
    let Ok(mut w) = s.try_clone() else { return };
    let (tx, rx) = channel::<Vec<u8>>();
    let cl = {
        let mut st = state.lock().unwrap();
        let id = st.alloc_id();
        st.clients.insert(id, tx);
        st.send(
            id,
            &Msg {
                typ: msg::HELLO,
                seq: 0,
                peer: id,
                attrs: Attrs::default(),
            },
        );
        id
    };
    let writer = std::thread::spawn(move || {
        for b in rx {
            if w.write_all(&b).is_err() {
                break;
            }
        }
        let _ = w.shutdown(std::net::Shutdown::Both);
    });
    loop {
        match read_msg(&mut s) {
            Ok(m) => {
                let mut st = state.lock().unwrap();
                if let Some(status) = st.handle(cl, &m) {
                    // like ubusd's `retmsg`: the STATUS attribute only
                    let attrs = Attrs {
                        status: Some(status),
                        ..Attrs::default()
                    };
                    st.reply(cl, &m, msg::STATUS, attrs);
                }
            }
            Err(e) => {
                if std::env::var_os("ECO_UBUSD_DEBUG").is_some() {
                    eprintln!("eco-ubusd-test: client {cl:08x}: {e}");
                }
                break;
            }
        }
    }
    state.lock().unwrap().drop_client(cl);
    let _ = s.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = match args.iter().position(|a| a == "-s") {
        Some(i) if i + 1 < args.len() => args[i + 1].clone(),
        _ => {
            eprintln!("usage: eco-ubusd-test -s <socket path>");
            std::process::exit(2);
        }
    };
    let _ = std::fs::remove_file(&path);
    let l = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("eco-ubusd-test: bind {path}: {e}");
            std::process::exit(1);
        }
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let state = Arc::new(Mutex::new(State {
        rng: seed,
        ..State::default()
    }));
    for s in l.incoming().flatten() {
        let st = state.clone();
        std::thread::spawn(move || serve(st, s));
    }
}
