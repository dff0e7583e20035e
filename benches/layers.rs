//! The cost per call of metrics (features `metrics`, with the Prometheus recorder of
//! `skynet-cluster serve --metrics` installed) and of an empty tower layer on each
//! side, against plain calls measured in the same run.
//!
//! Two node pairs on loopback: the `plain` pair is built (and has made its first
//! call) before the recorder is installed, so its metric handles are no-ops; the
//! `metrics` pair is built after, so it records every call (client and server side).
//! `tower_client` calls the plain pair through `Node::service` under
//! `ServiceBuilder::new().layer(Identity)`; `tower_server` calls a service of the
//! plain server registered with `register_layered(Identity)`. Each iteration is 20
//! sequential `@echo` calls; the serving nodes run on their own runtime thread, the
//! callers on a current-thread runtime driven by the benchmark thread.
//!
//! `LAYERS_RATIO=rounds` measures the four loopback operations interleaved instead
//! (each round times one batch of each, in a rotating order) and prints, per
//! operation, the median time per call and the median of its per-round ratio to
//! `call_plain`: on a shared machine whose speed drifts, a ratio taken within each
//! round is steadier than one of two separate criterion runs.
//!
//! `LAYERS_IR=op LAYERS_N=n` runs one operation n times and exits, for instruction
//! counts under callgrind (`valgrind --tool=callgrind target/release/deps/layers-…`;
//! the serving-side operations run in the function `measured`, so
//! `--toggle-collect='*measured*'` counts them alone); the count per call is the
//! difference of two runs with different n, divided. The operations are the four loopback calls above (`call_plain`, `call_metrics`,
//! `call_tower_client`, `call_tower_server`: both nodes' user-space work per round
//! trip) and the serving side alone, without the network (`serve_plain`: the
//! service's `call` and one poll; `serve_metered`: the same service as a node with
//! the recorder resolves it; `serve_tower`: through `TowerService` over an
//! `Identity` layer).

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use skynet_cluster::frame::WireAddress;
use skynet_cluster::proto::Resolver;
use skynet_cluster::tower::{ClusterRequest, ClusterService, ServiceLayer, TowerService};
use skynet_cluster::{service_fn, ClusterConfig, Node, Request, Service};
use tower::layer::util::Identity;
use tower::{Layer, Service as _, ServiceBuilder, ServiceExt};

/// Sequential calls per iteration.
const BATCH: u64 = 20;

fn echo() -> impl Service + Clone {
    service_fn(|req: Request| async move { Ok(req.payload) })
}

/// A serving node with `@echo` and `@layered` (echo under an `Identity` layer).
fn server(rt: &tokio::runtime::Runtime) -> (Node, SocketAddr) {
    rt.block_on(async {
        let node = Node::default();
        node.register("echo", echo());
        node.register_layered("layered", Identity::new(), echo());
        let addr = node.open("127.0.0.1:0").await.expect("listens");
        (node, addr)
    })
}

struct Bench {
    server_rt: tokio::runtime::Runtime,
    rt: tokio::runtime::Runtime,
    plain: (Node, Node),
    metered: (Node, Node),
    tower_client: ClusterService,
    payload: Bytes,
    prometheus: metrics_exporter_prometheus::PrometheusHandle,
}

impl Bench {
    fn new() -> Bench {
        let server_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let payload = Bytes::from(skynet_cluster::to_args(&("GET", "k1")).expect("packs"));
        let client = |addr: SocketAddr| {
            let node = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));
            // The first call makes the channel (and takes its metric handles).
            rt.block_on(node.call("db", "@echo", payload.clone()))
                .expect("first call");
            node
        };
        // Before the recorder: no-op handles.
        let (plain_srv, addr) = server(&server_rt);
        let plain = (plain_srv, client(addr));
        let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the recorder");
        skynet_cluster::telemetry::describe();
        let (metered_srv, addr) = server(&server_rt);
        let metered = (metered_srv, client(addr));
        let tower_client = ServiceBuilder::new()
            .layer(Identity::new())
            .service(plain.1.service("db"));
        // What `serve --metrics` does every few seconds; here every second (not in
        // the instruction-count mode, whose time runs slower).
        if instruction_count_op().is_none() {
            let h = prometheus.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_secs(1));
                h.run_upkeep();
            });
        }
        Bench {
            server_rt,
            rt,
            plain,
            metered,
            tower_client,
            payload,
            prometheus,
        }
    }

    /// `n` sequential calls of one kind.
    async fn calls(&self, op: &str, n: u64) {
        match op {
            "call_plain" => {
                for _ in 0..n {
                    self.plain
                        .1
                        .call("db", "@echo", self.payload.clone())
                        .await
                        .expect("reply");
                }
            }
            "call_metrics" => {
                for _ in 0..n {
                    self.metered
                        .1
                        .call("db", "@echo", self.payload.clone())
                        .await
                        .expect("reply");
                }
            }
            "call_tower_client" => {
                let mut svc = self.tower_client.clone();
                for _ in 0..n {
                    let req = ClusterRequest::new("@echo", self.payload.clone());
                    svc.ready()
                        .await
                        .expect("ready")
                        .call(req)
                        .await
                        .expect("reply");
                }
            }
            "call_tower_server" => {
                for _ in 0..n {
                    self.plain
                        .1
                        .call("db", "@layered", self.payload.clone())
                        .await
                        .expect("reply");
                }
            }
            other => panic!("unknown operation {other}"),
        }
    }
}

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// The serving side alone: (name, service).
fn serving_ops(metered: &Node) -> Vec<(&'static str, Arc<dyn Service>)> {
    let (_, resolved) = metered
        .resolve(&WireAddress::Name(Bytes::from_static(b"@echo")))
        .expect("echo is registered");
    vec![
        ("serve_plain", Arc::new(echo())),
        ("serve_metered", resolved),
        (
            "serve_tower",
            Arc::new(TowerService::new(
                Identity::new().layer(ServiceLayer::new(echo())),
            )),
        ),
    ]
}

