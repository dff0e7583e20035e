//! `#[service]` stub calls against raw calls of the same command, in the same run:
//! the stub's cost over `Node::call` with pre-packed arguments; and the server
//! adapter's own work per call (`SimpleDbServer::call` on a request, without the
//! network) against a hand-written service doing the same.
//!
//! The serving node runs on its own runtime thread; the calling node runs on a
//! current-thread runtime driven by the benchmark thread, so a round trip has the same
//! thread hand-offs whichever way the call is made. Each iteration is a batch of
//! sequential calls, to keep the per-iteration `block_on` out of the comparison.
//!
//! `SERVICE_IR=op SERVICE_N=n` runs one server-side operation (`adapter_get`,
//! `adapter_set`, `hand_get`) n times and exits, for instruction counts under
//! callgrind (`valgrind --tool=callgrind target/release/deps/service-…`); the count
//! per call is the difference of two runs with different n, divided.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use skynet_cluster::{
    reply_lua, service_fn, ClusterConfig, Node, Reply, Request, Service, ServiceError,
};
use sproto_skynet::simpledb::{MemDb, SimpleDb, SimpleDbClient, SimpleDbServer};

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Runs a service call that answers at once (as MemDb does).
fn serve_now(service: &dyn Service, waker: &Waker, payload: &Bytes) -> Reply {
    let mut fut = service.call(Request::new("@sdb", payload.clone()));
    match fut.as_mut().poll(&mut Context::from_waker(waker)) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(ServiceError::from("pending")),
    }
}

/// The server side's operations: (name, service, request payload).
fn server_ops() -> Vec<(&'static str, Box<dyn Service>, Bytes)> {
    let pack = |args: &(&str, &str)| Bytes::from(skynet_cluster::to_args(args).expect("packs"));
    let set = Bytes::from(skynet_cluster::to_args(&("SET", "k1", "v1")).expect("packs"));
    let db = Arc::new(MemDb::default());
    // What `#[service]` saves the author from writing: the same GET read by hand.
    let by_hand = {
        let db = db.clone();
        service_fn(move |req: Request| {
            let db = db.clone();
            async move {
                let (command, key): (&str, String) = skynet_cluster::from_args(&req.payload)?;
                match command {
                    "GET" => reply_lua(&(db.get(key).await,)),
                    other => Err(ServiceError::bounded(format_args!(
                        "Unknown command {other}"
                    ))),
                }
            }
        })
    };
    let adapter = SimpleDbServer::from_arc(db);
    let waker = Waker::from(Arc::new(NoWake));
    serve_now(&adapter, &waker, &set).expect("SET");
    vec![
        (
            "adapter_get",
            Box::new(adapter.clone()),
            pack(&("GET", "k1")),
        ),
        ("adapter_set", Box::new(adapter), set),
        ("hand_get", Box::new(by_hand), pack(&("GET", "k1"))),
    ]
}

/// `SERVICE_IR=op SERVICE_N=n`: runs one server-side operation n times, then exits.
fn instruction_count_mode() -> bool {
    let Ok(name) = std::env::var("SERVICE_IR") else {
        return false;
    };
    let n: usize = std::env::var("SERVICE_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let waker = Waker::from(Arc::new(NoWake));
    let ops = server_ops();
    let Some((_, service, payload)) = ops.iter().find(|(n, _, _)| *n == name) else {
        eprintln!("unknown operation {name}");
        std::process::exit(2);
    };
    for _ in 0..n {
        std::hint::black_box(serve_now(&**service, &waker, std::hint::black_box(payload)))
            .expect("reply");
    }
    true
}

fn server_side(c: &mut Criterion) {
    let waker = Waker::from(Arc::new(NoWake));
    let mut g = c.benchmark_group("service_server");
    for (name, service, payload) in server_ops() {
        g.bench_function(name, |b| {
            b.iter(|| serve_now(&*service, &waker, std::hint::black_box(&payload)))
        });
    }
    g.finish();
}

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

fn main() {
    if instruction_count_mode() {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    server_side(&mut c);
    bench(&mut c);
    c.final_summary();
}
