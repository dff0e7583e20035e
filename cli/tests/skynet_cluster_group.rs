//! A node group on the command line (`--cluster 'rs=A|B|C'`): three `serve`
//! children on 127.0.0.1, calls spread over them, one killed: calls from new
//! processes still succeed on the others (a member that refuses connects is
//! skipped, the call goes to the next).

mod common;
use common::{run, serve, text};

#[test]
fn a_group_on_the_command_line_survives_a_killed_member() {
    let mut members = vec![serve(&[]), serve(&[]), serve(&[])];
    let group = format!(
        "rs={}",
        members
            .iter()
            .map(|m| m.addr.as_str())
            .collect::<Vec<_>>()
            .join("|")
    );
    let bench = |group: &str| {
        let out = run(&[
            "bench",
            "--cluster",
            group,
            "rs",
            "@echo",
            "--concurrency",
            "6",
            "--duration",
            "0.5",
            "--warmup",
            "0",
            "--check",
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v
    };
    let v = bench(&group);
    assert_eq!(v["errors"], 0, "{v}");

    // The same group from a clustername.lua file (a Lua table of addresses).
    let dir = std::env::temp_dir().join(format!("skynet-cluster-group-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("clustername.lua");
    let quoted: Vec<String> = members.iter().map(|m| format!("{:?}", m.addr)).collect();
    std::fs::write(&file, format!("rs = {{ {} }}\n", quoted.join(", "))).expect("write");
    let file = file.to_str().expect("path");
    let out = run(&["call", "--config", file, "rs", "@echo", r#""lua""#]);
    assert_eq!(text(&out.stdout), r#"["lua"]"#, "{}", text(&out.stderr));

    // One member killed (and waited for): a call from a new process whose first
    // choice is the dead member goes to a live one.
    members.remove(0);
    for _ in 0..3 {
        let out = run(&["call", "--cluster", &group, "rs", "@echo", r#""x""#]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), r#"["x"]"#);
    }
    let v = bench(&group);
    assert_eq!(v["errors"], 0, "{v}");
    assert!(v["calls"].as_u64().unwrap_or(0) > 0, "{v}");

    // Every member killed: the call fails with a connect error.
    members.clear();
    let out = run(&["call", "--cluster", &group, "rs", "@echo", r#""x""#]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot connect"),
        "{}",
        text(&out.stderr)
    );
}
