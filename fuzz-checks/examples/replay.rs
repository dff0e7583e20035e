//! Runs files through a target's check on stable Rust, for triage:
//!
//! ```text
//! cargo run -p fuzz-checks --example replay -- <target> <file or directory>...
//! ```
//!
//! Prints each file that fails (with the panic) and exits non-zero if any did.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut all: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        all.sort();
        all
    } else {
        vec![path.to_path_buf()]
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(target) = args.next() else {
        eprintln!("usage: replay <target> <file or directory>...");
        return ExitCode::FAILURE;
    };
    let Some(check) = fuzz_checks::target(&target) else {
        let names: Vec<&str> = fuzz_checks::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("unknown target {target}; targets: {}", names.join(", "));
        return ExitCode::FAILURE;
    };
    let (mut ran, mut failed) = (0, 0);
    for arg in args {
        for file in files(Path::new(&arg)) {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            ran += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed += 1;
                eprintln!("FAILED: {}", file.display());
            }
        }
    }
    println!("{target}: {ran} inputs, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
