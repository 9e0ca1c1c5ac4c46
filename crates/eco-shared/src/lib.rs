//! `eco.shared` (spec/shared.md): a small key/value dictionary that several processes open by
//! name, kept in the file `/dev/shm/eco-shared-<name>.shm`.
//!
//! Every operation takes a `flock` on the file (shared for reads, exclusive for writes), reads the
//! header and the used part of the record area with `pread`, and changes it with a few `pwrite`s
//! (no `mmap`, no `unsafe`). The lock dies with its process, and the writes are ordered so that a
//! writer killed at any point (between or inside its `pwrite`s) leaves a readable dictionary:
//!
//! * The header holds `state` = active area (bit 63) + used bytes, one aligned 8-byte word that is
//!   the commit point of every change of the record list.
//! * `set` appends the new record past `used` (invisible until committed), commits `used`, then
//!   marks the old record of the key dead. A crash before that last step leaves two live records
//!   for the key: the last one wins everywhere (lookups, key order, compaction).
//! * When a record does not fit, the live records are compacted into the *other* area (the file
//!   holds two areas of `size` bytes), then `state` flips the active area in one write.
//! * `del` marks a key's records dead from the first to the last, so a crash never resurrects an
//!   older value; `incr`/`expire` rewrite an 8- or 16-byte field in place.
//!
//! Every length read from the file is checked against the area before it is used: a damaged or
//! truncated file raises `corrupted shared memory file (...)`, and nothing is read past its end.
#![forbid(unsafe_code)]

use eco_util::{fail, os_fail};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use mlua::{
    Lua, MetaMethod, MultiValue, Result, Table, UserDataFields, UserDataMethods, Value, Variadic,
};
use rustix::fs::{FlockOperation, Mode, OFlags};
use rustix::io::Errno;

/// `/dev/shm/eco-shared-<name>.shm`; the whole path must be shorter than 256 bytes.
const PATH_PREFIX: &str = "/dev/shm/eco-shared-";
const PATH_SUFFIX: &str = ".shm";
const PATH_MAX: usize = 256;

const MAGIC: [u8; 8] = *b"ECO-SHD2";
const VERSION: u32 = 1;
/// File header: magic, version u32, header length u32, capacity u64, state u64, reserved.
const HDR_LEN: u64 = 64;
const OFF_STATE: u64 = 24;
const ACTIVE_BIT: u64 = 1 << 63;

/// Record header: meta u32 (type:2, dead:1, hash:29), key_len u32, val_len u32, reserved u32,
/// expires_at_ms i64; then the value bytes, the key bytes, zero padding to a multiple of 8.
const REC_HDR: usize = 24;
const REC_OFF_EXPIRES: usize = 16;
const T_BOOL: u32 = 0;
const T_NUMBER: u32 = 1;
const T_STRING: u32 = 2;
const DEAD: u32 = 1 << 2;

const NO_MEMORY: &str = "no memory";
const BAD_VALUE: &str = "bad value type (only string/number/boolean)";

/// FNV-1a 32-bit of the key, masked to 29 bits, 0 replaced by 1.
fn key_hash(key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    let h = h & 0x1fff_ffff;
    if h == 0 {
        1
    } else {
        h
    }
}

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

/// Absolute expiry for `exptime` seconds from now: 0 (never) for `exptime <= 0`.
fn expires_at(exptime: f64) -> i64 {
    if exptime > 0.0 {
        let ms = (exptime * 1000.0).ceil().clamp(1.0, 1e15) as i64;
        eco_util::monotonic_ms() + ms
    } else {
        0
    }
}

/// Failure of an operation on an open dictionary (raised).
#[derive(Debug)]
enum Fail {
    Corrupt(&'static str),
    Os(Errno),
}

impl Fail {
    fn into_lua(self) -> mlua::Error {
        match self {
            Fail::Corrupt(what) => {
                mlua::Error::runtime(format!("corrupted shared memory file ({what})"))
            }
            Fail::Os(e) => mlua::Error::runtime(eco_abi::strerror(e.raw_os_error())),
        }
    }
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Os(e)
    }
}

type FResult<T> = std::result::Result<T, Fail>;

fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> rustix::io::Result<T> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// Reads exactly `buf.len()` bytes at `off`; a short file is a corrupt one.
fn pread_exact(fd: BorrowedFd, mut buf: &mut [u8], mut off: u64) -> FResult<()> {
    while !buf.is_empty() {
        let n = retry(|| rustix::io::pread(fd, &mut *buf, off))?;
        if n == 0 {
            return Err(Fail::Corrupt("file truncated"));
        }
        buf = &mut buf[n..];
        off += n as u64;
    }
    Ok(())
}

