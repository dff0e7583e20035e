//! The gate shell on loopback: skynet's captured example session replayed against the
//! `gate_server` example over TCP and WebSocket, typed stubs both ways, and every
//! failure the transport promises to handle (peer gone mid-call, garbage, oversize
//! package, timeout, 10 000 calls in flight on one connection, 500 connections,
//! a full server, one address's share, silent and stalled peers).

#![allow(dead_code)]

#[path = "../examples/gate_server.rs"]
mod gate_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gate_server::gate_proto::*;
use serde_json::Value as Json;
use sproto_rt::gate::{FrameDecoder, ProtocolError, MAX_PACKAGE};
use sproto_rt::net::{connect_tcp, connect_ws, Config, Peer, Server};
use sproto_rt::rpc::{CallError, CloseReason, Handler, Request};
use sproto_rt::{protocol, Sproto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Every test finishes well within this.
const LIMIT: Duration = Duration::from_secs(20);

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn frames() -> Vec<Json> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/gate/example_session.json"
    ))
    .expect("example_session.json");
    let v: Json = serde_json::from_str(&text).expect("json");
    v["frames"].as_array().expect("frames").clone()
}

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let a = l.local_addr().expect("addr");
    (l, a)
}

/// What the recorded session expects from the server: the answers in order and the
/// heartbeat push's bytes.
/// (requests before quit, quit, answers, heartbeat), each a framed package.
type Recorded = (Vec<Vec<u8>>, Vec<u8>, Vec<Vec<u8>>, Vec<u8>);

fn expected() -> Recorded {
    let (mut requests, mut answers, mut heartbeat) = (Vec::new(), Vec::new(), Vec::new());
    let mut quit = Vec::new();
    for f in frames() {
        let bytes = unhex(f["hex"].as_str().expect("hex"));
        match (f["dir"].as_str(), f["kind"].as_str(), f["proto"].as_str()) {
            (Some("c2s"), _, Some("quit")) => quit = bytes,
            (Some("c2s"), _, _) => requests.push(bytes),
            (Some("s2c"), Some("response"), _) => answers.push(bytes),
            _ => heartbeat = bytes,
        }
    }
    (requests, quit, answers, heartbeat)
}

/// Splits what the server sent into answers and heartbeats (the heartbeat's timing
/// is the server's: ours sends the first right after connect, as the agent does).
fn check_server_frames(frames: Vec<Vec<u8>>, answers: &[Vec<u8>], heartbeat: &[u8]) {
    let (beats, got): (Vec<_>, Vec<_>) = frames.into_iter().partition(|f| f == heartbeat);
    assert!(!beats.is_empty(), "a heartbeat right after connect");
    assert_eq!(got, answers, "the answers, byte for byte, in order");
}

/// What the client sends after receiving `got`: as client.lua, the next get after
/// each answer; `quit` once every answer and a heartbeat are in (as in the capture).
fn next_request(
    got: &[Vec<u8>],
    heartbeat: &[u8],
    requests: &[Vec<u8>],
    quit: &[u8],
    sent: &mut usize,
) -> Option<Vec<u8>> {
    let answers = got.iter().filter(|f| f.as_slice() != heartbeat).count();
    let beats = got.len() - answers;
    if *sent < requests.len() && answers + 2 > *sent {
        *sent += 1;
        return Some(requests[*sent - 1].clone());
    }
    if *sent == requests.len() && answers == requests.len() && beats > 0 {
        *sent += 1;
        return Some(quit.to_vec());
    }
    None
}

