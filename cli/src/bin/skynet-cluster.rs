//! `skynet-cluster`: talk to skynet from a shell. Today: `pack` / `unpack` of lua-seri
//! (`skynet.pack`) payloads, with values in the JSON convention of the golden vectors.

#[path = "../cluster_cmd/mod.rs"]
mod cluster_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// skynet cluster tools: lua-seri payloads (and, later, cluster calls).
#[derive(Parser)]
#[command(name = "skynet-cluster", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per subcommand; each runs from its own module in `cluster_cmd/`.
#[derive(Subcommand)]
enum Command {
    /// Pack values as skynet.pack does: reads ONE JSON array of values on stdin.
    Pack(cluster_cmd::luaseri::PackArgs),
    /// Unpack skynet.pack bytes from stdin: prints ONE JSON array of values.
    Unpack(cluster_cmd::luaseri::UnpackArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Pack(args) => args.run(),
        Command::Unpack(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => sproto_cli::io::fail(message),
    }
}
