//! Whole messages to frames: the split rules with the reference's asymmetric
//! thresholds. A request or push payload of **32768 bytes or more** becomes a header
//! and 32 KiB parts; a response payload goes multi-part only when **larger than
//! 32768** bytes.

use bytes::BufMut;

use super::request::{check_body, put_len, put_multi_begin, put_part, put_single, ty};
use super::response::{put_simple, rty};
use super::PART_SIZE;
use crate::address::AddrRef;
use crate::error::FrameError;

/// Error texts longer than this are truncated, as the reference does.
pub const MAX_ERROR_TEXT: usize = PART_SIZE;

/// `true` when a request or push payload of `len` bytes is sent in parts
/// (`len >= 32768`).
#[inline]
pub fn is_multipart_request(len: usize) -> bool {
    len >= PART_SIZE
}

/// The push-session rule, in one place: every request consumes a session; a push
/// only when it goes in parts — a single-frame push carries session 0 on the wire
/// (as the reference's sender writes it) and consumes none.
///
/// ```
/// use skynet_cluster::frame::consumes_session;
///
/// assert!(consumes_session(false, 10)); // a call
/// assert!(!consumes_session(true, 10)); // a one-frame push: session 0
/// assert!(consumes_session(true, 32768)); // a multi-part push
/// ```
#[inline]
pub fn consumes_session(push: bool, payload_len: usize) -> bool {
    !push || is_multipart_request(payload_len)
}

/// What can make [`encode_request`] (with its trace frame, if any) fail regardless
/// of the address: a payload the 32-bit size field cannot announce, a trace tag over
/// one frame. Callers that must not consume a session for a request that cannot be
/// written check this first.
///
/// # Errors
///
/// [`FrameError::PayloadTooLarge`], [`FrameError::TraceTooLong`].
///
/// ```
/// use skynet_cluster::{frame::check_request, FrameError};
///
/// assert!(check_request(100, Some(b"trace-1")).is_ok());
/// assert!(matches!(
///     check_request(100, Some(&[b't'; 65535])),
///     Err(FrameError::TraceTooLong(65535))
/// ));
/// ```
pub fn check_request(payload_len: usize, trace: Option<&[u8]>) -> Result<(), FrameError> {
    if u32::try_from(payload_len).is_err() {
        return Err(FrameError::PayloadTooLarge(payload_len));
    }
    if let Some(tag) = trace {
        check_body(1 + tag.len()).map_err(|_| FrameError::TraceTooLong(tag.len()))?;
    }
    Ok(())
}

/// `true` when a response payload of `len` bytes is sent in parts (`len > 32768`).
#[inline]
pub fn is_multipart_response(len: usize) -> bool {
    len > PART_SIZE
}

/// The number of parts of a multi-part payload (`⌈len / 32768⌉`, at least 1).
#[inline]
fn part_count(len: usize) -> usize {
    len.div_ceil(PART_SIZE).max(1)
}

/// The exact number of bytes [`encode_request`] writes for these arguments.
pub fn encoded_request_len(address: AddrRef<'_>, payload_len: usize) -> usize {
    let addr = match address {
        AddrRef::Handle(_) => 4,
        AddrRef::Name(n) => 1 + n.len(),
    };
    if is_multipart_request(payload_len) {
        // prefix + type + addr + session + total, then each part's prefix + type + session
        2 + 1 + addr + 8 + part_count(payload_len) * 7 + payload_len
    } else {
        2 + 1 + addr + 4 + payload_len
    }
}

/// The exact number of bytes [`encode_response`] writes for a payload of `len` bytes.
pub fn encoded_response_len(payload_len: usize) -> usize {
    if is_multipart_response(payload_len) {
        11 + part_count(payload_len) * 7 + payload_len
    } else {
        7 + payload_len
    }
}

/// Writes a whole request (`push == false`) or push as the reference's sender does:
/// one `0x00`/`0x80` frame when `payload` is under 32768 bytes — carrying session 0
/// for a push — else a `0x01`/`0x81` (request) or `0x41`/`0xc1` (push) header with
/// `session` and the total size, then `0x02` parts of 32768 bytes and a `0x03` last
/// part (a payload of exactly 32768 bytes is a header and one `0x03` part).
///
/// Use [`SessionCounter::next_for`](crate::SessionCounter::next_for) to pick
/// `session`: a single-frame push consumes none.
///
/// ```
/// use skynet_cluster::{frame::encode_request, AddrRef};
///
/// let mut out = Vec::new();
/// encode_request(&mut out, AddrRef::Handle(11), 0, true, b"\x1cpush")?;
/// assert_eq!(out, b"\x00\x0e\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x1cpush");
///
/// out.clear();
/// encode_request(&mut out, AddrRef::Name(b"@echo"), 1, false, &[b'c'; 32768])?;
/// assert_eq!(out.len(), 17 + 32775); // header frame, then one last part
/// # Ok::<(), skynet_cluster::FrameError>(())
/// ```
///
/// # Errors
///
/// [`FrameError::NameLength`] for a name outside 1..=255 bytes,
/// [`FrameError::PayloadTooLarge`] for a payload over `u32::MAX` bytes. Nothing is
/// written on error.
pub fn encode_request<B: BufMut>(
    out: &mut B,
    address: AddrRef<'_>,
    session: u32,
    push: bool,
    payload: &[u8],
) -> Result<(), FrameError> {
    if let AddrRef::Name(n) = address {
        super::request::check_name(n)?;
    }
    check_request(payload.len(), None)?;
    if !is_multipart_request(payload.len()) {
        let session = if consumes_session(push, payload.len()) {
            session
        } else {
            0
        };
        return put_single(out, address, session, payload);
    }
    let total =
        u32::try_from(payload.len()).map_err(|_| FrameError::PayloadTooLarge(payload.len()))?;
    put_multi_begin(out, address, session, total, push)?;
    let mut chunks = payload.chunks(PART_SIZE).peekable();
    while let Some(chunk) = chunks.next() {
        put_part(out, session, chunk, chunks.peek().is_none())?;
    }
    Ok(())
}

