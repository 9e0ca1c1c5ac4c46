//! `eco.nl`, `eco.genl`, `eco.rtnl` (docs/netlink.md): netlink message building and bounded
//! parsing in Rust (`src/wire.rs`, host byte order), the Lua glue here, and the socket flow
//! (`nl.open`, request/ACK, dumps, event loops), family resolution and the `eco.ip` helpers in
//! `lua/*.lua` over `eco.socket`'s netlink sockets.
//!
//! Hand-written rather than on the `neli` crate: the format is four fixed headers and one TLV
//! walk (a few hundred lines), while `neli` brings derive macros, its own error and buffer types
//! and `log`, for a `.so` that routers keep in a few MB of flash.
//!
//! One `eco/nl.so` holds the three native modules (entry points `luaopen_eco_nl`,
//! `luaopen_eco_genl`, `luaopen_eco_rtnl`; `eco/genl.lua` and `eco/rtnl.lua` are aliases loading
//! them, like eco.hash). Objects of this crate (`nlmsg`, `nlmsg_ker`) only travel between these
//! modules of the same `.so`.
#![forbid(unsafe_code)]

pub mod wire;

use eco_util::{arg_error, error, fail, one, Args};
use mlua::{Lua, LuaString, MultiValue, Result, Table, UserDataFields, Value};
use wire::Builder;

pub const NL_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("nl.lua");
pub const GENL_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("genl.lua");
pub const RTNL_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("rtnl.lua");
pub const INTERNAL_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("internal.lua");
pub const IP_SRC: eco_luasrc::Source = eco_luasrc::lua_source!("ip.lua");

/// The builder object (`nl.nlmsg`).
pub struct NlMsg(Builder);

/// The received-datagram parser (`nl.nlmsg_ker`): the datagram and a cursor.
pub struct NlMsgKer {
    data: Vec<u8>,
    /// Offset of the current message (valid: it passed `NLMSG_OK` when `next` stopped on it).
    cur: Option<usize>,
    /// Offset `next` looks at.
    next: usize,
    /// `next` returned nil once: it keeps doing so.
    done: bool,
}

impl NlMsgKer {
    pub fn new(data: Vec<u8>) -> NlMsgKer {
        NlMsgKer {
            data,
            cur: None,
            next: 0,
            done: false,
        }
    }

    /// Moves to the next message; its header, or `None` (for good) at the end.
    pub fn advance(&mut self) -> Option<wire::Header> {
        if self.done {
            return None;
        }
        match wire::msg_at(&self.data, self.next) {
            Some(h) => {
                self.cur = Some(self.next);
                self.next = wire::next_offset(self.next, h.len);
                Some(h)
            }
            None => {
                self.cur = None;
                self.done = true;
                None
            }
        }
    }

    /// The current message's header and payload.
    pub fn current(&self) -> Option<(wire::Header, &[u8])> {
        let at = self.cur?;
        let h = wire::msg_at(&self.data, at)?;
        let body = self.data.get(at + wire::NLMSG_HDRLEN..at + h.len as usize)?;
        Some((h, body))
    }
}

const INVALID_NLMSG: &str = "invalid nlmsg";

