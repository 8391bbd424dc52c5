//! The probe against a real Prometheus (Debian package `prometheus`) scraping targets
//! this harness serves: three services, a blackbox-style prober, mesh edge metrics, and
//! rule files with alerts (with and without runbooks) and Sloth SLO rules.

mod support;

use evident_core::{Probe, Redactor, ScanContext, SourceStatus};
use evident_probe_prometheus::http::Auth;
use evident_probe_prometheus::{PrometheusConfig, PrometheusProbe};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::*;
#[path = "support/tape.rs"]
mod tape;
use tape::*;

const CANARY: &str = "evident-canary-7f3a9c1e5b2d";

fn exposition(service: &str, n: u64) -> String {
    let mut s = String::new();
    let ok = 100 * n;
    let err = n;
    s.push_str("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n");
    s.push_str(&format!(
        "http_requests_total{{method=\"GET\",code=\"200\",handler=\"/api\"}} {ok}\nhttp_requests_total{{method=\"GET\",code=\"500\",handler=\"/api\"}} {err}\n"
    ));
    s.push_str("# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n");
    let mut cum = 0;
    for (le, share) in [
        ("0.05", 60),
        ("0.1", 25),
        ("0.5", 10),
        ("1", 4),
        ("+Inf", 1),
    ] {
        cum += share * n;
        s.push_str(&format!(
            "http_request_duration_seconds_bucket{{handler=\"/api\",le=\"{le}\"}} {cum}\n"
        ));
    }
    s.push_str(&format!(
        "http_request_duration_seconds_sum{{handler=\"/api\"}} {}\nhttp_request_duration_seconds_count{{handler=\"/api\"}} {cum}\n",
        n as f64 * 7.5
    ));
    s.push_str(&format!(
        "# TYPE go_goroutines gauge\ngo_goroutines 42\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 5.1e+07\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}\n",
        n as f64 * 0.01
    ));
    if service == "checkout" {
        s.push_str(&format!(
            "# HELP orders_placed_total Orders placed.\n# TYPE orders_placed_total counter\norders_placed_total{{currency=\"EUR\"}} {}\n",
            n * 3
        ));
    }
    s
}

fn mesh(n: u64) -> String {
    let mut s = String::from("# TYPE istio_requests_total counter\n");
    for (src, dst) in [("frontend", "checkout"), ("checkout", "cart")] {
        s.push_str(&format!(
            "istio_requests_total{{reporter=\"destination\",source_workload=\"{src}\",source_workload_namespace=\"shop\",destination_workload=\"{dst}\",destination_workload_namespace=\"shop\",destination_service_name=\"{dst}.shop.svc.cluster.local\",response_code=\"200\"}} {}\n",
            n * 10
        ));
    }
    s
}

