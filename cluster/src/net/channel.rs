//! The client side's I/O: one [`Channel`] per remote node name (connecting, one
//! attempt at a time, as its [`NodeLink`] says), and one [`Conn`] per TCP connection
//! (a writer task, a reader task feeding its [`ClientConn`], the callers' oneshot
//! senders as the core's waiters, and a sweeper task failing the calls whose
//! deadline passed: one timer per connection, not one per call).

use std::collections::VecDeque;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify};
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::options::NodeOptions;
use super::poll::{spin_until_readable, split_peeker};
use super::queue::OutQueue;
use crate::address::AddrRef;
use crate::error::CallError;
use crate::proto::{sync_outcome, Backoff, Check, ClientConn, CloseReason, NodeLink, Target};
use crate::telemetry::ChannelMetrics;

/// A waiting call: where its reply goes, and which call it is (a session number
/// comes round again after 2^31 calls).
pub(crate) struct Waiter {
    tx: oneshot::Sender<Result<Bytes, CallError>>,
    id: u64,
}

impl Waiter {
    fn send(self, r: Result<Bytes, CallError>) {
        let _ = self.tx.send(r);
    }
}

/// When a call gives up: its deadline (tokio's clock), and when it was sent (for
/// [`DEAD_AFTER_SILENCE`]).
struct Deadline {
    at: tokio::time::Instant,
    sent: Instant,
    session: u32,
    id: u64,
}

/// A connection's state under its lock: the sans-IO core, and the deadlines of its
/// calls, earliest first.
pub(crate) struct Core {
    conn: ClientConn<Waiter>,
    /// Entries of calls that ended are dropped when they reach the front, or all at
    /// once when they outnumber the waiting calls: at most twice the calls waiting
    /// (plus a constant) are kept.
    deadlines: VecDeque<Deadline>,
    /// Until when the sweeper sleeps (`None`: until told).
    sweep_at: Option<tokio::time::Instant>,
    next_id: u64,
}

impl Deref for Core {
    type Target = ClientConn<Waiter>;

    fn deref(&self) -> &ClientConn<Waiter> {
        &self.conn
    }
}

impl DerefMut for Core {
    fn deref_mut(&mut self) -> &mut ClientConn<Waiter> {
        &mut self.conn
    }
}

impl Core {
    /// Whether the call of this deadline still waits.
    fn is_live(&self, d: &Deadline) -> bool {
        self.conn.waiter(d.session).is_some_and(|w| w.id == d.id)
    }

    /// A number for the next call.
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Adds a call's deadline; `true` when the sweeper must look again (it comes
    /// before the one it sleeps until).
    fn add_deadline(&mut self, d: Deadline) -> bool {
        while self.deadlines.front().is_some_and(|f| !self.is_live(f)) {
            self.deadlines.pop_front();
        }
        if self.deadlines.len() > 2 * self.conn.pending() + 64 {
            let mut deadlines = std::mem::take(&mut self.deadlines);
            deadlines.retain(|e| self.is_live(e));
            self.deadlines = deadlines;
        }
        let at = d.at;
        match self.deadlines.back() {
            // Another timeout than the calls before: kept in order.
            Some(last) if last.at > at => {
                let i = self.deadlines.partition_point(|e| e.at <= at);
                self.deadlines.insert(i, d);
            }
            _ => self.deadlines.push_back(d),
        }
        let wake = self.sweep_at.map_or(true, |s| at < s);
        if wake {
            self.sweep_at = Some(at);
        }
        wake
    }

    /// Takes the calls whose deadline passed at `now` (with when each was sent);
    /// returns when to look next.
    fn expire(
        &mut self,
        now: tokio::time::Instant,
        expired: &mut Vec<(Waiter, Instant)>,
    ) -> Option<tokio::time::Instant> {
        while let Some(f) = self.deadlines.front() {
            if !self.is_live(f) {
                self.deadlines.pop_front();
                continue;
            }
            if f.at > now {
                break;
            }
            let (session, sent) = (f.session, f.sent);
            self.deadlines.pop_front();
            if let Some(w) = self.conn.forget(session) {
                expired.push((w, sent));
            }
        }
        self.sweep_at = self.deadlines.front().map(|f| f.at);
        self.sweep_at
    }
}

