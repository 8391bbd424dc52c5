//! How the probe reports a Prometheus that fails: down, 401, 503 on one API, a query
//! that times out, a label set too large to read. The failing part becomes a status with
//! a reason; every other part is kept.

mod support;

use evident_core::{Probe, Redactor, ScanContext, SourceStatus};
use evident_probe_prometheus::http::Auth;
use evident_probe_prometheus::{PrometheusConfig, PrometheusProbe};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const TOKEN: &str = "evident-canary-token-51c0ffee";

fn ctx() -> ScanContext {
    let mut c = ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
    c.redactor = Arc::new(Redactor::new().with_secret(TOKEN));
    c
}

const TARGETS: &str = r#"{"status":"success","data":{"activeTargets":[
 {"labels":{"job":"checkout","instance":"10.0.0.5:8080","namespace":"shop","app_kubernetes_io_name":"checkout"},"discoveredLabels":{},"scrapePool":"checkout","health":"up"}]}}"#;
const RULES: &str = r#"{"status":"success","data":{"groups":[{"name":"g","file":"/etc/prometheus/rules.yml","rules":[
 {"type":"alerting","name":"CheckoutDown","query":"up{job=\"checkout\"} == 0","labels":{"severity":"page"},"annotations":{"runbook_url":"https://rb/x"},"health":"ok","state":"inactive"}]}]}}"#;
const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

/// A mock Prometheus: `metrics` answers the metric-name query, `rules` the rules API.
fn mock(rules: fn() -> Response, metrics: fn() -> Response, range: fn() -> Response) -> Handler {
    Arc::new(move |req: Request| {
        if req.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return Response::json(401, r#"{"status":"error","error":"unauthorized"}"#);
        }
        match req.path.as_str() {
            "/api/v1/status/buildinfo" => {
                Response::json(200, r#"{"status":"success","data":{"version":"2.53.0"}}"#)
            }
            "/api/v1/targets" => Response::json(200, TARGETS),
            "/api/v1/rules" => rules(),
            "/api/v1/query_range" => range(),
            "/api/v1/query" => {
                let q = req.query.get("query").cloned().unwrap_or_default();
                if q.starts_with("count by (__name__") {
                    metrics()
                } else {
                    Response::json(200, EMPTY)
                }
            }
            _ => Response::json(404, r#"{"status":"error","error":"not found"}"#),
        }
    })
}

fn ok_rules() -> Response {
    Response::json(200, RULES)
}
fn ok_metrics() -> Response {
    Response::json(
        200,
        r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"orders_placed_total","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]}]}}"#,
    )
}
fn ok_range() -> Response {
    Response::json(
        200,
        r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"job":"checkout","app_kubernetes_io_name":"checkout"},"values":[[1,"1"],[2,"0"],[3,"1"]]}]}}"#,
    )
}

async fn run(
    handler: Handler,
    token: &str,
    tweak: fn(&mut PrometheusConfig),
) -> evident_core::ProbeOutput {
    let port = serve(handler).await;
    let mut config = PrometheusConfig::new(
        vec![format!("http://127.0.0.1:{port}")],
        Auth::Bearer(token.into()),
    );
    config.request_timeout = Duration::from_secs(2);
    tweak(&mut config);
    PrometheusProbe::new(config).collect(&ctx()).await
}

fn no_leak(out: &evident_core::ProbeOutput) {
    let all = format!(
        "{}{}{:?}",
        out.facts,
        serde_json::to_string(&out.evidence).unwrap_or_default(),
        out.sources
    );
    assert!(!all.contains(TOKEN), "the token leaked");
}

#[tokio::test]
async fn everything_answering_is_ok_and_down_points_are_counted() {
    let out = run(mock(ok_rules, ok_metrics, ok_range), TOKEN, |_| {}).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let svc = &out.facts["services"]["checkout"];
    assert_eq!(svc["families"]["domain"][0], "orders_placed_total");
    assert_eq!(svc["availability"]["down_points"], 1);
    assert_eq!(out.facts["rules"][0]["runbook_url"], "https://rb/x");
    no_leak(&out);
}

#[tokio::test]
async fn a_wrong_token_is_forbidden_and_says_what_to_check() {
    let out = run(
        mock(ok_rules, ok_metrics, ok_range),
        "wrong-token-value",
        |_| {},
    )
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::Forbidden);
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(
        detail.contains("401") && detail.contains("token"),
        "{detail}"
    );
    // The refusal ended the read: the source is forbidden as a whole.
    assert!(out.sources[0].parts.is_empty());
    no_leak(&out);
}

