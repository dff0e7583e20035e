//! `sproto_unpack`: see `fuzz_checks::sproto_unpack` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::sproto_unpack(data));
