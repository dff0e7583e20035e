//! Typed sproto protocols: what `#[sproto_rt::protocol]` generates code against.
//!
//! - [`ProtocolSet`]: a protocol trait's protocols and schema;
//! - [`Caller`]: what a generated `…Client` stub sends requests through (a gate
//!   connection of `sproto_rt::net`, or anything else that moves packages);
//! - [`Handler`]: what a generated `…Server` adapter is, and what a connection hands
//!   the peer's requests to;
//! - [`Package`]: the usual header type, `.package { type 0 : integer  session 1 : integer }`.

use std::future::Future;
use std::ops::Deref;

use crate::error::DecodeError;
use crate::gate::{PackageLayout, PackageTooLarge, ProtocolError, SendError};
use crate::message::Message;
use crate::schema::{BuildError, FieldDesc, ProtocolSpec, SchemaBuilder, Shape, Sproto, TypeRef};
use crate::wire::{int_from_slot, max_slots, StructView, StructWriter};
use crate::FieldType;

/// An unpacked package and where its message starts: the message bytes without a copy.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Payload {
    buf: Vec<u8>,
    start: usize,
}

impl Payload {
    /// The bytes of `buf` from `start` on.
    pub fn new(buf: Vec<u8>, start: usize) -> Self {
        let start = start.min(buf.len());
        Payload { buf, start }
    }

    /// The message bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} bytes)", self.len())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(buf: Vec<u8>) -> Self {
        Payload { buf, start: 0 }
    }
}

/// Why a connection closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// This side closed it.
    #[error("closed by this side")]
    Local,
    /// The peer closed it.
    #[error("closed by the peer")]
    Peer,
    /// The peer broke the protocol.
    #[error("the peer broke the protocol: {0}")]
    Protocol(ProtocolError),
    /// A transport error.
    #[error("transport error: {0}")]
    Io(String),
    /// Nothing arrived for the connection's idle timeout.
    #[error("nothing received for {0:?}")]
    Idle(std::time::Duration),
    /// A package stayed half received for the connection's frame timeout.
    #[error("a package stayed incomplete for {0:?}")]
    Stalled(std::time::Duration),
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The request does not fit a gate frame; nothing was sent.
    #[error(transparent)]
    TooLarge(#[from] PackageTooLarge),
    /// Too many calls already wait on this connection.
    #[error("{limit} calls already wait for an answer on this connection")]
    TooManyPending {
        /// The bound.
        limit: usize,
    },
    /// No answer in time; a late answer is ignored.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The connection closed before the answer came.
    #[error("connection closed before the answer: {0}")]
    Closed(CloseReason),
    /// The answer's message does not decode as the protocol's response type.
    #[error("the response does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// The protocol is not in the peer's schema (dynamic calls).
    #[error("{0} not found")]
    UnknownProtocol(String),
    /// The message does not encode with the peer's schema (dynamic calls).
    #[error(transparent)]
    Encode(#[from] crate::codec::EncodeError),
}

impl CallError {
    /// A short stable name of the kind of failure (`"timeout"`, `"closed"`, …), for
    /// counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::TooLarge(_) => "too_large",
            CallError::TooManyPending { .. } => "too_many_pending",
            CallError::Timeout(_) => "timeout",
            CallError::Closed(_) => "closed",
            CallError::Decode(_) => "decode",
            CallError::UnknownProtocol(_) => "unknown_protocol",
            CallError::Encode(_) => "encode",
        }
    }

    /// The error for a request the connection refused to queue.
    pub fn from_send(e: SendError, closed: impl FnOnce() -> CloseReason) -> Self {
        match e {
            SendError::TooLarge(t) => CallError::TooLarge(t),
            SendError::TooManyPending { limit } => CallError::TooManyPending { limit },
            _ => CallError::Closed(closed()),
        }
    }
}

