//! The serving side: accept connections, decode requests, resolve addresses, run
//! services concurrently, write replies. Limits per connection: reassembly bytes and
//! messages ([`Limits`](crate::Limits)), requests in flight, and queued reply bytes
//! (a peer that does not read its replies stops being read).

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

use super::log_limit::LogLimit;
use super::node::NodeOptions;
use super::queue::OutQueue;
use crate::frame::{encode_error, encode_response, take_frame, RequestFrame};
use crate::luaseri;
use crate::reassembly::{Inbound, InboundRequest, RequestAssembler};
use crate::registry::{Registry, Resolved, NAME_NOT_FOUND};
use crate::service::{Reply, Request, ServiceFuture};

/// What every connection of a node's listeners shares.
pub(crate) struct ServerCtx {
    pub(crate) registry: Arc<Registry>,
    pub(crate) opts: Arc<NodeOptions>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) connections: Arc<Semaphore>,
}

/// Accepts connections until the node shuts down.
pub(crate) async fn accept_loop(listener: TcpListener, ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown.clone();
    loop {
        let permit = tokio::select! {
            p = ctx.connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = shutdown.wait_for(|s| *s) => return,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let span = tracing::debug_span!("cluster.conn", %peer);
                let ctx = ctx.clone();
                tokio::spawn(
                    async move {
                        tracing::debug!("accepted");
                        let why = serve(stream, peer, ctx).await;
                        tracing::debug!(reason = %why, "connection closed");
                        drop(permit);
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
    peer: SocketAddr,
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
    let mut shutdown = server.ctx.shutdown.clone();
    let mut asm = RequestAssembler::new(server.ctx.opts.limits);
    let mut drops = LogLimit::default();
    let mut buf = BytesMut::with_capacity(64 << 10);
    let why = loop {
        // Back-pressure: a peer that does not read its replies is not read either.
        server.queue.wait_space().await;
        if buf.capacity() - buf.len() < 8192 {
            buf.reserve(64 << 10);
        }
        let n = tokio::select! {
            r = rd.read_buf(&mut buf) => r,
            _ = shutdown.wait_for(|s| *s) => {
                writer.abort();
                return "node shut down".into();
            }
            _ = server.queue.closed() => break "write side closed".to_owned(),
        };
        match n {
            Ok(0) => break "closed by the peer".to_owned(),
            Ok(_) => {}
            Err(e) => break format!("read error: {e}"),
        }
        if let Err(why) = server.handle_frames(&mut buf, &mut asm, &mut drops).await {
            // Malformed input closes this connection only.
            writer.abort();
            report_drops(&mut drops);
            return why;
        }
    };
    report_drops(&mut drops);
    // The peer may have only closed its write side: finish what is in flight, flush
    // the replies, then close.
    let all = u32::try_from(server.ctx.opts.max_inflight).unwrap_or(u32::MAX);
    tokio::select! {
        _ = server.inflight.acquire_many(all) => {}
        _ = shutdown.wait_for(|s| *s) => {}
    }
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
                Ok(Some(Inbound::Request(req))) => self.dispatch(req).await,
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

    async fn dispatch(&self, req: InboundRequest) {
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
                let request = Request {
                    payload: req.payload,
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
                        let queue = self.queue.clone();
                        tokio::spawn(
                            async move {
                                let reply = fut.await;
                                if !push {
                                    write_reply(&queue, session, reply).await;
                                }
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
