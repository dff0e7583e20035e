//! Request frame bodies (client → server): single requests and pushes, multi-part
//! headers and parts, and the trace tag.

use bytes::{BufMut, Bytes};

use super::{u32_at, MAX_BODY};
use crate::address::{AddrRef, Address, MAX_NAME_LEN};
use crate::error::FrameError;

/// The type bytes of request frames (the first byte of a body).
pub mod ty {
    /// Single request or push to a numeric address.
    pub const REQUEST: u8 = 0x00;
    /// Multi-part request header, numeric address.
    pub const MULTI_REQUEST: u8 = 0x01;
    /// A middle part of a multi-part request or push.
    pub const PART: u8 = 0x02;
    /// The last part of a multi-part request or push.
    pub const LAST_PART: u8 = 0x03;
    /// Trace tag for the next request of the connection.
    pub const TRACE: u8 = 0x04;
    /// Multi-part push header, numeric address.
    pub const MULTI_PUSH: u8 = 0x41;
    /// Single request or push to a name.
    pub const NAME_REQUEST: u8 = 0x80;
    /// Multi-part request header, name.
    pub const NAME_MULTI_REQUEST: u8 = 0x81;
    /// Multi-part push header, name.
    pub const NAME_MULTI_PUSH: u8 = 0xc1;
}

/// An address as it came off the wire: a handle, or the name bytes (not necessarily
/// UTF-8; they share the frame's memory).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WireAddress {
    /// A numeric handle (`0` = name query).
    Handle(u32),
    /// Name bytes (0..=255 of them when decoded; 1..=255 to encode).
    Name(Bytes),
}

impl WireAddress {
    /// The borrowed form the encoder takes.
    pub fn as_wire(&self) -> AddrRef<'_> {
        match self {
            WireAddress::Handle(h) => AddrRef::Handle(*h),
            WireAddress::Name(n) => AddrRef::Name(n),
        }
    }

    /// The public [`Address`]; a name that is not UTF-8 is converted lossily.
    pub fn to_address(&self) -> Address {
        match self {
            WireAddress::Handle(h) => Address::Handle(*h),
            // Names are ASCII in practice: checked word by word, copied once.
            WireAddress::Name(n) => Address::Name(match sproto_rt::wire::str_from_bytes(n) {
                Some(name) => name.to_owned(),
                None => String::from_utf8_lossy(n).into_owned(),
            }),
        }
    }
}

impl From<&Address> for WireAddress {
    fn from(a: &Address) -> Self {
        match a {
            Address::Handle(h) => WireAddress::Handle(*h),
            Address::Name(n) => WireAddress::Name(Bytes::copy_from_slice(n.as_bytes())),
        }
    }
}

/// One request frame body, decoded. Payloads and names share the input's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestFrame {
    /// `0x00` / `0x80`: a whole request (session ≠ 0) or push (session 0).
    Request {
        /// Where it goes.
        address: WireAddress,
        /// The caller's session; 0 for a push.
        session: u32,
        /// The lua-seri payload.
        payload: Bytes,
    },
    /// `0x01` / `0x81` (request) or `0x41` / `0xc1` (push): a multi-part header.
    MultiBegin {
        /// Where it goes.
        address: WireAddress,
        /// The session (a multi-part push has a real, consumed session too).
        session: u32,
        /// The payload size the parts add up to.
        total: u32,
        /// `true` for a push (no reply expected).
        push: bool,
    },
    /// `0x02` (middle part) or `0x03` (last part) of a multi-part message.
    Part {
        /// The session of the multi-part header.
        session: u32,
        /// The part's bytes.
        data: Bytes,
        /// `true` for the last part (`0x03`).
        last: bool,
    },
    /// `0x04`: a trace tag for the next request of this connection.
    Trace {
        /// The tag bytes (the rest of the body).
        tag: Bytes,
    },
}

