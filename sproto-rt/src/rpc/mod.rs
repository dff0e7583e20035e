//! The sproto RPC layer (`sproto.lua`'s host): a package header in front of each
//! message, request/response encoding by protocol, and session bookkeeping.
//!
//! - [`Host`]: `sproto:host(package)` — [`Host::attach`] makes requests for a remote
//!   schema, [`Host::dispatch`] reads incoming packets into a [`Dispatch`].
//! - [`Sproto::request_encode`] & co.: the message encodings without a header.
//! - typed protocols: [`ProtocolSet`], [`Caller`], [`Handler`] — what
//!   `#[sproto_rt::protocol]` generates code against — and [`DynamicClient`] for calls
//!   with a loaded schema and [`Struct`] values.

mod dynamic;
mod host;
mod typed;

pub use dynamic::{Answer, DynamicClient};
pub use host::{Attached, Dispatch, Host, Responder};
pub use typed::{CallError, Caller, CloseReason, Handler, Package, Payload, ProtocolSet, Request};

use crate::codec::EncodeError;
use crate::error::DecodeError;
use crate::schema::{Protocol, Sproto};
use crate::value::Struct;

/// A protocol named by name or by tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolRef<'a> {
    /// By name.
    Name(&'a str),
    /// By tag.
    Tag(u16),
}

impl<'a> From<&'a str> for ProtocolRef<'a> {
    fn from(name: &'a str) -> Self {
        ProtocolRef::Name(name)
    }
}

impl From<u16> for ProtocolRef<'_> {
    fn from(tag: u16) -> Self {
        ProtocolRef::Tag(tag)
    }
}

impl std::fmt::Display for ProtocolRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolRef::Name(n) => f.write_str(n),
            ProtocolRef::Tag(t) => write!(f, "{t}"),
        }
    }
}

/// An RPC failure. The messages match the reference's where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// No protocol with that name or tag.
    #[error("{0} not found")]
    UnknownProtocol(String),
    /// The schema has no package type of that name.
    #[error("package type {0} not found")]
    UnknownPackage(String),
    /// A message did not encode.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A packet or message did not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A response packet whose header has no session.
    #[error("session not found")]
    SessionNotFound,
    /// A response for a session this host is not waiting for.
    #[error("Unknown session")]
    UnknownSession(i64),
    /// A message given to a `response nil` protocol's responder.
    #[error("protocol {0} answers without a message (response nil), but one was given")]
    UnexpectedResponseMessage(String),
    /// A header field that is not an integer.
    #[error("header field {0} is not an integer")]
    BadHeader(&'static str),
}

/// What a protocol answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseKind {
    /// Nothing: no response message is defined.
    None,
    /// `response nil`: an answer without a message.
    Confirm,
    /// A message of this type.
    Message(usize),
}

impl ResponseKind {
    pub(crate) fn of(p: &Protocol) -> Self {
        match (p.response, p.confirm) {
            (Some(id), _) => ResponseKind::Message(id),
            (None, true) => ResponseKind::Confirm,
            (None, false) => ResponseKind::None,
        }
    }
}

impl Sproto {
    /// The protocol a [`ProtocolRef`] names.
    pub fn protocol<'p>(&self, p: impl Into<ProtocolRef<'p>>) -> Result<&Protocol, RpcError> {
        let p = p.into();
        match p {
            ProtocolRef::Name(n) => self.protocol_by_name(n),
            ProtocolRef::Tag(t) => self.protocol_by_tag(t),
        }
        .ok_or_else(|| RpcError::UnknownProtocol(p.to_string()))
    }

    /// Encodes a protocol's request message (`sproto:request_encode`); the empty
    /// string for protocols without a request type (`args` is then ignored).
    /// Returns the bytes and the protocol's tag.
    ///
    /// ```
    /// use sproto_rt::{Sproto, Struct};
    ///
    /// let sp = Sproto::parse("get 1 { request { id 0 : integer } }").unwrap();
    /// let (bytes, tag) = sp.request_encode("get", &Struct::new().with("id", 7)).unwrap();
    /// assert_eq!((bytes, tag), (vec![1, 0, 16, 0], 1));
    /// ```
    pub fn request_encode<'p>(
        &self,
        proto: impl Into<ProtocolRef<'p>>,
        args: &Struct,
    ) -> Result<(Vec<u8>, u16), RpcError> {
        let p = self.protocol(proto)?;
        let bytes = match p.request {
            Some(ty) => {
                let mut buf = Vec::new();
                self.encode_type_into(ty, args, &mut buf)?;
                buf
            }
            None => Vec::new(),
        };
        Ok((bytes, p.tag))
    }

    /// Encodes a protocol's response message (`sproto:response_encode`); the empty
    /// string for protocols without a response type. A `response nil` protocol takes
    /// no message (`None`).
    pub fn response_encode<'p>(
        &self,
        proto: impl Into<ProtocolRef<'p>>,
        args: Option<&Struct>,
    ) -> Result<Vec<u8>, RpcError> {
        let p = self.protocol(proto)?;
        encode_response(self, p, args)
    }

    /// Decodes a protocol's request message (`sproto:request_decode`): `None` for
    /// protocols without a request type. Returns the message and the protocol's name.
    pub fn request_decode<'p>(
        &self,
        proto: impl Into<ProtocolRef<'p>>,
        bytes: &[u8],
    ) -> Result<(Option<Struct>, &str), RpcError> {
        let p = self.protocol(proto)?;
        let msg = match p.request {
            Some(ty) => Some(self.decode_type(ty, bytes)?.0),
            None => None,
        };
        Ok((msg, &p.name))
    }

    /// Decodes a protocol's response message (`sproto:response_decode`): `None` for
    /// protocols without a response type.
    pub fn response_decode<'p>(
        &self,
        proto: impl Into<ProtocolRef<'p>>,
        bytes: &[u8],
    ) -> Result<Option<Struct>, RpcError> {
        let p = self.protocol(proto)?;
        match p.response {
            Some(ty) => Ok(Some(self.decode_type(ty, bytes)?.0)),
            None => Ok(None),
        }
    }
}

pub(crate) fn encode_response(
    sp: &Sproto,
    p: &Protocol,
    args: Option<&Struct>,
) -> Result<Vec<u8>, RpcError> {
    match ResponseKind::of(p) {
        ResponseKind::Message(ty) => {
            let empty = Struct::new();
            let mut buf = Vec::new();
            sp.encode_type_into(ty, args.unwrap_or(&empty), &mut buf)?;
            Ok(buf)
        }
        ResponseKind::Confirm if args.is_some() => {
            Err(RpcError::UnexpectedResponseMessage(p.name.clone()))
        }
        _ => Ok(Vec::new()),
    }
}
