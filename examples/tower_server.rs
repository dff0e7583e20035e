//! tower layers around a served service (`Node::register_layered`): a logging
//! interceptor (who called what, how long it took), an authorisation layer (calling
//! peers by IP address, and a command nobody may call), and a concurrency limit.
//!
//! Run: `cargo run --example tower_server` (two nodes in one process, on 127.0.0.1).

use std::collections::HashSet;
use std::net::IpAddr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use skynet_cluster::{
    reply_lua, service_fn, CallError, ClusterConfig, Node, Request, ServiceError,
};
use tower::{BoxError, Layer, Service, ServiceBuilder};

/// Logs each request: the calling peer, the address, the command, the outcome and
/// the time the inner services took.
#[derive(Clone)]
struct LogLayer;

impl<S> Layer<S> for LogLayer {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Logged<S> {
        Logged { inner }
    }
}

#[derive(Clone)]
struct Logged<S> {
    inner: S,
}

impl<S> Service<Request> for Logged<S>
where
    S: Service<Request>,
    S::Error: std::fmt::Display,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let who = req
            .peer
            .map_or_else(|| "memory".to_owned(), |p| p.to_string());
        let what = format!("{} {}", req.address, req.command().unwrap_or("?"));
        let start = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await;
            let outcome = match &r {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            };
            println!("  [log] {who} {what}: {outcome} in {:?}", start.elapsed());
            r
        })
    }
}

/// Lets through calls from `peers` only, and never the command `FLUSHALL`.
fn authorise(
    peers: HashSet<IpAddr>,
) -> impl Fn(Request) -> Result<Request, ServiceError> + Clone + Send {
    move |req: Request| {
        let ip = req.peer.map(|p| p.ip());
        if !ip.is_some_and(|ip| peers.contains(&ip)) {
            return Err(ServiceError::from("peer not allowed"));
        }
        if req.command() == Some("FLUSHALL") {
            return Err(ServiceError::from("command not allowed"));
        }
        Ok(req)
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let db = Node::default();
    let store = service_fn(|req: Request| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        reply_lua(&format!("done {}", req.command().unwrap_or("?")))
    });
    let loopback: IpAddr = "127.0.0.1".parse()?;
    db.register_layered(
        "store",
        ServiceBuilder::new()
            .layer(LogLayer)
            .filter(authorise([loopback].into()))
            .concurrency_limit(2),
        store,
    );
    // The same service for another network only: calls from here are refused.
    db.register_layered(
        "internal",
        ServiceBuilder::new()
            .layer(LogLayer)
            .filter(authorise(["10.1.2.3".parse()?].into())),
        service_fn(|_req: Request| async move { reply_lua(&"secret") }),
    );
    let addr = db.open("127.0.0.1:0").await?;
    let game = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));

    println!("an allowed call:");
    let v: String = game.call_lua("db", "@store", &("GET", "a")).await?;
    assert_eq!(v, "done GET");

    println!("a refused command, a refused peer:");
    for (address, cmd) in [("@store", "FLUSHALL"), ("@internal", "GET")] {
        let e = game
            .call_lua::<_, ()>("db", address, &(cmd,))
            .await
            .unwrap_err();
        println!("  -> {e}");
        assert!(matches!(e, CallError::Remote(_)));
    }

    println!("six calls at once through a limit of two (three rounds of ~20 ms):");
    let start = Instant::now();
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let game = game.clone();
            tokio::spawn(async move {
                game.call_lua::<_, String>("db", "@store", &("GET", i))
                    .await
            })
        })
        .collect();
    for c in calls {
        c.await??;
    }
    println!("  -> all served in {:?}", start.elapsed());

    game.shutdown();
    db.shutdown();
    Ok(())
}
