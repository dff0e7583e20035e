//! `skynet-cluster`: talk to skynet from a shell: `pack` / `unpack` of lua-seri
//! (`skynet.pack`) payloads, with values in the JSON convention of the golden vectors;
//! `call` / `send` / `query` any service of a skynet (or Rust) cluster node; `serve` a
//! conformance node; `bench` calls.

// The subcommands, one module per group; each exposes clap `Args` structs with a
// `run` method returning `Err(message)` for a failure exit.
mod baseline;
mod bench;
mod call;
mod luaseri;
mod metrics_http;
mod node_args;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// skynet cluster tools: lua-seri payloads, cluster calls, a conformance node, a benchmark.
#[derive(Parser)]
#[command(name = "skynet-cluster", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per subcommand; each runs from its own module beside this file.
#[derive(Subcommand)]
enum Command {
    /// Pack values as skynet.pack does: reads ONE JSON array of values on stdin.
    Pack(luaseri::PackArgs),
    /// Unpack skynet.pack bytes from stdin: prints ONE JSON array of values.
    Unpack(luaseri::UnpackArgs),
    /// Call a service of a cluster node: prints the reply values as one JSON array
    /// (an error reply: its text on stderr, exit 1).
    Call(call::CallArgs),
    /// Push to a service of a cluster node (cluster.send): no reply.
    Send(call::CallArgs),
    /// Ask a cluster node for the handle of a registered name (cluster.query).
    Query(call::QueryArgs),
    /// Run a cluster node serving the conformance services (sdb, echo, rawecho, fail,
    /// big, counter, slow, admin) until killed.
    Serve(serve::ServeArgs),
    /// Call a service in a loop: calls/s and latency percentiles.
    Bench(bench::BenchArgs),
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
