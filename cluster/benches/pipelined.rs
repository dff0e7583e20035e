//! CPU per call with many calls in flight on one connection: what `skynet-cluster
//! bench --concurrency 256` against `skynet-cluster serve` does, in one process on one
//! thread, so that instruction counts are stable (issue #13).
//!
//! A serving node with the conformance services and a calling node share one
//! current-thread runtime; `PIPELINED_INFLIGHT` tasks (default 256) each call
//! `@echo` (default; `PIPELINED_ADDRESS`) with one Lua string of `PIPELINED_PAYLOAD`
//! bytes (default 10) in a loop, the node's default settings (call timeout
//! included) but for metering, off as in the CLI unless `PIPELINED_METRICS=1`, until
//! `PIPELINED_N` calls (default 20 000) are done. Every reply is checked against the
//! request.
//!
//! ```text
//! cargo bench -p skynet-cluster --bench pipelined --no-run   # prints target/release/deps/pipelined-<hash>
//! # both nodes' user-space instructions per call: (Ir(N=40000) - Ir(N=20000)) / 20000
//! PIPELINED_N=20000 valgrind --tool=callgrind target/release/deps/pipelined-<hash>
//! PIPELINED_N=40000 valgrind --tool=callgrind target/release/deps/pipelined-<hash>
//! # wall clock (not under valgrind): prints calls/s
//! PIPELINED_N=2000000 target/release/deps/pipelined-<hash>
//! ```
//!
//! The split between the two sides: `callgrind_annotate --inclusive=yes` on the
//! output; the serving side is under `listener::serve`, the writer tasks under
//! `OutQueue::write_loop`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use skynet_cluster::luaseri::{pack, LuaValue};
use skynet_cluster::{conformance, Address, ClusterConfig, Node};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n: u64 = env("PIPELINED_N", 20_000);
    let in_flight: u64 = env("PIPELINED_INFLIGHT", 256);
    let size: usize = env("PIPELINED_PAYLOAD", 10);
    // As the CLI: metered only when asked (it meters only `serve --metrics`).
    let metered = env("PIPELINED_METRICS", 0u8) != 0;
    let address: Address = env("PIPELINED_ADDRESS", "@echo".to_owned())
        .parse()
        .expect("an address");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let payload = Bytes::from(pack(&[LuaValue::String(vec![b'x'; size])]).expect("packs"));
    let elapsed = rt.block_on(async {
        let server = Node::builder().metrics(metered).build();
        conformance::register(&server).expect("registers");
        let addr = server.open("127.0.0.1:0").await.expect("listens");
        let client = Node::builder()
            .metrics(metered)
            .config(ClusterConfig::new().with_node("s", addr.to_string()))
            .build();
        let first = client
            .call("s", address.clone(), payload.clone())
            .await
            .expect("first call");
        assert_eq!(first, payload);
        let left = Arc::new(AtomicU64::new(n));
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..in_flight)
            .map(|_| {
                let (client, address, payload, left) = (
                    client.clone(),
                    address.clone(),
                    payload.clone(),
                    left.clone(),
                );
                tokio::spawn(async move {
                    while left
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(1))
                        .is_ok()
                    {
                        let reply = client
                            .call("s", address.clone(), payload.clone())
                            .await
                            .expect("call");
                        assert!(reply == payload, "reply differs from the request");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("caller");
        }
        let elapsed = t0.elapsed();
        client.shutdown();
        server.shutdown();
        elapsed
    });
    println!(
        "{n} calls, {in_flight} in flight: {:.0} calls/s",
        n as f64 / elapsed.as_secs_f64()
    );
}
