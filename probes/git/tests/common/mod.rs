//! Fixture repositories built with git2: files are committed, then HEAD is scanned, as
//! the probe would see a real clone.

#![allow(dead_code)]

use evident_core::{ProbeOutput, ScanContext};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

pub const CANARY: &str = "evident-canary-7f3a9c1e";

/// One file of a fixture.
pub enum Item<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
}

/// A repository with `items` committed on `main`.
pub fn repo(items: &[Item<'_>]) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("fixture")
        .tempdir()
        .unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    for item in items {
        match item {
            Item::File(path, bytes) => {
                let full = dir.path().join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, bytes).unwrap();
            }
            Item::Symlink(path, target) => {
                let full = dir.path().join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(target, full).unwrap();
            }
        }
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree_id = index.write_tree().unwrap();
    let tree = repo.find_tree(tree_id).unwrap();
    let sig = git2::Signature::now("Fixture", "fixture@example.invalid").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "fixture", &tree, &[])
        .unwrap();
    dir
}

/// Files only (the common case).
pub fn repo_of(files: &[(&str, &str)]) -> TempDir {
    let items: Vec<Item<'_>> = files
        .iter()
        .map(|(p, c)| Item::File(p, c.as_bytes()))
        .collect();
    repo(&items)
}

pub fn ctx(path: &Path) -> ScanContext {
    ScanContext::new(vec![path.to_path_buf()], "2026-01-01T00:00:00Z".into())
}

pub fn scan(dir: &TempDir) -> ProbeOutput {
    evident_probe_git::scan_repository(dir.path(), &ctx(dir.path()))
}

/// The only repo of a single-repository scan.
pub fn the_repo(out: &ProbeOutput) -> &Value {
    let repos = out.facts["repos"].as_object().unwrap();
    assert_eq!(repos.len(), 1, "{repos:?}");
    repos.values().next().unwrap()
}

pub fn job<'a>(repo: &'a Value, id: &str) -> &'a Value {
    repo["ci"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("no job {id} in {:#}", repo["ci"]["jobs"]))
}

pub fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// An evidence id without the repository key and revision, for snapshots.
pub fn stable_id(id: &str) -> String {
    id.split_once(':')
        .and_then(|(_, rest)| rest.split_once(':'))
        .map_or_else(|| id.to_owned(), |(_, path)| path.to_owned())
}

/// A copy of `value` with every evidence id made stable.
pub fn stabilize(value: &Value) -> Value {
    match value {
        Value::String(s) if s.starts_with("git:") => Value::String(stable_id(s)),
        Value::Array(items) => Value::Array(items.iter().map(stabilize).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), stabilize(v))).collect())
        }
        other => other.clone(),
    }
}
