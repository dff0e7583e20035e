//! The serving side: accept connections, decode requests, resolve addresses, run
//! services concurrently, write replies.
//!
//! What a peer can make a node hold is bounded: connection slots (in all and per
//! peer address; a refused connection is closed at once), time (an idle connection,
//! or one that stalls inside a frame, is closed), reassembly bytes and messages per
//! connection ([`Limits`](crate::Limits)), request bytes over the whole node (the
//! budget: reserved before reading more), requests in flight per connection, and
//! queued reply bytes (checked before each request and each reply: a peer that does
//! not read its replies stops being read). A peer that closes its connection is gone:
//! its requests in flight are cancelled.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use super::admission::Admission;
use super::budget::{Budget, Held};
use super::log_limit::LogLimit;
use super::node::NodeOptions;
use super::queue::OutQueue;
use crate::frame::{encode_error, encode_response, frame_body_len, take_frame, RequestFrame};
use crate::luaseri;
use crate::reassembly::{Inbound, InboundRequest, RequestAssembler};
use crate::registry::{Registry, Resolved, NAME_NOT_FOUND};
use crate::service::{Reply, Request, ServiceFuture};

/// What every connection of a node's listeners shares.
pub(crate) struct ServerCtx {
    pub(crate) registry: Arc<Registry>,
    pub(crate) opts: Arc<NodeOptions>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) budget: Budget,
}

/// Bytes a connection may buffer without reserving budget: a small request is
/// always read (and served) even when the node's budget is used up.
const FREE_BYTES: usize = 64 << 10;
/// The least room asked of the read buffer before a read.
const MIN_READ: usize = 8 << 10;
/// What a request in flight is charged to the budget, in multiples of its payload.
const IN_FLIGHT_CHARGE: usize = 2;
/// In-flight payloads up to this size are copied out of the read buffer, so that a
/// small request does not keep a whole read chunk alive.
const DETACH_BELOW: usize = 4 << 10;

