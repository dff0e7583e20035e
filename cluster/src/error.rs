//! Error types of the cluster layer: [`FrameError`] (bytes on the wire),
//! [`CallError`] (a call, send or query), [`OpenError`] (listening), and
//! [`RegisterError`] (the service registry).

use crate::address::AddressError;
use crate::luaseri::{PackError, UnpackError};

/// A frame or multi-part message that breaks the cluster protocol or a limit.
///
/// Each variant says what was expected and what was found. [`FrameError::is_droppable`]
/// tells the two kinds the reference ignores (a zero-length frame and an unknown type
/// byte: the frame is dropped, the connection kept) from the ones that close the
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A frame whose length prefix is 0.
    #[error("zero-length frame")]
    Empty,
    /// A request frame whose first byte is no known type.
    #[error("unknown request frame type 0x{0:02x}")]
    UnknownType(u8),
    /// A frame body too short for its type.
    #[error(
        "{kind} frame (type 0x{ty:02x}) of {len} bytes is too short: it needs at least {need}"
    )]
    Truncated {
        /// What the frame is (`"request"`, `"multi-part header"`, ...).
        kind: &'static str,
        /// The type byte.
        ty: u8,
        /// The body length found.
        len: usize,
        /// The least body length that type needs.
        need: usize,
    },
    /// A numeric multi-part header (`0x01` / `0x41`) whose body is not 13 bytes.
    #[error("numeric multi-part header (type 0x{ty:02x}) must be 13 bytes, found {len}")]
    BadMultiHeader {
        /// The type byte.
        ty: u8,
        /// The body length found.
        len: usize,
    },
    /// A response body shorter than 5 bytes (session + type).
    #[error("response frame of {0} bytes is too short: it needs at least 5")]
    ShortResponse(usize),
    /// A response type byte above 4.
    #[error("unknown response type {ty} (session {session})")]
    UnknownResponseType {
        /// The session of the frame.
        session: u32,
        /// The type byte found.
        ty: u8,
    },
    /// A multi-part response begin (type 2) whose body is not 9 bytes.
    #[error("multi-part response begin (session {session}) must be 9 bytes, found {len}")]
    BadMultiBegin {
        /// The session of the frame.
        session: u32,
        /// The body length found.
        len: usize,
    },
    /// A name that does not fit the one-byte length (1..=255 bytes).
    #[error("a service name must have 1 to 255 bytes, this one has {0}")]
    NameLength(usize),
    /// A payload the 32-bit size field cannot announce.
    #[error("payload of {0} bytes is over the protocol's 4 GiB limit")]
    PayloadTooLarge(usize),
    /// A frame body over the 65535 bytes the 2-byte length prefix can announce.
    #[error("frame body of {0} bytes is over the 65535 bytes a frame can hold")]
    FrameTooLong(usize),
    /// A trace tag that does not fit one frame.
    #[error("trace tag of {0} bytes is longer than 65534 bytes")]
    TraceTooLong(usize),
    /// A multi-part message announcing (or growing) beyond the message size limit.
    #[error("multi-part message of session {session} has {size} bytes, over the limit of {limit}")]
    MessageTooLarge {
        /// The session of the message.
        session: u32,
        /// The announced or accumulated size.
        size: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The parts of a multi-part message do not add up to its announced size.
    #[error(
        "multi-part message of session {session} announced {total} bytes, its parts hold {got}"
    )]
    PartsMismatch {
        /// The session of the message.
        session: u32,
        /// The announced size.
        total: u32,
        /// The bytes the parts held (at least, when they overflowed).
        got: u64,
    },
    /// The multi-part buffers of one connection would exceed their byte limit.
    #[error(
        "multi-part buffers of this connection would hold {size} bytes, over the limit of {limit}"
    )]
    BufferLimit {
        /// The bytes that would be buffered.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Too many multi-part messages in progress on one connection.
    #[error("more than {limit} multi-part messages in progress on one connection")]
    TooManyPending {
        /// The configured limit.
        limit: usize,
    },
}

impl FrameError {
    /// `true` for what the reference drops without closing the connection: a
    /// zero-length frame and an unknown request type byte.
    pub fn is_droppable(&self) -> bool {
        matches!(self, FrameError::Empty | FrameError::UnknownType(_))
    }
}

