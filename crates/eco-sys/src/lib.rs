//! `eco.sys` (spec/sys.md): processes with captured output, signals read from a signalfd, and
//! thin wrappers over process/system calls.
//!
//! The Lua part (`lua/sys.lua`) holds the process object, `exec`/`sh`/`spawn`/`signal`; it
//! receives two tables: the public native helpers and constants (reachable as `sys.<name>`), and
//! private helpers (`spawn_exec`, `pidfd_open`, `close`, `monotonic`, `park`, `wake`).
//!
//! Programs are started with fork (`eco_os::fork`) + execvp, the child emptying its signal mask
//! first (`std::process::Command` keeps the parent's mask). Children are reaped by the core's
//! SIGCHLD hook, by `waitpid` when their pidfd becomes readable, or by a process object's
//! finalizer.
#![forbid(unsafe_code)]

use eco_util::{fail, ok_true, one, os_fail};
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use mlua::{Lua, LuaString, MultiValue, Result, Table, Value, Variadic};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use rustix::process::{Pid, WaitOptions, WaitStatus};

pub const LUA_SOURCE: eco_luasrc::Source = eco_luasrc::lua_source!("sys.lua");

/// The status table of spec/sys.md 1.2.
fn status_table(lua: &Lua, st: WaitStatus) -> Result<Table> {
    let t = lua.create_table()?;
    if let Some(code) = st.exit_status() {
        t.set("exited", true)?;
        t.set("status", code)?;
    } else if let Some(sig) = st.terminating_signal() {
        t.set("signaled", true)?;
        t.set("status", sig)?;
    } else {
        t.set("status", st.as_raw())?;
    }
    Ok(t)
}

fn signal_of(sig: i64) -> std::result::Result<Signal, i32> {
    i32::try_from(sig)
        .ok()
        .and_then(|s| Signal::try_from(s).ok())
        .ok_or(libc::EINVAL)
}

/// A signal set from Lua integers (`Err(EINVAL)` for a number that is not a signal).
fn sigset(sigs: &[i64]) -> std::result::Result<SigSet, i32> {
    let mut set = SigSet::empty();
    for &s in sigs {
        set.add(signal_of(s)?);
    }
    Ok(set)
}

/// Integer arguments of a variadic call; anything else raises like `luaL_checkinteger`.
fn integers(fname: &str, first: usize, args: &Variadic<Value>) -> Result<Vec<i64>> {
    args.iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Integer(n) => Ok(*n),
            Value::Number(f) if f.fract() == 0.0 && f.is_finite() => Ok(*f as i64),
            _ => Err(mlua::Error::runtime(format!(
                "bad argument #{} to '{fname}' (number expected, got {})",
                first + i,
                v.type_name()
            ))),
        })
        .collect()
}

const SIGNALS: &[(&str, i32)] = &[
    ("SIGABRT", libc::SIGABRT),
    ("SIGALRM", libc::SIGALRM),
    ("SIGBUS", libc::SIGBUS),
    ("SIGCHLD", libc::SIGCHLD),
    ("SIGCONT", libc::SIGCONT),
    ("SIGFPE", libc::SIGFPE),
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGIO", libc::SIGIO),
    ("SIGIOT", libc::SIGIOT),
    ("SIGKILL", libc::SIGKILL),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGPOLL", libc::SIGPOLL),
    ("SIGPROF", libc::SIGPROF),
    ("SIGPWR", libc::SIGPWR),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGSEGV", libc::SIGSEGV),
    ("SIGSTKFLT", libc::SIGSTKFLT),
    ("SIGSYS", libc::SIGSYS),
    ("SIGTERM", libc::SIGTERM),
    ("SIGTRAP", libc::SIGTRAP),
    ("SIGTSTP", libc::SIGTSTP),
    ("SIGTTIN", libc::SIGTTIN),
    ("SIGTTOU", libc::SIGTTOU),
    ("SIGURG", libc::SIGURG),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGVTALRM", libc::SIGVTALRM),
    ("SIGWINCH", libc::SIGWINCH),
    ("SIGXCPU", libc::SIGXCPU),
    ("SIGXFSZ", libc::SIGXFSZ),
];