const NL_CONSTANTS: &[(&str, i64)] = &[
    ("NLMSG_NOOP", 1),
    ("NLMSG_ERROR", 2),
    ("NLMSG_DONE", 3),
    ("NLMSG_OVERRUN", 4),
    ("NLMSG_MIN_TYPE", 16),
    ("NLM_F_REQUEST", 1),
    ("NLM_F_MULTI", 2),
    ("NLM_F_ACK", 4),
    ("NLM_F_ECHO", 8),
    ("NLM_F_DUMP_INTR", 16),
    ("NLM_F_DUMP_FILTERED", 32),
    ("NLM_F_ROOT", 0x100),
    ("NLM_F_MATCH", 0x200),
    ("NLM_F_ATOMIC", 0x400),
    ("NLM_F_DUMP", 0x300),
    ("NLM_F_REPLACE", 0x100),
    ("NLM_F_EXCL", 0x200),
    ("NLM_F_CREATE", 0x400),
    ("NLM_F_APPEND", 0x800),
    ("NLM_F_NONREC", 0x100),
    ("NLM_F_CAPPED", 0x100),
    ("NLM_F_ACK_TLVS", 0x200),
    ("NLMSGERR_ATTR_MSG", 1),
    ("NLMSGERR_ATTR_OFFS", 2),
    ("NLMSGERR_ATTR_COOKIE", 3),
    ("NLMSGERR_SIZE", 20),
    ("NLA_F_NESTED", 0x8000),
    ("NLA_F_NET_BYTEORDER", 0x4000),
    ("NETLINK_ROUTE", 0),
    ("NETLINK_UNUSED", 1),
    ("NETLINK_USERSOCK", 2),
    ("NETLINK_FIREWALL", 3),
    ("NETLINK_SOCK_DIAG", 4),
    ("NETLINK_NFLOG", 5),
    ("NETLINK_XFRM", 6),
    ("NETLINK_SELINUX", 7),
    ("NETLINK_ISCSI", 8),
    ("NETLINK_AUDIT", 9),
    ("NETLINK_FIB_LOOKUP", 10),
    ("NETLINK_CONNECTOR", 11),
    ("NETLINK_NETFILTER", 12),
    ("NETLINK_IP6_FW", 13),
    ("NETLINK_DNRTMSG", 14),
    ("NETLINK_KOBJECT_UEVENT", 15),
    ("NETLINK_GENERIC", 16),
];

fn set_constants(t: &Table, list: &[(&str, i64)]) -> Result<()> {
    for (k, v) in list {
        t.raw_set(*k, *v)?;
    }
    Ok(())
}

/// `lua_tointeger` semantics: integers, integral floats and numeric strings; anything else 0.
fn to_integer(lua: &Lua, v: Value) -> i64 {
    match v {
        Value::Integer(i) => i,
        Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => x as i64,
        Value::String(_) => match lua.coerce_integer(v) {
            Ok(Some(i)) => i,
            _ => 0,
        },
        _ => 0,
    }
}

fn table_int(lua: &Lua, t: &Table, k: &str) -> Result<i64> {
    Ok(to_integer(lua, t.get(k)?))
}

/// The builder's `nil, err` on failure, itself on success.
fn built(lua: &Lua, this: &Value, r: std::result::Result<(), &'static str>) -> Result<MultiValue> {
    match r {
        Ok(()) => one(this.clone()),
        Err(e) => fail(lua, e),
    }
}

/// A builder method on `self` with raw arguments (`self` is argument #1).
fn builder_method(
    lua: &Lua,
    f: impl Fn(&Lua, &mut Builder, &Args) -> Result<std::result::Result<(), &'static str>> + 'static,
) -> Result<mlua::Function> {
    eco_util::function(lua, move |lua, args: Args| {
        let this = args.get(1);
        let Value::UserData(ud) = &this else {
            return Err(args.type_error(1, "nlmsg"));
        };
        let r = {
            let mut m = ud
                .borrow_mut::<NlMsg>()
                .map_err(|_| args.type_error(1, "nlmsg"))?;
            f(lua, &mut m.0, &args)?
        };
        built(lua, &this, r)
    })
}

/// A method (or function) taking an `nlmsg_ker` as argument #1, raw arguments after it.
fn ker_method(
    lua: &Lua,
    f: impl Fn(&Lua, &mut NlMsgKer, &Args) -> Result<MultiValue> + 'static,
) -> Result<mlua::Function> {
    eco_util::function(lua, move |lua, args: Args| {
        let Value::UserData(ud) = args.get(1) else {
            return Err(args.type_error(1, "nlmsg_ker"));
        };
        let mut k = ud
            .borrow_mut::<NlMsgKer>()
            .map_err(|_| args.type_error(1, "nlmsg_ker"))?;
        f(lua, &mut k, &args)
    })
}

