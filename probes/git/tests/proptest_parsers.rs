//! Property tests: whatever a repository holds where evident looks for CI configuration,
//! manifests and container files, the scan finishes, reports the file as read or
//! unreadable, and never panics.
//!
//! Two generators: YAML-shaped documents built from the keys the parsers look for (so the
//! parsers get deep, not just a parse error at line 1), and raw text from YAML's special
//! characters mixed with those keys.

use evident_core::ScanContext;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashSet;

/// Keys and values the CI, manifest and compose parsers react to.
const WORDS: &[&str] = &[
    "on",
    "push",
    "pull_request",
    "branches",
    "tags",
    "schedule",
    "cron",
    "workflow_dispatch",
    "jobs",
    "steps",
    "run",
    "uses",
    "with",
    "needs",
    "if",
    "environment",
    "stages",
    "script",
    "rules",
    "when",
    "manual",
    "include",
    "local",
    "project",
    "extends",
    "image",
    "services",
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "labels",
    "spec",
    "template",
    "containers",
    "readinessProbe",
    "livenessProbe",
    "replicas",
    "selector",
    "matchLabels",
    "matchExpressions",
    "Deployment",
    "List",
    "items",
    "PodDisruptionBudget",
    "groups",
    "alert",
    "expr",
    "healthcheck",
    "restart",
    "kubectl apply -f k8s/",
    "helm upgrade --install web .",
    "main",
    "v*",
    "*",
    "&a",
    "*a",
    "<<",
    "!reference",
    "~",
    "null",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "'",
    "\"",
    "|",
    ">",
    "#",
    ":",
    "\t",
    "\n",
    "  ",
    "\u{0}",
    "\u{feff}",
    "é",
    "🦀",
];

/// A YAML-ish document: nested mappings and sequences of the words above.
fn yaml_value() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(WORDS).prop_map(|w| format!("{w:?}"));
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((prop::sample::select(WORDS), inner), 0..6).prop_map(|entries| {
                let body: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{k:?}: {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

/// Raw text: words and special characters in any order.
fn raw_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(WORDS).prop_map(str::to_owned),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..200,
    )
    .prop_map(|parts| parts.concat())
}

const PLACES: &[&str] = &[
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    "k8s/app.yaml",
    "docker-compose.yml",
    "Dockerfile",
    "catalog-info.yaml",
    "CODEOWNERS",
    "OWNERS",
    "monitoring/rules.yml",
    "dashboards/d.json",
    "charts/web/Chart.yaml",
    "Jenkinsfile",
    ".circleci/config.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "cloudbuild.yaml",
    ".drone.yml",
    ".buildkite/pipeline.yml",
    ".travis.yml",
    "tekton/pipeline.yaml",
];

fn scan_with(path: &str, text: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = dir.path().join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(&full, text).expect("write");
    let ctx = ScanContext::new(
        vec![dir.path().to_path_buf()],
        "2026-01-01T00:00:00Z".into(),
    );
    let out = evident_probe_git::scan_repository(dir.path(), &ctx);
    // The scan always reports the repository, read or not.
    assert_eq!(out.sources.len(), 1);
    assert!(out.facts["repos"].as_object().is_some_and(|r| r.len() == 1));
    // Every evidence id a fact cites is in the output.
    let ids: HashSet<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    let mut cited = Vec::new();
    cited_ids(&out.facts, &mut cited);
    for id in cited {
        assert!(
            ids.contains(id.as_str()),
            "{path}: {id} is cited but missing"
        );
    }
}

fn cited_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k == "evidence" {
                    match x {
                        Value::String(s) if !s.is_empty() => out.push(s.clone()),
                        Value::Array(a) => {
                            out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned))
                        }
                        _ => {}
                    }
                }
                cited_ids(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| cited_ids(x, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_shaped_input_never_panics(place in prop::sample::select(PLACES), docs in prop::collection::vec(yaml_value(), 1..4)) {
        scan_with(place, &docs.join("\n---\n"));
    }

    #[test]
    fn raw_text_never_panics(place in prop::sample::select(PLACES), text in raw_text()) {
        scan_with(place, &text);
    }
}
