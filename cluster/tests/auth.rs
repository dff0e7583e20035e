//! The shared-secret handshake between Rust nodes on loopback: the right secret is
//! served, a wrong or missing one is refused before any request is read (no service
//! ran; the refusal is counted), a stalled handshake is bounded, and plain skynet
//! peers of a node are not affected. Bounded in time, 127.0.0.1 only.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skynet_cluster::proto::AuthSecret;
use skynet_cluster::{reply_lua, service_fn, CallError, ClusterConfig, Node, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

async fn bounded<F: std::future::Future<Output = ()>>(f: F) {
    timeout(common::TEST_LIMIT, f)
        .await
        .expect("test took too long");
}

fn secret(s: &str) -> AuthSecret {
    AuthSecret::new(s).expect("secret")
}

/// A node requiring `secret`, serving `@add` (counting the calls it ran).
async fn guarded(secret: Option<AuthSecret>) -> (Node, SocketAddr, Arc<AtomicUsize>) {
    let mut b = Node::builder().frame_timeout(Duration::from_millis(300));
    if let Some(s) = secret {
        b = b.require_auth(s);
    }
    let node = b.build();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    node.register(
        "add",
        service_fn(move |req: Request| {
            r.fetch_add(1, Ordering::SeqCst);
            async move {
                let (a, b): (i64, i64) = req.args()?;
                reply_lua(&(a + b))
            }
        }),
    );
    let addr = node.open("127.0.0.1:0").await.expect("listen");
    (node, addr, ran)
}

fn caller(addr: SocketAddr, secret: Option<AuthSecret>) -> Node {
    let mut b = Node::builder()
        .config(ClusterConfig::new().with_node("srv", addr.to_string()))
        .connect_timeout(Duration::from_millis(500))
        .call_timeout(Some(Duration::from_secs(5)));
    if let Some(s) = secret {
        b = b.auth_node("srv", s);
    }
    b.build()
}

/// Waits (bounded) until `node` counted `n` refusals.
async fn refusals(node: &Node, n: u64) {
    let until = Instant::now() + Duration::from_secs(5);
    while node.refused_auth() < n && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(node.refused_auth(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_secret_is_served() {
    bounded(async {
        let (srv, addr, ran) = guarded(Some(secret("s3cret"))).await;
        let c = caller(addr, Some(secret("s3cret")));
        for i in 0..5 {
            let sum: i64 = c.call_lua("srv", "@add", &(i, 1)).await.expect("call");
            assert_eq!(sum, i + 1);
        }
        assert_eq!(ran.load(Ordering::SeqCst), 5);
        assert_eq!(srv.refused_auth(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_secret_is_refused_before_any_request_is_read() {
    bounded(async {
        let (srv, addr, ran) = guarded(Some(secret("s3cret"))).await;

        // Another secret: the client sees the node fail to prove the secret and sends
        // nothing; the server counts the refusal.
        let wrong = caller(addr, Some(secret("guess")));
        let r: Result<i64, CallError> = wrong.call_lua("srv", "@add", &(1, 2)).await;
        match r {
            Err(CallError::Connect { source, .. }) => {
                assert_eq!(
                    source.kind(),
                    std::io::ErrorKind::PermissionDenied,
                    "{source}"
                )
            }
            other => panic!("{other:?}"),
        }
        refusals(&srv, 1).await;

        // No secret: a plain skynet client writes its request frame at once; the node
        // refuses on its first bytes and never reads it as a request.
        let plain = caller(addr, None);
        let r: Result<i64, CallError> = plain.call_lua("srv", "@add", &(1, 2)).await;
        assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
        refusals(&srv, 2).await;

        // A raw peer that sends a whole, valid request frame (what skynet sends for
        // `cluster.call(node, "@add", 1, 2)`), and one that starts a hello and stalls.
        let frame = add_request();
        let mut raw = TcpStream::connect(addr).await.expect("connect");
        let _ = raw.write_all(&frame).await;
        let mut buf = [0u8; 64];
        let n = timeout(Duration::from_secs(2), raw.read(&mut buf))
            .await
            .expect("closed at once")
            .unwrap_or(0);
        assert_eq!(n, 0, "no reply: the connection is closed");
        refusals(&srv, 3).await;
        let mut stall = TcpStream::connect(addr).await.expect("connect");
        stall.write_all(b"SKA1").await.expect("write");
        let n = timeout(Duration::from_secs(2), stall.read(&mut buf))
            .await
            .expect("closed after the handshake timeout")
            .unwrap_or(0);
        assert_eq!(n, 0);
        refusals(&srv, 4).await;

        // No request handler ran for any of them.
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        // And the right secret is still served.
        let ok = caller(addr, Some(secret("s3cret")));
        let sum: i64 = ok.call_lua("srv", "@add", &(1, 2)).await.expect("call");
        assert_eq!((sum, ran.load(Ordering::SeqCst)), (3, 1));
        assert_eq!(srv.refused_auth(), 4);
    })
    .await;
}

/// The frame of `cluster.call(node, "@add", 1, 2)`, session 1.
fn add_request() -> Vec<u8> {
    let payload = skynet_cluster::to_args(&(1, 2)).expect("pack");
    let mut frame = Vec::new();
    skynet_cluster::frame::encode_request(
        &mut frame,
        skynet_cluster::AddrRef::Name(b"@add"),
        1,
        false,
        &payload,
    )
    .expect("frame");
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_is_per_node_plain_peers_are_unchanged() {
    bounded(async {
        // A plain node (as skynet): served to plain callers, as before — the raw
        // request frame the guarded node refuses is answered here.
        let (plain_srv, plain_addr, plain_ran) = guarded(None).await;
        let mut raw = TcpStream::connect(plain_addr).await.expect("connect");
        raw.write_all(&add_request()).await.expect("write");
        let mut reply = [0u8; 64];
        let n = timeout(Duration::from_secs(2), raw.read(&mut reply))
            .await
            .expect("a reply")
            .expect("read");
        assert!(n > 0);
        assert_eq!(plain_ran.load(Ordering::SeqCst), 1);
        // A node that requires the secret on its listener still calls plain nodes.
        let (guarded_srv, guarded_addr, _) = guarded(Some(secret("k"))).await;
        let c = Node::builder()
            .config(
                ClusterConfig::new()
                    .with_node("plain", plain_addr.to_string())
                    .with_node("guarded", guarded_addr.to_string()),
            )
            .require_auth(secret("k"))
            .auth_node("guarded", secret("k"))
            .connect_timeout(Duration::from_millis(300))
            .build();
        let a: i64 = c
            .call_lua("plain", "@add", &(2, 2))
            .await
            .expect("plain call");
        let b: i64 = c
            .call_lua("guarded", "@add", &(3, 3))
            .await
            .expect("guarded call");
        assert_eq!((a, b), (4, 6));
        assert_eq!(
            (plain_srv.refused_auth(), guarded_srv.refused_auth()),
            (0, 0)
        );

        // Authenticating to a node that does not require it: the node never answers
        // the hello, the connect fails within the connect timeout (nothing is sent).
        let wrong_way = caller(plain_addr, Some(secret("k")));
        let t = Instant::now();
        let r: Result<i64, CallError> = wrong_way.call_lua("srv", "@add", &(1, 1)).await;
        assert!(matches!(r, Err(CallError::Connect { .. })), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(3));
    })
    .await;
}