fn attr_type(args: &Args) -> Result<u16> {
    Ok(args.integer(2)? as u16)
}

/// `put_attr_str`'s string: a string or a number (as Lua writes it).
fn str_arg(lua: &Lua, args: &Args, n: usize) -> Result<Vec<u8>> {
    let s = args.string(lua, n)?;
    let b = s.as_bytes();
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    Ok(b[..end].to_vec())
}

fn register_types(lua: &Lua) -> Result<()> {
    let put = builder_method(lua, |lua, b, a| {
        let s = a.string(lua, 2)?;
        Ok(b.put(&s.as_bytes()))
    })?;
    let put_attr = builder_method(lua, |lua, b, a| {
        let t = attr_type(a)?;
        let s = a.string(lua, 3)?;
        Ok(b.put_attr(t, &[&s.as_bytes()]))
    })?;
    let put_flag = builder_method(lua, |_, b, a| Ok(b.put_attr(attr_type(a)?, &[])))?;
    let put_u8 = builder_method(lua, |_, b, a| {
        Ok(b.put_attr(attr_type(a)?, &[&[a.integer(3)? as u8]]))
    })?;
    let put_u16 = builder_method(lua, |_, b, a| {
        Ok(b.put_attr(attr_type(a)?, &[&(a.integer(3)? as u16).to_ne_bytes()]))
    })?;
    let put_u32 = builder_method(lua, |_, b, a| {
        Ok(b.put_attr(attr_type(a)?, &[&(a.integer(3)? as u32).to_ne_bytes()]))
    })?;
    let put_u64 = builder_method(lua, |_, b, a| {
        Ok(b.put_attr(attr_type(a)?, &[&(a.integer(3)? as u64).to_ne_bytes()]))
    })?;
    let put_str = builder_method(lua, |lua, b, a| {
        let t = attr_type(a)?;
        let s = str_arg(lua, a, 3)?;
        Ok(b.put_attr(t, &[&s]))
    })?;
    let put_strz = builder_method(lua, |lua, b, a| {
        let t = attr_type(a)?;
        let s = str_arg(lua, a, 3)?;
        Ok(b.put_attr(t, &[&s, &[0]]))
    })?;
    let nest_start = builder_method(lua, |_, b, a| Ok(b.nest_start(attr_type(a)?)))?;
    let nest_end = builder_method(lua, |_, b, _| {
        b.nest_end();
        Ok(Ok(()))
    })?;
    let binary = eco_util::method(lua, "nlmsg", |lua, m: &NlMsg, ()| {
        lua.create_string(m.0.bytes())
    })?;
    eco_util::register::<NlMsg>(lua, move |r| {
        r.add_field("put", put);
        r.add_field("put_attr", put_attr);
        r.add_field("put_attr_flag", put_flag);
        r.add_field("put_attr_u8", put_u8);
        r.add_field("put_attr_u16", put_u16);
        r.add_field("put_attr_u32", put_u32);
        r.add_field("put_attr_u64", put_u64);
        r.add_field("put_attr_str", put_str);
        r.add_field("put_attr_strz", put_strz);
        r.add_field("put_attr_nest_start", nest_start);
        r.add_field("put_attr_nest_end", nest_end);
        r.add_field("binary", binary);
    })?;

    let next = ker_method(lua, |lua, k, _| match k.advance() {
        Some(h) => one(Value::Table(header_table(lua, &h)?)),
        None => one(Value::Nil),
    })?;
    let payload = ker_method(lua, |lua, k, _| match k.current() {
        Some((_, body)) => one(Value::String(lua.create_string(body)?)),
        None => fail(lua, INVALID_NLMSG),
    })?;
    let parse_attr = ker_method(lua, |lua, k, args| {
        let off = args.integer(2)?;
        let Some((_, body)) = k.current() else {
            return fail(lua, INVALID_NLMSG);
        };
        if off < 0 || off as u64 > body.len() as u64 {
            return Err(arg_error(2, "invalid offset"));
        }
        let start = wire::align4(off as usize);
        if start > body.len() {
            return fail(lua, "malformed attributes");
        }
        match attrs_table(lua, &body[start..])? {
            Some(t) => one(Value::Table(t)),
            None => fail(lua, "malformed attributes"),
        }
    })?;
    let parse_error = ker_method(lua, |lua, k, _| {
        let Some((h, body)) = k.current() else {
            return fail(lua, INVALID_NLMSG);
        };
        if h.typ != wire::NLMSG_ERROR {
            return fail(lua, "not a nlmsg with type NLMSG_ERROR");
        }
        match wire::u32_at(body, 0) {
            Some(e) if body.len() >= wire::NLMSGERR_SIZE => one(Value::Integer(e as i32 as i64)),
            _ => fail(lua, INVALID_NLMSG),
        }
    })?;
    eco_util::register::<NlMsgKer>(lua, move |r| {
        r.add_field("next", next);
        r.add_field("payload", payload);
        r.add_field("parse_attr", parse_attr);
        r.add_field("parse_error", parse_error);
    })
}

