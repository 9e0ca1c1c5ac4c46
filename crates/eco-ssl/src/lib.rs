//! `eco.ssl` (spec/ssl.md): TLS client and server streams on OpenSSL (the `openssl` crate over the
//! system libssl, or a vendored one with the `vendored` feature).
//!
//! Rust holds the low-level objects of spec section 6: contexts (`ssl.context`) and sessions
//! (`ctx:new(fd)`), plus the native read/write hooks that put a session under the core's
//! `eco.reader`/`eco.writer` (spec/eco.md 10.6), so TLS reads and writes park the coroutine exactly
//! like plain ones. The handshake is one non-blocking step (`session:handshake()`) that Lua repeats
//! after waiting for the direction OpenSSL asked for; `lua/ssl.lua` builds `connect`, `listen`,
//! `accept` and the client objects on top of that and of `eco.socket`.
#![forbid(unsafe_code)]

use eco_util::fail;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use eco_abi::hooks::{HookError, HookStream, Hooked};
use mlua::{
    LightUserData, Lua, MetaMethod, MultiValue, Result, Table, UserDataFields, UserDataMethods,
    Value,
};
use openssl::error::ErrorStack;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    ErrorCode, Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslStream,
    SslVerifyMode, SslVersion,
};
use openssl::x509::{X509VerifyResult, X509};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("ssl.lua");

/// Result constants of spec section 6.
pub const OK: i64 = 0;
pub const ERROR: i64 = -1;
pub const WANT_READ: i64 = -2;
pub const WANT_WRITE: i64 = -3;
pub const INSECURE: i64 = -4;

/// Where the reference loads its default trust anchors from (every `*.crt` file, errors ignored).
const SYSTEM_CA_DIR: &str = "/etc/ssl/certs";

/// TLS <= 1.2 cipher preference: forward-secret AEAD first, then CBC, then non-PFS AES.
const CIPHERS: &str = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:\
DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:\
ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:\
AES128-SHA:AES256-SHA";
/// TLS 1.3 suites.
const CIPHERSUITES: &str =
    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";

// ---- the socket under a session -------------------------------------------------------------

/// The TCP descriptor a session reads and writes. It is owned by the `eco.socket` object next to
/// the session (this type never closes it).
struct FdIo {
    fd: i32,
}

impl Read for FdIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match rustix::io::read(eco_abi::borrow_fd(self.fd), &mut *buf) {
                Err(rustix::io::Errno::INTR) => continue,
                r => return r.map_err(io::Error::from),
            }
        }
    }
}

