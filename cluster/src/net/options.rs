//! [`NodeOptions`]: a node's settings and their defaults, shared by the node, its
//! channels and its listeners (kept apart from `node.rs` so that those do not depend
//! on each other through it).

use std::time::Duration;

use crate::proto::{DEFAULT_BACKOFF_MAX, DEFAULT_BACKOFF_MIN};
use crate::reassembly::Limits;

/// The default time a call waits for its reply: 30 s.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The default time a connect may take: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a node (set through [`NodeBuilder`](super::NodeBuilder)).
#[derive(Debug, Clone)]
pub(crate) struct NodeOptions {
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) limits: Limits,
    pub(crate) max_inflight: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_address: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) frame_timeout: Duration,
    pub(crate) request_budget: usize,
    pub(crate) write_high_water: usize,
    pub(crate) first_session: u32,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) busy_poll: Duration,
    /// Whether the node takes metric handles and meters calls (feature `metrics`).
    pub(crate) metrics: bool,
    #[cfg(feature = "auth")]
    pub(crate) auth: super::auth::AuthOptions,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            limits: Limits::default(),
            max_inflight: 4096,
            max_connections: 4096,
            max_connections_per_address: 512,
            idle_timeout: Some(Duration::from_secs(300)),
            frame_timeout: Duration::from_secs(30),
            request_budget: 256 << 20,
            write_high_water: 8 << 20,
            first_session: 1,
            backoff_min: DEFAULT_BACKOFF_MIN,
            backoff_max: DEFAULT_BACKOFF_MAX,
            busy_poll: Duration::ZERO,
            metrics: true,
            #[cfg(feature = "auth")]
            auth: super::auth::AuthOptions::default(),
        }
    }
}