fn header_table(lua: &Lua, h: &wire::Header) -> Result<Table> {
    let t = lua.create_table_with_capacity(0, 4)?;
    t.raw_set("type", h.typ)?;
    t.raw_set("flags", h.flags)?;
    t.raw_set("seq", h.seq)?;
    t.raw_set("pid", h.pid)?;
    Ok(t)
}

/// `{[type] = raw attribute}` of a region, or `None` when the walk does not end exactly.
fn attrs_table(lua: &Lua, region: &[u8]) -> Result<Option<Table>> {
    let mut spans = Vec::with_capacity(32);
    if wire::walk_attrs(region, |t, s, e| spans.push((t, s, e))).is_err() {
        return Ok(None);
    }
    let t = lua.create_table_with_capacity(0, spans.len())?;
    for (typ, s, e) in spans {
        t.raw_set(typ, lua.create_string(&region[s..e])?)?;
    }
    Ok(Some(t))
}

/// Argument #1 of an attribute accessor: a string (raises the standard error otherwise).
fn attr_arg(args: &Args) -> Result<LuaString> {
    match args.get(1) {
        Value::String(s) => Ok(s),
        _ => Err(args.type_error(1, "string")),
    }
}

fn getter(
    lua: &Lua,
    size: usize,
    conv: impl Fn(&[u8]) -> Value + 'static,
) -> Result<mlua::Function> {
    eco_util::function(lua, move |_, args: Args| {
        let s = attr_arg(&args)?;
        let b = s.as_bytes();
        let v = wire::attr_value(&b, size).map_err(|e| arg_error(1, e))?;
        Ok(conv(v))
    })
}

