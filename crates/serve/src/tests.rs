//! The router and the schedule loop over an in-memory store.

use crate::{AuthPolicy, ScanRecord, ScanRunner, ScanStats, ScanStore};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use evident_core::ScanResult;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt as _;

const FIXTURE: &str = include_str!("../../../fixtures/scan-results/all-statuses.json");

/// Scans kept in memory, newest last.
#[derive(Default)]
pub(crate) struct MemoryStore {
    scans: Mutex<Vec<(ScanRecord, Option<String>)>>,
}

#[async_trait::async_trait]
impl ScanStore for MemoryStore {
    async fn save(&self, json: &str) -> Result<String, String> {
        let r: ScanResult = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let record = ScanRecord {
            id: r.scan.id.clone(),
            started_at: r.scan.started_at.clone(),
            finished_at: r.scan.finished_at.clone(),
            ok: true,
            error: None,
            duration_ms: 1500,
        };
        let mut scans = self.scans.lock().map_err(|e| e.to_string())?;
        scans.push((record, Some(json.to_owned())));
        Ok(r.scan.id)
    }
    async fn save_failure(&self, started: &str, finished: &str, error: &str) -> Result<(), String> {
        let mut scans = self.scans.lock().map_err(|e| e.to_string())?;
        let id = format!("failed-{}", scans.len());
        scans.push((
            ScanRecord {
                id,
                started_at: started.to_owned(),
                finished_at: finished.to_owned(),
                ok: false,
                error: Some(error.to_owned()),
                duration_ms: 10,
            },
            None,
        ));
        Ok(())
    }
    async fn list(&self, limit: u32) -> Result<Vec<ScanRecord>, String> {
        let scans = self.scans.lock().map_err(|e| e.to_string())?;
        Ok(scans
            .iter()
            .rev()
            .take(limit as usize)
            .map(|(r, _)| r.clone())
            .collect())
    }
    async fn load(&self, id: &str) -> Result<Option<ScanResult>, String> {
        match self.load_json(id).await? {
            Some(j) => serde_json::from_str(&j)
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }
    async fn load_json(&self, id: &str) -> Result<Option<String>, String> {
        let scans = self.scans.lock().map_err(|e| e.to_string())?;
        Ok(scans
            .iter()
            .find(|(r, _)| r.id == id)
            .and_then(|(_, j)| j.clone()))
    }
}

/// The fixture with a new id, finish time and `edit` applied.
fn scan(id: &str, finished: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture");
    v["scan"]["id"] = id.into();
    v["scan"]["finished_at"] = finished.into();
    edit(&mut v);
    serde_json::to_string(&v).expect("json")
}

/// A store with two successful scans (the second with a hostile service name and a
/// changed level) and a failure after them.
async fn filled() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::default());
    store
        .save(&scan("scan-1", "2026-11-20T09:30:04Z", |_| {}))
        .await
        .expect("save");
    store
        .save(&scan("scan-2", "2026-11-21T09:30:04Z", |v| {
            let hostile = "mail\"er\\<script>x</script>\n";
            v["services"][1]["id"] = hostile.into();
            for l in v["levels"].as_array_mut().expect("levels") {
                if l["service"] == "mailer" {
                    l["service"] = hostile.into();
                }
                if l["service"] == "cart" && l["model"] == "distributed-systems" {
                    l["attained"] = 2.into();
                }
            }
        }))
        .await
        .expect("save");
    store
        .save_failure(
            "2026-11-22T09:30:00Z",
            "2026-11-22T09:30:01Z",
            "the plan <b>broke</b>",
        )
        .await
        .expect("fail");
    store
}

fn app(store: Arc<MemoryStore>, auth: AuthPolicy) -> axum::Router {
    crate::router(store, Arc::new(ScanStats::default()), auth, 50).expect("router")
}

async fn get(app: &axum::Router, path: &str, token: Option<&str>) -> (StatusCode, String) {
    call(app, Method::GET, path, token).await
}

