//! Fast paths that skip checks the compiler cannot see are redundant: the crate's only
//! `unsafe` code, in two parts.
//!
//! **0-packing kernels** for x86-64 CPUs with AVX2 and BMI2.
//! [`crate::pack_into`] and [`crate::unpack_into`] call [`pack`] and [`unpack`], which
//! run the kernels when [`available`] says the CPU has the features (checked at run
//! time); the portable scalar code runs otherwise. The kernels write exactly the scalar
//! code's bytes: packing is done here whole; unpacking here handles the input up to
//! what only the scalar code handles (a truncated tag or raw run, a tight size limit)
//! and returns where it stopped, and the scalar code finishes and reports every error.
//! The tests at the end compare both on arbitrary input with proptest, the `pack_simd`
//! fuzz target does the same, and Miri runs those tests
//! (`cargo +nightly miri test -p sproto-rt --lib unchecked`, with
//! `RUSTFLAGS="-C target-feature=+avx2,+bmi1,+bmi2,+popcnt"` so that Miri's CPU has the
//! features).
//!
//! How: a word's bitmap byte is one byte of `movemask(cmpeq(bytes, 0))` over 32 input
//! bytes (four words at once); BMI2's `pext` gathers a word's non-zero bytes and `pdep`
//! spreads them back, with the byte mask of the bitmap from a 256-entry table. Each
//! packed word is written as a 9-byte store (bitmap byte and eight bytes of which only
//! the non-zero ones count) and the output moves on by one plus the bitmap's popcount;
//! an unpacked word is one 8-byte store, and the next bitmap byte comes from the same
//! load.
//!
//! **ASCII strings**: [`ascii_str`] turns bytes that are all ASCII into a `&str`
//! without running the UTF-8 validator, which costs more than the rest of decoding a
//! short string (`std::str::from_utf8` walks short inputs byte by byte).
//!
//! # Invariants (what makes the `unsafe` sound)
//!
//! 1. The kernels are `#[target_feature]` functions: they are only called (by [`pack`]
//!    and [`unpack`]) after [`available`] returned true on this CPU.
//! 2. Reads: a 32-byte load at `i` only when `i + 32 <= src.len()`; an 8-byte load at
//!    `i` only when `i + 8 <= src.len()`; the last, partial word is copied into a local
//!    zero-padded word.
//! 3. Writes go to the spare capacity of `out`, reserved before: packing reserves
//!    `pack_bound(words)` bytes, where the output of any prefix of `k` words is at most
//!    `9k + 2` bytes (a word is at most 9 bytes — bitmap and 8 bytes — and a raw run of
//!    `n` words, `2 + 8n` bytes, follows a word of at most 6, or starts the stream), so
//!    the 9-byte store of word `k` ends within `9(k + 1) + 2`, and `SLACK` covers the
//!    rest; unpacking reserves, per chunk, 8 bytes per input byte of the chunk (a bitmap
//!    byte is at most one 8-byte word, and a raw run writes fewer bytes than it reads)
//!    plus the largest raw run (for the part of one that crosses the chunk's end).
//! 4. `set_len` only covers written bytes: every byte below the write position was
//!    written (a packed word's store covers its `1 + popcount` bytes; a run writes its
//!    2 header bytes and `8n` bytes, zero-padded past the input; an unpacked word is 8
//!    bytes), and the length is set before anything else touches `out`.
//! 5. `from_utf8_unchecked` only gets bytes that [`is_ascii`] accepted (every byte below
//!    0x80, as `<[u8]>::is_ascii`, which the tests compare it with): ASCII is UTF-8.
#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_setzero_si256,
    _pdep_u64, _pext_u64,
};
#[cfg(target_arch = "x86_64")]
use std::ptr;

/// `bytes` as text when they are all ASCII; `None` otherwise (then UTF-8 validation
/// decides).
#[inline(always)]
pub(crate) fn ascii_str(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: invariant 5 — ASCII bytes are UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        None
    }
}

