//! Benchmark helper: runs the kubernetes probe once against URL and prints what it read.
//! Measure it with `/usr/bin/time -v` (peak RSS, CPU) while `k8s_api_server` serves.
//!
//! cargo run --release -p evident-probe-kubernetes --example k8s_probe -- http://127.0.0.1:PORT

use evident_core::{Probe, ScanContext};
use evident_probe_kubernetes::{KubernetesProbe, Target};
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: k8s_probe URL");
        std::process::exit(2);
    };
    let Ok(uri) = url.parse() else {
        eprintln!("not a URL: {url}");
        std::process::exit(2);
    };
    let started = Instant::now();
    let probe = KubernetesProbe::new(vec![Target::Config {
        name: "bench".into(),
        config: Box::new(kube::Config::new(uri)),
    }]);
    let out = probe
        .collect(&ScanContext::new(vec![], "2026-11-23T10:00:00Z".into()))
        .await;
    let f = &out.facts;
    let pages: u64 = f["clusters"]["bench"]["resources"]
        .as_object()
        .map(|m| m.values().filter_map(|r| r["pages"].as_u64()).sum())
        .unwrap_or(0);
    let pods = f["clusters"]["bench"]["resources"]["pods"]["items"].clone();
    println!(
        "wall_ms={} workloads={} pods_read={} list_pages={} evidence={} status={:?}",
        started.elapsed().as_millis(),
        f["workloads"].as_object().map_or(0, |m| m.len()),
        pods,
        pages,
        out.evidence.len(),
        out.sources.first().map(|s| s.status)
    );
}
