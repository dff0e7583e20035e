//! Metrics of a [`Node`](crate::Node) through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`; without it every hook compiles to nothing).
//!
//! The crate records; the program chooses where the numbers go by installing a
//! `metrics` recorder (an exporter such as `metrics-exporter-prometheus`, as
//! `skynet-cluster serve --metrics` does) **before** it builds its nodes: a node takes
//! the handles of a remote node's metrics when it first calls it, and those of a
//! service when it is registered. Without a recorder nothing is recorded, but each
//! call and each served request still costs a few no-op calls and two clock reads;
//! a node built with [`NodeBuilder::metrics(false)`](crate::NodeBuilder::metrics)
//! takes no handles and skips all of that.
//!
//! Labels are bounded by what the program configures, never by what peers send:
//! `node` is a node name of the node map (a group is one name; empty for a call that failed before a node
//! of the map was chosen), `service` a registered name (or the handle as `:0000000a`
//! for a service registered without one), `kind` and `cause` come from fixed lists.
//! No label holds a peer's address or anything read from the wire.
//!
//! | metric | type | labels | what |
//! | --- | --- | --- | --- |
//! | `skynet_cluster_client_calls_total` | counter | `node` | calls made to a node of the map |
//! | `skynet_cluster_client_pushes_total` | counter | `node` | pushes (`send`) made to a node of the map |
//! | `skynet_cluster_client_errors_total` | counter | `node`, `kind` | failed calls and pushes, by [`CallError::kind`](crate::CallError::kind), plus `cancelled` for a call dropped before its reply |
//! | `skynet_cluster_client_in_flight` | gauge | `node` | calls waiting for their reply |
//! | `skynet_cluster_client_call_duration_seconds` | histogram | `node` | time from the call to its reply or error (cancelled calls excluded) |
//! | `skynet_cluster_client_bytes_sent_total` | counter | `node` | bytes written to the node's connections |
//! | `skynet_cluster_client_bytes_received_total` | counter | `node` | bytes read from the node's connections |
//! | `skynet_cluster_client_connects_total` | counter | `node` | connections opened (the first and every reconnect) |
//! | `skynet_cluster_client_reconnects_total` | counter | `node` | connections opened after an earlier one |
//! | `skynet_cluster_client_connect_failures_total` | counter | `node` | connect attempts that failed |
//! | `skynet_cluster_client_connected` | gauge | `node` | connections open to the node (0 or 1; up to one per member for a group) |
//! | `skynet_cluster_client_late_replies_total` | counter | `node` | replies for a call nobody waits for any more (timed out, cancelled), dropped |
//! | `skynet_cluster_server_calls_total` | counter | `service` | calls dispatched to a registered service |
//! | `skynet_cluster_server_pushes_total` | counter | `service` | pushes dispatched to a registered service |
//! | `skynet_cluster_server_errors_total` | counter | `service`, `kind` | `error` (an error reply), `panic`, `cancelled` (the caller went away first) |
//! | `skynet_cluster_server_in_flight` | gauge | `service` | requests the service is running |
//! | `skynet_cluster_server_duration_seconds` | histogram | `service` | time from dispatch to the service's answer |
//! | `skynet_cluster_server_name_queries_total` | counter | — | name queries (`cluster.query`) answered |
//! | `skynet_cluster_server_unroutable_total` | counter | — | requests for an address with no service |
//! | `skynet_cluster_server_dropped_frames_total` | counter | — | frames dropped as skynet drops them (zero-length, unknown type) |
//! | `skynet_cluster_server_connections_total` | counter | — | connections accepted and served |
//! | `skynet_cluster_server_connections` | gauge | — | connections being served |
//! | `skynet_cluster_server_connections_refused_total` | counter | — | connections closed at once: over a connection limit |
//! | `skynet_cluster_server_bytes_received_total` | counter | — | bytes read from accepted connections |
//! | `skynet_cluster_server_bytes_sent_total` | counter | — | bytes written to accepted connections |
//! | `skynet_cluster_backpressure_waits_total` | counter | `cause` | times a task had to wait: `client_write_queue`, `server_write_queue` (queued bytes over the high water), `request_budget`, `max_inflight` |
//!
//! [`describe`] registers each metric's help text and unit with the installed
//! recorder.
//!
//! ```
//! # #[cfg(feature = "metrics")]
//! # {
//! // A recorder first (here a no-op one), then the descriptions, then the nodes.
//! # let _ = metrics::set_global_recorder(metrics::NoopRecorder);
//! skynet_cluster::telemetry::describe();
//! let node = skynet_cluster::Node::default();
//! # drop(node);
//! # }
//! ```

