//! skynet cluster.

pub mod luaseri;
