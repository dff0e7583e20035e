//! `cluster_frame`: see `fuzz_checks::cluster_frame` for what it feeds and checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::cluster_frame(data));
