//! Rule evaluation over growing estates: 1, 100, 1,000 and 10,000 services with the
//! facts of a realistic service each (CI jobs, workloads, alert rules, inventory).

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use evident_engine::AttestationSet;
use serde_json::{Value, json};
use std::time::Duration;

/// An estate of `n` services, each with its own repository and workload, built from the
/// fixture service so that every rule has real work to do.
pub fn estate(n: usize) -> Value {
    let base = common::base_input();
    let mut input = base.clone();
    let repo = base["facts"]["git"]["repos"]["web"].clone();
    let workload = base["facts"]["git"]["workloads"]["Deployment/shop/web"].clone();
    let mut services = serde_json::Map::new();
    let mut repos = serde_json::Map::new();
    let mut workloads = serde_json::Map::new();
    let mut rules = Vec::new();
    for i in 0..n {
        let id = format!("svc-{i}");
        let wkey = format!("Deployment/shop/{id}");
        let mut w = workload.clone();
        w["key"] = json!(wkey);
        w["name"] = json!(id);
        w["app"] = json!(id);
        workloads.insert(wkey.clone(), w);
        repos.insert(id.clone(), repo.clone());
        let mut indices = Vec::new();
        for r in base["facts"]["git"]["prometheus_rules"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let mut r = r.clone();
            r["service_hint"] = json!(id);
            indices.push(rules.len());
            rules.push(r);
        }
        services.insert(
            id.clone(),
            json!({"id": id, "team": format!("team-{}", i % 50), "team_source": "catalog-info.yaml",
                   "resolved_from": "catalog", "repos": [id], "workloads": [wkey], "found_in": ["E-catalog"],
                   "rules": indices}),
        );
    }
    input["services"] = Value::Object(services);
    input["facts"]["git"]["repos"] = Value::Object(repos);
    input["facts"]["git"]["workloads"] = Value::Object(workloads);
    input["facts"]["git"]["prometheus_rules"] = Value::Array(rules);
    input["index"] =
        json!({"rule_metrics": evident_engine::resolve::rule_metrics(&input["facts"]["git"])});
    input
}

fn rules(c: &mut Criterion) {
    let ev = common::evaluator();
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let mut group = c.benchmark_group("evaluate_all_models");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in [1usize, 100, 1_000, 10_000] {
        let input = estate(n);
        let json = serde_json::to_string(&input).expect("json");
        let known = common::known_evidence(&input);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                ev.evaluate(&input, &json, &known, &AttestationSet::default(), today)
                    .expect("evaluation")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, rules);
criterion_main!(benches);
