//! `sproto call` / `sproto bench` end to end on 127.0.0.1, against gate servers run
//! in-process: skynet's example agent (the protocols of `src/gate_proto.rs` of the root package,
//! the schemas of the captured session's vectors) over TCP and WebSocket, and a
//! server that never answers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sproto_rt::gate::ProtocolError;
use sproto_rt::net::{Config, Peer, Server};
use sproto_rt::rpc::{Handler, Request};
use sproto_skynet::gate_proto::{
    C2s, C2sServer, GetRequest, GetResponse, HandshakeResponse, S2cClient, SetRequest,
};
use tokio::net::TcpListener;

const BIN: &str = env!("CARGO_BIN_EXE_sproto");
const WELCOME: &str = "Welcome to skynet, I will send heartbeat every 5 sec.";
const HEARTBEAT: &str = r#"{"request":"heartbeat","session":null,"args":null}"#;

/// skynet's example agent, with a quick heartbeat.
struct Agent {
    peer: Peer,
    db: Arc<Mutex<HashMap<String, String>>>,
}

impl C2s for Agent {
    async fn handshake(&self) -> HandshakeResponse {
        HandshakeResponse {
            msg: Some(WELCOME.to_string()),
        }
    }

    async fn get(&self, request: GetRequest) -> GetResponse {
        let db = self.db.lock().unwrap();
        GetResponse {
            result: request.what.and_then(|k| db.get(&k).cloned()),
        }
    }

    async fn set(&self, request: SetRequest) {
        if let (Some(k), Some(v)) = (request.what, request.value) {
            self.db.lock().unwrap().insert(k, v);
        }
    }

    async fn quit(&self) {
        self.peer.close();
    }
}

/// Answers nothing, ever.
struct Silent;

impl Handler for Silent {
    async fn handle(&self, _request: Request) -> Result<Option<Vec<u8>>, ProtocolError> {
        std::future::pending().await
    }
}

/// The servers of one test, on their own runtime, and the schema files.
struct Fixture {
    _rt: tokio::runtime::Runtime,
    tcp: String,
    ws: String,
    silent: String,
    dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Fixture {
    fn start(name: &str) -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (tcp, ws, silent) = rt
            .block_on(async {
                let bind = || async { TcpListener::bind("127.0.0.1:0").await.unwrap() };
                let (tcp, ws, silent) = (bind().await, bind().await, bind().await);
                let addrs = [&tcp, &ws, &silent].map(|l| l.local_addr().unwrap().to_string());
                let server = Server::new(Config::default());
                let db = Arc::default();
                let agent = move |peer: Peer| {
                    let s2c = S2cClient::new(peer.clone());
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(Duration::from_millis(200));
                        loop {
                            tick.tick().await;
                            if s2c.push_heartbeat().await.is_err() {
                                break;
                            }
                        }
                    });
                    C2sServer::new(Agent {
                        peer,
                        db: Arc::clone(&db),
                    })
                };
                server.serve_tcp(tcp, agent.clone());
                server.serve_ws(ws, agent);
                server.serve_tcp(silent, |_| Silent);
                addrs
            })
            .into();
        let dir = std::env::temp_dir().join(format!("sproto-gate-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let vectors = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/gate/example_session.json"
        );
        let session: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(vectors).unwrap()).unwrap();
        for side in ["c2s", "s2c"] {
            let text = session["schemas"][side].as_str().unwrap();
            std::fs::write(dir.join(format!("{side}.sproto")), text).unwrap();
        }
        Fixture {
            _rt: rt,
            tcp,
            ws,
            silent,
            dir,
        }
    }

    fn schema(&self, side: &str) -> String {
        self.dir
            .join(format!("{side}.sproto"))
            .display()
            .to_string()
    }

    /// `sproto <cmd> --connect ADDR --schema c2s --s2c s2c ARGS...`.
    fn run(&self, cmd: &str, addr: &str, args: &[&str]) -> Output {
        let (c2s, s2c) = (self.schema("c2s"), self.schema("s2c"));
        let mut all = vec![cmd, "--connect", addr, "--schema", &c2s, "--s2c", &s2c];
        all.extend_from_slice(args);
        run(&all)
    }

    fn call(&self, args: &[&str]) -> Output {
        self.run("call", &self.tcp, args)
    }
}

/// Runs `sproto`; a run that has not ended after 20 s fails the test (its output is
/// read while it runs, so a chatty child cannot block on a full pipe).
fn run(args: &[&str]) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("{args:?} did not finish");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_owned()
}

