//! `cargo +nightly fuzz run dashboard`: see fuzz/README.md and `evident_fuzz_harness::dashboard`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::dashboard(data));
