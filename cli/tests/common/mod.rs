//! What the `skynet-cluster` end-to-end tests share: a `serve` child on 127.0.0.1
//! that is killed when the test is done with it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
        .expect("read the listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, addr }
}
