//! `skynet-cluster call` / `send` / `query`: one cluster call from a shell, to a
//! skynet node or a Rust one.

use bytes::Bytes;
use clap::Args;
use skynet_cluster::luaseri::json::values_to_json;
use skynet_cluster::luaseri::{pack, unpack};
use skynet_cluster::{Address, CallError, CallOptions};

use super::node_args::{json_args, runtime, ClusterArgs};

/// `call` and `send`: `NODE ADDRESS [ARG_JSON...]`.
#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// A trace tag sent before the request (as skynet.trace does).
    #[arg(long)]
    trace: Option<String>,
    /// The cluster node to call (a name of the cluster config).
    node: String,
    /// The service: @name (cluster.register'ed), .name, name, a handle (10, 0xa, :0000000a).
    address: String,
    /// The arguments, each one JSON value in the vectors' convention
    /// ("GET", {"$int": "1"}, [1, 2], {"k": "v"}, null, true, 1.5).
    #[arg(value_name = "ARG_JSON")]
    args: Vec<String>,
}

impl CallArgs {
    fn prepare(&self) -> Result<(Address, Bytes, CallOptions), String> {
        self.cluster.check_node(&self.node)?;
        let address: Address = self.address.parse().map_err(|e| format!("address: {e}"))?;
        let values = json_args(&self.args)?;
        let payload = pack(&values).map_err(|e| format!("cannot pack the arguments: {e}"))?;
        let mut opts = CallOptions::new();
        if let Some(t) = &self.trace {
            opts = opts.trace(Bytes::from(t.clone().into_bytes()));
        }
        Ok((address, Bytes::from(payload), opts))
    }

    /// `call`: prints the reply values as one JSON array; an error reply is the
    /// failure exit with its text on stderr.
    pub fn run_call(self) -> Result<(), String> {
        let (address, payload, opts) = self.prepare()?;
        let node = self.cluster.node()?;
        let reply = runtime(1)?
            .block_on(node.call_with(&self.node, address, payload, &opts))
            .map_err(describe)?;
        let values = unpack(&reply).map_err(|e| format!("the reply is not lua-seri: {e}"))?;
        let text = serde_json::to_string(&values_to_json(&values))
            .map_err(|e| format!("cannot write JSON: {e}"))?;
        println!("{text}");
        Ok(())
    }

    /// `send`: a push; returns once the remote node took it (a delivery barrier:
    /// [`Node::flush`](skynet_cluster::Node::flush)).
    pub fn run_send(self) -> Result<(), String> {
        let (address, payload, opts) = self.prepare()?;
        let node = self.cluster.node()?;
        let timeout = self.cluster.timeout()?;
        runtime(1)?.block_on(async {
            node.send_with(&self.node, address, payload, &opts)
                .await
                .map_err(describe)?;
            match tokio::time::timeout(timeout, node.flush(&self.node)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!(
                    "the push may not have been delivered: {}",
                    describe(e)
                )),
                Err(_) => Err("the push was not confirmed in time".to_owned()),
            }
        })
    }
}

/// `query NODE NAME`.
#[derive(Args, Debug)]
pub struct QueryArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The cluster node to ask.
    node: String,
    /// The name registered there with cluster.register.
    name: String,
}

impl QueryArgs {
    /// Prints the handle (decimal).
    pub fn run(self) -> Result<(), String> {
        self.cluster.check_node(&self.node)?;
        let node = self.cluster.node()?;
        let handle = runtime(1)?
            .block_on(node.query(&self.node, &self.name))
            .map_err(describe)?;
        println!("{handle}");
        Ok(())
    }
}

/// The failure message: an error reply is its text alone.
pub fn describe(e: CallError) -> String {
    match e {
        CallError::Remote(text) => text,
        other => other.to_string(),
    }
}
