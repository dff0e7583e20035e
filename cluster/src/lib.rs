//! skynet cluster.
