//! `#[service]` end to end: a `SimpleDb` trait served by a Rust node and called
//! through the generated stub; and the interop proof — the reference's recorded frames
//! of a Lua caller (`cluster/tests/vectors/cluster`) replayed into the Rust server give the
//! reference's reply bytes, and the Rust stub writes the Lua caller's request bytes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use skynet_cluster::{service, to_args, CallError, ClusterConfig, Node, Request, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// The seed's simpledb: `SET k v` stores and returns the previous value, `GET k`
/// returns the value.
#[service]
pub trait SimpleDb {
    #[skynet(command = "GET")]
    async fn get(&self, key: String) -> Option<String>;
    #[skynet(command = "SET")]
    async fn set(&self, key: String, value: String) -> Option<String>;
    /// A push: `cluster.send(node, "@sdb", "log", line)`.
    #[skynet(push)]
    async fn log(&self, line: String);
    /// Several return values: `return count, keys`.
    async fn stats(&self) -> (i64, Vec<String>);
    /// A default body.
    async fn ping(&self) -> String {
        "pong".to_string()
    }
}

#[derive(Default)]
struct Db {
    map: Mutex<HashMap<String, String>>,
    log: Mutex<Vec<String>>,
}

impl SimpleDb for Db {
    async fn get(&self, key: String) -> Option<String> {
        self.map.lock().ok()?.get(&key).cloned()
    }
    async fn set(&self, key: String, value: String) -> Option<String> {
        self.map.lock().ok()?.insert(key, value)
    }
    async fn log(&self, line: String) {
        if let Ok(mut log) = self.log.lock() {
            log.push(line);
        }
    }
    async fn stats(&self) -> (i64, Vec<String>) {
        let map = self.map.lock().map(|m| m.clone()).unwrap_or_default();
        let mut keys: Vec<String> = map.keys().cloned().collect();
        keys.sort();
        (keys.len() as i64, keys)
    }
}

const LIMIT: Duration = Duration::from_secs(10);

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A Rust node `db` serving SimpleDb as `sdb` (with k1 = v1), and its address.
async fn db_node() -> (Node, String) {
    let db = Db::default();
    db.map
        .lock()
        .expect("fresh lock")
        .insert("k1".into(), "v1".into());
    let node = Node::new(ClusterConfig::new());
    node.register("sdb", SimpleDbServer::new(db));
    let addr = node.open("127.0.0.1:0").await.expect("listens");
    (node, addr.to_string())
}

