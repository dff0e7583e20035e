//! Every recorded exchange replayed against a live Rust listener serving the
//! conformance set (`skynet_cluster::conformance`): the c2s frames skynet's caller
//! wrote go to 127.0.0.1 as recorded, and the Rust node must answer with the s2c
//! frames skynet's node wrote (compared byte for byte, per session).
//!
//! Replayed in the recorded order on one node, so the services' state (the `sdb`
//! keys, the `counter`) evolves as it did on the skynet node; the conformance set
//! uses the skynet node's handles for `sdb` (10), `echo` (11) and `counter` (15).
//!
//! Where skynet answers with state only skynet has, the comparison is looser, and
//! listed here:
//! * error texts carrying a Lua location (`./lualib/skynet.lua:747: call to invalid
//!   address`, `./lualib/skynet.lua:720: call failed`): the Rust node sends
//!   `call to invalid address` without the location, and its services' own error
//!   texts instead of skynet's `call failed` (`call_unknown_local_name`,
//!   `call_unknown_numeric_addr`, `call_service_raises`, `call_unknown_command`);
//!   the frames must still be type-0 error replies on the same sessions.
//! * `call_unregistered_plain_name`: skynet's harbor never answers an unknown global
//!   name; the Rust node answers `call to invalid address` (checked).
//!
//! One named trial per recorded exchange, `listener::<exchange>`. As the node's
//! state carries from one exchange to the next, the replay of all of them runs once
//! (bounded by `TEST_LIMIT`), the first trial to run doing it, and each trial reports
//! its own exchange; `suite::documented_differences` checks the differences.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use common::replay::compare_replies;
use common::{exchanges, run, shared, Event, Exchange, Failures};
use libtest_mimic::{Failed, Trial};
use skynet_cluster::frame::take_frame;
use skynet_cluster::{conformance, Node};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    expected: Vec<Vec<u8>>,
    received: Vec<Vec<u8>>,
}

impl Conn {
    /// Reads frames until `received` has as many as `expected` (or a deadline).
    async fn catch_up(&mut self, limit: Duration) -> bool {
        while self.received.len() < self.expected.len() {
            if !self.read_one(limit).await {
                return false;
            }
        }
        true
    }

    async fn read_one(&mut self, limit: Duration) -> bool {
        loop {
            if let Some(body) = take_frame(&mut self.buf) {
                let len = u16::try_from(body.len()).unwrap_or(u16::MAX).to_be_bytes();
                let mut f = len.to_vec();
                f.extend_from_slice(&body);
                self.received.push(f);
                return true;
            }
            match timeout(limit, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return false,
            }
        }
    }
}

async fn replay(x: &Exchange, addr: SocketAddr, fails: &mut Failures, loose: &mut Vec<String>) {
    let limit = Duration::from_secs(3);
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut done: Vec<(u64, Conn)> = Vec::new();
    let mut last_written: Option<u64> = None;
    for ev in &x.events {
        match ev {
            Event::Connect(k) => {
                let stream = TcpStream::connect(addr).await.expect("connect");
                conns.insert(
                    *k,
                    Conn {
                        stream,
                        buf: BytesMut::new(),
                        expected: Vec::new(),
                        received: Vec::new(),
                    },
                );
            }
            Event::Frame(f) => {
                let Some(c) = conns.get_mut(&f.conn) else {
                    fails
                        .0
                        .push(format!("{}: frame on unknown conn {}", x.id, f.conn));
                    return;
                };
                if !f.c2s {
                    c.expected.push(f.bytes.clone());
                    continue;
                }
                if !c.catch_up(limit).await {
                    fails.0.push(format!(
                        "{} conn {}: replies missing before the next request",
                        x.id, f.conn
                    ));
                }
                if last_written.is_some_and(|l| l != f.conn) {
                    // Let pushes written on another connection be served first, as
                    // the recorded Lua code's sleeps did.
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                c.stream.write_all(&f.bytes).await.expect("write");
                last_written = Some(f.conn);
            }
            Event::Close(k) => {
                if let Some(mut c) = conns.remove(k) {
                    if !c.catch_up(limit).await {
                        fails
                            .0
                            .push(format!("{} conn {k}: replies missing before close", x.id));
                    }
                    done.push((*k, c));
                }
            }
        }
    }
    for (k, mut c) in conns.drain() {
        if !c.catch_up(limit).await {
            fails.0.push(format!("{} conn {k}: replies missing", x.id));
        }
        // Nothing more may come (a short wait; pushes are never answered).
        while c.read_one(Duration::from_millis(40)).await {}
        done.push((k, c));
    }
    for (k, c) in &done {
        compare_replies(x, *k, &c.expected, &c.received, fails, loose);
    }
}

/// The replay: per exchange (in recorded order), its failures and its documented
/// differences.
type Pass = Vec<(Vec<String>, Vec<String>)>;

/// Every exchange in recorded order against one Rust listener.
fn replay_all(xs: &[Exchange]) -> Pass {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        timeout(common::TEST_LIMIT, async {
            let node = Node::default();
            conformance::register(&node).expect("conformance");
            let addr = node.open("127.0.0.1:0").await.expect("listen");
            let mut pass = Vec::new();
            for x in xs {
                let mut fails = Failures::default();
                let mut loose = Vec::new();
                replay(x, addr, &mut fails, &mut loose).await;
                pass.push((fails.0, loose));
            }
            pass
        })
        .await
        .expect("test took too long")
    })
}

struct Shared {
    exchanges: Vec<Exchange>,
    pass: OnceLock<Result<Pass, String>>,
}

impl Shared {
    fn pass(&self) -> Result<&Pass, Failed> {
        shared(&self.pass, || replay_all(&self.exchanges))
    }
}

fn main() {
    let s = Arc::new(Shared {
        exchanges: exchanges(),
        pass: OnceLock::new(),
    });
    let mut trials = Vec::new();
    for (i, x) in s.exchanges.iter().enumerate() {
        let s = Arc::clone(&s);
        trials.push(Trial::test(format!("listener::{}", x.id), move || {
            Failures(s.pass()?[i].0.clone()).verdict("listener replay")
        }));
    }
    trials.push(Trial::test("suite::documented_differences", move || {
        let loose: Vec<&String> = s.pass()?.iter().flat_map(|(_, l)| l).collect();
        // The documented differences, and no others.
        assert_eq!(loose.len(), 5, "documented differences: {loose:#?}");
        Ok(())
    }));
    run(trials)
}
