//! skynet's example game server (`examples/agent.lua` behind a gate), in Rust, written
//! with the typed protocols of `sproto_skynet::gate_proto` (skynet's `proto.lua`).
//!
//! ```text
//! cargo run --example gate_server                                  # TCP gate on 127.0.0.1:8888
//! cargo run --example gate_server -- --listen 0.0.0.0:8888         # TCP gate (2-byte length frames)
//! cargo run --example gate_server -- --listen-ws 127.0.0.1:8889    # WebSocket gate (one message per package)
//! ```
//!
//! Each connection gets its own agent: `handshake` answers the welcome text, `set` /
//! `get` use one in-memory store shared by all agents (skynet's example `simpledb`),
//! `quit` closes the connection without answering, and a `heartbeat` is pushed right
//! after connect and then every 5 seconds. skynet's unmodified `examples/client.lua`
//! works against it (`lua examples/client.lua` with the port set to this one's).

pub use sproto_skynet::gate_proto;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gate_proto::{
    C2s, C2sServer, GetRequest, GetResponse, HandshakeResponse, S2cClient, SetRequest,
};
use sproto_rt::net::{Config, Peer, Server};
use tokio::net::TcpListener;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The text of the agent's handshake answer.
pub const WELCOME: &str = "Welcome to skynet, I will send heartbeat every 5 sec.";

/// The store every agent shares (skynet's example `simpledb` service).
pub type Db = Arc<Mutex<HashMap<String, String>>>;

/// One client's agent.
pub struct Agent {
    peer: Peer,
    db: Db,
}

impl C2s for Agent {
    async fn handshake(&self) -> HandshakeResponse {
        HandshakeResponse {
            msg: Some(WELCOME.to_string()),
        }
    }

    async fn get(&self, request: GetRequest) -> GetResponse {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        GetResponse {
            result: request.what.and_then(|k| db.get(&k).cloned()),
        }
    }

    async fn set(&self, request: SetRequest) {
        if let (Some(k), Some(v)) = (request.what, request.value) {
            self.db
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(k, v);
        }
    }

    async fn quit(&self) {
        // As the agent asks the watchdog to close the socket: no answer is sent.
        self.peer.close();
    }
}

/// Makes the agent of a new connection and starts its heartbeat (the first one at
/// once, then every `interval`).
pub fn agent(peer: Peer, db: Db, interval: Duration) -> C2sServer<Agent> {
    let s2c = S2cClient::new(peer.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        while s2c.push_heartbeat().await.is_ok() {
            tick.tick().await;
        }
    });
    C2sServer::new(Agent { peer, db })
}

/// Serves the example on the given listeners (either or both) until the server is
/// shut down.
pub fn start(tcp: Option<TcpListener>, ws: Option<TcpListener>, heartbeat: Duration) -> Server {
    let server = Server::new(Config::default());
    let db = Db::default();
    if let Some(l) = tcp {
        let db = db.clone();
        server.serve_tcp(l, move |peer| agent(peer, db.clone(), heartbeat));
    }
    if let Some(l) = ws {
        server.serve_ws(l, move |peer| agent(peer, db.clone(), heartbeat));
    }
    server
}

/// Parses `--listen HOST:PORT` and `--listen-ws HOST:PORT`, binds, and serves.
pub async fn run(args: &[String]) -> Result<Server, Error> {
    let (mut tcp, mut ws) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let slot = match flag.as_str() {
            "--listen" => &mut tcp,
            "--listen-ws" => &mut ws,
            other => return Err(format!("unknown argument {other:?}; expected --listen HOST:PORT and/or --listen-ws HOST:PORT").into()),
        };
        let addr = it.next().ok_or_else(|| format!("{flag} needs HOST:PORT"))?;
        *slot = Some(addr.clone());
    }
    if tcp.is_none() && ws.is_none() {
        tcp = Some("127.0.0.1:8888".to_string());
    }
    let tcp = match tcp {
        Some(a) => {
            let l = TcpListener::bind(&a).await?;
            println!("TCP gate listening on {}", l.local_addr()?);
            Some(l)
        }
        None => None,
    };
    let ws = match ws {
        Some(a) => {
            let l = TcpListener::bind(&a).await?;
            println!("WebSocket gate listening on ws://{}/", l.local_addr()?);
            Some(l)
        }
        None => None,
    };
    Ok(start(tcp, ws, Duration::from_secs(5)))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _server = run(&args).await?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
