//! Thin wrappers over the syscalls the core needs. Each returns `Err(errno)` on failure.

use std::ffi::CStr;

pub type SysResult<T> = Result<T, i32>;

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

#[allow(clippy::unnecessary_cast)] // time_t is 32-bit on some router targets
fn clock_ns(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; both clocks used here exist on Linux >= 2.6.32.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

/// Monotonic clock in nanoseconds.
pub fn now_ns() -> i64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// CLOCK_MONOTONIC_COARSE (vDSO, no TSC read; a few ms of resolution): for budgets such as the
/// 300 ms fairness slice, checked on every I/O call.
pub fn coarse_now_ns() -> i64 {
    clock_ns(libc::CLOCK_MONOTONIC_COARSE)
}

/// The thread's timer slack (`PR_GET_TIMERSLACK`), read only: it is process-wide state of the
/// host program. 50 us when it cannot be read.
pub fn timer_slack_ns() -> i64 {
    // SAFETY: PR_GET_TIMERSLACK takes no pointer and returns the value.
    let r = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
    if r > 0 {
        r as i64
    } else {
        50_000
    }
}

pub fn epoll_create() -> SysResult<i32> {
    // SAFETY: plain syscall without pointers.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

pub fn epoll_ctl(ep: i32, op: i32, fd: i32, events: u32, data: u64) -> SysResult<()> {
    let mut ev = libc::epoll_event { events, u64: data };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    let r = unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// Waits for events; `timeout_ns < 0` blocks indefinitely. Uses epoll_pwait2 for sub-millisecond
/// timeouts where the kernel has it, else epoll_wait with the timeout rounded up to 1 ms.
pub fn epoll_wait(
    ep: i32,
    events: &mut [libc::epoll_event],
    timeout_ns: i64,
    have_pwait2: &mut bool,
) -> SysResult<usize> {
    let max = events.len() as i32;
    if *have_pwait2 && timeout_ns >= 0 {
        let ts = libc::timespec {
            tv_sec: (timeout_ns / 1_000_000_000) as _,
            tv_nsec: (timeout_ns % 1_000_000_000) as _,
        };
        // SAFETY: `events` has `max` slots, `ts` outlives the call, no signal mask is passed.
        let r = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                ep,
                events.as_mut_ptr(),
                max,
                &ts as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = errno();
        if e != libc::ENOSYS {
            return Err(e);
        }
        *have_pwait2 = false;
    }
    let ms = if timeout_ns < 0 {
        -1
    } else {
        ((timeout_ns + 999_999) / 1_000_000).min(i32::MAX as i64) as i32
    };
    // SAFETY: `events` has `max` writable slots.
    let r = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), max, ms) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r as usize)
    }
}

pub fn eventfd() -> SysResult<i32> {
    // SAFETY: plain syscall.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

pub fn close(fd: i32) {
    // SAFETY: closing an fd we own; errors are irrelevant here.
    unsafe { libc::close(fd) };
}

pub fn set_nonblock(fd: i32) -> SysResult<()> {
    // SAFETY: fcntl on an arbitrary integer fd is memory-safe; it fails with EBADF if invalid.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl < 0 {
            return Err(errno());
        }
        if fl & libc::O_NONBLOCK == 0 && libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
            return Err(errno());
        }
    }
    Ok(())
}

pub fn is_socket(fd: i32) -> bool {
    // SAFETY: `st` is a valid out-pointer; zeroed stat is a valid initial value.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFSOCK
    }
}

/// What a descriptor is, for the reader's and writer's choice of syscalls.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FdKind {
    /// recv/send (no VFS layer, like nginx); `stream`: SOCK_STREAM.
    Socket {
        stream: bool,
    },
    Pipe,
    Other,
}

impl FdKind {
    /// A read returning less than asked for means the descriptor was drained at that moment
    /// (not so for datagrams, files or devices).
    pub fn byte_stream(self) -> bool {
        matches!(self, FdKind::Socket { stream: true } | FdKind::Pipe)
    }
}

pub fn fd_kind(fd: i32) -> FdKind {
    // SAFETY: `st`, `ty` and `len` are valid out-pointers of the sizes passed.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return FdKind::Other;
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFIFO => FdKind::Pipe,
            libc::S_IFSOCK => {
                let mut ty: libc::c_int = 0;
                let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
                let ok = libc::getsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_TYPE,
                    &mut ty as *mut libc::c_int as *mut libc::c_void,
                    &mut len,
                ) == 0;
                FdKind::Socket {
                    stream: ok && ty == libc::SOCK_STREAM,
                }
            }
            _ => FdKind::Other,
        }
    }
}

/// read(2), retrying EINTR.
pub fn read(fd: i32, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: `buf` is valid for `buf.len()` writable bytes.
    unsafe { read_raw(fd, buf.as_mut_ptr(), buf.len(), &mut false) }
}

/// read(2) into possibly uninitialised memory, retrying EINTR.
///
/// # Safety
/// `dst` must be valid for `len` writable bytes.
/// `socket`: use recv(2); cleared (and the read retried with read(2)) on ENOTSOCK, when the fd
/// number names something else by now (dup2).
pub unsafe fn read_raw(fd: i32, dst: *mut u8, len: usize, socket: &mut bool) -> SysResult<usize> {
    loop {
        // SAFETY: see the function's contract.
        let r = unsafe {
            if *socket {
                libc::recv(fd, dst.cast(), len, 0)
            } else {
                libc::read(fd, dst.cast(), len)
            }
        };
        if r >= 0 {
            return Ok(r as usize);
        }
        match errno() {
            libc::EINTR => {}
            libc::ENOTSOCK if *socket => *socket = false,
            e => return Err(e),
        }
    }
}

/// write(2), retrying EINTR.
pub fn write(fd: i32, buf: &[u8]) -> SysResult<usize> {
    write_to(fd, buf, &mut false)
}

/// send(2) without SIGPIPE while `socket`, else write(2), retrying EINTR. `socket` is cleared
/// (and the write retried) on ENOTSOCK: callers may start optimistic.
pub fn write_to(fd: i32, buf: &[u8], socket: &mut bool) -> SysResult<usize> {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` readable bytes.
        let r = unsafe {
            if *socket {
                libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL)
            } else {
                libc::write(fd, buf.as_ptr().cast(), buf.len())
            }
        };
        if r >= 0 {
            return Ok(r as usize);
        }
        match errno() {
            libc::EINTR => {}
            libc::ENOTSOCK if *socket => *socket = false,
            e => return Err(e),
        }
    }
}

pub fn open_rdonly(path: &CStr) -> SysResult<i32> {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

/// sendfile(2) from `in_fd` at `*off`, retrying EINTR.
pub fn sendfile(out_fd: i32, in_fd: i32, off: &mut i64, count: usize) -> SysResult<usize> {
    loop {
        let mut o = *off as libc::off_t;
        // SAFETY: `o` is a valid in/out offset pointer.
        let r = unsafe { libc::sendfile(out_fd, in_fd, &mut o, count) };
        if r >= 0 {
            *off = o as i64;
            return Ok(r as usize);
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

pub fn getpid() -> i32 {
    // SAFETY: plain syscall.
    unsafe { libc::getpid() }
}

/// One non-blocking `waitpid(-1, WNOHANG|WUNTRACED)`.
pub fn reap_one() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG | libc::WUNTRACED) };
    if pid > 0 {
        Some((pid, status))
    } else {
        None
    }
}
