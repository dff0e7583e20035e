//! Helpers shared by the vector tests: locating and loading the vector files, hex,
//! and reporting every failing vector at once.

#![allow(dead_code)]

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

/// Fails with every failure listed.
pub fn report(what: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
