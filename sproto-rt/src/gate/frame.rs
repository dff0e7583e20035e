//! The gate's stream framing: each package is a 2-byte big-endian length then the
//! package bytes (`string.pack(">s2", pack)` in skynet's examples, `netpack` in the
//! gate). [`FrameDecoder`] splits a byte stream into packages; [`write_frame`] frames one.

use std::fmt;

/// The largest package a 2-byte length can frame.
pub const MAX_PACKAGE: usize = u16::MAX as usize;

/// A package too large for the 2-byte length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("package of {size} bytes exceeds the gate's limit of {MAX_PACKAGE} bytes")]
pub struct PackageTooLarge {
    /// The package's size.
    pub size: usize,
}

/// Appends `package` framed (length then bytes) to `out`; refuses, writing nothing,
/// when it is over [`MAX_PACKAGE`] bytes.
///
/// ```
/// use sproto_rt::gate::write_frame;
///
/// let mut out = Vec::new();
/// write_frame(&[0x05, 0x01, 0x04], &mut out).unwrap();
/// assert_eq!(out, [0, 3, 5, 1, 4]);
/// assert!(write_frame(&vec![0; 70_000], &mut out).is_err());
/// assert_eq!(out.len(), 5);
/// ```
pub fn write_frame(package: &[u8], out: &mut Vec<u8>) -> Result<(), PackageTooLarge> {
    let len = u16::try_from(package.len()).map_err(|_| PackageTooLarge {
        size: package.len(),
    })?;
    out.reserve(2 + package.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(package);
    Ok(())
}

/// Splits a byte stream into packages. Memory is bounded by one frame (at most
/// 65537 bytes) plus what one `extend` hands it.
///
/// ```
/// use sproto_rt::gate::FrameDecoder;
///
/// let mut dec = FrameDecoder::new();
/// dec.extend(&[0, 3, 5, 1, 4, 0]);
/// assert_eq!(dec.next_package(), Some(&[5, 1, 4][..]));
/// assert_eq!(dec.next_package(), None); // half a length prefix is buffered
/// dec.extend(&[1, 9]);
/// assert_eq!(dec.next_package(), Some(&[9][..]));
/// ```
#[derive(Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    read: usize,
}

impl fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("buffered", &self.buffered())
            .finish()
    }
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, data: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(data);
    }

    /// Bytes received and not yet returned as packages.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.read
    }

    /// The next complete package, if one is buffered.
    pub fn next_package(&mut self) -> Option<&[u8]> {
        let rest = &self.buf[self.read..];
        let [hi, lo, ..] = *rest else { return None };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if rest.len() < 2 + len {
            return None;
        }
        let start = self.read + 2;
        self.read = start + len;
        Some(&self.buf[start..start + len])
    }

    /// A buffer to read into directly (its spare capacity), for shells that read into
    /// the decoder without a copy: call [`commit`](Self::commit) with the count read.
    pub fn read_buf(&mut self, want: usize) -> &mut [u8] {
        self.compact();
        let len = self.buf.len();
        self.buf.resize(len + want, 0);
        &mut self.buf[len..]
    }

    /// Keeps `n` bytes of the last [`read_buf`](Self::read_buf) (and drops the rest).
    pub fn commit(&mut self, want: usize, n: usize) {
        let len = self.buf.len() - want + n.min(want);
        self.buf.truncate(len);
    }

    /// Drops the bytes already returned.
    fn compact(&mut self) {
        if self.read == 0 {
            return;
        }
        if self.read == self.buf.len() {
            self.buf.clear();
        } else {
            self.buf.drain(..self.read);
        }
        self.read = 0;
    }
}