/// One TCP connection to a remote node.
pub(crate) struct Conn {
    /// A second handle of the socket for busy-polling.
    peek: Option<std::net::TcpStream>,
    /// When the connection started, and (in ns after it) when bytes last arrived.
    born: Instant,
    last_rx_ns: AtomicU64,
    pub(crate) queue: OutQueue,
    core: Mutex<Core>,
    /// Tells the sweeper to look again (a deadline earlier than its own came).
    sweep: Notify,
    tasks: Mutex<Vec<AbortHandle>>,
    metrics: ChannelMetrics,
}

impl Conn {
    fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the reader and writer tasks of a connected socket.
    fn start(
        node: Arc<str>,
        stream: TcpStream,
        peek: Option<std::net::TcpStream>,
        opts: &NodeOptions,
        metrics: &ChannelMetrics,
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
        let span = tracing::debug_span!("cluster.channel", node = %node, peer = %peer);
        let conn = Arc::new(Conn {
            peek,
            born: Instant::now(),
            last_rx_ns: AtomicU64::new(0),
            queue: OutQueue::new(opts.write_high_water, metrics.queue()),
            core: Mutex::new(Core {
                conn: ClientConn::new(node, opts.limits),
                deadlines: VecDeque::new(),
                sweep_at: None,
                next_id: 0,
            }),
            sweep: Notify::new(),
            tasks: Mutex::new(Vec::new()),
            metrics: metrics.clone(),
        });
        metrics.connected();
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
        let reader = tokio::spawn(
            async move {
                let why = c.read_loop(rd).await;
                tracing::debug!(reason = %why, "connection closed");
                c.close(CloseReason::Lost);
            }
            .instrument(span.clone()),
        );
        let c = conn.clone();
        let sweeper = tokio::spawn(async move { c.sweep_loop().await }.instrument(span));
        let mut tasks = conn.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.push(writer.abort_handle());
        tasks.push(reader.abort_handle());
        tasks.push(sweeper.abort_handle());
        drop(tasks);
        conn
    }

    /// Reads replies into the core until the connection fails; returns why.
    async fn read_loop(&self, mut rd: OwnedReadHalf) -> String {
        let mut buf = BytesMut::with_capacity(64 << 10);
        loop {
            if buf.capacity() - buf.len() < 8192 {
                buf.reserve(64 << 10);
            }
            match rd.read_buf(&mut buf).await {
                Ok(0) => return "closed by the peer".into(),
                Ok(n) => {
                    self.metrics.received(n);
                    self.mark_input();
                }
                Err(e) => return format!("read error: {e}"),
            }
            let mut core = self.core();
            loop {
                match core.poll_input(&mut buf) {
                    Ok(Some(reply)) => reply.waiter.send(reply.result),
                    Ok(None) => break,
                    Err(why) => return why.to_string(),
                }
            }
        }
    }

    /// Fails the calls whose deadline passed, with [`CallError::Timeout`], until the
    /// connection closes (its task is aborted then).
    async fn sweep_loop(&self) {
        let timer = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(timer);
        let mut expired = Vec::new();
        loop {
            let next = self
                .core()
                .expire(tokio::time::Instant::now(), &mut expired);
            // A dead connection is closed before its timed-out callers hear of it, so
            // that their next call does not pick it.
            let dead = expired.iter().any(|(_, sent)| self.given_up_on_dead(*sent));
            if dead {
                self.close(CloseReason::Lost);
            }
            for (w, _) in expired.drain(..) {
                w.send(Err(CallError::Timeout));
            }
            if dead {
                return;
            }
            match next {
                Some(at) => {
                    timer.as_mut().reset(at);
                    tokio::select! {
                        _ = &mut timer => {}
                        _ = self.sweep.notified() => {}
                    }
                }
                None => self.sweep.notified().await,
            }
        }
    }