/// Writes an ok reply as the reference's agent does: one type-1 frame when `payload`
/// has at most 32768 bytes, else a type-2 frame with the total size, type-3 parts of
/// 32768 bytes and a type-4 last part (which may be a full 32768 bytes).
///
/// ```
/// let mut out = Vec::new();
/// skynet_cluster::frame::encode_response(&mut out, 1, b"\x14v1")?;
/// assert_eq!(out, b"\x00\x08\x01\x00\x00\x00\x01\x14v1");
/// # Ok::<(), skynet_cluster::FrameError>(())
/// ```
///
/// # Errors
///
/// [`FrameError::PayloadTooLarge`] for a payload over `u32::MAX` bytes (nothing is
/// written).
pub fn encode_response<B: BufMut>(
    out: &mut B,
    session: u32,
    payload: &[u8],
) -> Result<(), FrameError> {
    if !is_multipart_response(payload.len()) {
        return put_simple(out, session, rty::OK, payload);
    }
    let total =
        u32::try_from(payload.len()).map_err(|_| FrameError::PayloadTooLarge(payload.len()))?;
    put_len(out, 9);
    out.put_u32_le(session);
    out.put_u8(rty::MULTI_BEGIN);
    out.put_u32_le(total);
    let mut chunks = payload.chunks(PART_SIZE).peekable();
    while let Some(chunk) = chunks.next() {
        let t = if chunks.peek().is_none() {
            rty::MULTI_END
        } else {
            rty::MULTI_PART
        };
        put_simple(out, session, t, chunk)?;
    }
    Ok(())
}

/// Writes an error reply (type 0) with `text`, truncated to 32768 bytes as the
/// reference does.
///
/// ```
/// let mut out = Vec::new();
/// skynet_cluster::frame::encode_error(&mut out, 1, b"name not found");
/// assert_eq!(out, b"\x00\x13\x01\x00\x00\x00\x00name not found");
/// ```
pub fn encode_error<B: BufMut>(out: &mut B, session: u32, text: &[u8]) {
    let text = text.get(..MAX_ERROR_TEXT).unwrap_or(text);
    // 5 + 32768 bytes always fit a frame.
    let _ = put_simple(out, session, rty::ERROR, text);
}

/// Writes a trace frame (`0x04`): `tag` applies to the next request written on the
/// same connection.
///
/// # Errors
///
/// [`FrameError::TraceTooLong`] for a tag over 65534 bytes.
pub fn encode_trace<B: BufMut>(out: &mut B, tag: &[u8]) -> Result<(), FrameError> {
    check_request(0, Some(tag))?;
    put_len(out, 1 + tag.len());
    out.put_u8(ty::TRACE);
    out.put_slice(tag);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_encoders() {
        for len in [0, 1, 32767, 32768, 32769, 65535, 65536, 65537, 100_003] {
            let payload = vec![7u8; len];
            for addr in [AddrRef::Handle(3), AddrRef::Name(b"@echo")] {
                for push in [false, true] {
                    let mut out = Vec::new();
                    encode_request(&mut out, addr, 5, push, &payload).unwrap();
                    assert_eq!(out.len(), encoded_request_len(addr, len), "{len}");
                }
            }
            let mut out = Vec::new();
            encode_response(&mut out, 5, &payload).unwrap();
            assert_eq!(out.len(), encoded_response_len(len), "{len}");
        }
    }

    #[test]
    fn bad_names_write_nothing() {
        let mut out = Vec::new();
        assert_eq!(
            encode_request(&mut out, AddrRef::Name(b""), 1, false, b"x"),
            Err(FrameError::NameLength(0))
        );
        let long = vec![b'a'; 256];
        assert_eq!(
            encode_request(&mut out, AddrRef::Name(&long), 1, false, &[0; 40000]),
            Err(FrameError::NameLength(256))
        );
        assert!(out.is_empty());
    }

    #[test]
    fn error_text_truncated() {
        let mut out = Vec::new();
        encode_error(&mut out, 9, &vec![b'e'; 40000]);
        assert_eq!(out.len(), 7 + 32768);
        assert_eq!(&out[..2], &[0x80, 0x05]);
    }

    #[test]
    fn trace_limits() {
        let mut out = Vec::new();
        assert!(encode_trace(&mut out, &vec![b't'; 65534]).is_ok());
        assert_eq!(
            encode_trace(&mut out, &vec![b't'; 65535]),
            Err(FrameError::TraceTooLong(65535))
        );
    }
}