/// Crash simulation for the unit tests: while a budget is set, writes are done page by page (the
/// way the kernel copies them, and where a SIGKILL can stop a write) and the process "dies" (the
/// operation fails) when the budget of pages is spent.
#[cfg(test)]
mod crash {
    use std::cell::Cell;
    thread_local! {
        pub static BUDGET: Cell<Option<usize>> = const { Cell::new(None) };
    }
    pub fn active() -> bool {
        BUDGET.with(|b| b.get().is_some())
    }
    /// Takes one page from the budget; false when it is spent.
    pub fn take() -> bool {
        BUDGET.with(|b| match b.get() {
            Some(0) => false,
            Some(n) => {
                b.set(Some(n - 1));
                true
            }
            None => true,
        })
    }
}

#[cfg(not(test))]
mod crash {
    pub fn active() -> bool {
        false
    }
    pub fn take() -> bool {
        true
    }
}

fn pwrite_all(fd: BorrowedFd, buf: &[u8], off: u64) -> FResult<()> {
    if !crash::active() {
        return pwrite_raw(fd, buf, off);
    }
    let (mut buf, mut off) = (buf, off);
    while !buf.is_empty() {
        let n = ((4096 - off % 4096) as usize).min(buf.len());
        if !crash::take() {
            return Err(Fail::Os(Errno::CANCELED));
        }
        pwrite_raw(fd, &buf[..n], off)?;
        buf = &buf[n..];
        off += n as u64;
    }
    Ok(())
}

fn pwrite_raw(fd: BorrowedFd, mut buf: &[u8], mut off: u64) -> FResult<()> {
    while !buf.is_empty() {
        let n = retry(|| rustix::io::pwrite(fd, buf, off))?;
        if n == 0 {
            return Err(Fail::Os(Errno::IO));
        }
        buf = &buf[n..];
        off += n as u64;
    }
    Ok(())
}

/// A held `flock`, released on drop (and by the kernel if the process dies).
struct Locked<'a>(BorrowedFd<'a>);

impl<'a> Locked<'a> {
    fn take(fd: BorrowedFd<'a>, exclusive: bool) -> FResult<Locked<'a>> {
        let op = if exclusive {
            FlockOperation::LockExclusive
        } else {
            FlockOperation::LockShared
        };
        retry(|| rustix::fs::flock(fd, op))?;
        Ok(Locked(fd))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let _ = retry(|| rustix::fs::flock(self.0, FlockOperation::Unlock));
    }
}

/// The decoded file header.
#[derive(Clone, Copy, Debug)]
struct Header {
    capacity: u64,
    active: u64,
    used: u64,
}

impl Header {
    fn area_off(&self, area: u64) -> u64 {
        HDR_LEN + area * self.capacity
    }
}

fn encode_header(capacity: u64) -> [u8; HDR_LEN as usize] {
    let mut h = [0u8; HDR_LEN as usize];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(HDR_LEN as u32).to_le_bytes());
    h[16..24].copy_from_slice(&capacity.to_le_bytes());
    h
}

/// Why a header is refused, mapped to the spec's `get` messages.
#[derive(Debug, PartialEq)]
enum BadHeader {
    /// "invalid shared memory header": not a dictionary file.
    Header,
    /// "invalid shared memory file": too small for what the header says.
    File,
}

fn decode_header(
    h: &[u8; HDR_LEN as usize],
    file_size: u64,
) -> std::result::Result<Header, BadHeader> {
    let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap());
    if h[0..8] != MAGIC || u32_at(8) != VERSION || u32_at(12) != HDR_LEN as u32 {
        return Err(BadHeader::Header);
    }
    let capacity = u64_at(16);
    let state = u64_at(OFF_STATE as usize);
    let used = state & !ACTIVE_BIT;
    if capacity == 0 || used > capacity {
        return Err(BadHeader::Header);
    }
    let need = capacity
        .checked_mul(2)
        .and_then(|c| c.checked_add(HDR_LEN))
        .ok_or(BadHeader::Header)?;
    if file_size < need {
        return Err(BadHeader::File);
    }
    Ok(Header {
        capacity,
        active: state >> 63,
        used,
    })
}

/// One record of the active area, as found by [`parse`].
#[derive(Clone, Copy, Debug)]
struct Rec {
    off: usize,
    len: usize,
    meta: u32,
    klen: usize,
    vlen: usize,
    expires: i64,
}

