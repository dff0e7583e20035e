//! `skynet-cluster serve`: a cluster node serving the conformance service set
//! (`skynet_cluster::conformance`) until killed or told to shut down.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use skynet_cluster::conformance;

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
        let node = self.cluster.node()?;
        runtime(self.threads)?.block_on(async {
            let set = conformance::register(&node).map_err(|e| e.to_string())?;
            let addr = node.open(&target).await.map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {addr}");
            let _ = out.flush();
            drop(out);
            let services: Vec<String> = conformance::SERVICES
                .iter()
                .map(|(n, h)| format!("{n}={h}"))
                .collect();
            tracing::info!(node = %self.name, %addr, services = %services.join(","), "serving");
            tokio::select! {
                () = set.shutdown_requested() => {
                    // Let the reply to "shutdown" go out first.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                r = tokio::signal::ctrl_c() => {
                    r.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
                }
            }
            node.shutdown();
            Ok(())
        })
    }
}