#[tokio::test]
async fn a_503_on_the_rules_api_makes_only_rules_unknown() {
    let out = run(
        mock(
            || {
                Response::json(
                    503,
                    r#"{"status":"error","error":"rule manager not ready"}"#,
                )
            },
            ok_metrics,
            ok_range,
        ),
        TOKEN,
        |_| {},
    )
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let rules = &part_json(&out, "rules");
    assert_eq!(rules["status"], "error");
    assert!(rules["detail"].as_str().unwrap_or_default().contains("503"));
    assert_eq!(part(&out, "metrics").status.as_str(), "ok");
    assert_eq!(out.facts["services"]["checkout"]["targets_up"], 1);
    no_leak(&out);
}

#[tokio::test]
async fn a_query_that_times_out_makes_its_part_timeout_and_keeps_the_rest() {
    let out = run(
        mock(
            ok_rules,
            || Response {
                delay: Some(Duration::from_secs(30)),
                ..Response::json(200, EMPTY)
            },
            || {
                Response::json(
                    503,
                    r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
                )
            },
        ),
        TOKEN,
        |_| {},
    )
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    assert_eq!(part(&out, "metrics").status.as_str(), "timeout");
    assert_eq!(part(&out, "availability").status.as_str(), "timeout");
    assert_eq!(part(&out, "rules").status.as_str(), "ok");
    assert_eq!(out.facts["rules"][0]["name"], "CheckoutDown");
}

