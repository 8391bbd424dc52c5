//! Fault injection end to end: the built binary against a real Prometheus and a fake
//! Grafana, each behind a fault-injecting proxy (tests/support/proxy.rs). For every
//! fault (refused, timeout, 500, 502 with HTML, 429 with and without Retry-After, 401,
//! 403, truncated JSON, an error envelope with 200, JSON of the wrong shape, a 50 MB
//! dashboard, an endless search) on one endpoint and on all of them: the scan exits 0,
//! only the criteria that read the faulted part change, each to `unknown` with the
//! fault's reason, and every other verdict is the fault-free run's (compared as data).
//! The table of cells is printed (and written to $EVIDENT_FAULT_TABLE when set).

#[path = "../probes/prometheus/tests/support/mod.rs"]
mod prom_support;
mod support;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::proxy::{Fault, FaultProxy};
use support::*;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app.kubernetes.io/name: NAME}}
  template:
    metadata: {labels: {app.kubernetes.io/name: NAME}}
    spec:
      containers:
        - name: server
          image: registry.example.com/shop/NAME:1.4.2
          readinessProbe: {httpGet: {path: /healthz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
";

const RULES: &str = r#"groups:
  - name: checkout
    rules:
      - alert: CheckoutErrors
        expr: sum(rate(http_requests_total{job="checkout",code="500"}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m])) > 0.05
        labels: {severity: page, service: checkout}
        annotations: {runbook_url: "https://runbooks.example.com/checkout"}
      - record: slo:sli_error:ratio_rate5m
        expr: sum(rate(http_requests_total{job="checkout",code="500"}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m]))
        labels: {sloth_service: checkout, sloth_slo: availability, sloth_window: 5m}
      - alert: PaymentsDown
        expr: up{job="payments"} == 0
        labels: {severity: page, service: payments}
"#;

fn prom_config(port: u16, closed: u16) -> String {
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
  - job_name: payments
    static_configs:
      - targets: ["127.0.0.1:{closed}"]
        labels: {{namespace: shop, app_kubernetes_io_name: payments}}
"#
    )
}

fn exposition(n: u64) -> String {
    format!(
        "# TYPE http_requests_total counter\nhttp_requests_total{{code=\"200\"}} {}\nhttp_requests_total{{code=\"500\"}} {n}\n\
         # TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_bucket{{le=\"0.1\"}} {n}\nhttp_request_duration_seconds_bucket{{le=\"+Inf\"}} {n}\n\
         http_request_duration_seconds_sum {n}\nhttp_request_duration_seconds_count {n}\n\
         # TYPE orders_placed_total counter\norders_placed_total {}\n# TYPE go_goroutines gauge\ngo_goroutines 12\n",
        100 * n,
        3 * n
    )
}

