//! `schema_text`: see `fuzz_checks::schema_text` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::schema_text(data));
