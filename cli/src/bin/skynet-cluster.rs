//! `skynet-cluster`: talk to skynet from a shell: `pack` / `unpack` of lua-seri
//! (`skynet.pack`) payloads, with values in the JSON convention of the golden vectors;
//! `call` / `send` / `query` any service of a skynet (or Rust) cluster node; `serve` a
//! conformance node; `bench` calls.

#[path = "../cluster_cmd/mod.rs"]
mod cluster_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// skynet cluster tools: lua-seri payloads, cluster calls, a conformance node, a benchmark.
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
    /// Call a service of a cluster node: prints the reply values as one JSON array
    /// (an error reply: its text on stderr, exit 1).
    Call(cluster_cmd::call::CallArgs),
    /// Push to a service of a cluster node (cluster.send): no reply.
    Send(cluster_cmd::call::CallArgs),
    /// Ask a cluster node for the handle of a registered name (cluster.query).
    Query(cluster_cmd::call::QueryArgs),
    /// Run a cluster node serving the conformance services (sdb, echo, rawecho, fail,
    /// big, counter, slow, admin) until killed.
    Serve(cluster_cmd::serve::ServeArgs),
    /// Call a service in a loop: calls/s and latency percentiles.
    Bench(cluster_cmd::bench::BenchArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Pack(args) => args.run(),
        Command::Unpack(args) => args.run(),
        Command::Call(args) => args.run_call(),
        Command::Send(args) => args.run_send(),
        Command::Query(args) => args.run(),
        Command::Serve(args) => args.run(),
        Command::Bench(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => sproto_cli::io::fail(message),
    }
}
