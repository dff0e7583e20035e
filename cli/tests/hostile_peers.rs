//! `skynet-cluster serve` under attack from raw sockets (127.0.0.1 only, bounded in
//! count and time): its peak memory stays under the bound and other clients keep
//! being served. The server runs as a child process so its memory can be read from
//! `/proc`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skynet_cluster::frame::encode_request;
use skynet_cluster::{to_args, AddrRef};

const BIN: &str = env!("CARGO_BIN_EXE_skynet-cluster");

/// A `serve` child, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "--name",
        "rs",
        "--listen",
        "127.0.0.1:0",
        "--threads",
        "2",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, addr }
}

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