impl RequestFrame {
    /// Decodes one frame body (the length prefix already removed), as the reference's
    /// `unpackrequest` does: the same minimum lengths, extra bytes after a name
    /// header ignored.
    ///
    /// # Errors
    ///
    /// [`FrameError::Empty`] and [`FrameError::UnknownType`] (which a server drops
    /// without closing the connection), [`FrameError::Truncated`] and
    /// [`FrameError::BadMultiHeader`] for bodies too short for their type.
    pub fn decode(body: Bytes) -> Result<RequestFrame, FrameError> {
        let Some(&t) = body.first() else {
            return Err(FrameError::Empty);
        };
        let len = body.len();
        let truncated = |kind, need| FrameError::Truncated {
            kind,
            ty: t,
            len,
            need,
        };
        match t {
            ty::REQUEST => {
                if len < 9 {
                    return Err(truncated("request", 9));
                }
                Ok(RequestFrame::Request {
                    address: WireAddress::Handle(u32_at(&body, 1)),
                    session: u32_at(&body, 5),
                    payload: body.slice(9..),
                })
            }
            ty::NAME_REQUEST => {
                let namelen = name_len(&body).ok_or_else(|| truncated("named request", 2))?;
                let need = namelen + 6;
                if len < need {
                    return Err(truncated("named request", need));
                }
                Ok(RequestFrame::Request {
                    address: WireAddress::Name(body.slice(2..2 + namelen)),
                    session: u32_at(&body, 2 + namelen),
                    payload: body.slice(need..),
                })
            }
            ty::MULTI_REQUEST | ty::MULTI_PUSH => {
                if len != 13 {
                    return Err(FrameError::BadMultiHeader { ty: t, len });
                }
                Ok(RequestFrame::MultiBegin {
                    address: WireAddress::Handle(u32_at(&body, 1)),
                    session: u32_at(&body, 5),
                    total: u32_at(&body, 9),
                    push: t == ty::MULTI_PUSH,
                })
            }
            ty::NAME_MULTI_REQUEST | ty::NAME_MULTI_PUSH => {
                let namelen =
                    name_len(&body).ok_or_else(|| truncated("named multi-part header", 2))?;
                let need = namelen + 10;
                if len < need {
                    return Err(truncated("named multi-part header", need));
                }
                Ok(RequestFrame::MultiBegin {
                    address: WireAddress::Name(body.slice(2..2 + namelen)),
                    session: u32_at(&body, 2 + namelen),
                    total: u32_at(&body, 6 + namelen),
                    push: t == ty::NAME_MULTI_PUSH,
                })
            }
            ty::PART | ty::LAST_PART => {
                if len < 5 {
                    return Err(truncated("multi-part part", 5));
                }
                Ok(RequestFrame::Part {
                    session: u32_at(&body, 1),
                    data: body.slice(5..),
                    last: t == ty::LAST_PART,
                })
            }
            ty::TRACE => Ok(RequestFrame::Trace {
                tag: body.slice(1..),
            }),
            other => Err(FrameError::UnknownType(other)),
        }
    }

    /// Writes this frame, length prefix included.
    ///
    /// # Errors
    ///
    /// [`FrameError::NameLength`] for a name outside 1..=255 bytes,
    /// [`FrameError::FrameTooLong`] for a body over 65535 bytes
    /// ([`FrameError::TraceTooLong`] for a trace frame, as [`encode_trace`](super::encode_trace)).
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), FrameError> {
        match self {
            RequestFrame::Request {
                address,
                session,
                payload,
            } => put_single(out, address.as_wire(), *session, payload),
            RequestFrame::MultiBegin {
                address,
                session,
                total,
                push,
            } => put_multi_begin(out, address.as_wire(), *session, *total, *push),
            RequestFrame::Part {
                session,
                data,
                last,
            } => put_part(out, *session, data, *last),
            RequestFrame::Trace { tag } => super::encode_trace(out, tag),
        }
    }

    /// The session this frame belongs to (`None` for a trace frame).
    pub fn session(&self) -> Option<u32> {
        match self {
            RequestFrame::Request { session, .. }
            | RequestFrame::MultiBegin { session, .. }
            | RequestFrame::Part { session, .. } => Some(*session),
            RequestFrame::Trace { .. } => None,
        }
    }
}