impl Write for FdIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let fd = eco_abi::borrow_fd(self.fd);
        loop {
            // MSG_NOSIGNAL: a peer that went away gives EPIPE, not SIGPIPE (also outside the loop).
            match rustix::net::send(fd, buf, rustix::net::SendFlags::NOSIGNAL) {
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::NOTSOCK) => {
                    return rustix::io::write(fd, buf).map_err(io::Error::from)
                }
                r => return r.map_err(io::Error::from),
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---- error texts ------------------------------------------------------------------------------

/// First entry of an OpenSSL error stack in OpenSSL's own format
/// (`error:<hex>:<lib>:<func>:<reason>:<file>:<line>:<data>`).
fn stack_text(e: &ErrorStack) -> String {
    match e.errors().first() {
        Some(first) => first.to_string(),
        None => "OpenSSL error".to_string(),
    }
}

fn is_unexpected_eof(e: &openssl::ssl::Error) -> bool {
    e.ssl_error()
        .and_then(|s| s.errors().first())
        .and_then(|x| x.reason())
        .is_some_and(|r| r.contains("unexpected eof"))
}

/// Text for a failed handshake/read/write: `strerror` for socket errors, else OpenSSL's.
fn error_text(e: &openssl::ssl::Error) -> String {
    if let Some(io) = e.io_error() {
        return eco_abi::io_error_text(io);
    }
    if let Some(s) = e.ssl_error() {
        return stack_text(s);
    }
    match e.code() {
        ErrorCode::SYSCALL => "closed".to_string(),
        ErrorCode::ZERO_RETURN => "closed".to_string(),
        _ => e.to_string(),
    }
}

// ---- sessions ---------------------------------------------------------------------------------

enum Conn {
    /// Created, handshake not started (SNI can still be set).
    Fresh(Ssl, FdIo),
    Stream(SslStream<FdIo>),
    Freed,
}

/// One TLS session over a descriptor; the stream behind the reader/writer hooks.
struct Session {
    conn: Conn,
    insecure: bool,
    established: bool,
}

enum Step {
    Done,
    WantRead,
    WantWrite,
    Failed(String),
}

impl Session {
    fn stream(&mut self) -> std::result::Result<&mut SslStream<FdIo>, String> {
        if let Conn::Fresh(..) = self.conn {
            let Conn::Fresh(ssl, io) = std::mem::replace(&mut self.conn, Conn::Freed) else {
                unreachable!()
            };
            match SslStream::new(ssl, io) {
                Ok(s) => self.conn = Conn::Stream(s),
                Err(e) => return Err(stack_text(&e)),
            }
        }
        match &mut self.conn {
            Conn::Stream(s) => Ok(s),
            _ => Err("closed".to_string()),
        }
    }

    /// One non-blocking handshake step, then the verification verdict of spec section 3.
    fn handshake(&mut self) -> Step {
        if let Conn::Freed = self.conn {
            return Step::Failed("closed".to_string());
        }
        if self.established {
            return Step::Done;
        }
        let insecure = self.insecure;
        let s = match self.stream() {
            Ok(s) => s,
            Err(e) => return Step::Failed(e),
        };
        match s.do_handshake() {
            Ok(()) => {
                let v = s.ssl().verify_result();
                if v != X509VerifyResult::OK && !insecure {
                    return Step::Failed(format!(
                        "SSL certificate verify fail: {}",
                        v.error_string()
                    ));
                }
                self.established = true;
                Step::Done
            }
            Err(e) => match e.code() {
                ErrorCode::WANT_READ => Step::WantRead,
                ErrorCode::WANT_WRITE => Step::WantWrite,
                _ => Step::Failed(error_text(&e)),
            },
        }
    }

    /// Best effort close_notify: one non-blocking attempt, errors ignored.
    fn shutdown(&mut self) {
        if let Conn::Stream(s) = &mut self.conn {
            if self.established {
                let _ = s.shutdown();
            }
        }
    }

    fn free(&mut self) {
        // Dropping the stream frees the SSL object without a close_notify (quiet, as the
        // reference); the descriptor belongs to the socket object.
        self.conn = Conn::Freed;
    }
}

impl HookStream for Session {
    fn hook_read(&mut self, buf: &mut [u8]) -> std::result::Result<usize, HookError> {
        let s = self.stream().map_err(HookError::Failed)?;
        // A record without application data (e.g. a TLS 1.3 session ticket) reports WANT_READ
        // with no socket error: try again at once, the socket may hold more.
        for _ in 0..64 {
            match s.ssl_read(buf) {
                Ok(n) => return Ok(n),
                Err(e) => match e.code() {
                    ErrorCode::ZERO_RETURN => return Ok(0),
                    ErrorCode::WANT_READ if e.io_error().is_none() => continue,
                    // WANT_WRITE while reading (a post-handshake message could not be sent): the
                    // hook contract only waits for readability; the peer's next record or our
                    // next write completes it.
                    ErrorCode::WANT_READ | ErrorCode::WANT_WRITE => {
                        return Err(HookError::WouldBlock)
                    }
                    ErrorCode::SYSCALL if e.io_error().is_none() => return Ok(0),
                    _ if is_unexpected_eof(&e) => return Ok(0),
                    _ => return Err(HookError::Failed(error_text(&e))),
                },
            }
        }
        Err(HookError::WouldBlock)
    }

    fn hook_write(&mut self, buf: &[u8]) -> std::result::Result<usize, HookError> {
        let s = self.stream().map_err(HookError::Failed)?;
        match s.ssl_write(buf) {
            Ok(n) => Ok(n),
            Err(e) => match e.code() {
                ErrorCode::WANT_READ | ErrorCode::WANT_WRITE => Err(HookError::WouldBlock),
                ErrorCode::ZERO_RETURN => Err(HookError::Failed("closed".to_string())),
                _ => Err(HookError::Failed(error_text(&e))),
            },
        }
    }
}

struct SessionUd(Hooked<Session>);

/// Installs the methods of [`SessionUd`] (once per Lua state).
fn register_session(lua: &Lua) -> Result<()> {
    {
        // handshake() -> true | WANT_READ | WANT_WRITE | nil, err
        let m_handshake =
            eco_util::method_mut(lua, "ssl session", |lua, this: &mut SessionUd, ()| {
                let v = match this.0.get_mut().handshake() {
                    Step::Done => vec![Value::Boolean(true)],
                    Step::WantRead => vec![Value::Integer(WANT_READ)],
                    Step::WantWrite => vec![Value::Integer(WANT_WRITE)],
                    Step::Failed(e) => vec![Value::Nil, Value::String(lua.create_string(e)?)],
                };
                Ok(MultiValue::from_vec(v))
            })?;
        let m_set_server_name = eco_util::method_mut(
            lua,
            "ssl session",
            |_, this: &mut SessionUd, name: mlua::LuaString| {
                match &mut this.0.get_mut().conn {
                    Conn::Fresh(ssl, _) => {
                        // As the reference, a name OpenSSL refuses (empty, too long) is not an error:
                        // the ClientHello goes out without SNI.
                        if let Ok(name) = name.to_str() {
                            let _ = ssl.set_hostname(&name);
                        }
                    }
                    Conn::Freed => return Err(mlua::Error::runtime("closed")),
                    // The ClientHello is gone: too late for SNI, as with the reference.
                    Conn::Stream(_) => {}
                }
                Ok(())
            },
        )?;
        let m_pointer = eco_util::method(lua, "ssl session", |_, this: &SessionUd, ()| {
            Ok(LightUserData(this.0.ctx()))
        })?;
        // Extension: sends close_notify if the handshake completed (once, without waiting).
        let m_shutdown =
            eco_util::method_mut(lua, "ssl session", |_, this: &mut SessionUd, ()| {
                this.0.get_mut().shutdown();
                Ok(())
            })?;
        let m_free = eco_util::method_mut(lua, "ssl session", |_, this: &mut SessionUd, ()| {
            this.0.get_mut().free();
            Ok(())
        })?;
        eco_util::register::<SessionUd>(lua, move |r| {
            r.add_field("handshake", m_handshake);
            r.add_field("set_server_name", m_set_server_name);
            r.add_field("pointer", m_pointer);
            r.add_field("shutdown", m_shutdown);
            r.add_field("free", m_free);
            r.add_meta_method_mut(MetaMethod::Close, |_, this, _: MultiValue| {
                this.0.get_mut().free();
                Ok(())
            });
        })
    }
}

// ---- contexts ---------------------------------------------------------------------------------

/// Parsed trust anchors from [`SYSTEM_CA_DIR`], loaded once per Lua state.
struct SystemCas(Vec<X509>);

fn load_system_cas() -> Vec<X509> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(SYSTEM_CA_DIR) else {
        return out;
    };
    let mut paths: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "crt"))
        .collect();
    paths.sort();
    for p in paths {
        if let Ok(pem) = std::fs::read(&p) {
            if let Ok(certs) = X509::stack_from_pem(&pem) {
                out.extend(certs);
            }
        }
    }
    out
}

