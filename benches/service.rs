//! `#[service]` stub calls against raw calls of the same command, in the same run:
//! the stub's cost over `Node::call` with pre-packed arguments.
//!
//! The serving node runs on its own runtime thread; the calling node runs on a
//! current-thread runtime driven by the benchmark thread, so a round trip has the same
//! thread hand-offs whichever way the call is made. Each iteration is a batch of
//! sequential calls, to keep the per-iteration `block_on` out of the comparison.

#[allow(dead_code)]
#[path = "../examples/shared/simpledb.rs"]
mod simpledb;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use simpledb::{MemDb, SimpleDbClient, SimpleDbServer};
use skynet_cluster::{ClusterConfig, Node};

/// Sequential calls per iteration.
const BATCH: u64 = 20;

fn bench(c: &mut Criterion) {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let (db, addr) = server_rt.block_on(async {
        let db = Node::new(ClusterConfig::new());
        db.register("sdb", SimpleDbServer::new(MemDb::default()));
        let addr = db.open("127.0.0.1:0").await.expect("listens");
        (db, addr)
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client = rt.block_on(async {
        let client = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));
        let stub = SimpleDbClient::new(client.clone(), "db", "@sdb");
        stub.set("k1".into(), "v1".into()).await.expect("SET");
        client
    });
    let stub = SimpleDbClient::new(client.clone(), "db", "@sdb");
    let payload = bytes::Bytes::from(skynet_cluster::to_args(&("GET", "k1")).expect("packs"));
    let mut g = c.benchmark_group("service_call");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("stub_call", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    stub.get("k1".into()).await.expect("reply");
                }
            })
        })
    });
    g.bench_function("raw_call", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    client
                        .call("db", "@sdb", payload.clone())
                        .await
                        .expect("reply");
                }
            })
        })
    });
    g.bench_function("raw_call_lua", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    let _: Option<String> = client
                        .call_lua("db", "@sdb", &("GET", "k1"))
                        .await
                        .expect("reply");
                }
            })
        })
    });
    g.finish();

    // The stub's own work per call, without the network: pack `("GET", key)` and
    // unpack the one-value reply (what `raw_call` skips).
    let reply = skynet_cluster::to_args(&("v1",)).expect("packs");
    let mut g = c.benchmark_group("stub_codec");
    g.bench_function("pack_args_unpack_reply", |b| {
        b.iter(|| {
            let key = String::from("k1");
            let req = skynet_cluster::to_args(&("GET", &key)).expect("packs");
            let (v,): (Option<String>,) = skynet_cluster::from_args(&reply).expect("unpacks");
            (req, v)
        })
    });
    g.finish();
    client.shutdown();
    db.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
