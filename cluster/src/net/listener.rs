//! The serving side's I/O: accept connections (admission by
//! [`Admission`]), read each into its [`ServerConn`] and carry out the events it
//! returns — run services (inline, or spawned with an in-flight slot and their share
//! of the request budget, cancelled when the peer goes), write replies — with the
//! waits and timers it asks for.
//!
//! What a peer can make a node hold is bounded: connection slots (in all and per
//! peer address; a refused connection is closed at once), time (the read deadlines
//! of [`ServerConn::read_deadline`]), reassembly bytes and messages per connection
//! ([`Limits`](crate::Limits)), request bytes over the whole node (the budget:
//! reserved before reading more, [`ServerConn::prepare_read`]), requests in flight
//! per connection, and queued reply bytes (checked before each read, each request
//! and each reply: a peer that does not read its replies stops being read). A peer
//! that closes its connection is gone: its requests in flight are cancelled.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use super::auth::AuthGate;
use super::budget::{Budget, Held};
use super::options::NodeOptions;
use super::queue::OutQueue;
use crate::proto::admission::Admission;
use crate::proto::log_limit::LogLimit;
use crate::proto::{encode_reply, Dispatch, ServerConfig, ServerConn, ServerEvent};
use crate::registry::Registry;
use crate::service::{Reply, ServiceFuture};
use crate::telemetry::{counted_wait, ServerMetrics};

/// What every connection of a node's listeners shares.
pub(crate) struct ServerCtx {
    pub(crate) registry: Arc<Registry>,
    pub(crate) opts: Arc<NodeOptions>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) budget: Budget,
    /// The handshake accepted connections must pass first (when required).
    pub(crate) auth: Arc<AuthGate>,
}

/// The clock of the connections: tokio's (so that the timers and the deadlines the
/// core computes agree, paused time included).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Accepts connections until the node shuts down; refuses (closes at once) what is
/// over the connection limits.
pub(crate) async fn accept_loop(listener: TcpListener, ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown.clone();
    let mut refusals = LogLimit::default();
    let metrics = ServerMetrics::new(ctx.opts.metrics);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let slot = match ctx.admission.admit(peer.ip()) {
                    Ok(slot) => slot,
                    Err(why) => {
                        metrics.refused();
                        let (log, earlier) = refusals.allow(now());
                        if log || earlier > 0 {
                            tracing::warn!(%peer, ?why, earlier, "connection refused: at the connection limit");
                        }
                        drop(stream);
                        continue;
                    }
                };
                let span = tracing::debug_span!("cluster.conn", %peer);
                let ctx = ctx.clone();
                let metrics = metrics.clone();
                tokio::spawn(
                    async move {
                        tracing::debug!("accepted");
                        let Some(stream) =
                            ctx.auth.accept(stream, peer, ctx.opts.frame_timeout).await
                        else {
                            return;
                        };
                        metrics.opened();
                        let why = serve(stream, peer, ctx, &metrics).await;
                        tracing::debug!(reason = %why, "connection closed");
                        metrics.closed();
                        drop(slot);
                    }
                    .instrument(span),
                );
            }
            Err(e) => {
                // Out of file descriptors and the like: no tight loop.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One connection's shell state.
struct Server {
    ctx: Arc<ServerCtx>,
    queue: Arc<OutQueue>,
    inflight: Arc<Semaphore>,
    /// Set when the peer is gone: requests in flight stop.
    cancel: watch::Sender<bool>,
    metrics: ServerMetrics,
}

/// What ended a read.
enum ReadEnd {
    Data,
    Eof,
    Failed(String),
    Shutdown,
    QueueClosed,
}

/// Serves one connection until it ends; returns why it ended.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: Arc<ServerCtx>,
    metrics: &ServerMetrics,
) -> String {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
    let (mut rd, wr) = stream.into_split();
    let server = Server {
        queue: Arc::new(OutQueue::new(ctx.opts.write_high_water, metrics.queue())),
        inflight: Arc::new(Semaphore::new(ctx.opts.max_inflight)),
        cancel: watch::channel(false).0,
        ctx,
        metrics: metrics.clone(),
    };
    let q = server.queue.clone();
    let writer = tokio::spawn(
        async move {
            if let Err(e) = q.write_loop(wr).await {
                tracing::debug!(error = %e, "write failed");
            }
        }
        .in_current_span(),
    );
    let opts = server.ctx.opts.clone();
    let mut shutdown = server.ctx.shutdown.clone();
    let mut conn = ServerConn::new(
        ServerConfig {
            limits: opts.limits,
            idle_timeout: opts.idle_timeout,
            frame_timeout: opts.frame_timeout,
        },
        Some(peer),
    );
    let mut held = server.ctx.budget.hold();
    // Made once and polled by reference on every read: a fresh waiter per read (and a
    // timer registered and removed per read) cost more than the rest of a small
    // request's handling.
    let stop = shutdown.wait_for(|s| *s);
    tokio::pin!(stop);
    let queue_closed = server.queue.closed();
    tokio::pin!(queue_closed);
    // The read deadline's timer is moved only when the deadline comes earlier; a
    // deadline pushed back (bytes arrived) is found when the timer fires early and
    // the core says the deadline has not passed.
    let timer = tokio::time::sleep_until(tokio::time::Instant::now());
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    let why = loop {
        // Back-pressure: a peer that does not read its replies is not read either.
        server.queue.wait_space().await;
        let plan = conn.prepare_read(now());
        if held.bytes() < plan.budget {
            let grow = counted_wait(held.grow_to(plan.budget), || metrics.budget_wait());
            let had = match plan.budget_deadline {
                Some(at) => tokio::time::timeout_at(at.into(), grow).await.is_ok(),
                None => {
                    grow.await;
                    true
                }
            };
            if !had {
                break conn.budget_timeout().to_string();
            }
        }
        let in_flight = opts.max_inflight - server.inflight.available_permits();
        if let Some(at) = conn.read_deadline(now(), in_flight) {
            if armed.map_or(true, |a| at < a) {
                timer.as_mut().reset(at.into());
                armed = Some(at);
            }
        }
        let buf = conn.read_buf();
        let end = tokio::select! {
            r = rd.read_buf(buf) => match r {
                Ok(0) => ReadEnd::Eof,
                Ok(n) => {
                    metrics.received(n);
                    ReadEnd::Data
                }
                Err(e) => ReadEnd::Failed(format!("read error: {e}")),
            },
            _ = &mut stop => ReadEnd::Shutdown,
            _ = &mut queue_closed => ReadEnd::QueueClosed,
            _ = &mut timer, if armed.is_some() => {
                armed = None;
                match conn.handle_timeout(now()) {
                    Some(why) => break why.to_string(),
                    None => continue,
                }
            }
        };
        match end {
            ReadEnd::Data => {}
            ReadEnd::Eof => break "closed by the peer".to_owned(),
            ReadEnd::Failed(e) => break e,
            ReadEnd::QueueClosed => break "write side closed".to_owned(),
            ReadEnd::Shutdown => {
                let _ = server.cancel.send(true);
                writer.abort();
                return "node shut down".into();
            }
        }
        // The replies to this read's requests go out together, after it.
        server.queue.cork();
        // One clock read per read, not per request: it only paces the drop log.
        let read_at = now();
        loop {
            match conn.poll_event(read_at, &*server.ctx.registry) {
                Ok(None) => {
                    server.queue.uncork();
                    break;
                }
                Ok(Some(event)) => server.handle(event, &mut held).await,
                Err(why) => {
                    server.queue.uncork();
                    // Malformed input closes this connection only.
                    let _ = server.cancel.send(true);
                    writer.abort();
                    report_drops(&mut conn);
                    return why.to_string();
                }
            }
        }
        held.shrink_to(conn.budget_needed());
    };
    report_drops(&mut conn);
    // The peer is gone (or stalled): what it asked for is no longer wanted.
    let _ = server.cancel.send(true);
    drop(held);
    server.queue.close();
    let _ = writer.await;
    why
}