fn config(port: u16, down: u16) -> String {
    format!(
        r#"global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["RULES"]
scrape_configs:
  - job_name: checkout
    metrics_path: /metrics/checkout
    static_configs:
      - targets: ["127.0.0.1:{port}"]
        labels: {{namespace: shop, app_kubernetes_io_name: checkout}}
  - job_name: cart
    metrics_path: /metrics/cart
    static_configs:
      - targets: ["127.0.0.1:{port}"]
        labels: {{namespace: shop, app: cart}}
  - job_name: frontend
    metrics_path: /metrics/frontend
    static_configs:
      - targets: ["127.0.0.1:{port}"]
        labels: {{namespace: shop}}
  - job_name: payment
    static_configs:
      - targets: ["127.0.0.1:{down}"]
        labels: {{namespace: shop}}
  - job_name: istio-mesh
    metrics_path: /metrics/mesh
    static_configs:
      - targets: ["127.0.0.1:{port}"]
  - job_name: blackbox
    metrics_path: /probe
    params: {{module: [http_2xx]}}
    static_configs:
      - targets: ["http://checkout.shop.svc:8080/healthz", "http://frontend.shop.svc/"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: "127.0.0.1:{port}"
"#
    )
}

fn rules() -> String {
    format!(
        r#"groups:
  - name: checkout-alerts
    rules:
      - alert: CheckoutHighErrorRate
        expr: sum(rate(http_requests_total{{job="checkout",code=~"5.."}}[5m])) / sum(rate(http_requests_total{{job="checkout"}}[5m])) > 0.05
        for: 5m
        labels: {{severity: page, service: checkout}}
        annotations:
          summary: Checkout answers errors
          runbook_url: https://runbooks.example.com/checkout/high-error-rate
      - alert: CartDown
        expr: up{{job="cart", build="{CANARY}"}} == 0
        labels: {{severity: page}}
        annotations:
          summary: Cart is down
  - name: sloth-slo-sli-recordings-checkout-requests-availability
    rules:
      - record: slo:sli_error:ratio_rate5m
        expr: (sum(rate(http_requests_total{{job="checkout",code=~"(5..|429)"}}[5m]))) / (sum(rate(http_requests_total{{job="checkout"}}[5m])))
        labels: {{sloth_id: checkout-requests-availability, sloth_service: checkout, sloth_slo: requests-availability, sloth_window: 5m}}
      - record: slo:sli_error:ratio_rate1h
        expr: (sum(rate(http_requests_total{{job="checkout",code=~"(5..|429)"}}[1h]))) / (sum(rate(http_requests_total{{job="checkout"}}[1h])))
        labels: {{sloth_id: checkout-requests-availability, sloth_service: checkout, sloth_slo: requests-availability, sloth_window: 1h}}
  - name: sloth-slo-meta-recordings-checkout-requests-availability
    rules:
      - record: slo:objective:ratio
        expr: vector(0.9990000000000001)
        labels: {{sloth_id: checkout-requests-availability, sloth_service: checkout, sloth_slo: requests-availability}}
  - name: sloth-slo-alerts-checkout-requests-availability
    rules:
      - alert: CheckoutRequestsAvailabilityPage
        expr: (max(slo:sli_error:ratio_rate5m{{sloth_id="checkout-requests-availability", sloth_service="checkout", sloth_slo="requests-availability"}} > (14.4 * 0.0009999999999998899)) without (sloth_window)) and (max(slo:sli_error:ratio_rate1h{{sloth_id="checkout-requests-availability", sloth_service="checkout", sloth_slo="requests-availability"}} > (14.4 * 0.0009999999999998899)) without (sloth_window))
        labels: {{sloth_severity: page}}
        annotations:
          title: (page) checkout requests-availability SLO error budget burn rate is too fast.
          runbook_url: https://runbooks.example.com/checkout/slo
"#
    )
}

async fn harness() -> Prometheus {
    let scrapes = Arc::new(AtomicU64::new(1));
    let handler: Handler = Arc::new(move |req: Request| {
        let n = scrapes.fetch_add(1, Ordering::Relaxed);
        match req.path.as_str() {
            "/metrics/mesh" => Response::text(mesh(n)),
            "/probe" => {
                let ok = req
                    .query
                    .get("target")
                    .is_some_and(|t| t.contains("checkout"));
                Response::text(format!(
                    "# TYPE probe_success gauge\nprobe_success {}\n# TYPE probe_duration_seconds gauge\nprobe_duration_seconds 0.02\n",
                    u8::from(ok)
                ))
            }
            p => match p.strip_prefix("/metrics/") {
                Some(service) => Response::text(exposition(service, n)),
                None => Response::json(404, "{}"),
            },
        }
    });
    let port = serve(handler).await;
    let prom = start_prometheus(&config(port, closed_port()), &rules()).await;
    let url = prom.url.clone();
    // Ready when every live target was scraped, every rule evaluated, and counters have
    // two samples (increase() needs them).
    wait_for(
        Duration::from_secs(90),
        "scrapes and rule evaluation",
        || {
            let url = url.clone();
            async move {
                let Some(t) = get_json(&format!("{url}/api/v1/targets?state=active")).await else {
                    return false;
                };
                let targets = t["data"]["activeTargets"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let live_up = targets
                    .iter()
                    .filter(|t| t["labels"]["job"] != "payment")
                    .all(|t| t["health"] == "up");
                let payment_down = targets
                    .iter()
                    .any(|t| t["labels"]["job"] == "payment" && t["health"] == "down");
                let Some(r) = get_json(&format!("{url}/api/v1/rules")).await else {
                    return false;
                };
                let evaluated = r["data"]["groups"].as_array().is_some_and(|g| {
                    g.len() == 4
                        && g.iter().all(|g| {
                            g["rules"].as_array().is_some_and(|rs| {
                                rs.iter().all(|r| {
                                    r["lastEvaluation"]
                                        .as_str()
                                        .is_some_and(|s| !s.starts_with("0001"))
                                })
                            })
                        })
                });
                let edges = get_json(&format!(
                    "{url}/api/v1/query?query=sum(increase(istio_requests_total[1h]))%3E0"
                ))
                .await
                .is_some_and(|v| {
                    v["data"]["result"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                });
                targets.len() == 7 && live_up && payment_down && evaluated && edges
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    prom
}

/// A scan observed now: the availability range ends at the observation time, and this
/// Prometheus has only the last minutes of history.
fn ctx() -> ScanContext {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut c = ScanContext::new(vec![], now);
    c.redactor = Arc::new(Redactor::new().with_secret(CANARY));
    c
}

fn config_for(urls: Vec<String>) -> PrometheusConfig {
    let mut c = PrometheusConfig::new(urls, Auth::Bearer(CANARY.into()));
    c.window = Duration::from_secs(600);
    c.edge_window = Duration::from_secs(3600);
    c
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_yields_services_rules_slos_probes_edges_and_history() {
    let prom = harness().await;
    let probe = PrometheusProbe::new(config_for(vec![prom.url.clone()]));
    let ctx = ctx();
    let out = probe.collect(&ctx).await;
    let f = &out.facts;

    assert_eq!(out.sources.len(), 1);
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    for part in evident_probe_prometheus::PARTS {
        assert_eq!(
            support::part(&out, part).status,
            SourceStatus::Ok,
            "{part}: {:?}",
            support::part(&out, part)
        );
    }
    assert!(
        f["servers"][0]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with('2') || v.starts_with('3'))
    );

    // Service mapping, and how each was made.
    let s = &f["services"];
    assert_eq!(
        names(&s["checkout"]["mapped_by"]),
        ["label app_kubernetes_io_name"]
    );
    assert_eq!(names(&s["cart"]["mapped_by"]), ["label app"]);
    assert_eq!(names(&s["frontend"]["mapped_by"]), ["job name"]);
    assert_eq!(names(&s["checkout"]["namespaces"]), ["shop"]);
    assert_eq!(s["checkout"]["targets_up"], 1);
    assert_eq!(s["payment"]["targets_up"], 0);

    // Metric names per service, by family.
    assert_eq!(
        names(&s["checkout"]["families"]["domain"]),
        ["orders_placed_total"]
    );
    assert!(names(&s["cart"]["families"]["domain"]).is_empty());
    assert!(names(&s["cart"]["request_counters"]).contains(&"http_requests_total"));
    assert!(
        names(&s["cart"]["latency_histograms"]).contains(&"http_request_duration_seconds_bucket")
    );
    assert!(names(&s["checkout"]["own_metrics"]).contains(&"orders_placed_total"));
    assert!(names(&s["checkout"]["families"]["runtime"]).contains(&"go_goroutines"));

    // Alerts and SLO rules with their annotations.
    let rules = f["rules"].as_array().expect("rules");
    let rule = |n: &str| {
        rules
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(rules.len(), 6);
    assert_eq!(
        rule("CheckoutHighErrorRate")["runbook_url"],
        "https://runbooks.example.com/checkout/high-error-rate"
    );
    assert_eq!(rule("CheckoutHighErrorRate")["service_hint"], "checkout");
    assert_eq!(rule("CartDown")["runbook_url"], Value::Null);
    assert_eq!(rule("CartDown")["service_hint"], "cart");
    assert_eq!(names(&rule("CartDown")["metrics"]), ["up"]);
    assert_eq!(rule("slo:sli_error:ratio_rate5m")["slo_tool"], "sloth");
    assert_eq!(
        rule("slo:sli_error:ratio_rate5m")["service_hint"],
        "checkout"
    );
    assert_eq!(rule("CheckoutRequestsAvailabilityPage")["burn_rate"], true);
    assert_eq!(rule("CheckoutHighErrorRate")["burn_rate"], false);

    // Synthetic checks mapped by the probed URL's host.
    let synth = f["synthetic"].as_array().expect("synthetic");
    let ratio = |svc: &str| {
        synth
            .iter()
            .find(|p| p["service"] == svc)
            .and_then(|p| p["success_ratio"].as_f64())
    };
    assert_eq!(ratio("checkout"), Some(1.0));
    assert_eq!(ratio("frontend"), Some(0.0));

    // Service-graph edges.
    let edges: Vec<(String, String)> = f["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap_or_default().to_owned(),
                e["destination"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        edges.contains(&("frontend".into(), "checkout".into())),
        "{edges:?}"
    );
    assert!(
        edges.contains(&("checkout".into(), "cart".into())),
        "{edges:?}"
    );

    // up history: payment was never up, checkout always.
    assert!(
        s["payment"]["availability"]["down_points"]
            .as_u64()
            .is_some_and(|d| d > 0),
        "{s}"
    );
    assert_eq!(s["checkout"]["availability"]["down_points"], 0);

    // Every fact cites evidence that exists, with the server and a query or API path.
    let ids: std::collections::HashSet<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    for r in rules {
        assert!(ids.contains(r["evidence"].as_str().unwrap_or_default()));
    }
    for e in &out.evidence {
        assert_eq!(e.source, prom.url);
        assert!(
            e.locator.starts_with("/api/v1/") || e.locator.contains('('),
            "{}",
            e.locator
        );
        assert_eq!(e.observed_at, ctx.observed_at);
    }

    // Bounded: a fixed number of requests, whatever the server holds.
    assert!(
        probe.requests_sent() <= 10,
        "{} requests",
        probe.requests_sent()
    );

    // Secret canary: the token (sent as bearer, and planted in a rule) never leaves.
    let all = format!(
        "{}{}{:?}",
        serde_json::to_string(&out.facts).unwrap_or_default(),
        serde_json::to_string(&out.evidence).unwrap_or_default(),
        out.sources
    );
    assert!(!all.contains(CANARY), "the canary leaked");
    assert!(all.contains("[redacted]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_server_beside_a_live_one_keeps_the_live_facts_and_marks_parts_unknown() {
    let prom = harness().await;
    let down = format!("http://127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = ctx();
    let tape = evident_snapshot::Tape::record(dir.path(), ctx.redactor.clone()).expect("tape");
    let probe = PrometheusProbe::new(config_for(vec![prom.url.clone(), down.clone()]))
        .with_tape(tape.clone());
    let out = probe.collect(&ctx).await;
    finish_tape(&tape);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    assert_eq!(out.sources[1].status, SourceStatus::Error);
    assert!(
        out.sources[1]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("could not connect")
    );
    // What the live server showed is kept ...
    assert!(out.facts["services"]["checkout"].is_object());
    // ... the live server's parts are its own; the down server reports none, and the
    // scan fails the whole capability for it (FailureScope::Capability): the down
    // server may hold any service's data.
    assert_eq!(part(&out, "rules").status, SourceStatus::Ok);
    assert!(out.sources[1].parts.is_empty());
    assert!(out.sources[1].source.contains(&down));

    // Replayable: with this Prometheus stopped, the same plan replayed from the tape
    // gives the same output, the down server's refused connection included, and the
    // token planted in a rule is nowhere in the snapshot.
    let url = prom.url.clone();
    drop(prom);
    wait_for(Duration::from_secs(20), "Prometheus to stop", || {
        let url = url.clone();
        async move {
            get_json(&format!("{url}/api/v1/status/buildinfo"))
                .await
                .is_none()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let (replay, _) = evident_snapshot::Tape::replay(dir.path(), None).expect("replay");
    let again = PrometheusProbe::new(config_for(vec![url, down])).with_tape(replay);
    let replayed = again.collect(&ctx).await;
    assert_same(&output_json(&out), &output_json(&replayed));
    assert_eq!(again.requests_sent(), probe.requests_sent());
    assert!(
        !walk(dir.path()).contains(CANARY),
        "the canary reached the snapshot"
    );
}
