//! Runs the source_code probe on the repositories given as arguments and prints what it
//! found and how long it took; run it under `/usr/bin/time -v` for peak memory:
//!
//! ```sh
//! scripts/make-large-repos /tmp/large 100000 10
//! cargo run --release -p evident-probe-source-code --example bench -- /tmp/large/many-files
//! ```

use evident_core::ScanContext;
use evident_probe_source_code::{SourceCodeConfig, scan_repositories};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let ctx = ScanContext::new(paths.clone(), "1970-01-01T00:00:00Z".to_owned());
    let started = Instant::now();
    let out = scan_repositories(&paths, &ctx, &SourceCodeConfig::default());
    let took = started.elapsed();
    let facts = &out.facts;
    for (key, repo) in facts["repos"].as_object().into_iter().flatten() {
        for d in repo["deployables"].as_array().into_iter().flatten() {
            let deps = d["dependencies"].as_array().map_or(0, Vec::len);
            let langs: Vec<String> = d["languages"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(l, c)| format!("{l} {}", c["code"]))
                .collect();
            println!(
                "{key}: {} code={} files={} deps={deps} [{}] excluded={}",
                d["id"].as_str().unwrap_or(""),
                d["code_lines"],
                d["files"],
                langs.join(", "),
                d["excluded"]
            );
        }
    }
    for s in facts["datastores"].as_array().into_iter().flatten() {
        println!(
            "datastore: {} {} via {}",
            s["deployable"].as_str().unwrap_or(""),
            s["technology"].as_str().unwrap_or(""),
            s["dependency"].as_str().unwrap_or("")
        );
    }
    for p in facts["internal_packages"].as_array().into_iter().flatten() {
        println!(
            "internal: {} used_by={} code={}",
            p["name"].as_str().unwrap_or(""),
            p["used_by"],
            p["code_lines"]
        );
    }
    for s in &out.sources {
        println!(
            "source {} {:?}: {} ({} unreadable)",
            s.source,
            s.status,
            s.detail.as_deref().unwrap_or(""),
            s.incomplete.len()
        );
        for u in &s.incomplete {
            println!("  unreadable {}: {}", u.location, u.reason);
        }
    }
    println!("evidence records: {}", out.evidence.len());
    println!("wall time: {:.3} s", took.as_secs_f64());
}