impl Rec {
    fn kind(&self) -> u32 {
        self.meta & 3
    }
    fn dead(&self) -> bool {
        self.meta & DEAD != 0
    }
    fn hash(&self) -> u32 {
        self.meta >> 3
    }
    fn expired(&self, now: i64) -> bool {
        self.expires != 0 && now >= self.expires
    }
    fn value<'b>(&self, area: &'b [u8]) -> &'b [u8] {
        let s = self.off + REC_HDR;
        &area[s..s + self.vlen]
    }
    fn key<'b>(&self, area: &'b [u8]) -> &'b [u8] {
        let s = self.off + REC_HDR + self.vlen;
        &area[s..s + self.klen]
    }
}

/// Walks the used part of the area; every length is checked against it.
fn parse(area: &[u8]) -> FResult<Vec<Rec>> {
    let mut recs = Vec::new();
    let mut off = 0usize;
    while off < area.len() {
        let h = area
            .get(off..off + REC_HDR)
            .ok_or(Fail::Corrupt("record header past the end"))?;
        let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
        let meta = u32_at(0);
        let klen = u32_at(4) as usize;
        let vlen = u32_at(8) as usize;
        if u32_at(12) != 0 || meta & 3 > T_STRING || meta >> 3 == 0 {
            return Err(Fail::Corrupt("bad record header"));
        }
        let expires = i64::from_le_bytes(h[16..24].try_into().unwrap());
        let len = REC_HDR
            .checked_add(klen)
            .and_then(|n| n.checked_add(vlen))
            .and_then(|n| n.checked_add(7))
            .map(|n| n & !7)
            .ok_or(Fail::Corrupt("record length overflow"))?;
        if len > area.len() - off {
            return Err(Fail::Corrupt("record past the end"));
        }
        recs.push(Rec {
            off,
            len,
            meta,
            klen,
            vlen,
            expires,
        });
        off += len;
    }
    Ok(recs)
}

/// A value to store.
enum Val<'a> {
    Bool(bool),
    Number(f64),
    Str(&'a [u8]),
}

fn build_record(key: &[u8], val: &Val, expires: i64) -> Option<Vec<u8>> {
    let (kind, vbytes): (u32, std::borrow::Cow<[u8]>) = match val {
        Val::Bool(b) => (T_BOOL, vec![*b as u8].into()),
        Val::Number(n) => (T_NUMBER, n.to_le_bytes().to_vec().into()),
        Val::Str(s) => (T_STRING, (*s).into()),
    };
    let klen = u32::try_from(key.len()).ok()?;
    let vlen = u32::try_from(vbytes.len()).ok()?;
    let len = align8(REC_HDR.checked_add(key.len())?.checked_add(vbytes.len())?);
    let mut r = Vec::with_capacity(len);
    r.extend_from_slice(&(kind | key_hash(key) << 3).to_le_bytes());
    r.extend_from_slice(&klen.to_le_bytes());
    r.extend_from_slice(&vlen.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&expires.to_le_bytes());
    r.extend_from_slice(&vbytes);
    r.extend_from_slice(key);
    r.resize(len, 0);
    Some(r)
}

/// An open dictionary handle.
struct Dict {
    fd: Option<OwnedFd>,
    /// The process that opened `fd`. A child created by `fork` shares the parent's open file
    /// description, and with it the parent's `flock`: its first operation reopens the file (see
    /// [`Dict::after_fork`]); it never removes the file.
    pid: rustix::process::Pid,
    /// Set for the owner handle (from `new`) until it is closed: the file to remove.
    owner_path: Option<PathBuf>,
    capacity: u64,
    /// Reused copy of the used part of the active area.
    buf: Vec<u8>,
}

/// What an operation works on: the header and the parsed active area (in `Dict::buf`).
struct View {
    hdr: Header,
    recs: Vec<Rec>,
}

impl View {
    /// Index (in `recs`) of the last live record of `key`, expired or not.
    fn find(&self, area: &[u8], key: &[u8]) -> Option<usize> {
        let h = key_hash(key);
        self.recs
            .iter()
            .rposition(|r| !r.dead() && r.hash() == h && r.klen == key.len() && r.key(area) == key)
    }

    /// Offsets of every live record of `key`, first to last.
    fn all_of(&self, area: &[u8], key: &[u8]) -> Vec<usize> {
        let h = key_hash(key);
        self.recs
            .iter()
            .filter(|r| !r.dead() && r.hash() == h && r.klen == key.len() && r.key(area) == key)
            .map(|r| r.off)
            .collect()
    }
}

