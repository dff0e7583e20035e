//! `pack_simd`: the SIMD 0-packing kernels against the portable code.

use sproto_rt::{pack_into, pack_into_portable, unpack_into, unpack_into_portable};

/// `pack_simd`: the SIMD 0-packing kernels (`sproto-rt/src/unchecked.rs`, used by
/// `pack_into` / `unpack_into` on x86-64 CPUs with AVX2 and BMI2) against the portable
/// code, on arbitrary input: the same packed bytes, the same unpacked bytes or the same
/// error, under any size limit; and unpacking a packing gives the input back
/// (zero-padded to whole words). The first two bytes pick an output prefix length and a
/// size limit.
pub fn pack_simd(data: &[u8]) {
    let (prefix, limit, input) = match data {
        [p, l, rest @ ..] => (
            usize::from(*p % 4),
            if *l == 0xff {
                usize::MAX
            } else {
                usize::from(*l) * 64
            },
            rest,
        ),
        _ => (0, usize::MAX, data),
    };
    let start = vec![0xa5u8; prefix];

    let mut fast = start.clone();
    pack_into(input, &mut fast);
    let mut portable = start.clone();
    pack_into_portable(input, &mut portable);
    assert_eq!(fast, portable, "pack");

    for src in [input, &fast[prefix..]] {
        let mut a = start.clone();
        let ra = unpack_into(src, &mut a, limit).map_err(|e| e.to_string());
        let mut b = start.clone();
        let rb = unpack_into_portable(src, &mut b, limit).map_err(|e| e.to_string());
        assert_eq!(ra, rb, "unpack result");
        if ra.is_ok() {
            assert_eq!(a, b, "unpack bytes");
        }
    }

    let mut round = Vec::new();
    unpack_into(&fast[prefix..], &mut round, usize::MAX).expect("a packing unpacks");
    assert_eq!(&round[..input.len()], input);
    assert!(round[input.len()..].iter().all(|&b| b == 0));
    assert_eq!(round.len(), input.len().div_ceil(8) * 8);
}
