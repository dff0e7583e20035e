//! The serving side: [`ServerConn`] (one accepted connection: request bytes in,
//! [`ServerEvent`]s out — replies to write, requests to run — with the rules of
//! which bad frames are dropped and which close the connection, the name query,
//! unknown addresses and pushes, read deadlines and the request budget), and the
//! [`Resolver`] it finds services with.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::log_limit::LogLimit;
use crate::error::FrameError;
use crate::frame::{
    encode_error, encode_response, encoded_response_len, frame_body_len, take_frame, RequestFrame,
    WireAddress,
};
use crate::luaseri;
use crate::reassembly::{Inbound, InboundRequest, Limits, RequestAssembler};
use crate::registry::NAME_NOT_FOUND;
use crate::service::{Reply, Request, ServiceError};

/// Bytes a connection may buffer without holding request budget: a small request
/// is always read (and served) even when the node's budget is used up.
pub const FREE_BYTES: usize = 64 << 10;
/// The least room asked of the read buffer before a read.
const MIN_READ: usize = 8 << 10;
/// What a request in flight is charged to the budget, in multiples of its payload
/// (the bytes, and what the service decodes from them).
pub const IN_FLIGHT_CHARGE: usize = 2;
/// In-flight payloads up to this size are copied out of the read buffer, so that a
/// small request does not keep a whole read chunk alive.
const DETACH_BELOW: usize = 4 << 10;

/// An address that resolves to no service: what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    /// The error text.
    pub text: &'static str,
    /// Whether a push is answered too (the reference answers a push to an unknown
    /// `@name`, not to other addresses).
    pub answer_push: bool,
}

/// How a serving node finds its services (a node's registry implements it; a test
/// can use a map).
pub trait Resolver {
    /// What a request runs on.
    type Service;

    /// The service at `address` (never address 0: that is the name query) and its
    /// handle, or what to answer.
    ///
    /// # Errors
    ///
    /// [`Missing`] when nothing is there.
    fn resolve(&self, address: &WireAddress) -> Result<(u32, Self::Service), Missing>;

    /// The handle registered for the cluster under `name` (what a name query
    /// answers).
    fn query(&self, name: &[u8]) -> Option<u32>;
}

impl<R: Resolver + ?Sized> Resolver for &R {
    type Service = R::Service;

    fn resolve(&self, address: &WireAddress) -> Result<(u32, Self::Service), Missing> {
        (**self).resolve(address)
    }

    fn query(&self, name: &[u8]) -> Option<u32> {
        (**self).query(name)
    }
}

/// The bounds of one accepted connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// Multi-part reassembly limits.
    pub limits: Limits,
    /// A connection with nothing in flight that sends nothing for this long is
    /// closed (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// A connection inside a frame or a multi-part message that sends nothing more
    /// for this long is closed; also the longest wait for request budget.
    pub frame_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            idle_timeout: Some(Duration::from_secs(300)),
            frame_timeout: Duration::from_secs(30),
        }
    }
}

/// What the connection asks of its shell.
#[derive(Debug)]
pub enum ServerEvent<S> {
    /// Queue this reply (encoded by [`encode_reply`]) once the connection's queued
    /// replies are under their bound: a rejection, an unknown address, a name query.
    Reply {
        /// The session answered.
        session: u32,
        /// What to answer.
        reply: Reply,
    },
    /// Run a request, once the queued replies are under their bound (a peer that
    /// pipelines requests and reads no replies gets no more work done for it).
    Dispatch(Dispatch<S>),
}

/// A request for a service.
#[derive(Debug)]
pub struct Dispatch<S> {
    /// The service the address resolved to.
    pub service: S,
    /// The request (`request.push`: its reply is dropped).
    pub request: Request,
    /// What the request holds of the node's request budget while it is in flight
    /// (its payload, [`IN_FLIGHT_CHARGE`] times).
    pub charge: usize,
}

