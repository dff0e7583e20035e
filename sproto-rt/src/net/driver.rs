//! The tasks of one connection: a reader that turns packages into answers for waiting
//! calls and requests for the handler, and a writer that sends what the connection
//! queued. The framing differs per transport (2-byte lengths on a byte stream, one
//! WebSocket message per package); everything else is shared here.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::peer::Shared;
use super::Peer;
use crate::gate::Event;
use crate::rpc::{CloseReason, Handler, Request};

/// Hands one package from the peer to the connection: answers go to their waiting
/// call, requests to the handler (waiting while `max_in_flight` are running). An
/// error closes the connection.
pub(crate) async fn on_package<H: Handler>(
    shared: &Arc<Shared>,
    handler: &Arc<H>,
    permits: &Arc<Semaphore>,
    package: &[u8],
) -> Result<(), CloseReason> {
    let event = {
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
            Ok(Some(request)) => request,
        }
    };
    let Event::Request {
        tag,
        session,
        ud,
        body,
    } = event
    else {
        return Ok(());
    };
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return Ok(());
    };
    let (shared, handler) = (shared.clone(), handler.clone());
    tokio::spawn(async move {
        let request = Request {
            tag,
            session,
            ud,
            body,
        };
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
        drop(permit);
    });
    Ok(())
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

/// Builds the peer handle, the handler and the permits of a new connection.
pub(crate) fn start<H: Handler>(
    shared: Arc<Shared>,
    factory: impl FnOnce(Peer) -> H,
) -> (Peer, Arc<H>, Arc<Semaphore>) {
    let peer = Peer {
        shared: shared.clone(),
    };
    let handler = Arc::new(factory(peer.clone()));
    let permits = Arc::new(Semaphore::new(shared.config.max_in_flight));
    (peer, handler, permits)
}
