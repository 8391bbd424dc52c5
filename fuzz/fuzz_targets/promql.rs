//! `cargo +nightly fuzz run promql`: see fuzz/README.md and `evident_fuzz_harness::promql`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::promql(data));
