//! `skynet-cluster pack` / `unpack` end to end: the binary on stdin/stdout, round trips
//! of the vector convention, and the failure exit for bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skynet-cluster"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn skynet-cluster");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn pack_hex_and_raw() {
    let out = run(&["pack", "--hex"], br#"["SET", "key", {"$int": "1"}]"#);
    assert!(out.status.success());
    assert_eq!(out.stdout, b"1c5345541c6b65790a01\n");
    let raw = run(&["pack"], br#"[true, null]"#);
    assert_eq!(raw.stdout, [0x09, 0x00]);
}

#[test]
fn unpack_prints_the_convention() {
    let out = run(
        &["unpack", "--hex"],
        b" 160a010a02 0c780a0300 42000000000000e03f\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"$table": {"array": [{"$int": "1"}, {"$int": "2"}], "hash": [["x", {"$int": "3"}]]}},
            {"$f64": "0.5", "bits": "3fe0000000000000"}
        ])
    );
    let raw = run(&["unpack"], &[0x24, 0xff, 0x00, 0x01, 0x02]);
    assert_eq!(raw.stdout, b"[{\"$bin\":\"ff000102\"}]\n");
    let empty = run(&["unpack"], b"");
    assert_eq!(empty.stdout, b"[]\n");
}

#[test]
fn round_trip_through_both_commands() {
    let values = br#"[{"$table": {"array": [null, "a"], "hash": [[{"$f64": "2.0", "bits": "4000000000000000"}, {"$ptr": "00000000000000ff"}]]}}]"#;
    let packed = run(&["pack"], values);
    let back = run(&["unpack"], &packed.stdout);
    let a: serde_json::Value = serde_json::from_slice(values).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_input_fails_with_a_message() {
    let cases: [(&[&str], &[u8]); 6] = [
        (&["pack"], b"not json"),
        (&["pack"], br#"{"a": 1}"#),
        (&["pack"], br#"[{"$int": "1.5"}]"#),
        (&["unpack", "--hex"], b"abc"),
        (&["unpack", "--hex"], b"07"),
        (&["unpack"], &[0x0a]),
    ];
    for (args, input) in cases {
        let out = run(args, input);
        assert_eq!(out.status.code(), Some(1), "{args:?} {input:?}");
        assert!(!out.stderr.is_empty());
        assert!(out.stdout.is_empty());
    }
}
