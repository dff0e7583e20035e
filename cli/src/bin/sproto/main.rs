//! `sproto`: compile, inspect, check sproto schemas and encode/decode messages from a
//! shell; call and load-test a skynet gate server.

mod codec_cmd;
mod gate_cmd;
mod gen_cmd;
mod schema_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// sproto schemas and messages, byte-exact with the reference (cloudwu/sproto).
#[derive(Parser)]
#[command(name = "sproto", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile .sproto files into one binary bundle (as sprotoparser.lua does).
    Compile {
        /// Schema text files, parsed together as one schema.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the bundle here instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print a schema as the reference's sproto_dump does (a .sproto text or a bundle).
    Dump {
        /// A .sproto text or a binary bundle (detected; see --bundle).
        file: PathBuf,
        /// Treat the file as a binary bundle whatever it looks like.
        #[arg(long, conflicts_with = "text")]
        bundle: bool,
        /// Treat the file as schema text whatever it looks like.
        #[arg(long)]
        text: bool,
    },
    /// Check .sproto files; print every problem as file:line:col: message.
    Check {
        /// Schema text files, checked together as one schema.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Encode one JSON value read on stdin as a message of TYPE.
    Encode {
        #[command(flatten)]
        message: MessageArgs,
        /// 0-pack the encoded message (sproto:pencode).
        #[arg(long)]
        pack: bool,
        /// Write hex text instead of bytes.
        #[arg(long)]
        hex: bool,
    },
    /// Decode a message of TYPE read on stdin and print it as one JSON value.
    Decode {
        #[command(flatten)]
        message: MessageArgs,
        /// The input is 0-packed (sproto:pdecode).
        #[arg(long)]
        unpack: bool,
        /// Read hex text instead of bytes.
        #[arg(long)]
        hex: bool,
    },
    /// 0-pack the bytes read on stdin.
    Pack {
        /// Read and write hex text instead of bytes.
        #[arg(long)]
        hex: bool,
    },
    /// Unpack 0-packed bytes read on stdin.
    Unpack {
        /// Read and write hex text instead of bytes.
        #[arg(long)]
        hex: bool,
    },
    /// Call a protocol of a skynet gate server (TCP or WebSocket) and print the answer
    /// as one JSON line ({} for an empty message, null for a header-only answer).
    Call(gate_cmd::call::CallArgs),
    /// Load-test a gate server: N client connections calling a protocol in a loop;
    /// prints calls/s, latency p50/p99/p999 and errors.
    Bench(gate_cmd::bench::BenchArgs),
    /// Generate code from .sproto files: `sproto gen rust FILE... [-o OUT.rs]`.
    Gen(gen_cmd::GenArgs),
}

/// The schema and type of a message.
#[derive(clap::Args)]
struct MessageArgs {
    /// The schema: a .sproto text or a binary bundle.
    #[arg(long)]
    schema: PathBuf,
    /// The message's type (a full name such as Person.PhoneNumber).
    #[arg(long = "type")]
    ty: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile { files, output } => schema_cmd::compile(&files, output.as_deref()),
        Command::Dump { file, bundle, text } => schema_cmd::dump(&file, bundle, text),
        Command::Check { files } => schema_cmd::check(&files),
        Command::Encode { message, pack, hex } => {
            codec_cmd::encode(&message.schema, &message.ty, pack, hex)
        }
        Command::Decode {
            message,
            unpack,
            hex,
        } => codec_cmd::decode(&message.schema, &message.ty, unpack, hex),
        Command::Pack { hex } => codec_cmd::pack(hex),
        Command::Unpack { hex } => codec_cmd::unpack(hex),
        Command::Call(args) => args.run(),
        Command::Bench(args) => args.run(),
        Command::Gen(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => sproto_cli::io::fail(message),
    }
}
