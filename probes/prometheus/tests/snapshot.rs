//! Replayable scans: what the probe reads from a Prometheus is recorded on a tape, and
//! the same probe run again on the replayed tape, with the server gone or unasked,
//! gives the same output; failures replay as the same failures, nothing recorded holds
//! the token, and a request the tape never saw makes the server an error, never empty.

mod support;

use evident_core::{Probe, Redactor, ScanContext, SourceStatus};
use evident_probe_prometheus::http::Auth;
use evident_probe_prometheus::{PrometheusConfig, PrometheusProbe};
use evident_snapshot::Tape;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::*;
#[path = "support/tape.rs"]
mod tape;
use tape::*;

const TOKEN: &str = "evident-canary-token-5a9a7e11";

fn ctx() -> ScanContext {
    let mut c = ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
    c.redactor = Arc::new(Redactor::new().with_secret(TOKEN));
    c
}

const TARGETS: &str = r#"{"status":"success","data":{"activeTargets":[
 {"labels":{"job":"checkout","instance":"10.0.0.5:8080","namespace":"shop"},"discoveredLabels":{},"scrapePool":"checkout","health":"up"}]}}"#;
const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

/// A mock Prometheus that counts what it is asked. Its rules echo the token (a server
/// that repeats a credential must not get it into the snapshot); `failing` makes the
/// rules API answer 503 and the metric-name query time out.
fn mock(hits: Arc<AtomicUsize>, failing: bool) -> Handler {
    Arc::new(move |req: Request| {
        hits.fetch_add(1, Ordering::Relaxed);
        if req.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return Response::json(401, r#"{"status":"error","error":"unauthorized"}"#);
        }
        match req.path.as_str() {
            "/api/v1/status/buildinfo" => {
                Response::json(200, r#"{"status":"success","data":{"version":"2.53.0"}}"#)
            }
            "/api/v1/targets" => Response::json(200, TARGETS),
            "/api/v1/rules" if failing => Response::json(
                503,
                r#"{"status":"error","error":"rule manager not ready"}"#,
            ),
            "/api/v1/rules" => Response::json(
                200,
                format!(
                    r#"{{"status":"success","data":{{"groups":[{{"name":"g","file":"r.yml","rules":[
 {{"type":"alerting","name":"CheckoutDown","query":"up == 0","labels":{{}},"annotations":{{"summary":"token {TOKEN}"}},"health":"ok","state":"inactive"}}]}}]}}}}"#
                ),
            ),
            "/api/v1/query"
                if failing
                    && req
                        .query
                        .get("query")
                        .is_some_and(|q| q.starts_with("count by (__name__")) =>
            {
                Response {
                    delay: Some(Duration::from_secs(30)),
                    ..Response::json(200, EMPTY)
                }
            }
            "/api/v1/query" => Response::json(200, EMPTY),
            "/api/v1/query_range" => Response::json(
                200,
                r#"{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"job":"checkout"},"values":[[1,"1"],[2,"0"]]}]}}"#,
            ),
            _ => Response::json(404, r#"{"status":"error","error":"not found"}"#),
        }
    })
}

fn config(url: String) -> PrometheusConfig {
    let mut c = PrometheusConfig::new(vec![url], Auth::Bearer(TOKEN.into()));
    c.request_timeout = Duration::from_secs(2);
    c
}

/// Records one collect against a mock, then replays it with the same plan; returns the
/// recorded and replayed outputs, the mock's hits during the replay and the snapshot.
async fn round_trip(failing: bool) -> (serde_json::Value, serde_json::Value, usize, String) {
    let hits = Arc::new(AtomicUsize::new(0));
    let port = serve(mock(hits.clone(), failing)).await;
    round_trip_at(format!("http://127.0.0.1:{port}"), None, hits).await
}

