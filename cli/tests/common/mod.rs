//! What the `skynet-cluster` end-to-end tests share: a `serve` child on 127.0.0.1
//! that is killed when the test is done with it, and running a command with a time
//! bound.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `skynet-cluster` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_skynet-cluster");

/// A `serve` child, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `skynet-cluster serve` on an ephemeral port with 2 threads, plus `extra` flags;
/// returns once it prints its address.
pub fn serve(extra: &[&str]) -> Server {
    serve_announcing(extra, &[]).0
}

/// As [`serve`]; then reads one more line per entry of `prefixes` (e.g. `"metrics on "`
/// after `--metrics`) and returns what follows each prefix.
pub fn serve_announcing(extra: &[&str], prefixes: &[&str]) -> (Server, Vec<String>) {
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
    let mut lines = BufReader::new(stdout).lines();
    let mut line = |prefix: &str| {
        let l = lines.next().expect("a line").expect("read a line");
        l.trim()
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {l:?}"))
            .to_owned()
    };
    let addr = line("listening on ");
    let more = prefixes.iter().map(|p| line(p)).collect();
    (Server { child, addr }, more)
}

/// Runs `skynet-cluster ARGS`, failing the test if it takes more than 20 s.
pub fn run(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Output bytes as trimmed text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_owned()
}