/// Why a server connection closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerClose {
    /// A frame of a known type that does not decode.
    #[error("malformed request: {0}")]
    Malformed(FrameError),
    /// The multi-part requests broke the connection's limits.
    #[error("limit: {0}")]
    Limit(FrameError),
    /// Nothing in flight and nothing sent for the idle timeout.
    #[error("idle for {0:?}")]
    Idle(Duration),
    /// Inside a frame or a multi-part message, nothing more for the frame timeout.
    #[error("no progress within {0:?} inside a frame")]
    Stalled(Duration),
    /// The node's request budget stayed used up for the frame timeout.
    #[error("no request budget in time (the node holds too many request bytes)")]
    NoBudget,
}

/// What the next read needs ([`ServerConn::prepare_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPlan {
    /// Bytes of the node's request budget the connection must hold before reading:
    /// what it buffers plus what the read may add, past [`FREE_BYTES`].
    pub budget: usize,
    /// Until when that may be waited for (then [`ServerClose::NoBudget`]; `None`:
    /// no bound).
    pub budget_deadline: Option<Instant>,
}

/// The read deadline in force.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    close: ServerCloseKind,
}

#[derive(Debug, Clone, Copy)]
enum ServerCloseKind {
    Idle(Duration),
    Stalled(Duration),
}

/// One accepted connection, sans IO.
///
/// The shell reads into [`read_buf`](Self::read_buf) (after
/// [`prepare_read`](Self::prepare_read) and [`read_deadline`](Self::read_deadline)),
/// then takes events with [`poll_event`](Self::poll_event) until `None`, and closes
/// the connection on any [`ServerClose`]. The rules, as the reference's
/// `clusteragent` (differences in the crate docs):
///
/// * a zero-length frame or an unknown type byte is dropped (logged a few times per
///   window, then counted), the connection kept; any other bad frame closes it;
/// * multi-part requests are reassembled within [`Limits`]; parts not adding up are
///   answered `Invalid large req`;
/// * address 0 is a name query, answered even when it came as a push
///   (`skynet.pack(handle)` or `name not found`);
/// * an unknown address is answered with an error, a push only for an unknown
///   `@name`;
/// * everything else is a [`Dispatch`].
///
/// Back-pressure is the shell's to carry out at the points the core defines: it
/// reads only while its queued replies are under their bound, and takes each event
/// only then; before a read it holds [`ReadPlan::budget`] of the node's request
/// budget, and a request that outlives the read holds [`Dispatch::charge`].
///
/// ```
/// use std::time::Instant;
/// use skynet_cluster::frame::WireAddress;
/// use skynet_cluster::proto::{Missing, Resolver, ServerConfig, ServerConn, ServerEvent};
///
/// struct One;
/// impl Resolver for One {
///     type Service = &'static str;
///     fn resolve(&self, a: &WireAddress) -> Result<(u32, &'static str), Missing> {
///         match a {
///             WireAddress::Handle(11) => Ok((11, "echo")),
///             _ => Err(Missing { text: "call to invalid address", answer_push: false }),
///         }
///     }
///     fn query(&self, _: &[u8]) -> Option<u32> { None }
/// }
///
/// let now = Instant::now();
/// let mut conn = ServerConn::new(ServerConfig::default(), None);
/// // A call of session 1 to handle 11, then one to handle 12.
/// conn.receive(b"\x00\x0a\x00\x0b\x00\x00\x00\x01\x00\x00\x00\x04");
/// conn.receive(b"\x00\x0a\x00\x0c\x00\x00\x00\x02\x00\x00\x00\x04");
/// let Some(ServerEvent::Dispatch(d)) = conn.poll_event(now, &One)? else { panic!() };
/// assert_eq!((d.service, d.request.session), ("echo", 1));
/// let Some(ServerEvent::Reply { session: 2, reply: Err(e) }) = conn.poll_event(now, &One)? else { panic!() };
/// assert_eq!(e.0, "call to invalid address");
/// assert!(conn.poll_event(now, &One)?.is_none());
/// # Ok::<(), skynet_cluster::proto::ServerClose>(())
/// ```
#[derive(Debug)]
pub struct ServerConn {
    config: ServerConfig,
    peer: Option<SocketAddr>,
    buf: BytesMut,
    asm: RequestAssembler,
    drops: LogLimit,
    deadline: Option<Deadline>,
}