async fn real_prometheus() -> prom_support::Prometheus {
    use prom_support::*;
    let scrapes = Arc::new(AtomicU64::new(1));
    let handler: Handler = Arc::new(move |req: Request| {
        let n = scrapes.fetch_add(1, Ordering::Relaxed);
        match req.path.as_str() {
            "/metrics/checkout" => Response::text(exposition(n)),
            _ => Response::json(404, "{}"),
        }
    });
    let port = serve(handler).await;
    let prom = start_prometheus(&prom_config(port, closed_port()), RULES).await;
    let url = prom.url.clone();
    wait_for(
        Duration::from_secs(90),
        "targets scraped and rules evaluated",
        || {
            let url = url.clone();
            async move {
                let targets = get_json(&format!("{url}/api/v1/targets?state=active")).await;
                let scraped = targets.is_some_and(|t| {
                    t["data"]["activeTargets"].as_array().is_some_and(|a| {
                        a.len() == 2
                            && a.iter()
                                .all(|t| t["health"] == "up" || t["health"] == "down")
                    })
                });
                let rules = get_json(&format!("{url}/api/v1/rules")).await;
                let evaluated = rules.is_some_and(|r| {
                    r["data"]["groups"][0]["rules"]
                        .as_array()
                        .is_some_and(|rs| {
                            rs.iter().all(|r| {
                                r["lastEvaluation"]
                                    .as_str()
                                    .is_some_and(|s| !s.starts_with("0001"))
                            })
                        })
                });
                scraped && evaluated
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // Two evaluation rounds, so the up history has points for both jobs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    prom
}

fn dashboard(uid: &str, title: &str, expr: &str) -> Value {
    json!({"uid": uid, "title": title, "schemaVersion": 39, "version": 3,
           "panels": [{"id": 1, "type": "timeseries", "title": "Requests",
                       "datasource": {"type": "prometheus", "uid": "prom"},
                       "targets": [{"refId": "A", "expr": expr}]}]})
}

/// A fake Grafana (search and two dashboards), itself served by a proxy whose only
/// upstream is its own answers.
fn fake_grafana() -> FaultProxy {
    let dashboards = [
        dashboard(
            "checkout",
            "Checkout",
            r#"sum(rate(http_requests_total{job="checkout"}[5m]))"#,
        ),
        dashboard("fleet", "Fleet", r#"sum by (job) (up)"#),
    ];
    let grafana = FaultProxy::start("127.0.0.1:9");
    grafana.inject(
        "/",
        Fault::Body(Arc::new(move |target: &str| {
            let path = target.split('?').next().unwrap_or_default();
            if path == "/api/search" {
                let page = target.contains("page=1");
                let hits: Vec<Value> = dashboards
                    .iter()
                    .map(|d| json!({"uid": d["uid"], "title": d["title"], "type": "dash-db", "folderTitle": "Shop"}))
                    .collect();
                return Value::Array(if page { hits } else { vec![] }).to_string().into_bytes();
            }
            let uid = path.trim_start_matches("/api/dashboards/uid/");
            let d = dashboards.iter().find(|d| d["uid"] == uid).cloned().unwrap_or(Value::Null);
            json!({"dashboard": d, "meta": {"url": format!("/d/{uid}"), "folderTitle": "Shop"}})
                .to_string()
                .into_bytes()
        })),
    );
    grafana
}

/// One scan's outcome: exit code, verdicts, sources not ok, and peak RSS in KiB.
struct Run {
    code: Option<i32>,
    verdicts: BTreeMap<(String, String), (String, String)>,
    not_ok: Vec<String>,
    rss_kib: u64,
    wall: Duration,
}

fn scan(repo: &str, prometheus: &str, grafana: &str) -> Run {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_evident"))
        .args(["scan", repo, "--format", "json", "--request-timeout", "2"])
        .args(["--prometheus", prometheus, "--grafana", grafana])
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("EVIDENT_PROMETHEUS_TOKEN")
        .env_remove("EVIDENT_GRAFANA_TOKEN")
        .output()
        .expect("run evident under /usr/bin/time");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss_kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let code = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exit status: "))
        .and_then(|v| v.trim().parse().ok());
    let result: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}); stderr: {stderr}"));
    assert_valid(&result);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let verdicts = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                (text(&r["criterion"]), text(&r["service"])),
                (text(&r["status"]), text(&r["reason"])),
            )
        })
        .collect();
    // Sources not ok, parts not ok, and sources or parts read in part.
    let mut not_ok = Vec::new();
    for s in result["sources"].as_array().expect("sources") {
        let probe = text(&s["probe"]);
        if s["status"] != "ok" && s["status"] != "not_configured" {
            not_ok.push(format!("{probe}={}", text(&s["status"])));
        }
        if let Some(n) = s["incomplete"].as_array().map(Vec::len) {
            not_ok.push(format!("{probe}: {n} incomplete"));
        }
        for (part, p) in s["parts"].as_object().into_iter().flatten() {
            if p["status"] != "ok" {
                not_ok.push(format!("{probe}.{part}={}", text(&p["status"])));
            }
        }
    }
    Run {
        code,
        verdicts,
        not_ok,
        rss_kib,
        wall,
    }
}

const TARGETS_READERS: &[&str] = &[
    "ds.devops.dashboards",
    "ds.devops.zero-downtime",
    "cams.measurement.business",
    "cams.measurement.technical",
];
const RULES_READERS: &[&str] = &[
    "ds.devops.sla-monitored",
    "ops.sops-codified",
    "ops.maintenance-proactive",
    "ops.metric-driven",
    "cams.sharing.team-monitoring",
];
const QUERY_READERS: &[&str] = &[
    "ds.devops.dashboards",
    "cams.measurement.business",
    "cams.measurement.technical",
    "ds.devops.sla-monitored",
    "ds.devops.dependency-graph",
];

