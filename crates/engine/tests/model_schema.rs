//! schemas/model.v1.json describes the model files users write: every built-in model and
//! the example policy's model validate against it, and a wrong file does not.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas/model.v1.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn yaml(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("model");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_built_in_model_and_the_example_validate() {
    let v = validator();
    let mut files: Vec<_> = std::fs::read_dir(root().join("crates/engine/models"))
        .expect("models")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.push(root().join("fixtures/policies/example/model.yaml"));
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let doc = yaml(&file);
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn a_wrong_model_file_does_not_validate() {
    let v = validator();
    let doc: serde_json::Value = serde_yaml::from_str(
        "id: x\nname: X\nkind: profile\ncriteria:\n  - id: x.a\n    title: A\n    dimension: D\n    scope: everywhere\n    observability: direct\n    met_when: m\n    remediation: r\n    sourcs: [git]\n",
    )
    .expect("yaml");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(
        errors.len() >= 2,
        "a bad scope and an unknown key: {errors:?}"
    );
}