async fn call(
    app: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("req"))
        .await
        .expect("call");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn every_route_but_healthz_needs_the_token_and_nothing_writes() {
    let app = app(filled().await, AuthPolicy::token("t0ken"));
    for path in [
        "/",
        "/scans",
        "/services/cart",
        "/metrics",
        "/api/scans",
        "/api/scans/scan-1",
        "/api/services",
        "/api/services/cart/history",
        "/api/diff/latest",
        "/nope",
    ] {
        let (status, body) = get(&app, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            !body.contains("cart"),
            "{path} leaks data without the token"
        );
        assert_eq!(
            get(&app, path, Some("wrong")).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in [
        "/",
        "/scans",
        "/services/cart",
        "/metrics",
        "/api/scans",
        "/api/scans/scan-1",
        "/api/services",
        "/api/services/cart/history",
        "/api/diff/latest",
    ] {
        let (status, body) = get(&app, path, Some("t0ken")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    assert_eq!(get(&app, "/healthz", None).await.0, StatusCode::OK);
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        for path in ["/", "/api/scans", "/healthz"] {
            let (status, _) = call(&app, method.clone(), path, Some("t0ken")).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn the_page_escapes_every_name_and_draws_the_trends() {
    let app = app(filled().await, AuthPolicy::open());
    let (status, page) = get(&app, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script"), "a scanned name became markup");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains("<b>broke"), "the failure text is escaped");
    assert!(page.contains("The newest scan failed"));
    assert_eq!(page.matches("<svg").count(), 3, "one trend per model");
    assert!(page.contains("team-payments"));
    assert!(page.contains("href=\"/services/mail%22er%5C%3Cscript%3Ex%3C%2Fscript%3E%0A\""));
    let (status, page) = get(&app, "/services/cart", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ds.devops.health-checks"));
    assert!(
        page.contains("k8s/cart.yaml#L12-L31"),
        "the evidence locator is shown"
    );
    assert!(page.contains("<svg"));
    let (status, page) = get(
        &app,
        "/services/mail%22er%5C%3Cscript%3Ex%3C%2Fscript%3E%0A",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.contains("<script"));
    assert_eq!(
        get(&app, "/services/nobody", None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, scans) = get(&app, "/scans", None).await;
    assert!(scans.contains("the plan &lt;b&gt;broke&lt;/b&gt;"));
    assert!(scans.contains("scan-1") && scans.contains("scan-2"));
}

#[tokio::test]
async fn metrics_parse_as_prometheus_exposition_with_escaped_labels() {
    let app = app(filled().await, AuthPolicy::open());
    let (status, text) = get(&app, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("exposition parses");
    let level = |service: &str, model: &str| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == "evident_service_level"
                    && s.labels.get("service") == Some(service)
                    && s.labels.get("model") == Some(model)
            })
            .map(|s| s.value.clone())
    };
    assert_eq!(
        level("cart", "distributed-systems"),
        Some(prometheus_parse::Value::Gauge(2.0))
    );
    let cart = scrape
        .samples
        .iter()
        .find(|s| s.metric == "evident_service_level" && s.labels.get("service") == Some("cart"))
        .expect("cart");
    assert_eq!(cart.labels.get("team"), Some("team-payments"));
    assert!(
        text.contains(r#"service="mail\"er\\<script>x</script>\n""#),
        "{text}"
    );
    let source_errors: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "evident_source_errors")
        .collect();
    assert_eq!(
        source_errors.len(),
        2,
        "timeout and forbidden; not_configured is no error"
    );
    let met: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "evident_criteria" && s.labels.get("status") == Some("met"))
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(n) => n,
            _ => 0.0,
        })
        .sum();
    let rows = FIXTURE.matches("\"status\": \"met\"").count();
    assert!(met > 0.0 && met <= rows as f64, "{met} of {rows}");
    assert!(
        text.contains("evident_scan_duration_seconds 0.01"),
        "the newest scan, the failed one"
    );
    assert!(text.contains("evident_last_success_timestamp_seconds 1795253404"));
    assert!(text.contains("evident_scans_total{outcome=\"skipped\"} 0"));
    assert!(text.contains("evident_scan_running 0"));
}

#[tokio::test]
async fn healthz_is_503_only_when_no_stored_scan_succeeded() {
    let store = Arc::new(MemoryStore::default());
    let app = app(store.clone(), AuthPolicy::token("x"));
    let (status, body) = get(&app, "/healthz", None).await;
    assert_eq!(
        (status, body.contains("no_scan_yet")),
        (StatusCode::OK, true)
    );
    store
        .save_failure("2026-11-22T09:30:00Z", "2026-11-22T09:30:01Z", "boom")
        .await
        .expect("f");
    let (status, body) = get(&app, "/healthz", None).await;
    assert_eq!(
        (status, body.contains("failing")),
        (StatusCode::SERVICE_UNAVAILABLE, true)
    );
    let app = self::app(filled().await, AuthPolicy::token("x"));
    let (status, body) = get(&app, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("\"last_success\":\"2026-11-21T09:30:04Z\""),
        "{body}"
    );
}

#[tokio::test]
async fn the_api_answers_json_and_the_stored_bytes() {
    let store = filled().await;
    let app = app(store.clone(), AuthPolicy::open());
    let (_, body) = get(&app, "/api/scans?limit=2", None).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["scans"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["scans"][0]["ok"], false);
    let (_, body) = get(&app, "/api/scans/scan-1", None).await;
    assert_eq!(Some(body), store.load_json("scan-1").await.expect("load"));
    assert_eq!(
        get(&app, "/api/scans/none", None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, body) = get(&app, "/api/scans/latest", None).await;
    assert!(body.contains("\"scan-2\""));
    let (_, body) = get(&app, "/api/services", None).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["scan"], "scan-2");
    assert_eq!(v["services"][0]["levels"]["distributed-systems"], 2);
    let (_, body) = get(
        &app,
        "/api/services/cart/history?criterion=ds.devops.health-checks",
        None,
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let points = v["points"].as_array().expect("points");
    assert_eq!(points.len(), 2);
    assert_eq!(points[0]["levels"]["distributed-systems"], 1);
    assert_eq!(points[1]["levels"]["distributed-systems"], 2);
    assert_eq!(points[1]["verdicts"].as_array().map(Vec::len), Some(1));
}

/// A runner that takes `delay` and fails every other call.
struct SlowRunner {
    delay: Duration,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl ScanRunner for SlowRunner {
    async fn run(&self) -> Result<String, String> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if n % 2 == 1 {
            return Err(format!("scan {n} failed"));
        }
        Ok(scan(&format!("run-{n}"), "2026-11-20T09:30:04Z", |_| {}))
    }
}

#[tokio::test]
async fn scans_never_overlap_a_failure_is_stored_and_the_loop_goes_on() {
    let store = Arc::new(MemoryStore::default());
    let stats = Arc::new(ScanStats::default());
    let runner: Arc<dyn ScanRunner> = Arc::new(SlowRunner {
        delay: Duration::from_millis(1500),
        calls: AtomicU32::new(0),
    });
    let schedule = crate::Schedule::parse("* * * * * *").expect("every second");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let dyn_store: Arc<dyn ScanStore> = store.clone();
    let task = tokio::spawn(crate::schedule::run_loop(
        schedule,
        true,
        runner,
        dyn_store,
        stats.clone(),
        stop_rx,
    ));
    // Bounded wait: three scans (ok, failed, ok) of 1.5 s each, ticks every second.
    for _ in 0..100 {
        if store.list(10).await.expect("list").len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    let _ = task.await;
    let records = store.list(10).await.expect("list");
    assert!(records.len() >= 3, "{records:?}");
    let failed: Vec<_> = records.iter().filter(|r| !r.ok).collect();
    assert!(!failed.is_empty());
    assert_eq!(failed[0].error.as_deref(), Some("scan 1 failed"));
    assert!(
        stats.skipped.load(Ordering::SeqCst) >= 1,
        "ticks during a 1.5 s scan are skipped"
    );
    assert!(stats.ok.load(Ordering::SeqCst) >= 2);
    assert!(stats.failed.load(Ordering::SeqCst) >= 1);
}

#[test]
fn a_bad_schedule_is_refused_with_its_reason() {
    assert!(crate::Schedule::parse("0 * * * *").is_ok());
    assert!(crate::Schedule::parse("*/2 * * * * *").is_ok());
    let e = crate::Schedule::parse("every hour").expect_err("not cron");
    assert!(e.contains("every hour"), "{e}");
}