impl ServerConn {
    /// A connection from `peer` (`None` in memory).
    pub fn new(config: ServerConfig, peer: Option<SocketAddr>) -> Self {
        Self {
            config,
            peer,
            buf: BytesMut::new(),
            asm: RequestAssembler::new(config.limits),
            drops: LogLimit::default(),
            deadline: None,
        }
    }

    /// Makes room in the read buffer for the rest of the current frame (at most
    /// 64 KiB) or a small read, and says how much request budget to hold first.
    pub fn prepare_read(&mut self, now: Instant) -> ReadPlan {
        let want = frame_body_len(&self.buf)
            .map_or(MIN_READ, |n| (n + 2).saturating_sub(self.buf.len()))
            .max(MIN_READ);
        self.buf.reserve(want);
        let held = self.buf.len() + self.asm.buffered() + want;
        ReadPlan {
            budget: held.saturating_sub(FREE_BYTES),
            budget_deadline: now.checked_add(self.config.frame_timeout),
        }
    }

    /// When the read about to start at `now` gives up, with `in_flight` requests
    /// still running: a started frame or multi-part message must go on within the
    /// frame timeout; an idle connection may rest for the idle timeout; one with
    /// work in flight waits as long as it takes.
    pub fn read_deadline(&mut self, now: Instant, in_flight: usize) -> Option<Instant> {
        let midway = !self.buf.is_empty() || self.asm.pending() > 0;
        let close = if midway {
            Some(ServerCloseKind::Stalled(self.config.frame_timeout))
        } else if in_flight == 0 {
            self.config.idle_timeout.map(ServerCloseKind::Idle)
        } else {
            None
        };
        self.deadline = close.and_then(|close| {
            let d = match close {
                ServerCloseKind::Idle(d) | ServerCloseKind::Stalled(d) => d,
            };
            now.checked_add(d).map(|at| Deadline { at, close })
        });
        self.deadline.map(|d| d.at)
    }

