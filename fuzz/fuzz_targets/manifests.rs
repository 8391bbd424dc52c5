//! `cargo +nightly fuzz run manifests`: see fuzz/README.md and `evident_fuzz_harness::manifests`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evident_fuzz_harness::manifests(data));
