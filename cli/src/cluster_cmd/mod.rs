//! The subcommands of `skynet-cluster`, one module per group; each exposes clap
//! `Args` structs with a `run` method returning `Err(message)` for a failure exit.

pub mod bench;
pub mod call;
pub mod luaseri;
pub mod node_args;
pub mod serve;
