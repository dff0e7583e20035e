//! The metrics of two nodes on loopback after a scripted run: every counter exact,
//! gauges back to rest, both sides' byte counts agreeing. A recorder that reads
//! without resetting is installed for the whole binary, so this binary holds a single
//! test (the server-side metrics have no label to tell tests apart).

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use skynet_cluster::telemetry as t;
use skynet_cluster::{reply_lua, service_fn, CallError, CallOptions, ClusterConfig, Node, Request};

/// A recorder whose values can be read at any time.
#[derive(Clone)]
struct Reading(Arc<Registry<Key, AtomicStorage>>);

impl Recorder for Reading {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
    }
}

/// `name{labels}` (labels sorted) → value; histograms as their sample count.
fn read(r: &Reading) -> BTreeMap<String, f64> {
    fn id(k: &Key) -> String {
        let mut labels: Vec<String> = k
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        format!("{}{{{}}}", k.name(), labels.join(","))
    }
    let mut out = BTreeMap::new();
    for (k, c) in r.0.get_counter_handles() {
        out.insert(id(&k), c.load(Ordering::SeqCst) as f64);
    }
    for (k, g) in r.0.get_gauge_handles() {
        out.insert(id(&k), f64::from_bits(g.load(Ordering::SeqCst)));
    }
    for (k, h) in r.0.get_histogram_handles() {
        out.insert(format!("{}#count", id(&k)), h.data().len() as f64);
    }
    out
}

fn get(m: &BTreeMap<String, f64>, id: &str) -> f64 {
    m.get(id).copied().unwrap_or(0.0)
}