fn system_cas(lua: &Lua) -> Vec<X509> {
    if let Some(c) = lua.app_data_ref::<SystemCas>() {
        return c.0.clone();
    }
    let cas = load_system_cas();
    lua.set_app_data(SystemCas(cas.clone()));
    cas
}

/// A file name from Lua (any bytes).
fn path_of(s: &mlua::LuaString) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(&s.as_bytes()))
}

/// `load_ca_cert_file`/`load_cert_file`: reads the PEM certificates at `path` into the context
/// with `apply`; false when the context is freed or the file unreadable.
fn load_certs(c: &mut Context, path: &mlua::LuaString, apply: fn(&mut Context, Vec<X509>)) -> bool {
    if c.freed {
        return false;
    }
    match read_certs(&path_of(path)) {
        Some(certs) => {
            apply(c, certs);
            c.built = None;
            true
        }
        None => false,
    }
}

fn read_certs(path: &Path) -> Option<Vec<X509>> {
    let data = std::fs::read(path).ok()?;
    match X509::stack_from_pem(&data) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => X509::from_der(&data).ok().map(|c| vec![c]),
    }
}

fn read_key(path: &Path) -> Option<PKey<Private>> {
    let data = std::fs::read(path).ok()?;
    PKey::private_key_from_pem(&data)
        .or_else(|_| PKey::private_key_from_der(&data))
        .ok()
}