/// Accepts connections until the node shuts down; refuses (closes at once) what is
/// over the connection limits.
pub(crate) async fn accept_loop(listener: TcpListener, ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown.clone();
    let mut refusals = LogLimit::default();
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
                        let (log, earlier) = refusals.allow();
                        if log || earlier > 0 {
                            tracing::warn!(%peer, ?why, earlier, "connection refused: at the connection limit");
                        }
                        drop(stream);
                        continue;
                    }
                };
                let span = tracing::debug_span!("cluster.conn", %peer);
                let ctx = ctx.clone();
                tokio::spawn(
                    async move {
                        tracing::debug!("accepted");
                        let why = serve(stream, peer, ctx).await;
                        tracing::debug!(reason = %why, "connection closed");
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

/// One connection's state.
struct Server {
    ctx: Arc<ServerCtx>,
    queue: Arc<OutQueue>,
    inflight: Arc<Semaphore>,
    /// Set when the peer is gone: requests in flight stop.
    cancel: watch::Sender<bool>,
    peer: SocketAddr,
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
async fn serve(stream: TcpStream, peer: SocketAddr, ctx: Arc<ServerCtx>) -> String {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
    let (mut rd, wr) = stream.into_split();
    let server = Server {
        queue: Arc::new(OutQueue::new(ctx.opts.write_high_water)),
        inflight: Arc::new(Semaphore::new(ctx.opts.max_inflight)),
        cancel: watch::channel(false).0,
        peer,
        ctx,
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
    let mut asm = RequestAssembler::new(opts.limits);
    let mut drops = LogLimit::default();
    let mut held = server.ctx.budget.hold();
    let mut buf = BytesMut::new();
    let why = loop {
        // Back-pressure: a peer that does not read its replies is not read either.
        server.queue.wait_space().await;
        // Room for the rest of the current frame (at most 64 KiB), or a small read.
        let want = frame_body_len(&buf)
            .map_or(MIN_READ, |n| (n + 2).saturating_sub(buf.len()))
            .max(MIN_READ);
        buf.reserve(want);
        // Reserve budget for what this connection holds plus what it may read.
        let need = (buf.len() + asm.buffered() + want).saturating_sub(FREE_BYTES);
        if held.bytes() < need
            && tokio::time::timeout(opts.frame_timeout, held.grow_to(need))
                .await
                .is_err()
        {
            break "no request budget in time (the node holds too many request bytes)".to_owned();
        }
        // A started frame or message must go on; an idle connection may rest a while.
        let midway = !buf.is_empty() || asm.pending() > 0;
        let idle = server.inflight.available_permits() == opts.max_inflight;
        let limit = if midway {
            Some(opts.frame_timeout)
        } else if idle {
            opts.idle_timeout
        } else {
            None
        };
        let read = async {
            tokio::select! {
                r = rd.read_buf(&mut buf) => match r {
                    Ok(0) => ReadEnd::Eof,
                    Ok(_) => ReadEnd::Data,
                    Err(e) => ReadEnd::Failed(format!("read error: {e}")),
                },
                _ = shutdown.wait_for(|s| *s) => ReadEnd::Shutdown,
                _ = server.queue.closed() => ReadEnd::QueueClosed,
            }
        };
        let end = match limit {
            Some(d) => match tokio::time::timeout(d, read).await {
                Ok(end) => end,
                Err(_) if midway => break format!("no progress within {d:?} inside a frame"),
                Err(_) => break format!("idle for {d:?}"),
            },
            None => read.await,
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
        if let Err(why) = server
            .handle_frames(&mut buf, &mut asm, &mut drops, &mut held)
            .await
        {
            // Malformed input closes this connection only.
            let _ = server.cancel.send(true);
            writer.abort();
            report_drops(&mut drops);
            return why;
        }
        held.shrink_to((buf.len() + asm.buffered()).saturating_sub(FREE_BYTES));
    };
    report_drops(&mut drops);
    // The peer is gone (or stalled): what it asked for is no longer wanted.
    let _ = server.cancel.send(true);
    drop(held);
    server.queue.close();
    let _ = writer.await;
    why
}

impl Server {
    /// Handles every whole frame in `buf`. `Err` = close the connection.
    async fn handle_frames(
        &self,
        buf: &mut BytesMut,
        asm: &mut RequestAssembler,
        drops: &mut LogLimit,
        held: &mut Held,
    ) -> Result<(), String> {
        while let Some(body) = take_frame(buf) {
            let frame = match RequestFrame::decode(body.freeze()) {
                Ok(f) => f,
                Err(e) if e.is_droppable() => {
                    // As the reference: logged, dropped, connection kept — but a peer
                    // sending junk frames gets a few log lines, not one per frame.
                    let (log, earlier) = drops.allow();
                    if earlier > 0 {
                        tracing::warn!(count = earlier, "more request frames dropped");
                    }
                    if log {
                        tracing::warn!(error = %e, "request frame dropped");
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "malformed request frame: closing the connection");
                    return Err(format!("malformed request: {e}"));
                }
            };
            match asm.handle(frame) {
                Ok(None) => {}
                Ok(Some(Inbound::Request(req))) => self.dispatch(req, held).await,
                Ok(Some(Inbound::Reject { session, text })) => {
                    tracing::debug!(session, text, "request rejected");
                    self.reply_error(session, text.as_bytes()).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "request limits broken: closing the connection");
                    return Err(format!("limit: {e}"));
                }
            }
        }
        Ok(())
    }

    async fn dispatch(&self, req: InboundRequest, held: &mut Held) {
        // Back-pressure per request, not per read: a peer that pipelines requests and
        // does not read the replies gets no further work done for it.
        self.queue.wait_space().await;
        match self.ctx.registry.resolve(&req.address) {
            Resolved::Query => {
                // The reference answers a query even when it came as a push.
                let name = luaseri::unpack(&req.payload)
                    .ok()
                    .and_then(|v| v.into_iter().next())
                    .and_then(|v| v.as_bytes().and_then(|b| self.ctx.registry.query(b)));
                match name {
                    Some(h) => match luaseri::to_args(&h) {
                        Ok(p) => self.reply(req.session, Ok(Bytes::from(p))).await,
                        Err(_) => {
                            self.reply_error(req.session, NAME_NOT_FOUND.as_bytes())
                                .await
                        }
                    },
                    None => {
                        self.reply_error(req.session, NAME_NOT_FOUND.as_bytes())
                            .await
                    }
                }
            }
            Resolved::Missing { text, answer_push } => {
                tracing::debug!(address = ?req.address, text, "no such service");
                if !req.push || answer_push {
                    self.reply_error(req.session, text.as_bytes()).await;
                }
            }
            Resolved::Service(handle, service) => {
                let session = req.session;
                let push = req.push;
                let payload_len = req.payload.len();
                let request = Request {
                    payload: detach_small(req.payload),
                    session,
                    push,
                    trace: req.trace,
                    address: req.address.to_address(),
                    handle,
                    peer: Some(self.peer),
                };
                let mut fut = CatchUnwind(service.call(request));
                // Most services answer at once: poll inline, spawn only what waits.
                let first =
                    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))).await;
                match first {
                    Poll::Ready(reply) => {
                        if !push {
                            // Waits (and so stops reading) while the peer does not
                            // take its replies.
                            self.reply(session, reply).await;
                        }
                    }
                    Poll::Pending => {
                        let permit = self.permit().await;
                        // The request stays in memory until it is done: it counts
                        // against the node's budget until then, twice its payload
                        // (the bytes, and what the service decodes from them).
                        let charge = payload_len.saturating_mul(IN_FLIGHT_CHARGE);
                        let mut share = held.split(charge);
                        share.grow_to(charge).await;
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
                    }
                }
            }
        }
    }

    /// A slot for one more request in flight; waits (not reading) when all are taken.
    async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        match self.inflight.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => self.inflight.clone().acquire_owned().await.ok(),
        }
    }

    async fn reply(&self, session: u32, reply: Reply) {
        write_reply(&self.queue, session, reply).await;
    }

    async fn reply_error(&self, session: u32, text: &[u8]) {
        let _ = self
            .queue
            .push_when_space(|buf| encode_error(buf, session, text))
            .await;
    }
}

/// A small payload copied out of the read chunk it points into (so that a request
/// in flight holds its own bytes, not the connection's whole read buffer).
fn detach_small(payload: Bytes) -> Bytes {
    if payload.len() < DETACH_BELOW {
        Bytes::copy_from_slice(&payload)
    } else {
        payload
    }
}

/// Logs how many dropped frames were not logged one by one.
fn report_drops(drops: &mut LogLimit) {
    let n = drops.take_suppressed();
    if n > 0 {
        tracing::warn!(count = n, "more request frames dropped");
    }
}

/// Queues a reply once the connection's queue is under its high water.
async fn write_reply(queue: &OutQueue, session: u32, reply: Reply) {
    let _ = queue
        .push_when_space(|buf| match &reply {
            Ok(payload) => {
                buf.reserve(crate::frame::encoded_response_len(payload.len()));
                if let Err(e) = encode_response(buf, session, payload) {
                    encode_error(buf, session, e.to_string().as_bytes());
                }
            }
            Err(e) => encode_error(buf, session, e.0.as_bytes()),
        })
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
