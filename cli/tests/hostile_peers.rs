//! `skynet-cluster serve` under attack from raw sockets (127.0.0.1 only, bounded in
//! count and time): its peak memory stays under the bound and other clients keep
//! being served. The server runs as a child process so its memory can be read from
//! `/proc`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use skynet_cluster::frame::encode_request;
use skynet_cluster::{to_args, AddrRef};

mod common;
use common::{serve, BIN};

/// The child's peak resident memory (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

/// One framed request for `@name` with the lua-seri packed `args`.
fn request(name: &str, session: u32, args: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request(
        &mut out,
        AddrRef::Name(name.as_bytes()),
        session,
        false,
        args,
    )
    .expect("encodes");
    out
}

/// A well-behaved client: a call to `@echo` answered within `within`.
fn answered_within(addr: &str, within: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(within));
    let payload = to_args(&("hi",)).expect("packs");
    if s.write_all(&request("echo", 1, &payload)).is_err() {
        return false;
    }
    let mut head = [0u8; 2];
    s.read_exact(&mut head).is_ok()
}

#[test]
fn a_peer_that_does_not_read_its_replies_stalls_only_itself() {
    let server = serve(&[]);
    let pid = server.child.id();
    let mut attacker = TcpStream::connect(&server.addr).expect("connect");
    // 60 pipelined requests for 16 MiB replies: under 2 KB sent, 960 MiB of replies.
    let big = to_args(&(16i64 << 20,)).expect("packs");
    let mut flood = Vec::new();
    for session in 1..=60 {
        flood.extend(request("big", session, &big));
    }
    attacker.write_all(&flood).expect("sent");
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        assert!(
            answered_within(&server.addr, Duration::from_secs(3)),
            "another client is still served during the attack"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let peak = peak_rss(pid);
    eprintln!("serve peak RSS under the reply flood: {} MiB", peak >> 20);
    assert!(peak < 256 << 20, "peak RSS {} MiB", peak >> 20);
    drop(attacker);
}

#[test]
fn junk_frames_add_little_log() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--name",
            "rs",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "warn",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address")
        .to_owned();
    let mut stderr = child.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stderr.read_to_end(&mut all);
        all.len()
    });
    // 1 MB of zero-length frames, which the reference drops one by one.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.write_all(&vec![0u8; 1 << 20]).expect("sent");
    assert!(
        answered_within(&addr, Duration::from_secs(5)),
        "still serving"
    );
    drop(s);
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let logged = log.join().expect("log reader");
    eprintln!("1 MiB of junk frames logged {logged} bytes");
    assert!(logged < 64 << 10, "{logged} bytes of log");
}

/// A client from `source` (another loopback address than the attacker's) whose call
/// to `@echo` is answered within `within`.
fn answered_from(source: &str, addr: &str, within: Duration) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let attempt = async {
            let sock = tokio::net::TcpSocket::new_v4().ok()?;
            sock.bind(format!("{source}:0").parse().ok()?).ok()?;
            let mut s = sock.connect(addr.parse().ok()?).await.ok()?;
            let payload = to_args(&("hi",)).ok()?;
            tokio::io::AsyncWriteExt::write_all(&mut s, &request("echo", 1, &payload))
                .await
                .ok()?;
            let mut head = [0u8; 2];
            tokio::io::AsyncReadExt::read_exact(&mut s, &mut head)
                .await
                .ok()
        };
        tokio::time::timeout(within, attempt)
            .await
            .ok()
            .flatten()
            .is_some()
    })
}

/// Whether the server closes `s` within `within` (reads return end of file or fail).
fn closed_within(s: &TcpStream, within: Duration) -> bool {
    let _ = s.set_read_timeout(Some(within));
    let mut b = [0u8; 64];
    let mut r = s;
    loop {
        match r.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn idle_connections_from_one_address_cannot_lock_others_out() {
    let server = serve(&[
        "--max-connections",
        "300",
        "--max-connections-per-address",
        "200",
        "--idle-timeout",
        "2",
    ]);
    // 250 idle connections from 127.0.0.1: the last 50 are refused at once.
    let idle: Vec<TcpStream> = (0..250)
        .map(|_| TcpStream::connect(&server.addr).expect("tcp"))
        .collect();
    let refused = idle[200..]
        .iter()
        .filter(|s| closed_within(s, Duration::from_secs(2)))
        .count();
    assert_eq!(refused, 50, "visible refusals past the per-address cap");
    // Another address is served during the attack.
    assert!(answered_from(
        "127.0.0.2",
        &server.addr,
        Duration::from_secs(3)
    ));
    // The idle ones are closed after the idle timeout.
    let started = Instant::now();
    assert!(idle[..200]
        .iter()
        .all(|s| closed_within(s, Duration::from_secs(5))));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        answered_within(&server.addr, Duration::from_secs(3)),
        "slots were freed"
    );
}

#[test]
fn in_flight_work_of_a_peer_that_is_gone_frees_its_slot() {
    let server = serve(&[
        "--max-connections",
        "100",
        "--max-connections-per-address",
        "100",
    ]);
    // 300 connections that each start a one-minute call and close at once.
    let slow = to_args(&(6000i64, "x")).expect("packs");
    for _ in 0..300 {
        if let Ok(mut s) = TcpStream::connect(&server.addr) {
            let _ = s.write_all(&request("slow", 1, &slow));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut served = false;
    while !served && Instant::now() < deadline {
        served = answered_within(&server.addr, Duration::from_secs(1));
    }
    assert!(
        served,
        "the node took new clients again within a few seconds"
    );
}

/// Where the last frame of a run of length-prefixed frames starts.
fn last_frame_start(frames: &[u8]) -> usize {
    let (mut at, mut last) = (0, 0);
    while at + 2 <= frames.len() {
        last = at;
        at += 2 + usize::from(u16::from_be_bytes([frames[at], frames[at + 1]]));
    }
    last
}

#[test]
fn unfinished_multipart_requests_are_bounded_node_wide() {
    let server = serve(&["--request-budget-mib", "64"]);
    let pid = server.child.id();
    // 12 connections, each starting 20 requests of 1 MiB and never sending the last
    // part: 240 MiB would be held without a node-wide bound.
    let mut senders = Vec::new();
    for c in 0..12u32 {
        let addr = server.addr.clone();
        senders.push(std::thread::spawn(move || {
            let Ok(mut s) = TcpStream::connect(&addr) else {
                return;
            };
            let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
            let payload = vec![b'x'; 1 << 20];
            for m in 0..20u32 {
                let mut frames = Vec::new();
                let session = c * 100 + m + 1;
                encode_request(
                    &mut frames,
                    AddrRef::Name(b"echo"),
                    session,
                    false,
                    &payload,
                )
                .expect("encodes");
                // Everything but the last part (the last frame).
                let last = last_frame_start(&frames);
                if s.write_all(&frames[..last]).is_err() {
                    return; // the server stopped reading: the budget holds
                }
            }
            std::thread::sleep(Duration::from_secs(3));
        }));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        answered_within(&server.addr, Duration::from_secs(3)),
        "others are still served"
    );
    for s in senders {
        let _ = s.join();
    }
    let peak = peak_rss(pid);
    eprintln!(
        "serve peak RSS with 240 MiB of unfinished requests offered (64 MiB budget): {} MiB",
        peak >> 20
    );
    assert!(peak < 160 << 20, "peak RSS {} MiB", peak >> 20);
}
