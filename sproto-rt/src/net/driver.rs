//! The tasks of one connection: a reader that turns packages into answers for waiting
//! calls and requests for the handler, and a writer that sends what the connection
//! queued. The framing differs per transport (2-byte lengths on a byte stream, one
//! WebSocket message per package); everything else is shared here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;

use super::peer::Shared;
use super::Peer;
use crate::gate::Event;
use crate::rpc::{CloseReason, Handler, Request};

/// Hands one package from the peer to the connection: answers go to their waiting
/// call, requests to the connection's dispatcher (waiting while it is full). An error
/// closes the connection.
pub(crate) async fn on_package(
    shared: &Shared,
    requests: &mpsc::Sender<Request>,
    package: &[u8],
) -> Result<(), CloseReason> {
    let request = {
        let mut st = shared.lock();
        match st.conn.handle_package(package) {
            Err(e) => return Err(CloseReason::Protocol(e)),
            Ok(None) => {
                tracing::debug!("answer for a session nobody waits for, dropped");
                return Ok(());
            }
            Ok(Some(Event::Response { session, body, .. })) => {
                if let Some(w) = st.waiters.remove(&session) {
                    let _ = w.send(Ok(body));
                }
                return Ok(());
            }
            Ok(Some(Event::Request {
                tag,
                session,
                ud,
                body,
            })) => Request {
                tag,
                session,
                ud,
                body,
            },
        }
    };
    // Fails only when the dispatcher is gone, i.e. the connection is closing.
    let _ = requests.send(request).await;
    Ok(())
}

/// Runs one request through the handler and queues its answer.
async fn serve_one<H: Handler>(shared: Arc<Shared>, handler: Arc<H>, request: Request) {
    let session = request.session;
    match handler.handle(request).await {
        Ok(answer) => {
            if let Some(session) = session {
                shared.respond(session, answer).await;
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "bad request from the peer; closing the connection");
            shared.close(CloseReason::Protocol(e));
        }
    }
}

/// The connection's requests, started in arrival order and run concurrently on this
/// one task (as a skynet agent runs each request in a coroutine): a handler that does
/// not wait finishes before the next request starts. At most `max_in_flight` run at
/// once; then the channel fills and the reader stops reading. When the connection
/// closes, the requests still running are dropped.
async fn dispatch<H: Handler>(
    shared: Arc<Shared>,
    handler: Arc<H>,
    mut requests: mpsc::Receiver<Request>,
) {
    let max = shared.config.max_in_flight;
    let mut closed = shared.subscribe_closed();
    let mut running = FuturesUnordered::new();
    loop {
        tokio::select! {
            biased;
            _ = closed.wait_for(|c| c.is_some()) => return,
            Some(()) = running.next(), if !running.is_empty() => {}
            request = requests.recv(), if running.len() < max => match request {
                Some(r) => running.push(serve_one(shared.clone(), handler.clone(), r)),
                None => break,
            },
        }
    }
    // The reader ended: finish what runs, unless the connection closes first.
    tokio::select! {
        _ = closed.wait_for(|c| c.is_some()) => {}
        _ = async { while running.next().await.is_some() {} } => {}
    }
}

/// Runs `reader` until it ends or the connection closes; the reader's result is the
/// close reason.
pub(crate) async fn read_until_closed(
    shared: Arc<Shared>,
    reader: impl std::future::Future<Output = CloseReason>,
) {
    let mut closed = shared.subscribe_closed();
    tokio::select! {
        reason = reader => shared.close(reason),
        _ = closed.wait_for(|c| c.is_some()) => {}
    }
}

/// Takes every queued package; `None` when nothing is queued and the connection is
/// closing (the writer should shut down).
pub(crate) async fn next_batch(shared: &Shared, batch: &mut Vec<Vec<u8>>) -> bool {
    loop {
        let wake = shared.writer_wake.notified();
        let closing = {
            let mut st = shared.lock();
            while let Some(p) = st.conn.poll_transmit() {
                batch.push(p);
            }
            st.close.is_some()
        };
        if !batch.is_empty() {
            shared.space.notify_waiters();
            return true;
        }
        if closing {
            return false;
        }
        wake.await;
    }
}

/// Builds the peer handle and the handler of a new connection and starts its
/// dispatcher; returns the handle and the dispatcher's request queue.
pub(crate) fn start<H: Handler>(
    shared: Arc<Shared>,
    factory: impl FnOnce(Peer) -> H,
) -> (Peer, mpsc::Sender<Request>) {
    let peer = Peer {
        shared: shared.clone(),
    };
    let handler = Arc::new(factory(peer.clone()));
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(dispatch(shared, handler, rx));
    (peer, tx)
}

/// When a connection's reader gives up waiting: `idle` after the last bytes arrived,
/// or `frame` after a package started arriving and has not completed (whichever
/// applies; the stalled package wins).
pub(crate) struct ReadDeadlines {
    idle: Option<Duration>,
    frame: Duration,
    last_received: Instant,
    partial_since: Option<Instant>,
}

impl ReadDeadlines {
    pub(crate) fn new(idle: Option<Duration>, frame: Duration) -> Self {
        ReadDeadlines {
            idle,
            frame,
            last_received: tokio::time::Instant::now().into_std(),
            partial_since: None,
        }
    }

    /// The deadline of the next read and the close reason when it passes (`None`:
    /// wait as long as it takes).
    pub(crate) fn next(&self) -> Option<(Instant, CloseReason)> {
        match (self.partial_since, self.idle) {
            (Some(since), _) => Some((since + self.frame, CloseReason::Stalled(self.frame))),
            (None, Some(idle)) => Some((self.last_received + idle, CloseReason::Idle(idle))),
            (None, None) => None,
        }
    }

    /// Bytes arrived; `partial`: a package is still incomplete after them.
    pub(crate) fn received(&mut self, partial: bool) {
        let now = tokio::time::Instant::now().into_std();
        self.last_received = now;
        self.partial_since = match (partial, self.partial_since) {
            (false, _) => None,
            (true, Some(since)) => Some(since),
            (true, None) => Some(now),
        };
    }
}
