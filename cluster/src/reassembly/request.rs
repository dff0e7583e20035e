//! Server side: request frames in, whole requests (or the reference's rejections)
//! out, with the trace tag of a `0x04` frame attached to the next request.

use bytes::Bytes;

use super::{Appended, Limits, Parts};
use crate::error::FrameError;
use crate::frame::{RequestFrame, WireAddress};

/// The error text for a multi-part request whose parts do not add up.
pub const INVALID_LARGE_REQ: &str = "Invalid large req";
/// The error text for an unknown `@name` (and for a last part without header).
pub const INVALID_NAME: &str = "Invalid name";

/// A whole request or push, ready to dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRequest {
    /// Where it goes.
    pub address: WireAddress,
    /// The session to answer (0 for a single-frame push).
    pub session: u32,
    /// `true` for a push: no reply is expected.
    pub push: bool,
    /// The lua-seri payload.
    pub payload: Bytes,
    /// The tag of the trace frame that preceded it, if any.
    pub trace: Option<Bytes>,
    /// `true` when it came in parts.
    pub multipart: bool,
}

/// What one request frame completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A whole request or push.
    Request(InboundRequest),
    /// The reference answers this session with an error reply at once:
    /// [`INVALID_LARGE_REQ`] for parts that do not add up to the announced size,
    /// [`INVALID_NAME`] for a last part that had no header. Answered even for pushes,
    /// as the reference does.
    Reject {
        /// The session to answer.
        session: u32,
        /// The error text.
        text: &'static str,
    },
}

/// Where a multi-part request goes once complete.
#[derive(Debug)]
struct Pending {
    address: WireAddress,
    push: bool,
    trace: Option<Bytes>,
}

/// The server-side state of one connection: multi-part requests in progress and the
/// trace tag waiting for the next request.
///
/// ```
/// use bytes::Bytes;
/// use skynet_cluster::frame::{RequestFrame, WireAddress};
/// use skynet_cluster::reassembly::{Inbound, RequestAssembler};
///
/// let mut asm = RequestAssembler::default();
/// let begin = RequestFrame::MultiBegin {
///     address: WireAddress::Handle(11), session: 5, total: 4, push: false,
/// };
/// assert_eq!(asm.handle(begin)?, None);
/// let part = RequestFrame::Part { session: 5, data: Bytes::from_static(b"abcd"), last: true };
/// let Some(Inbound::Request(req)) = asm.handle(part)? else { panic!() };
/// assert_eq!((req.session, &req.payload[..]), (5, &b"abcd"[..]));
/// # Ok::<(), skynet_cluster::FrameError>(())
/// ```
#[derive(Debug)]
pub struct RequestAssembler {
    parts: Parts<Pending>,
    trace: Option<Bytes>,
}

impl Default for RequestAssembler {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl RequestAssembler {
    /// An assembler bounded by `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            parts: Parts::new(limits),
            trace: None,
        }
    }

    /// Takes one frame; returns what it completed, if anything.
    ///
    /// Matches the reference's `clusteragent`: a header starts a message and takes the
    /// pending trace tag; parts are appended by session (any interleaving); the last
    /// part completes it or rejects it with [`INVALID_LARGE_REQ`]; a middle part
    /// without header poisons its session, a last part without header is rejected
    /// with [`INVALID_NAME`]. A trace tag applies to the next request or header only.
    ///
    /// # Errors
    ///
    /// A [`FrameError`] when a limit is broken: the connection should be closed.
    pub fn handle(&mut self, frame: RequestFrame) -> Result<Option<Inbound>, FrameError> {
        match frame {
            RequestFrame::Trace { tag } => {
                self.trace = Some(tag);
                Ok(None)
            }
            RequestFrame::Request {
                address,
                session,
                payload,
            } => Ok(Some(Inbound::Request(InboundRequest {
                address,
                session,
                push: session == 0,
                payload,
                trace: self.trace.take(),
                multipart: false,
            }))),
            RequestFrame::MultiBegin {
                address,
                session,
                total,
                push,
            } => {
                let trace = self.trace.take();
                self.parts.begin(
                    session,
                    total,
                    Pending {
                        address,
                        push,
                        trace,
                    },
                )?;
                Ok(None)
            }
            RequestFrame::Part {
                session,
                data,
                last: false,
            } => {
                if self.parts.append(session, &data)? == Appended::Unknown {
                    let orphan = Pending {
                        address: WireAddress::Handle(0),
                        push: false,
                        trace: None,
                    };
                    self.parts.begin_poisoned(session, orphan, data.len())?;
                }
                Ok(None)
            }
            RequestFrame::Part {
                session,
                data,
                last: true,
            } => Ok(Some(match self.parts.finish(session, data) {
                None => Inbound::Reject {
                    session,
                    text: INVALID_NAME,
                },
                Some(done) => match done.payload {
                    Ok(payload) => Inbound::Request(InboundRequest {
                        address: done.meta.address,
                        session,
                        push: done.meta.push,
                        payload,
                        trace: done.meta.trace,
                        multipart: true,
                    }),
                    Err(_) => Inbound::Reject {
                        session,
                        text: INVALID_LARGE_REQ,
                    },
                },
            })),
        }
    }

    /// Bytes held for unfinished multi-part requests.
    pub fn buffered(&self) -> usize {
        self.parts.buffered()
    }

    /// Unfinished multi-part requests.
    pub fn pending(&self) -> usize {
        self.parts.pending()
    }
}
