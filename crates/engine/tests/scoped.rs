//! Team- and estate-scoped criteria are judged once, stored once and referenced from every
//! service they cover; a service's row carries only its own part of the finding.

mod common;

use common::*;
use evident_core::{SharedScope, Status};
use serde_json::{Value, json};

/// The fixture with `n` more services beside `web`: `svc-0..n`, each on web's repository
/// and workload, without an owning team.
fn estate(n: usize) -> Value {
    let mut input = base_input();
    let web = input["services"]["web"].clone();
    for i in 0..n {
        let id = format!("svc-{i}");
        let mut s = web.clone();
        s["id"] = json!(id);
        s["team"] = Value::Null;
        s["team_source"] = Value::Null;
        s["resolved_from"] = json!("workload");
        input["services"][&id] = s;
    }
    // No CODEOWNERS default owner: the unowned services stay unowned.
    input["facts"]["git"]["repos"]["web"]["codeowners"] = Value::Null;
    input
}

#[test]
fn an_estate_finding_is_stored_once_and_each_row_names_only_its_own_part() {
    let out = evaluate_full(&evaluator(), &estate(3));
    let conway: Vec<_> = out
        .results
        .scoped
        .iter()
        .filter(|x| x.criterion == "ds.org.conways-law")
        .collect();
    assert_eq!(conway.len(), 1, "one estate entry");
    let x = conway[0];
    assert_eq!(x.id, "ds.org.conways-law@estate");
    assert_eq!(
        (x.scope, x.subject.as_str()),
        (SharedScope::Estate, "estate")
    );
    assert_eq!(x.status, Status::NotMet);
    assert_eq!(
        x.summary,
        "ownership is missing or split for 3 of 4 service(s)"
    );
    assert_eq!(x.missing.len(), 3, "{:?}", x.missing);
    let mut covered = x.services.clone();
    covered.sort();
    assert_eq!(covered, ["svc-0", "svc-1", "svc-2", "web"]);

    let row = |service: &str| {
        out.results
            .rows
            .iter()
            .find(|r| r.criterion == "ds.org.conways-law" && r.service == service)
            .unwrap_or_else(|| panic!("no row for {service}"))
    };
    let unowned = row("svc-1");
    assert_eq!(unowned.scoped.as_deref(), Some("ds.org.conways-law@estate"));
    assert_eq!(
        unowned.status,
        Status::NotMet,
        "the row carries the estate status"
    );
    assert_eq!(
        unowned.summary,
        "service svc-1 has no owning team; 2 other service(s) lack or split ownership"
    );
    assert_eq!(unowned.missing, ["exactly one owning team for svc-1"]);
    let owned = row("web");
    assert_eq!(
        owned.summary,
        "web has one owning team (team-web); 3 other service(s) lack or split ownership"
    );
    assert!(owned.missing.is_empty());
    assert_eq!(
        owned.evidence,
        ["E-catalog"],
        "only the service's own evidence"
    );
    // No row repeats another service's part.
    for r in out.results.rows.iter().filter(|r| r.scoped.is_some()) {
        for other in ["svc-0", "svc-1", "svc-2"] {
            if other != r.service {
                assert!(
                    !r.missing.iter().any(|m| m.contains(other)),
                    "{} / {} repeats {other}: {:?}",
                    r.criterion,
                    r.service,
                    r.missing
                );
            }
        }
    }
}

#[test]
fn a_team_criterion_is_one_entry_per_team_and_an_unowned_service_is_its_own_finding() {
    let out = evaluate_full(&evaluator(), &estate(2));
    // ds.org.small-teams needs github, which no probe of this build provides.
    let entries: Vec<_> = out
        .results
        .scoped
        .iter()
        .filter(|x| x.criterion == "ds.org.small-teams")
        .collect();
    assert_eq!(entries.len(), 1, "one entry for the one team");
    assert_eq!(entries[0].id, "ds.org.small-teams@team:team-web");
    assert_eq!(entries[0].status, Status::Unknown);
    assert_eq!(entries[0].services, ["web"]);
    let web = out
        .results
        .rows
        .iter()
        .find(|r| r.criterion == "ds.org.small-teams" && r.service == "web")
        .expect("web row");
    assert_eq!(
        web.scoped.as_deref(),
        Some("ds.org.small-teams@team:team-web")
    );
    assert_eq!(web.missing, ["github"], "levels can still name the source");
    let unowned = out
        .results
        .rows
        .iter()
        .find(|r| r.criterion == "ds.org.small-teams" && r.service == "svc-0")
        .expect("svc-0 row");
    assert_eq!(unowned.scoped, None);
    assert_eq!(unowned.status, Status::Unknown);
    assert!(
        unowned.summary.contains("needs github"),
        "{}",
        unowned.summary
    );
}

#[test]
fn manual_estate_criteria_stay_per_service() {
    let out = evaluate_full(&evaluator(), &estate(1));
    assert!(
        !out.results
            .scoped
            .iter()
            .any(|x| x.criterion == "ds.process.agile"),
        "attestations are per service, so manual verdicts are too"
    );
    let rows: Vec<_> = out
        .results
        .rows
        .iter()
        .filter(|r| r.criterion == "ds.process.agile")
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.status == Status::Manual && r.scoped.is_none())
    );
}

#[test]
fn the_result_grows_linearly_with_the_estate() {
    // Not a timing: the bytes of the rows and shared entries. With every estate finding
    // copied onto every row, doubling the services quadrupled the gap lists.
    let size = |n: usize| {
        let out = evaluate_full(&evaluator(), &estate(n));
        let rows = serde_json::to_vec(&out.results.rows).map_or(0, |v| v.len());
        let shared = serde_json::to_vec(&out.results.scoped).map_or(0, |v| v.len());
        (rows + shared) as f64
    };
    let (small, large) = (size(60), size(240));
    let ratio = large / small;
    assert!(
        ratio < 4.6,
        "4x the services made the verdicts {ratio:.2}x larger"
    );
}

#[test]
fn services_absent_from_the_dependency_graph_are_told_so_on_their_own_row() {
    let mut input = estate(1);
    // svc-0 runs no workload of its own, so none of its names is a node of the graph.
    input["services"]["svc-0"]["workloads"] = json!([]);
    prom_ok_input(&mut input);
    let out = evaluate_full(&evaluator(), &input);
    let row = |service: &str| {
        out.results
            .rows
            .iter()
            .find(|r| r.criterion == "ds.devops.dependency-graph" && r.service == service)
            .map(|r| (r.status, r.summary.clone()))
    };
    let (status, web) = row("web").expect("web row");
    assert_eq!(status, Status::Met);
    assert_eq!(web, "web is a node of the service graph");
    let (_, other) = row("svc-0").expect("svc-0 row");
    assert_eq!(
        other,
        "svc-0 is not in the service graph (0 other service(s) are not either)"
    );
}

/// Prometheus answered and its service graph has one edge with traffic, from `web`.
fn prom_ok_input(i: &mut Value) {
    i["sources"]["prometheus"] = json!({"status": "ok", "detail": "Prometheus answered"});
    i["facts"]["prometheus"] = json!({
        "parts": {"edges": {"status": "ok", "detail": ""}},
        "window": "30d", "edge_window": "7d", "services": {}, "rules": [], "synthetic": [],
        "edges": [{"source": "web", "destination": "cart", "metric": "istio_requests_total", "requests": 1200.0, "evidence": "P-edge"}],
        "targets": [], "servers": []
    });
}