fn serve_now(service: &dyn Service, waker: &Waker, payload: &Bytes) {
    let mut fut = service.call(Request::new("@echo", payload.clone()));
    match fut.as_mut().poll(&mut Context::from_waker(waker)) {
        Poll::Ready(r) => {
            std::hint::black_box(r.expect("reply"));
        }
        Poll::Pending => panic!("echo answers at once"),
    }
}

/// `LAYERS_IR` and `LAYERS_N`, when set.
fn instruction_count_op() -> Option<(String, u64)> {
    let op = std::env::var("LAYERS_IR").ok()?;
    let n = std::env::var("LAYERS_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    Some((op, n))
}

/// Runs a serving-side operation `n` times: no network, no other thread.
fn serve_n(op: &str, n: u64) {
    let _ = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder();
    let metered = Node::default();
    metered.register("echo", echo());
    let payload = Bytes::from(skynet_cluster::to_args(&("GET", "k1")).expect("packs"));
    let waker = Waker::from(Arc::new(NoWake));
    let ops = serving_ops(&metered);
    let Some((_, service)) = ops.iter().find(|(name, _)| *name == op) else {
        eprintln!("unknown operation {op}");
        std::process::exit(2);
    };
    measured(n, || {
        serve_now(&**service, &waker, std::hint::black_box(&payload))
    });
}

/// The measured loop (`--toggle-collect=*measured*` counts only this).
#[inline(never)]
fn measured(n: u64, mut f: impl FnMut()) {
    for _ in 0..n {
        f();
    }
}

fn bench(c: &mut Criterion, b: &Bench) {
    let mut g = c.benchmark_group("layers_call");
    g.throughput(Throughput::Elements(BATCH));
    for op in CALL_OPS {
        g.bench_function(op, |bencher| {
            bencher.iter(|| b.rt.block_on(b.calls(op, BATCH)))
        });
    }
    g.finish();

    let waker = Waker::from(Arc::new(NoWake));
    let mut g = c.benchmark_group("layers_serve");
    for (name, service) in serving_ops(&b.metered.0) {
        g.bench_function(name, |bencher| {
            bencher.iter(|| serve_now(&*service, &waker, std::hint::black_box(&b.payload)))
        });
    }
    g.finish();
}

const CALL_OPS: [&str; 4] = [
    "call_plain",
    "call_metrics",
    "call_tower_client",
    "call_tower_server",
];

/// `LAYERS_RATIO=rounds`: the loopback operations interleaved, one batch each per
/// round; prints a table.
fn ratio_mode(b: &Bench) -> bool {
    let Some(rounds) = std::env::var("LAYERS_RATIO")
        .ok()
        .and_then(|r| r.parse::<usize>().ok())
    else {
        return false;
    };
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); CALL_OPS.len()];
    for r in 0..rounds.max(1) {
        for k in 0..CALL_OPS.len() {
            let i = (r + k) % CALL_OPS.len();
            let t0 = std::time::Instant::now();
            b.rt.block_on(b.calls(CALL_OPS[i], BATCH));
            times[i].push(t0.elapsed().as_secs_f64() * 1e6 / BATCH as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("| operation | median per call | median ratio to call_plain (per round) |");
    println!("| --- | --- | --- |");
    for (i, op) in CALL_OPS.iter().enumerate() {
        let mut ratios: Vec<f64> = times[i].iter().zip(&times[0]).map(|(t, p)| t / p).collect();
        let per_call = median(&mut times[i].clone());
        println!("| {op} | {per_call:.2} µs | {:.4} |", median(&mut ratios));
    }
    true
}

fn main() {
    if let Some((op, n)) = instruction_count_op() {
        if op.starts_with("serve_") {
            serve_n(&op, n);
            return;
        }
    }
    let b = Bench::new();
    if let Some((op, n)) = instruction_count_op() {
        b.rt.block_on(b.calls(&op, n));
    } else if !ratio_mode(&b) {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, &b);
        c.final_summary();
        // The metered pair did record: the page holds its calls.
        let page = b.prometheus.render();
        assert!(
            page.contains("skynet_cluster_client_calls_total{node=\"db\"}"),
            "{page}"
        );
    }
    b.plain.1.shutdown();
    b.metered.1.shutdown();
    b.plain.0.shutdown();
    b.metered.0.shutdown();
    drop(b.server_rt);
}
