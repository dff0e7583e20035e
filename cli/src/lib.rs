//! Shared pieces of the `sproto` and `skynet-cluster` command-line tools: reading
//! input, hex text, and reporting errors the same way in both.

pub mod io;
