//! Peak memory of reading a 50 MB dashboard, the way the Grafana probe did (a
//! `serde_json::Value`, then extraction) and the way it does (the reduced typed model).
//! A measurement, not a test (figures are never asserted): run one shape per process,
//! since the peak is the process's own.
//!
//!     cargo run --release -p evident-dashboards --example dashboard_memory -- typed many
//!
//! Modes: `value` or `typed`, shapes `fat` or `many`. Prints the peak RSS (VmHWM of the
//! process) and the wall time.

use std::time::Instant;

/// Panels whose bulk is options nobody reads (24 KiB each), one real query. Built as
/// text, so making the body never holds a JSON tree (the peak would hide the parse's).
fn fat(size: usize) -> Vec<u8> {
    let junk = "x".repeat(24 * 1024);
    let filler = format!(
        r#"{{"id":2,"type":"text","title":"Notes","options":{{"content":"{junk}"}},"fieldConfig":{{"defaults":{{"custom":{{"list":[1,2,3,4,5,6,7,8]}}}}}}}}"#
    );
    answer(&filler, size)
}

/// Small panels (about 200 bytes each): the shape where a `Value` costs the most per byte.
fn many(size: usize) -> Vec<u8> {
    let filler = r#"{"id":2,"type":"stat","title":"Panel","gridPos":{"h":4,"w":6,"x":0,"y":0},"options":{"reduceOptions":{"calcs":["lastNotNull"],"fields":""},"colorMode":"value"}}"#;
    answer(filler, size)
}

fn answer(filler: &str, size: usize) -> Vec<u8> {
    let real = r#"{"id":1,"type":"timeseries","title":"Requests","datasource":{"type":"prometheus"},"targets":[{"refId":"A","expr":"sum(rate(http_requests_total{job=\"checkout\"}[5m]))"}]}"#;
    let mut out = String::with_capacity(size + 1024);
    out.push_str(r#"{"dashboard":{"uid":"d","title":"D","panels":["#);
    out.push_str(real);
    while out.len() + filler.len() < size {
        out.push(',');
        out.push_str(filler);
    }
    out.push_str(r#"]},"meta":{}}"#);
    out.into_bytes()
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn report(what: &str, bytes: usize, started: Instant, before: u64) {
    eprintln!(
        "{what}: {} MB body, peak RSS {} MiB (before parsing {} MiB, body included), {:.2?}",
        bytes / 1_000_000,
        peak_kib() / 1024,
        before / 1024,
        started.elapsed()
    );
}

#[derive(serde::Deserialize)]
struct Answer {
    dashboard: evident_dashboards::model::Model,
}

fn as_value(body: &[u8], what: &str) {
    let before = peak_kib();
    let started = Instant::now();
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let d = evident_dashboards::extract_dashboard(&v["dashboard"]);
    assert_eq!(d.panels.len(), 1);
    report(what, body.len(), started, before);
}

fn typed(body: &[u8], what: &str) {
    let before = peak_kib();
    let started = Instant::now();
    let a: Answer = serde_json::from_slice(body).unwrap_or_else(|e| panic!("parse: {e}"));
    let d = evident_dashboards::model::extract_model(&a.dashboard);
    assert_eq!(d.dashboard.panels.len(), 1);
    report(what, body.len(), started, before);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("typed", String::as_str);
    let shape = args.get(1).map_or("many", String::as_str);
    let body = if shape == "fat" {
        fat(50 << 20)
    } else {
        many(50 << 20)
    };
    let what = format!("{mode}, {shape} panels");
    if mode == "value" {
        as_value(&body, &what);
    } else {
        typed(&body, &what);
    }
}