use std::sync::Arc;

#[cfg(feature = "metrics")]
use std::future::Future;
#[cfg(feature = "metrics")]
use std::pin::Pin;
#[cfg(feature = "metrics")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "metrics")]
use std::task::{Context, Poll};
use std::time::Instant;

#[cfg(feature = "metrics")]
use ::metrics::{counter, gauge, histogram, Counter, Gauge, Histogram, Unit};

use crate::error::CallError;
use crate::service::Service;
#[cfg(feature = "metrics")]
use crate::service::{Reply, Request, ServiceFuture};

/// Calls made to a node of the map (`node`).
pub const CLIENT_CALLS: &str = "skynet_cluster_client_calls_total";
/// Pushes made to a node of the map (`node`).
pub const CLIENT_PUSHES: &str = "skynet_cluster_client_pushes_total";
/// Failed calls and pushes (`node`, `kind`).
pub const CLIENT_ERRORS: &str = "skynet_cluster_client_errors_total";
/// Calls waiting for their reply (`node`).
pub const CLIENT_IN_FLIGHT: &str = "skynet_cluster_client_in_flight";
/// Call latency in seconds (`node`).
pub const CLIENT_DURATION: &str = "skynet_cluster_client_call_duration_seconds";
/// Bytes written to a node's connections (`node`).
pub const CLIENT_BYTES_SENT: &str = "skynet_cluster_client_bytes_sent_total";
/// Bytes read from a node's connections (`node`).
pub const CLIENT_BYTES_RECEIVED: &str = "skynet_cluster_client_bytes_received_total";
/// Connections opened to a node (`node`).
pub const CLIENT_CONNECTS: &str = "skynet_cluster_client_connects_total";
/// Connections opened to a node after an earlier one (`node`).
pub const CLIENT_RECONNECTS: &str = "skynet_cluster_client_reconnects_total";
/// Failed connect attempts (`node`).
pub const CLIENT_CONNECT_FAILURES: &str = "skynet_cluster_client_connect_failures_total";
/// Connections open to the node (`node`; one per member of a group at most).
pub const CLIENT_CONNECTED: &str = "skynet_cluster_client_connected";
/// Replies nobody waited for any more (`node`).
pub const CLIENT_LATE_REPLIES: &str = "skynet_cluster_client_late_replies_total";
/// Calls dispatched to a registered service (`service`).
pub const SERVER_CALLS: &str = "skynet_cluster_server_calls_total";
/// Pushes dispatched to a registered service (`service`).
pub const SERVER_PUSHES: &str = "skynet_cluster_server_pushes_total";
/// Requests of a service that failed (`service`, `kind`: `error`, `panic`, `cancelled`).
pub const SERVER_ERRORS: &str = "skynet_cluster_server_errors_total";
/// Requests a service is running (`service`).
pub const SERVER_IN_FLIGHT: &str = "skynet_cluster_server_in_flight";
/// Service latency in seconds (`service`).
pub const SERVER_DURATION: &str = "skynet_cluster_server_duration_seconds";
/// Name queries answered.
pub const SERVER_NAME_QUERIES: &str = "skynet_cluster_server_name_queries_total";
/// Requests for an address with no service.
pub const SERVER_UNROUTABLE: &str = "skynet_cluster_server_unroutable_total";
/// Frames dropped as the reference drops them.
pub const SERVER_DROPPED_FRAMES: &str = "skynet_cluster_server_dropped_frames_total";
/// Connections accepted and served.
pub const SERVER_CONNECTIONS_TOTAL: &str = "skynet_cluster_server_connections_total";
/// Connections being served.
pub const SERVER_CONNECTIONS: &str = "skynet_cluster_server_connections";
/// Connections refused at a connection limit.
pub const SERVER_CONNECTIONS_REFUSED: &str = "skynet_cluster_server_connections_refused_total";
/// Bytes read from accepted connections.
pub const SERVER_BYTES_RECEIVED: &str = "skynet_cluster_server_bytes_received_total";
/// Bytes written to accepted connections.
pub const SERVER_BYTES_SENT: &str = "skynet_cluster_server_bytes_sent_total";
/// Back-pressure waits (`cause`).
pub const BACKPRESSURE_WAITS: &str = "skynet_cluster_backpressure_waits_total";

