//! What each fuzz target checks, in one place: the libFuzzer targets in `fuzz/` call these
//! functions, and the stable test suite replays the kept corpus (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) and mutated seeds through the very same functions, so a
//! crash found by a fuzzer stays a test without nightly.
//!
//! Each function takes arbitrary bytes and panics only when a parser does (or breaks an
//! invariant: a line it reports outside the input, a different answer for the same
//! input). Panicking is the point here: this crate is test harness, never linked into
//! evident itself.

use evident_kube_facts::SourcedObject;
use evident_probe_git::fuzzing::{self, FuzzOutcome};
use serde_json::value::RawValue;

/// The fuzz targets, by the name `cargo fuzz run` and the corpus directories use.
pub const TARGETS: [&str; 7] = [
    "ci_config",
    "manifests",
    "dockerfile",
    "codeowners",
    "promql",
    "dump",
    "dashboard",
];

/// Runs the target named `target` on `data`; returns false for an unknown name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "ci_config" => ci_config(data),
        "manifests" => manifests(data),
        "dockerfile" => dockerfile(data),
        "codeowners" => codeowners(data),
        "promql" => promql(data),
        "dump" => dump(data),
        "dashboard" => dashboard(data),
        _ => return false,
    }
    true
}

/// Every line a parser reports lies in the input (one-based, first before last; an
/// empty input still has its line 1 to cite), and a second run gives the same outcome.
fn check(data: &[u8], parse: fn(&[u8]) -> FuzzOutcome) {
    let first = parse(data);
    let last_line = first.line_count.max(1);
    for (what, start, end) in &first.spans {
        assert!(
            1 <= *start && start <= end && *end <= last_line,
            "{what} reports lines {start}..={end} of an input of {} lines",
            first.line_count
        );
    }
    assert_eq!(first, parse(data), "the same input read twice differs");
}

/// CI configurations: the first byte picks the system (see
/// `evident_probe_git::fuzzing::fuzz_ci_path`), the rest is the file.
pub fn ci_config(data: &[u8]) {
    check(data, fuzzing::fuzz_ci_config);
}

/// Kubernetes manifests: the git probe's collection and `evident_kube_facts::extract`.
pub fn manifests(data: &[u8]) {
    check(data, fuzzing::fuzz_manifests);
}

/// Dockerfiles.
pub fn dockerfile(data: &[u8]) {
    check(data, fuzzing::fuzz_dockerfile);
}

/// CODEOWNERS files.
pub fn codeowners(data: &[u8]) {
    check(data, fuzzing::fuzz_codeowners);
}

/// PromQL: what an expression selects, and a dashboard panel's query (Grafana variables
/// substituted first); both deterministic.
pub fn promql(data: &[u8]) {
    let expr = String::from_utf8_lossy(data);
    let selection = evident_promql::select(&expr);
    assert_eq!(selection, evident_promql::select(&expr));
    let query = evident_dashboards::parse_query(&expr, Some("A".into()));
    let again = evident_dashboards::parse_query(&expr, Some("A".into()));
    assert_eq!(format!("{query:?}"), format!("{again:?}"));
    let _ = evident_dashboards::substitute(&expr);
}

/// Kubernetes dumps: the dump reader on the bytes, then every list item the bytes hold
/// through `ingest` directly, then the facts extraction on what was read.
pub fn dump(data: &[u8]) {
    use evident_probe_kubernetes::{dump, ingest};
    if let Ok(read) = dump::fuzz_dump(data) {
        let objects: Vec<SourcedObject> = read
            .objects
            .iter()
            .map(|item| SourcedObject {
                object: item.object.clone(),
                evidence: item.locator.clone(),
            })
            .collect();
        let facts = evident_kube_facts::extract_with_pods(&objects, &read.owned_pods);
        assert_eq!(
            facts,
            evident_kube_facts::extract_with_pods(&objects, &read.owned_pods)
        );
        let _ = dump::kinds_not_held("fuzz", &read);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(raw) = serde_json::from_str::<&RawValue>(text) {
        for keep in [
            ingest::Keep::Full,
            ingest::Keep::Metadata,
            ingest::Keep::Keys,
        ] {
            let _ = ingest::ingest(raw, None, None, keep);
            let _ = ingest::ingest(raw, Some("v1"), Some("ConfigMap"), keep);
        }
    }
}

/// Grafana dashboards: the models a JSON document holds and the panels of each, and the
/// document read as a model itself.
pub fn dashboard(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = evident_dashboards::looks_like_dashboard(&doc);
    let whole = evident_dashboards::extract_dashboard(&doc);
    assert_eq!(
        format!("{whole:?}"),
        format!("{:?}", evident_dashboards::extract_dashboard(&doc))
    );
    for (_how, model) in evident_dashboards::dashboards_in_document(&doc) {
        let _ = evident_dashboards::extract_dashboard(&model);
    }
}