impl Dict {
    /// Reads the header and the active area into `self.buf`; the caller holds the lock.
    fn load(fd: BorrowedFd, capacity: u64, buf: &mut Vec<u8>) -> FResult<View> {
        let mut raw = [0u8; HDR_LEN as usize];
        pread_exact(fd, &mut raw, 0)?;
        let size = rustix::fs::fstat(fd)?.st_size as u64;
        let hdr = decode_header(&raw, size).map_err(|e| match e {
            BadHeader::Header => Fail::Corrupt("bad header"),
            BadHeader::File => Fail::Corrupt("file truncated"),
        })?;
        if hdr.capacity != capacity {
            return Err(Fail::Corrupt("capacity changed"));
        }
        buf.clear();
        buf.resize(hdr.used as usize, 0);
        pread_exact(fd, buf, hdr.area_off(hdr.active))?;
        let recs = parse(buf)?;
        Ok(View { hdr, recs })
    }

    /// Runs `f` under the lock with the loaded view.
    fn with<T>(
        &mut self,
        exclusive: bool,
        f: impl FnOnce(BorrowedFd, &View, &[u8]) -> FResult<T>,
    ) -> Result<T> {
        self.after_fork().map_err(Fail::into_lua)?;
        let Dict {
            fd, capacity, buf, ..
        } = self;
        let fd = fd
            .as_ref()
            .map(|f| f.as_fd())
            .ok_or_else(|| mlua::Error::runtime("shared dictionary is closed"))?;
        let lock = Locked::take(fd, exclusive).map_err(Fail::into_lua)?;
        let r = Dict::load(fd, *capacity, buf).and_then(|view| f(fd, &view, buf));
        drop(lock);
        r.map_err(Fail::into_lua)
    }

    /// In a forked child: a new open file description for the same file (through
    /// `/proc/self/fd`, which works even once the owner removed the name), so that `flock`
    /// excludes the parent again. The child's handle is never the owner.
    fn after_fork(&mut self) -> FResult<()> {
        let me = rustix::process::getpid();
        if me == self.pid {
            return Ok(());
        }
        if let Some(old) = &self.fd {
            let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(old));
            let fd =
                rustix::fs::open(path.as_str(), OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
            self.fd = Some(fd);
        }
        self.owner_path = None;
        self.pid = me;
        Ok(())
    }

    fn close(&mut self) {
        if let Some(path) = self.owner_path.take() {
            // Only in the process that created it (not in a forked child).
            if rustix::process::getpid() == self.pid {
                let _ = rustix::fs::unlink(&path);
            }
        }
        self.fd = None;
        self.buf = Vec::new();
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_state(fd: BorrowedFd, active: u64, used: u64) -> FResult<()> {
    let state = (active << 63) | used;
    pwrite_all(fd, &state.to_le_bytes(), OFF_STATE)
}

/// `set` under the exclusive lock: `Ok(true)` stored, `Ok(false)` no memory.
fn do_set(fd: BorrowedFd, v: &View, area: &[u8], key: &[u8], rec: &[u8]) -> FResult<bool> {
    let hdr = v.hdr;
    let olds = v.all_of(area, key);
    if hdr.used + rec.len() as u64 <= hdr.capacity {
        let base = hdr.area_off(hdr.active);
        pwrite_all(fd, rec, base + hdr.used)?;
        write_state(fd, hdr.active, hdr.used + rec.len() as u64)?;
        mark_dead(fd, v, area, base, &olds)?;
        return Ok(true);
    }
    // Compact the live, unexpired records (last one of each key, except `key`) into the other area.
    let now = eco_util::monotonic_ms();
    let mut last: HashMap<&[u8], usize> = HashMap::new();
    for (i, r) in v.recs.iter().enumerate() {
        if !r.dead() {
            last.insert(r.key(area), i);
        }
    }
    let mut data = Vec::new();
    for (i, r) in v.recs.iter().enumerate() {
        let k = r.key(area);
        if r.dead() || r.expired(now) || k == key || last.get(k) != Some(&i) {
            continue;
        }
        data.extend_from_slice(&area[r.off..r.off + r.len]);
    }
    if data.len() as u64 + rec.len() as u64 > hdr.capacity {
        return Ok(false);
    }
    data.extend_from_slice(rec);
    let other = 1 - hdr.active;
    pwrite_all(fd, &data, hdr.area_off(other))?;
    write_state(fd, other, data.len() as u64)?;
    Ok(true)
}

/// Sets the dead bit of the records at `offs`, in order.
fn mark_dead(fd: BorrowedFd, v: &View, area: &[u8], base: u64, offs: &[usize]) -> FResult<()> {
    let _ = v;
    for &off in offs {
        let meta = u32::from_le_bytes(area[off..off + 4].try_into().unwrap()) | DEAD;
        pwrite_all(fd, &meta.to_le_bytes(), base + off as u64)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Argument checks (luaL-style messages; methods number their arguments after `self`)
// ---------------------------------------------------------------------------------------------

/// `bad argument #n to 'f' (msg)`, `f` being the name the caller used (`luaL_argerror`); `n`
/// counts `self` for methods. `_f` documents the function at the call site.
fn arg_error(n: usize, _f: &str, msg: &str) -> mlua::Error {
    eco_util::arg_error(n, msg)
}

/// A string, or a number in its Lua string form.
fn check_str(lua: &Lua, v: &Value, n: usize, f: &str) -> Result<mlua::LuaString> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())?
            .ok_or_else(|| arg_error(n, f, "string expected, got number")),
        other => Err(arg_error(
            n,
            f,
            &format!("string expected, got {}", eco_util::lua_type_name(other)),
        )),
    }
}

fn check_number(v: &Value, n: usize, f: &str) -> Result<f64> {
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Number(x) => Ok(*x),
        Value::String(s) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| arg_error(n, f, "number expected, got string")),
        other => Err(arg_error(
            n,
            f,
            &format!("number expected, got {}", eco_util::lua_type_name(other)),
        )),
    }
}