/// Registers the help text and unit of every metric above with the installed
/// recorder (call it after installing one; without the `metrics` feature it does
/// nothing).
pub fn describe() {
    #[cfg(feature = "metrics")]
    {
        use ::metrics::{describe_counter, describe_gauge, describe_histogram};
        describe_counter!(CLIENT_CALLS, "Calls made to a node of the cluster map.");
        describe_counter!(CLIENT_PUSHES, "Pushes made to a node of the cluster map.");
        describe_counter!(CLIENT_ERRORS, "Failed calls and pushes, by kind.");
        describe_gauge!(CLIENT_IN_FLIGHT, "Calls waiting for their reply.");
        describe_histogram!(
            CLIENT_DURATION,
            Unit::Seconds,
            "Time from a call to its reply or error."
        );
        describe_counter!(
            CLIENT_BYTES_SENT,
            Unit::Bytes,
            "Bytes written to the node's connections."
        );
        describe_counter!(
            CLIENT_BYTES_RECEIVED,
            Unit::Bytes,
            "Bytes read from the node's connections."
        );
        describe_counter!(CLIENT_CONNECTS, "Connections opened to the node.");
        describe_counter!(
            CLIENT_RECONNECTS,
            "Connections opened to the node after an earlier one."
        );
        describe_counter!(CLIENT_CONNECT_FAILURES, "Connect attempts that failed.");
        describe_gauge!(
            CLIENT_CONNECTED,
            "Connections open to the node (one per group member at most)."
        );
        describe_counter!(
            CLIENT_LATE_REPLIES,
            "Replies for calls nobody waited for any more."
        );
        describe_counter!(SERVER_CALLS, "Calls dispatched to a registered service.");
        describe_counter!(SERVER_PUSHES, "Pushes dispatched to a registered service.");
        describe_counter!(
            SERVER_ERRORS,
            "Requests of a service that failed: error reply, panic, or cancelled."
        );
        describe_gauge!(SERVER_IN_FLIGHT, "Requests the service is running.");
        describe_histogram!(
            SERVER_DURATION,
            Unit::Seconds,
            "Time from dispatch to the service's answer."
        );
        describe_counter!(SERVER_NAME_QUERIES, "Name queries answered.");
        describe_counter!(
            SERVER_UNROUTABLE,
            "Requests for an address with no service."
        );
        describe_counter!(
            SERVER_DROPPED_FRAMES,
            "Zero-length or unknown-type frames dropped."
        );
        describe_counter!(SERVER_CONNECTIONS_TOTAL, "Connections accepted and served.");
        describe_gauge!(SERVER_CONNECTIONS, "Connections being served.");
        describe_counter!(
            SERVER_CONNECTIONS_REFUSED,
            "Connections refused at a connection limit."
        );
        describe_counter!(
            SERVER_BYTES_RECEIVED,
            Unit::Bytes,
            "Bytes read from accepted connections."
        );
        describe_counter!(
            SERVER_BYTES_SENT,
            Unit::Bytes,
            "Bytes written to accepted connections."
        );
        describe_counter!(
            BACKPRESSURE_WAITS,
            "Times a task waited: write queue over its high water, request budget, requests in flight."
        );
    }
}

// ---------------------------------------------------------------------------------
// Hooks. Each type below is empty and each method a no-op without the feature.

/// The metrics of one remote node (one per channel).
#[derive(Clone, Default)]
pub(crate) struct ChannelMetrics {
    #[cfg(feature = "metrics")]
    inner: Option<Arc<ChannelInner>>,
}

#[cfg(feature = "metrics")]
struct ChannelInner {
    node: String,
    calls: Counter,
    pushes: Counter,
    in_flight: Gauge,
    duration: Histogram,
    cancelled: Counter,
    received: Counter,
    connects: Counter,
    reconnects: Counter,
    connect_failures: Counter,
    connected: Gauge,
    ever_connected: AtomicBool,
    queue: QueueMetrics,
}

