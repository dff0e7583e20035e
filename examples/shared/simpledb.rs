//! The simpledb service now lives in the root package's library
//! (`sproto_skynet::simpledb`); this shim keeps `#[path]` includes working.

pub use sproto_skynet::simpledb::*;
