//! `sproto`: compile, inspect, check sproto schemas and encode/decode messages from a
//! shell.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile { files, output } => schema_cmd::compile(&files, output.as_deref()),
        Command::Dump { file, bundle, text } => schema_cmd::dump(&file, bundle, text),
        Command::Check { files } => schema_cmd::check(&files),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => sproto_cli::io::fail(message),
    }
}
