//! Minimal single-threaded epoll TCP echo server: the ceiling the Lua server is compared with.
//!
//! usage: echo-native PORT

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

use rustix::event::epoll;

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("usage: echo-native PORT");
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
    listener.set_nonblocking(true).unwrap();
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC).unwrap();
    epoll::add(
        &ep,
        listener.as_fd(),
        epoll::EventData::new_u64(u64::MAX),
        epoll::EventFlags::IN,
    )
    .unwrap();
    let mut conns: HashMap<u64, TcpStream> = HashMap::new();
    let mut next = 0u64;
    let mut buf = vec![0u8; 65536];
    let mut events: Vec<epoll::Event> = Vec::with_capacity(1024);
    loop {
        events.clear();
        epoll::wait(&ep, rustix::buffer::spare_capacity(&mut events), None).unwrap();
        for ev in events.iter() {
            let key = ev.data.u64();
            if key == u64::MAX {
                while let Ok((s, _)) = listener.accept() {
                    s.set_nonblocking(true).unwrap();
                    s.set_nodelay(true).ok();
                    epoll::add(
                        &ep,
                        s.as_fd(),
                        epoll::EventData::new_u64(next),
                        epoll::EventFlags::IN,
                    )
                    .unwrap();
                    conns.insert(next, s);
                    next += 1;
                }
                continue;
            }
            let mut close = false;
            if let Some(s) = conns.get_mut(&key) {
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => {
                            close = true;
                            break;
                        }
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                close = true;
                                break;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(_) => {
                            close = true;
                            break;
                        }
                    }
                }
            }
            if close {
                if let Some(s) = conns.remove(&key) {
                    let _ = epoll::delete(&ep, s.as_fd());
                }
            }
        }
    }
}
