//! The client side: one [`Channel`] per remote node name (its session counter and its
//! current connection), and one [`Conn`] per TCP connection (pending calls by
//! session, a writer task, a reader task routing replies).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::node::NodeOptions;
use super::poll::{spin_until_readable, split_peeker};
use super::queue::OutQueue;
use crate::address::AddrRef;
use crate::error::{CallError, FrameError};
use crate::frame::{encode_request, encode_trace, take_frame, ResponseFrame};
use crate::reassembly::{Outcome, ResponseAssembler, ResponseEvent};
use crate::session::AtomicSessionCounter;

type Waiter = oneshot::Sender<Result<Bytes, CallError>>;

/// Why a connection closed; what its pending calls get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// Peer gone, bad response, address changed.
    Lost,
    /// The node was set down.
    Down,
    /// The local node shut down.
    Shutdown,
}

struct Pending {
    waiters: HashMap<u32, Waiter>,
    closed: Option<CloseReason>,
}

/// One TCP connection to a remote node.
pub(crate) struct Conn {
    node: Arc<str>,
    /// A second handle of the socket for busy-polling.
    peek: Option<std::net::TcpStream>,
    pub(crate) queue: OutQueue,
    pending: Mutex<Pending>,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the reader and writer tasks of a connected socket.
    fn start(
        node: Arc<str>,
        stream: TcpStream,
        peek: Option<std::net::TcpStream>,
        opts: &NodeOptions,
    ) -> Arc<Conn> {
        // Without TCP_NODELAY, a reply that ends in a small frame waits ~40 ms for the
        // peer's delayed ACK (Nagle): skynet's multi-part stall.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(node = %node, error = %e, "cannot set TCP_NODELAY");
        }
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string());
        let (rd, wr) = stream.into_split();
        let conn = Arc::new(Conn {
            node: node.clone(),
            peek,
            queue: OutQueue::new(opts.write_high_water),
            pending: Mutex::new(Pending {
                waiters: HashMap::new(),
                closed: None,
            }),
            tasks: Mutex::new(Vec::new()),
        });
        let span = tracing::debug_span!("cluster.channel", node = %node, peer = %peer);
        let c = conn.clone();
        let writer = tokio::spawn(
            async move {
                if let Err(e) = c.queue.write_loop(wr).await {
                    tracing::debug!(error = %e, "write failed");
                    c.close(CloseReason::Lost);
                }
            }
            .instrument(span.clone()),
        );
        let c = conn.clone();
        let limits = opts.limits;
        let reader = tokio::spawn(
            async move {
                let why = c.read_loop(rd, limits).await;
                tracing::debug!(reason = %why, "connection closed");
                c.close(CloseReason::Lost);
            }
            .instrument(span),
        );
        let mut tasks = conn.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.push(writer.abort_handle());
        tasks.push(reader.abort_handle());
        drop(tasks);
        conn
    }

    /// Reads replies until the connection fails; returns why.
    async fn read_loop(&self, mut rd: OwnedReadHalf, limits: crate::Limits) -> String {
        let mut buf = BytesMut::with_capacity(64 << 10);
        let mut asm = ResponseAssembler::new(limits);
        loop {
            if buf.capacity() - buf.len() < 8192 {
                buf.reserve(64 << 10);
            }
            match rd.read_buf(&mut buf).await {
                Ok(0) => return "closed by the peer".into(),
                Ok(_) => {}
                Err(e) => return format!("read error: {e}"),
            }
            while let Some(body) = take_frame(&mut buf) {
                let frame = match ResponseFrame::decode(body.freeze()) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(error = %e, "bad response frame: closing the connection");
                        return format!("bad response: {e}");
                    }
                };
                match asm.handle(frame, |s| self.is_waiting(s)) {
                    Ok(None) => {}
                    Ok(Some(ResponseEvent::Complete { session, outcome })) => {
                        let r = match outcome {
                            Outcome::Ok(payload) => Ok(payload),
                            Outcome::Error(text) => Err(CallError::Remote(
                                String::from_utf8_lossy(&text).into_owned(),
                            )),
                        };
                        self.complete(session, r);
                    }
                    Ok(Some(ResponseEvent::Failed { session, error })) => {
                        tracing::warn!(session, error = %error, "bad multi-part reply");
                        self.complete(session, Err(CallError::Frame(error)));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reply limits broken: closing the connection");
                        return format!("limit: {e}");
                    }
                }
            }
        }
    }

    fn is_waiting(&self, session: u32) -> bool {
        self.lock().waiters.contains_key(&session)
    }

    /// Hands a reply to its caller; a reply nobody waits for is logged and dropped.
    fn complete(&self, session: u32, r: Result<Bytes, CallError>) {
        let waiter = self.lock().waiters.remove(&session);
        match waiter {
            Some(w) => {
                let _ = w.send(r);
            }
            None => {
                tracing::debug!(session, node = %self.node, "reply for a session nobody waits for: ignored")
            }
        }
    }

    /// Registers a caller for `session`.
    fn register(
        &self,
        session: u32,
    ) -> Result<oneshot::Receiver<Result<Bytes, CallError>>, CloseReason> {
        let (tx, rx) = oneshot::channel();
        let mut p = self.lock();
        if let Some(why) = p.closed {
            return Err(why);
        }
        p.waiters.insert(session, tx);
        Ok(rx)
    }

    fn forget(&self, session: u32) {
        self.lock().waiters.remove(&session);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }

    /// Closes the connection: every pending call fails at once, the tasks stop.
    pub(crate) fn close(&self, why: CloseReason) {
        let waiters = {
            let mut p = self.lock();
            if p.closed.is_some() {
                return;
            }
            p.closed = Some(why);
            std::mem::take(&mut p.waiters)
        };
        self.queue.close();
        if let Some(p) = &self.peek {
            // The duplicate handle would keep the socket open.
            let _ = p.shutdown(std::net::Shutdown::Both);
        }
        for (_, w) in waiters {
            let _ = w.send(Err(error_for(why, &self.node)));
        }
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            t.abort();
        }
    }
}

