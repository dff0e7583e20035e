//! `gate_stream`: see `fuzz_checks::gate_stream` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::gate_stream(data));
