//! tower on both sides of a node, over loopback: the calling side under `timeout`,
//! `concurrency_limit`, `load_shed` and `retry` (of an idempotent command only), its
//! `poll_ready` following the connection's back-pressure; and served services behind
//! a logging layer, a deny layer and a concurrency limit. Every test is bounded in
//! time and uses 127.0.0.1.

mod common;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use skynet_cluster::tower::ClusterRequest;
use skynet_cluster::{
    service_fn, CallError, CallOptions, ClusterConfig, Node, Request, ServiceError,
};
use tower::retry::Policy;
use tower::{BoxError, Layer, Service, ServiceBuilder, ServiceExt};

async fn bounded<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(common::TEST_LIMIT, f)
        .await
        .expect("test took too long");
}

/// How many requests run at once, and the most that ever did.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Gauge {
    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// A service that holds each request for `hold`, counting how many overlap.
fn held(gauge: &Gauge, hold: Duration) -> impl skynet_cluster::Service {
    let g = gauge.clone();
    service_fn(move |req: Request| {
        let g = g.clone();
        async move {
            let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
            g.max.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(hold).await;
            g.now.fetch_sub(1, Ordering::SeqCst);
            Ok(req.payload)
        }
    })
}

async fn serve(setup: impl FnOnce(&Node)) -> (Node, SocketAddr) {
    let node = Node::default();
    setup(&node);
    let addr = node.open("127.0.0.1:0").await.expect("listen");
    (node, addr)
}

fn client(addr: SocketAddr) -> Node {
    Node::new(ClusterConfig::new().with_node("srv", addr.to_string()))
}

