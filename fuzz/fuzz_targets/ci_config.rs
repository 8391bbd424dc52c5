//! `cargo +nightly fuzz run ci_config`: see fuzz/README.md and `evident_fuzz_harness::ci_config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::ci_config(data));
