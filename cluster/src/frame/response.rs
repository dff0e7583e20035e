//! Response frame bodies (server → client): error, ok, and the three kinds of
//! multi-part frames.

use bytes::{BufMut, Bytes};

use super::request::{check_body, frame_len, put_len};
use super::u32_at;
use crate::error::FrameError;

/// The type bytes of response frames (the fifth byte of a body, after the session).
pub mod rty {
    /// Error reply: the rest is the error text.
    pub const ERROR: u8 = 0;
    /// Ok reply: the rest is the lua-seri payload.
    pub const OK: u8 = 1;
    /// Multi-part reply begins: a `u32` total size follows (body of exactly 9 bytes).
    pub const MULTI_BEGIN: u8 = 2;
    /// A middle part.
    pub const MULTI_PART: u8 = 3;
    /// The last part.
    pub const MULTI_END: u8 = 4;
}

/// One response frame body, decoded. Payloads share the input's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseFrame {
    /// Type 0: the call failed; raw error text (not lua-seri).
    Error {
        /// The session answered.
        session: u32,
        /// The error text.
        text: Bytes,
    },
    /// Type 1: the whole reply payload.
    Ok {
        /// The session answered.
        session: u32,
        /// The lua-seri payload.
        payload: Bytes,
    },
    /// Type 2: a multi-part reply of `total` bytes begins.
    MultiBegin {
        /// The session answered.
        session: u32,
        /// The payload size the parts add up to.
        total: u32,
    },
    /// Type 3 (middle) or 4 (last) part.
    Part {
        /// The session answered.
        session: u32,
        /// The part's bytes.
        data: Bytes,
        /// `true` for the last part (type 4).
        last: bool,
    },
}

impl ResponseFrame {
    /// Decodes one body (length prefix removed) as the reference's `unpackresponse`
    /// accepts it.
    ///
    /// # Errors
    ///
    /// [`FrameError::ShortResponse`] (under 5 bytes), [`FrameError::UnknownResponseType`]
    /// (type above 4), [`FrameError::BadMultiBegin`] (type 2 not 9 bytes long): the
    /// reference's client closes the connection on each of them.
    pub fn decode(body: Bytes) -> Result<ResponseFrame, FrameError> {
        let len = body.len();
        let Some(&t) = body.get(4) else {
            return Err(FrameError::ShortResponse(len));
        };
        let session = u32_at(&body, 0);
        Ok(match t {
            rty::ERROR => ResponseFrame::Error {
                session,
                text: body.slice(5..),
            },
            rty::OK => ResponseFrame::Ok {
                session,
                payload: body.slice(5..),
            },
            rty::MULTI_BEGIN => {
                if len != 9 {
                    return Err(FrameError::BadMultiBegin { session, len });
                }
                ResponseFrame::MultiBegin {
                    session,
                    total: u32_at(&body, 5),
                }
            }
            rty::MULTI_PART | rty::MULTI_END => ResponseFrame::Part {
                session,
                data: body.slice(5..),
                last: t == rty::MULTI_END,
            },
            other => return Err(FrameError::UnknownResponseType { session, ty: other }),
        })
    }

    /// Writes this frame, length prefix included.
    ///
    /// # Errors
    ///
    /// [`FrameError::FrameTooLong`] for a body over 65535 bytes.
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), FrameError> {
        let (session, t, rest): (u32, u8, &[u8]) = match self {
            ResponseFrame::Error { session, text } => (*session, rty::ERROR, text),
            ResponseFrame::Ok { session, payload } => (*session, rty::OK, payload),
            ResponseFrame::MultiBegin { session, total } => {
                put_len(out, 9);
                out.put_u32_le(*session);
                out.put_u8(rty::MULTI_BEGIN);
                out.put_u32_le(*total);
                return Ok(());
            }
            ResponseFrame::Part {
                session,
                data,
                last,
            } => (
                *session,
                if *last {
                    rty::MULTI_END
                } else {
                    rty::MULTI_PART
                },
                data,
            ),
        };
        put_simple(out, session, t, rest)
    }

    /// The session this frame answers.
    pub fn session(&self) -> u32 {
        match self {
            ResponseFrame::Error { session, .. }
            | ResponseFrame::Ok { session, .. }
            | ResponseFrame::MultiBegin { session, .. }
            | ResponseFrame::Part { session, .. } => *session,
        }
    }
}

/// `len | session | type | rest`.
#[inline]
pub(super) fn put_simple<B: BufMut>(
    out: &mut B,
    session: u32,
    t: u8,
    rest: &[u8],
) -> Result<(), FrameError> {
    let body = 5 + rest.len();
    check_body(body)?;
    // One `put_slice` for the header (see `put_single`).
    let mut head = [0u8; 7];
    head[..2].copy_from_slice(&frame_len(body));
    head[2..6].copy_from_slice(&session.to_le_bytes());
    head[6] = t;
    out.put_slice(&head);
    out.put_slice(rest);
    Ok(())
}
