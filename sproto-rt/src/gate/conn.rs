//! [`Connection`]: one side of a sproto RPC conversation over a gate, without I/O.
//!
//! Packages in, events out; requests and responses in, packages out. It numbers
//! sessions, remembers which ones wait for an answer, reads headers, and refuses what
//! cannot be framed before anything is queued. The tokio shell (`sproto_rt::net`) only
//! moves the packages and wakes tasks, so everything here is tested in memory.

use std::collections::{HashMap, VecDeque};

use super::frame::{PackageTooLarge, MAX_PACKAGE};
use super::header::{Header, PackageLayout};
use super::ProtocolError;
use crate::pack::{pack_into, unpack_into};
use crate::rpc::Payload;

/// The default bound on requests waiting for an answer on one connection.
pub const DEFAULT_MAX_PENDING: usize = 65_536;

/// Sessions run from 1 to this value, then start again at 1 (as skynet's do).
const MAX_SESSION: i64 = i32::MAX as i64;

/// What arrived in one package.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A request for one of our protocols.
    Request {
        /// The protocol's tag.
        tag: u16,
        /// Present when the peer waits for an answer.
        session: Option<i64>,
        /// The header's `ud`.
        ud: Option<i64>,
        /// The request message (empty when the protocol has no request type).
        body: Payload,
    },
    /// The answer to one of our requests.
    Response {
        /// The request's session.
        session: i64,
        /// The tag of the protocol that was called.
        tag: u16,
        /// The header's `ud`.
        ud: Option<i64>,
        /// The response message (empty when the protocol has no response type).
        body: Payload,
    },
}

/// Why a request or response was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The package would not fit a frame; nothing was queued.
    #[error(transparent)]
    TooLarge(#[from] PackageTooLarge),
    /// The connection is closed (or closing).
    #[error("the connection is closed")]
    Closed,
    /// Too many requests already wait for an answer.
    #[error("{limit} requests already wait for an answer on this connection")]
    TooManyPending {
        /// The bound.
        limit: usize,
    },
}

/// One side of a gate connection (client or server: both may send requests).
///
/// ```
/// use sproto_rt::gate::{Connection, Event, PackageLayout};
///
/// let (mut client, mut server) = (Connection::new(PackageLayout::default()), Connection::new(PackageLayout::default()));
/// let session = client.request(2, b"", true).unwrap().unwrap();
/// let package = client.poll_transmit().unwrap();
/// let Some(Event::Request { tag, session: Some(s), .. }) = server.handle_package(&package).unwrap() else { panic!() };
/// assert_eq!((tag, s), (2, session));
/// server.respond(s, None, None).unwrap();
/// let reply = server.poll_transmit().unwrap();
/// assert!(matches!(client.handle_package(&reply).unwrap(), Some(Event::Response { tag: 2, .. })));
/// assert_eq!(client.pending(), 0);
/// ```
#[derive(Debug)]
pub struct Connection {
    layout: PackageLayout,
    next_session: i64,
    /// Our requests waiting for an answer: session → protocol tag.
    waiting: HashMap<i64, u16>,
    max_pending: usize,
    outgoing: VecDeque<Vec<u8>>,
    outgoing_bytes: usize,
    /// Scratch space for header + body before packing.
    plain: Vec<u8>,
    closed: bool,
    orphans: u64,
}

impl Connection {
    /// A connection whose package header has `layout`.
    pub fn new(layout: PackageLayout) -> Self {
        Connection {
            layout,
            next_session: 1,
            waiting: HashMap::new(),
            max_pending: DEFAULT_MAX_PENDING,
            outgoing: VecDeque::new(),
            outgoing_bytes: 0,
            plain: Vec::new(),
            closed: false,
            orphans: 0,
        }
    }

    /// Bounds the requests waiting for an answer (default [`DEFAULT_MAX_PENDING`]).
    pub fn with_max_pending(mut self, limit: usize) -> Self {
        self.max_pending = limit.max(1);
        self
    }

    /// Starts numbering sessions at `session` (1 by default; kept within
    /// `1..=2^31-1`), e.g. to continue the numbering of an earlier connection.
    pub fn with_next_session(mut self, session: i64) -> Self {
        self.next_session = session.clamp(1, MAX_SESSION);
        self
    }

    /// The header layout.
    pub fn layout(&self) -> PackageLayout {
        self.layout
    }

    /// Queues a request for protocol `tag` with the encoded message `body` (empty
    /// when the protocol has no request type). With `expect_response`, a session is
    /// allocated and returned, and the answer will come back as [`Event::Response`];
    /// without, the request carries no session and nothing answers it.
    pub fn request(
        &mut self,
        tag: u16,
        body: &[u8],
        expect_response: bool,
    ) -> Result<Option<i64>, SendError> {
        self.request_with_ud(tag, body, expect_response, None)
    }

