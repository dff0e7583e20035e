//! 0-packing (`sproto.pack` / `sproto.unpack`): zero bytes squeezed out of 8-byte
//! words, runs of dense words copied raw after an `ff n` tag.

use crate::error::{DecodeError, DecodeErrorKind};

/// Packs `src`, byte-exact with the reference's `sproto_pack`.
///
/// Each 8-byte word (the last one zero-padded) becomes a bitmap byte of its non-zero
/// bytes followed by them; a word with 8 non-zero bytes starts a raw run `ff n` of
/// `n + 1` words copied as they are, which words with 6 or 7 non-zero bytes extend;
/// a run holds at most 256 words.
///
/// ```
/// // The example of the sproto README.
/// let data = [8, 0, 0, 0, 3, 0, 2, 0, 0x19, 0, 0, 0, 0xaa, 1, 0, 0];
/// assert_eq!(sproto_rt::pack(&data), [0x51, 8, 3, 2, 0x31, 0x19, 0xaa, 1]);
/// ```
pub fn pack(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + src.len() / 8 + 2);
    pack_into(src, &mut out);
    out
}

/// Appends the packed form of `src` to `out`.
///
/// On x86-64 CPUs with AVX2 and BMI2 (checked at run time) this runs SIMD kernels that
/// write the same bytes; elsewhere, portable code.
#[inline]
pub fn pack_into(src: &[u8], out: &mut Vec<u8>) {
    if crate::unchecked::pack(src, out) {
        return;
    }
    pack_into_scalar(src, out);
}

/// The portable [`pack_into`] (and the reference the SIMD kernel is tested against).
pub(crate) fn pack_into_scalar(src: &[u8], out: &mut Vec<u8>) {
    pack_into_portable(src, out)
}