fn error_for(why: CloseReason, node: &str) -> CallError {
    match why {
        CloseReason::Lost => CallError::ConnectionLost,
        CloseReason::Down => CallError::NodeDown(node.to_owned()),
        CloseReason::Shutdown => CallError::Shutdown,
    }
}

/// Removes a caller's pending entry when its future is dropped before the reply.
struct PendingGuard<'a> {
    conn: &'a Conn,
    session: u32,
    armed: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.conn.forget(self.session);
        }
    }
}

/// Where the node map says a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Up(String),
    Down,
    Absent,
}

/// Reconnect back-off after failed connects.
#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<Instant>,
    last: Option<(io::ErrorKind, String)>,
}

struct ChanState {
    target: Target,
    conn: Option<Arc<Conn>>,
    generation: u64,
    backoff: Backoff,
}

enum Check {
    Ready(Arc<Conn>),
    Fail(CallError),
    Connect { generation: u64, address: String },
}

/// The client of one remote node name.
pub(crate) struct Channel {
    name: Arc<str>,
    sessions: AtomicSessionCounter,
    state: Mutex<ChanState>,
    connecting: tokio::sync::Mutex<()>,
    opts: Arc<NodeOptions>,
}

impl Channel {
    pub(crate) fn new(name: &str, target: Target, opts: Arc<NodeOptions>) -> Self {
        Self {
            name: Arc::from(name),
            sessions: AtomicSessionCounter::starting_at(opts.first_session),
            state: Mutex::new(ChanState {
                target,
                conn: None,
                generation: 0,
                backoff: Backoff::default(),
            }),
            connecting: tokio::sync::Mutex::new(()),
            opts,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ChanState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Points the channel at a new target (reload). A changed address or a down node
    /// closes the current connection: its pending calls fail at once.
    pub(crate) fn retarget(&self, target: Target) {
        let old = {
            let mut st = self.lock();
            if st.target == target {
                return;
            }
            st.target = target.clone();
            st.generation += 1;
            st.backoff = Backoff::default();
            st.conn.take()
        };
        if let Some(c) = old {
            tracing::info!(node = %self.name, ?target, "node address changed: closing its connection");
            c.close(if target == Target::Down {
                CloseReason::Down
            } else {
                CloseReason::Lost
            });
        }
    }

    /// Closes the connection for good (node shutdown).
    pub(crate) fn shutdown(&self) {
        let old = {
            let mut st = self.lock();
            st.target = Target::Absent;
            st.generation += 1;
            st.conn.take()
        };
        if let Some(c) = old {
            c.close(CloseReason::Shutdown);
        }
    }

    fn check(&self) -> Check {
        let st = self.lock();
        let address = match &st.target {
            Target::Up(a) => a,
            Target::Down => return Check::Fail(CallError::NodeDown(self.name.to_string())),
            Target::Absent => return Check::Fail(CallError::UnknownNode(self.name.to_string())),
        };
        if let Some(c) = &st.conn {
            if !c.is_closed() {
                return Check::Ready(c.clone());
            }
        }
        if let (Some(until), Some((kind, msg))) = (st.backoff.until, &st.backoff.last) {
            let now = Instant::now();
            if now < until {
                return Check::Fail(CallError::Connect {
                    node: self.name.to_string(),
                    address: address.clone(),
                    source: io::Error::new(
                        *kind,
                        format!("{msg} (next attempt in {} ms)", (until - now).as_millis()),
                    ),
                });
            }
        }
        Check::Connect {
            generation: st.generation,
            address: address.clone(),
        }
    }

    /// The live connection, connecting when there is none (one attempt at a time;
    /// after a failure, calls fail at once until the back-off ends).
    pub(crate) async fn conn(&self) -> Result<Arc<Conn>, CallError> {
        if let Check::Ready(c) = self.check() {
            return Ok(c);
        }
        let _one_at_a_time = self.connecting.lock().await;
        loop {
            let (generation, address) = match self.check() {
                Check::Ready(c) => return Ok(c),
                Check::Fail(e) => return Err(e),
                Check::Connect {
                    generation,
                    address,
                } => (generation, address),
            };
            let r =
                match tokio::time::timeout(self.opts.connect_timeout, TcpStream::connect(&address))
                    .await
                {
                    Ok(r) => r.and_then(|s| split_peeker(s, self.opts.busy_poll)),
                    Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
                };
            let mut st = self.lock();
            if st.generation != generation {
                // Reloaded while connecting: the socket is for an old address.
                continue;
            }
            match r {
                Ok((stream, peek)) => {
                    tracing::debug!(node = %self.name, %address, "connected");
                    let conn = Conn::start(self.name.clone(), stream, peek, &self.opts);
                    st.conn = Some(conn.clone());
                    st.backoff = Backoff::default();
                    return Ok(conn);
                }
                Err(e) => {
                    let b = &mut st.backoff;
                    b.failures = b.failures.saturating_add(1);
                    let wait = self
                        .opts
                        .backoff_min
                        .saturating_mul(1 << b.failures.min(16).saturating_sub(1))
                        .min(self.opts.backoff_max);
                    b.until = Some(Instant::now() + wait);
                    b.last = Some((e.kind(), e.to_string()));
                    tracing::warn!(node = %self.name, %address, error = %e, retry_in_ms = wait.as_millis() as u64, "connect failed");
                    return Err(CallError::Connect {
                        node: self.name.to_string(),
                        address,
                        source: e,
                    });
                }
            }
        }
    }

    /// One call: consumes a session (even when it then fails locally, as the
    /// reference does), writes the request, waits for the reply.
    pub(crate) async fn call(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<Bytes, CallError> {
        check_sizes(payload, trace)?;
        let session = self.sessions.consume();
        let conn = self.conn().await?;
        let rx = conn
            .register(session)
            .map_err(|why| error_for(why, &self.name))?;
        let mut guard = PendingGuard {
            conn: &conn,
            session,
            armed: true,
        };
        let written = conn
            .queue
            .push(|buf| write_request(buf, address, session, false, payload, trace));
        match written {
            Err(_) => return Err(CallError::ConnectionLost),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(())) => {}
        }
        conn.queue.wait_space().await;
        if let Some(peek) = &conn.peek {
            // A lone caller keeps its thread awake until the reply's bytes arrive.
            if conn.lock().waiters.len() == 1 {
                spin_until_readable(peek, self.opts.busy_poll, || !conn.is_waiting(session)).await;
            }
        }
        let r = rx.await;
        guard.armed = false;
        match r {
            Ok(r) => r,
            Err(_) => Err(CallError::ConnectionLost),
        }
    }

    /// One push: session 0 when it fits a frame, else a consumed session; returns once
    /// queued.
    pub(crate) async fn send(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<(), CallError> {
        check_sizes(payload, trace)?;
        let session = self.sessions.next_for(true, payload.len());
        let conn = self.conn().await?;
        match conn
            .queue
            .push(|buf| write_request(buf, address, session, true, payload, trace))
        {
            Err(_) => return Err(CallError::ConnectionLost),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(())) => {}
        }
        conn.queue.wait_space().await;
        Ok(())
    }

    /// A delivery barrier: a name query (address 0) round trip on the current
    /// connection, after everything already queued on it. The remote reads a
    /// connection in order and dispatches each push before it reads the next frame,
    /// so its answer (found or not) means every earlier push was taken. No connection
    /// (nothing was ever sent) is `Ok`; a connection that closed is `ConnectionLost`:
    /// what was queued on it may be lost.
    pub(crate) async fn sync(&self) -> Result<(), CallError> {
        let Some(conn) = self.lock().conn.clone() else {
            return Ok(());
        };
        let session = self.sessions.consume();
        let rx = conn
            .register(session)
            .map_err(|why| error_for(why, &self.name))?;
        let mut guard = PendingGuard {
            conn: &conn,
            session,
            armed: true,
        };
        // `skynet.pack("")`: a name nobody registers.
        const EMPTY_NAME: &[u8] = &[0x04];
        match conn
            .queue
            .push(|buf| write_request(buf, AddrRef::Handle(0), session, false, EMPTY_NAME, None))
        {
            Err(_) => return Err(CallError::ConnectionLost),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(())) => {}
        }
        let r = rx.await;
        guard.armed = false;
        match r {
            Ok(Ok(_)) | Ok(Err(CallError::Remote(_))) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(CallError::ConnectionLost),
        }
    }

    /// Calls waiting for a reply on the current connection.
    pub(crate) fn pending_calls(&self) -> usize {
        let conn = self.lock().conn.clone();
        conn.map_or(0, |c| c.lock().waiters.len())
    }

    /// The session the next call would get.
    pub(crate) fn next_session(&self) -> u32 {
        self.sessions.peek()
    }
}

/// Checks what can fail before anything is written (so a trace frame is never left
/// without its request).
fn check_sizes(payload: &[u8], trace: Option<&[u8]>) -> Result<(), FrameError> {
    if u32::try_from(payload.len()).is_err() {
        return Err(FrameError::PayloadTooLarge(payload.len()));
    }
    if let Some(t) = trace {
        if t.len() > crate::frame::MAX_BODY - 1 {
            return Err(FrameError::TraceTooLong(t.len()));
        }
    }
    Ok(())
}

fn write_request(
    buf: &mut BytesMut,
    address: AddrRef<'_>,
    session: u32,
    push: bool,
    payload: &[u8],
    trace: Option<&[u8]>,
) -> Result<(), FrameError> {
    let start = buf.len();
    buf.reserve(
        crate::frame::encoded_request_len(address, payload.len())
            + trace.map_or(0, |t| t.len() + 3),
    );
    let r = (|| {
        if let Some(t) = trace {
            encode_trace(buf, t)?;
        }
        encode_request(buf, address, session, push, payload)
    })();
    if r.is_err() {
        buf.truncate(start);
    }
    r
}
