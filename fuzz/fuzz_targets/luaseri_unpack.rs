//! `luaseri_unpack`: see `fuzz_checks::luaseri_unpack` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::luaseri_unpack(data));