/// Whether every byte is below 0x80: `<[u8]>::is_ascii`, without its byte-by-byte
/// loop for short inputs (message strings are mostly 1 to 16 bytes). Safe code; it
/// guards the `unsafe` of [`ascii_str`] (invariant 5), so a test compares it with
/// `is_ascii` on every length up to 40 and on arbitrary bytes.
#[inline(always)]
fn is_ascii(b: &[u8]) -> bool {
    const HIGH8: u64 = 0x8080_8080_8080_8080;
    const HIGH4: u32 = 0x8080_8080;
    match b.len() {
        // Two overlapping words cover 8 to 16 bytes.
        8..=16 => match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
            (Some(x), Some(y)) => (u64::from_le_bytes(*x) | u64::from_le_bytes(*y)) & HIGH8 == 0,
            _ => b.is_ascii(),
        },
        4..=7 => match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
            (Some(x), Some(y)) => (u32::from_le_bytes(*x) | u32::from_le_bytes(*y)) & HIGH4 == 0,
            _ => b.is_ascii(),
        },
        // The first, middle and last byte are all of 1 to 3 bytes.
        1..=3 => (b[0] | b[b.len() / 2] | b[b.len() - 1]) & 0x80 == 0,
        0 => true,
        _ => b.is_ascii(),
    }
}