/// An optional finite `exptime`: `None` when absent (nil).
fn check_exptime(v: &Value, n: usize, f: &str) -> Result<Option<f64>> {
    if v.is_nil() {
        return Ok(None);
    }
    let x = check_number(v, n, f)?;
    if !x.is_finite() {
        return Err(arg_error(n, f, "exptime must be finite"));
    }
    Ok(Some(x))
}

fn arg(args: &Variadic<Value>, i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

fn values(v: Vec<Value>) -> MultiValue {
    MultiValue::from_vec(v)
}

/// Installs the methods of [`Dict`] (once per Lua state). Argument positions count `self`.
fn register_dict(lua: &Lua) -> Result<()> {
    {
        let m_set = eco_util::method_mut(
            lua,
            "shared dict",
            |lua, this: &mut Dict, args: Variadic<Value>| {
                let key = check_str(lua, &arg(&args, 0), 2, "set")?;
                let key = key.as_bytes();
                if key.is_empty() {
                    return Err(arg_error(3, "set", "invalid key"));
                }
                let exptime = check_exptime(&arg(&args, 2), 4, "set")?;
                let value = arg(&args, 1);
                let sval;
                let val = match &value {
                    Value::Boolean(b) => Val::Bool(*b),
                    Value::Integer(i) => Val::Number(*i as f64),
                    Value::Number(x) => Val::Number(*x),
                    Value::String(s) => {
                        sval = s.as_bytes();
                        Val::Str(&sval)
                    }
                    _ => return fail(lua, BAD_VALUE),
                };
                let Some(rec) = build_record(&key, &val, expires_at(exptime.unwrap_or(0.0))) else {
                    return fail(lua, NO_MEMORY);
                };
                let stored = this.with(true, |fd, v, area| do_set(fd, v, area, &key, &rec))?;
                if stored {
                    Ok(values(vec![Value::Boolean(true)]))
                } else {
                    fail(lua, NO_MEMORY)
                }
            },
        )?;

        let m_get =
            eco_util::method_mut(lua, "shared dict", |lua, this: &mut Dict, key: Value| {
                let key = check_str(lua, &key, 2, "get")?;
                let key = key.as_bytes();
                let now = eco_util::monotonic_ms();
                let got = this.with(false, |_, v, area| {
                    let Some(i) = v.find(area, &key) else {
                        return Ok(None);
                    };
                    let r = v.recs[i];
                    if r.expired(now) {
                        return Ok(None);
                    }
                    let val = r.value(area);
                    Ok(Some(match r.kind() {
                        T_BOOL if val.len() == 1 => Stored::Bool(val[0] != 0),
                        T_NUMBER if val.len() == 8 => {
                            Stored::Number(f64::from_le_bytes(val.try_into().unwrap()))
                        }
                        T_STRING => Stored::Str(val.to_vec()),
                        _ => return Err(Fail::Corrupt("bad value length")),
                    }))
                })?;
                // A missing key returns no value (spec 3: "nil (no value returned)").
                Ok(values(match got {
                    None => vec![],
                    Some(Stored::Bool(b)) => vec![Value::Boolean(b)],
                    Some(Stored::Number(x)) => vec![Value::Number(x)],
                    Some(Stored::Str(s)) => vec![Value::String(lua.create_string(s)?)],
                }))
            })?;

        let m_del =
            eco_util::method_mut(lua, "shared dict", |lua, this: &mut Dict, key: Value| {
                let key = check_str(lua, &key, 2, "del")?;
                let key = key.as_bytes();
                let now = eco_util::monotonic_ms();
                this.with(true, |fd, v, area| {
                    let Some(i) = v.find(area, &key) else {
                        return Ok(false);
                    };
                    let live = !v.recs[i].expired(now);
                    let offs = v.all_of(area, &key);
                    mark_dead(fd, v, area, v.hdr.area_off(v.hdr.active), &offs)?;
                    Ok(live)
                })
            })?;

        let m_incr = eco_util::method_mut(
            lua,
            "shared dict",
            |lua, this: &mut Dict, args: Variadic<Value>| {
                let key = check_str(lua, &arg(&args, 0), 2, "incr")?;
                let key = key.as_bytes();
                let delta = check_number(&arg(&args, 1), 3, "incr")?;
                if !delta.is_finite() {
                    return Err(arg_error(4, "incr", "delta must be finite"));
                }
                let exptime = check_exptime(&arg(&args, 2), 4, "incr")?;
                let now = eco_util::monotonic_ms();
                let r = this.with(true, |fd, v, area| {
                    let Some(i) = v.find(area, &key) else {
                        return Ok(Incr::Missing);
                    };
                    let r = v.recs[i];
                    if r.expired(now) {
                        return Ok(Incr::Missing);
                    }
                    if r.kind() != T_NUMBER {
                        return Ok(Incr::NotNumber);
                    }
                    let Ok(old) = <[u8; 8]>::try_from(r.value(area)) else {
                        return Ok(Incr::Corrupted);
                    };
                    let new = f64::from_le_bytes(old) + delta;
                    let base = v.hdr.area_off(v.hdr.active) + r.off as u64;
                    match exptime {
                        // expires_at and the number are adjacent: one write.
                        Some(e) => {
                            let mut b = [0u8; 16];
                            b[..8].copy_from_slice(&expires_at(e).to_le_bytes());
                            b[8..].copy_from_slice(&new.to_le_bytes());
                            pwrite_all(fd, &b, base + REC_OFF_EXPIRES as u64)?;
                        }
                        None => pwrite_all(fd, &new.to_le_bytes(), base + REC_HDR as u64)?,
                    }
                    Ok(Incr::Value(new))
                })?;
                match r {
                    Incr::Missing => Ok(values(vec![Value::Nil])),
                    Incr::NotNumber => fail(lua, "not a number"),
                    Incr::Corrupted => fail(lua, "corrupted number value"),
                    Incr::Value(x) => Ok(values(vec![Value::Number(x)])),
                }
            },
        )?;

        let m_ttl =
            eco_util::method_mut(lua, "shared dict", |lua, this: &mut Dict, key: Value| {
                let key = check_str(lua, &key, 2, "ttl")?;
                let key = key.as_bytes();
                let now = eco_util::monotonic_ms();
                this.with(false, |_, v, area| {
                    let Some(i) = v.find(area, &key) else {
                        return Ok(None);
                    };
                    let r = v.recs[i];
                    Ok(match r.expires {
                        0 => Some(0.0),
                        e if now >= e => None,
                        e => Some((e - now) as f64 / 1000.0),
                    })
                })
            })?;

        let m_expire = eco_util::method_mut(
            lua,
            "shared dict",
            |lua, this: &mut Dict, args: Variadic<Value>| {
                let key = check_str(lua, &arg(&args, 0), 2, "expire")?;
                let key = key.as_bytes();
                let exptime = match check_exptime(&arg(&args, 1), 3, "expire")? {
                    Some(x) => x,
                    None => return Err(arg_error(4, "expire", "number expected, got nil")),
                };
                let now = eco_util::monotonic_ms();
                let done = this.with(true, |fd, v, area| {
                    let Some(i) = v.find(area, &key) else {
                        return Ok(false);
                    };
                    let r = v.recs[i];
                    if r.expired(now) {
                        return Ok(false);
                    }
                    let off = v.hdr.area_off(v.hdr.active) + (r.off + REC_OFF_EXPIRES) as u64;
                    pwrite_all(fd, &expires_at(exptime).to_le_bytes(), off)?;
                    Ok(true)
                })?;
                Ok(if done { Some(true) } else { None })
            },
        )?;

        let m_get_keys = eco_util::method_mut(lua, "shared dict", |lua, this: &mut Dict, ()| {
            let now = eco_util::monotonic_ms();
            let keys = this.with(false, |_, v, area| {
                let mut last: HashMap<&[u8], usize> = HashMap::new();
                for (i, r) in v.recs.iter().enumerate() {
                    if !r.dead() {
                        last.insert(r.key(area), i);
                    }
                }
                Ok(v.recs
                    .iter()
                    .enumerate()
                    .filter(|(i, r)| {
                        !r.dead() && !r.expired(now) && last.get(r.key(area)) == Some(i)
                    })
                    .map(|(_, r)| r.key(area).to_vec())
                    .collect::<Vec<_>>())
            })?;
            let t = lua.create_table_with_capacity(keys.len(), 0)?;
            for (i, k) in keys.into_iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(k)?)?;
            }
            Ok(t)
        })?;

        let m_flush_all = eco_util::method_mut(lua, "shared dict", |_, this: &mut Dict, ()| {
            this.with(true, |fd, v, _| write_state(fd, v.hdr.active, 0))
        })?;

        let m_close = eco_util::method_mut(lua, "shared dict", |_, this: &mut Dict, ()| {
            this.close();
            Ok(())
        })?;
        eco_util::register::<Dict>(lua, move |r| {
            r.add_field("set", m_set);
            r.add_field("get", m_get);
            r.add_field("del", m_del);
            r.add_field("incr", m_incr);
            r.add_field("ttl", m_ttl);
            r.add_field("expire", m_expire);
            r.add_field("get_keys", m_get_keys);
            r.add_field("flush_all", m_flush_all);
            r.add_field("close", m_close);
            r.add_meta_method_mut(MetaMethod::Close, |_, this, _: Variadic<Value>| {
                this.close();
                Ok(())
            });
        })
    }
}

