//! `cargo +nightly fuzz run dump`: see fuzz/README.md and `evident_fuzz_harness::dump`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::dump(data));