/// A context's configuration; the OpenSSL context is (re)built from it when a session needs it.
struct Context {
    server: bool,
    freed: bool,
    cas: Vec<X509>,
    chain: Option<Vec<X509>>,
    key: Option<PKey<Private>>,
    ciphers: Option<String>,
    verify_peer: bool,
    built: Option<SslContext>,
}

impl Context {
    fn new(server: bool) -> std::result::Result<Self, ErrorStack> {
        // Probe once so that `ssl.context()` can fail the way the spec says.
        let c = Context {
            server,
            freed: false,
            cas: Vec::new(),
            chain: None,
            key: None,
            ciphers: None,
            verify_peer: false,
            built: None,
        };
        SslContextBuilder::new(c.method())?;
        Ok(c)
    }

    fn method(&self) -> SslMethod {
        if self.server {
            SslMethod::tls_server()
        } else {
            SslMethod::tls_client()
        }
    }

    fn build(&self, lua: &Lua) -> std::result::Result<SslContext, ErrorStack> {
        let mut b = SslContextBuilder::new(self.method())?;
        let mut opts = SslOptions::NO_COMPRESSION;
        if self.server {
            opts |= SslOptions::CIPHER_SERVER_PREFERENCE | SslOptions::NO_RENEGOTIATION;
            b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
        }
        b.set_options(opts);
        b.set_mode(
            SslMode::ENABLE_PARTIAL_WRITE
                | SslMode::ACCEPT_MOVING_WRITE_BUFFER
                | SslMode::AUTO_RETRY
                | SslMode::RELEASE_BUFFERS,
        );
        b.set_cipher_list(self.ciphers.as_deref().unwrap_or(CIPHERS))?;
        // Some builds lack one of the suites; the library default is fine then.
        let _ = b.set_ciphersuites(CIPHERSUITES);
        b.set_verify(if self.verify_peer {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        let store = b.cert_store_mut();
        for c in system_cas(lua).into_iter().chain(self.cas.iter().cloned()) {
            // Duplicates are refused by the store; harmless.
            let _ = store.add_cert(c);
        }
        if let Some(chain) = &self.chain {
            b.set_certificate(&chain[0])?;
            for c in &chain[1..] {
                b.add_extra_chain_cert(c.clone())?;
            }
        }
        if let Some(key) = &self.key {
            b.set_private_key(key)?;
        }
        Ok(b.build())
    }

    fn session(&mut self, lua: &Lua, fd: i32, insecure: bool) -> std::result::Result<Session, ()> {
        if self.built.is_none() {
            self.built = Some(self.build(lua).map_err(|_| ())?);
        }
        let ctx = self.built.as_ref().ok_or(())?;
        let mut ssl = Ssl::new(ctx).map_err(|_| ())?;
        if self.server {
            ssl.set_accept_state();
        } else {
            ssl.set_connect_state();
        }
        Ok(Session {
            conn: Conn::Fresh(ssl, FdIo { fd }),
            insecure,
            established: false,
        })
    }

    /// Releases our reference; sessions keep theirs (OpenSSL counts them), so they go on working.
    fn free(&mut self) {
        self.freed = true;
        self.built = None;
        self.cas.clear();
        self.chain = None;
        self.key = None;
    }
}

struct ContextUd(Context);

/// Installs the methods of [`ContextUd`] (once per Lua state).
fn register_context(lua: &Lua) -> Result<()> {
    {
        let m_new = eco_util::method_mut(
            lua,
            "ssl context",
            |lua, this: &mut ContextUd, (fd, insecure): (i64, Option<Value>)| {
                let c = &mut this.0;
                if c.freed {
                    return fail(lua, "context closed");
                }
                let Ok(fd) = eco_abi::checked_fd(fd) else {
                    return fail(lua, "new ssl session fail");
                };
                let insecure =
                    insecure.is_some_and(|v| !matches!(v, Value::Nil | Value::Boolean(false)));
                match c.session(lua, fd, insecure) {
                    Ok(s) => {
                        let ud = lua.create_any_userdata(SessionUd(Hooked::new(s)))?;
                        Ok(MultiValue::from_vec(vec![Value::UserData(ud)]))
                    }
                    Err(()) => fail(lua, "new ssl session fail"),
                }
            },
        )?;
        let m_free = eco_util::method_mut(lua, "ssl context", |_, this: &mut ContextUd, ()| {
            this.0.free();
            Ok(())
        })?;
        let m_load_ca_cert_file = eco_util::method_mut(
            lua,
            "ssl context",
            |_, this: &mut ContextUd, path: mlua::LuaString| {
                Ok(load_certs(&mut this.0, &path, |c, certs| {
                    c.cas.extend(certs)
                }))
            },
        )?;
        let m_load_cert_file = eco_util::method_mut(
            lua,
            "ssl context",
            |_, this: &mut ContextUd, path: mlua::LuaString| {
                Ok(load_certs(&mut this.0, &path, |c, chain| {
                    c.chain = Some(chain)
                }))
            },
        )?;
        let m_load_key_file = eco_util::method_mut(
            lua,
            "ssl context",
            |_, this: &mut ContextUd, path: mlua::LuaString| {
                let c = &mut this.0;
                if c.freed {
                    return Ok(false);
                }
                let Some(key) = read_key(&path_of(&path)) else {
                    return Ok(false);
                };
                // Like SSL_CTX_use_PrivateKey: a key that does not match the certificate is refused.
                if let Some(chain) = &c.chain {
                    let matches = chain[0]
                        .public_key()
                        .map(|p| p.public_eq(&key))
                        .unwrap_or(false);
                    if !matches {
                        return Ok(false);
                    }
                }
                c.key = Some(key);
                c.built = None;
                Ok(true)
            },
        )?;
        let m_set_ciphers = eco_util::method_mut(
            lua,
            "ssl context",
            |_, this: &mut ContextUd, list: mlua::LuaString| {
                let c = &mut this.0;
                if c.freed {
                    return Ok(false);
                }
                let list = list.to_str()?.to_string();
                let ok = SslContextBuilder::new(c.method())
                    .and_then(|mut b| b.set_cipher_list(&list))
                    .is_ok();
                if ok {
                    c.ciphers = Some(list);
                    c.built = None;
                }
                Ok(ok)
            },
        )?;
        let m_require_validation = eco_util::method_mut(
            lua,
            "ssl context",
            |_, this: &mut ContextUd, on: Option<Value>| {
                let c = &mut this.0;
                c.verify_peer =
                    on.is_some_and(|v| !matches!(v, Value::Nil | Value::Boolean(false)));
                c.built = None;
                Ok(())
            },
        )?;
        eco_util::register::<ContextUd>(lua, move |r| {
            r.add_field("new", m_new);
            r.add_field("free", m_free);
            r.add_field("load_ca_cert_file", m_load_ca_cert_file);
            r.add_field("load_cert_file", m_load_cert_file);
            r.add_field("load_key_file", m_load_key_file);
            r.add_field("set_ciphers", m_set_ciphers);
            r.add_field("require_validation", m_require_validation);
            r.add_meta_method_mut(MetaMethod::Close, |_, this, _: MultiValue| {
                this.0.free();
                Ok(())
            });
        })
    }
}

// ---- module -----------------------------------------------------------------------------------

fn native(lua: &Lua) -> Result<Table> {
    register_session(lua)?;
    register_context(lua)?;
    let t = lua.create_table()?;
    t.set("OK", OK)?;
    t.set("ERROR", ERROR)?;
    t.set("WANT_READ", WANT_READ)?;
    t.set("WANT_WRITE", WANT_WRITE)?;
    t.set("INSECURE", INSECURE)?;
    // context([is_server]) -> context; raises when the library cannot make one.
    t.set(
        "context",
        eco_util::function(lua, |lua, is_server: Option<Value>| {
            let server =
                is_server.is_some_and(|v| !matches!(v, Value::Nil | Value::Boolean(false)));
            match Context::new(server) {
                Ok(c) => lua.create_any_userdata(ContextUd(c)),
                Err(_) => Err(mlua::Error::runtime("new ssl context fail")),
            }
        })?,
    )?;
    t.set("read", LightUserData(Hooked::<Session>::read_fn()))?;
    t.set("write", LightUserData(Hooked::<Session>::write_fn()))?;
    // is_context(v): true for a context userdata (checks `options.ctx`).
    t.set(
        "is_context",
        eco_util::function(lua, |_, v: Value| {
            Ok(matches!(&v, Value::UserData(u) if u.is::<ContextUd>()))
        })?,
    )?;
    Ok(t)
}

pub fn open(lua: &Lua) -> Result<Value> {
    // the core calls only the hooks registered with it (spec/eco.md 10.6)
    let sched = eco_abi::Sched::get(lua)?;
    sched.register_hook(Hooked::<Session>::read_fn(), eco_abi::HOOK_READ);
    sched.register_hook(Hooked::<Session>::write_fn(), eco_abi::HOOK_WRITE);
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text()).set_name("@eco/ssl.lua").call(n)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_ssl")]
fn eco_ssl(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::x509::X509NameBuilder;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    fn self_signed() -> (X509, PKey<Private>) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "localhost").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        (b.build(), key)
    }

