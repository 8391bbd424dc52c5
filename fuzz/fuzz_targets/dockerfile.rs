//! `cargo +nightly fuzz run dockerfile`: see fuzz/README.md and `evident_fuzz_harness::dockerfile`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::dockerfile(data));