    /// The read deadline passed by `now`? Then why the connection closes.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ServerClose> {
        let d = self.deadline.filter(|d| now >= d.at)?;
        self.deadline = None;
        Some(match d.close {
            ServerCloseKind::Idle(d) => ServerClose::Idle(d),
            ServerCloseKind::Stalled(d) => ServerClose::Stalled(d),
        })
    }

    /// The request budget was not had by [`ReadPlan::budget_deadline`].
    pub fn budget_timeout(&self) -> ServerClose {
        ServerClose::NoBudget
    }

    /// Where the shell reads to.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes received (in memory; a shell reads into [`read_buf`](Self::read_buf)).
    pub fn receive(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// What the connection should hold of the node's request budget now: what it
    /// buffers, past [`FREE_BYTES`].
    pub fn budget_needed(&self) -> usize {
        (self.buf.len() + self.asm.buffered()).saturating_sub(FREE_BYTES)
    }

    /// The next event from the bytes received; `Ok(None)` when they hold no more
    /// whole requests.
    ///
    /// # Errors
    ///
    /// [`ServerClose`]: a malformed frame or broken limits; close the connection.
    pub fn poll_event<R: Resolver>(
        &mut self,
        now: Instant,
        resolver: &R,
    ) -> Result<Option<ServerEvent<R::Service>>, ServerClose> {
        while let Some(body) = take_frame(&mut self.buf) {
            let frame = match RequestFrame::decode(body.freeze()) {
                Ok(f) => f,
                Err(e) if e.is_droppable() => {
                    crate::telemetry::frame_dropped();
                    // As the reference: logged, dropped, connection kept — but a peer
                    // sending junk frames gets a few log lines, not one per frame.
                    let (log, earlier) = self.drops.allow(now);
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
                    return Err(ServerClose::Malformed(e));
                }
            };
            match self.asm.handle(frame) {
                Ok(None) => {}
                Ok(Some(Inbound::Request(req))) => {
                    if let Some(event) = self.route(req, resolver) {
                        return Ok(Some(event));
                    }
                }
                Ok(Some(Inbound::Reject { session, text })) => {
                    tracing::debug!(session, text, "request rejected");
                    return Ok(Some(ServerEvent::Reply {
                        session,
                        reply: Err(ServiceError(text.to_owned())),
                    }));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "request limits broken: closing the connection");
                    return Err(ServerClose::Limit(e));
                }
            }
        }
        Ok(None)
    }

    /// Where a whole request goes; `None` for an unanswered push to nowhere.
    fn route<R: Resolver>(
        &self,
        req: InboundRequest,
        resolver: &R,
    ) -> Option<ServerEvent<R::Service>> {
        if req.address == WireAddress::Handle(0) {
            crate::telemetry::name_query();
            // The reference answers a query even when it came as a push.
            return Some(ServerEvent::Reply {
                session: req.session,
                reply: answer_query(&req.payload, resolver),
            });
        }
        match resolver.resolve(&req.address) {
            Err(Missing { text, answer_push }) => {
                crate::telemetry::unroutable();
                tracing::debug!(address = ?req.address, text, "no such service");
                (!req.push || answer_push).then(|| ServerEvent::Reply {
                    session: req.session,
                    reply: Err(ServiceError(text.to_owned())),
                })
            }
            Ok((handle, service)) => {
                let charge = req.payload.len().saturating_mul(IN_FLIGHT_CHARGE);
                Some(ServerEvent::Dispatch(Dispatch {
                    service,
                    request: Request {
                        payload: detach_small(req.payload),
                        session: req.session,
                        push: req.push,
                        trace: req.trace,
                        address: req.address.to_address(),
                        handle,
                        peer: self.peer,
                    },
                    charge,
                }))
            }
        }
    }

    /// Dropped frames counted and not logged yet (to log once as the connection
    /// ends).
    pub fn take_unlogged_drops(&mut self) -> u64 {
        self.drops.take_suppressed()
    }
}

/// The answer to a name query: `skynet.pack(handle)` of the name in the payload's
/// first value, or the error `name not found`.
fn answer_query<R: Resolver>(payload: &[u8], resolver: &R) -> Reply {
    let handle = luaseri::unpack(payload)
        .ok()
        .and_then(|v| v.into_iter().next())
        .and_then(|v| v.as_bytes().and_then(|b| resolver.query(b)));
    match handle.map(|h| luaseri::to_args(&h)) {
        Some(Ok(p)) => Ok(Bytes::from(p)),
        _ => Err(ServiceError(NAME_NOT_FOUND.to_owned())),
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

/// Writes the reply of `session` to `out`: the payload (split when larger than
/// 32 KiB), or an error reply with the text (cut to
/// [`MAX_ERROR_TEXT`](crate::frame::MAX_ERROR_TEXT)); a payload the frames cannot
/// carry becomes an error reply saying why.
///
/// ```
/// let mut out = bytes::BytesMut::new();
/// skynet_cluster::proto::encode_reply(&mut out, 7, &Err("no".into()));
/// assert_eq!(out[..], b"\x00\x07\x07\x00\x00\x00\x00no"[..]);
/// ```
pub fn encode_reply(out: &mut BytesMut, session: u32, reply: &Reply) {
    match reply {
        Ok(payload) => {
            out.reserve(encoded_response_len(payload.len()));
            if let Err(e) = encode_response(out, session, payload) {
                encode_error(out, session, e.to_string().as_bytes());
            }
        }
        Err(e) => encode_error(out, session, e.0.as_bytes()),
    }
}
