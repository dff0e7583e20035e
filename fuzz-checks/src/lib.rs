//! The checks behind the cargo-fuzz targets of `fuzz/`, one function per target.
//!
//! Each `fuzz/fuzz_targets/<name>.rs` is one line that calls the function of the same
//! name here, and `tests/replay.rs` feeds every file of `fuzz/seeds/<name>/` and
//! `fuzz/regressions/<name>/` through the same function on stable Rust, so a crash the
//! fuzzer once found stays a failing test if it comes back.
//!
//! A check panics when the code under test is wrong; returning is a pass. Beyond
//! "does not panic", the checks assert what must hold for any input: what decodes
//! re-encodes and decodes to the same value, the typed and dynamic decoders agree, the
//! reassembly of multi-part messages matches a small model, limits are respected.
//!
//! ```
//! for (name, check) in fuzz_checks::TARGETS {
//!     check(b"");
//!     check(b"\x00\x04\x15\x02\x04\x04");
//!     assert!(fuzz_checks::target(name).is_some());
//! }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod auth;
mod cluster;
mod derived;
mod gate;
mod luaseri;
pub mod seeds;
mod simd;
mod sproto;

pub use auth::{auth_handshake, auth_seeds};
pub use cluster::{cluster_frame, request_assembler, response_assembler};
pub use derived::derived_decode;
pub use gate::gate_stream;
pub use luaseri::{luaseri_serde, luaseri_unpack};
pub use simd::pack_simd;
pub use sproto::{bundle, dynamic_decode, schema_text, sproto_unpack};

/// A check: feeds one fuzz input to the code under test and panics on a finding.
pub type Check = fn(&[u8]);

/// Every target: the name of its cargo-fuzz binary (and of its `seeds/`,
/// `regressions/` and `corpus/` directories) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("schema_text", schema_text),
    ("bundle", bundle),
    ("dynamic_decode", dynamic_decode),
    ("derived_decode", derived_decode),
    ("sproto_unpack", sproto_unpack),
    ("pack_simd", pack_simd),
    ("luaseri_unpack", luaseri_unpack),
    ("luaseri_serde", luaseri_serde),
    ("cluster_frame", cluster_frame),
    ("request_assembler", request_assembler),
    ("response_assembler", response_assembler),
    ("gate_stream", gate_stream),
    ("auth_handshake", auth_handshake),
];

/// The check of the target called `name`.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}
