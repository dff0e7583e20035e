//! Workspace root: the shared example types (used by `examples/`, `tests/`,
//! `benches/` and the README, whose code blocks compile as this crate's doctests).
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod gate_proto;
pub mod simpledb;
