//! `eco.socket` (spec/socket.md). The native part is a low-level socket object whose methods
//! never block (they report "would block" as `false`) plus the constants and address helpers;
//! the Lua part (`lua/socket.lua`) builds the public socket object on top of it with the core's
//! `eco.reader`/`eco.writer`/`eco.io`, which park the coroutine.
//!
//! Return conventions of the native methods: a value on success, `false` when the call would
//! block, `nil, msg` on an OS or lookup failure, and `nil, msg, true` for a programming error that
//! the Lua layer raises (so errors are plain strings with the caller's position).
#![forbid(unsafe_code)]

mod addr;

use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};

use mlua::{IntoLua, Lua, MultiValue, Result, Table, UserDataFields, Value, Variadic};
use rustix::net::{AddressFamily, Protocol, SocketFlags, SocketType};

use addr::{Decoded, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("socket.lua");
pub const LUA_INTERNAL: eco_luasrc::Source = eco_luasrc::lua_source!("internal.lua");

/// Outcome of a native call, turned into the return convention above.
enum Out {
    Vals(Vec<Value>),
    WouldBlock,
    Fail(String),
    Raise(String),
}

fn os(e: i32) -> Out {
    Out::Fail(eco_abi::strerror(e))
}

fn ret(lua: &Lua, o: Out) -> Result<MultiValue> {
    Ok(match o {
        Out::Vals(v) => MultiValue::from_vec(v),
        Out::WouldBlock => MultiValue::from_vec(vec![Value::Boolean(false)]),
        Out::Fail(m) => MultiValue::from_vec(vec![Value::Nil, m.into_lua(lua)?]),
        Out::Raise(m) => {
            MultiValue::from_vec(vec![Value::Nil, m.into_lua(lua)?, Value::Boolean(true)])
        }
    })
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(o) => return Ok(o),
        }
    };
}

fn lua_type(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(v) => eco_util::lua_type_name(v),
    }
}

fn arg_int(args: &[Value], i: usize, pos: usize, fname: &str) -> std::result::Result<i64, Out> {
    let bad = |msg: String| Out::Raise(format!("bad argument #{pos} to '{fname}' ({msg})"));
    match args.get(i) {
        Some(Value::Integer(n)) => Ok(*n),
        Some(Value::Number(f)) if f.fract() == 0.0 => Ok(*f as i64),
        Some(Value::Number(_)) => Err(bad("number has no integer representation".into())),
        Some(Value::String(s)) => {
            match s.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()) {
                Some(n) => Ok(n),
                None => Err(bad("number expected, got string".into())),
            }
        }
        v => Err(bad(format!("number expected, got {}", lua_type(v)))),
    }
}

fn opt_int(
    args: &[Value],
    i: usize,
    pos: usize,
    default: i64,
    fname: &str,
) -> std::result::Result<i64, Out> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        _ => arg_int(args, i, pos, fname),
    }
}

/// Interface name to index, through a throw-away socket (works in any network namespace).
fn if_nametoindex(name: &str) -> Option<u32> {
    let s = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None).ok()?;
    rustix::net::netdevice::name_to_index(&s, name)
        .ok()
        .filter(|&i| i > 0)
}

fn if_indextoname(index: u32) -> Option<String> {
    let s = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None).ok()?;
    rustix::net::netdevice::index_to_name(&s, index).ok()
}