/// The natives of `eco.nl` (also `eco.internal.nl`).
fn nl_native(lua: &Lua) -> Result<Table> {
    register_types(lua)?;
    let t = lua.create_table()?;
    set_constants(&t, NL_CONSTANTS)?;
    t.raw_set(
        "nlmsg",
        eco_util::function(lua, |lua, args: Args| {
            let typ = args.integer(1)? as u16;
            let flags = args.integer(2)? as u16;
            let seq = args.opt_integer(3)?.unwrap_or(0) as u32;
            let size = args.opt_integer(4)?.unwrap_or(4096);
            let b = Builder::new(typ, flags, seq, size).ok_or_else(|| arg_error(4, "invalid size"))?;
            lua.create_any_userdata(NlMsg(b))
        })?,
    )?;
    t.raw_set(
        "nlmsg_ker",
        eco_util::function(lua, |lua, args: Args| {
            let s = args.string(lua, 1)?;
            let b = s.as_bytes();
            if b.len() > wire::INT_MAX {
                return Err(arg_error(1, "datagram is too large"));
            }
            lua.create_any_userdata(NlMsgKer::new(b.to_vec()))
        })?,
    )?;
    t.raw_set("attr_get_u8", getter(lua, 1, |v| Value::Integer(v[0] as i64))?)?;
    t.raw_set("attr_get_s8", getter(lua, 1, |v| Value::Integer(v[0] as i8 as i64))?)?;
    t.raw_set(
        "attr_get_u16",
        getter(lua, 2, |v| Value::Integer(wire::u16_at(v, 0).unwrap_or(0) as i64))?,
    )?;
    t.raw_set(
        "attr_get_s16",
        getter(lua, 2, |v| Value::Integer(wire::u16_at(v, 0).unwrap_or(0) as i16 as i64))?,
    )?;
    t.raw_set(
        "attr_get_u32",
        getter(lua, 4, |v| Value::Integer(wire::u32_at(v, 0).unwrap_or(0) as i64))?,
    )?;
    t.raw_set(
        "attr_get_s32",
        getter(lua, 4, |v| Value::Integer(wire::u32_at(v, 0).unwrap_or(0) as i32 as i64))?,
    )?;
    t.raw_set(
        "attr_get_u64",
        getter(lua, 8, |v| {
            let x = wire::u64_at(v, 0).unwrap_or(0);
            Value::Integer(x.min(i64::MAX as u64) as i64)
        })?,
    )?;
    t.raw_set(
        "attr_get_s64",
        getter(lua, 8, |v| Value::Integer(wire::u64_at(v, 0).unwrap_or(0) as i64))?,
    )?;
    t.raw_set(
        "attr_get_str",
        eco_util::function(lua, |lua, args: Args| {
            let s = attr_arg(&args)?;
            let b = s.as_bytes();
            let v = wire::attr_str(&b).map_err(|e| arg_error(1, e))?;
            lua.create_string(v)
        })?,
    )?;
    t.raw_set(
        "attr_get_payload",
        eco_util::function(lua, |lua, args: Args| {
            let s = attr_arg(&args)?;
            let b = s.as_bytes();
            let v = wire::attr_payload(&b).map_err(|e| arg_error(1, e))?;
            lua.create_string(v)
        })?,
    )?;
    t.raw_set(
        "parse_attr_nested",
        eco_util::function(lua, |lua, args: Args| {
            let s = attr_arg(&args)?;
            let b = s.as_bytes();
            let p = wire::attr_payload(&b).map_err(|e| arg_error(1, e))?;
            attrs_table(lua, p)?.ok_or_else(|| arg_error(1, "malformed nested attributes"))
        })?,
    )?;
    t.raw_set(
        "strerror",
        eco_util::function(lua, |_, e: i64| Ok(eco_util::strerror(e as i32)))?,
    )?;
    Ok(t)
}

