//! Replays the checked-in fuzz inputs on stable Rust: every file of
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through the check the
//! cargo-fuzz target of that name runs. Every failing file is reported (not only the
//! first); a missing or empty seed directory fails, so the test cannot pass vacuously.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use fuzz_checks::TARGETS;

fn fuzz_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().expect("the workspace root").join("fuzz")
}

/// The input files of a directory (dotfiles such as `.gitkeep` are not inputs).
fn inputs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if path.is_file() && !hidden {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Runs every input of `dir` through `target`'s check; returns how many ran and the
/// failures.
fn replay(target: &str, dir: &Path, failures: &mut Vec<String>) -> usize {
    let check = fuzz_checks::target(target).expect("a known target");
    let files = match inputs(dir) {
        Ok(files) => files,
        Err(e) => {
            failures.push(format!("{target}: cannot read {e}"));
            return 0;
        }
    };
    for file in &files {
        let data = fs::read(file).expect("readable");
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-text panic)");
            let first = msg.lines().next().unwrap_or_default();
            failures.push(format!("{target}: {}: {first}", file.display()));
        }
    }
    files.len()
}

#[test]
fn every_seed_and_regression_passes_its_check() {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for (target, _) in TARGETS {
        let seeds = fuzz_dir().join("seeds").join(target);
        let regressions = fuzz_dir().join("regressions").join(target);
        let n_seeds = replay(target, &seeds, &mut failures);
        if n_seeds == 0 {
            failures.push(format!(
                "{target}: no seeds in {} (run `cargo run -p fuzz-checks --example seed`)",
                seeds.display()
            ));
        }
        let n_regressions = if regressions.is_dir() {
            replay(target, &regressions, &mut failures)
        } else {
            failures.push(format!(
                "{target}: {} is missing (keep it, with a .gitkeep when empty)",
                regressions.display()
            ));
            0
        };
        summary.push(format!(
            "{target}: {n_seeds} seeds, {n_regressions} regressions"
        ));
    }
    println!("{}", summary.join("\n"));
    assert!(
        failures.is_empty(),
        "{} failures replaying fuzz inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every cargo-fuzz target has a check here and every check a cargo-fuzz target (the
/// `[[bin]]` names of fuzz/Cargo.toml), and no stray directory sits in seeds/ or
/// regressions/.
#[test]
fn targets_match_the_fuzz_crate_and_directories() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut bins: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|section| {
            let line = section
                .lines()
                .find(|l| l.trim_start().starts_with("name"))?;
            line.split('"').nth(1)
        })
        .collect();
    bins.sort_unstable();
    let mut names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    assert_eq!(
        bins, names,
        "fuzz/Cargo.toml [[bin]]s ≠ fuzz_checks::TARGETS"
    );
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir().join(kind);
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let name = entry.expect("a directory entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                name.starts_with('.') || fuzz_checks::target(&name).is_some(),
                "fuzz/{kind}/{name} belongs to no target"
            );
        }
    }
}
