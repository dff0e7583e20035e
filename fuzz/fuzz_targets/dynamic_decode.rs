//! `dynamic_decode`: see `fuzz_checks::dynamic_decode` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::dynamic_decode(data));
