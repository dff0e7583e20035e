//! Shared pieces of the `sproto` and `skynet-cluster` command-line tools: reading
//! input, hex text, reporting errors the same way in both, and benchmark statistics.

pub mod io;
pub mod stats;