    /// A call sent at `sent` was given up on: `true` when that shows the connection
    /// dead (see [`DEAD_AFTER_SILENCE`]).
    fn given_up_on_dead(&self, sent: Instant) -> bool {
        if sent.elapsed() >= DEAD_AFTER_SILENCE && self.silent_since(sent) {
            tracing::warn!(
                silent_ms = sent.elapsed().as_millis() as u64,
                "nothing arrived on the connection while a call waited: closing it as dead"
            );
            return true;
        }
        false
    }

    fn mark_input(&self) {
        let ns = u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_rx_ns.store(ns, Ordering::Relaxed);
    }

    /// Whether nothing arrived on the connection since `t` (at `t` = the connection's
    /// birth: nothing at all).
    fn silent_since(&self, t: Instant) -> bool {
        let last = self.born + Duration::from_nanos(self.last_rx_ns.load(Ordering::Relaxed));
        last <= t
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.core().is_closed()
    }

    /// Closes the connection: every pending call fails at once, the tasks stop.
    pub(crate) fn close(&self, why: CloseReason) {
        let Some(waiters) = self.core().close(why) else {
            return;
        };
        self.metrics.disconnected();
        self.queue.close();
        if let Some(p) = &self.peek {
            // The duplicate handle would keep the socket open.
            let _ = p.shutdown(std::net::Shutdown::Both);
        }
        for (w, e) in waiters {
            w.send(Err(e));
        }
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            t.abort();
        }
    }

    /// Writes a request through the core into the queue; registers `waiter` for a
    /// call.
    /// Appends what `write` writes to the out-queue; `Ok(false)` when the queue is
    /// then over its high water (the caller waits for space).
    fn write(
        &self,
        write: impl FnOnce(&mut Core, &mut BytesMut) -> Result<(), CallError>,
    ) -> Result<bool, CallError> {
        // A lone caller writes its request itself; among many, the writer task sends
        // what they queue together.
        let push = |buf: &mut BytesMut| {
            let mut core = self.core();
            let r = write(&mut core, buf);
            let lone = core.pending() <= 1;
            (r, lone)
        };
        match self.queue.push(push) {
            Ok((r, space)) => r.map(|()| space),
            Err(_) => Err(self.core().closed_error()),
        }
    }
}

/// Removes a caller's pending entry when its future is dropped before the reply.
struct PendingGuard<'a> {
    conn: &'a Conn,
    session: u32,
    armed: bool,
    /// When the request was queued.
    sent: Instant,
}

/// A call given up on (timed out, cancelled) after this long, on a connection where
/// nothing at all arrived since the call was sent, marks the connection dead. skynet
/// has no keep-alive, and a link that drops packets without a reset (a cut cable, a
/// black-holing firewall) would otherwise hold the connection — and every later call
/// — until TCP's retransmissions give up, minutes later. Closing it makes the next
/// call reconnect, within the reconnect back-off.
pub(crate) const DEAD_AFTER_SILENCE: Duration = Duration::from_secs(1);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.conn.core().forget(self.session);
            if self.conn.given_up_on_dead(self.sent) {
                self.conn.close(CloseReason::Lost);
            }
        }
    }
}

/// `fut`, or [`CallError::Timeout`] at `deadline`.
async fn until<T>(
    deadline: Option<tokio::time::Instant>,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, CallError> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, fut)
            .await
            .map_err(|_| CallError::Timeout),
        None => Ok(fut.await),
    }
}

/// How a call of [`Channel::try_call`] failed.
#[derive(Debug)]
pub(crate) enum Failed {
    /// Before its request was written: it did not reach the node.
    NotSent(CallError),
    /// After: it may have run there.
    Sent(CallError),
}

impl Failed {
    pub(crate) fn error(self) -> CallError {
        match self {
            Failed::NotSent(e) | Failed::Sent(e) => e,
        }
    }
}

