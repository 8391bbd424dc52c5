//! The bounded fuzz run of the test suite, on stable: every kept input of a target
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) replayed through the function
//! its libFuzzer target calls, then mutated seeds through it as a proptest (256 cases by
//! default, `PROPTEST_CASES` overrides; a fixed seed, so a failure reproduces).

use evident_fuzz_harness::{TARGETS, run};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Every kept input of `target`: its corpus and its regressions.
fn kept_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for dir in [
        fuzz.join("corpus").join(target),
        fuzz.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Bytes that change how YAML, JSON, Groovy, PromQL and Dockerfiles parse.
const NOISE: &[u8] = b":-[]{}()&*!|>\"'\t\n\r #%@`?,\\$=~/<;.";

/// One edit of a seed: `(where, what, byte)`.
type Edit = (u16, u8, u8);

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for &(at, op, byte) in edits {
        let pos = usize::from(at) % (bytes.len() + 1);
        let noise = NOISE[usize::from(byte) % NOISE.len()];
        match op % 6 {
            0 => bytes.insert(pos, noise),
            1 if pos < bytes.len() => {
                bytes.remove(pos);
            }
            2 if pos < bytes.len() => bytes[pos] = noise,
            3 => bytes.insert(pos, byte),
            4 => {
                // Duplicate a slice: deeper nesting, repeated keys and quotes.
                let end = (pos + usize::from(byte)).min(bytes.len());
                let slice = bytes[pos..end].to_vec();
                bytes.splice(pos..pos, slice);
            }
            _ => bytes.truncate(pos.max(1)),
        }
    }
    bytes
}

fn replay_and_mutate(target: &str) {
    let inputs = kept_inputs(target);
    assert!(!inputs.is_empty(), "fuzz/corpus/{target}/ holds no seed");
    for (path, bytes) in &inputs {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(target, bytes))) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
            panic!("{target} panics on {}: {why:?}", path.display());
        }
    }
    let config = Config {
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[0x5e; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (0..inputs.len(), vec(any::<Edit>(), 0..12));
    let result = runner.run(&strategy, |(seed, edits)| {
        let input = mutate(&inputs[seed].1, &edits);
        prop_assert!(run(target, &input), "{target} is no fuzz target");
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{target}: {failure}");
    }
}

#[test]
fn every_target_has_a_test_here() {
    let source = include_str!("replay.rs");
    for target in TARGETS {
        assert!(source.contains(&format!("fn {target}()")), "{target}");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../fuzz/fuzz_targets/{target}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{target}.rs"
        );
    }
}

#[test]
fn ci_config() {
    replay_and_mutate("ci_config");
}

#[test]
fn manifests() {
    replay_and_mutate("manifests");
}

#[test]
fn dockerfile() {
    replay_and_mutate("dockerfile");
}

#[test]
fn codeowners() {
    replay_and_mutate("codeowners");
}

#[test]
fn promql() {
    replay_and_mutate("promql");
}

#[test]
fn dump() {
    replay_and_mutate("dump");
}

#[test]
fn dashboard() {
    replay_and_mutate("dashboard");
}
