//! The few Linux syscalls that no safe crate covers, behind a safe API, so that module crates can
//! keep `#![forbid(unsafe_code)]`.
//!
//! Socket addresses cross this API as raw `sockaddr` bytes: module crates encode and decode them
//! (plain byte manipulation, unit-tested there), and this crate only hands the bytes to the kernel.
//! Every function returns `Err(errno)` on failure.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

pub type SysResult<T> = Result<T, i32>;

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(r: libc::c_int) -> SysResult<libc::c_int> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// Largest `sockaddr` the kernel hands back (`sockaddr_storage`).
const ADDR_MAX: usize = std::mem::size_of::<libc::sockaddr_storage>();

/// Reads a kernel-filled address into a byte vector of the reported length.
fn addr_bytes(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Vec<u8> {
    let len = (len as usize).min(ADDR_MAX);
    // SAFETY: `storage` is a plain-old-data struct of ADDR_MAX bytes and `len <= ADDR_MAX`.
    let bytes = unsafe { std::slice::from_raw_parts(storage as *const _ as *const u8, len) };
    bytes.to_vec()
}

/// Copies caller-encoded address bytes into an aligned `sockaddr_storage`.
fn to_storage(addr: &[u8]) -> SysResult<(libc::sockaddr_storage, libc::socklen_t)> {
    if addr.len() < 2 || addr.len() > ADDR_MAX {
        return Err(libc::EINVAL);
    }
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    // SAFETY: `addr.len() <= ADDR_MAX`, the size of `st`; the regions do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(addr.as_ptr(), &mut st as *mut _ as *mut u8, addr.len())
    };
    Ok((st, addr.len() as libc::socklen_t))
}

/// `bind(2)` with raw address bytes.
pub fn bind(fd: BorrowedFd, addr: &[u8]) -> SysResult<()> {
    let (st, len) = to_storage(addr)?;
    // SAFETY: `st` holds `len` valid bytes of address.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &st as *const _ as *const libc::sockaddr,
            len,
        )
    })
    .map(drop)
}

