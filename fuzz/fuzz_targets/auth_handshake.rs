//! `auth_handshake`: see `fuzz_checks::auth_handshake` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::auth_handshake(data));