enum Stored {
    Bool(bool),
    Number(f64),
    Str(Vec<u8>),
}

enum Incr {
    Missing,
    NotNumber,
    Corrupted,
    Value(f64),
}

/// The path of dictionary `name`, or the spec's failure message. Any bytes but `/` are allowed.
fn shm_path(name: &[u8]) -> std::result::Result<PathBuf, &'static str> {
    if name.contains(&b'/') {
        return Err("invalid name");
    }
    if PATH_PREFIX.len() + name.len() + PATH_SUFFIX.len() >= PATH_MAX {
        return Err("name too long");
    }
    let mut p = Vec::with_capacity(PATH_MAX);
    p.extend_from_slice(PATH_PREFIX.as_bytes());
    p.extend_from_slice(name);
    p.extend_from_slice(PATH_SUFFIX.as_bytes());
    Ok(PathBuf::from(OsString::from_vec(p)))
}

fn create(path: &Path, capacity: u64) -> std::result::Result<OwnedFd, Errno> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )?;
    let init = || -> std::result::Result<(), Fail> {
        let _lock = Locked::take(fd.as_fd(), true)?;
        retry(|| rustix::fs::ftruncate(&fd, HDR_LEN + 2 * capacity))?;
        pwrite_all(fd.as_fd(), &encode_header(capacity), 0)
    };
    match init() {
        Ok(()) => Ok(fd),
        Err(e) => {
            let _ = rustix::fs::unlink(path);
            Err(match e {
                Fail::Os(e) => e,
                Fail::Corrupt(_) => Errno::IO,
            })
        }
    }
}