/// Whether the CPU runs the packing kernels (x86-64 with AVX2, BMI1/2, POPCNT),
/// checked once.
#[inline]
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::atomic::{AtomicU8, Ordering};
        // 0: not checked yet, 1: no, 2: yes.
        static AVAILABLE: AtomicU8 = AtomicU8::new(0);
        match AVAILABLE.load(Ordering::Relaxed) {
            2 => true,
            1 => false,
            _ => {
                let yes = is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("bmi1")
                    && is_x86_feature_detected!("bmi2")
                    && is_x86_feature_detected!("popcnt");
                AVAILABLE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
                yes
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Packs `src` onto `out` with the kernel when the CPU runs it; false (and `out`
/// untouched) when it does not.
#[inline]
pub(crate) fn pack(src: &[u8], out: &mut Vec<u8>) -> bool {
    if !available() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has the kernel's features (checked just above: invariant 1).
    unsafe {
        pack_into(src, out)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (src, out);
    true
}

/// Unpacks the bulk of `src` onto `out` with the kernel when the CPU runs it; returns
/// the input index where the scalar code takes over (0 when the CPU does not).
#[inline]
pub(crate) fn unpack(src: &[u8], out: &mut Vec<u8>, start: usize, limit: usize) -> usize {
    if !available() {
        return 0;
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the CPU has the kernel's features (checked just above: invariant 1).
    unsafe {
        unpack_into(src, out, start, limit)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (src, out, start, limit);
        0
    }
}

#[cfg(target_arch = "x86_64")]
/// For each bitmap byte, the byte mask it selects: byte `k` is `ff` when bit `k` is set.
static BYTE_MASKS: [u64; 256] = byte_masks();

const fn byte_masks() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut tag = 0;
    while tag < 256 {
        let mut k = 0;
        while k < 8 {
            if tag & (1 << k) != 0 {
                t[tag] |= 0xff << (8 * k);
            }
            k += 1;
        }
        tag += 1;
    }
    t
}

#[cfg(target_arch = "x86_64")]
/// Extra capacity so that the last fixed-size store never needs a bound of its own.
const SLACK: usize = 16;

#[cfg(target_arch = "x86_64")]
/// Room packing `words` words may use (invariant 3).
const fn pack_bound(words: usize) -> usize {
    words * 9 + 2 + SLACK
}

#[cfg(target_arch = "x86_64")]
/// Appends the packed form of `src` to `out`, byte-exact with the scalar
/// [`crate::pack::pack_into_scalar`].
///
/// # Safety
/// The CPU must have AVX2, BMI1, BMI2 and POPCNT ([`available`]).
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
unsafe fn pack_into(src: &[u8], out: &mut Vec<u8>) {
    let n = src.len();
    let words = n.div_ceil(8);
    out.reserve(pack_bound(words));
    let len0 = out.len();
    // SAFETY (whole function): `dst` has `pack_bound(words)` writable bytes (reserved
    // above, invariant 3); reads follow invariant 2.
    let dst = unsafe { out.as_mut_ptr().add(len0) };
    let sp = src.as_ptr();
    let mut o = 0usize; // bytes written at `dst`
    let mut run_start = 0usize; // input index of the open raw run's first word
    let mut run_words = 0usize;

    // A raw run: `ff`, the word count - 1, the words (zero-padded past the input).
    // Runs are short: their words are copied one 8-byte load and store at a time.
    macro_rules! flush_run {
        () => {{
            debug_assert!(o + 2 + run_words * 8 <= pack_bound(words));
            unsafe {
                *dst.add(o) = 0xff;
                *dst.add(o + 1) = (run_words - 1) as u8;
            }
            for k in 0..run_words {
                let w = word_at(src, run_start + 8 * k);
                unsafe { ptr::write_unaligned(dst.add(o + 2 + 8 * k).cast::<u64>(), w.to_le()) };
            }
            o += 2 + run_words * 8;
        }};
    }
    // One word at input index `$i` with bitmap `$tag`, through the run rules.
    macro_rules! word {
        ($tag:expr, $w:expr, $i:expr) => {{
            let tag: u8 = $tag;
            let count = tag.count_ones();
            if tag == 0xff || (run_words > 0 && count >= 6) {
                if run_words == 0 {
                    run_start = $i;
                }
                run_words += 1;
                if run_words == 256 {
                    flush_run!();
                    run_words = 0;
                }
            } else {
                if run_words > 0 {
                    flush_run!();
                    run_words = 0;
                }
                debug_assert!(o + 9 <= pack_bound(words));
                let packed = _pext_u64($w, BYTE_MASKS[usize::from(tag)]);
                unsafe {
                    *dst.add(o) = tag;
                    ptr::write_unaligned(dst.add(o + 1).cast::<u64>(), packed.to_le());
                }
                o += 1 + count as usize;
            }
        }};
    }

    let zero = _mm256_setzero_si256();
    let mut i = 0;
    while i + 32 <= n {
        let v = unsafe { _mm256_loadu_si256(sp.add(i).cast::<__m256i>()) };
        // Byte j of `tags` is word j's bitmap.
        let tags = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) as u32);
        let w = |j: usize| u64::from_le(unsafe { ptr::read_unaligned(sp.add(i + 8 * j).cast()) });
        // Any `ff` bitmap byte (a dense word)?
        let dense = (!tags).wrapping_sub(0x0101_0101) & tags & 0x8080_8080 != 0;
        if run_words == 0 && !dense {
            // The common case: four words, no raw run.
            for j in 0..4 {
                let tag = (tags >> (8 * j)) as u8;
                debug_assert!(o + 9 <= pack_bound(words));
                let packed = _pext_u64(w(j), BYTE_MASKS[usize::from(tag)]);
                unsafe {
                    *dst.add(o) = tag;
                    ptr::write_unaligned(dst.add(o + 1).cast::<u64>(), packed.to_le());
                }
                o += 1 + tag.count_ones() as usize;
            }
        } else {
            for j in 0..4 {
                word!((tags >> (8 * j)) as u8, w(j), i + 8 * j);
            }
        }
        i += 32;
    }
    while i < n {
        let w = word_at(src, i);
        // Bit k of the bitmap: byte k is not zero (gathered by one multiply).
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        let nonzero = ((((w & LOW7) + LOW7) | w) & !LOW7) >> 7;
        let tag = (nonzero.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8;
        word!(tag, w, i);
        i += 8;
    }
    if run_words > 0 {
        flush_run!();
    }
    debug_assert!(o <= pack_bound(words));
    // SAFETY: invariant 4 — bytes `len0..len0 + o` were all written above.
    unsafe { out.set_len(len0 + o) };
}

#[cfg(target_arch = "x86_64")]
/// The 8-byte word at input index `i` (`i < src.len()`), zero-padded past the end,
/// little-endian.
#[inline(always)]
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

#[cfg(target_arch = "x86_64")]
/// Input bytes unpacked per chunk (the output reserved for one is 8 times that).
const CHUNK: usize = 1024;

#[cfg(target_arch = "x86_64")]
/// Unpacks `src` onto `out`, byte-exact with the scalar code, and returns the input
/// index where it stopped: at the end, or where the scalar code must take over — a tag
/// that promises more bytes than remain, a raw run that does not fit the input, or a
/// chunk that could pass `limit` (`out` may grow by at most `limit` bytes past
/// `start`). The scalar code reports the errors.
///
/// # Safety
/// The CPU must have BMI1, BMI2 and POPCNT ([`available`]).
#[target_feature(enable = "bmi1,bmi2,popcnt")]
unsafe fn unpack_into(src: &[u8], out: &mut Vec<u8>, start: usize, limit: usize) -> usize {
    let n = src.len();
    let sp = src.as_ptr();
    let mut i = 0;
    while i < n {
        let chunk_end = (i + CHUNK).min(n);
        // Invariant 3: a bitmap byte of the chunk writes 8 bytes; a raw run writes
        // fewer bytes than it reads, except for the part of one past `chunk_end`.
        let room = (chunk_end - i) * 8 + RUN_MAX;
        if out.len() - start + room > limit {
            break;
        }
        out.reserve(room);
        let len0 = out.len();
        // SAFETY: `room` bytes are reserved (invariant 3).
        let dst = unsafe { out.as_mut_ptr().add(len0) };
        let mut o = 0;
        let mut at = i;
        // Words whose 8 following bytes are readable (`at + 9 <= n`): one load, one
        // `pdep`, one store. A word that is not a raw run has at most 7 bytes, so the
        // next bitmap byte is one of the 8 loaded: taking it from there keeps a load
        // off the chain from one word's position to the next.
        let fast_end = chunk_end.min(n.saturating_sub(8));
        'words: while at < fast_end {
            let mut tag = src[at];
            while tag != 0xff {
                // SAFETY: `at + 9 <= n` (invariant 2).
                let w = u64::from_le(unsafe { ptr::read_unaligned(sp.add(at + 1).cast::<u64>()) });
                let word = _pdep_u64(w, BYTE_MASKS[usize::from(tag)]);
                debug_assert!(o + 8 <= room);
                unsafe { ptr::write_unaligned(dst.add(o).cast::<u64>(), word.to_le()) };
                o += 8;
                let count = tag.count_ones();
                at += 1 + count as usize;
                if at >= fast_end {
                    break 'words;
                }
                // `count <= 7`: the next bitmap byte is byte `count` of `w`.
                tag = (w >> (8 * count)) as u8;
            }
            // A raw run: `ff n` and n + 1 words as they are.
            let len = (usize::from(src[at + 1]) + 1) * 8;
            if at + 2 + len > n {
                break; // the scalar code reports it
            }
            debug_assert!(o + len <= room);
            // SAFETY: the run is in `src` (checked above) and fits `room`. Short runs
            // (the usual) are copied a word at a time.
            if len <= 32 {
                for k in (0..len).step_by(8) {
                    unsafe {
                        let w = ptr::read_unaligned(sp.add(at + 2 + k).cast::<u64>());
                        ptr::write_unaligned(dst.add(o + k).cast::<u64>(), w);
                    }
                }
            } else {
                unsafe { ptr::copy_nonoverlapping(sp.add(at + 2), dst.add(o), len) };
            }
            o += len;
            at += 2 + len;
        }
        // The last words, read byte by byte.
        while at < chunk_end && at >= fast_end {
            let tag = src[at];
            let count = tag.count_ones() as usize;
            if tag == 0xff || at + 1 + count > n {
                break;
            }
            let mut w = 0u64;
            for (k, &b) in src[at + 1..at + 1 + count].iter().enumerate() {
                w |= u64::from(b) << (8 * k);
            }
            let word = _pdep_u64(w, BYTE_MASKS[usize::from(tag)]);
            debug_assert!(o + 8 <= room);
            unsafe { ptr::write_unaligned(dst.add(o).cast::<u64>(), word.to_le()) };
            o += 8;
            at += 1 + count;
        }
        // SAFETY: invariant 4 — the chunk's `o` bytes were written.
        unsafe { out.set_len(len0 + o) };
        if at < chunk_end {
            return at; // a run or tag past the end, or a run in the last 9 bytes
        }
        i = at;
    }
    i
}

#[cfg(target_arch = "x86_64")]
/// The most bytes a raw run writes (256 words).
const RUN_MAX: usize = 256 * 8;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::pack::{pack_into_scalar, unpack_scalar};

    #[test]
    fn ascii_fast_path() {
        assert_eq!(super::ascii_str(b"Alice"), Some("Alice"));
        assert_eq!(super::ascii_str(b""), Some(""));
        assert_eq!(super::ascii_str("é".as_bytes()), None);
        assert_eq!(super::ascii_str(&[0x80]), None);
    }

    #[test]
    fn ascii_check_is_is_ascii_at_every_length() {
        for n in 0..=40 {
            let base: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(super::is_ascii(&base), "{n}");
            for i in 0..n {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut b = base.clone();
                    b[i] = high;
                    assert!(!super::is_ascii(&b), "{n} {i}");
                    assert_eq!(super::ascii_str(&b), None);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn ascii_check_matches_std(b in proptest::collection::vec(prop_oneof![0u8..0x80, any::<u8>()], 0..48)) {
            prop_assert_eq!(super::is_ascii(&b), b.is_ascii());
        }
    }

    /// Inputs shaped like sproto messages: runs of zeros, dense runs, sparse bytes.
    fn shaped() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            proptest::collection::vec(Just(0u8), 0..20),
            proptest::collection::vec(1u8..=255, 0..80),
            proptest::collection::vec(any::<u8>(), 0..40),
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xffu8), Just(1u8)], 0..40),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    /// 512 cases; a few under Miri (which interprets every instruction), without
    /// failure files (Miri isolates the file system).
    fn config() -> ProptestConfig {
        if cfg!(miri) {
            ProptestConfig {
                cases: 6,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        } else {
            ProptestConfig::with_cases(512)
        }
    }

    fn pack_both(src: &[u8], prefix: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut a = prefix.to_vec();
        pack_into_scalar(src, &mut a);
        let mut b = prefix.to_vec();
        assert!(super::pack(src, &mut b));
        (a, b)
    }

    fn unpack_both(
        src: &[u8],
        prefix: &[u8],
        limit: usize,
    ) -> (Result<Vec<u8>, String>, Result<Vec<u8>, String>) {
        let run = |simd: bool| {
            let mut out = prefix.to_vec();
            let start = out.len();
            let from = if simd {
                super::unpack(src, &mut out, start, limit)
            } else {
                0
            };
            unpack_scalar(src, from, &mut out, start, limit)
                .map(|()| out)
                .map_err(|e| e.to_string())
        };
        (run(false), run(true))
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn pack_matches_scalar(src in prop_oneof![shaped(), proptest::collection::vec(any::<u8>(), 0..300)],
                               prefix in proptest::collection::vec(any::<u8>(), 0..3)) {
            if super::available() {
                let (a, b) = pack_both(&src, &prefix);
                prop_assert_eq!(a, b);
            }
        }

        #[test]
        fn unpack_matches_scalar(src in prop_oneof![shaped(), proptest::collection::vec(any::<u8>(), 0..300)],
                                 packed in any::<bool>(),
                                 cut in any::<prop::sample::Index>(),
                                 limit in prop_oneof![Just(usize::MAX), 0usize..4000]) {
            if super::available() {
                // Packed data (valid, then cut anywhere) and arbitrary bytes.
                let mut input = src.clone();
                if packed {
                    input = crate::pack(&src);
                    input.truncate(cut.index(input.len() + 1));
                }
                let (a, b) = unpack_both(&input, &[7], limit);
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn long_raw_runs_and_every_bitmap() {
        if !super::available() {
            return;
        }
        // 300 dense words (two raw runs, the first of 256 words), then every bitmap.
        let mut src = vec![0x5au8; 300 * 8];
        for tag in 0..=255u8 {
            for k in 0..8 {
                src.push(if tag & (1 << k) != 0 { k + 1 } else { 0 });
            }
        }
        src.extend_from_slice(&[1, 2, 3]);
        let (a, b) = pack_both(&src, &[]);
        assert_eq!(a, b);
        let (a, b) = unpack_both(&a, &[], usize::MAX);
        assert_eq!(a, b);
    }
}
