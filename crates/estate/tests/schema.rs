//! The committed JSON Schema is the generated one, and the commented example is valid
//! against it and parses.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = root().join("schemas/estate.v1.json");
    let generated = evident_estate::schema_text();
    if std::env::var_os("EVIDENT_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/estate.v1.json differs from the schema generated from crates/estate; regenerate it with\n  EVIDENT_WRITE_SCHEMA=1 cargo test -p evident-estate --test schema\nand commit it"
    );
}

#[test]
fn the_example_is_valid_against_the_schema_and_parses() {
    let path = root().join("docs/estate.example.yaml");
    let text = std::fs::read_to_string(&path).expect("docs/estate.example.yaml");
    let value: serde_json::Value = serde_yaml::from_str(&text).expect("YAML");
    let schema = evident_estate::schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let estate = evident_estate::parse(&path, &text).expect("the example parses");
    assert_eq!(estate.file.version, 1);
    // Every key is shown: each top-level key and each source.
    let f = &estate.file;
    let s = &f.sources;
    assert!(!s.repositories.is_empty() && s.github.is_some() && s.kubernetes.is_some());
    assert!(!s.prometheus.is_empty() && s.grafana.is_some());
    assert!(s.pagerduty.is_some() && s.opsgenie.is_some() && s.ca_cert.is_some());
    assert!(f.people.is_some() && !f.services.is_empty());
    assert!(!f.environments.production.is_empty());
    assert!(f.rules.on_call_share.is_some() && f.rules.max_team_size.is_some());
    assert!(!f.models.is_empty() && !f.policies.is_empty());
    assert!(f.schedule.is_some() && f.store.is_some());
    assert!(f.retention.keep_last.is_some() && f.retention.max_age_days.is_some());
    assert!(f.scan.history_days.is_some() && f.scan.oncall_days.is_some());
}

#[test]
fn the_schema_refuses_an_unknown_key() {
    let schema = evident_estate::schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let bad = serde_json::json!({"version": 1, "sourcez": {}});
    assert!(!validator.is_valid(&bad));
    let good = serde_json::json!({"version": 1, "sources": {"repositories": ["."]}});
    assert!(validator.is_valid(&good));
}