/// Sends requests to the peer: what a generated `…Client` stub is built on.
///
/// `body` is the encoded request message (empty when the protocol has none); the
/// answer is the encoded response message (empty when the protocol has none).
pub trait Caller: Send + Sync {
    /// A request with a session; resolves to the answer.
    fn call(
        &self,
        tag: u16,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<Payload, CallError>> + Send;
    /// A request without a session: nothing answers it.
    fn push(&self, tag: u16, body: Vec<u8>) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// One request from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The protocol's tag.
    pub tag: u16,
    /// Present when the peer waits for an answer.
    pub session: Option<i64>,
    /// The header's `ud`.
    pub ud: Option<i64>,
    /// The encoded request message.
    pub body: Payload,
}

/// Serves the peer's requests: a generated `…Server` adapter, or your own.
///
/// `Ok(Some(bytes))` answers with that encoded message, `Ok(None)` with the header
/// alone (protocols without a response type); the answer is sent only when the
/// request has a session. An error means the request was not acceptable (unknown
/// protocol, undecodable message): the connection is closed.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn handle(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ProtocolError>> + Send;
}

/// Drops every request unanswered: for clients that expect none.
impl Handler for () {
    async fn handle(&self, _request: Request) -> Result<Option<Vec<u8>>, ProtocolError> {
        Ok(None)
    }
}

/// The protocols of a `#[sproto_rt::protocol]` trait (implemented by the generated
/// `{Trait}Protocol` type).
pub trait ProtocolSet {
    /// The package (header) type.
    type Package: Message;

    /// The protocols, each with its message types.
    fn protocols() -> Vec<ProtocolSpec>;

    /// The schema of the package type, the protocols and their message types: it
    /// renders the same `.sproto` text and bundle as the equivalent hand-written
    /// schema.
    fn schema() -> Result<Sproto, BuildError> {
        SchemaBuilder::new()
            .message::<Self::Package>()
            .protocols(Self::protocols())
            .build()
    }

    /// Where the package type's `type`, `session` and `ud` fields are.
    fn layout() -> PackageLayout {
        SchemaBuilder::new()
            .message::<Self::Package>()
            .build()
            .ok()
            .and_then(|sp| PackageLayout::from_schema(&sp, Self::Package::TYPE_NAME).ok())
            .unwrap_or_default()
    }
}

/// skynet's usual package header type: `.package { type 0 : integer  session 1 : integer }`.
///
/// ```
/// use sproto_rt::rpc::Package;
/// use sproto_rt::Message;
///
/// let sp = Package::schema().unwrap();
/// assert_eq!(sp.to_text(), ".package {\n    type 0 : integer\n    session 1 : integer\n}\n");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Package {
    /// The protocol's tag (requests only).
    pub ty: Option<i64>,
    /// The session.
    pub session: Option<i64>,
}

impl Package {
    /// The one description of the type: field names and tags, in tag order. The codec,
    /// the slot count and the schema description below all read it.
    const FIELDS: [(&'static str, u16); 2] = [("type", 0), ("session", 1)];
    const TYPE_TAG: u16 = Self::FIELDS[0].1;
    const SESSION_TAG: u16 = Self::FIELDS[1].1;
    const TAGS: [u16; 2] = [Self::TYPE_TAG, Self::SESSION_TAG];
}

impl Message for Package {
    const TYPE_NAME: &'static str = "package";
    const MAX_SLOTS: usize = max_slots(&Self::TAGS);

    fn encode_fields(&self, st: &mut StructWriter<'_>) {
        if let Some(t) = self.ty {
            st.int(Self::TYPE_TAG, t);
        }
        if let Some(s) = self.session {
            st.int(Self::SESSION_TAG, s);
        }
    }

    fn decode_fields(view: &StructView<'_>, _depth: usize) -> Result<Self, DecodeError> {
        let mut p = Package::default();
        for f in view.fields() {
            let v = || {
                int_from_slot(f.value)
                    .map_err(|e| DecodeError::field_problem(view.slot_offset(f.index), e))
            };
            if f.tag == u32::from(Self::TYPE_TAG) {
                p.ty = Some(v()?);
            } else if f.tag == u32::from(Self::SESSION_TAG) {
                p.session = Some(v()?);
            }
        }
        Ok(p)
    }

    fn describe(builder: &mut SchemaBuilder) {
        let int = |(name, tag)| FieldDesc {
            name,
            tag,
            ty: TypeRef::Builtin(FieldType::Integer),
            shape: Shape::One,
        };
        builder.add_type(Self::TYPE_NAME, |_| Self::FIELDS.map(int).to_vec());
    }
}