/// The one-byte name length of a `0x80`/`0x81`/`0xc1` body.
#[inline]
fn name_len(body: &[u8]) -> Option<usize> {
    body.get(1).map(|&n| usize::from(n))
}

#[inline]
pub(super) fn check_body(len: usize) -> Result<(), FrameError> {
    if len > MAX_BODY {
        return Err(FrameError::FrameTooLong(len));
    }
    Ok(())
}

#[inline]
pub(super) fn put_len<B: BufMut>(out: &mut B, body: usize) {
    // Callers check `body <= MAX_BODY` first.
    out.put_u16(u16::try_from(body).unwrap_or(u16::MAX));
}

/// The 2-byte big-endian length prefix of a body of `body` bytes (checked first).
#[inline]
pub(super) fn frame_len(body: usize) -> [u8; 2] {
    u16::try_from(body).unwrap_or(u16::MAX).to_be_bytes()
}

#[inline]
pub(super) fn check_name(name: &[u8]) -> Result<u8, FrameError> {
    match u8::try_from(name.len()) {
        Ok(n) if n > 0 && name.len() <= MAX_NAME_LEN => Ok(n),
        _ => Err(FrameError::NameLength(name.len())),
    }
}

/// A `0x00` / `0x80` frame with `session` written as given.
#[inline]
pub(super) fn put_single<B: BufMut>(
    out: &mut B,
    address: AddrRef<'_>,
    session: u32,
    payload: &[u8],
) -> Result<(), FrameError> {
    // The header is assembled on the stack and written with one `put_slice`: each
    // `put_*` of a `BytesMut` checks its capacity and copies on its own.
    let mut head = [0u8; 2 + 2 + MAX_NAME_LEN + 4];
    let len = match address {
        AddrRef::Handle(h) => {
            let body = 9 + payload.len();
            check_body(body)?;
            head[..2].copy_from_slice(&frame_len(body));
            head[2] = ty::REQUEST;
            head[3..7].copy_from_slice(&h.to_le_bytes());
            7
        }
        AddrRef::Name(name) => {
            let n = check_name(name)?;
            let body = 6 + name.len() + payload.len();
            check_body(body)?;
            head[..2].copy_from_slice(&frame_len(body));
            head[2] = ty::NAME_REQUEST;
            head[3] = n;
            head[4..4 + name.len()].copy_from_slice(name);
            4 + name.len()
        }
    };
    head[len..len + 4].copy_from_slice(&session.to_le_bytes());
    out.put_slice(&head[..len + 4]);
    out.put_slice(payload);
    Ok(())
}

/// A multi-part header (`0x01`/`0x41`/`0x81`/`0xc1`).
#[inline]
pub(super) fn put_multi_begin<B: BufMut>(
    out: &mut B,
    address: AddrRef<'_>,
    session: u32,
    total: u32,
    push: bool,
) -> Result<(), FrameError> {
    match address {
        AddrRef::Handle(h) => {
            put_len(out, 13);
            out.put_u8(if push {
                ty::MULTI_PUSH
            } else {
                ty::MULTI_REQUEST
            });
            out.put_u32_le(h);
        }
        AddrRef::Name(name) => {
            let n = check_name(name)?;
            put_len(out, 10 + name.len());
            out.put_u8(if push {
                ty::NAME_MULTI_PUSH
            } else {
                ty::NAME_MULTI_REQUEST
            });
            out.put_u8(n);
            out.put_slice(name);
        }
    }
    out.put_u32_le(session);
    out.put_u32_le(total);
    Ok(())
}

/// A `0x02` / `0x03` part.
#[inline]
pub(super) fn put_part<B: BufMut>(
    out: &mut B,
    session: u32,
    data: &[u8],
    last: bool,
) -> Result<(), FrameError> {
    let body = 5 + data.len();
    check_body(body)?;
    put_len(out, body);
    out.put_u8(if last { ty::LAST_PART } else { ty::PART });
    out.put_u32_le(session);
    out.put_slice(data);
    Ok(())
}