/// Exit 0 and exactly this on stdout.
#[track_caller]
fn ok(out: Output, stdout: &str) {
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), stdout);
}

/// Exit 1, nothing on stdout, and a message on stderr that says `what`.
#[track_caller]
fn fails(out: Output, what: &str) {
    assert_eq!(out.status.code(), Some(1), "stdout: {}", text(&out.stdout));
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains(what), "stderr {err:?} does not say {what:?}");
}

#[test]
fn call_handshake_set_get_over_tcp_and_websocket() {
    let f = Fixture::start("call");
    ok(f.call(&["handshake"]), &format!(r#"{{"msg":"{WELCOME}"}}"#));
    ok(f.call(&["get", r#"{"what":"hello"}"#]), "{}");
    ok(
        f.call(&["set", r#"{"what":"hello","value":"world"}"#]),
        "null",
    );
    ok(
        f.call(&["get", r#"{"what":"hello"}"#]),
        r#"{"result":"world"}"#,
    );
    // The same over WebSocket (and the default --s2c: the package type of --schema).
    let c2s = f.schema("c2s");
    let ws = ["call", "--ws", "--connect", &f.ws, "--schema", &c2s];
    ok(
        run(&[&ws[..], &["get", r#"{"what":"hello"}"#]].concat()),
        r#"{"result":"world"}"#,
    );
    ok(
        run(&[&ws[..], &["handshake"]].concat()),
        &format!(r#"{{"msg":"{WELCOME}"}}"#),
    );
}

#[test]
fn call_watch_prints_the_heartbeats() {
    let f = Fixture::start("watch");
    let t0 = Instant::now();
    let out = f.call(&["--watch", "1", "handshake"]);
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let answer = format!(r#"{{"msg":"{WELCOME}"}}"#);
    assert_eq!(
        lines.iter().filter(|l| **l == answer).count(),
        1,
        "{stdout}"
    );
    // One heartbeat at connect, then one each 200 ms for the second of the watch.
    let beats = lines.iter().filter(|l| **l == HEARTBEAT).count();
    assert!(beats >= 4, "{stdout}");
    assert_eq!(beats + 1, lines.len(), "{stdout}");
}

#[test]
fn call_failures_exit_1_with_a_message() {
    let f = Fixture::start("fail");
    // The server closes the connection without answering.
    fails(f.call(&["quit"]), "connection closed before the answer");
    fails(f.call(&["nosuch"]), "unknown protocol \"nosuch\"");
    fails(f.call(&["get", "{not json"]), "invalid JSON");
    fails(f.call(&["get", r#"{"what":5}"#]), "what");
    fails(f.call(&["handshake", r#"{"a":1}"#]), "takes no request");
    // Nothing listens on a port we just held.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    fails(f.run("call", &addr, &["handshake"]), "cannot connect");
    // A server that never answers.
    let t0 = Instant::now();
    fails(
        f.run("call", &f.silent, &["--timeout", "1", "handshake"]),
        "no answer within 1s",
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
    let c2s = f.schema("c2s");
    fails(
        run(&[
            "call",
            "--connect",
            &f.tcp,
            "--schema",
            &c2s,
            "--package",
            "hdr",
            "handshake",
        ]),
        "package type hdr not found",
    );
}

#[test]
fn bench_json() {
    let f = Fixture::start("bench");
    let out = f.run(
        "bench",
        &f.tcp,
        &[
            "--clients",
            "4",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--json",
            "get",
            r#"{"what":"k"}"#,
        ],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bench JSON");
    assert!(v["calls"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["clients"], 4, "{v}");
    assert_eq!(v["duration_secs"], 1.0, "{v}");
    for k in ["calls_per_sec", "p50_us", "p99_us", "p999_us"] {
        assert!(v[k].as_f64().unwrap() > 0.0, "{k}: {v}");
    }
    fails(
        f.run(
            "bench",
            &f.tcp,
            &["--clients", "2", "--duration", "1", "quit"],
        ),
        "first call failed",
    );
}

#[test]
fn help_says_what_each_flag_does() {
    for cmd in ["call", "bench"] {
        let out = run(&[cmd, "--help"]);
        assert!(out.status.success());
        let help = text(&out.stdout);
        for flag in [
            "--connect",
            "--schema",
            "--s2c",
            "--package",
            "--ws",
            "--timeout",
        ] {
            assert!(help.contains(flag), "{cmd} --help lacks {flag}");
        }
    }
}
