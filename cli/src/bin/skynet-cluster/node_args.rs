//! What every networked `skynet-cluster` subcommand shares: the node map
//! (`--cluster NAME=HOST:PORT,...` and/or `--config clustername.lua`), the call
//! timeout, the tokio runtime, and the JSON arguments of a call.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use skynet_cluster::luaseri::json::from_json;
use skynet_cluster::luaseri::LuaValue;
use skynet_cluster::proto::AuthSecret;
use skynet_cluster::{ClusterConfig, Node, NodeBuilder};
use sproto_cli::io::parse_json;

/// `--cluster`, `--config`, `--timeout`, `--busy-poll-us`, `--auth-secret-file`.
#[derive(Args, Debug, Clone)]
pub struct ClusterArgs {
    /// Cluster nodes: NAME=HOST:PORT[,NAME=HOST:PORT...] (NAME=false: down;
    /// NAME=HOST:PORT|HOST:PORT: a group, calls spread over its live members). Repeatable.
    #[arg(long = "cluster", value_name = "NAME=HOST:PORT[,...]")]
    pub cluster: Vec<String>,
    /// A skynet clustername.lua file with more nodes (--cluster entries win).
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seconds a call may wait for its reply (connecting included).
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub timeout: f64,
    /// Busy-poll for up to this many microseconds before letting a thread sleep while
    /// a lone call waits for its reply (0: off): less latency on an idle machine, for
    /// CPU.
    #[arg(long, default_value_t = 0, value_name = "MICROS")]
    pub busy_poll_us: u64,
    /// A file whose bytes (trailing whitespace removed) are the shared secret of the
    /// authentication handshake between Rust nodes: `serve` refuses peers without it,
    /// `call` / `send` / `query` / `bench` prove it to the node (which must be a Rust
    /// node serving with the same secret; skynet nodes do not speak it). Not a
    /// substitute for TLS: it decides who may connect, and encrypts nothing.
    #[arg(long, value_name = "FILE")]
    pub auth_secret_file: Option<PathBuf>,
}

impl ClusterArgs {
    /// The node map from `--config` then `--cluster`.
    pub fn config(&self) -> Result<ClusterConfig, String> {
        let mut cfg = match &self.config {
            Some(path) => ClusterConfig::load(path).map_err(|e| e.to_string())?,
            None => ClusterConfig::new(),
        };
        for item in &self.cluster {
            let more: ClusterConfig = item.parse().map_err(|e| format!("--cluster: {e}"))?;
            cfg.merge(more);
        }
        Ok(cfg)
    }

    /// The call timeout.
    pub fn timeout(&self) -> Result<Duration, String> {
        Duration::try_from_secs_f64(self.timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                format!(
                    "--timeout {}: expected a positive number of seconds",
                    self.timeout
                )
            })
    }

    /// A node with this map and timeout.
    pub fn node(&self) -> Result<Node, String> {
        Ok(self.builder()?.build())
    }

    /// A node builder with this map and timeout, for more settings. With
    /// `--auth-secret-file`, connections to every node of the map authenticate. The
    /// node meters nothing (no recorder is installed; `serve --metrics` turns it on).
    pub fn builder(&self) -> Result<NodeBuilder, String> {
        let config = self.config()?;
        let names: Vec<String> = config.nodes().map(|(n, _)| n.to_owned()).collect();
        let mut b = Node::builder()
            .metrics(false)
            .config(config)
            .call_timeout(Some(self.timeout()?))
            .busy_poll(Duration::from_micros(self.busy_poll_us));
        if let Some(secret) = self.auth_secret()? {
            for name in names {
                b = b.auth_node(name, secret.clone());
            }
        }
        Ok(b)
    }

    /// The secret of `--auth-secret-file`, if given.
    pub fn auth_secret(&self) -> Result<Option<AuthSecret>, String> {
        let Some(path) = &self.auth_secret_file else {
            return Ok(None);
        };
        let bytes = std::fs::read(path)
            .map_err(|e| format!("--auth-secret-file {}: {e}", path.display()))?;
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        AuthSecret::new(&bytes[..end])
            .map(Some)
            .map_err(|e| format!("--auth-secret-file {}: {e}", path.display()))
    }

    /// Checks that `node` is in the map, for a clear message before connecting.
    pub fn check_node(&self, node: &str) -> Result<(), String> {
        match self.config()?.address(node) {
            Some(_) => Ok(()),
            None => Err(format!(
                "cluster node [{node}] is not in the cluster config (give --cluster {node}=HOST:PORT)"
            )),
        }
    }
}

/// A tokio runtime with `threads` workers (0 = one per core).
pub fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        b.worker_threads(threads);
    }
    b.enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))
}

/// Reads each argument as one JSON value in the vectors' convention.
pub fn json_args(args: &[String]) -> Result<Vec<LuaValue>, String> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            let v = parse_json(a).map_err(|e| {
                format!(
                    "argument {} ({a:?}): {e} (each argument is one JSON value: \"text\", {{\"$int\": \"1\"}}, ...)",
                    i + 1
                )
            })?;
            from_json(&v).map_err(|e| format!("argument {} ({a:?}): {e}", i + 1))
        })
        .collect()
}

/// Sets up `tracing` output on stderr at `level` (off, error, warn, info, debug,
/// trace).
pub fn init_logs(level: &str) -> Result<(), String> {
    let level = match level {
        "off" => return Ok(()),
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "info" => tracing::Level::INFO,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        other => {
            return Err(format!(
                "--log {other}: expected off, error, warn, info, debug or trace"
            ))
        }
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| format!("cannot set up logging: {e}"))
}