const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("ENXIO", libc::ENXIO),
    ("E2BIG", libc::E2BIG),
    ("ENOEXEC", libc::ENOEXEC),
    ("EBADF", libc::EBADF),
    ("ECHILD", libc::ECHILD),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("ENOTBLK", libc::ENOTBLK),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EXDEV", libc::EXDEV),
    ("ENODEV", libc::ENODEV),
    ("ENOTDIR", libc::ENOTDIR),
    ("EISDIR", libc::EISDIR),
    ("EINVAL", libc::EINVAL),
    ("ENFILE", libc::ENFILE),
    ("EMFILE", libc::EMFILE),
    ("ENOTTY", libc::ENOTTY),
    ("ETXTBSY", libc::ETXTBSY),
    ("EFBIG", libc::EFBIG),
    ("ENOSPC", libc::ENOSPC),
    ("ESPIPE", libc::ESPIPE),
    ("EROFS", libc::EROFS),
    ("EMLINK", libc::EMLINK),
    ("EPIPE", libc::EPIPE),
    ("EDOM", libc::EDOM),
    ("ERANGE", libc::ERANGE),
    ("EDEADLK", libc::EDEADLK),
    ("ENAMETOOLONG", libc::ENAMETOOLONG),
    ("ENOLCK", libc::ENOLCK),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTEMPTY", libc::ENOTEMPTY),
    ("ELOOP", libc::ELOOP),
    ("EWOULDBLOCK", libc::EWOULDBLOCK),
    ("ENOMSG", libc::ENOMSG),
    ("EIDRM", libc::EIDRM),
    ("ECHRNG", libc::ECHRNG),
    ("EUNATCH", libc::EUNATCH),
    ("ENOCSI", libc::ENOCSI),
    ("EBADE", libc::EBADE),
    ("EBADR", libc::EBADR),
    ("EXFULL", libc::EXFULL),
    ("ENOANO", libc::ENOANO),
    ("EBADRQC", libc::EBADRQC),
    ("EBADSLT", libc::EBADSLT),
    ("EDEADLOCK", libc::EDEADLOCK),
    ("EBFONT", libc::EBFONT),
    ("ENOSTR", libc::ENOSTR),
    ("ENODATA", libc::ENODATA),
    ("ETIME", libc::ETIME),
    ("ENOSR", libc::ENOSR),
    ("ENONET", libc::ENONET),
    ("ENOPKG", libc::ENOPKG),
    ("EREMOTE", libc::EREMOTE),
    ("ENOLINK", libc::ENOLINK),
    ("EADV", libc::EADV),
    ("ESRMNT", libc::ESRMNT),
    ("ECOMM", libc::ECOMM),
    ("EPROTO", libc::EPROTO),
    ("EMULTIHOP", libc::EMULTIHOP),
    ("EDOTDOT", libc::EDOTDOT),
    ("EBADMSG", libc::EBADMSG),
    ("EOVERFLOW", libc::EOVERFLOW),
    ("ENOTUNIQ", libc::ENOTUNIQ),
    ("EBADFD", libc::EBADFD),
    ("EREMCHG", libc::EREMCHG),
    ("ELIBACC", libc::ELIBACC),
    ("ELIBBAD", libc::ELIBBAD),
    ("ELIBSCN", libc::ELIBSCN),
    ("ELIBMAX", libc::ELIBMAX),
    ("ELIBEXEC", libc::ELIBEXEC),
    ("EILSEQ", libc::EILSEQ),
    ("ERESTART", libc::ERESTART),
    ("ESTRPIPE", libc::ESTRPIPE),
    ("EUSERS", libc::EUSERS),
    ("ENOTSOCK", libc::ENOTSOCK),
    ("EDESTADDRREQ", libc::EDESTADDRREQ),
    ("EMSGSIZE", libc::EMSGSIZE),
    ("EPROTOTYPE", libc::EPROTOTYPE),
    ("ENOPROTOOPT", libc::ENOPROTOOPT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("ESOCKTNOSUPPORT", libc::ESOCKTNOSUPPORT),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EPFNOSUPPORT", libc::EPFNOSUPPORT),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EADDRINUSE", libc::EADDRINUSE),
    ("EADDRNOTAVAIL", libc::EADDRNOTAVAIL),
    ("ENETDOWN", libc::ENETDOWN),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ENETRESET", libc::ENETRESET),
    ("ECONNABORTED", libc::ECONNABORTED),
    ("ECONNRESET", libc::ECONNRESET),
    ("ENOBUFS", libc::ENOBUFS),
    ("EISCONN", libc::EISCONN),
    ("ENOTCONN", libc::ENOTCONN),
    ("ESHUTDOWN", libc::ESHUTDOWN),
    ("ETOOMANYREFS", libc::ETOOMANYREFS),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("EHOSTDOWN", libc::EHOSTDOWN),
    ("EHOSTUNREACH", libc::EHOSTUNREACH),
    ("EALREADY", libc::EALREADY),
    ("EINPROGRESS", libc::EINPROGRESS),
    ("ESTALE", libc::ESTALE),
    ("EUCLEAN", libc::EUCLEAN),
    ("ENOTNAM", libc::ENOTNAM),
    ("ENAVAIL", libc::ENAVAIL),
    ("EISNAM", libc::EISNAM),
    ("EREMOTEIO", libc::EREMOTEIO),
    ("EDQUOT", libc::EDQUOT),
    ("ENOMEDIUM", libc::ENOMEDIUM),
    ("EMEDIUMTYPE", libc::EMEDIUMTYPE),
    ("ECANCELED", libc::ECANCELED),
    ("ENOKEY", libc::ENOKEY),
    ("EKEYEXPIRED", libc::EKEYEXPIRED),
    ("EKEYREVOKED", libc::EKEYREVOKED),
    ("EKEYREJECTED", libc::EKEYREJECTED),
    ("EOWNERDEAD", libc::EOWNERDEAD),
    ("ENOTRECOVERABLE", libc::ENOTRECOVERABLE),
    ("ERFKILL", libc::ERFKILL),
    ("EHWPOISON", libc::EHWPOISON),
    // The reference's odd names (spec/sys.md 1.1): ELHLT is assigned twice there, EL2HLT wins.
    ("ELNSYNC", libc::EL2NSYNC),
    ("ELRST", libc::EL3RST),
    ("ELHLT", libc::EL2HLT),
    ("ELNRNG", libc::ELNRNG),
];