/// The criteria a fault on `prefix` may change.
fn readers(prefix: &str) -> BTreeSet<&'static str> {
    let list: Vec<&[&str]> = match prefix {
        "/api/v1/targets" => vec![TARGETS_READERS],
        "/api/v1/rules" => vec![RULES_READERS],
        "/api/v1/query_range" => vec![&["ds.devops.zero-downtime"]],
        "/api/v1/query" => vec![QUERY_READERS, &["ds.devops.zero-downtime"]],
        "/api/v1/" | "prometheus:refused" => vec![TARGETS_READERS, RULES_READERS, QUERY_READERS],
        _ => vec![&["ds.devops.dashboards"]],
    };
    list.into_iter().flatten().copied().collect()
}

/// A fault by name, and the reason a criterion reading the faulted part takes.
fn faults() -> Vec<(&'static str, Fault, &'static str)> {
    let status = |code: u16, body: &str| Fault::status(code, body);
    vec![
        (
            "500",
            status(500, r#"{"status":"error","error":"internal"}"#),
            "error",
        ),
        (
            "502 html",
            Fault::Status {
                code: 502,
                content_type: "text/html",
                body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
                retry_after: None,
            },
            "error",
        ),
        (
            "429 retry-after",
            Fault::Status {
                code: 429,
                content_type: "application/json",
                body: r#"{"message":"slow down"}"#.into(),
                retry_after: Some("30".into()),
            },
            "rate_limited",
        ),
        ("429 bare", status(429, ""), "rate_limited"),
        (
            "401",
            status(401, r#"{"message":"Unauthorized"}"#),
            "forbidden",
        ),
        (
            "403",
            status(403, r#"{"message":"Forbidden"}"#),
            "forbidden",
        ),
        ("truncated", Fault::Truncate, "error"),
        (
            "error envelope 200",
            Fault::body(r#"{"status":"error","errorType":"internal","error":"boom"}"#),
            "error",
        ),
        (
            "wrong shape",
            Fault::body(r#"{"status":"success","data":"oops"}"#),
            "error",
        ),
        ("timeout", Fault::Delay(Duration::from_secs(4)), "timeout"),
    ]
}

/// Verdicts that differ from the baseline.
fn changed(
    base: &BTreeMap<(String, String), (String, String)>,
    run: &Run,
) -> Vec<(String, String, String, String)> {
    base.iter()
        .filter_map(|(k, v)| {
            let now = run.verdicts.get(k)?;
            (now != v).then(|| (k.0.clone(), k.1.clone(), now.0.clone(), now.1.clone()))
        })
        .collect()
}

struct Table(Vec<String>);

impl Table {
    fn row(&mut self, endpoint: &str, fault: &str, run: &Run, changes: usize, requests: usize) {
        self.0.push(format!(
            "| {endpoint} | {fault} | {} | {} | {changes} | {requests} | {} | {:.1} |",
            run.code.map_or("-".into(), |c| c.to_string()),
            if run.not_ok.is_empty() {
                "-".into()
            } else {
                run.not_ok.join(", ")
            },
            run.rss_kib / 1024,
            run.wall.as_secs_f64()
        ));
    }
}

/// Asserts a faulted run: exit 0, the same rows, and only `allowed` criteria changed,
/// each to unknown with `reason` (or `partial`, for a part read in part).
fn check(cell: &str, base: &Run, run: &Run, allowed: &BTreeSet<&str>, reason: &str) -> usize {
    assert_eq!(run.code, Some(0), "{cell}: exit code");
    assert_eq!(
        base.verdicts.keys().collect::<Vec<_>>(),
        run.verdicts.keys().collect::<Vec<_>>(),
        "{cell}: the rows differ"
    );
    let changes = changed(&base.verdicts, run);
    for (criterion, service, status, why) in &changes {
        assert!(
            allowed.contains(criterion.as_str()),
            "{cell}: {criterion}/{service} changed to {status} ({why}) but does not read the faulted part"
        );
        assert_eq!(
            status, "unknown",
            "{cell}: {criterion}/{service} became {status}"
        );
        assert!(
            why == reason || why == "partial",
            "{cell}: {criterion}/{service} is unknown for {why}, expected {reason}"
        );
    }
    changes.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_makes_only_the_criteria_reading_it_unknown() {
    let prom = real_prometheus().await;
    let prom_proxy = FaultProxy::start(&prom.url);
    let grafana = fake_grafana();
    let grafana_proxy = FaultProxy::start(&grafana.url);
    let repo = Repo::new("shop");
    repo.write("k8s/checkout.yaml", DEPLOYMENT.replace("NAME", "checkout"))
        .write("k8s/payments.yaml", DEPLOYMENT.replace("NAME", "payments"));
    repo.commit("shop");
    let path = repo.path();
    let path = path.to_str().expect("utf-8");

    let base = scan(path, &prom_proxy.url, &grafana_proxy.url);
    assert_eq!(base.code, Some(0));
    assert!(base.not_ok.is_empty(), "{:?}", base.not_ok);
    // The down service is not met on its up history alone (its rollout keeps capacity).
    assert_eq!(
        verdict(&base, "ds.devops.zero-downtime", "payments").map(|v| v.0),
        Some("not_met".into())
    );
    assert_eq!(
        verdict(&base, "ds.devops.dashboards", "checkout").map(|v| v.0),
        Some("met".into())
    );
    // ALERTS for payments is Prometheus' own series, not a business metric of it.
    assert_ne!(
        verdict(&base, "cams.measurement.business", "payments").map(|v| v.0),
        Some("met".into())
    );

    let mut table = Table(vec![
        "| endpoint | fault | exit | sources not ok | verdicts changed | requests | peak RSS MiB | wall s |".into(),
        "|---|---|---|---|---|---|---|---|".into(),
    ]);
    table.row(
        "(none)",
        "baseline",
        &base,
        0,
        prom_proxy.requests() + grafana_proxy.requests(),
    );

    let cells = Cells {
        path,
        prom: &prom_proxy,
        grafana: &grafana_proxy,
        base: &base,
    };
    prometheus_cells(&cells, &mut table);
    grafana_cells(&cells, &mut table);
    bound_cells(&cells, &mut table);

    let text = table.0.join("\n");
    eprintln!("{text}");
    if let Ok(path) = std::env::var("EVIDENT_FAULT_TABLE") {
        let _ = std::fs::write(path, &text);
    }
}

/// What every cell scans with: the repository, both proxies, the fault-free run.
struct Cells<'a> {
    path: &'a str,
    prom: &'a FaultProxy,
    grafana: &'a FaultProxy,
    base: &'a Run,
}

fn verdict(r: &Run, c: &str, s: &str) -> Option<(String, String)> {
    r.verdicts.get(&(c.into(), s.into())).cloned()
}

/// Prometheus refused, then every fault on each API prefix and on all of them, and a
/// 50 MB answer.
fn prometheus_cells(c: &Cells<'_>, table: &mut Table) {
    let (path, base, prom_proxy, grafana_proxy) = (c.path, c.base, c.prom, c.grafana);
    // Prometheus refused: the whole source failed.
    let refused = format!("http://127.0.0.1:{}", prom_support::closed_port());
    let run = scan(path, &refused, &grafana_proxy.url);
    let n = check(
        "refused",
        base,
        &run,
        &readers("prometheus:refused"),
        "error",
    );
    table.row("prometheus (all)", "connection refused", &run, n, 0);

    for prefix in [
        "/api/v1/targets",
        "/api/v1/rules",
        "/api/v1/query_range",
        "/api/v1/query",
        "/api/v1/",
    ] {
        for (name, fault, reason) in faults() {
            prom_proxy.inject(prefix, fault);
            let run = scan(path, &prom_proxy.url, &grafana_proxy.url);
            let cell = format!("prometheus {prefix} {name}");
            let n = check(&cell, base, &run, &readers(prefix), reason);
            // The down service never turns met because its history could not be read.
            assert_ne!(
                verdict(&run, "ds.devops.zero-downtime", "payments").map(|v| v.0),
                Some("met".into()),
                "{cell}"
            );
            table.row(
                &format!("prometheus {prefix}"),
                name,
                &run,
                n,
                prom_proxy.requests(),
            );
        }
    }
    // A 50 MB answer on the rules API: over the 32 MiB bound, refused unread.
    let huge = Arc::new(vec![b' '; 50 * 1024 * 1024]);
    prom_proxy.inject(
        "/api/v1/rules",
        Fault::Body(Arc::new(move |_| huge.to_vec())),
    );
    let run = scan(path, &prom_proxy.url, &grafana_proxy.url);
    let n = check(
        "prometheus rules 50 MB",
        base,
        &run,
        &readers("/api/v1/rules"),
        "error",
    );
    assert!(run.rss_kib < 256 * 1024, "peak RSS {} KiB", run.rss_kib);
    table.row(
        "prometheus /api/v1/rules",
        "50 MB body",
        &run,
        n,
        prom_proxy.requests(),
    );
    prom_proxy.inject("", Fault::None);
}

/// Every fault on one dashboard, on every dashboard, and on the search.
fn grafana_cells(c: &Cells<'_>, table: &mut Table) {
    let (path, base, prom_proxy, grafana_proxy) = (c.path, c.base, c.prom, c.grafana);
    for prefix in [
        "/api/dashboards/uid/checkout",
        "/api/dashboards/",
        "/api/search",
    ] {
        for (name, fault, reason) in faults() {
            grafana_proxy.inject(prefix, fault);
            let run = scan(path, &prom_proxy.url, &grafana_proxy.url);
            let cell = format!("grafana {prefix} {name}");
            let n = check(&cell, base, &run, &readers(prefix), reason);
            assert_ne!(
                verdict(&run, "ds.devops.dashboards", "payments").map(|v| v.0),
                Some("not_met".into()),
                "{cell}: a dashboard not read proves nothing absent"
            );
            table.row(
                &format!("grafana {prefix}"),
                name,
                &run,
                n,
                grafana_proxy.requests(),
            );
        }
    }
}

/// The bounds: a 50 MB dashboard and an endless search.
fn bound_cells(c: &Cells<'_>, table: &mut Table) {
    let (path, base, prom_proxy, grafana_proxy) = (c.path, c.base, c.prom, c.grafana);
    // A 50 MB dashboard: read within the memory bound, verdicts unchanged.
    let big = Arc::new(big_dashboard(50 * 1024 * 1024));
    grafana_proxy.inject(
        "/api/dashboards/uid/checkout",
        Fault::Body(Arc::new(move |_| big.to_vec())),
    );
    let run = scan(path, &prom_proxy.url, &grafana_proxy.url);
    let n = check("grafana 50 MB", base, &run, &BTreeSet::new(), "-");
    assert!(run.rss_kib < 256 * 1024, "peak RSS {} KiB", run.rss_kib);
    table.row(
        "grafana /api/dashboards/uid/checkout",
        "50 MB body",
        &run,
        n,
        grafana_proxy.requests(),
    );

    // An endless search: pages of new folders forever; stopped at its page bound.
    grafana_proxy.inject(
        "/api/search",
        Fault::Body(Arc::new(|target: &str| {
            let page = target
                .split("page=")
                .nth(1)
                .unwrap_or("1")
                .split('&')
                .next()
                .unwrap_or("1")
                .to_owned();
            let hits: Vec<Value> = (0..100)
                .map(
                    |i| json!({"uid": format!("f{page}-{i}"), "type": "dash-folder", "title": "F"}),
                )
                .collect();
            Value::Array(hits).to_string().into_bytes()
        })),
    );
    let run = scan(path, &prom_proxy.url, &grafana_proxy.url);
    let n = check(
        "grafana endless search",
        base,
        &run,
        &readers("/api/search"),
        "partial",
    );
    assert_eq!(grafana_proxy.requests(), 100, "the search page bound");
    table.row(
        "grafana /api/search",
        "endless pagination",
        &run,
        n,
        grafana_proxy.requests(),
    );
}

/// A dashboard of about `size` bytes: one real panel selecting checkout, then panels
/// whose bulk is options nobody reads (as large exported dashboards are).
fn big_dashboard(size: usize) -> Vec<u8> {
    let junk = "x".repeat(24 * 1024);
    let mut panels = vec![
        dashboard(
            "checkout",
            "Checkout",
            r#"sum(rate(http_requests_total{job="checkout"}[5m]))"#,
        )["panels"][0]
            .clone(),
    ];
    let filler = json!({"id": 2, "type": "text", "title": "Notes", "options": {"content": junk, "mode": "markdown"},
                        "fieldConfig": {"defaults": {"custom": {"list": [1, 2, 3, 4, 5, 6, 7, 8]}}}});
    let one = filler.to_string().len();
    panels.extend(std::iter::repeat_n(filler, size / one));
    json!({"dashboard": {"uid": "checkout", "title": "Checkout", "schemaVersion": 39, "version": 9, "panels": panels},
           "meta": {"url": "/d/checkout", "folderTitle": "Shop"}})
    .to_string()
    .into_bytes()
}