/// `connect(2)` with raw address bytes (`EINPROGRESS` is returned as an error, as the kernel does).
pub fn connect(fd: BorrowedFd, addr: &[u8]) -> SysResult<()> {
    let (st, len) = to_storage(addr)?;
    loop {
        // SAFETY: `st` holds `len` valid bytes of address.
        let r = unsafe {
            libc::connect(
                fd.as_raw_fd(),
                &st as *const _ as *const libc::sockaddr,
                len,
            )
        };
        match check(r) {
            Err(libc::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// `sendto(2)` with raw address bytes (`None`: plain `send`). `MSG_NOSIGNAL` is always set.
pub fn sendto(fd: BorrowedFd, data: &[u8], addr: Option<&[u8]>) -> SysResult<usize> {
    let st = addr.map(to_storage).transpose()?;
    loop {
        let (p, len) = match &st {
            Some((st, len)) => (st as *const _ as *const libc::sockaddr, *len),
            None => (std::ptr::null(), 0),
        };
        // SAFETY: `data` is valid for its length; `p` is null or points at `len` address bytes.
        let r = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                data.as_ptr().cast(),
                data.len(),
                libc::MSG_NOSIGNAL,
                p,
                len,
            )
        };
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

/// `recvfrom(2)` into `buf`: bytes received and the sender's raw address (may be empty).
/// `MSG_TRUNC` is not set, so a longer datagram is truncated to `buf`.
pub fn recvfrom(fd: BorrowedFd, buf: &mut [u8]) -> SysResult<(usize, Vec<u8>)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    loop {
        let mut len = ADDR_MAX as libc::socklen_t;
        // SAFETY: `buf` is writable for its length; `st`/`len` describe a writable address buffer.
        let r = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                &mut st as *mut _ as *mut libc::sockaddr,
                &mut len,
            )
        };
        if r >= 0 {
            return Ok((r as usize, addr_bytes(&st, len)));
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

/// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`: the new socket and the peer's raw address.
pub fn accept(fd: BorrowedFd) -> SysResult<(OwnedFd, Vec<u8>)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    loop {
        let mut len = ADDR_MAX as libc::socklen_t;
        // SAFETY: `st`/`len` describe a writable address buffer.
        let r = unsafe {
            libc::accept4(
                fd.as_raw_fd(),
                &mut st as *mut _ as *mut libc::sockaddr,
                &mut len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        match check(r) {
            // SAFETY: accept4 returned a new descriptor that nothing else owns.
            Ok(nfd) => return Ok((unsafe { OwnedFd::from_raw_fd(nfd) }, addr_bytes(&st, len))),
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn name_query(
    fd: BorrowedFd,
    f: unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int,
) -> SysResult<Vec<u8>> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = ADDR_MAX as libc::socklen_t;
    // SAFETY: `st`/`len` describe a writable address buffer.
    check(unsafe {
        f(
            fd.as_raw_fd(),
            &mut st as *mut _ as *mut libc::sockaddr,
            &mut len,
        )
    })?;
    Ok(addr_bytes(&st, len))
}

/// `getsockname(2)`: raw address bytes.
pub fn getsockname(fd: BorrowedFd) -> SysResult<Vec<u8>> {
    name_query(fd, libc::getsockname)
}

/// `getpeername(2)`: raw address bytes.
pub fn getpeername(fd: BorrowedFd) -> SysResult<Vec<u8>> {
    name_query(fd, libc::getpeername)
}

/// `setsockopt(2)` with a raw option value.
pub fn setsockopt(fd: BorrowedFd, level: i32, name: i32, value: &[u8]) -> SysResult<()> {
    // SAFETY: `value` is valid for its length.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `getsockopt(2)` of an `int` option.
pub fn getsockopt_int(fd: BorrowedFd, level: i32, name: i32) -> SysResult<i32> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v`/`len` describe a writable int.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(v)
}

/// `ioctl(TIOCOUTQ)`: the number of bytes in a terminal's output queue, not yet sent by the
/// driver (always 0 on a pseudo-terminal, whose writes go straight to the other side).
pub fn tiocoutq(fd: BorrowedFd) -> SysResult<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one `int` through the pointer, which points to `n`.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut n as *mut libc::c_int) })?;
    Ok(n.max(0) as usize)
}

/// `ioctl(TUNSETIFF)`: attaches a `/dev/net/tun` descriptor to interface `name` (may be empty or
/// hold a `%d` template) with `flags`; returns the interface's actual name.
pub fn tun_set_iff(fd: BorrowedFd, name: &[u8], flags: i16) -> SysResult<Vec<u8>> {
    if name.len() >= libc::IFNAMSIZ {
        return Err(libc::EINVAL);
    }
    // SAFETY: all-zero is a valid ifreq.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    ifr.ifr_ifru.ifru_flags = flags;
    // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `ifr` is.
    check(unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::TUNSETIFF as _,
            &mut ifr as *mut libc::ifreq,
        )
    })?;
    Ok(ifr
        .ifr_name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect())
}

/// Result of [`fork`].
pub enum Fork {
    Parent(i32),
    Child,
}

/// `fork(2)`. The child of a single-threaded process (the eco runtime is one) may go on running
/// ordinary code; in a multi-threaded process only async-signal-safe calls are allowed in the
/// child, which the caller must ensure.
pub fn fork() -> SysResult<Fork> {
    // SAFETY: fork itself touches no memory of ours; see the function's contract above.
    match unsafe { libc::fork() } {
        -1 => Err(errno()),
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn udp() -> OwnedFd {
        // SAFETY: test helper; socket returns a new fd we own.
        unsafe {
            OwnedFd::from_raw_fd(libc::socket(
                libc::AF_INET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                0,
            ))
        }
    }

    fn loopback(port: u16) -> Vec<u8> {
        let mut a = vec![0u8; 16];
        a[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        a[2..4].copy_from_slice(&port.to_be_bytes());
        a[4..8].copy_from_slice(&[127, 0, 0, 1]);
        a
    }

    #[test]
    fn udp_round_trip_with_raw_addresses() {
        let a = udp();
        let b = udp();
        bind(b.as_fd(), &loopback(0)).unwrap();
        let name = getsockname(b.as_fd()).unwrap();
        assert_eq!(name.len(), 16);
        let port = u16::from_be_bytes([name[2], name[3]]);
        assert_eq!(sendto(a.as_fd(), b"hi", Some(&loopback(port))).unwrap(), 2);
        let mut buf = [0u8; 8];
        let (n, from) = recvfrom(b.as_fd(), &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi");
        assert_eq!(&from[4..8], &[127, 0, 0, 1]);
        assert_eq!(
            getsockopt_int(a.as_fd(), libc::SOL_SOCKET, libc::SO_ERROR).unwrap(),
            0
        );
    }

    #[test]
    fn bad_address_lengths_are_refused() {
        let a = udp();
        assert_eq!(bind(a.as_fd(), &[1]), Err(libc::EINVAL));
        assert_eq!(bind(a.as_fd(), &[0u8; 1000]), Err(libc::EINVAL));
        assert_eq!(getpeername(a.as_fd()), Err(libc::ENOTCONN));
    }
}