/// Waits (bounded) until `f` holds of the metrics.
async fn settle(r: &Reading, what: &str, f: impl Fn(&BTreeMap<String, f64>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = read(r);
        if f(&m) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {m:#?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_run_counts_exactly() {
    tokio::time::timeout(common::TEST_LIMIT, scripted_run())
        .await
        .expect("test took too long");
}

async fn scripted_run() {
    let rec = Reading(Arc::new(Registry::atomic()));
    metrics::set_global_recorder(rec.clone()).expect("the only recorder of this binary");
    t::describe();

    let srv = Node::default();
    srv.register(
        "echo",
        service_fn(|req: Request| async move { Ok(req.payload) }),
    );
    srv.register(
        "fail",
        service_fn(|_req: Request| async move { Err("no".into()) }),
    );
    srv.register(
        "slow",
        service_fn(|req: Request| async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(req.payload)
        }),
    );
    srv.register(
        "boom",
        service_fn(|req: Request| async move {
            if !req.payload.is_empty() {
                panic!("boom");
            }
            reply_lua(&())
        }),
    );
    let addr = srv.open("127.0.0.1:0").await.expect("listen");
    // Nothing listens on a port just released.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let c = Node::builder()
        .config(
            ClusterConfig::new()
                .with_node("srv", addr.to_string())
                .with_group(
                    "grp",
                    [addr.to_string(), format!("localhost:{}", addr.port())],
                )
                .with_node("gone", gone.to_string())
                .with_down("down"),
        )
        .build();

    // 1. One call, counted to the byte: the request frame is 2 (length) + 1 (type) +
    //    1 (name length) + 5 ("@echo") + 4 (session) + payload; the reply 2 + 4 + 1 +
    //    payload.
    let payload = Bytes::from(skynet_cluster::to_args(&("hello",)).expect("packs"));
    let p = payload.len() as f64;
    assert_eq!(
        c.call("srv", "@echo", payload.clone()).await.expect("echo"),
        payload
    );
    // (A writer counts once its write returned, which may be after the peer read.)
    settle(&rec, "bytes of the first call", |m| {
        get(m, "skynet_cluster_client_bytes_sent_total{node=srv}") == 13.0 + p
            && get(m, "skynet_cluster_client_bytes_received_total{node=srv}") == 7.0 + p
            && get(m, "skynet_cluster_server_bytes_received_total{}") == 13.0 + p
            && get(m, "skynet_cluster_server_bytes_sent_total{}") == 7.0 + p
    })
    .await;

    // 2. The script.
    for _ in 0..4 {
        c.call("srv", "@echo", payload.clone()).await.expect("echo");
    }
    for _ in 0..2 {
        let e = c.call("srv", "@fail", payload.clone()).await.unwrap_err();
        assert!(matches!(e, CallError::Remote(_)), "{e}");
    }
    for _ in 0..3 {
        c.send("srv", "@echo", payload.clone()).await.expect("push");
    }
    let e = c.call("srv", "@nosuch", payload.clone()).await.unwrap_err();
    assert!(matches!(e, CallError::Remote(_)), "{e}");
    assert!(c.query("srv", "echo").await.expect("query") > 0);
    let e = c.call("srv", "@boom", payload.clone()).await.unwrap_err();
    assert!(matches!(e, CallError::Remote(_)), "{e}");
    assert_eq!(
        c.call("srv", "@boom", Bytes::new())
            .await
            .expect("no panic"),
        Bytes::from_static(b"")
    );
    // Times out on the caller's side; the service still answers (a late reply).
    let e = c
        .call_with(
            "srv",
            "@slow",
            payload.clone(),
            &CallOptions::new().timeout(Duration::from_millis(50)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Timeout), "{e}");
    // Dropped by the caller before the reply: cancelled (and another late reply).
    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        c.call("srv", "@slow", payload.clone()),
    )
    .await;
    assert!(dropped.is_err());
    let e = c
        .call("nosuchnode", "@echo", payload.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::UnknownNode(_)), "{e}");
    let e = c.call("down", "@echo", payload.clone()).await.unwrap_err();
    assert!(matches!(e, CallError::NodeDown(_)), "{e}");
    let e = c.call("gone", "@echo", payload.clone()).await.unwrap_err();
    assert!(matches!(e, CallError::Connect { .. }), "{e}");
    let e = c.call("srv", "", payload.clone()).await.unwrap_err();
    assert!(matches!(e, CallError::Address(_)), "{e}");
    c.flush("srv").await.expect("pushes taken");
    settle(&rec, "the late replies", |m| {
        get(m, "skynet_cluster_client_late_replies_total{node=srv}") == 2.0
    })
    .await;

    // A group (two spellings of the server's address): counted under its one name,
    // its members' connections together.
    for _ in 0..4 {
        c.call("grp", "@echo", payload.clone())
            .await
            .expect("group echo");
    }
    let m = read(&rec);
    assert_eq!(get(&m, "skynet_cluster_client_calls_total{node=grp}"), 4.0);
    assert_eq!(get(&m, "skynet_cluster_client_in_flight{node=grp}"), 0.0);
    assert_eq!(
        get(
            &m,
            "skynet_cluster_client_call_duration_seconds{node=grp}#count"
        ),
        4.0
    );
    let group_conns = get(&m, "skynet_cluster_client_connects_total{node=grp}");
    assert!((1.0..=2.0).contains(&group_conns), "{m:#?}");
    assert_eq!(
        get(&m, "skynet_cluster_client_connected{node=grp}"),
        group_conns
    );
    assert!(
        !m.keys()
            .any(|k| k.contains("kind=") && k.contains("node=grp") && m[k] != 0.0),
        "{m:#?}"
    );

    // 3. A reload to another spelling of the same address: a reconnect (and the
    //    group leaves the map: its connections close).
    c.reload(
        ClusterConfig::new()
            .with_node("srv", format!("localhost:{}", addr.port()))
            .with_down("down"),
    );
    c.call("srv", "@echo", payload.clone())
        .await
        .expect("echo after reload");

    let m = read(&rec);
    let expect_client = [
        // 1 + 4 + 1 echo, 2 fail, nosuch, query, 2 boom, 2 slow.
        ("skynet_cluster_client_calls_total{node=srv}", 14.0),
        ("skynet_cluster_client_pushes_total{node=srv}", 3.0),
        (
            "skynet_cluster_client_errors_total{kind=remote,node=srv}",
            4.0,
        ),
        (
            "skynet_cluster_client_errors_total{kind=timeout,node=srv}",
            1.0,
        ),
        (
            "skynet_cluster_client_errors_total{kind=cancelled,node=srv}",
            1.0,
        ),
        (
            "skynet_cluster_client_errors_total{kind=unknown_node,node=}",
            1.0,
        ),
        (
            "skynet_cluster_client_errors_total{kind=address,node=}",
            1.0,
        ),
        ("skynet_cluster_client_calls_total{node=down}", 1.0),
        (
            "skynet_cluster_client_errors_total{kind=node_down,node=down}",
            1.0,
        ),
        ("skynet_cluster_client_calls_total{node=gone}", 1.0),
        (
            "skynet_cluster_client_errors_total{kind=connect,node=gone}",
            1.0,
        ),
        (
            "skynet_cluster_client_connect_failures_total{node=gone}",
            1.0,
        ),
        ("skynet_cluster_client_connects_total{node=srv}", 2.0),
        ("skynet_cluster_client_reconnects_total{node=srv}", 1.0),
        ("skynet_cluster_client_connected{node=srv}", 1.0),
        ("skynet_cluster_client_in_flight{node=srv}", 0.0),
        ("skynet_cluster_client_late_replies_total{node=srv}", 2.0),
        // Every call that ended (the cancelled one excluded).
        (
            "skynet_cluster_client_call_duration_seconds{node=srv}#count",
            13.0,
        ),
    ];
    for (id, v) in expect_client {
        assert_eq!(get(&m, id), v, "{id}\n{m:#?}");
    }

    settle(&rec, "the services are done", |m| {
        get(m, "skynet_cluster_server_in_flight{service=slow}") == 0.0
            && get(
                m,
                "skynet_cluster_server_duration_seconds{service=slow}#count",
            ) == 2.0
    })
    .await;
    let m = read(&rec);
    let expect_server = [
        ("skynet_cluster_server_calls_total{service=echo}", 10.0),
        ("skynet_cluster_server_pushes_total{service=echo}", 3.0),
        (
            "skynet_cluster_server_duration_seconds{service=echo}#count",
            13.0,
        ),
        ("skynet_cluster_server_calls_total{service=fail}", 2.0),
        (
            "skynet_cluster_server_errors_total{kind=error,service=fail}",
            2.0,
        ),
        ("skynet_cluster_server_calls_total{service=boom}", 2.0),
        (
            "skynet_cluster_server_errors_total{kind=panic,service=boom}",
            1.0,
        ),
        (
            "skynet_cluster_server_errors_total{kind=error,service=boom}",
            0.0,
        ),
        ("skynet_cluster_server_calls_total{service=slow}", 2.0),
        (
            "skynet_cluster_server_errors_total{kind=cancelled,service=slow}",
            0.0,
        ),
        ("skynet_cluster_server_in_flight{service=echo}", 0.0),
        ("skynet_cluster_server_unroutable_total{}", 1.0),
        // The query, and the flush's barrier.
        ("skynet_cluster_server_name_queries_total{}", 2.0),
        ("skynet_cluster_server_dropped_frames_total{}", 0.0),
        (
            "skynet_cluster_server_connections_total{}",
            2.0 + group_conns,
        ),
        ("skynet_cluster_server_connections_refused_total{}", 0.0),
    ];
    for (id, v) in expect_server {
        assert_eq!(get(&m, id), v, "{id}\n{m:#?}");
    }
    // The first connection and the group's were closed by the reload; the second
    // is open.
    settle(&rec, "one connection served", |m| {
        get(m, "skynet_cluster_server_connections{}") == 1.0
            && get(m, "skynet_cluster_client_connected{node=grp}") == 0.0
    })
    .await;
    // What one side wrote, the other read (a writer counts once its write returned,
    // which may be after the peer read the bytes: wait for both counts).
    settle(&rec, "both sides' byte counts agree", |m| {
        get(m, "skynet_cluster_client_bytes_sent_total{node=srv}")
            + get(m, "skynet_cluster_client_bytes_sent_total{node=grp}")
            == get(m, "skynet_cluster_server_bytes_received_total{}")
            && get(m, "skynet_cluster_client_bytes_received_total{node=srv}")
                + get(m, "skynet_cluster_client_bytes_received_total{node=grp}")
                == get(m, "skynet_cluster_server_bytes_sent_total{}")
    })
    .await;

    // 4. A peer that sends junk frames and goes: dropped frames, a closed connection.
    {
        use tokio::io::AsyncWriteExt;
        let mut raw = tokio::net::TcpStream::connect(addr).await.expect("connect");
        raw.write_all(b"\x00\x00\x00\x00\x00\x01\xff")
            .await
            .expect("junk");
        settle(&rec, "junk dropped", |m| {
            get(m, "skynet_cluster_server_dropped_frames_total{}") == 3.0
        })
        .await;
    }
    c.shutdown();
    settle(&rec, "every connection closed", |m| {
        get(m, "skynet_cluster_server_connections{}") == 0.0
            && get(m, "skynet_cluster_client_connected{node=srv}") == 0.0
            && get(m, "skynet_cluster_server_connections_total{}") == 3.0 + group_conns
    })
    .await;
    let m = read(&rec);
    assert_eq!(get(&m, "skynet_cluster_client_in_flight{node=srv}"), 0.0);
    srv.shutdown();

    // 5. Nodes built with `metrics(false)`, with the same recorder installed: their
    //    calls, services and connections leave every series as it was (and add none).
    let before = read(&rec);
    let quiet_srv = Node::builder().metrics(false).build();
    quiet_srv.register(
        "quiet",
        service_fn(|req: Request| async move { Ok(req.payload) }),
    );
    let quiet_addr = quiet_srv.open("127.0.0.1:0").await.expect("listen");
    let quiet = Node::builder()
        .metrics(false)
        .config(ClusterConfig::new().with_node("q", quiet_addr.to_string()))
        .build();
    for _ in 0..5 {
        quiet
            .call("q", "@quiet", payload.clone())
            .await
            .expect("quiet echo");
    }
    quiet
        .send("q", "@quiet", payload.clone())
        .await
        .expect("push");
    quiet.flush("q").await.expect("pushes taken");
    quiet.shutdown();
    quiet_srv.shutdown();
    let after = read(&rec);
    // Only the facade-counted rare events may move (here: the flush's name query).
    let moved: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        moved,
        ["skynet_cluster_server_name_queries_total{}"],
        "{after:#?}"
    );
}
