//! The calling side: [`NodeLink`] (one remote node name: its session numbering, where
//! the node map says it is, which connect attempt is current, the reconnect back-off)
//! and [`ClientConn`] (one connection: the calls waiting by session, requests out,
//! replies in and routed to their callers, close reasons turned into errors).

use std::io;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::backoff::Backoff;
use crate::address::AddrRef;
use crate::error::{CallError, FrameError};
use crate::fast_hash::FastMap;
use crate::frame::{
    check_request, encode_request, encode_trace, encoded_request_len, take_frame, ResponseFrame,
};
use crate::reassembly::{Limits, Outcome, ResponseAssembler, ResponseEvent};
use crate::session::SessionCounter;

/// Where the node map says a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// At this `host:port`.
    Up(String),
    /// Configured as down (`false`).
    Down,
    /// Not in the node map.
    Absent,
}

/// Why a connection closed: what its pending calls fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer went away, sent a bad response, or the node's address changed:
    /// [`CallError::ConnectionLost`].
    Lost,
    /// The node was set down: [`CallError::NodeDown`].
    Down,
    /// The local node shut down: [`CallError::Shutdown`].
    Shutdown,
}

impl CloseReason {
    /// The error a call on a connection closed for this reason gets.
    pub fn error(self, node: &str) -> CallError {
        match self {
            CloseReason::Lost => CallError::ConnectionLost,
            CloseReason::Down => CallError::NodeDown(node.to_owned()),
            CloseReason::Shutdown => CallError::Shutdown,
        }
    }
}

/// What a call needs to do before it can write ([`NodeLink::check`]).
#[derive(Debug)]
pub enum Check {
    /// Use the open connection.
    Ready,
    /// Fail at once (node down or absent, or within the back-off after a failed
    /// connect).
    Fail(CallError),
    /// Connect to `address`; report the outcome with this `generation`
    /// ([`NodeLink::connected`], [`NodeLink::connect_failed`]).
    Connect {
        /// Which target the attempt is for (a reload makes it stale).
        generation: u64,
        /// Where to connect.
        address: String,
    },
}

/// The calling side of one remote node name, across its connections: the session
/// counter (not reset on reconnect), the node map's target, the generation of the
/// target (a reload while connecting makes the attempt stale), and the back-off
/// after failed connects (calls within it fail at once).
///
/// ```
/// use std::time::{Duration, Instant};
/// use skynet_cluster::proto::{Backoff, Check, NodeLink, Target};
///
/// let t0 = Instant::now();
/// let mut link = NodeLink::new("db", Target::Up("10.0.0.1:2528".into()), 1, Backoff::default());
/// assert_eq!(link.begin_call(b"\x04", None)?, 1);
/// let Check::Connect { generation, .. } = link.check(t0, false) else { panic!() };
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// link.connect_failed(generation, t0, refused);
/// // Within the 50 ms back-off, calls fail at once (their sessions are consumed).
/// assert_eq!(link.begin_call(b"\x04", None)?, 2);
/// assert!(matches!(link.check(t0 + Duration::from_millis(10), false), Check::Fail(_)));
/// assert!(matches!(link.check(t0 + Duration::from_millis(50), false), Check::Connect { .. }));
/// # Ok::<(), skynet_cluster::CallError>(())
/// ```
#[derive(Debug)]
pub struct NodeLink {
    name: Arc<str>,
    sessions: SessionCounter,
    target: Target,
    generation: u64,
    backoff: Backoff,
    /// The last connect error, repeated to calls during the back-off.
    last_error: Option<(io::ErrorKind, String)>,
}

impl NodeLink {
    /// The link of node `name`, at `target`, whose first session is `first_session`
    /// (1 unless testing the wrap-around).
    pub fn new(name: &str, target: Target, first_session: u32, backoff: Backoff) -> Self {
        Self {
            name: Arc::from(name),
            sessions: SessionCounter::starting_at(first_session),
            target,
            generation: 0,
            backoff,
            last_error: None,
        }
    }

    /// The node name.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The target in force.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The session the next call would get.
    pub fn next_session(&self) -> u32 {
        self.sessions.peek()
    }

