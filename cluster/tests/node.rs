//! Rust ↔ Rust nodes on loopback: calls, pushes, queries, multi-part both ways, error
//! replies, node down / reload, a peer killed mid-call, 10 000 concurrent calls,
//! session wrap-around, timeouts and cancellation, garbage input, limits. Every test
//! is bounded in time and uses 127.0.0.1 with port 0.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use skynet_cluster::frame::{encode_response, take_frame, RequestFrame};
use skynet_cluster::reassembly::{Inbound, RequestAssembler};
use skynet_cluster::session::MAX_SESSION;
use skynet_cluster::{
    conformance, reply_lua, service_fn, CallError, CallOptions, ClusterConfig, Limits, Node,
    Request, INVALID_ADDRESS,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Runs a test body with the suite's time bound.
async fn bounded<F: std::future::Future<Output = ()>>(f: F) {
    timeout(common::TEST_LIMIT, f)
        .await
        .expect("test took too long");
}

/// A node serving the conformance set plus `sess` (returns the request's session)
/// and `who` (returns `tag`).
async fn server_with(tag: &'static str, node: Node) -> (Node, SocketAddr) {
    conformance::register(&node).expect("conformance set");
    node.register(
        "sess",
        service_fn(|req: Request| async move { reply_lua(&req.session) }),
    );
    node.register(
        "who",
        service_fn(move |_req: Request| async move { reply_lua(&tag) }),
    );
    let addr = node.open("127.0.0.1:0").await.expect("listen");
    (node, addr)
}

async fn server() -> (Node, SocketAddr) {
    server_with("A", Node::default()).await
}

fn client(addr: SocketAddr) -> Node {
    Node::new(ClusterConfig::new().with_node("srv", addr.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_send_query_by_every_address_form() {
    bounded(async {
        let (_srv, addr) = server().await;
        let c = client(addr);
        let old: Option<String> = c
            .call_lua("srv", "@sdb", &("SET", "a", "foobar"))
            .await
            .unwrap();
        assert_eq!(old, None);
        for a in ["@sdb", ".sdb", "sdb", ":0000000a"] {
            let v: String = c.call_lua("srv", a, &("get", "a")).await.unwrap();
            assert_eq!(v, "foobar", "{a}");
        }
        let v: String = c.call_lua("srv", 10u32, &("GET", "a")).await.unwrap();
        assert_eq!(v, "foobar");
        assert_eq!(c.query("srv", "sdb").await.unwrap(), 10);
        assert_eq!(c.query("srv", "counter").await.unwrap(), 15);
        match c.query("srv", "nosuch").await {
            Err(CallError::Remote(t)) => assert_eq!(t, "name not found"),
            other => panic!("{other:?}"),
        }
        // Pushes arrive in order before the next call on the same connection.
        let _: i64 = c.call_lua("srv", "@counter", &"reset").await.unwrap();
        for _ in 0..5 {
            c.send_lua("srv", "@counter", &("push", 1)).await.unwrap();
        }
        c.send_lua("srv", 15u32, &"numeric push").await.unwrap();
        let n: i64 = c.call_lua("srv", "@counter", &"get").await.unwrap();
        assert_eq!(n, 6);
        // PING as a push is counted, as a call it answers.
        c.send_lua("srv", "@sdb", &("PING", "x")).await.unwrap();
        let (pong, x): (String, String) = c.call_lua("srv", "@sdb", &("PING", "x")).await.unwrap();
        assert_eq!((pong.as_str(), x.as_str()), ("PONG", "x"));
        let pings: i64 = c.call_lua("srv", "@sdb", &"PINGS").await.unwrap();
        assert_eq!(pings, 1);
        // Raw payloads.
        let raw = c
            .call("srv", "@rawecho", Bytes::from_static(b"\x1cabc"))
            .await
            .unwrap();
        assert_eq!(&raw[..], b"\x1cabc");
        let empty = c.call("srv", "@echo", Bytes::new()).await.unwrap();
        assert!(empty.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_both_ways_at_the_boundaries() {
    bounded(async {
        let (_srv, addr) = server().await;
        let c = client(addr);
        for size in [32767usize, 32768, 32769, 65536, 1 << 20] {
            // rawecho: request and reply payloads of exactly `size` bytes.
            let payload: Bytes = (0..size)
                .map(|i| (i * 7 + size) as u8)
                .collect::<Vec<u8>>()
                .into();
            let back = c.call("srv", "@rawecho", payload.clone()).await.unwrap();
            assert_eq!(back, payload, "rawecho {size}");
            // echo of a string: lua-seri both ways.
            let s = "e".repeat(size);
            let r: String = c.call_lua("srv", "@echo", &s).await.unwrap();
            assert_eq!(r.len(), size);
            // big: a small request, a reply of `size` + header bytes.
            let b: String = c.call_lua("srv", "@big", &(size, "ab")).await.unwrap();
            assert_eq!(b.len(), size);
            assert!(b.starts_with("abab"));
            // multi-part push.
            let _: i64 = c.call_lua("srv", "@counter", &"reset").await.unwrap();
            c.send("srv", "@counter", payload.clone()).await.unwrap();
            let n: i64 = c.call_lua("srv", "@counter", &"get").await.unwrap();
            assert_eq!(n, 1, "multi-part push of {size}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_replies_and_unknown_names() {
    bounded(async {
        let (_srv, addr) = server().await;
        let c = client(addr);
        let remote = |r: Result<Bytes, CallError>| match r {
            Err(CallError::Remote(t)) => t,
            other => panic!("expected an error reply, got {other:?}"),
        };
        let p = || Bytes::from(skynet_cluster::to_args(&"x").unwrap());
        assert_eq!(remote(c.call("srv", "@fail", p()).await), "call failed");
        let nocmd = Bytes::from(skynet_cluster::to_args(&"NOCMD").unwrap());
        assert_eq!(
            remote(c.call("srv", "@sdb", nocmd).await),
            "Unknown command NOCMD"
        );
        assert_eq!(remote(c.call("srv", "@nosuch", p()).await), "Invalid name");
        assert_eq!(remote(c.call("srv", ".nosuch", p()).await), INVALID_ADDRESS);
        assert_eq!(
            remote(c.call("srv", 0x00ff_ff00u32, p()).await),
            INVALID_ADDRESS
        );
        // skynet never answers an unknown plain (global) name; we do.
        assert_eq!(
            remote(c.call("srv", "nosuchglobal", p()).await),
            INVALID_ADDRESS
        );
        // Bad addresses fail before anything is sent.
        assert!(matches!(
            c.call("srv", "", p()).await,
            Err(CallError::Address(_))
        ));
        assert!(matches!(
            c.call("srv", "x".repeat(256), p()).await,
            Err(CallError::Address(_))
        ));
        // Pushes to unknown names: the server answers the @name one on session 0,
        // which the client ignores; the connection keeps working.
        c.send("srv", "@nosuch", p()).await.unwrap();
        c.send("srv", ".nosuch", p()).await.unwrap();
        c.send("srv", "@nosuch", Bytes::from(vec![b'U'; 40000]))
            .await
            .unwrap();
        let v: String = c.call_lua("srv", "@echo", &"still fine").await.unwrap();
        assert_eq!(v, "still fine");
        // Typed reply mismatch.
        let r: Result<i64, _> = c.call_lua("srv", "@echo", &"text").await;
        assert!(matches!(r, Err(CallError::Decode(_))), "{r:?}");
        // A panicking service answers with an error.
        _srv_panics(&c, addr).await;
    })
    .await;
}

async fn _srv_panics(_c: &Node, _addr: SocketAddr) {
    let node = Node::default();
    node.register(
        "boom",
        service_fn(|_req: Request| async move {
            if true {
                panic!("boom");
            }
            reply_lua(&())
        }),
    );
    let addr = node.open("127.0.0.1:0").await.unwrap();
    let c = client(addr);
    match c.call("srv", "@boom", Bytes::new()).await {
        Err(CallError::Remote(t)) => assert_eq!(t, "service panicked"),
        other => panic!("{other:?}"),
    }
    let slow_boom = service_fn(|_req: Request| async move {
        tokio::task::yield_now().await;
        if true {
            panic!("later");
        }
        reply_lua(&())
    });
    node.register("slowboom", slow_boom);
    match c.call("srv", "@slowboom", Bytes::new()).await {
        Err(CallError::Remote(t)) => assert_eq!(t, "service panicked"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_and_down_nodes_fail_at_once() {
    bounded(async {
        let c = Node::new(ClusterConfig::new().with_down("gone"));
        let t = Instant::now();
        assert!(matches!(c.call("nope", "@x", Bytes::new()).await, Err(CallError::UnknownNode(n)) if n == "nope"));
        assert!(matches!(c.call("gone", "@x", Bytes::new()).await, Err(CallError::NodeDown(n)) if n == "gone"));
        assert!(matches!(c.send("gone", "@x", Bytes::new()).await, Err(CallError::NodeDown(_))));
        assert!(matches!(c.query("gone", "x").await, Err(CallError::NodeDown(_))));
        assert!(t.elapsed() < Duration::from_millis(500));
        // Nothing listens: connect fails, then the back-off fails calls at once.
        let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dead_addr = dead.local_addr().unwrap();
        drop(dead);
        c.reload(ClusterConfig::new().with_node("dead", dead_addr.to_string()));
        assert!(matches!(c.call("dead", "@x", Bytes::new()).await, Err(CallError::Connect { .. })));
        let t = Instant::now();
        match c.call("dead", "@x", Bytes::new()).await {
            Err(CallError::Connect { source, .. }) => assert!(source.to_string().contains("next attempt"), "{source}"),
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < Duration::from_millis(20), "no connect attempt inside the back-off");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_to_a_new_address_reconnects_and_keeps_sessions() {
    bounded(async {
        let (_a, addr_a) = server_with("A", Node::default()).await;
        let (_b, addr_b) = server_with("B", Node::default()).await;
        let c = client(addr_a);
        let who: String = c.call_lua("srv", "@who", &()).await.unwrap();
        assert_eq!(who, "A");
        let s1: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
        // A call in flight on the old connection fails at once on reload.
        let c2 = c.clone();
        let slow = tokio::spawn(async move {
            c2.call_lua::<_, String>("srv", "@slow", &(500, "late"))
                .await
        });
        while c.pending_calls("srv") == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let t = Instant::now();
        c.reload(ClusterConfig::new().with_node("srv", addr_b.to_string()));
        let r = slow.await.unwrap();
        assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
        let who: String = c.call_lua("srv", "@who", &()).await.unwrap();
        assert_eq!(who, "B");
        let s2: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
        // who(1) sess(2) slow(3) who(4) sess(5): not reset by the reconnect.
        assert_eq!((s1, s2), (2, 5));
        // Reloading the same map changes nothing.
        c.reload(ClusterConfig::new().with_node("srv", addr_b.to_string()));
        let s3: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
        assert_eq!(s3, 6);
        // Removing the node: unknown from then on.
        c.reload(ClusterConfig::new());
        assert!(matches!(
            c.call("srv", "@who", Bytes::new()).await,
            Err(CallError::UnknownNode(_))
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_set_down_fails_calls_then_comes_back() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = client(addr);
        let s1: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
        let c2 = c.clone();
        let slow = tokio::spawn(async move {
            c2.call_lua::<_, String>("srv", "@slow", &(500, "late"))
                .await
        });
        while c.pending_calls("srv") == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        c.reload(ClusterConfig::new().with_down("srv"));
        assert!(matches!(slow.await.unwrap(), Err(CallError::NodeDown(_))));
        let t = Instant::now();
        assert!(matches!(
            c.call("srv", "@sess", Bytes::new()).await,
            Err(CallError::NodeDown(_))
        ));
        assert!(t.elapsed() < Duration::from_millis(100));
        c.reload(ClusterConfig::new().with_node("srv", addr.to_string()));
        let s2: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
        // sess(1) slow(2) the failed call (3, consumed as skynet does) sess(4)
        assert_eq!((s1, s2), (1, 4));
    })
    .await;
}

/// A stand-in server that answers every request with its payload, except on its
/// first connection: there it answers nothing and drops the connection when the
/// `kill_after`-th request arrives.
async fn fake_server(kill_after: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut s, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            let kill = first.then_some(kill_after);
            first = false;
            tokio::spawn(async move {
                let mut buf = BytesMut::new();
                let mut asm = RequestAssembler::default();
                let mut seen = 0;
                loop {
                    match s.read_buf(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    while let Some(body) = take_frame(&mut buf) {
                        let Ok(f) = RequestFrame::decode(body.freeze()) else {
                            return;
                        };
                        if let Ok(Some(Inbound::Request(r))) = asm.handle(f) {
                            seen += 1;
                            if Some(seen) == kill {
                                // The peer dies with calls pending.
                                return;
                            }
                            if !r.push && kill.is_none() {
                                let mut out = Vec::new();
                                encode_response(&mut out, r.session, &r.payload).unwrap();
                                if s.write_all(&out).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_killed_mid_call_fails_pending_at_once_and_next_call_reconnects() {
    bounded(async {
        // The fake answers nothing on its first connection and dies at the 3rd request.
        let (addr, accepted) = fake_server(3).await;
        let c = client(addr);
        let calls: Vec<_> = (0..3)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move { c.call("srv", "@x", Bytes::from(vec![i as u8])).await })
            })
            .collect();
        let t = Instant::now();
        for call in calls {
            let r = call.await.unwrap();
            assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
        }
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "pending calls must fail at once, not time out"
        );
        assert_eq!(c.pending_calls("srv"), 0);
        // The next call reconnects.
        let r = c
            .call("srv", "@x", Bytes::from_static(b"again"))
            .await
            .unwrap();
        assert_eq!(&r[..], b"again");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_calls_fail_with_connection_lost_when_the_server_node_shuts_down() {
    bounded(async {
        let (srv, addr) = server().await;
        let c = client(addr);
        let _: String = c.call_lua("srv", "@echo", &"warm").await.unwrap();
        let slow: Vec<_> = (0..5)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(
                    async move { c.call_lua::<_, String>("srv", "@slow", &(1000, "x")).await },
                )
            })
            .collect();
        while c.pending_calls("srv") < 5 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let t = Instant::now();
        srv.shutdown();
        for s in slow {
            assert!(matches!(s.await.unwrap(), Err(CallError::ConnectionLost)));
        }
        assert!(t.elapsed() < Duration::from_secs(1));
        // The server is gone: the reconnect fails.
        assert!(matches!(
            c.call("srv", "@echo", Bytes::new()).await,
            Err(CallError::Connect { .. })
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_calls_each_answered_exactly_once() {
    bounded(async {
        let served = Arc::new(AtomicUsize::new(0));
        let node = Node::default();
        let s = served.clone();
        node.register(
            "id",
            service_fn(move |req: Request| {
                s.fetch_add(1, Ordering::Relaxed);
                async move { Ok(req.payload) }
            }),
        );
        let addr = node.open("127.0.0.1:0").await.unwrap();
        let c = client(addr);
        let t = Instant::now();
        let calls: Vec<_> = (0..10_000u32)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move {
                    let r: u32 = c.call_lua("srv", "@id", &i).await.unwrap();
                    assert_eq!(r, i);
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
        assert_eq!(served.load(Ordering::Relaxed), 10_000);
        assert_eq!(c.pending_calls("srv"), 0);
        assert!(t.elapsed() < Duration::from_secs(20));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_wrap_from_2_pow_31_minus_1_to_1() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .first_session(MAX_SESSION - 1)
            .build();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let s: u32 = c.call_lua("srv", "@sess", &()).await.unwrap();
            seen.push(s);
        }
        assert_eq!(seen, [MAX_SESSION - 1, MAX_SESSION, 1, 2]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_and_cancellation_forget_the_pending_call() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = client(addr);
        let t = Instant::now();
        let opts = CallOptions::new().timeout(Duration::from_millis(100));
        let payload = Bytes::from(skynet_cluster::to_args(&(50, "late")).unwrap());
        let r = c.call_with("srv", "@slow", payload.clone(), &opts).await;
        assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
        assert!(t.elapsed() < Duration::from_millis(400));
        assert_eq!(c.pending_calls("srv"), 0);
        // Cancellation: drop the future while it waits.
        let fut = c.call("srv", "@slow", payload.clone());
        let r = timeout(Duration::from_millis(50), fut).await;
        assert!(r.is_err());
        assert_eq!(c.pending_calls("srv"), 0);
        // The late replies arrive and are ignored; the connection keeps working.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let v: String = c.call_lua("srv", "@echo", &"ok").await.unwrap();
        assert_eq!(v, "ok");
        // A node-wide default timeout.
        let d = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .call_timeout(Some(Duration::from_millis(50)))
            .build();
        assert!(matches!(
            d.call("srv", "@slow", payload).await,
            Err(CallError::Timeout)
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_many_calls_times_out_on_its_own_deadline() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .call_timeout(Some(Duration::from_millis(400)))
            .build();
        let slow = |cs: i64| Bytes::from(skynet_cluster::to_args(&(cs, "late")).unwrap());
        let t = Instant::now();
        // Calls with the node's timeout, then one with a shorter timeout of its own
        // (its deadline comes before theirs), then quick calls answered meanwhile.
        let long: Vec<_> = (0..20)
            .map(|_| {
                let c = c.clone();
                let p = slow(100);
                tokio::spawn(async move { c.call("srv", "@slow", p).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let opts = CallOptions::new().timeout(Duration::from_millis(100));
        let r = c.call_with("srv", "@slow", slow(100), &opts).await;
        assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(100) && e < Duration::from_millis(350),
            "{e:?}"
        );
        for _ in 0..10 {
            let v: String = c.call_lua("srv", "@echo", &"ok").await.unwrap();
            assert_eq!(v, "ok");
        }
        for l in long {
            let r = l.await.unwrap();
            assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
        }
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(400) && e < Duration::from_millis(900),
            "{e:?}"
        );
        assert_eq!(c.pending_calls("srv"), 0);
        // The connection is not dead (replies kept arriving): no reconnect needed.
        let v: String = c.call_lua("srv", "@echo", &"still").await.unwrap();
        assert_eq!(v, "still");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_timing_out_on_a_silent_connection_closes_it() {
    bounded(async {
        // A peer that accepts and never answers (a black-holed link).
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(s);
            }
        });
        let c = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .call_timeout(Some(Duration::from_millis(1100)))
            .build();
        let r = c.call("srv", "@echo", Bytes::new()).await;
        assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
        // Nothing arrived for over a second while the call waited: the connection
        // was closed as dead, so the next call connects again.
        let r = c
            .call_with(
                "srv",
                "@echo",
                Bytes::new(),
                &CallOptions::new().timeout(Duration::from_millis(50)),
            )
            .await;
        assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_tag_reaches_the_service_for_one_request() {
    bounded(async {
        let node = Node::default();
        node.register(
            "trace",
            service_fn(|req: Request| async move {
                reply_lua(&req.trace.map(|t| String::from_utf8_lossy(&t).into_owned()))
            }),
        );
        let addr = node.open("127.0.0.1:0").await.unwrap();
        let c = client(addr);
        let opts = CallOptions::new().trace("(host1-n1-2)capture");
        let r = c
            .call_with("srv", "@trace", Bytes::new(), &opts)
            .await
            .unwrap();
        let tag: Option<String> = skynet_cluster::from_args(&r).unwrap();
        assert_eq!(tag.as_deref(), Some("(host1-n1-2)capture"));
        let tag: Option<String> = c.call_lua("srv", "@trace", &()).await.unwrap();
        assert_eq!(tag, None);
    })
    .await;
}

/// Reads until EOF or `limit`; `true` when the peer closed.
async fn closed_by_peer(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            s.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_only_its_own_connection() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = client(addr);
        let _: String = c.call_lua("srv", "@echo", &"before").await.unwrap();
        // Truncated frames of known types close that connection.
        for bad in [
            &b"\x00\x03\x00\x01\x02"[..],    // 0x00 request shorter than 9
            b"\x00\x02\x80\x05",             // name longer than the body
            b"\x00\x05\x01\x00\x00\x00\x00", // multi header not 13 bytes
            b"\x00\x02\x02\x00",             // part shorter than 5
        ] {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(bad).await.unwrap();
            assert!(
                closed_by_peer(&mut s, Duration::from_secs(2)).await,
                "{bad:?}"
            );
        }
        // Unknown types and empty frames are dropped; the connection stays.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"\x00\x00\x00\x03\x05ab").await.unwrap();
        assert!(!closed_by_peer(&mut s, Duration::from_millis(100)).await);
        // Random bytes on many connections: the server survives.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..64 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let n = (seed % 3000) as usize;
            let junk: Vec<u8> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let _ = s.write_all(&junk).await;
        }
        let v: String = c.call_lua("srv", "@echo", &"after").await.unwrap();
        assert_eq!(v, "after");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_close_hostile_connections_and_back_pressure_holds() {
    bounded(async {
        let node = Node::builder()
            .limits(Limits {
                max_message: 100_000,
                max_buffered: 150_000,
                max_pending: 4,
            })
            .max_inflight(2)
            .build();
        let (_s, addr) = server_with("L", node).await;
        let c = client(addr);
        // Over the message limit: the server closes the connection.
        let r = c
            .call("srv", "@rawecho", Bytes::from(vec![0u8; 200_000]))
            .await;
        assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
        // An announced size is refused before any part is sent.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"\x00\x0d\x01\x0b\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff")
            .await
            .unwrap();
        assert!(closed_by_peer(&mut s, Duration::from_secs(2)).await);
        // Too many multi-part messages at once.
        let mut s = TcpStream::connect(addr).await.unwrap();
        for session in 1..=5u32 {
            let mut f = vec![0x00, 0x0d, 0x01, 0x0b, 0, 0, 0];
            f.extend_from_slice(&session.to_le_bytes());
            f.extend_from_slice(&40_000u32.to_le_bytes());
            s.write_all(&f).await.unwrap();
        }
        assert!(closed_by_peer(&mut s, Duration::from_secs(2)).await);
        // Only 2 requests in flight per connection: 8 slow calls still all finish.
        let t = Instant::now();
        let calls: Vec<_> = (0..8)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(
                    async move { c.call_lua::<_, i32>("srv", "@slow", &(5, i)).await.unwrap() },
                )
            })
            .collect();
        let mut got = Vec::new();
        for call in calls {
            got.push(call.await.unwrap());
        }
        assert_eq!(got, (0..8).collect::<Vec<_>>());
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "at most 2 at a time: 4 rounds of 50 ms"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_and_open_by_node_name() {
    bounded(async {
        let dir = std::env::temp_dir().join(format!("skynet-cluster-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clustername.lua");
        std::fs::write(
            &path,
            "-- nodes\nme = \"127.0.0.1:0\"\nother = false\n__nowaiting = true\n",
        )
        .unwrap();
        let node = Node::new(ClusterConfig::load(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        conformance::register(&node).unwrap();
        let addr = node.open("me").await.unwrap();
        assert!(matches!(
            node.open("other").await,
            Err(skynet_cluster::OpenError::NodeDown(_))
        ));
        assert!(matches!(
            node.open("nonsense").await,
            Err(skynet_cluster::OpenError::BadTarget(_))
        ));
        let c = client(addr);
        let v: String = c.call_lua("srv", ".admin", &"ping").await.unwrap();
        assert_eq!(v, "pong");
    })
    .await;
}

/// A stand-in server whose reply depends on the request payload: `ok` → echo,
/// `short` → a 3-byte response body, `type9` → response type 9, `huge` → a multi-part
/// reply announcing 4 GiB, `orphan` → a reply for another session, then echo,
/// `hold` → no reply.
async fn odd_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = BytesMut::new();
                let mut asm = RequestAssembler::default();
                loop {
                    match s.read_buf(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    while let Some(body) = take_frame(&mut buf) {
                        let Ok(f) = RequestFrame::decode(body.freeze()) else {
                            return;
                        };
                        let Ok(Some(Inbound::Request(r))) = asm.handle(f) else {
                            continue;
                        };
                        let mut out = Vec::new();
                        let session = r.session.to_le_bytes();
                        match &r.payload[..] {
                            b"hold" => continue,
                            b"short" => out.extend_from_slice(b"\x00\x03abc"),
                            b"type9" => {
                                out.extend_from_slice(b"\x00\x05");
                                out.extend_from_slice(&session);
                                out.push(9);
                            }
                            b"huge" => {
                                out.extend_from_slice(b"\x00\x09");
                                out.extend_from_slice(&session);
                                out.push(2);
                                out.extend_from_slice(&u32::MAX.to_le_bytes());
                                // Parts of it follow; the client skips them.
                                out.extend_from_slice(b"\x00\x08");
                                out.extend_from_slice(&session);
                                out.extend_from_slice(b"\x03abc");
                            }
                            b"orphan" => {
                                encode_response(&mut out, r.session + 1000, b"nobody").unwrap();
                                encode_response(&mut out, r.session, b"orphan").unwrap();
                            }
                            p => encode_response(&mut out, r.session, p).unwrap(),
                        }
                        if s.write_all(&out).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_replies_close_the_connection_and_fail_pending_calls() {
    bounded(async {
        let addr = odd_server().await;
        let c = client(addr);
        let call = |p: &'static [u8]| c.call("srv", "@x", Bytes::from_static(p));
        assert_eq!(&call(b"ok").await.unwrap()[..], b"ok");
        // A reply for a session nobody waits for is ignored.
        assert_eq!(&call(b"orphan").await.unwrap()[..], b"orphan");
        // Over the reply size limit: that call fails, the connection stays.
        let r = call(b"huge").await;
        assert!(
            matches!(
                r,
                Err(CallError::Frame(
                    skynet_cluster::FrameError::MessageTooLarge { .. }
                ))
            ),
            "{r:?}"
        );
        assert_eq!(&call(b"ok").await.unwrap()[..], b"ok");
        // Undecodable replies: the connection closes, every pending call fails at once.
        for bad in [&b"short"[..], b"type9"] {
            let c2 = c.clone();
            let held =
                tokio::spawn(
                    async move { c2.call("srv", "@x", Bytes::from_static(b"hold")).await },
                );
            while c.pending_calls("srv") == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let t = Instant::now();
            let r = call(bad).await;
            assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
            let r = held.await.unwrap();
            assert!(matches!(r, Err(CallError::ConnectionLost)), "{r:?}");
            assert!(t.elapsed() < Duration::from_secs(1));
            // The next call reconnects.
            assert_eq!(&call(b"ok").await.unwrap()[..], b"ok");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_polling_callers_work_and_close_their_sockets() {
    bounded(async {
        let (_s, addr) = server().await;
        let c = Node::builder()
            .config(ClusterConfig::new().with_node("srv", addr.to_string()))
            .busy_poll(Duration::from_micros(50))
            .build();
        for i in 0..200 {
            let v: i32 = c.call_lua("srv", "@echo", &i).await.unwrap();
            assert_eq!(v, i);
        }
        let calls: Vec<_> = (0..100)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(
                    async move { c.call_lua::<_, i32>("srv", "@slow", &(1, i)).await.unwrap() },
                )
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap(), i as i32);
        }
        // A node set down closes its socket at once, despite the second handle.
        let raw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let raw_addr = raw.local_addr().unwrap();
        c.reload(ClusterConfig::new().with_node("raw", raw_addr.to_string()));
        c.send("raw", "@x", Bytes::from_static(b"hello"))
            .await
            .unwrap();
        let (mut s, _) = raw.accept().await.unwrap();
        let mut first = [0u8; 4];
        s.read_exact(&mut first).await.unwrap();
        c.reload(ClusterConfig::new().with_down("raw"));
        assert!(closed_by_peer(&mut s, Duration::from_secs(2)).await);
    })
    .await;
}
