//! `skynet-cluster serve`: a cluster node serving the conformance service set
//! (`skynet_cluster::conformance`) until killed or told to shut down.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use skynet_cluster::conformance;

use super::metrics_http::MetricsArgs;
use super::node_args::{init_logs, runtime, ClusterArgs};

/// `serve --name NODE --listen HOST:PORT`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// This node's name (its address in the cluster config is the default --listen).
    #[arg(long, default_value = "rust")]
    name: String,
    /// Where to listen: HOST:PORT (port 0 picks one) or a port.
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// Tokio worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Log level on stderr: off, error, warn, info, debug, trace.
    #[arg(long, default_value = "warn")]
    log: String,
    /// Connections served at once; more are closed at once (a visible refusal).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    max_connections: usize,
    /// Connections served at once from one peer IP address.
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_connections_per_address: usize,
    /// Seconds an accepted connection with nothing in flight may stay silent (0: forever).
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    idle_timeout: f64,
    /// Seconds a peer may stall inside a frame or a multi-part message.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    frame_timeout: f64,
    /// MiB of request bytes (multi-part messages being received, payloads of requests
    /// in flight) the node holds at most, over every connection.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    request_budget_mib: usize,
    #[command(flatten)]
    metrics: MetricsArgs,
}

impl ServeArgs {
    /// Listens, prints `listening on ADDR` (stdout), serves until killed, Ctrl-C or
    /// `admin "shutdown"`.
    pub fn run(self) -> Result<(), String> {
        init_logs(&self.log)?;
        let target = match &self.listen {
            Some(l) => l.clone(),
            None => {
                self.cluster.check_node(&self.name).map_err(|_| {
                    format!(
                        "give --listen HOST:PORT, or --cluster {}=HOST:PORT",
                        self.name
                    )
                })?;
                self.name.clone()
            }
        };
        let secs = |v: f64, flag: &str| {
            Duration::try_from_secs_f64(v).map_err(|_| format!("--{flag} {v}: expected seconds"))
        };
        let idle = secs(self.idle_timeout, "idle-timeout")?;
        // Before the node: it takes its metric handles as services are registered.
        let exporter = self.metrics.install()?;
        // Metered only when there is a recorder to meter into.
        let mut builder = self.cluster.builder()?.metrics(exporter.is_some());
        if let Some(secret) = self.cluster.auth_secret()? {
            // Peers must prove the secret before any request is read.
            builder = builder.require_auth(secret);
        }
        let node = builder
            .max_connections(self.max_connections)
            .max_connections_per_address(self.max_connections_per_address)
            .idle_timeout((!idle.is_zero()).then_some(idle))
            .frame_timeout(secs(self.frame_timeout, "frame-timeout")?)
            .request_budget(self.request_budget_mib.saturating_mul(1 << 20))
            .build();
        runtime(self.threads)?.block_on(async {
            let set = conformance::register(&node).map_err(|e| e.to_string())?;
            let http = match &exporter {
                Some(e) => Some(e.start(&self.metrics).await?),
                None => None,
            };
            let addr = node.open(&target).await.map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {addr}");
            if let (Some(e), Some(http)) = (&exporter, http) {
                e.serving();
                let _ = writeln!(out, "metrics on {http}");
            }
            let _ = out.flush();
            drop(out);
            let services: Vec<String> = conformance::SERVICES
                .iter()
                .map(|(n, h)| format!("{n}={h}"))
                .collect();
            tracing::info!(node = %self.name, %addr, services = %services.join(","), "serving");
            // How long the reply to "shutdown" needs to go out first.
            let reply_time = tokio::select! {
                () = set.shutdown_requested() => Duration::from_millis(100),
                r = tokio::signal::ctrl_c() => {
                    r.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
                    Duration::ZERO
                }
            };
            match &exporter {
                Some(e) => e.drain(reply_time).await,
                None => tokio::time::sleep(reply_time).await,
            }
            node.shutdown();
            Ok(())
        })
    }
}
