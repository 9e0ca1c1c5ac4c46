//! TCP echo load client: N connections, each sending a fixed-size message and waiting for the
//! echo before sending the next, for a fixed time, on one thread with epoll.
//!
//! usage: echo-client PORT [CONNS=100] [SECONDS=10] [SIZE=64]
//!        echo-client PORT idle CONNS [SECONDS]   (open CONNS connections and hold them idle)
//! Prints `round_trips N` and `round_trips_per_s X`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::epoll;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .expect("usage: echo-client PORT ...");
    if args.get(2).map(String::as_str) == Some("idle") {
        let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10_000);
        let secs: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            conns.push(TcpStream::connect(("127.0.0.1", port)).expect("connect"));
        }
        println!("idle_connections {}", conns.len());
        std::thread::sleep(Duration::from_secs(secs));
        return;
    }
    let nconn: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let secs: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let size: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(64);

    let ep = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll");
    let msg = vec![b'x'; size];
    let mut conns = Vec::with_capacity(nconn);
    for i in 0..nconn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).ok();
        s.set_nonblocking(true).unwrap();
        epoll::add(
            &ep,
            s.as_fd(),
            epoll::EventData::new_u64(i as u64),
            epoll::EventFlags::IN,
        )
        .unwrap();
        conns.push((s, 0usize));
    }
    for (s, _) in conns.iter_mut() {
        s.write_all(&msg).unwrap();
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut round_trips: u64 = 0;
    let mut buf = vec![0u8; 65536];
    let mut events: Vec<epoll::Event> = Vec::with_capacity(1024);
    while Instant::now() < deadline {
        events.clear();
        epoll::wait(
            &ep,
            rustix::buffer::spare_capacity(&mut events),
            Some(&rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: 100_000_000,
            }),
        )
        .unwrap();
        for ev in events.iter() {
            let i = ev.data.u64() as usize;
            let (s, got) = &mut conns[i];
            loop {
                match s.read(&mut buf) {
                    Ok(0) => panic!("server closed connection {i}"),
                    Ok(n) => {
                        *got += n;
                        while *got >= size {
                            *got -= size;
                            round_trips += 1;
                            s.write_all(&msg).unwrap();
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
        }
    }
    let dt = start.elapsed().as_secs_f64();
    println!("round_trips {round_trips}");
    println!("round_trips_per_s {:.0}", round_trips as f64 / dt);
}
