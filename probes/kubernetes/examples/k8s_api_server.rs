//! Benchmark helper: serves a synthetic cluster (WORKLOADS Deployments of PODS pods each,
//! with their ReplicaSets and Services) on 127.0.0.1 until killed, so the probe can be
//! measured in its own process (`/usr/bin/time -v`, hyperfine). See `k8s_probe`.
//!
//! cargo run --release -p evident-probe-kubernetes --example k8s_api_server -- 5000 10

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let workloads = args.first().copied().unwrap_or(5000);
    let pods = args.get(1).copied().unwrap_or(10);
    let objects = support::synthetic(workloads, pods);
    let state = Arc::new(support::State::new(&objects));
    let addr = support::start(Arc::clone(&state)).await;
    println!("http://{addr}");
    eprintln!(
        "serving {} objects ({workloads} workloads x {pods} pods); /__requests counts requests",
        objects.len()
    );
    drop(objects);
    let _ = tokio::signal::ctrl_c().await;
}
