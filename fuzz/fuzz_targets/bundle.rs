//! `bundle`: see `fuzz_checks::bundle` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::bundle(data));
