//! The example runs and prints what its calls answered.

#[test]
fn the_example_serves_and_calls_the_generated_protocols() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sproto-codegen-example"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "schema: 6 types, 4 protocols",
        "add alice: 1 in the book",
        "add bob: 2 in the book",
        "find 10000: Alice",
        "list: Alice, Bob",
        "clear: 0 left",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}
