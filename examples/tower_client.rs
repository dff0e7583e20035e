//! Cluster calls through tower layers: a remote node as a `tower::Service`
//! (`Node::service`) under `retry` (of idempotent commands, on transient errors
//! only), `load_shed`, `concurrency_limit` and `timeout`.
//!
//! Run: `cargo run --example tower_client` (two nodes in one process, on 127.0.0.1).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use skynet_cluster::tower::ClusterRequest;
use skynet_cluster::{reply_lua, service_fn, CallError, CallOptions, ClusterConfig, Node, Request};
use tower::retry::Policy;
use tower::{BoxError, ServiceBuilder, ServiceExt};

/// Retries read-only commands (`GET`) after a transient failure (timeout,
/// connection lost, node down, connect error), at most `left` more times. A `SET` is
/// never repeated: it may have been applied before the error.
#[derive(Clone)]
struct RetryIdempotent {
    left: usize,
}

impl Policy<ClusterRequest, Bytes, CallError> for RetryIdempotent {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        req: &mut ClusterRequest,
        result: &mut Result<Bytes, CallError>,
    ) -> Option<Self::Future> {
        match result {
            Err(e) if e.is_transient() && self.left > 0 && req.command() == Some("GET") => {
                self.left -= 1;
                println!("  {e}: retrying");
                Some(tokio::time::sleep(Duration::from_millis(10)))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, req: &ClusterRequest) -> Option<ClusterRequest> {
        Some(req.clone())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Node `db`: a GET that is slow the first time, and a SET.
    let db = Node::default();
    let gets = Arc::new(AtomicUsize::new(0));
    let g = gets.clone();
    db.register(
        "kv",
        service_fn(move |req: Request| {
            let n = g.fetch_add(1, Ordering::SeqCst);
            async move {
                match req.command() {
                    Some("GET") if n == 0 => {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        reply_lua(&"late")
                    }
                    Some("GET") => reply_lua(&"value"),
                    Some("SET") => reply_lua(&true),
                    _ => Err("unknown command".into()),
                }
            }
        }),
    );
    let addr = db.open("127.0.0.1:0").await?;
    let game = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));

    // Each attempt has 100 ms (the node's per-call timeout: a transient
    // CallError::Timeout); the whole call, retries included, 2 s.
    let kv = ServiceBuilder::new()
        .timeout(Duration::from_secs(2))
        .load_shed()
        .concurrency_limit(32)
        .retry(RetryIdempotent { left: 2 })
        .service(
            game.service("db")
                .with_options(CallOptions::new().timeout(Duration::from_millis(100))),
        );

    println!("GET through retry:");
    let reply = kv
        .clone()
        .oneshot(ClusterRequest::lua("@kv", &("GET", "a"))?)
        .await?;
    let (value,): (String,) = skynet_cluster::from_args(&reply)?;
    println!(
        "  -> {value:?} after {} attempts",
        gets.load(Ordering::SeqCst)
    );
    assert_eq!(value, "value");

    println!("SET (not retried):");
    let reply = kv
        .clone()
        .oneshot(ClusterRequest::lua("@kv", &("SET", "a", "1"))?)
        .await?;
    println!("  -> {:?}", skynet_cluster::from_args::<(bool,)>(&reply)?);

    println!("an error reply is not transient:");
    let e = kv
        .oneshot(ClusterRequest::lua("@kv", &("DEL", "a"))?)
        .await
        .unwrap_err();
    println!("  -> {e}");
    assert!(matches!(
        e.downcast_ref::<CallError>(),
        Some(CallError::Remote(_))
    ));

    game.shutdown();
    db.shutdown();
    Ok(())
}
