//! The workspace layout the architecture promises: probes never depend on one another.
//!
//! What two probes share (the HTTP client, dashboard extraction, PromQL) belongs in a
//! crate of its own under `crates/`; a probe that depends on another drags that probe's
//! dependencies and release cadence into its own, and a change to one breaks the other.
//! Read from the manifests themselves so the test needs neither `cargo metadata` nor a
//! network.

use std::path::{Path, PathBuf};

fn probe_manifests() -> Vec<PathBuf> {
    let probes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../probes");
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(&probes)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", probes.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("Cargo.toml"))
        .filter(|manifest| manifest.is_file())
        .collect();
    manifests.sort();
    manifests
}

/// The dependency names of `[dependencies]`, `[build-dependencies]` and every
/// `[target.*.dependencies]`: all that a probe links in its library.
fn linked_dependencies(manifest: &toml::Table) -> Vec<String> {
    let mut tables: Vec<&toml::Table> = ["dependencies", "build-dependencies"]
        .iter()
        .filter_map(|key| manifest.get(*key).and_then(toml::Value::as_table))
        .collect();
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for target in targets.values().filter_map(toml::Value::as_table) {
            for key in ["dependencies", "build-dependencies"] {
                if let Some(t) = target.get(key).and_then(toml::Value::as_table) {
                    tables.push(t);
                }
            }
        }
    }
    tables
        .into_iter()
        .flat_map(|t| {
            t.iter().map(|(name, spec)| {
                // `foo = { package = "evident-probe-x", ... }` renames a dependency.
                spec.get("package")
                    .and_then(toml::Value::as_str)
                    .unwrap_or(name)
                    .to_owned()
            })
        })
        .collect()
}

#[test]
fn no_probe_depends_on_another_probe() {
    let manifests = probe_manifests();
    assert!(
        manifests.len() >= 4,
        "expected the probes under probes/, found {manifests:?}"
    );
    let mut offenders = Vec::new();
    for path in &manifests {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let manifest: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
        let own = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .unwrap_or_default();
        assert!(
            own.starts_with("evident-probe-"),
            "{} names package {own:?}; probes are named evident-probe-*",
            path.display()
        );
        for dependency in linked_dependencies(&manifest) {
            if dependency.starts_with("evident-probe-") {
                offenders.push(format!("{own} depends on {dependency}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "probes never depend on one another; move what they share into a crate under crates/: {offenders:?}"
    );
}

#[test]
fn a_probe_depending_on_a_probe_is_caught() {
    let manifest: toml::Table = r#"
        [package]
        name = "evident-probe-a"
        [dependencies]
        evident-core.workspace = true
        b = { package = "evident-probe-b", path = "../b" }
        [target.'cfg(unix)'.dependencies]
        evident-probe-c.workspace = true
    "#
    .parse()
    .unwrap_or_else(|e| panic!("test manifest parses: {e}"));
    let deps = linked_dependencies(&manifest);
    assert!(deps.contains(&"evident-probe-b".to_owned()), "{deps:?}");
    assert!(deps.contains(&"evident-probe-c".to_owned()), "{deps:?}");
}
