//! `skynet-cluster serve --auth-secret-file` against `call` / `send` / `query` /
//! `bench` with the right, a wrong and no secret, on 127.0.0.1. The refused calls
//! never reach a service: a `SET` sent with a wrong or no secret is not there
//! afterwards.

use std::path::PathBuf;

mod common;
use common::{run, serve, text};

/// A secret file in the test's temporary directory.
fn secret_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("skynet-cluster-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write secret");
    path
}

#[test]
fn serve_with_a_secret_refuses_callers_without_it() {
    let right = secret_file("right", "correct horse battery staple\n");
    let right_no_newline = secret_file("right2", "correct horse battery staple");
    let wrong = secret_file("wrong", "tr0ub4dor&3\n");
    let right = right.to_str().expect("path");
    let s = serve(&["--auth-secret-file", right]);
    let cluster = format!("rs={}", s.addr);
    let with = |secret: Option<&str>, cmd: &str, args: &[&str]| {
        let mut a = vec![cmd, "--cluster", &cluster, "--timeout", "5"];
        if let Some(f) = secret {
            a.extend_from_slice(&["--auth-secret-file", f]);
        }
        a.push("rs");
        a.extend_from_slice(args);
        run(&a)
    };

    // The right secret (trailing newline or not): served.
    let out = with(
        Some(right),
        "call",
        &["@sdb", r#""SET""#, r#""k""#, r#""v1""#],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = with(
        right_no_newline.to_str(),
        "call",
        &["@sdb", r#""GET""#, r#""k""#],
    );
    assert_eq!(text(&out.stdout), r#"["v1"]"#, "{}", text(&out.stderr));
    let out = with(Some(right), "query", &["sdb"]);
    assert_eq!(text(&out.stdout), "10", "{}", text(&out.stderr));
    let out = with(
        Some(right),
        "send",
        &["@sdb", r#""SET""#, r#""p""#, r#""v""#],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A wrong secret: refused at connect, the SET never runs.
    let out = with(
        wrong.to_str(),
        "call",
        &["@sdb", r#""SET""#, r#""k""#, r#""bad""#],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did not prove it knows the shared secret"),
        "{}",
        text(&out.stderr)
    );
    // No secret (a plain skynet caller): the connection is closed under the call.
    let out = with(None, "call", &["@sdb", r#""SET""#, r#""k""#, r#""bad""#]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("lost"), "{}", text(&out.stderr));
    let out = with(None, "send", &["@sdb", r#""SET""#, r#""k""#, r#""bad""#]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = with(wrong.to_str(), "query", &["sdb"]);
    assert_eq!(out.status.code(), Some(1));

    let out = with(Some(right), "call", &["@sdb", r#""GET""#, r#""k""#]);
    assert_eq!(text(&out.stdout), r#"["v1"]"#, "the refused SETs never ran");

    // bench: with the secret every call succeeds, without it every call fails.
    let out = with(
        Some(right),
        "bench",
        &["@echo", "--duration", "0.3", "--warmup", "0", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["errors"], 0, "{v}");
    assert!(v["calls"].as_u64().unwrap_or(0) > 0, "{v}");
    let out = with(
        None,
        "bench",
        &["@echo", "--duration", "0.3", "--warmup", "0"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));

    // An empty secret file is an error, not "no secret".
    let empty = secret_file("empty", "\n");
    let out = with(empty.to_str(), "call", &["@sdb", r#""GET""#, r#""k""#]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("empty"), "{}", text(&out.stderr));
}
