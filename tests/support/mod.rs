//! Helpers for end-to-end tests: real git repositories made with git2, and the built
//! `evident` binary run against them.

#![allow(dead_code)]

pub mod browser;
pub mod github;
pub mod proxy;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The secret that must never reach any output.
pub const CANARY: &str = "evident-canary-7f3a9c1e";

/// A temporary git repository that commits what is written into it.
pub struct Repo {
    pub dir: tempfile::TempDir,
    pub repo: git2::Repository,
}

impl Repo {
    /// A new repository whose directory is named `name` (the service name evident
    /// falls back to), on branch main.
    pub fn new(name: &str) -> Self {
        let parent = tempfile::Builder::new()
            .prefix("evident-e2e-")
            .tempdir()
            .expect("tempdir");
        let path = parent.path().join(name);
        std::fs::create_dir_all(&path).expect("mkdir");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let repo = git2::Repository::init_opts(&path, &opts).expect("git init");
        Repo { dir: parent, repo }
    }

    pub fn path(&self) -> PathBuf {
        self.repo.workdir().expect("workdir").to_path_buf()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
        self
    }

    /// Stages everything and commits it; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("index write");
        let tree_id = index.write_tree().expect("tree");
        let tree = self.repo.find_tree(tree_id).expect("find tree");
        let sig = git2::Signature::now("Test Author", "author@example.com").expect("sig");
        let parents: Vec<git2::Commit<'_>> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .expect("commit")
            .to_string()
    }
}

/// Runs the built binary.
pub fn evident(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident")
}

/// Runs the built binary in `dir` (the directory a user typed the command in).
pub fn evident_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident")
}

/// Scans `path` and returns the parsed JSON result, asserting exit 0 and a valid
/// document.
pub fn scan_json(path: &Path) -> Value {
    let out = evident(&[
        "scan",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_valid(&result);
    result
}

/// Validates a scan result against the published schema in `schemas/`.
pub fn assert_valid(result: &Value) {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/scan-result.v2.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(result)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "scan result does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// The result of one criterion for one service.
pub fn result_of<'a>(result: &'a Value, criterion: &str, service: &str) -> &'a Value {
    result["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["criterion"] == criterion && r["service"] == service)
        .unwrap_or_else(|| panic!("no result for {criterion} / {service}"))
}

/// The evidence records a result cites.
pub fn cited<'a>(result: &'a Value, verdict: &Value) -> Vec<&'a Value> {
    verdict["evidence"]
        .as_array()
        .expect("evidence ids")
        .iter()
        .map(|id| &result["evidence"][id.as_str().expect("id")])
        .collect()
}
