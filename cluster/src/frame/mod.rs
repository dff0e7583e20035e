//! The skynet cluster wire format as pure functions over bytes (no sockets, no
//! clock): frame bodies ([`RequestFrame`], [`ResponseFrame`]), the split of large
//! messages into parts with the reference's asymmetric thresholds ([`encode_request`],
//! [`encode_response`]), and the 2-byte length prefix ([`take_frame`]).
//!
//! A connection is a stream of frames: a big-endian `u16` body length, then the body.
//! Integers inside bodies are little-endian `u32`. Requests flow client → server,
//! responses server → client; there is no handshake.
//!
//! ```
//! use bytes::BytesMut;
//! use skynet_cluster::frame::{encode_request, take_frame, RequestFrame, WireAddress};
//! use skynet_cluster::AddrRef;
//!
//! // cluster.call(node, "@sdb", "GET", "k1") with session 1
//! let payload = skynet_cluster::to_args(&("GET", "k1"))?;
//! let mut wire = BytesMut::new();
//! encode_request(&mut wire, AddrRef::Name(b"@sdb"), 1, false, &payload)?;
//! assert_eq!(wire[..], b"\x00\x11\x80\x04@sdb\x01\x00\x00\x00\x1cGET\x14k1"[..]);
//!
//! let body = take_frame(&mut wire).expect("a whole frame");
//! let frame = RequestFrame::decode(body.freeze())?;
//! assert!(matches!(frame, RequestFrame::Request { session: 1, address: WireAddress::Name(_), .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod request;
mod response;
mod split;

pub use request::{ty, RequestFrame, WireAddress};
pub use response::{rty, ResponseFrame};
pub use split::{
    check_request, consumes_session, encode_error, encode_request, encode_response, encode_trace,
    encoded_request_len, encoded_response_len, is_multipart_request, is_multipart_response,
    MAX_ERROR_TEXT,
};

use bytes::{Buf, BytesMut};

/// The part size of multi-part messages (32 KiB). A request or push payload of
/// `PART_SIZE` bytes or more is split; a response payload only when it is larger.
pub const PART_SIZE: usize = 0x8000;

/// The largest frame body the 2-byte length prefix can announce.
pub const MAX_BODY: usize = 0xffff;

/// Splits the next whole frame off the front of `buf` and returns its body (the
/// length prefix removed), or `None` while the frame is incomplete. Never allocates:
/// the body shares `buf`'s memory.
///
/// ```
/// let mut buf = bytes::BytesMut::from(&b"\x00\x02hi\x00"[..]);
/// assert_eq!(&skynet_cluster::frame::take_frame(&mut buf).unwrap()[..], b"hi");
/// assert!(skynet_cluster::frame::take_frame(&mut buf).is_none());
/// assert_eq!(&buf[..], b"\x00");
/// ```
#[inline]
pub fn take_frame(buf: &mut BytesMut) -> Option<BytesMut> {
    let len = frame_body_len(buf)?;
    if buf.len() < 2 + len {
        return None;
    }
    buf.advance(2);
    Some(buf.split_to(len))
}

/// Like [`take_frame`] over a slice: the body of the first whole frame and the bytes
/// after it, or `None` while incomplete.
///
/// ```
/// let (body, rest) = skynet_cluster::frame::split_frame(b"\x00\x01a\x00\x00").unwrap();
/// assert_eq!((body, rest), (&b"a"[..], &b"\x00\x00"[..]));
/// ```
#[inline]
pub fn split_frame(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = frame_body_len(buf)?;
    let rest = buf.get(2..)?;
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

/// The body length announced by the first two bytes of `buf`, if present.
#[inline]
pub fn frame_body_len(buf: &[u8]) -> Option<usize> {
    match buf {
        [hi, lo, ..] => Some(usize::from(u16::from_be_bytes([*hi, *lo]))),
        _ => None,
    }
}

/// Reads a little-endian `u32` at `at`; the caller has checked the length.
#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}
