//! `pack_simd`: see `fuzz_checks::pack_simd` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::pack_simd(data));
