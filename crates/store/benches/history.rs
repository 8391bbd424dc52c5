//! The history store at 1,000 scans (issue 14): how long saving takes per scan, and what
//! the reads `serve` and `evident history` make cost once a year of daily scans is kept.
//! SQLite in a temporary file, the fixture result with every status, one scan a day.
//!
//!     cargo bench -p evident-store --bench history

use criterion::{Criterion, criterion_group, criterion_main};
use evident_store::{Retention, Store};
use std::time::Instant;

const SCANS: usize = 1_000;

fn result(i: usize) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(include_str!(
        "../../../fixtures/scan-results/all-statuses.json"
    ))
    .expect("fixture parses");
    let day = chrono::DateTime::parse_from_rfc3339("2024-01-01T03:00:00Z").expect("time")
        + chrono::Duration::days(i as i64);
    let at = day.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    doc["scan"]["id"] = format!("bench-{i:05}").into();
    doc["scan"]["started_at"] = at.clone().into();
    doc["scan"]["finished_at"] = at.into();
    doc.to_string()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("history.db").display().to_string();
    let store = rt.block_on(Store::open(&location)).expect("open store");
    let docs: Vec<String> = (0..SCANS).map(result).collect();
    let clock = Instant::now();
    for doc in &docs {
        rt.block_on(store.save(doc)).expect("save");
    }
    let per_save = clock.elapsed() / SCANS as u32;
    let size = std::fs::metadata(dir.path().join("history.db")).map_or(0, |m| m.len());
    eprintln!(
        "saved {SCANS} scans: {per_save:?} per save, database {:.1} MB",
        size as f64 / 1e6
    );
    let points = rt
        .block_on(store.history_limited("cart", Some("ds.devops.health-checks"), 1_000))
        .expect("history");
    assert_eq!(
        points.len(),
        SCANS,
        "every scan judged cart's health checks"
    );
    c.bench_function("list the newest 50 of 1,000 scans", |b| {
        b.iter(|| rt.block_on(store.list(50)).expect("list"))
    });
    c.bench_function(
        "history of one service (every criterion) over 1,000 scans",
        |b| b.iter(|| rt.block_on(store.history("cart", None)).expect("history")),
    );
    c.bench_function("history of one criterion over all 1,000 scans", |b| {
        b.iter(|| {
            rt.block_on(store.history_limited("cart", Some("ds.devops.health-checks"), 1_000))
                .expect("history")
        })
    });
    c.bench_function("load the latest of 1,000 scans", |b| {
        b.iter(|| rt.block_on(store.load("bench-00999")).expect("load"))
    });
    c.bench_function("prune keep_last 1,000 (nothing to drop)", |b| {
        let keep = Retention {
            keep_last: Some(1_000),
            max_age_days: None,
        };
        b.iter(|| rt.block_on(store.prune(&keep)).expect("prune"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