/// Opens an existing dictionary file and validates its header (under a shared lock).
fn open_existing(
    path: &Path,
) -> std::result::Result<(OwnedFd, u64), std::result::Result<Errno, &'static str>> {
    let fd = rustix::fs::open(path, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()).map_err(Ok)?;
    let _lock = Locked::take(fd.as_fd(), false).map_err(|e| match e {
        Fail::Os(e) => Ok(e),
        Fail::Corrupt(m) => Err(m),
    })?;
    let size = rustix::fs::fstat(&fd).map_err(Ok)?.st_size as u64;
    if size < HDR_LEN {
        return Err(Err("invalid shared memory file"));
    }
    let mut raw = [0u8; HDR_LEN as usize];
    match pread_exact(fd.as_fd(), &mut raw, 0) {
        Ok(()) => {}
        Err(Fail::Os(e)) => return Err(Ok(e)),
        Err(Fail::Corrupt(_)) => return Err(Err("invalid shared memory file")),
    }
    let hdr = decode_header(&raw, size).map_err(|e| {
        Err(match e {
            BadHeader::Header => "invalid shared memory header",
            BadHeader::File => "invalid shared memory file",
        })
    })?;
    drop(_lock);
    Ok((fd, hdr.capacity))
}

fn native(lua: &Lua) -> Result<Table> {
    register_dict(lua)?;
    let t = lua.create_table()?;
    t.set(
        "new",
        eco_util::function(lua, |lua, (name, size): (Value, Value)| {
            let name = check_str(lua, &name, 1, "new")?;
            let size = match size {
                Value::Integer(i) => i,
                Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => x as i64,
                Value::Number(_) => {
                    return Err(arg_error(2, "new", "number has no integer representation"))
                }
                other => {
                    return Err(arg_error(
                        2,
                        "new",
                        &format!("number expected, got {}", eco_util::lua_type_name(&other)),
                    ))
                }
            };
            if size <= 0 {
                return Err(arg_error(2, "new", "size must be great than 0"));
            }
            let path = match shm_path(&name.as_bytes()) {
                Ok(p) => p,
                Err(m) => return fail(lua, m),
            };
            let capacity = size as u64;
            if capacity > (i64::MAX as u64 - HDR_LEN) / 2 {
                return os_fail(lua, Errno::FBIG.raw_os_error());
            }
            match create(&path, capacity) {
                Ok(fd) => Ok(values(vec![Value::UserData(lua.create_any_userdata(
                    Dict {
                        fd: Some(fd),
                        pid: rustix::process::getpid(),
                        owner_path: Some(path),
                        capacity,
                        buf: Vec::new(),
                    },
                )?)])),
                Err(e) => os_fail(lua, e.raw_os_error()),
            }
        })?,
    )?;
    t.set(
        "get",
        eco_util::function(lua, |lua, name: Value| {
            let name = check_str(lua, &name, 1, "get")?;
            let path = match shm_path(&name.as_bytes()) {
                Ok(p) => p,
                Err(m) => return fail(lua, m),
            };
            match open_existing(&path) {
                Ok((fd, capacity)) => Ok(values(vec![Value::UserData(lua.create_any_userdata(
                    Dict {
                        fd: Some(fd),
                        pid: rustix::process::getpid(),
                        owner_path: None,
                        capacity,
                        buf: Vec::new(),
                    },
                )?)])),
                Err(Ok(e)) => os_fail(lua, e.raw_os_error()),
                Err(Err(m)) => fail(lua, m),
            }
        })?,
    )?;
    Ok(t)
}