#[tokio::test]
async fn stub_calls_a_rust_service() {
    timeout(LIMIT, async {
        let (_db, addr) = db_node().await;
        let client = Node::new(ClusterConfig::new().with_node("db", addr));
        let db = SimpleDbClient::new(client.clone(), "db", "@sdb");
        assert_eq!(db.get("k1".into()).await.expect("GET"), Some("v1".into()));
        assert_eq!(db.set("a".into(), "1".into()).await.expect("SET"), None);
        assert_eq!(
            db.set("a".into(), "2".into()).await.expect("SET"),
            Some("1".into())
        );
        assert_eq!(db.get("a".into()).await.expect("GET"), Some("2".into()));
        assert_eq!(db.get("missing".into()).await.expect("GET"), None);
        assert_eq!(
            db.stats().await.expect("stats"),
            (2, vec!["a".to_string(), "k1".to_string()])
        );
        assert_eq!(db.ping().await.expect("ping"), "pong");
        db.log("hello".into()).await.expect("push");
        // The same service by local name, plain name and handle.
        let handle = client.query("db", "sdb").await.expect("query");
        for address in [
            skynet_cluster::Address::from(".sdb"),
            "sdb".into(),
            handle.into(),
        ] {
            let other = SimpleDbClient::new(client.clone(), "db", address);
            assert_eq!(
                other.get("k1".into()).await.expect("GET"),
                Some("v1".into())
            );
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn errors_name_the_command_and_the_argument() {
    timeout(LIMIT, async {
        let (_db, addr) = db_node().await;
        let client = Node::new(ClusterConfig::new().with_node("db", addr));
        let raw = |args: Vec<u8>| {
            let client = client.clone();
            async move { client.call("db", "@sdb", args.into()).await }
        };
        match raw(to_args(&("NOCMD",)).expect("packs")).await {
            Err(CallError::Remote(text)) => assert_eq!(text, "Unknown command NOCMD"),
            other => panic!("unexpected {other:?}"),
        }
        match raw(to_args(&("GET", 42)).expect("packs")).await {
            Err(CallError::Remote(text)) => {
                assert!(text.starts_with("GET: argument 1 (key): "), "{text}")
            }
            other => panic!("unexpected {other:?}"),
        }
        match raw(to_args(&(7,)).expect("packs")).await {
            Err(CallError::Remote(text)) => assert!(text.contains("command name"), "{text}"),
            other => panic!("unexpected {other:?}"),
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn server_adapter_in_memory() {
    let server = SimpleDbServer::new(Db::default());
    let reply = |args: Vec<u8>| server.call(Request::new("@sdb", args.into()));
    // SET of a new key answers nil: skynet.pack(nil) is one 00 byte.
    assert_eq!(
        reply(to_args(&("SET", "k", "v")).expect("packs"))
            .await
            .expect("ok")
            .as_ref(),
        [0u8]
    );
    assert_eq!(
        reply(to_args(&("GET", "k")).expect("packs"))
            .await
            .expect("ok")
            .as_ref(),
        to_args(&("v",)).expect("packs").as_slice()
    );
    // A push method answers no values.
    assert!(reply(to_args(&("log", "x")).expect("packs"))
        .await
        .expect("ok")
        .is_empty());
    assert_eq!(
        SimpleDbServer::<Db>::COMMANDS,
        ["GET", "SET", "log", "stats", "ping"]
    );
}

/// (vector, request frame of the Lua caller, reply frame of the Lua service)
fn recorded() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    [
        "call_at_name",
        "call_local_name",
        "call_plain_global_name",
        "call_missing_key",
    ]
    .iter()
    .map(|id| {
        let path = format!(
            "{}/cluster/tests/vectors/cluster/{id}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vector")).expect("json");
        let frame = |dir: &str| {
            v["events"]
                .as_array()
                .and_then(|e| e.iter().find(|e| e["ev"] == "frame" && e["dir"] == dir))
                .and_then(|e| e["hex"].as_str())
                .map(unhex)
                .expect("frame")
        };
        (id.to_string(), frame("c2s"), frame("s2c"))
    })
    .collect()
}

#[tokio::test]
async fn lua_callers_frames_get_the_reference_reply_bytes() {
    timeout(LIMIT, async {
        let (_db, addr) = db_node().await;
        for (id, request, reply) in recorded() {
            let mut sock = TcpStream::connect(&addr).await.expect("connects");
            sock.write_all(&request).await.expect("writes");
            let mut got = vec![0u8; reply.len()];
            sock.read_exact(&mut got).await.expect("reads the reply");
            assert_eq!(hex(&got), hex(&reply), "{id}");
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn stub_writes_the_lua_callers_bytes() {
    timeout(LIMIT, async {
        for (id, request, reply) in recorded() {
            // A fake skynet node: check the first frame, answer with the recorded reply.
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
            let addr = listener.local_addr().expect("addr").to_string();
            let fake = tokio::spawn(async move {
                let (mut sock, _) = listener.accept().await.expect("accepts");
                let mut got = vec![0u8; request.len()];
                sock.read_exact(&mut got).await.expect("reads");
                sock.write_all(&reply).await.expect("answers");
                got == request
            });
            let client = Node::new(ClusterConfig::new().with_node("db", addr));
            let (address, key) = match id.as_str() {
                "call_local_name" => (".sdb", "k1"),
                "call_plain_global_name" => ("sdb", "k1"),
                "call_missing_key" => ("@sdb", "no-such-key"),
                _ => ("@sdb", "k1"),
            };
            let value = SimpleDbClient::new(client, "db", address)
                .get(key.into())
                .await
                .expect("reply");
            assert_eq!(
                value.as_deref(),
                if id == "call_missing_key" {
                    None
                } else {
                    Some("v1")
                },
                "{id}"
            );
            assert!(
                fake.await.expect("fake server"),
                "{id}: request bytes differ from the Lua caller's"
            );
        }
    })
    .await
    .expect("in time");
}

/// A sproto message as an argument and a return value, as Lua code that calls
/// `sproto:encode` before `skynet.call` would send it.
#[derive(sproto_rt::Sproto, Debug, Default, Clone, PartialEq)]
pub struct Move {
    #[sproto(tag = 0)]
    pub x: i64,
    #[sproto(tag = 1)]
    pub y: i64,
}

#[service]
pub trait Board {
    #[skynet(command = "MOVE")]
    async fn apply(&self, m: skynet_cluster::SprotoArg<Move>) -> skynet_cluster::SprotoArg<Move>;
}

struct Mirror;

impl Board for Mirror {
    async fn apply(&self, m: skynet_cluster::SprotoArg<Move>) -> skynet_cluster::SprotoArg<Move> {
        skynet_cluster::SprotoArg(Move {
            x: -m.0.x,
            y: -m.0.y,
        })
    }
}

#[tokio::test]
async fn sproto_messages_travel_as_lua_strings() {
    use sproto_rt::Message;
    let reply = BoardServer::new(Mirror)
        .call(Request::new(
            "@board",
            to_args(&("MOVE", serde_bytes_like(&Move { x: 1, y: 2 }.encode())))
                .expect("packs")
                .into(),
        ))
        .await
        .expect("ok");
    // The reply is one Lua string: the sproto encoding of the mirrored move.
    let (bytes,): (skynet_cluster::LuaValue,) =
        skynet_cluster::from_args(&reply).expect("one value");
    match bytes {
        skynet_cluster::LuaValue::String(b) => {
            assert_eq!(Move::decode(&b).expect("sproto"), Move { x: -1, y: -2 })
        }
        other => panic!("expected a string, got {other:?}"),
    }
}

/// Bytes as a Lua string argument (serde's `serialize_bytes`).
fn serde_bytes_like(b: &[u8]) -> skynet_cluster::LuaValue {
    skynet_cluster::LuaValue::String(b.to_vec())
}

/// `#[service(crate = "...")]`: a crate that re-exports skynet_cluster under another
/// path, and user types named like the adapter's generic parameter.
mod crate_option {
    pub mod reexport {
        pub use skynet_cluster as cluster;
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    pub struct T(pub i64);

    #[skynet_cluster::service(crate = "crate::crate_option::reexport::cluster")]
    pub trait Renamed {
        async fn id(&self, v: T) -> T;
    }

    pub struct Same;
    impl Renamed for Same {
        async fn id(&self, v: T) -> T {
            v
        }
    }
}

#[test]
fn the_crate_option_and_a_user_type_named_t() {
    use crate_option::{RenamedServer, Same};
    assert_eq!(RenamedServer::<Same>::COMMANDS, ["id"]);
}