/// Parses the address arguments of `bind`/`connect`/`sendto` for `family` (spec/socket.md 3.2).
fn parse_addr(
    family: i32,
    args: &[Value],
    first_pos: usize,
    fname: &str,
) -> std::result::Result<Vec<u8>, Out> {
    match family {
        AF_INET | AF_INET6 => {
            let v6 = family == AF_INET6;
            let ip = match args.first() {
                Some(Value::String(s)) => Some(s.to_string_lossy()),
                Some(Value::Integer(n)) => Some(n.to_string()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let port = arg_int(args, 1, first_pos + 1, fname)? as u16;
            if v6 {
                let ip = match ip {
                    None => std::net::Ipv6Addr::UNSPECIFIED,
                    Some(s) => addr::parse_ipv6(&s)
                        .ok_or_else(|| Out::Raise("not a valid IPv6 address".into()))?,
                };
                Ok(addr::inet6(ip, port))
            } else {
                let ip = match ip {
                    None => std::net::Ipv4Addr::UNSPECIFIED,
                    Some(s) => addr::parse_ipv4(&s)
                        .ok_or_else(|| Out::Raise("not a valid IPv4 address".into()))?,
                };
                Ok(addr::inet(ip, port))
            }
        }
        AF_UNIX => match args.first() {
            Some(Value::String(s)) => {
                let b = s.as_bytes();
                if b.len() >= addr::UNIX_PATH_MAX {
                    return Err(Out::Raise("path too long".into()));
                }
                Ok(addr::unix(&b))
            }
            v => Err(Out::Raise(format!(
                "bad argument #{first_pos} to '{fname}' (string expected, got {})",
                lua_type(v)
            ))),
        },
        AF_NETLINK => {
            let groups = opt_int(args, 0, first_pos, 0, fname)?;
            let pid = opt_int(args, 1, first_pos + 1, 0, fname)?;
            Ok(addr::netlink(pid as u32, groups as u32))
        }
        AF_PACKET => {
            let Some(Value::Table(t)) = args.first() else {
                return Err(Out::Raise(format!(
                    "bad argument #{first_pos} to '{fname}' (table expected, got {})",
                    lua_type(args.first())
                )));
            };
            let ifname: Option<String> = t.get("ifname").ok();
            let ifindex: Option<i64> = t.get("ifindex").ok();
            let index = if let Some(name) = ifname {
                if_nametoindex(&name)
                    .ok_or_else(|| Out::Fail(format!("device '{name}' not exists")))?
                    as i32
            } else if let Some(i) = ifindex {
                if i <= 0 || i > i32::MAX as i64 || if_indextoname(i as u32).is_none() {
                    return Err(Out::Fail(format!("no device with ifindex '{i}'")));
                }
                i as i32
            } else {
                0
            };
            Ok(addr::packet(index))
        }
        _ => Err(Out::Raise("invalid domain".into())),
    }
}

/// Builds the Lua address table of spec/socket.md 3.1.
fn addr_table(lua: &Lua, raw: &[u8]) -> Result<Table> {
    let (family, d) = addr::decode(raw);
    let t = lua.create_table()?;
    t.set("family", family)?;
    match d {
        Decoded::Inet { ip, port } => {
            t.set("ipaddr", ip)?;
            t.set("port", port)?;
        }
        Decoded::Unix { path } => t.set("path", lua.create_string(&path)?)?,
        Decoded::Netlink { pid } => t.set("pid", pid)?,
        Decoded::Packet { ifindex } => {
            t.set("ifindex", ifindex)?;
            t.set("ifname", if_indextoname(ifindex as u32).unwrap_or_default())?;
        }
        Decoded::Other => {}
    }
    Ok(t)
}

/// The low-level socket (or TUN descriptor, `family == -1`).
pub struct Sock {
    fd: Option<OwnedFd>,
    family: i32,
}

impl Sock {
    fn fd(&self) -> std::result::Result<std::os::fd::BorrowedFd<'_>, Out> {
        self.fd
            .as_ref()
            .map(|f| f.as_fd())
            .ok_or_else(|| os(libc::EBADF))
    }
}

fn wrap_sock(lua: &Lua, fd: OwnedFd, family: i32) -> Result<Value> {
    lua.create_any_userdata(Sock {
        fd: Some(fd),
        family,
    })?
    .into_lua(lua)
}

fn int(v: i32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// Encodes the value of `setoption(name, value)`: (level, optname, bytes), or an error outcome.
fn option_value(name: &str, v: &Value) -> std::result::Result<(i32, i32, Vec<u8>), Out> {
    use libc::*;
    let boolean = |v: &Value| match v {
        Value::Boolean(b) => Ok(int(*b as i32)),
        v => Err(Out::Raise(format!(
            "bad argument #2 to 'setoption' (boolean expected, got {})",
            eco_util::lua_type_name(v)
        ))),
    };
    let integer = |v: &Value| match v {
        Value::Integer(n) => Ok(int(*n as i32)),
        Value::Number(f) if f.fract() == 0.0 => Ok(int(*f as i32)),
        v => Err(Out::Raise(format!(
            "bad argument #2 to 'setoption' (number expected, got {})",
            eco_util::lua_type_name(v)
        ))),
    };
    let table = |v: &Value| match v {
        Value::Table(t) => Ok(t.clone()),
        v => Err(Out::Raise(format!(
            "bad argument #2 to 'setoption' (table expected, got {})",
            eco_util::lua_type_name(v)
        ))),
    };
    Ok(match name {
        "reuseaddr" => (SOL_SOCKET, SO_REUSEADDR, boolean(v)?),
        "reuseport" => (SOL_SOCKET, SO_REUSEPORT, boolean(v)?),
        "keepalive" => (SOL_SOCKET, SO_KEEPALIVE, boolean(v)?),
        "broadcast" => (SOL_SOCKET, SO_BROADCAST, boolean(v)?),
        "sndbuf" => (SOL_SOCKET, SO_SNDBUF, integer(v)?),
        "rcvbuf" => (SOL_SOCKET, SO_RCVBUF, integer(v)?),
        "mark" => (SOL_SOCKET, SO_MARK, integer(v)?),
        "bindtodevice" => match v {
            Value::String(s) => {
                let b = s.as_bytes().to_vec();
                if b.len() >= 16 {
                    return Err(Out::Raise("ifname too long".into()));
                }
                (SOL_SOCKET, SO_BINDTODEVICE, b)
            }
            v => {
                return Err(Out::Raise(format!(
                    "bad argument #2 to 'setoption' (string expected, got {})",
                    eco_util::lua_type_name(v)
                )))
            }
        },
        "tcp_keepidle" => (IPPROTO_TCP, TCP_KEEPIDLE, integer(v)?),
        "tcp_keepintvl" => (IPPROTO_TCP, TCP_KEEPINTVL, integer(v)?),
        "tcp_keepcnt" => (IPPROTO_TCP, TCP_KEEPCNT, integer(v)?),
        "tcp_fastopen" => (IPPROTO_TCP, TCP_FASTOPEN, integer(v)?),
        "tcp_nodelay" => (IPPROTO_TCP, TCP_NODELAY, boolean(v)?),
        "ipv6_v6only" => (IPPROTO_IPV6, IPV6_V6ONLY, boolean(v)?),
        "ip_add_membership" | "ip_drop_membership" => {
            let t = table(v)?;
            let multi: Option<String> = t.get("multiaddr").ok();
            let m = multi
                .as_deref()
                .and_then(addr::parse_ipv4)
                .ok_or_else(|| Out::Raise("multiaddr: not a valid IP address".into()))?;
            let iface = match t.get::<Value>("interface").unwrap_or(Value::Nil) {
                Value::Nil => std::net::Ipv4Addr::UNSPECIFIED,
                Value::String(s) => addr::parse_ipv4(&s.to_string_lossy())
                    .ok_or_else(|| Out::Raise("interface: not a valid IP address".into()))?,
                _ => return Err(Out::Raise("interface: not a valid IP address".into())),
            };
            let opt = if name == "ip_add_membership" {
                IP_ADD_MEMBERSHIP
            } else {
                IP_DROP_MEMBERSHIP
            };
            (IPPROTO_IP, opt, [m.octets(), iface.octets()].concat())
        }
        "ipv6_add_membership" | "ipv6_drop_membership" => {
            let t = table(v)?;
            let multi: Option<String> = t.get("multiaddr").ok();
            let m = multi
                .as_deref()
                .and_then(addr::parse_ipv6)
                .ok_or_else(|| Out::Raise("multiaddr: not a valid IPv6 address".into()))?;
            let ifindex: i64 = t
                .get::<Option<i64>>("interface")
                .ok()
                .flatten()
                .unwrap_or(0);
            let opt = if name == "ipv6_add_membership" {
                IPV6_ADD_MEMBERSHIP
            } else {
                IPV6_DROP_MEMBERSHIP
            };
            let mut b = m.octets().to_vec();
            b.extend_from_slice(&(ifindex as u32).to_ne_bytes());
            (IPPROTO_IPV6, opt, b)
        }
        "netlink_add_membership" => (SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, integer(v)?),
        "netlink_drop_membership" => (SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, integer(v)?),
        "packet_add_membership" | "packet_drop_membership" => {
            let t = table(v)?;
            let ifname: Option<String> = t.get("ifname").ok();
            let index = match ifname {
                Some(n) => crate::if_nametoindex(&n)
                    .ok_or_else(|| Out::Fail(format!("No interface found with given name '{n}'")))?
                    as i32,
                None => t.get::<Option<i64>>("ifindex").ok().flatten().unwrap_or(0) as i32,
            };
            let typ = t.get::<Option<i64>>("type").ok().flatten().unwrap_or(0) as u16;
            let address: Option<mlua::LuaString> = t.get("address").ok();
            let address = address.map(|a| a.as_bytes().to_vec()).unwrap_or_default();
            if address.len() > 8 {
                return Err(Out::Raise("address too long".into()));
            }
            // struct packet_mreq { int ifindex; u16 type; u16 alen; u8 address[8]; }
            let mut b = index.to_ne_bytes().to_vec();
            b.extend_from_slice(&typ.to_ne_bytes());
            b.extend_from_slice(&(address.len() as u16).to_ne_bytes());
            let mut a = [0u8; 8];
            a[..address.len()].copy_from_slice(&address);
            b.extend_from_slice(&a);
            let opt = if name == "packet_add_membership" {
                PACKET_ADD_MEMBERSHIP
            } else {
                PACKET_DROP_MEMBERSHIP
            };
            (SOL_PACKET, opt, b)
        }
        _ => {
            let shown: String = name.chars().take(35).collect();
            return Err(Out::Raise(format!("unsupported option '{shown}'")));
        }
    })
}

/// Installs the methods of [`Sock`] (once per Lua state).
fn register_sock(lua: &Lua) -> Result<()> {
    {
        let m_getfd = eco_util::method(lua, "socket", |_, s: &Sock, ()| {
            Ok(s.fd
                .as_ref()
                .map(|f| std::os::fd::AsRawFd::as_raw_fd(f) as i64)
                .unwrap_or(-1))
        })?;
        let m_family = eco_util::method(lua, "socket", |_, s: &Sock, ()| Ok(s.family))?;
        let m_close = eco_util::method_mut(lua, "socket", |_, s: &mut Sock, ()| {
            s.fd = None;
            Ok(())
        })?;
        let m_closed = eco_util::method(lua, "socket", |_, s: &Sock, ()| Ok(s.fd.is_none()))?;
        let m_bind = eco_util::method(lua, "socket", |lua, s: &Sock, args: Variadic<Value>| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    let a = tri!(parse_addr(s.family, &args, 1, "bind"));
                    Ok::<_, mlua::Error>(match eco_os::bind(fd, &a) {
                        Ok(()) => Out::Vals(vec![Value::Boolean(true)]),
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_connect = eco_util::method(lua, "socket", |lua, s: &Sock, args: Variadic<Value>| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    let a = tri!(parse_addr(s.family, &args, 1, "connect"));
                    Ok::<_, mlua::Error>(match eco_os::connect(fd, &a) {
                        Ok(()) => Out::Vals(vec![Value::Boolean(true)]),
                        Err(libc::EINPROGRESS) | Err(libc::EAGAIN) => Out::WouldBlock,
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_listen = eco_util::method(lua, "socket", |lua, s: &Sock, backlog: Option<i32>| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    Ok::<_, mlua::Error>(
                        match rustix::net::listen(fd, backlog.unwrap_or(libc::SOMAXCONN)) {
                            Ok(()) => Out::Vals(vec![Value::Boolean(true)]),
                            Err(e) => os(e.raw_os_error()),
                        },
                    )
                })()?,
            )
        })?;
        let m_accept = eco_util::method(lua, "socket", |lua, s: &Sock, ()| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    Ok::<_, mlua::Error>(match eco_os::accept(fd) {
                        Ok((nfd, a)) => Out::Vals(vec![
                            wrap_sock(lua, nfd, s.family)?,
                            Value::Table(addr_table(lua, &a)?),
                        ]),
                        Err(libc::EAGAIN) => Out::WouldBlock,
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_recvfrom = eco_util::method(lua, "socket", |lua, s: &Sock, n: Value| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    let n = tri!(arg_int(&[n], 0, 1, "recvfrom"));
                    if n < 1 {
                        return Ok(Out::Raise(
                            "bad argument #1 to 'recvfrom' (must be greater than 0)".into(),
                        ));
                    }
                    let mut buf = vec![0u8; (n as usize).min(1 << 20)];
                    Ok::<_, mlua::Error>(match eco_os::recvfrom(fd, &mut buf) {
                        Ok((k, a)) => Out::Vals(vec![
                            Value::String(lua.create_string(&buf[..k])?),
                            Value::Table(addr_table(lua, &a)?),
                        ]),
                        Err(libc::EAGAIN) => Out::WouldBlock,
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_sendto = eco_util::method(lua, "socket", |lua, s: &Sock, args: Variadic<Value>| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    let data = match args.first() {
                        Some(Value::String(d)) => d.as_bytes().to_vec(),
                        Some(Value::Integer(n)) => n.to_string().into_bytes(),
                        Some(Value::Number(n)) => n.to_string().into_bytes(),
                        v => {
                            return Ok(Out::Raise(format!(
                                "bad argument #1 to 'sendto' (string expected, got {})",
                                lua_type(v)
                            )))
                        }
                    };
                    let a = if args.len() > 1 {
                        Some(tri!(parse_addr(s.family, &args[1..], 2, "sendto")))
                    } else {
                        None
                    };
                    Ok::<_, mlua::Error>(match eco_os::sendto(fd, &data, a.as_deref()) {
                        Ok(k) => Out::Vals(vec![Value::Integer(k as i64)]),
                        Err(libc::EAGAIN) => Out::WouldBlock,
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_getsockname = eco_util::method(lua, "socket", |lua, s: &Sock, ()| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    Ok::<_, mlua::Error>(match eco_os::getsockname(fd) {
                        Ok(a) => Out::Vals(vec![Value::Table(addr_table(lua, &a)?)]),
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_getpeername = eco_util::method(lua, "socket", |lua, s: &Sock, ()| {
            ret(
                lua,
                (|| {
                    let fd = tri!(s.fd());
                    Ok::<_, mlua::Error>(match eco_os::getpeername(fd) {
                        Ok(a) => Out::Vals(vec![Value::Table(addr_table(lua, &a)?)]),
                        Err(e) => os(e),
                    })
                })()?,
            )
        })?;
        let m_setoption = eco_util::method(
            lua,
            "socket",
            |lua, s: &Sock, (name, v): (mlua::LuaString, Value)| {
                ret(
                    lua,
                    (|| {
                        let name = name.to_string_lossy();
                        let (level, opt, bytes) = tri!(option_value(&name, &v));
                        let fd = tri!(s.fd());
                        Ok::<_, mlua::Error>(match eco_os::setsockopt(fd, level, opt, &bytes) {
                            Ok(()) => Out::Vals(vec![Value::Boolean(true)]),
                            Err(e) => os(e),
                        })
                    })()?,
                )
            },
        )?;
        let m_getoption =
            eco_util::method(lua, "socket", |lua, s: &Sock, name: mlua::LuaString| {
                ret(
                    lua,
                    (|| {
                        let name = name.to_string_lossy();
                        if name != "error" {
                            // spec/socket.md 5.4: the low-level object (`obj.sock`) raises itself
                            let shown: String = name.chars().take(35).collect();
                            return Err(mlua::Error::runtime(format!(
                                "unsupported option '{shown}'"
                            )));
                        }
                        let fd = tri!(s.fd());
                        Ok::<_, mlua::Error>(
                            match eco_os::getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR) {
                                Ok(0) => Out::Vals(vec![Value::Nil]),
                                Ok(e) => Out::Vals(vec![eco_abi::strerror(e).into_lua(lua)?]),
                                Err(e) => os(e),
                            },
                        )
                    })()?,
                )
            })?;
        eco_util::register::<Sock>(lua, move |r| {
            r.add_field("getfd", m_getfd);
            r.add_field("family", m_family);
            r.add_field("close", m_close);
            r.add_field("closed", m_closed);
            r.add_field("bind", m_bind);
            r.add_field("connect", m_connect);
            r.add_field("listen", m_listen);
            r.add_field("accept", m_accept);
            r.add_field("recvfrom", m_recvfrom);
            r.add_field("sendto", m_sendto);
            r.add_field("getsockname", m_getsockname);
            r.add_field("getpeername", m_getpeername);
            r.add_field("setoption", m_setoption);
            r.add_field("getoption", m_getoption);
        })
    }
}

fn family_of(v: i64) -> AddressFamily {
    AddressFamily::from_raw(v as u16)
}

fn protocol_of(p: i64) -> Option<Protocol> {
    std::num::NonZeroU32::new(p as u32).map(Protocol::from_raw)
}

const CONSTANTS: &[(&str, i64)] = &[
    ("AF_UNSPEC", 0),
    ("AF_INET", 2),
    ("AF_INET6", 10),
    ("AF_UNIX", 1),
    ("AF_PACKET", 17),
    ("AF_NETLINK", 16),
    ("SOCK_STREAM", 1),
    ("SOCK_DGRAM", 2),
    ("SOCK_RAW", 3),
    ("IPPROTO_ICMP", 1),
    ("IPPROTO_ICMPV6", 58),
    ("IPPROTO_TCP", 6),
    ("IPPROTO_UDP", 17),
    ("ETH_P_IP", 0x0800),
    ("ETH_P_ARP", 0x0806),
    ("ETH_P_8021Q", 0x8100),
    ("ETH_P_PPP_DISC", 0x8863),
    ("ETH_P_PPP_SES", 0x8864),
    ("ETH_P_IPV6", 0x86DD),
    ("ETH_P_ALL", 0x0003),
    ("ARPHRD_ETHER", 1),
    ("ARPHRD_LOOPBACK", 772),
    ("ARPHRD_IEEE80211_RADIOTAP", 803),
    ("ARPOP_REQUEST", 1),
    ("ARPOP_REPLY", 2),
    ("PACKET_MR_MULTICAST", 0),
    ("PACKET_MR_PROMISC", 1),
    ("PACKET_MR_ALLMULTI", 2),
    ("PACKET_MR_UNICAST", 3),
    ("ICMP_ECHOREPLY", 0),
    ("ICMP_ECHO", 8),
    ("ICMP_REDIRECT", 5),
    ("ICMPV6_ECHO_REQUEST", 128),
    ("ICMPV6_ECHO_REPLY", 129),
    ("IFF_TUN", 0x0001),
    ("IFF_TAP", 0x0002),
    ("IFF_NO_PI", 0x1000),
    ("SOMAXCONN", libc::SOMAXCONN as i64),
];

fn family_arg(lua: &Lua, family: &Value) -> Result<Option<i32>> {
    let _ = lua;
    Ok(match family {
        Value::Integer(n) => Some(*n as i32),
        Value::Number(f) if f.fract() == 0.0 => Some(*f as i32),
        _ => None,
    })
}

/// The native table: `eco.internal.socket`'s functions and constants.
pub fn native(lua: &Lua) -> Result<Table> {
    register_sock(lua)?;
    let t = lua.create_table()?;
    for (k, v) in CONSTANTS {
        t.set(*k, *v)?;
    }
    t.set(
        "socket",
        eco_util::function(lua, |lua, (family, typ, proto): (i64, i64, Option<i64>)| {
            let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
            ret(
                lua,
                match rustix::net::socket_with(
                    family_of(family),
                    SocketType::from_raw(typ as u32),
                    flags,
                    protocol_of(proto.unwrap_or(0)),
                ) {
                    Ok(fd) => Out::Vals(vec![wrap_sock(lua, fd, family as i32)?]),
                    Err(e) => os(e.raw_os_error()),
                },
            )
        })?,
    )?;
    t.set(
        "socketpair",
        eco_util::function(lua, |lua, (family, typ, proto): (i64, i64, Option<i64>)| {
            let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
            ret(
                lua,
                match rustix::net::socketpair(
                    family_of(family),
                    SocketType::from_raw(typ as u32),
                    flags,
                    protocol_of(proto.unwrap_or(0)),
                ) {
                    Ok((a, b)) => Out::Vals(vec![
                        wrap_sock(lua, a, family as i32)?,
                        wrap_sock(lua, b, family as i32)?,
                    ]),
                    Err(e) => os(e.raw_os_error()),
                },
            )
        })?,
    )?;
    t.set(
        "open_tun",
        eco_util::function(lua, |lua, (dev, flags): (Option<mlua::LuaString>, i64)| {
            let name = dev.map(|d| d.as_bytes().to_vec()).unwrap_or_default();
            let fd = match rustix::fs::open(
                "/dev/net/tun",
                rustix::fs::OFlags::RDWR
                    | rustix::fs::OFlags::NONBLOCK
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            ) {
                Ok(fd) => fd,
                Err(e) => return ret(lua, os(e.raw_os_error())),
            };
            ret(
                lua,
                match eco_os::tun_set_iff(fd.as_fd(), &name, flags as i16) {
                    Ok(ifname) => Out::Vals(vec![
                        wrap_sock(lua, fd, -1)?,
                        Value::String(lua.create_string(&ifname)?),
                    ]),
                    Err(e) => os(e),
                },
            )
        })?,
    )?;
    let is_v4 = |s: &str| addr::parse_ipv4(s).is_some();
    let is_v6 = |s: &str| addr::parse_ipv6(s).is_some();
    t.set(
        "is_ipv4_address",
        eco_util::function(lua, move |_, s: mlua::LuaString| {
            Ok(is_v4(&s.to_string_lossy()))
        })?,
    )?;
    t.set(
        "is_ipv6_address",
        eco_util::function(lua, move |_, s: mlua::LuaString| {
            Ok(is_v6(&s.to_string_lossy()))
        })?,
    )?;
    t.set(
        "is_ip_address",
        eco_util::function(lua, move |_, s: Value| {
            Ok(match s {
                Value::String(s) => s
                    .to_str()
                    .map(|s| s.parse::<IpAddr>().is_ok())
                    .unwrap_or(false),
                _ => false,
            })
        })?,
    )?;
    t.set(
        "inet_aton",
        eco_util::function(lua, |_, s: mlua::LuaString| {
            Ok(addr::inet_aton(&s.to_string_lossy())
                .map(|a| u32::from_ne_bytes(a.to_be_bytes()) as i64)
                .unwrap_or(0))
        })?,
    )?;
    t.set(
        "inet_ntoa",
        eco_util::function(lua, |_, n: i64| {
            Ok(std::net::Ipv4Addr::from((n as u32).to_ne_bytes()).to_string())
        })?,
    )?;
    t.set(
        "inet_pton",
        eco_util::function(lua, |lua, (family, s): (Value, mlua::LuaString)| {
            let s = s.to_string_lossy();
            let r = match family_arg(lua, &family)? {
                Some(AF_INET) => addr::parse_ipv4(&s).map(|a| a.octets().to_vec()),
                Some(AF_INET6) => addr::parse_ipv6(&s).map(|a| a.octets().to_vec()),
                _ => return Err(mlua::Error::runtime("family must be AF_INET or AF_INET6")),
            };
            r.map(|b| lua.create_string(&b)).transpose()
        })?,
    )?;
    t.set(
        "inet_ntop",
        eco_util::function(lua, |lua, (family, b): (Value, mlua::LuaString)| {
            let b = b.as_bytes();
            match family_arg(lua, &family)? {
                Some(AF_INET) if b.len() >= 4 => {
                    Ok(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string())
                }
                Some(AF_INET6) if b.len() >= 16 => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(&b[..16]);
                    Ok(addr::fmt_ipv6(o.into()))
                }
                Some(AF_INET) | Some(AF_INET6) => Err(mlua::Error::runtime("address too short")),
                _ => Err(mlua::Error::runtime("family must be AF_INET or AF_INET6")),
            }
        })?,
    )?;
    t.set(
        "if_nametoindex",
        eco_util::function(lua, |_, name: mlua::LuaString| {
            Ok(if_nametoindex(&name.to_string_lossy()))
        })?,
    )?;
    t.set(
        "if_indextoname",
        eco_util::function(lua, |_, index: i64| {
            Ok(if index > 0 && index <= u32::MAX as i64 {
                if_indextoname(index as u32)
            } else {
                None
            }
            .unwrap_or_default())
        })?,
    )?;
    t.set(
        "htonl",
        eco_util::function(lua, |_, n: i64| Ok((n as u32).to_be() as i64))?,
    )?;
    t.set(
        "ntohl",
        eco_util::function(lua, |_, n: i64| Ok(u32::from_be(n as u32) as i64))?,
    )?;
    t.set(
        "htons",
        eco_util::function(lua, |_, n: i64| Ok((n as u16).to_be() as i64))?,
    )?;
    t.set(
        "ntohs",
        eco_util::function(lua, |_, n: i64| Ok(u16::from_be(n as u16) as i64))?,
    )?;
    t.set(
        "file_size",
        eco_util::function(lua, |lua, path: mlua::LuaString| {
            ret(
                lua,
                match std::fs::metadata(&*path.to_string_lossy()) {
                    Ok(m) => Out::Vals(vec![Value::Integer(m.len() as i64)]),
                    Err(e) => Out::Fail(eco_abi::io_error_text(&e)),
                },
            )
        })?,
    )?;
    Ok(t)
}

/// Opens `eco.socket`: the Lua part receives the native table.
pub fn open(lua: &Lua) -> Result<Value> {
    let n = native(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/socket.lua")
        .call(n)
}

/// Opens `eco.internal.socket` (spec/internal.md).
pub fn open_internal(lua: &Lua) -> Result<Value> {
    lua.load(LUA_INTERNAL.text())
        .set_name("@eco/internal/socket.lua")
        .call(())
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_socket")]
fn eco_socket(lua: &Lua) -> Result<Value> {
    open(lua)
}