/// As [`round_trip`], against `url`; the replay reads the plan's URL as `replay_url`
/// (a recorded plan holds its URLs redacted) when given.
async fn round_trip_at(
    url: String,
    replay_url: Option<String>,
    hits: Arc<AtomicUsize>,
) -> (serde_json::Value, serde_json::Value, usize, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let tape = Tape::record(dir.path(), ctx().redactor.clone()).expect("record");
    let probe = PrometheusProbe::new(config(url.clone())).with_tape(tape.clone());
    let recorded = probe.collect(&ctx()).await;
    finish_tape(&tape);
    let asked = hits.load(Ordering::Relaxed);
    assert!(asked > 0);

    let (replay, _) = Tape::replay(dir.path(), None).expect("replay");
    let again = PrometheusProbe::new(config(replay_url.unwrap_or(url))).with_tape(replay);
    let replayed = again.collect(&ctx()).await;
    assert_eq!(again.requests_sent(), probe.requests_sent());
    let during = hits.load(Ordering::Relaxed) - asked;
    (
        output_json(&recorded),
        output_json(&replayed),
        during,
        walk(dir.path()),
    )
}

#[tokio::test]
async fn a_recorded_scan_replays_the_same_without_asking_the_server() {
    let (recorded, replayed, during, snapshot) = round_trip(false).await;
    assert_eq!(recorded["sources"][0]["status"], "ok", "{recorded}");
    assert_eq!(recorded["facts"]["rules"][0]["name"], "CheckoutDown");
    assert_same(&recorded, &replayed);
    assert_eq!(during, 0, "the replay asked the server");
    assert!(!snapshot.contains(TOKEN), "the token reached the snapshot");
    assert!(snapshot.contains("[redacted]"));
    assert!(!recorded.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_503_and_a_timeout_replay_as_the_same_failures() {
    let (recorded, replayed, during, _) = round_trip(true).await;
    let parts = &recorded["sources"][0]["parts"];
    assert_eq!(parts["rules"]["status"], "error", "{parts}");
    assert!(
        parts["rules"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("HTTP 503: rule manager not ready")),
        "{parts}"
    );
    assert_eq!(parts["metrics"]["status"], "timeout", "{parts}");
    assert_same(&recorded, &replayed);
    assert_eq!(during, 0);
}

#[tokio::test]
async fn a_request_never_recorded_is_a_failed_server_not_an_empty_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tape = Tape::record(dir.path(), ctx().redactor.clone()).expect("record");
    finish_tape(&tape);
    let (replay, _) = Tape::replay(dir.path(), None).expect("replay");
    let out = PrometheusProbe::new(config("http://127.0.0.1:1".into()))
        .with_tape(replay)
        .collect(&ctx())
        .await;
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("not in the snapshot"), "{detail}");
    assert!(
        detail.contains("GET /api/v1/status/buildinfo"),
        "names the request: {detail}"
    );
}

#[tokio::test]
async fn a_url_password_reaches_no_snapshot_file_and_the_redacted_plan_replays() {
    const PASSWORD: &str = "canary-url-pw-77e1";
    let hits = Arc::new(AtomicUsize::new(0));
    let port = serve(mock(hits.clone(), false)).await;
    let (recorded, replayed, during, snapshot) = round_trip_at(
        format!("http://scanner:{PASSWORD}@127.0.0.1:{port}"),
        Some(format!("http://[redacted]@127.0.0.1:{port}")),
        hits,
    )
    .await;
    // The mock takes only the bearer token, and the URL's user:password goes as basic
    // auth: the server refuses, and the refusal is what is recorded and replayed.
    assert_eq!(
        recorded["sources"][0]["source"],
        format!("http://[redacted]@127.0.0.1:{port}")
    );
    assert_same(&recorded, &replayed);
    assert_eq!(during, 0);
    assert!(
        !snapshot.contains(PASSWORD),
        "the URL password reached the snapshot"
    );
    assert!(!recorded.to_string().contains(PASSWORD));
}
