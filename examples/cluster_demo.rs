//! Two skynet cluster nodes in one process, each step printed: a typed call through a
//! `#[service]` stub, pushes, a name query, a 100 KiB multi-part payload, an error
//! reply, a timeout, a node set down, and reloads (down, back, and to a new address).
//!
//! Run: `cargo run --example cluster_demo`

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skynet_cluster::{reply_lua, service_fn, CallError, CallOptions, ClusterConfig, Node, Request};
use sproto_skynet::simpledb::{MemDb, SimpleDbClient, SimpleDbServer};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn step(title: &str) {
    println!("\n== {title}");
}

/// Node `db`: SimpleDb as `sdb`, plus `echo` (returns its arguments), `slow` (sleeps
/// `cs` centiseconds first) and `counter` (counts pushes, `get` returns the count).
fn db_node() -> Node {
    let node = Node::new(ClusterConfig::new());
    node.register("sdb", SimpleDbServer::new(MemDb::default()));
    node.register(
        "echo",
        service_fn(|req: Request| async move { Ok(req.payload) }),
    );
    node.register(
        "slow",
        service_fn(|req: Request| async move {
            let (cs,): (u64,) = req.args()?;
            tokio::time::sleep(Duration::from_millis(cs * 10)).await;
            reply_lua(&"awake")
        }),
    );
    let count = Arc::new(AtomicI64::new(0));
    node.register(
        "counter",
        service_fn(move |req: Request| {
            let count = count.clone();
            async move {
                if req.push {
                    count.fetch_add(1, Ordering::SeqCst);
                }
                reply_lua(&count.load(Ordering::SeqCst))
            }
        }),
    );
    node
}

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    let db = db_node();
    let addr = db.open("127.0.0.1:0").await?;
    println!("node db listens on {addr}");
    let game = Node::new(ClusterConfig::new().with_node("db", addr.to_string()));
    println!("node game: cluster config {{ db = \"{addr}\" }}");

    step(
        "call through the #[service] stub (cluster.call(\"db\", \"@sdb\", \"SET\" | \"GET\", ...))",
    );
    let sdb = SimpleDbClient::new(game.clone(), "db", "@sdb");
    println!(
        "SET hero Arthur -> {:?}",
        sdb.set("hero".into(), "Arthur".into()).await?
    );
    println!("GET hero -> {:?}", sdb.get("hero".into()).await?);

    step("send: three pushes (cluster.send), then a call reads the count");
    for i in 1..=3 {
        game.send_lua("db", "@counter", &("push", i)).await?;
    }
    let count: i64 = game.call_lua("db", "@counter", &("get",)).await?;
    println!("counter after 3 pushes -> {count}");

    step("query: cluster.query(\"db\", \"sdb\"), then a call by handle");
    let handle = game.query("db", "sdb").await?;
    let by_handle = SimpleDbClient::new(game.clone(), "db", handle);
    println!(
        "sdb is handle {handle}; GET hero by handle -> {:?}",
        by_handle.get("hero".into()).await?
    );

    step("a 100 KiB payload: split into 32 KiB parts both ways and reassembled");
    let big = "x".repeat(100 * 1024);
    let (back,): (String,) = game.call_lua("db", "@echo", &(big.as_str(),)).await?;
    println!(
        "echo of {} bytes -> {} bytes, equal: {}",
        big.len(),
        back.len(),
        back == big
    );

    step("an error reply: a command sdb does not have");
    match game
        .call_lua::<_, Option<String>>("db", "@sdb", &("NOPE",))
        .await
    {
        Err(CallError::Remote(text)) => println!("error reply -> {text:?}"),
        other => println!("unexpected: {other:?}"),
    }
    match game
        .call_lua::<_, Option<String>>("db", "@nobody", &("GET", "a"))
        .await
    {
        Err(CallError::Remote(text)) => println!("unknown @name -> {text:?}"),
        other => println!("unexpected: {other:?}"),
    }

    step("a timeout: slow sleeps 1 s, the call waits 100 ms");
    let started = Instant::now();
    let payload = skynet_cluster::to_args(&(100,))?;
    let r = game
        .call_with(
            "db",
            "@slow",
            payload.into(),
            &CallOptions::new().timeout(Duration::from_millis(100)),
        )
        .await;
    println!(
        "-> {:?} after {} ms",
        r.map(|_| ()),
        started.elapsed().as_millis()
    );

    step("node down: reload { db = false }, calls fail at once");
    game.reload(ClusterConfig::new().with_down("db"));
    let started = Instant::now();
    println!(
        "GET hero -> {:?} after {} µs",
        sdb.get("hero".into()).await.map(|_| ()),
        started.elapsed().as_micros()
    );

    step("reload { db = <address> }: the next call reconnects");
    game.reload(ClusterConfig::new().with_node("db", addr.to_string()));
    println!("GET hero -> {:?}", sdb.get("hero".into()).await?);

    step("reload to a new address: db listens on a second port too");
    let second = db.open("127.0.0.1:0").await?;
    game.reload(ClusterConfig::new().with_node("db", second.to_string()));
    println!(
        "db now at {second}; GET hero -> {:?}",
        sdb.get("hero".into()).await?
    );

    db.shutdown();
    game.shutdown();
    println!("\ndone");
    Ok(())
}
