//! `derived_decode`: see `fuzz_checks::derived_decode` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::derived_decode(data));
