//! `#[service]` stub calls against raw calls of the same command, in the same run:
//! the stub's cost over `Node::call` with pre-packed arguments.

#[allow(dead_code)]
#[path = "../examples/shared/simpledb.rs"]
mod simpledb;

use criterion::{criterion_group, criterion_main, Criterion};
use simpledb::{MemDb, SimpleDbClient, SimpleDbServer};
use skynet_cluster::{ClusterConfig, Node};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (client, db) = rt.block_on(async {
        let db = Node::new(ClusterConfig::new());
        db.register("sdb", SimpleDbServer::new(MemDb::default()));
        let addr = db.open("127.0.0.1:0").await.expect("listens");
        let client = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));
        let stub = SimpleDbClient::new(client.clone(), "db", "@sdb");
        stub.set("k1".into(), "v1".into()).await.expect("SET");
        (client, db)
    });
    let stub = SimpleDbClient::new(client.clone(), "db", "@sdb");
    let payload = bytes::Bytes::from(skynet_cluster::to_args(&("GET", "k1")).expect("packs"));
    let mut g = c.benchmark_group("service_call");
    g.bench_function("raw_call", |b| {
        b.iter(|| {
            rt.block_on(client.call("db", "@sdb", payload.clone()))
                .expect("reply")
        })
    });
    g.bench_function("raw_call_lua", |b| {
        b.iter(|| {
            rt.block_on(client.call_lua::<_, Option<String>>("db", "@sdb", &("GET", "k1")))
                .expect("reply")
        })
    });
    g.bench_function("stub_call", |b| {
        b.iter(|| rt.block_on(stub.get("k1".into())).expect("reply"))
    });
    g.finish();
    db.shutdown();
    client.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
