//! The tokio shell around the sans-IO core: the outgoing frame queue and its writer
//! task (shared by both directions), the client channel per remote node, the
//! listener, and the [`Node`] that ties them together.

mod admission;
mod budget;
pub(crate) mod channel;
pub(crate) mod listener;
mod log_limit;
pub(crate) mod node;
mod poll;
mod queue;

pub use node::{CallOptions, Node, NodeBuilder};