/// [`pack_into`] without the SIMD kernel: the reference the kernel is tested and fuzzed
/// against.
#[doc(hidden)]
pub fn pack_into_portable(src: &[u8], out: &mut Vec<u8>) {
    let mut run_start = 0; // index in `src` of the first word of the open run
    let mut run_words = 0usize;
    let flush_run = |out: &mut Vec<u8>, start: usize, words: usize| {
        out.push(0xff);
        out.push((words - 1) as u8);
        let end = (start + words * 8).min(src.len());
        out.extend_from_slice(&src[start..end]);
        out.resize(out.len() + (start + words * 8 - end), 0);
    };
    let mut i = 0;
    while i < src.len() {
        let word = word_at(src, i);
        let nonzero = (nonzero_bytes(word) >> 7) & 0x0101_0101_0101_0101;
        // Sum of the per-byte flags, gathered in the top byte (no popcnt needed).
        let count = nonzero.wrapping_mul(0x0101_0101_0101_0101) >> 56;
        if count == 8 || (run_words > 0 && count >= 6) {
            if run_words == 0 {
                run_start = i;
            }
            run_words += 1;
            if run_words == 256 {
                flush_run(out, run_start, run_words);
                run_words = 0;
            }
        } else {
            if run_words > 0 {
                flush_run(out, run_start, run_words);
                run_words = 0;
            }
            // The bitmap byte (bit k set when byte k is non-zero), then the non-zero
            // bytes, compacted branch-free on the stack and appended with a
            // fixed-size copy (cheaper than a variable-length one of 1..=9 bytes).
            if count == 0 {
                out.push(0);
                i += 8;
                continue;
            }
            // (16 bytes with `n & 15` so that indexing needs no bounds check.)
            let mut seg = [0u8; 16];
            seg[0] = (nonzero.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8;
            let mut n = 1;
            for b in word.to_le_bytes() {
                seg[n & 15] = b;
                n += usize::from(b != 0);
            }
            out.extend_from_slice(&seg[..9]);
            out.truncate(out.len() - (9 - n));
        }
        i += 8;
    }
    if run_words > 0 {
        flush_run(out, run_start, run_words);
    }
}

/// Unpacks a packed stream (`sproto_unpack`). The result is a whole number of 8-byte
/// words: the original bytes followed by zero padding.
///
/// Fails when a tag promises more bytes than remain. The output is at most 8 times the
/// input, so a hostile stream cannot make it allocate more than that.
///
/// ```
/// let packed = [0x51, 8, 3, 2, 0x31, 0x19, 0xaa, 1];
/// let data = sproto_rt::unpack(&packed).unwrap();
/// assert_eq!(data, [8, 0, 0, 0, 3, 0, 2, 0, 0x19, 0, 0, 0, 0xaa, 1, 0, 0]);
/// assert!(sproto_rt::unpack(&[0xff, 0]).is_err());
/// ```
pub fn unpack(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
    unpack_limited(src, usize::MAX)
}

/// [`unpack`] with a limit on the unpacked size.
pub fn unpack_limited(src: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(src.len().saturating_mul(2).min(limit).min(1 << 20));
    unpack_into(src, &mut out, limit)?;
    Ok(out)
}

/// Appends the unpacked form of `src` to `out`, failing if it would grow by more than
/// `limit` bytes.
///
/// On x86-64 CPUs with BMI2 (checked at run time) a SIMD kernel unpacks the bulk of the
/// input; the portable code finishes, and reports every error.
#[inline]
pub fn unpack_into(src: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), DecodeError> {
    let start = out.len();
    let from = crate::unchecked::unpack(src, out, start, limit);
    if from == src.len() {
        return Ok(());
    }
    unpack_scalar(src, from, out, start, limit)
}

/// [`unpack_into`] without the SIMD kernel: the reference the kernel is tested and
/// fuzzed against.
#[doc(hidden)]
pub fn unpack_into_portable(
    src: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), DecodeError> {
    let start = out.len();
    unpack_scalar(src, 0, out, start, limit)
}

/// The portable unpacker, from input index `from` (offsets in errors are indices of
/// `src`), growing `out` by at most `limit` bytes past its length `start` at the call
/// of [`unpack_into`].
pub(crate) fn unpack_scalar(
    src: &[u8],
    from: usize,
    out: &mut Vec<u8>,
    start: usize,
    limit: usize,
) -> Result<(), DecodeError> {
    let mut i = from;
    while i < src.len() {
        let tag = src[i];
        let tag_at = i;
        i += 1;
        if tag == 0xff {
            let Some(&count) = src.get(i) else {
                return Err(DecodeError::new(
                    tag_at,
                    DecodeErrorKind::Unpack("ff tag without a word count"),
                ));
            };
            i += 1;
            let n = (usize::from(count) + 1) * 8;
            let Some(words) = src.get(i..i + n) else {
                return Err(DecodeError::new(
                    tag_at,
                    DecodeErrorKind::Unpack("raw run longer than the input"),
                ));
            };
            grow_check(out.len() - start + n, limit)?;
            out.extend_from_slice(words);
            i += n;
        } else {
            let need = tag.count_ones() as usize;
            if src.len() - i < need {
                return Err(DecodeError::new(
                    tag_at,
                    DecodeErrorKind::Unpack("tag promises more bytes than remain"),
                ));
            }
            grow_check(out.len() - start + 8, limit)?;
            let mut word = [0u8; 8];
            let mut bits = tag;
            while bits != 0 {
                word[bits.trailing_zeros() as usize] = src[i];
                i += 1;
                bits &= bits - 1;
            }
            out.extend_from_slice(&word);
        }
    }
    Ok(())
}

/// The 8-byte word at `i` (zero-padded past the end), little-endian.
#[inline]
fn word_at(src: &[u8], i: usize) -> u64 {
    match src.get(i..i + 8) {
        Some(w) => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        None => {
            let mut w = [0u8; 8];
            let rest = &src[i..];
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// The high bit of each byte of the result is set when that byte of `w` is non-zero.
#[inline]
fn nonzero_bytes(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    (((w & LOW7) + LOW7) | w) & !LOW7
}

fn grow_check(size: usize, limit: usize) -> Result<(), DecodeError> {
    if size > limit {
        Err(DecodeError::new(0, DecodeErrorKind::TooLarge { limit }))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_limit_stops_expansion() {
        // 100 zero-word tags expand to 800 bytes: over a 512-byte limit.
        let packed = vec![0u8; 100];
        assert_eq!(unpack(&packed).map(|v| v.len()), Ok(800));
        let err = unpack_limited(&packed, 512).unwrap_err();
        assert!(matches!(
            err.kind(),
            DecodeErrorKind::TooLarge { limit: 512 }
        ));
        // A raw run is checked before it is copied.
        let mut run = vec![0xff, 3];
        run.extend_from_slice(&[7u8; 32]);
        assert!(unpack_limited(&run, 31).is_err());
        assert_eq!(unpack_limited(&run, 32).map(|v| v.len()), Ok(32));
    }

    #[test]
    fn truncated_streams_are_refused_with_their_offset() {
        let err = unpack(&[0x00, 0x03, 0x01]).unwrap_err();
        assert_eq!(err.offset(), 1);
        assert!(unpack(&[0xff]).is_err());
        assert!(unpack(&[0xff, 0x00, 1, 2, 3]).is_err());
    }
}