#[tokio::test]
async fn captured_session_against_the_tcp_gate_server() {
    let (l, addr) = listener().await;
    let server = gate_server::start(Some(l), None, Duration::from_secs(5));
    let (requests, quit, answers, heartbeat) = expected();
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    timeout(LIMIT, async {
        // As client.lua: handshake and set at once, then each get.
        sock.write_all(&[requests[0].clone(), requests[1].clone()].concat())
            .await
            .expect("write");
        let mut got = Vec::new();
        let mut dec = FrameDecoder::new();
        let mut buf = [0u8; 4096];
        let mut sent = 2;
        loop {
            let n = sock.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            dec.extend(&buf[..n]);
            while let Some(p) = dec.next_package() {
                let mut framed = (p.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(p);
                got.push(framed);
                if let Some(next) = next_request(&got, &heartbeat, &requests, &quit, &mut sent) {
                    sock.write_all(&next).await.expect("write");
                }
            }
        }
        check_server_frames(got, &answers, &heartbeat);
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn captured_session_against_the_websocket_gate_server() {
    let (l, addr) = listener().await;
    let server = gate_server::start(None, Some(l), Duration::from_secs(5));
    let (requests, quit, answers, heartbeat) = expected();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/"))
        .await
        .expect("connect");
    let unframe = |f: &[u8]| f[2..].to_vec();
    timeout(LIMIT, async {
        for r in &requests[..2] {
            ws.send(tokio_tungstenite::tungstenite::Message::Binary(
                unframe(r).into(),
            ))
            .await
            .expect("send");
        }
        let mut sent = 2;
        let mut got = Vec::new();
        while let Some(msg) = ws.next().await {
            let tokio_tungstenite::tungstenite::Message::Binary(p) = msg.expect("message") else {
                continue;
            };
            let mut framed = (p.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&p);
            got.push(framed);
            if let Some(next) = next_request(&got, &heartbeat, &requests, &quit, &mut sent) {
                let _ = ws
                    .send(tokio_tungstenite::tungstenite::Message::Binary(
                        unframe(&next).into(),
                    ))
                    .await;
            }
        }
        check_server_frames(got, &answers, &heartbeat);
    })
    .await
    .expect("in time");
    server.shutdown();
}

/// Counts the heartbeats the server pushes to a typed client.
#[derive(Clone, Default)]
struct Beats(Arc<AtomicUsize>);

impl S2c for Beats {
    async fn heartbeat(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn typed_session(peer: Peer, beats: Beats) {
    let c2s = C2sClient::new(peer.clone());
    let hello = c2s.handshake().await.expect("handshake");
    assert_eq!(hello.msg.as_deref(), Some(gate_server::WELCOME));
    c2s.set(SetRequest {
        what: Some("k".into()),
        value: Some("v".into()),
    })
    .await
    .expect("set");
    let got = c2s
        .get(GetRequest {
            what: Some("k".into()),
        })
        .await
        .expect("get");
    assert_eq!(got.result.as_deref(), Some("v"));
    let missing = c2s
        .get(GetRequest {
            what: Some("nope".into()),
        })
        .await
        .expect("get");
    assert_eq!(missing.result, None);
    while beats.0.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // quit: the server closes without answering, so the call fails, at once.
    let err = c2s.quit().await.expect_err("no answer to quit");
    assert!(
        matches!(err, CallError::Closed(CloseReason::Peer)),
        "{err:?}"
    );
    assert_eq!(peer.closed().await, CloseReason::Peer);
}

#[tokio::test]
async fn typed_client_over_tcp_and_websocket() {
    let (tl, taddr) = listener().await;
    let (wl, waddr) = listener().await;
    let server = gate_server::start(Some(tl), Some(wl), Duration::from_millis(50));
    timeout(LIMIT, async {
        let beats = Beats::default();
        let b = beats.clone();
        let peer = connect_tcp(taddr, Config::default(), move |_| S2cServer::new(b))
            .await
            .expect("tcp");
        typed_session(peer, beats).await;
        let beats = Beats::default();
        let b = beats.clone();
        let peer = connect_ws(&format!("ws://{waddr}/"), Config::default(), move |_| {
            S2cServer::new(b)
        })
        .await
        .expect("ws");
        typed_session(peer, beats).await;
    })
    .await
    .expect("in time");
    server.shutdown();
}

// ---- a test service ---------------------------------------------------------------

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
pub struct Blob {
    #[sproto(tag = 0)]
    pub n: i64,
    #[sproto(tag = 1)]
    pub data: Vec<u8>,
}

#[protocol]
pub trait Test {
    #[sproto(tag = 1)]
    async fn echo(&self, request: Blob) -> Blob;
    /// Never answers.
    #[sproto(tag = 2)]
    async fn stall(&self);
    /// Closes the connection without answering.
    #[sproto(tag = 3)]
    async fn hang_up(&self);
    /// Calls the client back (both sides request at once).
    #[sproto(tag = 4)]
    async fn call_back(&self, request: Blob) -> Blob;
}

struct TestImpl {
    peer: Peer,
}

impl Test for TestImpl {
    async fn echo(&self, request: Blob) -> Blob {
        request
    }
    async fn stall(&self) {
        std::future::pending::<()>().await
    }
    async fn hang_up(&self) {
        self.peer.close();
    }
    async fn call_back(&self, request: Blob) -> Blob {
        let back = TestClient::new(self.peer.clone());
        back.echo(request).await.unwrap_or_default()
    }
}

/// A client that also serves `Test` (for call-backs).
struct ClientSide;

impl Test for ClientSide {
    async fn echo(&self, mut request: Blob) -> Blob {
        request.n += 1000;
        request
    }
    async fn stall(&self) {}
    async fn hang_up(&self) {}
    async fn call_back(&self, request: Blob) -> Blob {
        request
    }
}

async fn test_server(config: Config) -> (Server, std::net::SocketAddr) {
    let (l, addr) = listener().await;
    let server = Server::new(config);
    server.serve_tcp(l, |peer| TestServer::new(TestImpl { peer }));
    (server, addr)
}

async fn client(addr: std::net::SocketAddr, config: Config) -> TestClient<Peer> {
    TestClient::new(
        connect_tcp(addr, config, |_| TestServer::new(ClientSide))
            .await
            .expect("connect"),
    )
}

#[tokio::test]
async fn peer_closing_mid_call_fails_every_waiting_call_at_once() {
    let (server, addr) = test_server(Config::default()).await;
    let c = client(addr, Config::default()).await;
    timeout(LIMIT, async {
        let stalled: Vec<_> = (0..50).map(|_| c.stall()).collect();
        let stalled = futures_util::future::join_all(stalled);
        let (results, hang) = tokio::join!(stalled, async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.hang_up().await
        });
        assert!(
            matches!(hang, Err(CallError::Closed(CloseReason::Peer))),
            "{hang:?}"
        );
        for r in results {
            assert!(
                matches!(r, Err(CallError::Closed(CloseReason::Peer))),
                "{r:?}"
            );
        }
        assert_eq!(c.caller().pending_calls(), 0);
        // Later calls fail at once too.
        let after = c.echo(Blob::default()).await;
        assert!(matches!(after, Err(CallError::Closed(_))), "{after:?}");
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn garbage_from_a_client_closes_only_its_connection() {
    let (server, addr) = test_server(Config::default()).await;
    let good = client(addr, Config::default()).await;
    timeout(LIMIT, async {
        for garbage in [
            &[0x00, 0x01, 0xff][..],
            &[0x00, 0x02, 0x01, 0x03],
            &[0x00, 0x03, 0x05, 0x01, 0x7f],
        ] {
            let mut bad = TcpStream::connect(addr).await.expect("connect");
            bad.write_all(garbage).await.expect("write");
            let mut buf = [0u8; 16];
            assert_eq!(
                bad.read(&mut buf).await.expect("read"),
                0,
                "{garbage:?}: closed"
            );
        }
        let r = good
            .echo(Blob {
                n: 5,
                data: vec![1],
            })
            .await
            .expect("still served");
        assert_eq!(r.n, 5);
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn garbage_from_the_server_fails_the_client_calls_with_a_typed_error() {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.expect("accept");
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(&[0x00, 0x01, 0xff]).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let peer = connect_tcp(addr, Config::default(), |_| ())
        .await
        .expect("connect");
    let c = TestClient::new(peer.clone());
    let r = timeout(LIMIT, c.echo(Blob::default()))
        .await
        .expect("in time");
    assert!(
        matches!(
            r,
            Err(CallError::Closed(CloseReason::Protocol(
                ProtocolError::Unpack(_)
            )))
        ),
        "{r:?}"
    );
    assert!(matches!(peer.closed().await, CloseReason::Protocol(_)));
}

#[tokio::test]
async fn unknown_protocol_closes_the_connection() {
    let (server, addr) = test_server(Config::default()).await;
    let peer = connect_tcp(addr, Config::default(), |_| ())
        .await
        .expect("connect");
    let r = timeout(LIMIT, peer.call_raw(99, &[]))
        .await
        .expect("in time");
    assert!(
        matches!(r, Err(CallError::Closed(CloseReason::Peer))),
        "{r:?}"
    );
    server.shutdown();
}

#[tokio::test]
async fn oversize_packages_are_refused_before_anything_is_written() {
    let (server, addr) = test_server(Config::default()).await;
    let c = client(addr, Config::default()).await;
    timeout(LIMIT, async {
        // Random-looking bytes do not pack smaller.
        let data: Vec<u8> = (0..MAX_PACKAGE as u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1)
            .collect();
        let r = c
            .echo(Blob {
                n: 1,
                data: data.clone(),
            })
            .await;
        assert!(matches!(r, Err(CallError::TooLarge(_))), "{r:?}");
        assert_eq!(c.caller().pending_calls(), 0);
        // The connection is intact; a large but fitting message round-trips.
        let fits = data[..60_000].to_vec();
        let r = c
            .echo(Blob {
                n: 2,
                data: fits.clone(),
            })
            .await
            .expect("fits");
        assert_eq!(r.data, fits);
        // An answer too large for a frame is not sent: the call times out, nothing breaks.
        let short = client(
            addr,
            Config::default().call_timeout(Some(Duration::from_millis(300))),
        )
        .await;
        let r = short
            .echo(Blob {
                n: 3,
                data: data[..65_000].to_vec(),
            })
            .await;
        assert!(
            r.is_ok() || matches!(r, Err(CallError::Timeout(_)) | Err(CallError::TooLarge(_))),
            "{r:?}"
        );
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn calls_time_out_and_late_answers_are_ignored() {
    let (server, addr) = test_server(Config::default()).await;
    let c = client(
        addr,
        Config::default().call_timeout(Some(Duration::from_millis(100))),
    )
    .await;
    timeout(LIMIT, async {
        let started = std::time::Instant::now();
        let r = c.stall().await;
        assert!(matches!(r, Err(CallError::Timeout(_))), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(c.caller().pending_calls(), 0, "the session was given up");
        let r = c
            .echo(Blob { n: 9, data: vec![] })
            .await
            .expect("still works");
        assert_eq!(r.n, 9);
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_in_flight_on_one_connection() {
    let (server, addr) = test_server(Config::default()).await;
    let c = Arc::new(client(addr, Config::default()).await);
    timeout(LIMIT, async {
        let calls = (0..10_000i64).map(|n| {
            let c = c.clone();
            async move { c.echo(Blob { n, data: vec![] }).await }
        });
        let results = futures_util::future::join_all(calls).await;
        for (n, r) in results.into_iter().enumerate() {
            assert_eq!(r.expect("answered").n, n as i64);
        }
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_connections_at_once() {
    let (server, addr) = test_server(Config::default()).await;
    timeout(LIMIT, async {
        let clients = (0..500i64).map(|n| async move {
            let c = client(addr, Config::default()).await;
            c.echo(Blob { n, data: vec![] }).await.map(|b| b.n)
        });
        let results = futures_util::future::join_all(clients).await;
        for (n, r) in results.into_iter().enumerate() {
            assert_eq!(r.expect("answered"), n as i64);
        }
        assert_eq!(server.peers().len(), 500);
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn both_sides_request_at_once() {
    let (server, addr) = test_server(Config::default()).await;
    let c = client(addr, Config::default()).await;
    timeout(LIMIT, async {
        let calls = (0..100i64).map(|n| c.call_back(Blob { n, data: vec![] }));
        for (n, r) in futures_util::future::join_all(calls)
            .await
            .into_iter()
            .enumerate()
        {
            assert_eq!(
                r.expect("answered").n,
                n as i64 + 1000,
                "the client's own handler answered"
            );
        }
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn a_full_server_refuses_visibly_and_pushes_reach_every_peer() {
    let (server, addr) = test_server(Config::default()).await;
    let server = server.max_connections(2);
    timeout(LIMIT, async {
        let a = client(addr, Config::default()).await;
        let b = client(addr, Config::default()).await;
        a.echo(Blob::default()).await.expect("a");
        b.echo(Blob::default()).await.expect("b");
        let mut third = TcpStream::connect(addr).await.expect("tcp accepts");
        let mut buf = [0u8; 4];
        assert_eq!(
            third.read(&mut buf).await.expect("read"),
            0,
            "closed at once"
        );
        assert_eq!(server.refused(), 1);
        // Push to all: each client's handler sees it (echo adds 1000, answer dropped).
        for p in server.peers() {
            TestClient::new(p)
                .call_back(Blob { n: 1, data: vec![] })
                .await
                .expect("called back");
        }
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    let (server, addr) = test_server(Config::default()).await;
    let server = server.max_connections(100).max_connections_per_address(2);
    timeout(LIMIT, async {
        let a = client(addr, Config::default()).await;
        let b = client(addr, Config::default()).await;
        a.echo(Blob::default()).await.expect("a");
        b.echo(Blob::default()).await.expect("b");
        // A third from the same address is closed at once, though 98 slots are free.
        let mut third = TcpStream::connect(addr).await.expect("tcp accepts");
        let mut buf = [0u8; 4];
        assert_eq!(third.read(&mut buf).await.expect("read"), 0, "refused");
        assert_eq!(server.refused(), 1);
        // When one leaves, its address gets the slot back.
        a.caller().close();
        a.caller().closed().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while server.connections() > 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "slot not given back"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let c = client(addr, Config::default()).await;
        c.echo(Blob::default()).await.expect("served again");
    })
    .await
    .expect("in time");
    server.shutdown();
}

#[tokio::test]
async fn silent_and_stalled_peers_are_closed_on_time() {
    let config = Config::default()
        .idle_timeout(Some(Duration::from_millis(300)))
        .frame_timeout(Duration::from_millis(300));
    let (server, addr) = test_server(config).await;
    timeout(LIMIT, async {
        // A peer that says nothing is closed after the idle timeout, not before.
        let start = tokio::time::Instant::now();
        let mut silent = TcpStream::connect(addr).await.expect("connect");
        let mut buf = [0u8; 4];
        assert_eq!(silent.read(&mut buf).await.expect("read"), 0, "closed");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(300),
            "closed after {waited:?}"
        );
        // A peer that keeps sending one byte of a package at a time is closed by the
        // frame timeout although bytes keep arriving (each would reset an idle timer).
        let start = tokio::time::Instant::now();
        let mut dribbler = TcpStream::connect(addr).await.expect("connect");
        dribbler.write_all(&[0x01]).await.expect("length byte");
        let closed = async {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if dribbler.write_all(&[0x00]).await.is_err() {
                    return;
                }
                match tokio::time::timeout(Duration::from_millis(1), dribbler.read(&mut buf)).await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => return,
                    _ => {}
                }
            }
        };
        closed.await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "closed after {waited:?}"
        );
        // A client that talks keeps its connection past the idle timeout.
        let talker = client(addr, Config::default().idle_timeout(None)).await;
        for _ in 0..6 {
            talker.echo(Blob::default()).await.expect("served");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // And when it stops, its side sees why the server closed.
        let reason = talker.caller().closed().await;
        assert_eq!(reason, CloseReason::Peer);
    })
    .await
    .expect("in time");
    assert_eq!(server.connections(), 0);
    server.shutdown();
}

#[tokio::test]
async fn close_flushes_what_is_queued() {
    let (l, addr) = listener().await;
    let got = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.expect("accept");
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.expect("read");
        all
    });
    let peer = connect_tcp(addr, Config::default(), |_| ())
        .await
        .expect("connect");
    for _ in 0..100 {
        peer.push_raw(1, &[]).await.expect("queued");
    }
    peer.close();
    let all = timeout(LIMIT, got).await.expect("in time").expect("task");
    // 100 frames of `05 01 04` (type 1, no session).
    assert_eq!(all, [0, 3, 5, 1, 4].repeat(100));
    let schema_text = ".package { type 0 : integer session 1 : integer }";
    assert!(Sproto::parse(schema_text).is_ok());
}

#[tokio::test]
async fn a_handler_that_is_a_plain_function_of_requests() {
    struct Count(Arc<AtomicUsize>);
    impl Handler for Count {
        async fn handle(&self, r: Request) -> Result<Option<Vec<u8>>, ProtocolError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok((r.tag == 1).then(Vec::new))
        }
    }
    let (l, addr) = listener().await;
    let server = Server::new(Config::default());
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    server.serve_tcp(l, move |_| Count(n2.clone()));
    let peer = connect_tcp(addr, Config::default(), |_| ())
        .await
        .expect("connect");
    timeout(LIMIT, async {
        peer.call_raw(1, &[]).await.expect("answered");
        peer.push_raw(2, &[]).await.expect("pushed");
        peer.call_raw(1, &[]).await.expect("answered");
    })
    .await
    .expect("in time");
    assert_eq!(n.load(Ordering::SeqCst), 3);
    server.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_stops_being_read_and_others_are_served() {
    // Small bounds so that the test reaches them quickly.
    let config = Config::default()
        .write_high_water(64 << 10)
        .max_in_flight(4);
    let (server, addr) = test_server(config).await;
    // Framed echo requests of a 32 KiB blob, written without ever reading an answer.
    let mut conn = sproto_rt::gate::Connection::new(Default::default());
    let blob = Blob {
        n: 1,
        data: (0..32_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
    };
    let body = sproto_rt::Message::encode(&blob);
    let mut frame = Vec::new();
    conn.request(1, &body, true).expect("queued");
    sproto_rt::gate::write_frame(&conn.poll_transmit().expect("package"), &mut frame)
        .expect("fits");
    let mut greedy = TcpStream::connect(addr).await.expect("connect");
    let mut written = 0usize;
    let budget = 256 << 20;
    let stalled = timeout(Duration::from_secs(3), async {
        while written < budget {
            greedy.write_all(&frame).await.expect("write");
            written += frame.len();
        }
    })
    .await
    .is_err();
    assert!(
        stalled,
        "the server kept reading {written} bytes from a peer that reads nothing"
    );
    // What the server took is bounded by its queue, its in-flight requests and the
    // socket buffers, far below what was offered.
    assert!(
        written < 64 << 20,
        "{written} bytes were taken before the server stopped reading"
    );
    let other = client(addr, Config::default()).await;
    let r = timeout(LIMIT, other.echo(Blob { n: 2, data: vec![] }))
        .await
        .expect("in time");
    assert_eq!(r.expect("served").n, 2);
    server.shutdown();
}
