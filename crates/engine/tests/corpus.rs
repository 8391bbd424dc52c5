//! The rules on real manifests nobody on this project wrote: the Online Boutique corpus
//! (`../shared/corpus/online-boutique`), read by the git probe, holds each service in
//! three alternative manifest sets (kubernetes-manifests/, kustomize/base/, release/).
//! A gap is counted once per container, and each failing copy is located.

mod common;

use common::*;
use evident_core::{ScanContext, Status};
use serde_json::{Value, json};
use std::path::Path;

fn corpus_input() -> Value {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/online-boutique");
    assert!(
        corpus.is_dir(),
        "the shared corpus is missing at {}",
        corpus.display()
    );
    let ctx = ScanContext::new(vec![corpus.clone()], "2026-01-01T00:00:00Z".into());
    let out = evident_probe_git::scan_repository(&corpus, &ctx);
    let git = out.facts;
    let repo = git["repos"]
        .as_object()
        .and_then(|r| r.keys().next().cloned())
        .expect("one repository");
    // Services as resolution makes them from workload names (resolution itself is not
    // under test here): every declaration of the workload belongs to its service.
    let mut services = serde_json::Map::new();
    for name in ["loadgenerator", "frontend", "redis-cart"] {
        let keys: Vec<&String> = git["workloads"]
            .as_object()
            .expect("workloads")
            .iter()
            .filter(|(_, w)| w["name"] == name)
            .map(|(k, _)| k)
            .collect();
        services.insert(
            name.to_owned(),
            json!({"id": name, "team": null, "team_source": null, "resolved_from": "workload",
                   "repos": [repo], "workloads": keys, "found_in": [], "rules": []}),
        );
    }
    let mut input = base_input();
    input["services"] = Value::Object(services);
    input["teams"] = json!({});
    input["facts"] = json!({"git": git});
    input
}

fn result<'a>(
    results: &'a [evident_core::CriterionResult],
    criterion: &str,
    service: &str,
) -> &'a evident_core::CriterionResult {
    results
        .iter()
        .find(|r| r.criterion == criterion && r.service == service)
        .unwrap_or_else(|| panic!("no result for {criterion}/{service}"))
}

#[test]
fn online_boutique_gaps_are_counted_per_container_and_located_per_copy() {
    let input = corpus_input();
    assert_eq!(
        input["services"]["loadgenerator"]["workloads"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "loadgenerator is declared in three manifest sets"
    );
    let results = evaluate(&evaluator(), &input);

    let r = result(&results, "ds.devops.health-checks", "loadgenerator");
    assert_eq!(r.status, Status::NotMet);
    assert_eq!(
        r.summary,
        "1 container(s) lack a probe: loadgenerator/main: no liveness or startup probe in 3 of 3 declarations; loadgenerator/main: no readiness probe in 3 of 3 declarations (judged from manifests)"
    );
    assert_eq!(r.missing.len(), 6, "{:?}", r.missing);
    for dir in [
        "kubernetes-manifests/loadgenerator.yaml#L",
        "kustomize/base/loadgenerator.yaml#L",
        "release/kubernetes-manifests.yaml#L",
    ] {
        assert_eq!(
            r.missing.iter().filter(|m| m.starts_with(dir)).count(),
            2,
            "{dir}: {:?}",
            r.missing
        );
    }

    let r = result(&results, "ds.devops.health-checks", "frontend");
    assert_eq!(r.status, Status::Met, "{}", r.summary);
    assert_eq!(r.evidence.len(), 3);

    // redis:alpine floats in every copy: one entry per copy, each located.
    let r = result(&results, "ds.devops.immutable", "redis-cart");
    assert_eq!(r.status, Status::NotMet);
    let redis: Vec<&String> = r
        .missing
        .iter()
        .filter(|m| m.contains("image redis:alpine is not pinned"))
        .collect();
    assert_eq!(redis.len(), 3, "{:?}", r.missing);
    for m in redis {
        let (location, _) = m.split_once(": ").expect("located");
        assert!(location.contains(".yaml#L"), "{m}");
    }
}
