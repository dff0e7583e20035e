//! The tokio shell around the sans-IO core ([`proto`](crate::proto)): sockets, tasks,
//! timers and wake-ups — the outgoing frame queue and its writer task (shared by
//! both directions), the client channel per remote node, the listener, the request
//! budget's semaphore, and the [`Node`] that ties them together.

mod auth;
mod budget;
pub(crate) mod channel;
pub(crate) mod listener;
pub(crate) mod node;
mod options;
mod poll;
mod queue;
pub(crate) mod remote;

pub use node::{CallOptions, Node, NodeBuilder};