/// `get_nprocs()`: online processors, as glibc reads them from sysfs.
fn nprocs() -> i64 {
    fn count(list: &str) -> Option<i64> {
        let mut n = 0;
        for part in list.trim().split(',').filter(|p| !p.is_empty()) {
            n += match part.split_once('-') {
                Some((a, b)) => b.parse::<i64>().ok()? - a.parse::<i64>().ok()? + 1,
                None => {
                    part.parse::<i64>().ok()?;
                    1
                }
            };
        }
        (n > 0).then_some(n)
    }
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|s| count(&s))
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(|n| n.get() as i64)
        })
        .unwrap_or(1)
}

/// `waitpid(pid, WNOHANG|WUNTRACED)` → `pid, status` / `0, {}` / `nil, err`.
fn waitpid(lua: &Lua, pid: i64) -> Result<MultiValue> {
    let target = match pid {
        -1 => None,
        p => match i32::try_from(p).ok().and_then(Pid::from_raw) {
            Some(p) => Some(p),
            None => {
                // 0 and other values: a process group, which rustix names separately.
                let r = match i32::try_from(p) {
                    Ok(0) => rustix::process::waitpgid(
                        rustix::process::getpgrp(),
                        WaitOptions::NOHANG | WaitOptions::UNTRACED,
                    ),
                    Ok(p) if p < -1 => match Pid::from_raw(-p) {
                        Some(g) => rustix::process::waitpgid(
                            g,
                            WaitOptions::NOHANG | WaitOptions::UNTRACED,
                        ),
                        None => Err(rustix::io::Errno::INVAL),
                    },
                    _ => Err(rustix::io::Errno::INVAL),
                };
                return wait_result(lua, r);
            }
        },
    };
    wait_result(
        lua,
        rustix::process::waitpid(target, WaitOptions::NOHANG | WaitOptions::UNTRACED),
    )
}