/// The natives of `eco.genl`.
fn genl_native(lua: &Lua) -> Result<Table> {
    register_types(lua)?;
    let t = lua.create_table()?;
    set_constants(
        &t,
        &[
            ("GENL_ID_CTRL", 16),
            ("CTRL_CMD_UNSPEC", 0),
            ("CTRL_CMD_NEWFAMILY", 1),
            ("CTRL_CMD_DELFAMILY", 2),
            ("CTRL_CMD_GETFAMILY", 3),
            ("CTRL_CMD_NEWOPS", 4),
            ("CTRL_CMD_DELOPS", 5),
            ("CTRL_CMD_GETOPS", 6),
            ("CTRL_CMD_NEWMCAST_GRP", 7),
            ("CTRL_CMD_DELMCAST_GRP", 8),
            ("CTRL_CMD_GETMCAST_GRP", 9),
            ("CTRL_ATTR_UNSPEC", 0),
            ("CTRL_ATTR_FAMILY_ID", 1),
            ("CTRL_ATTR_FAMILY_NAME", 2),
            ("CTRL_ATTR_VERSION", 3),
            ("CTRL_ATTR_HDRSIZE", 4),
            ("CTRL_ATTR_MAXATTR", 5),
            ("CTRL_ATTR_OPS", 6),
            ("CTRL_ATTR_MCAST_GROUPS", 7),
            ("CTRL_ATTR_OP_ID", 1),
            ("CTRL_ATTR_OP_FLAGS", 2),
            ("CTRL_ATTR_MCAST_GRP_NAME", 1),
            ("CTRL_ATTR_MCAST_GRP_ID", 2),
            ("GENLMSGHDR_SIZE", 4),
        ],
    )?;
    t.raw_set(
        "genlmsghdr",
        eco_util::function(lua, |lua, args: Args| {
            let h = args.table(1)?;
            let cmd = to_integer(lua, h.get("cmd")?) as u8;
            let version = match h.get::<Value>("version")? {
                Value::Nil => 1u8,
                Value::Integer(i) => i as u8,
                Value::Number(x) if x.fract() == 0.0 => x as i64 as u8,
                _ => return Err(error("version must be an integer")),
            };
            lua.create_string([cmd, version, 0, 0])
        })?,
    )?;
    t.raw_set(
        "parse_genlmsghdr",
        ker_method(lua, |lua, k, _| {
            let Some((h, body)) = k.current() else {
                return fail(lua, INVALID_NLMSG);
            };
            if h.typ < 16 {
                return fail(lua, "invalid nlmsg type");
            }
            if body.len() < 4 {
                return fail(lua, INVALID_NLMSG);
            }
            let t = lua.create_table_with_capacity(0, 2)?;
            t.raw_set("cmd", body[0])?;
            t.raw_set("version", body[1])?;
            one(Value::Table(t))
        })?,
    )?;
    Ok(t)
}

/// A fixed rtnetlink header: its accepted message types and its fields (name, offset, width in
/// bytes, signed).
struct Struct {
    size: usize,
    types: &'static [u16],
    fields: &'static [(&'static str, usize, usize, bool)],
}

const IFINFOMSG: Struct = Struct {
    size: 16,
    types: &[16, 17],
    fields: &[
        ("family", 0, 1, false),
        ("type", 2, 2, false),
        ("index", 4, 4, true),
        ("flags", 8, 4, false),
        ("change", 12, 4, false),
    ],
};
const IFADDRMSG: Struct = Struct {
    size: 8,
    types: &[20],
    fields: &[
        ("family", 0, 1, false),
        ("prefixlen", 1, 1, false),
        ("flags", 2, 1, false),
        ("scope", 3, 1, false),
        ("index", 4, 4, false),
    ],
};
const RTMSG: Struct = Struct {
    size: 12,
    types: &[24, 25],
    fields: &[
        ("family", 0, 1, false),
        ("dst_len", 1, 1, false),
        ("src_len", 2, 1, false),
        ("tos", 3, 1, false),
        ("table", 4, 1, false),
        ("protocol", 5, 1, false),
        ("scope", 6, 1, false),
        ("type", 7, 1, false),
        ("flags", 8, 4, false),
    ],
};
/// Beyond the reference: neighbours (`struct ndmsg`).
const NDMSG: Struct = Struct {
    size: 12,
    types: &[28, 29],
    fields: &[
        ("family", 0, 1, false),
        ("index", 4, 4, true),
        ("state", 8, 2, false),
        ("flags", 10, 1, false),
        ("type", 11, 1, false),
    ],
};
const RTGENMSG: Struct = Struct {
    size: 1,
    types: &[],
    fields: &[("family", 0, 1, false)],
};