/// Opens the module: `new(name, size)` and `get(name)`.
pub fn open(lua: &Lua) -> Result<Value> {
    native(lua).map(Value::Table)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_shared")]
fn eco_shared(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let r = build_record(b"key", &Val::Str(b"value"), 0).unwrap();
        assert_eq!(r.len(), align8(REC_HDR + 3 + 5));
        let recs = parse(&r).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].key(&r), b"key");
        assert_eq!(recs[0].value(&r), b"value");
        assert_eq!(recs[0].kind(), T_STRING);
    }

    #[test]
    fn parse_refuses_damage() {
        let mut r = build_record(b"key", &Val::Number(1.0), 0).unwrap();
        assert!(parse(&r[..r.len() - 1]).is_err());
        assert!(parse(&r[..10]).is_err());
        r[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&r).is_err());
        let mut r = build_record(b"key", &Val::Number(1.0), 0).unwrap();
        r[0] |= 3;
        assert!(parse(&r).is_err());
    }

    #[test]
    fn header_checks() {
        let h = encode_header(100);
        assert!(decode_header(&h, HDR_LEN + 200).is_ok());
        assert_eq!(
            decode_header(&h, HDR_LEN + 199).unwrap_err(),
            BadHeader::File
        );
        let mut bad = h;
        bad[0] = b'X';
        assert_eq!(decode_header(&bad, 1000).unwrap_err(), BadHeader::Header);
        let mut big = h;
        big[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode_header(&big, 1000).unwrap_err(), BadHeader::Header);
        let mut used = h;
        used[24..32].copy_from_slice(&101u64.to_le_bytes());
        assert_eq!(decode_header(&used, 1000).unwrap_err(), BadHeader::Header);
    }

    /// Simulates a writer killed at every page boundary of every write of an operation, and
    /// checks each time that a fresh handle reads a consistent dictionary (each key holds its
    /// value from before or from after the operation, keys listed once) that still takes writes.
    #[test]
    fn crash_points() {
        let lua = Lua::new();
        lua.globals().set("shared", open(&lua).unwrap()).unwrap();
        lua.globals()
            .set(
                "set_budget",
                eco_util::function(&lua, |_, n: Option<usize>| {
                    crash::BUDGET.with(|b| b.set(n));
                    Ok(())
                })
                .unwrap(),
            )
            .unwrap();
        lua.globals()
            .set(
                "budget_left",
                eco_util::function(&lua, |_, ()| Ok(crash::BUDGET.with(|b| b.get()))).unwrap(),
            )
            .unwrap();
        lua.globals()
            .set("prefix", format!("unit-crash-{}-", std::process::id()))
            .unwrap();
        lua.load(include_str!("../tests/crash_points.lua"))
            .set_name("@crash_points.lua")
            .exec()
            .unwrap();
    }

    #[test]
    fn names() {
        assert_eq!(shm_path(b"a/b"), Err("invalid name"));
        assert_eq!(shm_path(&[b'x'; 231]).unwrap().as_os_str().len(), 255);
        assert_eq!(shm_path(&[b'x'; 232]), Err("name too long"));
    }
}
