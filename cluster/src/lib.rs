//! skynet cluster: speak the skynet cluster protocol from Rust.
//!
//! [`luaseri`] is `skynet.pack` / `skynet.unpack` (lua-seri): Lua values, byte-exact
//! packing, safe unpacking and serde. The most used entry points are re-exported here:
//! [`to_bytes`] / [`from_bytes`] for one value and [`to_args`] / [`from_args`] for an
//! argument list, as in `skynet.call(addr, "lua", "GET", key)`.
//!
//! ```
//! let msg = skynet_cluster::to_args(&("GET", "a"))?;
//! let (cmd, key): (&str, &str) = skynet_cluster::from_args(&msg)?;
//! assert_eq!((cmd, key), ("GET", "a"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cluster nodes
//!
//! [`Node`] is a skynet cluster node on tokio: it calls services of skynet (or Rust)
//! nodes with [`Node::call`] / [`Node::send`] / [`Node::query`] (or typed with
//! [`Node::call_lua`]), and serves [`Service`]s registered with [`Node::register`] on
//! listeners opened with [`Node::open`]. The node map is a [`ClusterConfig`] (a skynet
//! `clustername.lua` file loads as one); [`Node::reload`] replaces it.
//!
//! ```no_run
//! use skynet_cluster::{service_fn, ClusterConfig, Node, Request, reply_lua};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let node = Node::new(ClusterConfig::new().with_node("db", "127.0.0.1:2528"));
//! node.register("add", service_fn(|req: Request| async move {
//!     let (a, b): (i64, i64) = req.args()?;
//!     reply_lua(&(a + b))
//! }));
//! node.open("127.0.0.1:2529").await?;
//! let v: Option<String> = node.call_lua("db", "@sdb", &("GET", "a")).await?;
//! # let _ = v; Ok(()) }
//! ```
//!
//! A node name may be a **group** of addresses ([`ClusterConfig::with_group`], a Lua
//! table in `clustername.lua`): calls and pushes go to its least-loaded healthy member,
//! a failed member is skipped until it answers again ([`proto::Balancer`] holds the
//! policy). With feature `auth`, Rust nodes can require a **shared secret** of each
//! other before the first frame (`NodeBuilder::require_auth` / `auth_node`; an
//! HMAC-SHA256 challenge–response). It decides who may connect; it is not a
//! substitute for TLS (frames after it are neither encrypted nor integrity-protected:
//! see `proto::ServerHandshake`).
//!
//! Beyond the reference: every call has a timeout ([`DEFAULT_CALL_TIMEOUT`]) and can
//! be cancelled by dropping it; a lost connection or a node set down fails pending
//! calls at once with a typed [`CallError`]; reconnects back off; every connection's
//! memory is bounded ([`Limits`], requests in flight, queued bytes); connections and
//! calls have `tracing` spans (`cluster.listen`, `cluster.conn`, `cluster.channel`,
//! `cluster.call`).
//!
//! Optional features: `metrics` records calls, pushes, errors by kind, in-flight
//! requests, latency per remote node and per local service, bytes, connections,
//! reconnects, dropped frames and back-pressure waits through the `metrics` facade
//! ([`telemetry`] lists every metric and label); `tower` makes a remote node a
//! `tower::Service` ([`Node::service`](crate::Node)) and puts tower layers in front
//! of served services (`Node::register_layered`): see the `tower` module.
//!
//! The layers below the node are sans-IO and public: [`frame`] (frame bodies and the
//! split of large messages), [`session`] (session numbering), [`reassembly`]
//! (multi-part messages by session, with limits), and [`proto`] (each connection's
//! protocol as a state machine: [`proto::ServerConn`], [`proto::ClientConn`],
//! [`proto::NodeLink`] — the node is a tokio shell around them). `conformance` (feature
//! `conformance`) is a set of test services any skynet caller can exercise
//! (`skynet-cluster serve`).
//!
//! Where a Rust node deliberately differs from skynet's `clusteragent` /
//! `clustersender` (the wire bytes are otherwise the reference's, proven by the
//! recorded vectors):
//!
//! * an unknown plain name is answered with an error ([`INVALID_ADDRESS`]); skynet's
//!   harbor never answers it. Error texts carry no Lua location
//!   (`call to invalid address`, not `./lualib/skynet.lua:747: call to invalid address`);
//!   a service's own [`ServiceError`] text is sent where skynet sends `call failed`.
//! * a truncated frame of a known type, a multi-part message over
//!   [`Limits::max_message`], or broken reassembly limits close that connection
//!   (skynet logs and drops the frame, and has no limits). Unknown type bytes and
//!   zero-length frames are dropped, as in skynet.
//! * a trace tag (`0x04`) applies to the next request of any kind and is then
//!   cleared (skynet keeps it past pushes, queries and unknown names).
//! * a single-frame request never completes a multi-part message of the same session
//!   (skynet appends it to that message).
//! * an absent node fails at once ([`CallError::UnknownNode`]; skynet waits for it
//!   unless `__nowaiting`).
#![warn(missing_docs)]

pub mod address;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
mod fast_hash;
pub mod frame;
/// lua-seri (`skynet.pack`), re-exported from the [`skynet_luaseri`] crate: every
/// payload of a cluster call is in this format.
pub use skynet_luaseri as luaseri;
mod net;
pub mod proto;
pub mod reassembly;
mod registry;
pub mod service;
mod service_support;
pub mod session;
mod sproto_arg;
pub mod telemetry;
#[cfg(feature = "tower")]
pub mod tower;

/// Support for the code `#[service]` generates; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::service_support::*;
}

pub use address::{AddrRef, Address, AddressError};
pub use config::{ClusterConfig, ConfigError};
pub use error::{CallError, FrameError, OpenError, RegisterError};
pub use luaseri::{from_args, from_bytes, to_args, to_bytes, LuaValue};
pub use net::node::{DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT};
pub use net::remote::MemberStatus;
pub use net::{CallOptions, Node, NodeBuilder};
pub use reassembly::Limits;
pub use registry::{INVALID_ADDRESS, NAME_NOT_FOUND};
pub use service::{
    reply_lua, service_fn, Reply, Request, Service, ServiceError, ServiceFn, ServiceFuture,
};
pub use session::SessionCounter;
pub use sproto_arg::SprotoArg;
/// Makes a trait of async methods a cluster service: see [`sproto_derive::service`].
pub use sproto_derive::service;
