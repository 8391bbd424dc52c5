//! Measures the store at an estate's scale: saves N scans (default 1,000) of a result with
//! 100 services x 60 criteria into a fresh SQLite file, then times history queries, a
//! listing and pruning. `cargo run -p evident-store --example history_bench [N]`; the
//! figures are in docs/benchmarks.md.

use evident_store::{Retention, Store};
use std::time::Instant;

const SERVICES: usize = 100;
const CRITERIA: usize = 60;

/// A result document of `SERVICES` x `CRITERIA` verdicts and a level per service.
fn result_json(scan: usize) -> String {
    let statuses = ["met", "not_met", "unknown", "not_applicable", "manual"];
    let mut results = Vec::with_capacity(SERVICES * CRITERIA);
    let mut levels = Vec::with_capacity(SERVICES);
    for s in 0..SERVICES {
        for c in 0..CRITERIA {
            let status = statuses[(s + c + scan) % statuses.len()];
            results.push(serde_json::json!({
                "model": "distributed-systems", "criterion": format!("ds.c{c:02}"),
                "service": format!("svc-{s:03}"), "status": status,
                "reason": if status == "unknown" { Some("not_configured") } else { None },
                "summary": format!("criterion {c} is {status} for service {s}: a line a person reads first"),
                "evidence": [format!("git:repo@abc:file-{c}.yaml#L1-L9")]
            }));
        }
        levels.push(serde_json::json!({
            "model": "distributed-systems", "service": format!("svc-{s:03}"),
            "attained": (s + scan) % 4, "next_undetermined": false,
            "blocked_by": {"not_met": [], "unknown": []}, "shares": []
        }));
    }
    // One scan an hour from 2026-01-01.
    let started_at =
        chrono::DateTime::<chrono::Utc>::from_timestamp(1_767_225_600 + scan as i64 * 3600, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
    let doc = serde_json::json!({
        "schema": "evident/scan-result/v2",
        "scan": {
            "id": format!("00000000-0000-4000-8000-{scan:012}"),
            "started_at": started_at,
            "finished_at": started_at,
            "tool": {"name": "evident", "version": "0.1.0"}, "targets": ["."], "strict": false
        },
        "sources": [],
        "services": (0..SERVICES).map(|s| serde_json::json!({
            "id": format!("svc-{s:03}"), "team": "t", "resolved_from": "repository", "found_in": []
        })).collect::<Vec<_>>(),
        "criteria": {}, "results": results, "scoped_results": [], "levels": levels,
        "evidence": {}, "unreadable": []
    });
    let mut text = serde_json::to_string(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scans: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db").display().to_string()).await?;
    let sample = result_json(0);
    println!(
        "{scans} scans of {SERVICES} services x {CRITERIA} criteria ({} verdict rows, {} KiB of JSON each)",
        SERVICES * CRITERIA,
        sample.len() / 1024
    );
    let mut total = std::time::Duration::ZERO;
    let mut slowest = 0u128;
    for scan in 0..scans {
        let body = result_json(scan);
        let one = Instant::now();
        store.save(&body).await?;
        total += one.elapsed();
        slowest = slowest.max(one.elapsed().as_micros());
    }
    println!(
        "save (time in Store::save only): {:.1} s total, {:.1} ms per scan, slowest {:.1} ms",
        total.as_secs_f64(),
        total.as_secs_f64() * 1000.0 / scans as f64,
        slowest as f64 / 1000.0
    );
    for (what, criterion) in [("all criteria", None), ("one criterion", Some("ds.c07"))] {
        let t = Instant::now();
        let points = store.history("svc-042", criterion).await?;
        let rows: usize = points.iter().map(|p| p.verdicts.len()).sum();
        println!(
            "history svc-042 ({what}): {} points, {rows} verdicts in {:.1} ms",
            points.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    let t = Instant::now();
    let list = store.list(50).await?;
    println!(
        "list 50: {} in {:.1} ms",
        list.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let json = store.load_json(&list[0].id).await?.unwrap_or_default();
    println!(
        "load_json: {} KiB in {:.1} ms",
        json.len() / 1024,
        t.elapsed().as_secs_f64() * 1000.0
    );
    let size = std::fs::metadata(dir.path().join("bench.db"))?.len();
    println!("database file: {} MiB", size / (1024 * 1024));
    let t = Instant::now();
    let pruned = store
        .prune(&Retention {
            keep_last: Some(100),
            max_age_days: None,
        })
        .await?;
    println!(
        "prune to the newest 100: {pruned} scans deleted in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
