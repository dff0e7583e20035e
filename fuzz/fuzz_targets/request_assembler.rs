//! `request_assembler`: see `fuzz_checks::request_assembler` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::request_assembler(data));