impl ChannelMetrics {
    /// The handles of node `node`'s metrics, from the recorder installed now; none
    /// (nothing metered) unless `enabled`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(node: &str, enabled: bool) -> Self {
        #[cfg(feature = "metrics")]
        {
            if !enabled {
                return ChannelMetrics { inner: None };
            }
            let n = node.to_owned();
            // Counted through the facade where it happens; exists (at 0) from now.
            counter!(CLIENT_LATE_REPLIES, "node" => n.clone()).increment(0);
            let inner = ChannelInner {
                calls: counter!(CLIENT_CALLS, "node" => n.clone()),
                pushes: counter!(CLIENT_PUSHES, "node" => n.clone()),
                in_flight: gauge!(CLIENT_IN_FLIGHT, "node" => n.clone()),
                duration: histogram!(CLIENT_DURATION, "node" => n.clone()),
                cancelled: counter!(CLIENT_ERRORS, "node" => n.clone(), "kind" => "cancelled"),
                received: counter!(CLIENT_BYTES_RECEIVED, "node" => n.clone()),
                connects: counter!(CLIENT_CONNECTS, "node" => n.clone()),
                reconnects: counter!(CLIENT_RECONNECTS, "node" => n.clone()),
                connect_failures: counter!(CLIENT_CONNECT_FAILURES, "node" => n.clone()),
                connected: gauge!(CLIENT_CONNECTED, "node" => n.clone()),
                ever_connected: AtomicBool::new(false),
                queue: QueueMetrics {
                    inner: Some(Arc::new(QueueInner {
                        sent: counter!(CLIENT_BYTES_SENT, "node" => n.clone()),
                        waits: counter!(BACKPRESSURE_WAITS, "cause" => "client_write_queue"),
                    })),
                },
                node: n,
            };
            ChannelMetrics {
                inner: Some(Arc::new(inner)),
            }
        }
        #[cfg(not(feature = "metrics"))]
        ChannelMetrics {}
    }

    /// A call starts at `start`: counted, in flight until the meter finishes or drops.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn call(&self, start: Instant) -> CallMeter {
        #[cfg(feature = "metrics")]
        {
            let Some(m) = &self.inner else {
                return CallMeter { state: None };
            };
            m.calls.increment(1);
            m.in_flight.increment(1.0);
            CallMeter {
                state: Some((m.clone(), start)),
            }
        }
        #[cfg(not(feature = "metrics"))]
        CallMeter {}
    }

    /// A push ended with `result`.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn pushed(&self, result: &Result<(), CallError>) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.pushes.increment(1);
            if let Err(e) = result {
                count_error(&m.node, e);
            }
        }
    }

    /// A connection was opened.
    #[inline]
    pub(crate) fn connected(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.connects.increment(1);
            if m.ever_connected.swap(true, Ordering::Relaxed) {
                m.reconnects.increment(1);
            }
            m.connected.increment(1.0);
        }
    }

    /// A connect attempt failed.
    #[inline]
    pub(crate) fn connect_failed(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.connect_failures.increment(1);
        }
    }

    /// The connection closed.
    #[inline]
    pub(crate) fn disconnected(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.connected.decrement(1.0);
        }
    }

    /// `n` bytes were read from the node.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn received(&self, n: usize) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.received.increment(n as u64);
        }
    }

    /// The metrics of the node's outgoing queues.
    pub(crate) fn queue(&self) -> QueueMetrics {
        #[cfg(feature = "metrics")]
        {
            self.inner
                .as_ref()
                .map_or_else(QueueMetrics::default, |m| m.queue.clone())
        }
        #[cfg(not(feature = "metrics"))]
        QueueMetrics {}
    }
}

/// One call in progress: [`finish`](Self::finish) with its outcome; dropped
/// unfinished, the call counts as cancelled.
pub(crate) struct CallMeter {
    #[cfg(feature = "metrics")]
    state: Option<(Arc<ChannelInner>, Instant)>,
}

impl CallMeter {
    /// The call ended with `result`.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables, unused_mut))]
    pub(crate) fn finish<T>(mut self, result: &Result<T, CallError>) {
        #[cfg(feature = "metrics")]
        if let Some((m, start)) = self.state.take() {
            m.in_flight.decrement(1.0);
            m.duration.record(start.elapsed().as_secs_f64());
            if let Err(e) = result {
                count_error(&m.node, e);
            }
        }
    }
}

#[cfg(feature = "metrics")]
impl Drop for CallMeter {
    fn drop(&mut self) {
        if let Some((m, _)) = self.state.take() {
            m.in_flight.decrement(1.0);
            m.cancelled.increment(1);
        }
    }
}

