//! Helpers shared by the vector tests: locating and loading the vector files, hex,
//! and the one-trial-per-vector harness.

#![allow(dead_code)]

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// The reference vectors of sproto, copied into the repository.
pub const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sproto");

/// Loads a vector file (the depth-limit vectors nest deeper than serde_json's
/// default recursion limit).
pub fn load(name: &str) -> Value {
    let path = format!("{VECTORS}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("vector hex"))
        .collect()
}

/// One vector's verdict: it passes when its check pushed no failure, and fails with
/// every message the check pushed.
pub fn verdict(failures: Vec<String>) -> Result<(), Failed> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// Runs the trials with libtest's command line (filters, `--list`, `--ignored`,
/// `--exact`, `--skip`) and exits with the conclusion. Trial names are unique, so a
/// failure names its vector.
pub fn run(trials: Vec<Trial>) -> ! {
    let mut names: Vec<&str> = trials.iter().map(Trial::name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("two trials named {}", w[0]);
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}
