//! The probe against a mock shaped as Grafana's HTTP API documents it (search with
//! `type`, `limit` and `page`; `/api/dashboards/uid/<uid>` answering `{dashboard, meta}`;
//! 401 with a JSON `message`), serving the real dashboards of the otel-demo corpus.

#[path = "../../prometheus/tests/support/mod.rs"]
mod support;

use evident_core::{Probe, Redactor, ScanContext, SourceStatus};
use evident_probe_grafana::{GrafanaConfig, GrafanaProbe};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use support::*;
#[path = "../../prometheus/tests/support/tape.rs"]
mod tape;
use tape::*;

const TOKEN: &str = "glsa_evidentCanaryToken0123456789_abcdef01";

fn corpus() -> Vec<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/otel-demo/src/grafana/provisioning/dashboards/demo");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the otel-demo corpus is missing at {} ({e}); it must sit beside the checkout",
            dir.display()
        )
    });
    let mut out: Vec<(String, Value)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read dashboard");
            (
                p.display().to_string(),
                serde_json::from_str(&text).expect("dashboard JSON"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

fn grafana(dashboards: Vec<Value>) -> Handler {
    let dashboards = Arc::new(dashboards);
    Arc::new(move |req: Request| {
        if req.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return Response::json(401, r#"{"message":"Invalid API key","traceID":""}"#);
        }
        if req.path == "/api/search" {
            let mut items: Vec<Value> =
                vec![json!({"uid": "f1", "title": "Demo", "type": "dash-folder"})];
            items.extend(dashboards.iter().map(|d| {
                json!({"uid": d["uid"], "title": d["title"], "type": "dash-db",
                       "url": format!("/d/{}", d["uid"].as_str().unwrap_or_default()), "folderTitle": "Demo"})
            }));
            if req.query.get("type").map(String::as_str) == Some("dash-db") {
                items.retain(|i| i["type"] == "dash-db");
            }
            let limit: usize = req
                .query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(1000);
            let page: usize = req
                .query
                .get("page")
                .and_then(|l| l.parse().ok())
                .unwrap_or(1);
            let slice: Vec<Value> = items
                .into_iter()
                .skip((page - 1) * limit)
                .take(limit)
                .collect();
            return Response::json(200, Value::Array(slice).to_string());
        }
        if let Some(uid) = req.path.strip_prefix("/api/dashboards/uid/") {
            return match dashboards.iter().find(|d| d["uid"] == uid) {
                Some(d) => Response::json(
                    200,
                    json!({"dashboard": d, "meta": {"type": "db", "slug": "x",
                    "url": format!("/d/{uid}"), "folderTitle": "Demo", "version": d["version"]}})
                    .to_string(),
                ),
                None => Response::json(404, r#"{"message":"Dashboard not found"}"#),
            };
        }
        Response::json(404, r#"{"message":"Not found"}"#)
    })
}

fn ctx() -> ScanContext {
    let mut c = ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
    c.redactor = Arc::new(Redactor::new().with_secret(TOKEN));
    c
}

fn config(port: u16, token: &str) -> GrafanaConfig {
    let mut c = GrafanaConfig::new(Some(format!("http://127.0.0.1:{port}")));
    c.token = Some(token.into());
    c.page_size = 3;
    c
}

#[tokio::test]
async fn dashboards_are_paged_and_every_panel_query_is_parsed() {
    let models = corpus();
    assert_eq!(models.len(), 10);
    let port = serve(grafana(models)).await;
    let probe = GrafanaProbe::new(config(port, TOKEN));
    let out = probe.collect(&ctx()).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    let dashboards = out.facts["dashboards"].as_array().expect("dashboards");
    assert_eq!(dashboards.len(), 10);
    // 10 dashboards at 3 a page: 4 search pages, then one request per dashboard.
    assert_eq!(probe.requests_sent(), 14);

    let by_uid = |uid: &str| {
        dashboards
            .iter()
            .find(|d| d["uid"] == uid)
            .cloned()
            .unwrap_or_default()
    };
    let demo = by_uid("W2gX2zHVk");
    assert!(
        demo["metrics"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("traces_span_metrics_calls_total")))
    );
    assert!(demo["matchers"].as_array().is_some_and(|m| {
        m.iter()
            .any(|m| m["label"] == "service_name" && m["templated"] == true)
    }));
    let cart = by_uid("ce6sd46kfkglca");
    assert!(
        cart["metrics"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("demo_cart_get_cart_latency_seconds_bucket")))
    );
    let linux = by_uid("otel-demo-hostmetrics");
    assert!(linux["matchers"].as_array().is_some_and(|m| {
        m.iter().any(|m| {
            m["label"] == "service_name"
                && m["value"] == "otelcol-contrib"
                && m["templated"] == false
        })
    }));
    // Nearly every real query parses once Grafana's variables are replaced.
    let queries: usize = dashboards
        .iter()
        .flat_map(|d| d["panels"].as_array().cloned().unwrap_or_default())
        .map(|p| p["queries"].as_array().map_or(0, Vec::len))
        .sum();
    let unparsed: u64 = dashboards
        .iter()
        .filter_map(|d| d["unparsed"].as_u64())
        .sum();
    assert!(queries > 100, "{queries} queries");
    assert!(
        unparsed * 20 <= queries as u64,
        "{unparsed} of {queries} did not parse"
    );
    // Evidence: the API path, the server, a revision.
    let ids: Vec<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    assert!(
        ids.contains(&format!("grafana:127.0.0.1:{port}:/api/dashboards/uid/W2gX2zHVk").as_str())
    );
    assert!(
        !serde_json::to_string(&out.evidence)
            .unwrap_or_default()
            .contains(TOKEN)
    );
    assert!(!out.facts.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_bad_token_is_forbidden_with_grafanas_message_and_never_shown() {
    let port = serve(grafana(corpus())).await;
    let out = GrafanaProbe::new(config(port, "glsa_wrongTokenValue000000000000_00000000"))
        .collect(&ctx())
        .await;
    assert_eq!(out.sources[0].status, SourceStatus::Forbidden);
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("Invalid API key"), "{detail}");
    assert!(!format!("{:?}", out.sources).contains("glsa_wrong"));
}

#[tokio::test]
async fn no_url_is_not_configured_and_names_the_flag() {
    let out = GrafanaProbe::new(GrafanaConfig::new(None))
        .collect(&ctx())
        .await;
    assert_eq!(out.sources[0].status, SourceStatus::NotConfigured);
    assert!(
        out.sources[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("--grafana")
    );
}

/// The corpus Grafana with `fault` answering instead wherever it returns a response.
fn faulty(fault: fn(&Request) -> Option<Response>) -> Handler {
    let healthy = grafana(corpus());
    Arc::new(move |req: Request| fault(&req).unwrap_or_else(|| healthy(req)))
}

async fn collect(handler: Handler) -> (evident_core::ProbeOutput, usize) {
    let port = serve(handler).await;
    let probe = GrafanaProbe::new(config(port, TOKEN));
    let out = probe.collect(&ctx()).await;
    let requests = probe.requests_sent();
    (out, requests)
}

#[tokio::test]
async fn unreadable_dashboards_are_listed_as_incomplete_and_the_rest_read() {
    let (out, _) = collect(faulty(|r| match r.path.as_str() {
        "/api/dashboards/uid/W2gX2zHVk" => Some(Response::json(500, r#"{"message":"db locked"}"#)),
        "/api/dashboards/uid/ce6sd46kfkglca" => Some(Response::json(
            403,
            r#"{"message":"Access denied to this dashboard"}"#,
        )),
        "/api/dashboards/uid/otel-demo-hostmetrics" => Some(Response::json(
            200,
            r#"{"dashboard":{"title":"x","panels":[{"#,
        )),
        "/api/dashboards/uid/self-observability" => {
            Some(Response::json(200, r#"{"dashboard":"oops"}"#))
        }
        _ => None,
    }))
    .await;
    let source = &out.sources[0];
    assert_eq!(source.status, SourceStatus::Ok, "{source:?}");
    let dashboards = out.facts["dashboards"].as_array().map_or(0, Vec::len);
    let unread: Vec<(&str, &str)> = source
        .incomplete
        .iter()
        .map(|i| (i.location.as_str(), i.reason.as_str()))
        .collect();
    assert!(
        unread
            .iter()
            .any(|(l, r)| *l == "/api/dashboards/uid/W2gX2zHVk" && r.contains("HTTP 500")),
        "{unread:?}"
    );
    assert!(
        unread
            .iter()
            .any(|(l, r)| *l == "/api/dashboards/uid/ce6sd46kfkglca" && r.contains("403")),
        "{unread:?}"
    );
    assert!(
        unread
            .iter()
            .any(|(l, r)| *l == "/api/dashboards/uid/otel-demo-hostmetrics"
                && r.contains("cut short")),
        "{unread:?}"
    );
    assert_eq!(dashboards + unread.len(), 10, "{unread:?}");
    assert_eq!(out.facts["failed"], unread.len());
}

#[tokio::test]
async fn a_search_that_is_not_a_list_fails_the_source() {
    let (out, _) = collect(faulty(|r| {
        (r.path == "/api/search").then(|| Response::json(200, r#"{"dashboards":[]}"#))
    }))
    .await;
    let source = &out.sources[0];
    assert_eq!(source.status, SourceStatus::Error);
    assert!(
        source
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("/api/search")
    );
    assert!(
        source
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("wrong shape")
    );
}

#[tokio::test]
async fn every_dashboard_forbidden_is_a_forbidden_source() {
    let (out, _) = collect(faulty(|r| {
        r.path
            .starts_with("/api/dashboards/uid/")
            .then(|| Response::json(403, r#"{"message":"Access denied"}"#))
    }))
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::Forbidden);
}

#[tokio::test]
async fn an_endless_search_stops_at_its_page_bound_and_says_so() {
    // Every page is full of folders no page has shown before.
    fn endless(r: &Request) -> Option<Response> {
        if r.path != "/api/search" {
            return None;
        }
        let page: usize = r
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let limit: usize = r
            .query
            .get("limit")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let items: Vec<Value> = (0..limit)
            .map(|i| json!({"uid": format!("f{page}-{i}"), "title": "F", "type": "dash-folder"}))
            .collect();
        Some(Response::json(200, Value::Array(items).to_string()))
    }
    let (out, requests) = collect(faulty(endless)).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    assert_eq!(requests, evident_probe_grafana::MAX_SEARCH_PAGES);
    let reasons: Vec<&str> = out.sources[0]
        .incomplete
        .iter()
        .map(|i| i.reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("truncated at 100 pages")),
        "{reasons:?}"
    );
    assert_eq!(out.facts["truncated"], true);

    // A server that ignores `page` answers the same page forever: stopped at page 2.
    fn same(r: &Request) -> Option<Response> {
        (r.path == "/api/search").then(|| {
            Response::json(200, json!([{"uid": "a", "type": "dash-folder"}, {"uid": "b", "type": "dash-folder"}, {"uid": "c", "type": "dash-folder"}]).to_string())
        })
    }
    let (out, requests) = collect(faulty(same)).await;
    assert_eq!(requests, 2);
    assert!(out.sources[0].incomplete[0].reason.contains("nothing new"));
}

#[tokio::test]
async fn a_rate_limited_search_says_how_long_to_wait() {
    let (out, _) = collect(faulty(|r| {
        (r.path == "/api/search").then(|| Response {
            retry_after: Some("42"),
            ..Response::json(429, r#"{"message":"too many requests"}"#)
        })
    }))
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::RateLimited);
    assert!(
        out.sources[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("retry after 42 s")
    );
}

/// `inner`, counting what it is asked; `/api/dashboards/uid/<broken>` answers 500.
fn counted(inner: Handler, hits: Arc<std::sync::atomic::AtomicUsize>, broken: &str) -> Handler {
    let broken = format!("/api/dashboards/uid/{broken}");
    Arc::new(move |req: Request| {
        hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if req.path == broken {
            return Response::json(500, r#"{"message":"database is locked"}"#);
        }
        inner(req)
    })
}

/// Records a collect against the mock, then replays it with the same plan; returns both
/// outputs as documents, the mock's hits during the replay and the snapshot's text.
async fn round_trip(broken: &str) -> (Value, Value, usize, String) {
    let mut models = corpus();
    models.push(json!({"uid": "canary", "title": format!("echo {TOKEN}"), "panels": []}));
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let port = serve(counted(grafana(models), hits.clone(), broken)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let tape = evident_snapshot::Tape::record(dir.path(), ctx().redactor.clone()).expect("tape");
    let probe = GrafanaProbe::new(config(port, TOKEN)).with_tape(tape.clone());
    let recorded = probe.collect(&ctx()).await;
    finish_tape(&tape);
    let asked = hits.load(std::sync::atomic::Ordering::Relaxed);
    let (replay, _) = evident_snapshot::Tape::replay(dir.path(), None).expect("replay");
    let again = GrafanaProbe::new(config(port, TOKEN)).with_tape(replay);
    let replayed = again.collect(&ctx()).await;
    assert_eq!(again.requests_sent(), probe.requests_sent());
    let during = hits.load(std::sync::atomic::Ordering::Relaxed) - asked;
    // The scan's last pass redacts every output; a snapshot holds bodies after that pass
    // already, so the two are compared as the scan would write them.
    let last_pass = |out: &evident_core::ProbeOutput| {
        let mut v = output_json(out);
        ctx().redactor.redact_json(&mut v);
        v
    };
    (
        last_pass(&recorded),
        last_pass(&replayed),
        during,
        walk(dir.path()),
    )
}

#[tokio::test]
async fn a_recorded_read_replays_the_same_without_asking_grafana() {
    let (recorded, replayed, during, snapshot) = round_trip("none").await;
    assert_eq!(
        recorded["sources"][0]["status"], "ok",
        "{}",
        recorded["sources"]
    );
    assert_eq!(
        recorded["facts"]["dashboards"].as_array().map(Vec::len),
        Some(11)
    );
    assert_same(&recorded, &replayed);
    assert_eq!(during, 0, "the replay asked Grafana");
    assert!(!snapshot.contains(TOKEN), "the token reached the snapshot");
    assert!(snapshot.contains("echo [redacted]"));
}

#[tokio::test]
async fn a_dashboard_answering_500_replays_as_the_same_failure() {
    let (recorded, replayed, during, _) = round_trip("W2gX2zHVk").await;
    let text = recorded["sources"].to_string();
    assert!(text.contains("HTTP 500: database is locked"), "{text}");
    assert_same(&recorded, &replayed);
    assert_eq!(during, 0);
}

#[tokio::test]
async fn a_request_never_recorded_is_a_failed_grafana_not_an_empty_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tape = evident_snapshot::Tape::record(dir.path(), ctx().redactor.clone()).expect("tape");
    finish_tape(&tape);
    let (replay, _) = evident_snapshot::Tape::replay(dir.path(), None).expect("replay");
    let out = GrafanaProbe::new(config(1, TOKEN))
        .with_tape(replay)
        .collect(&ctx())
        .await;
    assert_eq!(
        out.sources[0].status,
        SourceStatus::Error,
        "{:?}",
        out.sources
    );
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("not in the snapshot"), "{detail}");
    assert!(detail.contains("GET /api/search?"), "{detail}");
}
