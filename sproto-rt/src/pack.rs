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
pub fn pack_into(src: &[u8], out: &mut Vec<u8>) {
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
        let mut word = [0u8; 8];
        let n = (src.len() - i).min(8);
        word[..n].copy_from_slice(&src[i..i + n]);
        let nonzero = word.iter().filter(|&&b| b != 0).count();
        if nonzero == 8 || (run_words > 0 && nonzero >= 6) {
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
            let mut mask = 0u8;
            let at = out.len();
            out.push(0);
            for (bit, &b) in word.iter().enumerate() {
                if b != 0 {
                    mask |= 1 << bit;
                    out.push(b);
                }
            }
            out[at] = mask;
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
pub fn unpack_into(src: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), DecodeError> {
    let start = out.len();
    let mut i = 0;
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
            for bit in 0..8 {
                if tag & (1 << bit) != 0 {
                    out.push(src[i]);
                    i += 1;
                } else {
                    out.push(0);
                }
            }
        }
    }
    Ok(())
}

fn grow_check(size: usize, limit: usize) -> Result<(), DecodeError> {
    if size > limit {
        Err(DecodeError::new(0, DecodeErrorKind::TooLarge { limit }))
    } else {
        Ok(())
    }
}