#[cfg(feature = "metrics")]
fn count_error(node: &str, error: &CallError) {
    counter!(CLIENT_ERRORS, "node" => node.to_owned(), "kind" => error.kind()).increment(1);
}

/// A call or push failed before a node of the map was chosen (bad address, unknown
/// node, shut down): counted with an empty `node` label; returns the error.
#[inline]
pub(crate) fn failed_early(error: impl Into<CallError>) -> CallError {
    let error = error.into();
    #[cfg(feature = "metrics")]
    count_error("", &error);
    error
}

/// A reply came for a call nobody waits for any more.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn late_reply(node: &str) {
    #[cfg(feature = "metrics")]
    counter!(CLIENT_LATE_REPLIES, "node" => node.to_owned()).increment(1);
}

/// The metrics of an outgoing frame queue (bytes written, back-pressure waits).
#[derive(Clone, Default)]
pub(crate) struct QueueMetrics {
    #[cfg(feature = "metrics")]
    inner: Option<Arc<QueueInner>>,
}

#[cfg(feature = "metrics")]
struct QueueInner {
    sent: Counter,
    waits: Counter,
}

impl QueueMetrics {
    /// `n` bytes were written.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn sent(&self, n: usize) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.sent.increment(n as u64);
        }
    }

    /// A producer had to wait for space.
    #[inline]
    pub(crate) fn waited(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.waits.increment(1);
        }
    }
}

/// The metrics of a node's listeners (shared by their connections).
#[derive(Clone, Default)]
pub(crate) struct ServerMetrics {
    #[cfg(feature = "metrics")]
    inner: Option<Arc<ServerInner>>,
}

#[cfg(feature = "metrics")]
struct ServerInner {
    accepted: Counter,
    open: Gauge,
    refused: Counter,
    received: Counter,
    budget_waits: Counter,
    inflight_waits: Counter,
    queue: QueueMetrics,
}

impl ServerMetrics {
    /// The handles, from the recorder installed now; none unless `enabled`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(enabled: bool) -> Self {
        #[cfg(feature = "metrics")]
        {
            if !enabled {
                return ServerMetrics { inner: None };
            }
            // The series counted through the facade where they happen exist (at 0)
            // from the start.
            counter!(SERVER_DROPPED_FRAMES).increment(0);
            counter!(SERVER_UNROUTABLE).increment(0);
            counter!(SERVER_NAME_QUERIES).increment(0);
            ServerMetrics {
                inner: Some(Arc::new(ServerInner {
                    accepted: counter!(SERVER_CONNECTIONS_TOTAL),
                    open: gauge!(SERVER_CONNECTIONS),
                    refused: counter!(SERVER_CONNECTIONS_REFUSED),
                    received: counter!(SERVER_BYTES_RECEIVED),
                    budget_waits: counter!(BACKPRESSURE_WAITS, "cause" => "request_budget"),
                    inflight_waits: counter!(BACKPRESSURE_WAITS, "cause" => "max_inflight"),
                    queue: QueueMetrics {
                        inner: Some(Arc::new(QueueInner {
                            sent: counter!(SERVER_BYTES_SENT),
                            waits: counter!(BACKPRESSURE_WAITS, "cause" => "server_write_queue"),
                        })),
                    },
                })),
            }
        }
        #[cfg(not(feature = "metrics"))]
        ServerMetrics {}
    }

    /// A connection is served from now on.
    #[inline]
    pub(crate) fn opened(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.accepted.increment(1);
            m.open.increment(1.0);
        }
    }

    /// A served connection ended.
    #[inline]
    pub(crate) fn closed(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.open.decrement(1.0);
        }
    }

    /// A connection was refused.
    #[inline]
    pub(crate) fn refused(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.refused.increment(1);
        }
    }

    /// `n` bytes were read.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn received(&self, n: usize) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.received.increment(n as u64);
        }
    }

    /// A connection waited for request budget.
    #[inline]
    pub(crate) fn budget_wait(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.budget_waits.increment(1);
        }
    }

    /// A connection waited for a slot of `max_inflight`.
    #[inline]
    pub(crate) fn inflight_wait(&self) {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.inner {
            m.inflight_waits.increment(1);
        }
    }

    /// The metrics of the connections' outgoing queues.
    pub(crate) fn queue(&self) -> QueueMetrics {
        #[cfg(feature = "metrics")]
        {
            self.inner
                .as_ref()
                .map_or_else(QueueMetrics::default, |m| m.queue.clone())
        }
        #[cfg(not(feature = "metrics"))]
        QueueMetrics {}
    }
}