#[tokio::test]
async fn a_huge_label_set_is_not_read_and_says_so() {
    fn huge() -> Response {
        let rows: Vec<String> = (0..500)
            .map(|i| {
                format!(r#"{{"metric":{{"__name__":"m{i}","job":"checkout"}},"value":[1,"1"]}}"#)
            })
            .collect();
        Response::json(
            200,
            format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
                rows.join(",")
            ),
        )
    }
    let out = run(mock(ok_rules, huge, ok_range), TOKEN, |c| {
        c.max_groups = 100
    })
    .await;
    let m = &part_json(&out, "metrics");
    assert_eq!(m["status"], "error");
    assert!(
        m["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("huge label set")
    );
    assert_eq!(part(&out, "availability").status.as_str(), "ok");

    // The same bound holds on bytes: a body over max_body is never read in full.
    let out = run(mock(ok_rules, huge, ok_range), TOKEN, |c| c.max_body = 4096).await;
    assert!(
        json_detail(&out, "metrics")
            .as_str()
            .unwrap_or_default()
            .contains("huge label set")
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_an_error_naming_the_connection() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let config = PrometheusConfig::new(vec![url], Auth::None);
    let out = PrometheusProbe::new(config).collect(&ctx()).await;
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    assert!(
        out.sources[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("could not connect")
    );
    // The whole source failed: no part was read, so none is reported on its own.
    assert!(out.sources[0].parts.is_empty());
}

/// The healthy mock with `fault` answering instead wherever it returns a response.
fn faulty(fault: fn(&Request) -> Option<Response>) -> Handler {
    let healthy = mock(ok_rules, ok_metrics, ok_range);
    Arc::new(move |req: Request| fault(&req).unwrap_or_else(|| healthy(req)))
}

#[tokio::test]
async fn an_error_envelope_with_status_200_fails_its_part_and_names_the_path() {
    let out = run(
        faulty(|r| {
            (r.path == "/api/v1/rules").then(|| {
                Response::json(
                    200,
                    r#"{"status":"error","errorType":"internal","error":"boom"}"#,
                )
            })
        }),
        TOKEN,
        |_| {},
    )
    .await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let rules = part(&out, "rules");
    assert_eq!(rules.status, SourceStatus::Error);
    let detail = rules.detail.unwrap_or_default();
    assert!(
        detail.contains("/api/v1/rules") && detail.contains("boom"),
        "{detail}"
    );
    assert_eq!(part(&out, "targets").status, SourceStatus::Ok);
    assert!(out.facts["rules"].as_array().is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn data_of_the_wrong_shape_fails_its_part_never_reads_as_empty() {
    let out = run(
        faulty(|r| {
            (r.path == "/api/v1/targets")
                .then(|| Response::json(200, r#"{"status":"success","data":"oops"}"#))
        }),
        TOKEN,
        |_| {},
    )
    .await;
    let targets = part(&out, "targets");
    assert_eq!(targets.status, SourceStatus::Error);
    assert!(
        targets.detail.unwrap_or_default().contains("wrong shape"),
        "{:?}",
        out.sources
    );
    // Metric names and history aggregate by what the targets show: not read either.
    assert_eq!(part(&out, "metrics").status, SourceStatus::Error);
    assert_eq!(part(&out, "availability").status, SourceStatus::Error);
    assert_eq!(part(&out, "rules").status, SourceStatus::Ok);
}

#[tokio::test]
async fn a_truncated_body_and_an_html_502_fail_their_parts() {
    let out = run(
        faulty(|r| match r.path.as_str() {
            "/api/v1/query_range" => Some(Response::json(
                200,
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"#,
            )),
            "/api/v1/rules" => Some(Response {
                content_type: "text/html",
                ..Response::json(502, "<html><body>502 Bad Gateway</body></html>")
            }),
            _ => None,
        }),
        TOKEN,
        |_| {},
    )
    .await;
    let availability = part(&out, "availability");
    assert_eq!(availability.status, SourceStatus::Error);
    assert!(
        availability
            .detail
            .unwrap_or_default()
            .contains("cut short")
    );
    let rules = part(&out, "rules");
    assert_eq!(rules.status, SourceStatus::Error);
    assert!(rules.detail.unwrap_or_default().contains("HTTP 502"));
    assert_eq!(part(&out, "metrics").status, SourceStatus::Ok);
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_wait_it_asked_for() {
    let out = run(
        faulty(|r| {
            (r.path == "/api/v1/query").then(|| Response {
                retry_after: Some("17"),
                ..Response::json(429, r#"{"status":"error","error":"too many requests"}"#)
            })
        }),
        TOKEN,
        |_| {},
    )
    .await;
    for name in ["metrics", "synthetic", "edges"] {
        let p = part(&out, name);
        assert_eq!(p.status, SourceStatus::RateLimited, "{name}");
        assert!(p.detail.unwrap_or_default().contains("retry after 17 s"));
    }
    assert_eq!(part(&out, "rules").status, SourceStatus::Ok);
}

#[tokio::test]
async fn one_unreadable_rule_group_keeps_the_rest_and_is_listed() {
    let out = run(
        faulty(|r| {
            (r.path == "/api/v1/rules").then(|| {
                Response::json(200, r#"{"status":"success","data":{"groups":[
                  {"name":"broken","file":"x.yml","rules":{"not":"a list"}},
                  {"name":"g","file":"/etc/prometheus/rules.yml","rules":[
                    {"type":"alerting","name":"CheckoutDown","query":"up{job=\"checkout\"} == 0","labels":{},"annotations":{},"health":"ok"}]}]}}"#)
            })
        }),
        TOKEN,
        |_| {},
    )
    .await;
    let rules = part(&out, "rules");
    assert_eq!(rules.status, SourceStatus::Ok);
    assert_eq!(rules.incomplete.len(), 1, "{rules:?}");
    assert_eq!(rules.incomplete[0].location, "/api/v1/rules group broken");
    assert_eq!(out.facts["rules"][0]["name"], "CheckoutDown");
}

#[tokio::test]
async fn prometheus_own_series_and_recording_rule_outputs_are_not_the_services() {
    fn metrics() -> Response {
        Response::json(
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"ALERTS","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]},
            {"metric":{"__name__":"ALERTS_FOR_STATE","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]},
            {"metric":{"__name__":"up","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]},
            {"metric":{"__name__":"scrape_duration_seconds","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]},
            {"metric":{"__name__":"checkout_ok_ratio","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]},
            {"metric":{"__name__":"job:requests:rate5m","job":"checkout","app_kubernetes_io_name":"checkout"},"value":[1,"1"]}]}}"#,
        )
    }
    fn rules() -> Response {
        Response::json(
            200,
            r#"{"status":"success","data":{"groups":[{"name":"g","file":"r.yml","rules":[
            {"type":"recording","name":"checkout_ok_ratio","query":"sum(up{job=\"checkout\"})","labels":{},"health":"ok"}]}]}}"#,
        )
    }
    let out = run(mock(rules, metrics, ok_range), TOKEN, |_| {}).await;
    let svc = &out.facts["services"]["checkout"];
    assert_eq!(svc["metrics"], serde_json::json!([]), "{svc}");
    assert_eq!(svc["families"]["domain"], serde_json::json!([]));
    assert_eq!(svc["own_metrics"], serde_json::json!([]));
}