    /// Runs both handshakes to completion by alternating steps (non-blocking socket pair).
    fn pair(insecure: bool) -> (Session, Session, UnixStream, UnixStream, Lua) {
        let lua = Lua::new();
        lua.set_app_data(SystemCas(Vec::new()));
        let (cert, key) = self_signed();
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        let mut cctx = Context::new(false).unwrap();
        let mut sctx = Context::new(true).unwrap();
        sctx.chain = Some(vec![cert]);
        sctx.key = Some(key);
        let c = cctx.session(&lua, a.as_raw_fd(), insecure).unwrap();
        let s = sctx.session(&lua, b.as_raw_fd(), false).unwrap();
        (c, s, a, b, lua)
    }

    fn drive(c: &mut Session, s: &mut Session) -> std::result::Result<(), String> {
        let (mut cd, mut sd) = (false, false);
        for _ in 0..50 {
            if !cd {
                match c.handshake() {
                    Step::Done => cd = true,
                    Step::Failed(e) => return Err(e),
                    _ => {}
                }
            }
            if !sd {
                match s.handshake() {
                    Step::Done => sd = true,
                    Step::Failed(e) => return Err(format!("server: {e}")),
                    _ => {}
                }
            }
            if cd && sd {
                return Ok(());
            }
        }
        Err("handshake did not finish".into())
    }

