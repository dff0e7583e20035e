//! Every recorded exchange replayed in memory against `proto::ServerConn`, no
//! sockets: the c2s bytes skynet's caller wrote go into one `ServerConn` per
//! recorded connection, its events are carried out against a node's conformance
//! services, and the replies it writes must be the s2c frames skynet's node wrote
//! (per session, with the documented differences of `listener_vectors.rs`, the same
//! replay over TCP).
//!
//! Each pass feeds the bytes in a different chunking (whole frames, single bytes,
//! 7-byte pieces, 1000-byte pieces): the framing holds whatever the reads return.
//! Services run on a tokio runtime with a paused clock (`slow` sleeps without
//! taking time), so the replay is deterministic.
//!
//! One named trial per pass and recorded exchange, `chunks_<size>::<exchange>`
//! (`chunks_whole` for whole frames). The services' state carries from one exchange
//! to the next as on the skynet node, so each pass replays every exchange in order
//! once, the first of its trials to run doing it, and each trial reports its own
//! exchange; `suite::chunks_<size>_documented_differences` checks the pass's
//! documented differences.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::BytesMut;
use common::replay::{compare_replies, frames_of};
use common::{exchanges, run, shared, Event, Exchange, Failures};
use libtest_mimic::Trial;
use skynet_cluster::proto::{encode_reply, ServerConfig, ServerConn, ServerEvent};
use skynet_cluster::{conformance, Node, Service};

/// One recorded connection in memory.
struct Conn {
    server: ServerConn,
    /// What the Rust side wrote.
    out: BytesMut,
    /// What skynet wrote.
    expected: Vec<Vec<u8>>,
    /// The connection was closed by a protocol error.
    closed: Option<String>,
}

/// Feeds `bytes` to the connection `chunk` bytes at a time, carrying out every event
/// after each piece.
async fn feed(conn: &mut Conn, node: &Node, bytes: &[u8], chunk: usize) {
    let now = Instant::now();
    for piece in bytes.chunks(chunk) {
        if conn.closed.is_some() {
            return;
        }
        conn.server.receive(piece);
        loop {
            match conn.server.poll_event(now, node) {
                Ok(None) => break,
                Ok(Some(ServerEvent::Reply { session, reply })) => {
                    encode_reply(&mut conn.out, session, &reply)
                }
                Ok(Some(ServerEvent::Dispatch(d))) => {
                    let (session, push) = (d.request.session, d.request.push);
                    let reply = d.service.call(d.request).await;
                    if !push {
                        encode_reply(&mut conn.out, session, &reply);
                    }
                }
                Err(why) => {
                    conn.closed = Some(why.to_string());
                    break;
                }
            }
        }
    }
}

async fn replay(
    x: &Exchange,
    node: &Node,
    chunk: usize,
    fails: &mut Failures,
    loose: &mut Vec<String>,
) {
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut order = Vec::new();
    for ev in &x.events {
        match ev {
            Event::Connect(k) => {
                conns.insert(
                    *k,
                    Conn {
                        server: ServerConn::new(ServerConfig::default(), None),
                        out: BytesMut::new(),
                        expected: Vec::new(),
                        closed: None,
                    },
                );
                order.push(*k);
            }
            Event::Frame(f) => {
                let Some(c) = conns.get_mut(&f.conn) else {
                    fails
                        .0
                        .push(format!("{}: frame on unknown conn {}", x.id, f.conn));
                    return;
                };
                if f.c2s {
                    feed(c, node, &f.bytes, chunk).await;
                } else {
                    c.expected.push(f.bytes.clone());
                }
            }
            Event::Close(_) => {}
        }
    }
    for k in order {
        let c = &conns[&k];
        if let Some(why) = &c.closed {
            fails
                .0
                .push(format!("{} conn {k}: closed the connection: {why}", x.id));
        }
        compare_replies(x, k, &c.expected, &frames_of(&c.out), fails, loose);
    }
}

/// The chunkings of the passes, with their trial group names.
const PASSES: [(usize, &str); 4] = [
    (usize::MAX, "chunks_whole"),
    (1, "chunks_1"),
    (7, "chunks_7"),
    (1000, "chunks_1000"),
];

/// One pass: per exchange (in recorded order), its failures and its documented
/// differences.
type Pass = Vec<(Vec<String>, Vec<String>)>;

/// Every exchange in recorded order through one node, `chunk` bytes at a time.
fn replay_all(xs: &[Exchange], chunk: usize) -> Pass {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        // A fresh node per pass: the services' state evolves as on the skynet node.
        let node = Node::default();
        conformance::register(&node).expect("conformance");
        let mut pass = Vec::new();
        for x in xs {
            let mut fails = Failures::default();
            let mut loose = Vec::new();
            replay(x, &node, chunk, &mut fails, &mut loose).await;
            pass.push((fails.0, loose));
        }
        pass
    })
}

struct Shared {
    exchanges: Vec<Exchange>,
    passes: [OnceLock<Result<Pass, String>>; 4],
}

impl Shared {
    fn pass(&self, p: usize) -> Result<&Pass, libtest_mimic::Failed> {
        shared(&self.passes[p], || replay_all(&self.exchanges, PASSES[p].0))
    }
}

fn main() {
    let s = Arc::new(Shared {
        exchanges: exchanges(),
        passes: Default::default(),
    });
    let mut trials = Vec::new();
    for (p, (chunk, group)) in PASSES.into_iter().enumerate() {
        for (i, x) in s.exchanges.iter().enumerate() {
            let s = Arc::clone(&s);
            trials.push(Trial::test(format!("{group}::{}", x.id), move || {
                let fails = Failures(s.pass(p)?[i].0.clone());
                fails.verdict(&format!("in-memory listener replay, chunks of {chunk}"))
            }));
        }
        let s = Arc::clone(&s);
        trials.push(Trial::test(
            format!("suite::{group}_documented_differences"),
            move || {
                let loose: Vec<&String> = s.pass(p)?.iter().flat_map(|(_, l)| l).collect();
                // The documented differences, and no others.
                assert_eq!(
                    loose.len(),
                    5,
                    "chunks of {chunk}: documented differences: {loose:#?}"
                );
                Ok(())
            },
        ));
    }
    trials.push(Trial::test(
        "dropped_frames_are_counted_and_malformed_ones_close",
        || {
            dropped_frames_are_counted_and_malformed_ones_close();
            Ok(())
        },
    ));
    run(trials)
}

/// The rules the recorded `raw_` exchanges exercise, named: junk frames are dropped
/// and counted, a truncated frame of a known type closes the connection.
fn dropped_frames_are_counted_and_malformed_ones_close() {
    let node = Node::default();
    conformance::register(&node).expect("conformance");
    let now = Instant::now();
    let mut conn = ServerConn::new(ServerConfig::default(), None);
    // 100 zero-length frames and 100 of an unknown type: dropped; 5 logged.
    for _ in 0..100 {
        conn.receive(b"\x00\x00\x00\x01\x7f");
    }
    assert!(conn.poll_event(now, &node).expect("kept").is_none());
    assert_eq!(conn.take_unlogged_drops(), 195);
    // A request frame (type 0) too short for its header.
    conn.receive(b"\x00\x03\x00\x0a\x00");
    let Err(why) = conn.poll_event(now, &node) else {
        panic!("a truncated request frame must close the connection")
    };
    assert!(why.to_string().starts_with("malformed request"), "{why}");
}
