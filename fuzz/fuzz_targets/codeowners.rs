//! `cargo +nightly fuzz run codeowners`: see fuzz/README.md and `evident_fuzz_harness::codeowners`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::codeowners(data));