fn pack(lua: &Lua, s: &'static Struct, t: &Table) -> Result<Vec<u8>> {
    let mut out = vec![0u8; s.size];
    for &(name, at, width, _) in s.fields {
        let v = table_int(lua, t, name)?;
        match width {
            1 => out[at] = v as u8,
            2 => out[at..at + 2].copy_from_slice(&(v as u16).to_ne_bytes()),
            _ => out[at..at + 4].copy_from_slice(&(v as u32).to_ne_bytes()),
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, s: &'static Struct, body: &[u8]) -> Result<Table> {
    let t = lua.create_table_with_capacity(0, s.fields.len())?;
    for &(name, at, width, signed) in s.fields {
        let v: i64 = match width {
            1 => body[at] as i64,
            2 => wire::u16_at(body, at).unwrap_or(0) as i64,
            _ => {
                let u = wire::u32_at(body, at).unwrap_or(0);
                if signed {
                    u as i32 as i64
                } else {
                    u as i64
                }
            }
        };
        t.raw_set(name, v)?;
    }
    Ok(t)
}

fn struct_fns(lua: &Lua, t: &Table, name: &str, s: &'static Struct) -> Result<()> {
    t.raw_set(
        name,
        eco_util::function(lua, move |lua, args: Args| {
            let tab = args.table(1)?;
            lua.create_string(pack(lua, s, &tab)?)
        })?,
    )?;
    if s.types.is_empty() {
        return Ok(());
    }
    t.raw_set(
        format!("parse_{name}"),
        ker_method(lua, move |lua, k, _| {
            let Some((h, body)) = k.current() else {
                return fail(lua, INVALID_NLMSG);
            };
            if !s.types.contains(&h.typ) {
                return fail(lua, "invalid nlmsg type");
            }
            if body.len() < s.size {
                return fail(lua, INVALID_NLMSG);
            }
            one(Value::Table(unpack(lua, s, body)?))
        })?,
    )?;
    t.raw_set(format!("{}_SIZE", name.to_uppercase()), s.size)?;
    Ok(())
}

/// The natives of `eco.rtnl` (constants are in `lua/rtnl.lua`).
fn rtnl_native(lua: &Lua) -> Result<Table> {
    register_types(lua)?;
    let t = lua.create_table()?;
    struct_fns(lua, &t, "rtgenmsg", &RTGENMSG)?;
    struct_fns(lua, &t, "ifinfomsg", &IFINFOMSG)?;
    struct_fns(lua, &t, "ifaddrmsg", &IFADDRMSG)?;
    struct_fns(lua, &t, "rtmsg", &RTMSG)?;
    struct_fns(lua, &t, "ndmsg", &NDMSG)?;
    Ok(t)
}

/// Opens `eco.nl`.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = nl_native(lua)?;
    lua.load(NL_SRC.text()).set_name("@eco/nl.lua").call(n)
}

/// Opens `eco.genl`.
pub fn open_genl(lua: &Lua) -> Result<Value> {
    let n = genl_native(lua)?;
    lua.load(GENL_SRC.text()).set_name("@eco/genl.lua").call(n)
}

/// Opens `eco.rtnl`.
pub fn open_rtnl(lua: &Lua) -> Result<Value> {
    let n = rtnl_native(lua)?;
    lua.load(RTNL_SRC.text()).set_name("@eco/rtnl.lua").call(n)
}

/// Opens `eco.internal.nl` (pure Lua over `eco.nl`).
pub fn open_internal(lua: &Lua) -> Result<Value> {
    lua.load(INTERNAL_SRC.text())
        .set_name("@eco/internal/nl.lua")
        .call(())
}

/// Opens `eco.ip` (pure Lua over `eco.nl` and `eco.rtnl`).
pub fn open_ip(lua: &Lua) -> Result<Value> {
    lua.load(IP_SRC.text()).set_name("@eco/ip.lua").call(())
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_nl")]
fn eco_nl(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_genl")]
fn eco_genl(lua: &Lua) -> Result<Value> {
    open_genl(lua)
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_rtnl")]
fn eco_rtnl(lua: &Lua) -> Result<Value> {
    open_rtnl(lua)
}