/// A frame was dropped (zero-length, unknown type).
#[inline]
pub(crate) fn frame_dropped() {
    #[cfg(feature = "metrics")]
    counter!(SERVER_DROPPED_FRAMES).increment(1);
}

/// A request found no service.
#[inline]
pub(crate) fn unroutable() {
    #[cfg(feature = "metrics")]
    counter!(SERVER_UNROUTABLE).increment(1);
}

/// A name query was answered.
#[inline]
pub(crate) fn name_query() {
    #[cfg(feature = "metrics")]
    counter!(SERVER_NAME_QUERIES).increment(1);
}

/// Runs `fut`; calls `on_wait` once if it does not complete at its first poll.
pub(crate) async fn counted_wait<F: std::future::Future>(
    fut: F,
    on_wait: impl FnOnce(),
) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut on_wait = Some(on_wait);
    std::future::poll_fn(|cx| {
        let p = fut.as_mut().poll(cx);
        if p.is_pending() {
            if let Some(f) = on_wait.take() {
                f();
            }
        }
        p
    })
    .await
}

/// `service` as registered under `name` (or `handle` when unnamed): counted per
/// request when the feature is on, unchanged when it is off.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn meter_service(
    name: &str,
    handle: u32,
    service: Arc<dyn Service>,
) -> Arc<dyn Service> {
    #[cfg(feature = "metrics")]
    {
        let label = if name.is_empty() {
            format!(":{handle:08x}")
        } else {
            name.to_owned()
        };
        Arc::new(Metered {
            inner: service,
            m: Arc::new(ServiceInner {
                calls: counter!(SERVER_CALLS, "service" => label.clone()),
                pushes: counter!(SERVER_PUSHES, "service" => label.clone()),
                in_flight: gauge!(SERVER_IN_FLIGHT, "service" => label.clone()),
                duration: histogram!(SERVER_DURATION, "service" => label.clone()),
                errors: counter!(SERVER_ERRORS, "service" => label.clone(), "kind" => "error"),
                panics: counter!(SERVER_ERRORS, "service" => label.clone(), "kind" => "panic"),
                cancelled: counter!(SERVER_ERRORS, "service" => label, "kind" => "cancelled"),
            }),
        })
    }
    #[cfg(not(feature = "metrics"))]
    service
}

#[cfg(feature = "metrics")]
struct ServiceInner {
    calls: Counter,
    pushes: Counter,
    in_flight: Gauge,
    duration: Histogram,
    errors: Counter,
    panics: Counter,
    cancelled: Counter,
}

/// A registered service with its metrics.
#[cfg(feature = "metrics")]
struct Metered {
    inner: Arc<dyn Service>,
    m: Arc<ServiceInner>,
}

#[cfg(feature = "metrics")]
impl Service for Metered {
    fn call(&self, req: Request) -> ServiceFuture {
        if req.push {
            self.m.pushes.increment(1);
        } else {
            self.m.calls.increment(1);
        }
        self.m.in_flight.increment(1.0);
        Box::pin(MeteredFuture {
            fut: self.inner.call(req),
            m: self.m.clone(),
            start: Instant::now(),
            done: false,
            polling: false,
        })
    }
}

/// A service's future, timed; what it ends as is counted when it is dropped.
#[cfg(feature = "metrics")]
struct MeteredFuture {
    fut: ServiceFuture,
    m: Arc<ServiceInner>,
    start: Instant,
    done: bool,
    /// Set while the service's future is polled: still set at drop = it panicked.
    polling: bool,
}

#[cfg(feature = "metrics")]
impl Future for MeteredFuture {
    type Output = Reply;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let this = &mut *self;
        this.polling = true;
        let p = this.fut.as_mut().poll(cx);
        this.polling = false;
        if let Poll::Ready(reply) = &p {
            this.done = true;
            this.m.duration.record(this.start.elapsed().as_secs_f64());
            if reply.is_err() {
                this.m.errors.increment(1);
            }
        }
        p
    }
}

#[cfg(feature = "metrics")]
impl Drop for MeteredFuture {
    fn drop(&mut self) {
        self.m.in_flight.decrement(1.0);
        if !self.done {
            if self.polling {
                self.m.panics.increment(1);
            } else {
                self.m.cancelled.increment(1);
            }
        }
    }
}
