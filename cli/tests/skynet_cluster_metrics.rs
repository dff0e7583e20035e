//! `skynet-cluster serve --metrics`: a scripted run of `call` / `send` / `query`
//! processes against a served node, then `/metrics` scraped and every counter checked
//! exactly; `/health` answering 200 while serving and 503 through the shutdown grace.
//! Everything on 127.0.0.1, bounded in time; the child is killed if it outlives the
//! test.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;
use common::{run, serve_announcing, Server};

/// `serve --metrics 127.0.0.1:0` plus `extra`; returns the server and the metrics
/// address (its second line).
fn serve_with_metrics(extra: &[&str]) -> (Server, String) {
    let mut args = vec!["--metrics", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let (server, mut more) = serve_announcing(&args, &["metrics on "]);
    (server, more.remove(0))
}

/// One HTTP GET; the status code and the body.
fn get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, body.to_owned()))
}

/// The samples of a Prometheus text page: `name{k="v",...}` (labels sorted) → value.
fn samples(page: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in page
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        let mut labels: Vec<&str> = labels.split(',').filter(|l| !l.is_empty()).collect();
        labels.sort_unstable();
        out.insert(
            format!("{name}{{{}}}", labels.join(",")),
            value.parse().expect("a number"),
        );
    }
    out
}

fn scrape(addr: &str) -> BTreeMap<String, f64> {
    let (code, body) = get(addr, "/metrics").expect("scrape");
    assert_eq!(code, 200, "{body}");
    samples(&body)
}

#[test]
fn metrics_after_a_scripted_run_and_health_through_shutdown() {
    let (mut s, metrics) = serve_with_metrics(&["--shutdown-grace", "3"]);
    assert_eq!(
        get(&metrics, "/health").expect("health"),
        (200, "ok\n".to_owned())
    );

    let cluster = format!("rs={}", s.addr);
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let fails = |args: &[&str]| {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    };
    let c = cluster.as_str();
    ok(&["call", "--cluster", c, "rs", "@echo", r#""hello""#]);
    ok(&[
        "call",
        "--cluster",
        c,
        "rs",
        "@sdb",
        r#""SET""#,
        r#""k""#,
        r#""v""#,
    ]);
    fails(&["call", "--cluster", c, "rs", "@sdb", r#""NOCMD""#]);
    fails(&["call", "--cluster", c, "rs", "@fail"]);
    fails(&["call", "--cluster", c, "rs", "@nosuch"]);
    // A push, then the delivery barrier (a name query).
    ok(&["send", "--cluster", c, "rs", "@counter", r#""hit""#]);
    ok(&["query", "--cluster", c, "rs", "sdb"]);

    // Every process has gone: wait until the node saw each connection close.
    let deadline = Instant::now() + Duration::from_secs(10);
    let m = loop {
        let m = scrape(&metrics);
        if m.get("skynet_cluster_server_connections{}") == Some(&0.0) {
            break m;
        }
        assert!(Instant::now() < deadline, "connections still open: {m:#?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let expect = [
        (r#"skynet_cluster_server_calls_total{service="echo"}"#, 1.0),
        (r#"skynet_cluster_server_calls_total{service="sdb"}"#, 2.0),
        (r#"skynet_cluster_server_calls_total{service="fail"}"#, 1.0),
        (
            r#"skynet_cluster_server_pushes_total{service="counter"}"#,
            1.0,
        ),
        (
            r#"skynet_cluster_server_calls_total{service="counter"}"#,
            0.0,
        ),
        (
            r#"skynet_cluster_server_errors_total{kind="error",service="sdb"}"#,
            1.0,
        ),
        (
            r#"skynet_cluster_server_errors_total{kind="error",service="fail"}"#,
            1.0,
        ),
        (
            r#"skynet_cluster_server_errors_total{kind="error",service="echo"}"#,
            0.0,
        ),
        (
            r#"skynet_cluster_server_errors_total{kind="panic",service="echo"}"#,
            0.0,
        ),
        (r#"skynet_cluster_server_in_flight{service="sdb"}"#, 0.0),
        (
            r#"skynet_cluster_server_duration_seconds_count{service="sdb"}"#,
            2.0,
        ),
        (
            r#"skynet_cluster_server_duration_seconds_count{service="counter"}"#,
            1.0,
        ),
        ("skynet_cluster_server_unroutable_total{}", 1.0),
        ("skynet_cluster_server_name_queries_total{}", 2.0),
        ("skynet_cluster_server_connections_total{}", 7.0),
        ("skynet_cluster_server_connections_refused_total{}", 0.0),
        ("skynet_cluster_server_dropped_frames_total{}", 0.0),
        (
            r#"skynet_cluster_backpressure_waits_total{cause="server_write_queue"}"#,
            0.0,
        ),
    ];
    for (id, v) in expect {
        assert_eq!(m.get(id), Some(&v), "{id}\n{m:#?}");
    }
    assert!(
        m["skynet_cluster_server_bytes_received_total{}"] > 0.0,
        "{m:#?}"
    );
    assert!(
        m["skynet_cluster_server_bytes_sent_total{}"] > 0.0,
        "{m:#?}"
    );
    // Histograms come with buckets; the +Inf bucket holds every sample.
    assert_eq!(
        m.get(r#"skynet_cluster_server_duration_seconds_bucket{le="+Inf",service="sdb"}"#),
        Some(&2.0),
        "{m:#?}"
    );

    // Shutdown: /health turns 503 for the grace period while calls are still
    // served, then the process exits.
    ok(&["call", "--cluster", c, "rs", "@admin", r#""shutdown""#]);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let (code, _) = get(&metrics, "/health").expect("health while draining");
        if code == 503 {
            break;
        }
        assert_eq!(code, 200);
        assert!(Instant::now() < deadline, "/health never turned 503");
        std::thread::sleep(Duration::from_millis(10));
    }
    ok(&["call", "--cluster", c, "rs", "@echo", r#""still here""#]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().expect("wait") {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not exit after its grace"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn serve_refuses_a_bad_metrics_address() {
    let out = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--metrics",
        "not-an-address",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--metrics"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