/// Why a [`Node::call`](crate::Node::call), `send` or `query` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The remote node answered with an error reply; this is its text (lossy UTF-8).
    /// A skynet node sends e.g. `Invalid name`, `name not found` or
    /// `./lualib/skynet.lua:720: call failed`.
    #[error("remote error: {0}")]
    Remote(String),
    /// No reply within the call's timeout. The pending entry was removed: a late
    /// reply is ignored.
    #[error("no reply within the call timeout")]
    Timeout,
    /// The node is configured as down (`false` in the cluster config), or was set
    /// down by a reload while the call was in flight.
    #[error("cluster node [{0}] is down")]
    NodeDown(String),
    /// The node name is not in the cluster config.
    #[error("cluster node [{0}] is absent from the cluster config")]
    UnknownNode(String),
    /// The connection closed (peer gone, bad response, address changed by a reload)
    /// before the reply came. The next call reconnects.
    #[error("connection to the cluster node was lost before the reply")]
    ConnectionLost,
    /// Connecting to the node failed (or failed recently: reconnects back off, from
    /// 50 ms doubling to 2 s, and a call within that window fails at once).
    #[error("cannot connect to cluster node [{node}] at {address}: {source}")]
    Connect {
        /// The node name.
        node: String,
        /// The address tried.
        address: String,
        /// The socket error (or the remembered one during the back-off window).
        source: std::io::Error,
    },
    /// The address cannot go on the wire (empty name or longer than 255 bytes).
    #[error(transparent)]
    Address(#[from] AddressError),
    /// A frame could not be written (payload over 4 GiB, trace tag too long), or the
    /// reply broke a limit (multi-part reply over the message size limit, parts not
    /// adding up to the announced size).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The arguments could not be packed with lua-seri.
    #[error("cannot pack the arguments: {0}")]
    Encode(#[from] PackError),
    /// The reply could not be unpacked into the wanted type.
    #[error("cannot unpack the reply: {0}")]
    Decode(#[from] UnpackError),
    /// The local node was shut down.
    #[error("the local cluster node was shut down")]
    Shutdown,
}

impl CallError {
    /// A short stable name of the kind of failure (`"remote"`, `"timeout"`,
    /// `"connect"`, …), for counting errors by kind (benchmarks, metrics).
    ///
    /// ```
    /// assert_eq!(skynet_cluster::CallError::Timeout.kind(), "timeout");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Remote(_) => "remote",
            CallError::Timeout => "timeout",
            CallError::NodeDown(_) => "node_down",
            CallError::UnknownNode(_) => "unknown_node",
            CallError::ConnectionLost => "connection_lost",
            CallError::Connect { .. } => "connect",
            CallError::Address(_) => "address",
            CallError::Frame(_) => "frame",
            CallError::Encode(_) => "encode",
            CallError::Decode(_) => "decode",
            CallError::Shutdown => "shutdown",
        }
    }

    /// `true` when the call may have never reached the remote service and a retry can
    /// help: connection problems, node down, timeouts.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CallError::Timeout
                | CallError::NodeDown(_)
                | CallError::ConnectionLost
                | CallError::Connect { .. }
        )
    }
}

/// Why [`Node::open`](crate::Node::open) could not listen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The node name is configured as down (`false`).
    #[error("cluster node [{0}] is down: nothing to listen on")]
    NodeDown(String),
    /// Neither a node name of the config, nor `host:port`, nor a port number.
    #[error("{0:?} is not a node name of the cluster config, a host:port or a port")]
    BadTarget(String),
    /// Binding the socket failed.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address tried.
        address: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The node was shut down.
    #[error("the local cluster node was shut down")]
    Shutdown,
}

/// Why a service could not be registered under a given handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// Handle 0 is the name-query address.
    #[error("handle 0 is reserved for name queries")]
    ReservedHandle,
    /// The handle is taken by another service.
    #[error("handle :{0:08x} is already in use")]
    HandleInUse(u32),
    /// The name is not 1..=255 bytes, or has the `@` / `.` prefix (those are added
    /// by the resolver).
    #[error("invalid service name {0:?}: 1 to 255 bytes, without a leading '@' or '.'")]
    BadName(String),
}