    /// Starts a call: checks what can fail before anything is written, then consumes
    /// a session (even when the call then fails locally, as the reference does).
    ///
    /// # Errors
    ///
    /// [`CallError::Frame`] for a payload over 4 GiB or a trace tag over one frame.
    pub fn begin_call(&mut self, payload: &[u8], trace: Option<&[u8]>) -> Result<u32, CallError> {
        check_request(payload.len(), trace)?;
        Ok(self.sessions.consume())
    }

    /// Starts a push: session 0 when it fits one frame (nothing consumed), else a
    /// consumed session.
    ///
    /// # Errors
    ///
    /// As [`begin_call`](Self::begin_call).
    pub fn begin_push(&mut self, payload: &[u8], trace: Option<&[u8]>) -> Result<u32, CallError> {
        check_request(payload.len(), trace)?;
        Ok(self.sessions.next_for(true, payload.len()))
    }

    /// Starts a delivery barrier ([`ClientConn::sync`]): consumes a session.
    pub fn begin_sync(&mut self) -> u32 {
        self.sessions.consume()
    }

    /// What a call does at `now`, given whether the current connection is open.
    pub fn check(&self, now: Instant, connected: bool) -> Check {
        let address = match &self.target {
            Target::Up(a) => a,
            Target::Down => return Check::Fail(CallError::NodeDown(self.name.to_string())),
            Target::Absent => return Check::Fail(CallError::UnknownNode(self.name.to_string())),
        };
        if connected {
            return Check::Ready;
        }
        if let (Some(left), Some((kind, msg))) = (self.backoff.remaining(now), &self.last_error) {
            return Check::Fail(CallError::Connect {
                node: self.name.to_string(),
                address: address.clone(),
                source: io::Error::new(
                    *kind,
                    format!("{msg} (next attempt in {} ms)", left.as_millis()),
                ),
            });
        }
        Check::Connect {
            generation: self.generation,
            address: address.clone(),
        }
    }

    /// Points the link at a new target (a reload). `None` when nothing changed; else
    /// the current connection (if any) must close with the returned reason: its
    /// pending calls fail at once ([`CloseReason::Down`] for a node set down,
    /// [`CloseReason::Lost`] for a changed or removed address). The back-off starts
    /// over; the sessions continue.
    pub fn retarget(&mut self, target: Target) -> Option<CloseReason> {
        if self.target == target {
            return None;
        }
        let why = if target == Target::Down {
            CloseReason::Down
        } else {
            CloseReason::Lost
        };
        self.target = target;
        self.generation += 1;
        self.backoff.reset();
        self.last_error = None;
        Some(why)
    }

    /// The local node shuts down: the connection closes for good, later calls fail.
    pub fn shutdown(&mut self) -> CloseReason {
        self.target = Target::Absent;
        self.generation += 1;
        CloseReason::Shutdown
    }

    /// A connect attempt of `generation` succeeded. `false` when it is stale (the
    /// target changed meanwhile): drop the connection and check again.
    pub fn connected(&mut self, generation: u64) -> bool {
        if generation != self.generation {
            return false;
        }
        self.backoff.reset();
        self.last_error = None;
        true
    }

    /// A connect attempt of `generation` failed at `now`: starts or lengthens the
    /// back-off and returns the caller's error; `None` when the attempt is stale
    /// (check again).
    pub fn connect_failed(
        &mut self,
        generation: u64,
        now: Instant,
        error: io::Error,
    ) -> Option<CallError> {
        if generation != self.generation {
            return None;
        }
        let Target::Up(address) = &self.target else {
            return None;
        };
        let wait = self.backoff.failed(now);
        self.last_error = Some((error.kind(), error.to_string()));
        tracing::warn!(node = %self.name, %address, %error, retry_in_ms = wait.as_millis() as u64, "connect failed");
        Some(CallError::Connect {
            node: self.name.to_string(),
            address: address.clone(),
            source: error,
        })
    }

    /// The back-off state.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }
}