fn wait_result(lua: &Lua, r: rustix::io::Result<Option<(Pid, WaitStatus)>>) -> Result<MultiValue> {
    match r {
        Ok(Some((pid, st))) => Ok(MultiValue::from_vec(vec![
            Value::Integer(pid.as_raw_nonzero().get() as i64),
            Value::Table(status_table(lua, st)?),
        ])),
        Ok(None) => Ok(MultiValue::from_vec(vec![
            Value::Integer(0),
            Value::Table(lua.create_table()?),
        ])),
        Err(e) => os_fail(lua, e.raw_os_error()),
    }
}

fn pipe() -> std::result::Result<(OwnedFd, OwnedFd), i32> {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| e.raw_os_error())
}

/// Resolves a bare program name through the fixed path of spec/sys.md 2 (ENOEXEC fallback).
fn resolve(cmd: &[u8]) -> Vec<u8> {
    if cmd.contains(&b'/') {
        return cmd.to_vec();
    }
    for dir in ["/bin", "/usr/bin", "/usr/sbin", "/sbin"] {
        let mut p = dir.as_bytes().to_vec();
        p.push(b'/');
        p.extend_from_slice(cmd);
        if std::path::Path::new(OsStr::from_bytes(&p)).is_file() {
            return p;
        }
    }
    cmd.to_vec()
}

/// A Lua string as a C string; like the C reference, it ends at the first NUL byte.
fn cstring(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).unwrap_or_default()
}

/// Everything the child needs, built before the fork so that the child only makes syscalls.
struct ExecPlan {
    prog: CString,
    argv: Vec<CString>,
    env: Option<Vec<CString>>,
    /// `$SHELL` (or `/bin/sh`) and `[shell, resolved path, args...]` for the ENOEXEC fallback.
    shell: CString,
    shell_argv: Vec<CString>,
    cmd: Vec<u8>,
}

impl ExecPlan {
    fn new(argv: &[Vec<u8>], env: Option<&[Vec<u8>]>) -> ExecPlan {
        let argv_c: Vec<CString> = argv.iter().map(|a| cstring(a)).collect();
        let shell = std::env::var_os("SHELL")
            .filter(|s| !s.is_empty())
            .map(|s| cstring(s.as_bytes()))
            .unwrap_or_else(|| c"/bin/sh".to_owned());
        let mut shell_argv = vec![shell.clone(), cstring(&resolve(&argv[0]))];
        shell_argv.extend(argv_c[1..].iter().cloned());
        ExecPlan {
            prog: argv_c[0].clone(),
            argv: argv_c,
            env: env.map(|e| e.iter().map(|kv| cstring(kv)).collect()),
            shell,
            shell_argv,
            cmd: argv[0].clone(),
        }
    }
}

/// A pipe end that is not one of the standard descriptors (so `dup2` onto 1 and 2 cannot clobber
/// it or leave it close-on-exec).
fn above_stdio(fd: &OwnedFd) -> std::result::Result<Option<OwnedFd>, rustix::io::Errno> {
    if fd.as_raw_fd() > 2 {
        Ok(None)
    } else {
        rustix::io::fcntl_dupfd_cloexec(fd, 3).map(Some)
    }
}

