//! A build script compiling a schema with errors fails the build, and cargo shows the
//! `file:line:column: message` lines `sproto check` prints. This builds a small crate
//! with cargo (offline, in its own target directory under the test's temporary
//! directory, so later runs are quick).

use std::path::Path;
use std::process::Command;

const BAD: &str = ".Person {\n    name 0 : string\n    phone 1 : *Phone\n    id 1 : integer\n}\n";

#[test]
fn a_bad_schema_fails_the_build_with_sproto_checks_message() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-schema-crate");
    let proto = root.join("proto");
    std::fs::create_dir_all(proto.join("../src")).expect("dirs");
    std::fs::create_dir_all(&proto).expect("dirs");
    let build_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"bad-schema\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[build-dependencies]\nsproto-build = {{ path = {:?} }}\n",
            build_crate.display().to_string()
        ),
    )
    .expect("manifest");
    // The workspace's lock file pins the same dependency versions (offline).
    std::fs::copy(build_crate.join("../Cargo.lock"), root.join("Cargo.lock")).expect("lock");
    std::fs::write(
        root.join("src/lib.rs"),
        "//! Never built: the build script fails.\n",
    )
    .expect("lib");
    std::fs::write(
        root.join("build.rs"),
        "fn main() -> Result<(), sproto_build::Error> {\n    sproto_build::compile(&[\"game.sproto\"], &[\"proto\"])\n}\n",
    )
    .expect("build.rs");
    std::fs::write(proto.join("game.sproto"), BAD).expect("schema");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("runs cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build succeeded:\n{stderr}");
    let want = sproto_rt::Sproto::parse_named("proto/game.sproto", BAD)
        .expect_err("the schema is bad")
        .to_string();
    assert!(
        want.starts_with("proto/game.sproto:4:8: tag 1 is used twice"),
        "{want}"
    );
    assert!(
        stderr.contains(&format!("Error: {want}")),
        "cargo's output lacks {want:?}:\n{stderr}"
    );
}