fn echo_req(address: &str) -> ClusterRequest {
    ClusterRequest::lua(address, &("GET", "k")).expect("packs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_layer_bounds_a_call() {
    bounded(async {
        let (_srv, addr) = serve(|n| {
            n.register("slow", held(&Gauge::default(), Duration::from_secs(5)));
            n.register(
                "echo",
                service_fn(|r: Request| async move { Ok(r.payload) }),
            );
        })
        .await;
        let c = client(addr);
        let svc = ServiceBuilder::new()
            .timeout(Duration::from_millis(100))
            .service(c.service("srv"));
        let t0 = Instant::now();
        let e = svc.clone().oneshot(echo_req("@slow")).await.unwrap_err();
        assert!(e.is::<tower::timeout::error::Elapsed>(), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
        // The same stack answers a fast call.
        let reply = svc.oneshot(echo_req("@echo")).await.expect("echo");
        let (cmd, key): (String, String) = skynet_cluster::from_args(&reply).expect("reply");
        assert_eq!((cmd.as_str(), key.as_str()), ("GET", "k"));
        // The call given up on is not left pending.
        assert_eq!(c.pending_calls("srv"), 0);
    })
    .await;
}

/// Fires `n` calls at once through clones of `svc`; returns how many succeeded.
async fn fire<S>(svc: S, n: usize, address: &str) -> Vec<Result<Bytes, BoxError>>
where
    S: Service<ClusterRequest, Response = Bytes> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let svc = svc.clone();
            let req = echo_req(address);
            tokio::spawn(async move { svc.oneshot(req).await.map_err(Into::into) })
        })
        .collect();
    let mut out = Vec::new();
    for c in calls {
        out.push(c.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_bounds_calls_in_flight() {
    bounded(async {
        let limited = Gauge::default();
        let free = Gauge::default();
        let (_srv, addr) = serve(|n| {
            n.register("limited", held(&limited, Duration::from_millis(40)));
            n.register("free", held(&free, Duration::from_millis(40)));
        })
        .await;
        let c = client(addr);
        let svc = ServiceBuilder::new()
            .concurrency_limit(2)
            .service(c.service("srv"));
        let results = fire(svc, 8, "@limited").await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(limited.max(), 2);
        // Without the layer the same calls overlap more.
        let results = fire(c.service("srv"), 8, "@free").await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert!(free.max() > 2, "{}", free.max());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_shed_refuses_past_the_limit() {
    bounded(async {
        let gauge = Gauge::default();
        let (_srv, addr) = serve(|n| {
            n.register("slow", held(&gauge, Duration::from_millis(300)));
        })
        .await;
        let c = client(addr);
        let svc = ServiceBuilder::new()
            .load_shed()
            .concurrency_limit(1)
            .service(c.service("srv"));
        let first = tokio::spawn(svc.clone().oneshot(echo_req("@slow")));
        // Wait until the first call holds the only slot.
        while gauge.now.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let e = svc.clone().oneshot(echo_req("@slow")).await.unwrap_err();
        assert!(e.is::<tower::load_shed::error::Overloaded>(), "{e}");
        first.await.expect("task").expect("the first call");
        svc.oneshot(echo_req("@slow")).await.expect("a slot again");
    })
    .await;
}

/// Retries a call whose command is read-only, on transient errors only, a bounded
/// number of times.
#[derive(Clone)]
struct RetryIdempotent {
    left: usize,
}

impl Policy<ClusterRequest, Bytes, CallError> for RetryIdempotent {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        req: &mut ClusterRequest,
        result: &mut Result<Bytes, CallError>,
    ) -> Option<Self::Future> {
        match result {
            Err(e) if e.is_transient() && self.left > 0 && req.command() == Some("GET") => {
                self.left -= 1;
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, req: &ClusterRequest) -> Option<ClusterRequest> {
        Some(req.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_repeats_an_idempotent_call_on_transient_errors_only() {
    bounded(async {
        // `flaky`: slow at the first attempt of each command, fast after; `broken`:
        // always an error reply. Both count their attempts.
        let attempts = Arc::new(Mutex::new(Vec::<String>::new()));
        let broken = Arc::new(AtomicUsize::new(0));
        let (a, b) = (attempts.clone(), broken.clone());
        let (_srv, addr) = serve(move |n| {
            n.register(
                "flaky",
                service_fn(move |req: Request| {
                    let a = a.clone();
                    async move {
                        let cmd = req.command().unwrap_or("").to_owned();
                        let first = {
                            let mut a = a.lock().expect("lock");
                            a.push(cmd.clone());
                            a.iter().filter(|c| **c == cmd).count() == 1
                        };
                        if first {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                        Ok(req.payload)
                    }
                }),
            );
            n.register(
                "broken",
                service_fn(move |_req: Request| {
                    b.fetch_add(1, Ordering::SeqCst);
                    async move { Err(ServiceError::from("broken")) }
                }),
            );
        })
        .await;
        let c = client(addr);
        // Each attempt may take 150 ms (then a transient `CallError::Timeout`).
        let svc = ServiceBuilder::new()
            .retry(RetryIdempotent { left: 2 })
            .service(
                c.service("srv")
                    .with_options(CallOptions::new().timeout(Duration::from_millis(150))),
            );
        let count = |cmd: &str| {
            attempts
                .lock()
                .expect("lock")
                .iter()
                .filter(|c| *c == cmd)
                .count()
        };

        // GET timed out once, then succeeded on the retry.
        let req = ClusterRequest::lua("@flaky", &("GET", "k")).expect("packs");
        svc.clone().oneshot(req).await.expect("retried");
        assert_eq!(count("GET"), 2);

        // SET is not idempotent: its timeout is the caller's.
        let req = ClusterRequest::lua("@flaky", &("SET", "k", "v")).expect("packs");
        let e = svc.clone().oneshot(req).await.unwrap_err();
        assert!(matches!(e, CallError::Timeout), "{e}");
        assert_eq!(count("SET"), 1);

        // An error reply is not transient: a GET is not repeated for it.
        let req = ClusterRequest::lua("@broken", &("GET", "k")).expect("packs");
        let e = svc.oneshot(req).await.unwrap_err();
        assert!(matches!(&e, CallError::Remote(t) if t == "broken"), "{e}");
        assert_eq!(broken.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_ready_waits_while_the_connection_is_congested() {
    bounded(async {
        // A peer that accepts and never reads.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let c = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .write_high_water(64 << 10)
            .build();
        let mut svc = c.service("srv");
        svc.ready().await.expect("ready before anything is sent");
        // 1 MiB calls until the socket buffers are full and the queue passes its
        // high water.
        let big = Bytes::from(skynet_cluster::to_args(&("x".repeat(1 << 20),)).expect("packs"));
        let mut calls = Vec::new();
        let mut congested = false;
        for _ in 0..64 {
            let s = svc.clone();
            let req = ClusterRequest::new("@sink", big.clone());
            calls.push(tokio::spawn(s.oneshot(req)));
            tokio::time::sleep(Duration::from_millis(5)).await;
            let waited = tokio::time::timeout(Duration::from_millis(50), svc.ready()).await;
            if waited.is_err() {
                congested = true;
                break;
            }
        }
        assert!(congested, "poll_ready stayed ready with 64 MiB unread");
        // The peer goes: the queue is dropped, the calls fail, the service is ready.
        let peer = accepted.await.expect("task").expect("accepted");
        drop(peer);
        tokio::time::timeout(Duration::from_secs(10), svc.ready())
            .await
            .expect("ready once the connection is gone")
            .expect("ready");
        for call in calls {
            let r = call.await.expect("task");
            assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
        }
    })
    .await;
}

// ------------------------------------------------------------------------------
// Serving side.

/// What the logging layer records: the peer's IP, the address, the command.
type Log = Arc<Mutex<Vec<(Option<IpAddr>, String, Option<String>)>>>;

/// A logging interceptor: records who called what, then passes the request on.
#[derive(Clone)]
struct LogLayer {
    log: Log,
}

impl<S> Layer<S> for LogLayer {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Logged<S> {
        Logged {
            inner,
            log: self.log.clone(),
        }
    }
}

#[derive(Clone)]
struct Logged<S> {
    inner: S,
    log: Log,
}

impl<S: Service<Request>> Service<Request> for Logged<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> S::Future {
        self.log.lock().expect("log").push((
            req.peer.map(|p| p.ip()),
            req.address.to_string(),
            req.command().map(str::to_owned),
        ));
        self.inner.call(req)
    }
}

/// Refuses requests from peers outside `allowed`.
fn allow_peers(
    allowed: HashSet<IpAddr>,
) -> impl Fn(Request) -> Result<Request, ServiceError> + Clone + Send {
    move |req: Request| match req.peer.map(|p| p.ip()) {
        Some(ip) if allowed.contains(&ip) => Ok(req),
        _ => Err(ServiceError::from("peer not allowed")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_services_behind_logging_deny_and_limit_layers() {
    bounded(async {
        let log = LogLayer {
            log: Arc::new(Mutex::new(Vec::new())),
        };
        let limited = Gauge::default();
        let open = Gauge::default();
        let loopback: IpAddr = "127.0.0.1".parse().expect("ip");
        let elsewhere: IpAddr = "192.0.2.1".parse().expect("ip");
        let (srv, addr) = serve(|n| {
            let echo = || service_fn(|r: Request| async move { Ok(r.payload) });
            n.register_layered(
                "logged",
                ServiceBuilder::new()
                    .layer(log.clone())
                    .filter(allow_peers([loopback].into())),
                echo(),
            );
            n.register_layered(
                "private",
                ServiceBuilder::new()
                    .layer(log.clone())
                    .filter(allow_peers([elsewhere].into())),
                echo(),
            );
            n.register_layered(
                "limited",
                ServiceBuilder::new().concurrency_limit(1),
                held(&limited, Duration::from_millis(30)),
            );
            n.register_layered(
                "open",
                tower::layer::util::Identity::new(),
                held(&open, Duration::from_millis(30)),
            );
        })
        .await;
        let c = client(addr);

        // The logging layer sees the peer, the address and the command.
        let reply = c
            .call_lua::<_, (String, String)>("srv", "@logged", &("GET", "k"))
            .await
            .expect("allowed");
        assert_eq!(reply, ("GET".to_owned(), "k".to_owned()));
        // The deny layer answers for the service.
        let e = c
            .call_lua::<_, ()>("srv", "@private", &("GET", "k"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, CallError::Remote(t) if t == "peer not allowed"),
            "{e}"
        );
        assert_eq!(
            *log.log.lock().expect("log"),
            vec![
                (Some(loopback), "@logged".to_owned(), Some("GET".to_owned())),
                (
                    Some(loopback),
                    "@private".to_owned(),
                    Some("GET".to_owned())
                ),
            ]
        );

        // The concurrency limit runs one request at a time; without it they overlap.
        for (address, gauge, most) in [("@limited", &limited, 1), ("@open", &open, 6)] {
            let calls: Vec<_> = (0..6)
                .map(|_| {
                    let c = c.clone();
                    let address = address.to_owned();
                    tokio::spawn(async move {
                        c.call("srv", address.as_str(), Bytes::from_static(b"\x04"))
                            .await
                    })
                })
                .collect();
            for call in calls {
                call.await.expect("task").expect("served");
            }
            if most == 1 {
                assert_eq!(gauge.max(), 1, "{address}");
            } else {
                assert!(gauge.max() > 1, "{address}: {}", gauge.max());
            }
        }
        srv.shutdown();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_tower_service_is_registered_and_its_errors_are_replies() {
    bounded(async {
        let (_srv, addr) = serve(|n| {
            n.register(
                "upper",
                skynet_cluster::tower::TowerService::new(tower::service_fn(
                    |req: Request| async move {
                        let (s,): (String,) = req.args()?;
                        skynet_cluster::reply_lua(&s.to_uppercase())
                    },
                )),
            );
            n.register(
                "timeout",
                skynet_cluster::tower::TowerService::new(
                    ServiceBuilder::new()
                        .timeout(Duration::from_millis(20))
                        .service(skynet_cluster::tower::ServiceLayer::new(held(
                            &Gauge::default(),
                            Duration::from_secs(5),
                        ))),
                ),
            );
        })
        .await;
        let c = client(addr);
        let up: String = c.call_lua("srv", "@upper", &("abc",)).await.expect("upper");
        assert_eq!(up, "ABC");
        let e = c
            .call_lua::<_, ()>("srv", "@upper", &(1,))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, CallError::Remote(t) if t.starts_with("invalid arguments")),
            "{e}"
        );
        let e = c
            .call_lua::<_, ()>("srv", "@timeout", &(1,))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, CallError::Remote(t) if t == "request timed out"),
            "{e}"
        );
    })
    .await;
}
