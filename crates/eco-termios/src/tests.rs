use super::*;

#[test]
fn speeds_are_the_libc_codes() {
    assert_eq!(baud_of(libc::B9600 as i64), Some(9600));
    assert_eq!(baud_of(libc::B115200 as i64), Some(115_200));
    assert_eq!(baud_of(123_456), None);
    assert_eq!(baud_of(-1), None);
    // Every code is known to nix (set_speed accepts exactly these) and they are distinct.
    for &(name, code, _) in SPEEDS {
        assert!(BaudRate::try_from(code).is_ok(), "{name}");
        assert_eq!(SPEEDS.iter().filter(|s| s.1 == code).count(), 1, "{name}");
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn generic_linux_values() {
    let c: std::collections::HashMap<_, _> = constants().into_iter().collect();
    for (k, v) in [
        ("B115200", 4098),
        ("VMIN", 6),
        ("VTIME", 5),
        ("ECHO", 8),
        ("TCSANOW", 0),
        ("CBAUD", 0x100f),
        ("CIBAUD", 0x100f0000),
        ("CRTSCTS", 0x80000000),
        ("NCCS", 32),
        ("CS8", 0x30),
    ] {
        assert_eq!(c[k], v, "{k}");
    }
}

/// A real `struct termios` (from a new pty: the libcs name the speed fields differently) with the
/// flag fields and `c_cc` cleared.
fn zeroed() -> libc::termios {
    let (_m, s, _) = openpty().expect("openpty");
    let mut t: libc::termios = nt::tcgetattr(&s).expect("tcgetattr on a pty").into();
    t.c_iflag = 0;
    t.c_oflag = 0;
    t.c_cflag = 0;
    t.c_lflag = 0;
    t.c_cc = [0; libc::NCCS];
    t
}

#[test]
fn openpty_gives_a_tty_pair() {
    let (m, s, name) = openpty().unwrap();
    assert!(nt::tcgetattr(&m).is_ok() && nt::tcgetattr(&s).is_ok());
    assert!(name.starts_with(b"/dev/pts/"), "{name:?}");
    for fd in [m.as_fd(), s.as_fd()] {
        let fl = rustix::fs::fcntl_getfl(fd).unwrap();
        assert!(fl.contains(rustix::fs::OFlags::NONBLOCK));
        let fdfl = rustix::io::fcntl_getfd(fd).unwrap();
        assert!(fdfl.contains(rustix::io::FdFlags::CLOEXEC));
    }
    assert_eq!(eco_os::tiocoutq(s.as_fd()), Ok(0));
}

#[test]
fn speed_setters_follow_the_libc() {
    let mut t = zeroed();
    set_speed(&mut t, libc::B9600 as i64, Which::Both).unwrap();
    assert_eq!(ospeed(&t), libc::B9600);
    assert_eq!(ispeed(&t), libc::B9600);
    set_speed(&mut t, libc::B115200 as i64, Which::Out).unwrap();
    assert_eq!(ospeed(&t), libc::B115200);
    assert_eq!(set_speed(&mut t, 123_456, Which::Both), Err(Errno::EINVAL));
    assert_eq!(set_speed(&mut t, -1, Which::In), Err(Errno::EINVAL));
    assert_eq!(set_speed(&mut t, 1 << 40, Which::Out), Err(Errno::EINVAL));
    assert_eq!(ospeed(&t), libc::B115200, "a refused speed changes nothing");
}

#[test]
fn unnamed_flag_bits_survive_the_libc_calls() {
    // nix has no name for IUCLC, OFILL or XCASE: they must still reach the libc.
    let mut t = zeroed();
    t.c_iflag = libc::IUCLC | libc::IXON;
    t.c_oflag = libc::OFILL;
    t.c_lflag = libc::XCASE | libc::ECHO;
    t.c_cc[20] = 7;
    set_speed(&mut t, libc::B2400 as i64, Which::Both).unwrap();
    assert_eq!(
        t.c_iflag & (libc::IUCLC | libc::IXON),
        libc::IUCLC | libc::IXON
    );
    assert_eq!(t.c_oflag, libc::OFILL);
    assert_eq!(t.c_lflag, libc::XCASE | libc::ECHO);
    assert_eq!(t.c_cc[20], 7);
    let n = to_nix(&t);
    let back: libc::termios = n.into();
    assert_eq!(back.c_iflag & libc::IUCLC, libc::IUCLC);
}

#[test]
fn flag_field_by_first_character() {
    let mut t = zeroed();
    *flag_field(&mut t, b"input").unwrap() = 1;
    *flag_field(&mut t, b"o").unwrap() = 2;
    *flag_field(&mut t, b"cflag").unwrap() = 3;
    *flag_field(&mut t, b"local").unwrap() = 4;
    assert_eq!((t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag), (1, 2, 3, 4));
    assert!(flag_field(&mut t, b"x").is_none());
    assert!(flag_field(&mut t, b"").is_none());
    assert!(flag_field(&mut t, b"I").is_none());
}

#[test]
fn drain_delays() {
    let mut t = zeroed();
    set_speed(&mut t, libc::B9600 as i64, Which::Both).unwrap();
    t.c_cflag |= libc::CS8;
    // 8N1: 10 bits a character.
    let ct = char_time(&t).unwrap();
    assert!((ct - 10.0 / 9600.0).abs() < 1e-12);
    t.c_cflag |= libc::PARENB | libc::CSTOPB;
    assert!((char_time(&t).unwrap() - 12.0 / 9600.0).abs() < 1e-12);
    assert_eq!(drain_delay(1, Some(10.0 / 115_200.0)), 0.001);
    assert!((drain_delay(1, Some(ct)) - ct).abs() < 1e-12);
    assert!((drain_delay(20, Some(ct)) - 20.0 * ct).abs() < 1e-12);
    assert_eq!(drain_delay(100_000, Some(ct)), 0.05);
    assert_eq!(drain_delay(3, None), 0.05);
    set_speed(&mut t, libc::B0 as i64, Which::Both).unwrap();
    assert_eq!(char_time(&t), None);
}