struct ChanState {
    link: NodeLink,
    conn: Option<Arc<Conn>>,
}

enum Ready {
    Conn(Arc<Conn>),
    Fail(CallError),
    Connect { generation: u64, address: String },
}

/// The client of one remote node name.
pub(crate) struct Channel {
    name: Arc<str>,
    state: Mutex<ChanState>,
    connecting: tokio::sync::Mutex<()>,
    opts: Arc<NodeOptions>,
    metrics: ChannelMetrics,
}

impl Channel {
    pub(crate) fn new(name: &str, target: Target, opts: Arc<NodeOptions>) -> Self {
        let backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
        Self {
            name: Arc::from(name),
            state: Mutex::new(ChanState {
                link: NodeLink::new(name, target, opts.first_session, backoff),
                conn: None,
            }),
            connecting: tokio::sync::Mutex::new(()),
            metrics: ChannelMetrics::new(name, opts.metrics),
            opts,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ChanState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Points the channel at a new target (reload). A changed address or a down node
    /// closes the current connection: its pending calls fail at once.
    pub(crate) fn retarget(&self, target: Target) {
        let (old, why) = {
            let mut st = self.lock();
            let Some(why) = st.link.retarget(target.clone()) else {
                return;
            };
            (st.conn.take(), why)
        };
        if let Some(c) = old {
            tracing::info!(node = %self.name, ?target, "node address changed: closing its connection");
            c.close(why);
        }
    }

    /// Closes the connection for good (node shutdown).
    pub(crate) fn shutdown(&self) {
        let (old, why) = {
            let mut st = self.lock();
            let why = st.link.shutdown();
            (st.conn.take(), why)
        };
        if let Some(c) = old {
            c.close(why);
        }
    }

    fn check(&self) -> Ready {
        Self::check_locked(&mut self.lock())
    }

    /// [`check`](Self::check) under a lock already held.
    fn check_locked(st: &mut ChanState) -> Ready {
        let open = st.conn.as_ref().filter(|c| !c.is_closed());
        if let (Some(c), Target::Up(_)) = (open, st.link.target()) {
            // What `NodeLink::check` says of an open connection, without reading the
            // clock (only the back-off needs it).
            return Ready::Conn(c.clone());
        }
        match st.link.check(Instant::now(), open.is_some()) {
            Check::Ready => match open {
                Some(c) => Ready::Conn(c.clone()),
                None => Ready::Fail(CallError::ConnectionLost),
            },
            Check::Fail(e) => Ready::Fail(e),
            Check::Connect {
                generation,
                address,
            } => Ready::Connect {
                generation,
                address,
            },
        }
    }

    /// The live connection, connecting when there is none (one attempt at a time;
    /// after a failure, calls fail at once until the back-off ends).
    pub(crate) async fn conn(&self) -> Result<Arc<Conn>, CallError> {
        if let Ready::Conn(c) = self.check() {
            return Ok(c);
        }
        let _one_at_a_time = self.connecting.lock().await;
        loop {
            let (generation, address) = match self.check() {
                Ready::Conn(c) => return Ok(c),
                Ready::Fail(e) => return Err(e),
                Ready::Connect {
                    generation,
                    address,
                } => (generation, address),
            };
            let r = match tokio::time::timeout(
                self.opts.connect_timeout,
                super::auth::connect(&address, &self.opts, &self.name),
            )
            .await
            {
                Ok(r) => r.and_then(|s| split_peeker(s, self.opts.busy_poll)),
                Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
            };
            let mut st = self.lock();
            match r {
                Ok((stream, peek)) => {
                    if !st.link.connected(generation) {
                        // Reloaded while connecting: the socket is for an old address.
                        continue;
                    }
                    tracing::debug!(node = %self.name, %address, "connected");
                    let conn =
                        Conn::start(self.name.clone(), stream, peek, &self.opts, &self.metrics);
                    st.conn = Some(conn.clone());
                    return Ok(conn);
                }
                Err(e) => match st.link.connect_failed(generation, Instant::now(), e) {
                    Some(err) => {
                        self.metrics.connect_failed();
                        return Err(err);
                    }
                    None => continue,
                },
            }
        }
    }

    /// One call: consumes a session (even when it then fails locally, as the
    /// reference does), writes the request, waits for the reply; gives up with
    /// [`CallError::Timeout`] at `deadline` (connecting included).
    pub(crate) async fn call(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
        sent: Instant,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Bytes, CallError> {
        self.try_call(address, payload, trace, sent, deadline)
            .await
            .map_err(Failed::error)
    }

    /// [`call`](Self::call), telling whether the request was written when it fails
    /// (a node group sends a call that was not to another member). `sent` is the
    /// caller's clock reading at the start of the call (one read per call).
    pub(crate) async fn try_call(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
        sent: Instant,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Bytes, Failed> {
        // The session and the connection under one lock of the channel.
        let (session, ready) = {
            let mut st = self.lock();
            let session = st
                .link
                .begin_call(payload, trace)
                .map_err(Failed::NotSent)?;
            (session, Self::check_locked(&mut st))
        };
        let conn = match ready {
            Ready::Conn(c) => c,
            // Connecting (or failing): the rare path, under its own timer.
            _ => until(deadline, self.conn())
                .await
                .and_then(|r| r)
                .map_err(Failed::NotSent)?,
        };
        // Sent on this connection no earlier than it opened (a call that connected
        // first must not count the connect as the connection's silence).
        let sent = sent.max(conn.born);
        let (tx, rx) = oneshot::channel();
        let mut guard = PendingGuard {
            conn: &conn,
            session,
            armed: true,
            sent,
        };
        let mut wake_sweeper = false;
        let space = conn
            .write(|core, buf| {
                let id = core.next_id();
                core.call(buf, address, session, payload, trace, Waiter { tx, id })?;
                if let Some(at) = deadline {
                    wake_sweeper = core.add_deadline(Deadline {
                        at,
                        sent,
                        session,
                        id,
                    });
                }
                Ok(())
            })
            .map_err(Failed::NotSent)?;
        if wake_sweeper {
            conn.sweep.notify_one();
        }
        if !space {
            until(deadline, conn.queue.wait_space())
                .await
                .map_err(Failed::Sent)?;
        }
        if let Some(peek) = &conn.peek {
            // A lone caller keeps its thread awake until the reply's bytes arrive.
            if conn.core().pending() == 1 {
                spin_until_readable(peek, self.opts.busy_poll, || {
                    !conn.core().is_waiting(session)
                })
                .await;
            }
        }
        let r = rx.await;
        guard.armed = false;
        r.unwrap_or(Err(CallError::ConnectionLost))
            .map_err(Failed::Sent)
    }

    /// One push: session 0 when it fits a frame, else a consumed session; returns once
    /// queued.
    pub(crate) async fn send(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<(), CallError> {
        self.try_send(address, payload, trace)
            .await
            .map_err(Failed::error)
    }

    /// [`send`](Self::send), telling whether the push was queued when it fails.
    pub(crate) async fn try_send(
        &self,
        address: AddrRef<'_>,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<(), Failed> {
        let session = self
            .lock()
            .link
            .begin_push(payload, trace)
            .map_err(Failed::NotSent)?;
        let conn = self.conn().await.map_err(Failed::NotSent)?;
        let space = conn
            .write(|core, buf| core.push(buf, address, session, payload, trace))
            .map_err(Failed::NotSent)?;
        if !space {
            conn.queue.wait_space().await;
        }
        Ok(())
    }

    /// A delivery barrier ([`ClientConn::sync`]) on the current connection, after
    /// everything already queued on it. No connection (nothing was ever sent) is
    /// `Ok`; a connection that closed is `ConnectionLost`: what was queued on it may
    /// be lost.
    pub(crate) async fn sync(&self) -> Result<(), CallError> {
        let (conn, session) = {
            let mut st = self.lock();
            let Some(conn) = st.conn.clone() else {
                return Ok(());
            };
            (conn, st.link.begin_sync())
        };
        let (tx, rx) = oneshot::channel();
        let mut guard = PendingGuard {
            conn: &conn,
            session,
            armed: true,
            sent: Instant::now(),
        };
        conn.write(|core, buf| {
            let id = core.next_id();
            core.sync(buf, session, Waiter { tx, id })
        })?;
        let r = rx.await;
        guard.armed = false;
        sync_outcome(r.unwrap_or(Err(CallError::ConnectionLost)))
    }

    /// Where the node map says this channel's node is.
    pub(crate) fn target(&self) -> Target {
        self.lock().link.target().clone()
    }

    /// While the current connection has more queued than its high water (calls wait
    /// for it to drain), a future that waits until it has not.
    #[cfg(feature = "tower")]
    pub(crate) fn congestion(
        &self,
    ) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let conn = self
            .lock()
            .conn
            .as_ref()
            .filter(|c| c.queue.is_congested())
            .cloned()?;
        Some(async move { conn.queue.wait_space().await })
    }

    /// Calls waiting for a reply on the current connection.
    pub(crate) fn pending_calls(&self) -> usize {
        let conn = self.lock().conn.clone();
        conn.map_or(0, |c| c.core().pending())
    }

    /// The session the next call would get.
    pub(crate) fn next_session(&self) -> u32 {
        self.lock().link.next_session()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Core {
        Core {
            conn: ClientConn::new("n", crate::reassembly::Limits::default()),
            deadlines: VecDeque::new(),
            sweep_at: None,
            next_id: 0,
        }
    }

    /// Registers call `session` with a deadline `secs` from `base`.
    fn call(c: &mut Core, session: u32, base: tokio::time::Instant, secs: u64) {
        let (tx, _rx) = oneshot::channel();
        let id = c.next_id();
        let mut buf = BytesMut::new();
        c.call(
            &mut buf,
            AddrRef::Handle(1),
            session,
            b"x",
            None,
            Waiter { tx, id },
        )
        .expect("a small request");
        c.add_deadline(Deadline {
            at: base + Duration::from_secs(secs),
            sent: Instant::now(),
            session,
            id,
        });
    }

    /// The bound the deadline queue keeps: entries of ended calls linger behind a
    /// live one at the front, but a new deadline finds at most twice the waiting
    /// calls plus 64 before it.
    #[test]
    fn ended_calls_do_not_pile_up_in_the_deadline_queue() {
        let base = tokio::time::Instant::now();
        let mut c = core();
        // One call that never ends holds the front of the queue.
        call(&mut c, 1, base, 10);
        for session in 2..20_000u32 {
            call(&mut c, session, base, 30);
            // Checked when a deadline is added: at most 2 × waiting + 64 before it.
            assert!(
                c.deadlines.len() <= 2 * c.pending() + 64 + 1,
                "{} deadlines for {} waiting calls",
                c.deadlines.len(),
                c.pending()
            );
            c.forget(session);
        }
        assert_eq!(c.pending(), 1);
        // The live call still times out, and nothing else does.
        let mut expired = Vec::new();
        let next = c.expire(base + Duration::from_secs(11), &mut expired);
        assert_eq!(expired.len(), 1);
        assert_eq!(next, None);
        assert!(c.deadlines.is_empty());
    }

    /// Deadlines of different timeouts are kept in order: the earlier one expires
    /// first even when it was added last.
    #[test]
    fn deadlines_expire_in_time_order() {
        let base = tokio::time::Instant::now();
        let mut c = core();
        call(&mut c, 1, base, 30);
        call(&mut c, 2, base, 5);
        let mut expired = Vec::new();
        let next = c.expire(base + Duration::from_secs(6), &mut expired);
        assert_eq!(expired.len(), 1);
        assert_eq!(c.pending(), 1);
        assert!(c.waiter(1).is_some());
        assert_eq!(next, Some(base + Duration::from_secs(30)));
    }
}