/// The forked child: empty signal mask, stdout/stderr on the pipes, exec. On failure, like the
/// reference, `"<cmd>: <OS text>"` goes to the stderr pipe and the child exits with 127 (through a
/// tiny shell, so that nothing of the parent's state, such as buffered stdio, runs here).
fn exec_child(plan: &ExecPlan, out_w: &OwnedFd, err_w: &OwnedFd) -> ! {
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    let out_hi = above_stdio(out_w).ok().flatten();
    let err_hi = above_stdio(err_w).ok().flatten();
    let _ = rustix::stdio::dup2_stdout(out_hi.as_ref().unwrap_or(out_w));
    let _ = rustix::stdio::dup2_stderr(err_hi.as_ref().unwrap_or(err_w));
    let run = |prog: &CStr, argv: &[CString]| -> nix::errno::Errno {
        let r = match &plan.env {
            Some(env) => nix::unistd::execvpe(prog, argv, env),
            None => nix::unistd::execvp(prog, argv),
        };
        match r {
            Ok(never) => match never {},
            Err(e) => e,
        }
    };
    let mut errno = run(&plan.prog, &plan.argv);
    if errno == nix::errno::Errno::ENOEXEC {
        // Not an executable format (musl's execvp does not retry): run it through the shell.
        errno = run(&plan.shell, &plan.shell_argv);
    }
    let mut msg = plan.cmd.clone();
    msg.extend_from_slice(b": ");
    msg.extend_from_slice(eco_abi::strerror(errno as i32).as_bytes());
    let msg = cstring(&msg);
    let report = [
        c"sh".to_owned(),
        c"-c".to_owned(),
        c"printf '%s' \"$0\" >&2; exit 127".to_owned(),
        msg.clone(),
    ];
    let _ = nix::unistd::execv(c"/bin/sh", &report);
    let _ = rustix::io::write(rustix::stdio::stderr(), msg.as_bytes());
    std::process::exit(127)
}

/// `spawn_exec(argv, env|nil)` → `pid, stdout_fd, stderr_fd` | `nil, err` (spec/sys.md 2).
///
/// `std::process::Command` cannot be used: it leaves the signal mask of the parent in the child
/// (spec: signals blocked by `sys.signal` must not be blocked in the child), and a temporary
/// unblock in the parent would let a pending signal take its default action.
fn spawn_exec(lua: &Lua, argv: Vec<LuaString>, env: Option<Vec<LuaString>>) -> Result<MultiValue> {
    let argv: Vec<Vec<u8>> = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
    if argv.is_empty() {
        return os_fail(lua, libc::EINVAL);
    }
    let env: Option<Vec<Vec<u8>>> = env.map(|e| e.iter().map(|s| s.as_bytes().to_vec()).collect());
    let plan = ExecPlan::new(&argv, env.as_deref());
    let (out_r, out_w) = match pipe() {
        Ok(p) => p,
        Err(e) => return os_fail(lua, e),
    };
    let (err_r, err_w) = match pipe() {
        Ok(p) => p,
        Err(e) => return os_fail(lua, e),
    };
    match eco_os::fork() {
        Err(e) => os_fail(lua, e),
        Ok(eco_os::Fork::Child) => exec_child(&plan, &out_w, &err_w),
        Ok(eco_os::Fork::Parent(pid)) => {
            drop(out_w);
            drop(err_w);
            Ok(MultiValue::from_vec(vec![
                Value::Integer(pid as i64),
                Value::Integer(out_r.into_raw_fd() as i64),
                Value::Integer(err_r.into_raw_fd() as i64),
            ]))
        }
    }
}

