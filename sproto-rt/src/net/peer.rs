//! [`Peer`]: the handle of one gate connection — call and push to the other side,
//! close, wait for the close — over the shared state the connection's tasks drive.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{oneshot, watch, Notify};

use super::Config;
use crate::gate::Connection;
use crate::rpc::{CallError, Caller, CloseReason, Payload};

type Waiter = oneshot::Sender<Result<Payload, CallError>>;

/// What the connection's tasks and every handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the writer task: packages were queued, or the connection is closing.
    pub(crate) writer_wake: Notify,
    /// Wakes senders waiting for the send queue to drain.
    pub(crate) space: Notify,
    closed: watch::Sender<Option<CloseReason>>,
    pub(crate) config: Config,
    peer_addr: Option<SocketAddr>,
}

pub(crate) struct State {
    pub(crate) conn: Connection,
    pub(crate) waiters: HashMap<i64, Waiter>,
    pub(crate) close: Option<CloseReason>,
}

impl Shared {
    pub(crate) fn new(config: Config, peer_addr: Option<SocketAddr>) -> Arc<Shared> {
        let conn = Connection::new(config.layout).with_max_pending(config.max_pending);
        Arc::new(Shared {
            state: Mutex::new(State {
                conn,
                waiters: HashMap::new(),
                close: None,
            }),
            writer_wake: Notify::new(),
            space: Notify::new(),
            closed: watch::channel(None).0,
            config,
            peer_addr,
        })
    }

    /// The state; a panic elsewhere while holding the lock cannot poison the
    /// connection for everyone else (the state stays consistent at each unlock).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection (the first reason wins): every waiting call fails, the
    /// writer flushes what is queued and shuts the stream down.
    pub(crate) fn close(&self, reason: CloseReason) {
        let waiters = {
            let mut st = self.lock();
            if st.close.is_some() {
                return;
            }
            st.close = Some(reason.clone());
            st.conn.close();
            std::mem::take(&mut st.waiters)
        };
        for (_, w) in waiters {
            let _ = w.send(Err(CallError::Closed(reason.clone())));
        }
        self.closed.send_replace(Some(reason));
        self.writer_wake.notify_one();
        self.space.notify_waiters();
    }

    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        self.lock().close.clone()
    }

    pub(crate) fn subscribe_closed(&self) -> watch::Receiver<Option<CloseReason>> {
        self.closed.subscribe()
    }

    /// Waits until the send queue is under the high water, then runs `queue` on the
    /// state (still locked) and wakes the writer.
    async fn queue<R>(
        &self,
        mut queue: impl FnMut(&mut State) -> Result<R, CallError>,
    ) -> Result<R, CallError> {
        loop {
            let space = self.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            {
                let mut st = self.lock();
                if let Some(reason) = &st.close {
                    return Err(CallError::Closed(reason.clone()));
                }
                if st.conn.queued_bytes() < self.config.write_high_water {
                    let r = queue(&mut st)?;
                    drop(st);
                    self.writer_wake.notify_one();
                    return Ok(r);
                }
            }
            space.await;
        }
    }

    /// Queues the answer to the peer's request `session`; dropped when the connection
    /// is closing (skynet's agent closes on `quit` without answering).
    pub(crate) async fn respond(&self, session: i64, body: Option<Vec<u8>>) {
        let r = self
            .queue(|st| {
                st.conn
                    .respond(session, body.as_deref(), None)
                    .map_err(|e| CallError::from_send(e, || CloseReason::Local))
            })
            .await;
        if let Err(e) = r {
            tracing::debug!(session, error = %e, "answer not sent");
        }
    }
}

/// Removes a call's waiter and session when the call is dropped or times out.
struct CancelOnDrop<'a> {
    shared: &'a Shared,
    session: Option<i64>,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.session {
            let mut st = self.shared.lock();
            st.conn.cancel(s);
            st.waiters.remove(&s);
        }
    }
}

/// One gate connection, seen from either side: send requests to the peer, close.
///
/// Cloning gives another handle to the same connection. The peer's requests go to the
/// connection's [`Handler`](crate::rpc::Handler); `Peer` implements
/// [`Caller`], so a generated `…Client` stub sends through it.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use sproto_rt::net::{connect_tcp, Config};
/// use sproto_rt::rpc::Caller;
///
/// let peer = connect_tcp("127.0.0.1:8888", Config::default(), |_| ()).await?;
/// let answer = peer.call(1, Vec::new()).await; // protocol tag 1, no request message
/// # let _ = answer; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Peer {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("peer_addr", &self.shared.peer_addr)
            .field("closed", &self.shared.close_reason())
            .finish()
    }
}

impl Peer {
    /// The other side's address, when the transport has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.shared.peer_addr
    }

    /// Sends request `tag` with the encoded message `body` and waits for the answer
    /// (the encoded response message), at most the configured call timeout.
    pub async fn call_raw(&self, tag: u16, body: &[u8]) -> Result<Payload, CallError> {
        let (tx, rx) = oneshot::channel();
        let mut tx = Some(tx);
        let session = self
            .shared
            .queue(|st| {
                let s = st
                    .conn
                    .request(tag, body, true)
                    .map_err(|e| CallError::from_send(e, || CloseReason::Local))?;
                if let (Some(s), Some(tx)) = (s, tx.take()) {
                    st.waiters.insert(s, tx);
                }
                Ok(s)
            })
            .await?;
        let mut guard = CancelOnDrop {
            shared: &self.shared,
            session,
        };
        let answer = match self.shared.config.call_timeout {
            Some(d) => match tokio::time::timeout(d, rx).await {
                Ok(a) => a,
                Err(_) => return Err(CallError::Timeout(d)),
            },
            None => rx.await,
        };
        guard.session = None;
        match answer {
            Ok(a) => a,
            Err(_) => Err(CallError::Closed(
                self.shared.close_reason().unwrap_or(CloseReason::Local),
            )),
        }
    }

    /// Sends request `tag` without a session: nothing answers it.
    pub async fn push_raw(&self, tag: u16, body: &[u8]) -> Result<(), CallError> {
        self.shared
            .queue(|st| {
                st.conn
                    .request(tag, body, false)
                    .map(|_| ())
                    .map_err(|e| CallError::from_send(e, || CloseReason::Local))
            })
            .await
    }

    /// Closes the connection: what is already queued is still sent, then the stream is
    /// shut down; waiting calls fail with [`CallError::Closed`].
    pub fn close(&self) {
        self.shared.close(CloseReason::Local);
    }

    /// Whether the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.shared.close_reason().is_some()
    }

    /// Waits until the connection closes, and tells why.
    pub async fn closed(&self) -> CloseReason {
        let mut rx = self.shared.subscribe_closed();
        loop {
            if let Some(r) = rx.borrow_and_update().clone() {
                return r;
            }
            if rx.changed().await.is_err() {
                return CloseReason::Local;
            }
        }
    }

    /// Calls waiting for an answer.
    pub fn pending_calls(&self) -> usize {
        self.shared.lock().conn.pending()
    }
}

impl Caller for Peer {
    async fn call(&self, tag: u16, body: Vec<u8>) -> Result<Payload, CallError> {
        self.call_raw(tag, &body).await
    }

    async fn push(&self, tag: u16, body: Vec<u8>) -> Result<(), CallError> {
        self.push_raw(tag, &body).await
    }
}