/// One request's frames: the trace frame, if any, then the request (split when
/// large). On failure `out` is left as it was.
fn write_request(
    out: &mut BytesMut,
    address: AddrRef<'_>,
    session: u32,
    push: bool,
    payload: &[u8],
    trace: Option<&[u8]>,
) -> Result<(), FrameError> {
    check_request(payload.len(), trace)?;
    let start = out.len();
    out.reserve(encoded_request_len(address, payload.len()) + trace.map_or(0, |t| t.len() + 3));
    let r = (|| {
        if let Some(t) = trace {
            encode_trace(out, t)?;
        }
        encode_request(out, address, session, push, payload)
    })();
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// `skynet.pack("")`: the name a delivery barrier queries (nobody registers it).
const SYNC_NAME: &[u8] = &[0x04];

/// What a reply to a delivery barrier means: any answer (found or not) says every
/// earlier frame was taken; anything else is the barrier's failure.
///
/// # Errors
///
/// The call's error, except [`CallError::Remote`].
pub fn sync_outcome(reply: Result<Bytes, CallError>) -> Result<(), CallError> {
    match reply {
        Ok(_) | Err(CallError::Remote(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Why a client connection must close (the shell then fails its pending calls with
/// [`CloseReason::Lost`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientClose {
    /// A response frame that does not decode.
    #[error("bad response: {0}")]
    BadResponse(FrameError),
    /// The multi-part replies broke the connection's limits.
    #[error("limit: {0}")]
    Limit(FrameError),
}

/// A reply for a waiting call.
#[derive(Debug)]
pub struct Delivery<W> {
    /// The session answered.
    pub session: u32,
    /// Its caller.
    pub waiter: W,
    /// The reply: the payload, or the call's error (an error reply is
    /// [`CallError::Remote`], a broken multi-part reply [`CallError::Frame`]).
    pub result: Result<Bytes, CallError>,
}

/// One client connection, sans IO: requests are encoded into the caller's output
/// buffer, response bytes are taken from the caller's input buffer, and each whole
/// reply is handed back with the waiter (`W`: a oneshot sender, a call id...) that
/// was registered for its session.
///
/// * A reply for a session nobody waits for is logged and ignored (the reference
///   answers a failed push with an error on session 0); a multi-part reply nobody
///   waits for is not buffered.
/// * A response frame that does not decode, or multi-part replies over the
///   [`Limits`], close the connection ([`ClientClose`]); a multi-part reply that
///   does not add up fails its call only.
/// * Closing fails every waiting call with the [`CloseReason`]'s error; later calls
///   fail the same way.
///
/// ```
/// use bytes::BytesMut;
/// use skynet_cluster::proto::ClientConn;
/// use skynet_cluster::{AddrRef, Limits};
///
/// let mut conn = ClientConn::new("db", Limits::default());
/// let mut out = BytesMut::new();
/// conn.call(&mut out, AddrRef::Name(b"@sdb"), 1, b"\x1cGET\x14k1", None, "caller 1")?;
/// assert_eq!(out[..], b"\x00\x11\x80\x04@sdb\x01\x00\x00\x00\x1cGET\x14k1"[..]);
///
/// let mut input = BytesMut::from(&b"\x00\x08\x01\x00\x00\x00\x01\x14v1"[..]);
/// let reply = conn.poll_input(&mut input)?.expect("a reply");
/// assert_eq!((reply.session, reply.waiter, &reply.result.unwrap()[..]), (1, "caller 1", &b"\x14v1"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientConn<W> {
    node: Arc<str>,
    waiters: FastMap<u32, W>,
    closed: Option<CloseReason>,
    asm: ResponseAssembler,
}

impl<W> ClientConn<W> {
    /// A connection to node `node`, its multi-part replies bounded by `limits`.
    pub fn new(node: impl Into<Arc<str>>, limits: Limits) -> Self {
        Self {
            node: node.into(),
            waiters: FastMap::default(),
            closed: None,
            asm: ResponseAssembler::new(limits),
        }
    }

    /// The node name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Why the connection closed, once it did.
    pub fn closed(&self) -> Option<CloseReason> {
        self.closed
    }

    /// `true` once closed.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// The error of a call that finds the connection closed.
    pub fn closed_error(&self) -> CallError {
        self.closed
            .map_or(CallError::ConnectionLost, |why| why.error(&self.node))
    }

    fn open(&self) -> Result<(), CallError> {
        match self.closed {
            Some(why) => Err(why.error(&self.node)),
            None => Ok(()),
        }
    }

    /// Writes a call's frames to `out` (the trace frame first, if any) and registers
    /// `waiter` for its `session`.
    ///
    /// # Errors
    ///
    /// The connection is closed (its [`CloseReason`]'s error), or the frames cannot
    /// be written ([`CallError::Frame`]; `out` is left as it was).
    pub fn call(
        &mut self,
        out: &mut BytesMut,
        address: AddrRef<'_>,
        session: u32,
        payload: &[u8],
        trace: Option<&[u8]>,
        waiter: W,
    ) -> Result<(), CallError> {
        self.open()?;
        write_request(out, address, session, false, payload, trace)?;
        self.waiters.insert(session, waiter);
        Ok(())
    }

    /// Writes a push's frames to `out` (`session` from [`NodeLink::begin_push`]).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub fn push(
        &mut self,
        out: &mut BytesMut,
        address: AddrRef<'_>,
        session: u32,
        payload: &[u8],
        trace: Option<&[u8]>,
    ) -> Result<(), CallError> {
        self.open()?;
        write_request(out, address, session, true, payload, trace)?;
        Ok(())
    }

    /// Writes a delivery barrier: a name query (address 0) for a name nobody
    /// registers. The remote reads a connection in order and dispatches each push
    /// before it reads the next frame, so its answer (found or not: see
    /// [`sync_outcome`]) means every earlier frame was taken.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub fn sync(&mut self, out: &mut BytesMut, session: u32, waiter: W) -> Result<(), CallError> {
        self.call(out, AddrRef::Handle(0), session, SYNC_NAME, None, waiter)
    }

    /// Forgets the call of `session` (its caller gave up): a late reply is ignored.
    pub fn forget(&mut self, session: u32) -> Option<W> {
        self.asm.forget(session);
        self.waiters.remove(&session)
    }

    /// The waiter registered for `session`, while its call waits.
    pub fn waiter(&self, session: u32) -> Option<&W> {
        self.waiters.get(&session)
    }

    /// `true` while a call waits for `session`.
    pub fn is_waiting(&self, session: u32) -> bool {
        self.waiters.contains_key(&session)
    }

    /// Calls waiting for their reply.
    pub fn pending(&self) -> usize {
        self.waiters.len()
    }

    /// Takes whole response frames off the front of `input` until one completes a
    /// waiting call's reply, and returns it; `Ok(None)` when `input` holds no more
    /// whole frames (read more).
    ///
    /// # Errors
    ///
    /// [`ClientClose`]: the connection must close (then call [`close`](Self::close)).
    pub fn poll_input(&mut self, input: &mut BytesMut) -> Result<Option<Delivery<W>>, ClientClose> {
        while let Some(body) = take_frame(input) {
            let frame = ResponseFrame::decode(body.freeze()).map_err(|e| {
                tracing::warn!(error = %e, "bad response frame: closing the connection");
                ClientClose::BadResponse(e)
            })?;
            let waiters = &self.waiters;
            let event = self
                .asm
                .handle(frame, |s| waiters.contains_key(&s))
                .map_err(|e| {
                    tracing::warn!(error = %e, "reply limits broken: closing the connection");
                    ClientClose::Limit(e)
                })?;
            let (session, result) = match event {
                None => continue,
                Some(ResponseEvent::Complete { session, outcome }) => (
                    session,
                    match outcome {
                        Outcome::Ok(payload) => Ok(payload),
                        Outcome::Error(text) => Err(CallError::Remote(
                            String::from_utf8_lossy(&text).into_owned(),
                        )),
                    },
                ),
                Some(ResponseEvent::Failed { session, error }) => {
                    tracing::warn!(session, %error, "bad multi-part reply");
                    (session, Err(CallError::Frame(error)))
                }
            };
            match self.waiters.remove(&session) {
                Some(waiter) => {
                    return Ok(Some(Delivery {
                        session,
                        waiter,
                        result,
                    }))
                }
                None => {
                    crate::telemetry::late_reply(&self.node);
                    tracing::debug!(session, node = %self.node, "reply for a session nobody waits for: ignored");
                }
            }
        }
        Ok(None)
    }

    /// Closes the connection: returns every waiting call with the error it gets;
    /// `None` when it was closed already. Later calls fail with the same error.
    pub fn close(&mut self, why: CloseReason) -> Option<Vec<(W, CallError)>> {
        if self.closed.is_some() {
            return None;
        }
        self.closed = Some(why);
        let node = &self.node;
        Some(
            std::mem::take(&mut self.waiters)
                .into_values()
                .map(|w| (w, why.error(node)))
                .collect(),
        )
    }
}
