//! `skynet-cluster serve` / `call` / `send` / `query` / `bench` end to end on
//! 127.0.0.1: a served node, calls from separate processes, error exits, and the
//! shutdown through `admin`. Every child is killed if it outlives the test.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{run, serve as serve_with, text, BIN};

fn serve() -> common::Server {
    serve_with(&[])
}

#[test]
fn call_send_query_bench_against_serve() {
    let s = serve();
    let cluster = format!("rs={}", s.addr);
    let call = |args: &[&str]| {
        let mut a = vec!["call", "--cluster", &cluster, "rs"];
        a.extend_from_slice(args);
        run(&a)
    };

    let out = call(&["@sdb", r#""SET""#, r#""k""#, r#""v1""#]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[null]");
    let out = call(&[".sdb", r#""GET""#, r#""k""#]);
    assert_eq!(text(&out.stdout), r#"["v1"]"#);
    let out = call(&["10", r#""GET""#, r#""k""#]);
    assert_eq!(text(&out.stdout), r#"["v1"]"#);

    // An error reply: exit 1, its text on stderr.
    let out = call(&["@sdb", r#""NOCMD""#]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Unknown command NOCMD");
    assert!(out.stdout.is_empty());
    let out = call(&["@nosuch"]);
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(1), "Invalid name".to_owned())
    );

    // Values in the convention both ways.
    let out = call(&[
        "@echo",
        r#"{"$int":"-5"}"#,
        "1.5",
        r#"{"$bin":"ff00"}"#,
        "[1,2]",
        "null",
    ]);
    assert_eq!(
        text(&out.stdout),
        r#"[{"$int":"-5"},{"$f64":"1.5","bits":"3ff8000000000000"},{"$bin":"ff00"},{"$table":{"array":[{"$int":"1"},{"$int":"2"}],"hash":[]}},null]"#
    );
    let out = call(&["@echo", "{not json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("argument 1"),
        "{}",
        text(&out.stderr)
    );

    // send + query.
    let _ = call(&["@counter", r#""reset""#]);
    for _ in 0..3 {
        let out = run(&["send", "--cluster", &cluster, "rs", "@counter", r#""hit""#]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(
        text(&call(&["@counter", r#""get""#]).stdout),
        r#"[{"$int":"3"}]"#
    );
    let out = run(&["query", "--cluster", &cluster, "rs", "counter"]);
    assert_eq!(text(&out.stdout), "15");
    let out = run(&["query", "--cluster", &cluster, "rs", "nosuch"]);
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(1), "name not found".to_owned())
    );

    // Unknown node, unreachable node.
    let out = run(&["call", "--cluster", &cluster, "other", "@echo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("[other]"));

    // bench, briefly.
    let out = run(&[
        "bench",
        "--cluster",
        &cluster,
        "rs",
        "@echo",
        "--concurrency",
        "4",
        "--duration",
        "0.3",
        "--warmup",
        "0.1",
        "--payload",
        "100",
        "--check",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bench JSON");
    assert!(v["calls"].as_u64().unwrap_or(0) > 0, "{v}");
    assert_eq!(v["errors"], 0);

    // admin shutdown: the server exits by itself.
    let out = call(&["@admin", r#""shutdown""#]);
    assert_eq!(text(&out.stdout), "[true]");
    let mut s = s;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = s.child.try_wait().expect("wait") {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not exit after shutdown"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn serve_and_call_refuse_bad_arguments() {
    let out = run(&["serve", "--name", "nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--listen"));
    let out = run(&["call", "--cluster", "x", "x", "@echo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--cluster"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["call", "--cluster", "x=127.0.0.1:1", "x", ""]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("address"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bench_through_an_outage_neither_spins_nor_hides_error_kinds() {
    let mut s = serve();
    let cluster = format!("rs={}", s.addr);
    let bench = Command::new(BIN)
        .args([
            "bench",
            "--cluster",
            &cluster,
            "rs",
            "@echo",
            "--duration",
            "1.5",
            "--warmup",
            "0",
            "--concurrency",
            "4",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bench");
    std::thread::sleep(Duration::from_millis(400));
    // The server goes away in the middle of the run.
    let _ = s.child.kill();
    let _ = s.child.wait();
    let out = bench.wait_with_output().expect("bench output");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let errors = v["errors"].as_u64().expect("errors");
    assert!(errors > 0, "{v}");
    // Instant back-off failures pause: 4 callers over ~1.1 s, not millions.
    assert!(errors < 4 * 1100 / 5 + 100, "{errors} errors: a busy loop");
    let kinds = v["errors_by_kind"].as_object().expect("errors by kind");
    let counted: u64 = kinds.values().filter_map(|n| n.as_u64()).sum();
    assert_eq!(counted, errors, "{v}");
    assert!(kinds.contains_key("connect"), "{v}");
    assert!(
        text(&out.stderr).contains("errors by kind:"),
        "{}",
        text(&out.stderr)
    );
}
