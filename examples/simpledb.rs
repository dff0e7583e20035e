//! The cluster1 / cluster2 walkthrough of skynet, in Rust: node `db` serves SimpleDb as
//! `sdb`; node `client` SETs then GETs through the generated stub and through a raw
//! `cluster.call`-style call.
//!
//! ```text
//! cargo run --example simpledb                              # both nodes, in this process
//! cargo run --example simpledb -- --listen 127.0.0.1:2528   # only node db, until killed
//! cargo run --example simpledb -- --call 127.0.0.1:2528     # only the client, against that address
//! ```
//!
//! Both halves work with real skynet nodes: `--listen` serves skynet's
//! `cluster.call("db", "@sdb", "GET", "a")` (or `"sdb"`, `".sdb"`), and `--call`
//! reaches a Lua simpledb registered as `sdb` (`cluster.register("sdb", sdb)`).

use skynet_cluster::{ClusterConfig, Node};
use sproto_skynet::simpledb::{MemDb, SimpleDbClient, SimpleDbServer};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Node `db`: SimpleDb registered as `sdb` (reachable as `@sdb`, `.sdb`, `sdb` and by
/// handle), listening on `listen`.
async fn serve(listen: &str) -> Result<(Node, std::net::SocketAddr), Error> {
    let node = Node::new(ClusterConfig::new());
    let handle = node.register("sdb", SimpleDbServer::new(MemDb::default()));
    let addr = node.open(listen).await?;
    println!("[db] serving sdb (handle {handle}) on {addr}");
    Ok((node, addr))
}

/// Node `client`: the walkthrough's calls against node `db` at `db_addr`.
async fn client(db_addr: &str) -> Result<(), Error> {
    let node = Node::new(ClusterConfig::new().with_node("db", db_addr));
    let db = SimpleDbClient::new(node.clone(), "db", "@sdb");
    println!(
        "[client] SET a foobar -> {:?}",
        db.set("a".into(), "foobar".into()).await?
    );
    println!("[client] GET a -> {:?}", db.get("a".into()).await?);
    println!(
        "[client] SET a hello -> {:?}",
        db.set("a".into(), "hello".into()).await?
    );
    // The same call without the stub: cluster.call("db", "sdb", "GET", "a").
    let raw: Option<String> = node.call_lua("db", "sdb", &("GET", "a")).await?;
    println!("[client] raw cluster.call(\"db\", \"sdb\", \"GET\", \"a\") -> {raw:?}");
    println!(
        "[client] GET missing -> {:?}",
        db.get("missing".into()).await?
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(&args).await
}

/// The example with its command-line arguments.
pub async fn run(args: &[String]) -> Result<(), Error> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--listen", addr] => {
            let (_node, _) = serve(addr).await?;
            println!("[db] until killed (Ctrl-C)");
            tokio::signal::ctrl_c().await?;
            Ok(())
        }
        ["--call", addr] => client(addr).await,
        [] => {
            let (_db, addr) = serve("127.0.0.1:0").await?;
            client(&addr.to_string()).await
        }
        _ => Err("usage: simpledb [--listen HOST:PORT | --call HOST:PORT]".into()),
    }
}