    /// [`request`](Self::request) with a header `ud` (dropped when the package type
    /// has no `ud` field, as the reference does).
    pub fn request_with_ud(
        &mut self,
        tag: u16,
        body: &[u8],
        expect_response: bool,
        ud: Option<i64>,
    ) -> Result<Option<i64>, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        let session = if expect_response {
            if self.waiting.len() >= self.max_pending {
                return Err(SendError::TooManyPending {
                    limit: self.max_pending,
                });
            }
            Some(self.free_session())
        } else {
            None
        };
        let header = Header {
            ty: Some(i64::from(tag)),
            session,
            ud,
        };
        self.queue(&header, body)?;
        if let Some(s) = session {
            self.waiting.insert(s, tag);
            self.next_session = if s >= MAX_SESSION { 1 } else { s + 1 };
        }
        Ok(session)
    }

    /// Queues the answer to the peer's request `session`: the header, then `body`
    /// (the encoded response message) when the protocol has a response type.
    pub fn respond(
        &mut self,
        session: i64,
        body: Option<&[u8]>,
        ud: Option<i64>,
    ) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        let header = Header {
            ty: None,
            session: Some(session),
            ud,
        };
        self.queue(&header, body.unwrap_or_default())
    }

    /// A session not waiting for an answer, from `next_session` on.
    fn free_session(&self) -> i64 {
        let mut s = self.next_session;
        while self.waiting.contains_key(&s) {
            s = if s >= MAX_SESSION { 1 } else { s + 1 };
        }
        s
    }

    fn queue(&mut self, header: &Header, body: &[u8]) -> Result<(), SendError> {
        self.plain.clear();
        self.layout.encode(header, &mut self.plain);
        self.plain.extend_from_slice(body);
        let mut package = Vec::with_capacity(self.plain.len() + self.plain.len() / 8 + 2);
        pack_into(&self.plain, &mut package);
        if package.len() > MAX_PACKAGE {
            return Err(PackageTooLarge {
                size: package.len(),
            }
            .into());
        }
        self.outgoing_bytes += package.len();
        self.outgoing.push_back(package);
        Ok(())
    }

    /// The next package to send (already 0-packed, not yet framed).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let p = self.outgoing.pop_front()?;
        self.outgoing_bytes -= p.len();
        Some(p)
    }

    /// Bytes of packages queued and not yet taken by [`poll_transmit`](Self::poll_transmit).
    pub fn queued_bytes(&self) -> usize {
        self.outgoing_bytes
    }

    /// Reads one package from the peer. `Ok(None)` for an answer to a session nobody
    /// waits for (a late answer to a cancelled call): it is dropped and counted.
    /// An error means the peer broke the protocol; the connection should be closed.
    pub fn handle_package(&mut self, package: &[u8]) -> Result<Option<Event>, ProtocolError> {
        let mut plain = Vec::with_capacity(package.len() * 2 + 8);
        // A package unpacks to at most 8 bytes per input byte (plus a group's padding).
        unpack_into(package, &mut plain, package.len() * 8 + 8).map_err(ProtocolError::Unpack)?;
        let (header, used) = self.layout.decode(&plain).map_err(ProtocolError::Header)?;
        let body = Payload::new(plain, used);
        match header.ty {
            Some(ty) => {
                let tag = u16::try_from(ty).map_err(|_| ProtocolError::BadType(ty))?;
                Ok(Some(Event::Request {
                    tag,
                    session: header.session,
                    ud: header.ud,
                    body,
                }))
            }
            None => {
                let session = header.session.ok_or(ProtocolError::NoSession)?;
                match self.waiting.remove(&session) {
                    Some(tag) => Ok(Some(Event::Response {
                        session,
                        tag,
                        ud: header.ud,
                        body,
                    })),
                    None => {
                        self.orphans += 1;
                        Ok(None)
                    }
                }
            }
        }
    }

    /// Stops waiting for `session` (a call timed out or was dropped); a late answer
    /// will be ignored. Returns whether it was waiting.
    pub fn cancel(&mut self, session: i64) -> bool {
        self.waiting.remove(&session).is_some()
    }

    /// Requests waiting for an answer.
    pub fn pending(&self) -> usize {
        self.waiting.len()
    }

    /// Answers that arrived for sessions nobody waited for.
    pub fn orphan_responses(&self) -> u64 {
        self.orphans
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Closes: nothing more is queued (what is queued may still be sent). Returns the
    /// sessions that were waiting, which will never be answered.
    pub fn close(&mut self) -> Vec<i64> {
        self.closed = true;
        self.waiting.drain().map(|(s, _)| s).collect()
    }
}
