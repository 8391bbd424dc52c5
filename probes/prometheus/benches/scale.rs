//! Scale benchmark: the probe against a real Prometheus scraping 1,000 targets that
//! together expose 100,000 series (10 services x 100 targets x 100 series), served by
//! this harness. Prints the requests the probe sent and its wall time; fails when the
//! request budget (50) is exceeded. Timing is printed, not asserted.

#[path = "../tests/support/mod.rs"]
mod support;

use evident_core::{Probe, ScanContext};
use evident_probe_prometheus::http::Auth;
use evident_probe_prometheus::{PrometheusConfig, PrometheusProbe};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const SERVICES: usize = 10;
const TARGETS_PER_SERVICE: usize = 100;

fn exposition() -> String {
    // 100 series per target: 10 families x 10 label values.
    let mut s = String::new();
    for f in 0..10 {
        let name = match f {
            0 => "http_requests_total".to_owned(),
            1 => "http_request_duration_seconds_bucket".to_owned(),
            2 => "orders_placed_total".to_owned(),
            n => format!("bench_domain_metric_{n}_total"),
        };
        for v in 0..10 {
            let _ = writeln!(s, "{name}{{le=\"{v}\",handler=\"/h{v}\"}} {}", v * 7 + f);
        }
    }
    s
}

fn config(port: u16) -> String {
    let mut c =
        String::from("global:\n  scrape_interval: 10s\n  scrape_timeout: 5s\nscrape_configs:\n");
    for svc in 0..SERVICES {
        let targets: Vec<String> = (0..TARGETS_PER_SERVICE)
            .map(|t| format!("\"t{svc}-{t}\""))
            .collect();
        let _ = write!(
            c,
            "  - job_name: svc{svc}\n    metrics_path: /metrics\n    static_configs:\n      - targets: [{}]\n        labels: {{namespace: bench, app_kubernetes_io_name: svc{svc}}}\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_t\n      - source_labels: [__param_t]\n        target_label: instance\n      - target_label: __address__\n        replacement: \"127.0.0.1:{port}\"\n",
            targets.join(", ")
        );
    }
    c
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        let body = Arc::new(exposition());
        let handler: Handler = Arc::new(move |_req: Request| Response::text(body.as_str()));
        let port = serve(handler).await;
        let prom = start_prometheus(&config(port), "groups: []\n").await;
        let url = prom.url.clone();
        let started = Instant::now();
        wait_for(Duration::from_secs(300), "1,000 targets up and 100,000 series", || {
            let url = url.clone();
            async move {
                let q = |e: &str| {
                    let url = url.clone();
                    let e = e.to_owned();
                    async move {
                        reqwest::Client::new()
                            .get(format!("{url}/api/v1/query"))
                            .query(&[("query", e)])
                            .send()
                            .await
                            .ok()?
                            .json::<serde_json::Value>()
                            .await
                            .ok()?
                            .pointer("/data/result/0/value/1")
                            .and_then(|v| v.as_str())
                            .and_then(|v| v.parse::<f64>().ok())
                    }
                };
                q("sum(up)").await == Some(1000.0)
                    && q("count({job=~\"svc.*\", __name__!~\"up|scrape_.*\"})").await.is_some_and(|n| n >= 100_000.0)
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("harness ready after {:?}", started.elapsed());

        let probe = PrometheusProbe::new(PrometheusConfig::new(vec![prom.url.clone()], Auth::None));
        let ctx = ScanContext::new(
            vec![],
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        let t = Instant::now();
        let out = probe.collect(&ctx).await;
        let wall = t.elapsed();
        let services = out.facts["services"].as_object().map_or(0, |s| s.len());
        let facts_bytes = out.facts.to_string().len();
        println!(
            "scale: 1000 targets, 100000 series: {} requests, {:.2?} wall, {} services, {} evidence records, facts {} KiB, parts {}",
            probe.requests_sent(),
            wall,
            services,
            out.evidence.len(),
            facts_bytes / 1024,
            out.sources.first().map(|s| serde_json::to_string(&s.parts).unwrap_or_default()).unwrap_or_default()
        );
        assert!(probe.requests_sent() < 50, "request budget exceeded");
        assert_eq!(services, SERVICES);
    });
}