fn public(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("SIG_BLOCK", libc::SIG_BLOCK)?;
    t.set("SIG_UNBLOCK", libc::SIG_UNBLOCK)?;
    t.set("SIG_SETMASK", libc::SIG_SETMASK)?;
    t.set("PR_SET_PDEATHSIG", libc::PR_SET_PDEATHSIG)?;
    for (name, v) in SIGNALS.iter().chain(ERRNOS) {
        t.set(*name, *v)?;
    }

    t.set(
        "uptime",
        eco_util::function(lua, |_, ()| Ok(rustix::system::sysinfo().uptime as i64))?,
    )?;
    t.set(
        "getpid",
        eco_util::function(lua, |_, ()| {
            Ok(rustix::process::getpid().as_raw_nonzero().get() as i64)
        })?,
    )?;
    t.set(
        "getppid",
        eco_util::function(lua, |_, ()| {
            Ok(rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get() as i64))
        })?,
    )?;
    t.set("get_nprocs", eco_util::function(lua, |_, ()| Ok(nprocs()))?)?;
    t.set(
        "strerror",
        eco_util::function(lua, |_, e: i64| {
            let e = i32::try_from(e).unwrap_or(i32::MAX);
            Ok(eco_abi::strerror(e))
        })?,
    )?;
    t.set(
        "kill",
        eco_util::function(lua, |lua, (pid, sig): (i64, i64)| {
            let Ok(pid) = i32::try_from(pid) else {
                return os_fail(lua, libc::ESRCH);
            };
            let sig = if sig == 0 {
                None
            } else {
                match signal_of(sig) {
                    Ok(s) => Some(s),
                    Err(e) => return os_fail(lua, e),
                }
            };
            match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig) {
                Ok(()) => ok_true(),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;
    t.set(
        "waitpid",
        eco_util::function(lua, |lua, pid: i64| waitpid(lua, pid))?,
    )?;
    t.set(
        "fork",
        eco_util::function(lua, |lua, ()| match eco_os::fork() {
            Ok(eco_os::Fork::Parent(pid)) => one(Value::Integer(pid as i64)),
            Ok(eco_os::Fork::Child) => one(Value::Integer(0)),
            Err(e) => os_fail(lua, e),
        })?,
    )?;
    t.set(
        "prctl",
        eco_util::function(lua, |lua, (option, arg): (i64, Value)| {
            if option != libc::PR_SET_PDEATHSIG as i64 {
                return fail(lua, "unsupported option");
            }
            let sig = match arg {
                Value::Integer(n) => n,
                Value::Number(f) if f.fract() == 0.0 && f.is_finite() => f as i64,
                other => {
                    return Err(mlua::Error::runtime(format!(
                        "bad argument #2 to 'prctl' (number expected, got {})",
                        other.type_name()
                    )))
                }
            };
            let sig = if sig == 0 {
                None
            } else {
                match i32::try_from(sig)
                    .ok()
                    .and_then(rustix::process::Signal::from_named_raw)
                {
                    Some(s) => Some(s),
                    None => return os_fail(lua, libc::EINVAL),
                }
            };
            match rustix::process::set_parent_process_death_signal(sig) {
                Ok(()) => ok_true(),
                Err(e) => os_fail(lua, e.raw_os_error()),
            }
        })?,
    )?;
    t.set(
        "getpwnam",
        eco_util::function(lua, |lua, name: LuaString| {
            let Ok(name) = std::str::from_utf8(&name.as_bytes()).map(str::to_owned) else {
                return fail(lua, "not found"); // no passwd entry has such a name
            };
            match nix::unistd::User::from_name(&name) {
                Ok(Some(u)) => {
                    let t = lua.create_table()?;
                    t.set("username", u.name)?;
                    t.set("password", lua.create_string(u.passwd.as_bytes())?)?;
                    t.set("uid", u.uid.as_raw() as i64)?;
                    t.set("gid", u.gid.as_raw() as i64)?;
                    t.set("home", lua.create_string(u.dir.as_os_str().as_bytes())?)?;
                    t.set("shell", lua.create_string(u.shell.as_os_str().as_bytes())?)?;
                    one(Value::Table(t))
                }
                Ok(None) => fail(lua, "not found"),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;
    t.set(
        "sigprocmask",
        eco_util::function(lua, |lua, (how, rest): (i64, Variadic<Value>)| {
            let sigs = integers("sigprocmask", 2, &rest)?;
            let how = match i32::try_from(how).unwrap_or(-1) {
                libc::SIG_BLOCK => SigmaskHow::SIG_BLOCK,
                libc::SIG_UNBLOCK => SigmaskHow::SIG_UNBLOCK,
                libc::SIG_SETMASK => SigmaskHow::SIG_SETMASK,
                _ => return os_fail(lua, libc::EINVAL),
            };
            let set = match sigset(&sigs) {
                Ok(s) => s,
                Err(e) => return os_fail(lua, e),
            };
            match nix::sys::signal::sigprocmask(how, Some(&set), None) {
                Ok(()) => ok_true(),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;
    t.set(
        "signalfd",
        eco_util::function(lua, |lua, args: Variadic<Value>| {
            if args.is_empty() {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'signalfd' (invalid argument)",
                ));
            }
            let sigs = integers("signalfd", 1, &args)?;
            let set = match sigset(&sigs) {
                Ok(s) => s,
                Err(e) => return os_fail(lua, e),
            };
            use nix::sys::signalfd::SfdFlags;
            #[allow(deprecated)] // the only nix call that hands back the OwnedFd itself
            let r = nix::sys::signalfd::signalfd(
                None::<OwnedFd>,
                &set,
                SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC,
            );
            match r {
                Ok(fd) => one(Value::Integer(fd.into_raw_fd() as i64)),
                Err(e) => os_fail(lua, e as i32),
            }
        })?,
    )?;
    Ok(t)
}

fn private(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "spawn_exec",
        eco_util::function(
            lua,
            |lua, (argv, env): (Vec<LuaString>, Option<Vec<LuaString>>)| spawn_exec(lua, argv, env),
        )?,
    )?;
    t.set(
        "pidfd_open",
        eco_util::function(lua, |lua, pid: i64| {
            let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
                return os_fail(lua, libc::EINVAL);
            };
            match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK) {
                Ok(fd) => one(Value::Integer(fd.into_raw_fd() as i64)),
                Err(e) => os_fail(lua, e.raw_os_error()),
            }
        })?,
    )?;
    t.set(
        "close",
        eco_util::function(lua, |lua, fd: i64| {
            match eco_abi::checked_fd(fd).and_then(eco_abi::close_fd) {
                Ok(()) => ok_true(),
                Err(e) => os_fail(lua, e),
            }
        })?,
    )?;
    t.set("monotonic", eco_util::monotonic_function(lua)?)?;
    let (park, wake) = eco_abi::Sched::get(lua)?.park_functions(lua)?;
    t.set("park", park)?;
    t.set("wake", wake)?;
    t.set("WOKEN", eco_abi::WAIT_WOKEN)?;
    Ok(t)
}

/// Opens the module: the Lua part receives the public native table and the private helpers.
pub fn open(lua: &Lua) -> Result<Value> {
    let public = public(lua)?;
    let private = private(lua)?;
    lua.load(LUA_SOURCE.text())
        .set_name("@eco/sys.lua")
        .call((public, private))
}

#[cfg(feature = "module")]
#[mlua::lua_module(name = "eco_sys")]
fn eco_sys(lua: &Lua) -> Result<Value> {
    open(lua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_errno_names_keep_the_reference_values() {
        let get = |n: &str| ERRNOS.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        assert_eq!(get("ELHLT"), Some(51));
        assert_eq!(get("ELNSYNC"), Some(45));
        assert_eq!(get("ELRST"), Some(47));
        assert_eq!(get("ELNRNG"), Some(48));
        assert_eq!(get("EWOULDBLOCK"), get("EAGAIN"));
        assert_eq!(get("EDEADLOCK"), get("EDEADLK"));
    }

    #[test]
    fn resolve_searches_the_fixed_path() {
        assert_eq!(resolve(b"./x"), b"./x".to_vec());
        assert_eq!(resolve(b"sh"), b"/bin/sh".to_vec());
    }

    #[test]
    fn nprocs_is_positive() {
        assert!(nprocs() >= 1);
    }
}
