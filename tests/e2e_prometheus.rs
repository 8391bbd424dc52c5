//! The built binary with `--prometheus` against a mock Prometheus API (answers shaped as
//! Prometheus' HTTP API documents them) and a repository holding a Grafana dashboard as
//! code: the token comes only from the environment and never reaches any output, a
//! wrong token makes the Prometheus criteria unknown (forbidden), and no flag says which
//! flag to pass.

mod support;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use support::*;

const TOKEN: &str = "evident-canary-prom-9d8c7b6a5f";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: {app: checkout}
spec:
  replicas: 2
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/checkout:1.2.3
          readinessProbe: {httpGet: {path: /healthz, port: 8080}}
";

const DASHBOARD: &str = r#"{
  "title": "Checkout", "uid": "checkout", "schemaVersion": 39,
  "panels": [
    {"id": 1, "type": "timeseries", "title": "Requests",
     "datasource": {"type": "prometheus", "uid": "prom"},
     "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"checkout\"}[$__rate_interval]))"}]}
  ]
}"#;

fn answer(path: &str, query: &str) -> (u16, String) {
    let vector = |rows: Value| {
        json!({"status": "success", "data": {"resultType": "vector", "result": rows}}).to_string()
    };
    match path {
        "/api/v1/status/buildinfo" => (200, json!({"status": "success", "data": {"version": "2.53.0"}}).to_string()),
        "/api/v1/targets" => (200, json!({"status": "success", "data": {"activeTargets": [
            {"labels": {"job": "checkout", "instance": "10.0.0.7:8080", "namespace": "shop"}, "discoveredLabels": {}, "scrapePool": "checkout", "health": "up"}]}}).to_string()),
        "/api/v1/rules" => (200, json!({"status": "success", "data": {"groups": [{"name": "checkout", "file": "/etc/prometheus/rules/checkout.yml", "rules": [
            {"type": "alerting", "name": "CheckoutErrors", "query": "sum(rate(http_requests_total{job=\"checkout\",code=~\"5..\"}[5m])) > 1",
             "labels": {"severity": "page"}, "annotations": {"runbook_url": "https://runbooks/checkout/errors"}, "health": "ok", "state": "inactive"}]}]}}).to_string()),
        "/api/v1/query_range" => (200, json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"job": "checkout"}, "values": [[1, "1"], [2, "1"]]}]}}).to_string()),
        "/api/v1/query" if decode(query).contains("count by (__name__") => (200, vector(json!([
            {"metric": {"__name__": "http_requests_total", "job": "checkout"}, "value": [1, "2"]},
            {"metric": {"__name__": "http_request_duration_seconds_bucket", "job": "checkout"}, "value": [1, "12"]},
            {"metric": {"__name__": "orders_placed_total", "job": "checkout"}, "value": [1, "1"]}]))),
        "/api/v1/query" => (200, vector(json!([]))),
        _ => (404, json!({"status": "error", "error": "not found"}).to_string()),
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A mock Prometheus on a thread; requests without the bearer token get 401.
fn mock_prometheus() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf).into_owned();
            let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let authorised = head
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {TOKEN}")));
            let (status, body) = if authorised {
                answer(path, query)
            } else {
                (
                    401,
                    json!({"status": "error", "error": "Unauthorized"}).to_string(),
                )
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn scan(path: &str, extra: &[&str], token: Option<&str>) -> (Value, Output) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evident"));
    cmd.args(["-vvv", "scan", path, "--format", "json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("EVIDENT_PROMETHEUS_TOKEN")
        .env_remove("EVIDENT_GRAFANA_TOKEN");
    if let Some(t) = token {
        cmd.env("EVIDENT_PROMETHEUS_TOKEN", t);
    }
    let out = cmd.output().expect("run evident");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_valid(&result);
    (result, out)
}

fn source<'a>(result: &'a Value, probe: &str) -> &'a Value {
    result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["probe"] == probe)
        .unwrap_or_else(|| panic!("no {probe} source"))
}

#[test]
fn prometheus_and_dashboards_as_code_decide_their_criteria_and_the_token_never_leaks() {
    let repo = Repo::new("checkout");
    repo.write("k8s/deploy.yaml", DEPLOYMENT)
        .write("dashboards/checkout.json", DASHBOARD);
    repo.commit("checkout");
    let path = repo.path();
    let path = path.to_str().expect("utf-8");
    let url = mock_prometheus();

    let (result, out) = scan(path, &["--prometheus", &url], Some(TOKEN));
    assert_eq!(source(&result, "prometheus")["status"], "ok");
    for (criterion, status) in [
        ("ds.devops.dashboards", "met"),
        ("cams.measurement.business", "met"),
        ("cams.measurement.technical", "met"),
        ("ops.sops-codified", "met"),
        ("ds.devops.dependency-graph", "not_met"),
    ] {
        let r = result_of(&result, criterion, "checkout");
        assert_eq!(r["status"], status, "{criterion}: {}", r["summary"]);
    }
    // The dashboard kept as code is cited by file and line; Prometheus by query.
    let dash = result_of(&result, "ds.devops.dashboards", "checkout");
    let cited = cited(&result, dash);
    assert!(cited.iter().any(|e| {
        e["locator"]
            .as_str()
            .is_some_and(|l| l.starts_with("dashboards/checkout.json"))
    }));
    assert!(cited.iter().any(|e| e["source"] == url.as_str()));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(TOKEN), "the token leaked");

    // A wrong token: the Prometheus criteria are unknown (forbidden), never not_met.
    let (result, out) = scan(
        path,
        &["--prometheus", &url],
        Some("evident-wrong-token-000"),
    );
    assert_eq!(source(&result, "prometheus")["status"], "forbidden");
    let r = result_of(&result, "cams.measurement.business", "checkout");
    assert_eq!(r["status"], "unknown");
    assert_eq!(r["reason"], "forbidden");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("evident-wrong-token-000"));

    // No flag: not_configured, saying which flag to pass.
    let (result, _) = scan(path, &[], None);
    let s = source(&result, "prometheus");
    assert_eq!(s["status"], "not_configured");
    assert!(
        s["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("--prometheus")
    );
}