    #[test]
    fn handshake_verification_and_hooks() {
        let (mut c, mut s, _a, _b, _lua) = pair(false);
        let e = drive(&mut c, &mut s).unwrap_err();
        assert!(
            e.starts_with("SSL certificate verify fail: self-signed certificate")
                || e.starts_with("SSL certificate verify fail: self signed certificate"),
            "{e}"
        );

        let (mut c, mut s, _a, _b, _lua) = pair(true);
        drive(&mut c, &mut s).unwrap();
        let mut buf = [0u8; 16];
        // nothing to read yet: the hook asks to wait
        assert_eq!(c.hook_read(&mut buf), Err(HookError::WouldBlock));
        assert_eq!(c.hook_write(b"hello").unwrap(), 5);
        let mut got = Vec::new();
        while got.len() < 5 {
            match s.hook_read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(HookError::WouldBlock) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(got, b"hello");
        // close_notify reads as end of stream
        s.shutdown();
        loop {
            match c.hook_read(&mut buf) {
                Ok(0) => break,
                Err(HookError::WouldBlock) => {}
                r => panic!("{r:?}"),
            }
        }
        s.free();
        assert_eq!(
            s.hook_write(b"x"),
            Err(HookError::Failed("closed".to_string()))
        );
        assert!(matches!(s.handshake(), Step::Failed(e) if e == "closed"));
    }

    #[test]
    fn peer_hang_up_is_end_of_stream() {
        let (mut c, mut s, _a, b, _lua) = pair(true);
        drive(&mut c, &mut s).unwrap();
        drop(s);
        drop(b);
        let mut buf = [0u8; 16];
        assert_eq!(c.hook_read(&mut buf), Ok(0));
    }
}