impl Server {
    /// Carries out one event of the connection.
    async fn handle(&self, event: ServerEvent<Arc<dyn crate::Service>>, held: &mut Held) {
        match event {
            ServerEvent::Reply { session, reply } => write_reply(&self.queue, session, reply).await,
            ServerEvent::Dispatch(d) => self.dispatch(d, held).await,
        }
    }

    async fn dispatch(&self, d: Dispatch<Arc<dyn crate::Service>>, held: &mut Held) {
        // Back-pressure per request, not per read: a peer that pipelines requests and
        // does not read the replies gets no further work done for it.
        self.queue.wait_space().await;
        let Dispatch {
            service,
            request,
            charge,
        } = d;
        let session = request.session;
        let push = request.push;
        let mut fut = CatchUnwind(service.call(request));
        // Most services answer at once: poll inline, spawn only what waits.
        let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))).await;
        match first {
            Poll::Ready(reply) => {
                if !push {
                    // Waits (and so stops reading) while the peer does not take its
                    // replies.
                    write_reply(&self.queue, session, reply).await;
                }
            }
            Poll::Pending => {
                // The replies so far go out before this waits (for a slot, a budget).
                self.queue.uncork();
                let permit = self.permit().await;
                // The request stays in memory until it is done: it holds its share
                // of the node's budget until then.
                let mut share = held.split(charge);
                counted_wait(share.grow_to(charge), || self.metrics.budget_wait()).await;
                let queue = self.queue.clone();
                let mut cancel = self.cancel.subscribe();
                tokio::spawn(
                    async move {
                        tokio::select! {
                            reply = fut => {
                                if !push {
                                    write_reply(&queue, session, reply).await;
                                }
                            }
                            _ = async { let _ = cancel.wait_for(|c| *c).await; } => {}
                        }
                        drop(share);
                        drop(permit);
                    }
                    .in_current_span(),
                );
                self.queue.cork();
            }
        }
    }

    /// A slot for one more request in flight; waits (not reading) when all are taken.
    async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        match self.inflight.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                self.metrics.inflight_wait();
                self.inflight.clone().acquire_owned().await.ok()
            }
        }
    }
}

/// Logs how many dropped frames were not logged one by one.
fn report_drops(conn: &mut ServerConn) {
    let n = conn.take_unlogged_drops();
    if n > 0 {
        tracing::warn!(count = n, "more request frames dropped");
    }
}

/// Queues a reply once the connection's queue is under its high water.
async fn write_reply(queue: &OutQueue, session: u32, reply: Reply) {
    let _ = queue
        .push_when_space(|buf| encode_reply(buf, session, &reply))
        .await;
}

/// A service future whose panic becomes an error reply.
struct CatchUnwind(ServiceFuture);

impl Future for CatchUnwind {
    type Output = Reply;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let fut = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(_) => {
                tracing::error!("service panicked");
                Poll::Ready(Err(crate::ServiceError("service panicked".into())))
            }
        }
    }
}
