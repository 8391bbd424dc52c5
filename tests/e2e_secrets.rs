//! Canaries: every credential evident is given, echoed back by the servers it reads into
//! every field a server controls, must reach no output of the built binary.
//!
//! Fake Prometheus, Grafana and Kubernetes API servers on 127.0.0.1 put a distinct canary
//! per credential kind (Prometheus token, Grafana token, URL user, URL password, kube
//! bearer token, kube basic-auth password, kube client key) and the `Authorization`
//! header they received into metric names, label values, rule and alert names,
//! dashboard titles and panel queries, object names, labels and annotations, error
//! bodies (401, 403, 500) and response headers. No canary, nor its base64 or URL-encoded
//! form, may appear in stdout or stderr of any `--format`, the `--dump-input` file, logs
//! at `RUST_LOG=trace`, the cache directory, the output directory or the bundle.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::path::Path;
use std::process::{Command, Output};
use support::Repo;

const PROM_TOKEN: &str = "cnryPromTok7Q2x9";
const GRAFANA_TOKEN: &str = "cnryGrafTok4M8k1";
const URL_USER: &str = "cnryUrlUser5T3v";
const URL_PASSWORD: &str = "cnryUrlPass6W1z";
const KUBE_TOKEN: &str = "cnryKubeTok2H7d";
const KUBE_PASSWORD: &str = "cnryKubePass9B4n";

const FORMATS: &[&str] = &["json", "table", "html", "markdown", "csv", "sarif", "oscal"];

/// What a fake server answers: (status, body) for a path and query, given the echo text.
type Route = fn(&str, &str, &Echo) -> (u16, Value);

/// The canaries a server reflects, and the header it was sent (added per request).
#[derive(Clone)]
struct Echo {
    canaries: Vec<String>,
}

impl Echo {
    /// One line holding every canary (and the `Authorization` value received).
    fn line(&self, auth: &str) -> String {
        let mut parts: Vec<String> = self.canaries.iter().map(|c| c.replace('\n', " ")).collect();
        if !auth.is_empty() {
            parts.push(auth.to_owned());
        }
        parts.join(" ")
    }

    /// Canaries safe inside a name (no spaces or newlines).
    fn names(&self) -> Vec<String> {
        self.canaries
            .iter()
            .filter(|c| !c.contains('\n'))
            .cloned()
            .collect()
    }
}

/// Starts a server on 127.0.0.1 answering through `route`; returns its port.
fn serve(rt: &tokio::runtime::Runtime, route: Route, echo: Echo) -> u16 {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let echo = echo.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let echo = echo.clone();
                    async move { Ok::<_, Infallible>(answer(route, &echo, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    port
}

async fn answer(route: Route, echo: &Echo, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = req.into_body().collect().await;
    let mut echo = echo.clone();
    if !auth.is_empty() {
        echo.canaries.push(auth.clone());
    }
    let (status, body) = route(&path, &query, &echo);
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    let headers = r.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().expect("header"),
    );
    let line: String = echo
        .line(&auth)
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect();
    for name in ["x-echo", "etag", "www-authenticate", "warning"] {
        if let Ok(v) = format!("\"{line}\"").parse() {
            headers.insert(name, v);
        }
    }
    r
}

fn prometheus(path: &str, _query: &str, echo: &Echo) -> (u16, Value) {
    let line = echo.line("");
    let names = echo.names();
    let ok = |data: Value| (200, json!({"status": "success", "data": data}));
    match path {
        "/api/v1/status/buildinfo" => ok(json!({"version": format!("2.53.0 {line}")})),
        "/api/v1/targets" => ok(json!({"activeTargets": names.iter().map(|c| json!({
            "labels": {"job": format!("job_{c}"), "instance": format!("{c}:9100"),
                       "namespace": format!("ns-{c}"), "service": format!("svc_{c}")},
            "discoveredLabels": {"__meta_kubernetes_namespace": format!("ns-{c}")},
            "scrapePool": format!("pool_{c}"), "scrapeUrl": format!("http://{c}:9100/metrics"),
            "health": "down", "lastError": format!("scrape failed: {line}")})).collect::<Vec<_>>()})),
        "/api/v1/rules" => ok(json!({"groups": names.iter().map(|c| json!({
            "name": format!("group_{c}"), "file": format!("/etc/prometheus/{c}.yml"),
            "rules": [
                {"type": "alerting", "name": format!("Alert_{c}"), "state": "firing",
                 "query": format!("up{{job=\"job_{c}\"}} == 0"),
                 "labels": {"severity": "page", "team": c, "service": format!("svc_{c}")},
                 "annotations": {"summary": line, "runbook_url": format!("http://runbooks/{c}")}},
                {"type": "recording", "name": format!("job:{c}:rate5m"),
                 "query": format!("sum by (job) (rate(metric_{c}_total[5m]))"),
                 "labels": {"slo": c}}]})).collect::<Vec<_>>()})),
        "/api/v1/query" => ok(
            json!({"resultType": "vector", "result": names.iter().map(|c| json!({
            "metric": {"__name__": format!("metric_{c}_total"), "job": format!("job_{c}"),
                       "service": format!("svc_{c}"), "instance": format!("{c}:9100"),
                       "source_workload": format!("src_{c}"), "destination_workload": format!("dst_{c}"),
                       "source_workload_namespace": "default", "destination_workload_namespace": "default",
                       "destination_service_name": format!("dsvc_{c}"),
                       "deployment": format!("dep_{c}"), "dst_deployment": format!("ddep_{c}"),
                       "namespace": "default", "dst_namespace": "default",
                       "client": format!("client_{c}"), "server": format!("server_{c}")},
            "value": [1_700_000_000.0, "1"]})).collect::<Vec<_>>()}),
        ),
        "/api/v1/query_range" => (
            403,
            json!({"status": "error", "errorType": "forbidden", "error": format!("denied for {line}")}),
        ),
        _ => (
            500,
            json!({"status": "error", "error": format!("no route: {line}")}),
        ),
    }
}

fn denied(_path: &str, _query: &str, echo: &Echo) -> (u16, Value) {
    let line = echo.line("");
    (
        401,
        json!({"status": "error", "error": format!("invalid credentials {line}"), "message": line}),
    )
}

fn grafana(path: &str, query: &str, echo: &Echo) -> (u16, Value) {
    let line = echo.line("");
    let names = echo.names();
    if path == "/api/search" {
        if !query.contains("page=1") && query.contains("page=") {
            return (200, json!([]));
        }
        let mut hits: Vec<Value> = names
            .iter()
            .map(|c| json!({"uid": format!("uid{c}"), "title": format!("Dashboard {c}"), "type": "dash-db",
                         "url": format!("/d/uid{c}"), "folderTitle": format!("Folder {c}"), "tags": [c]}))
            .collect();
        hits.push(json!({"uid": "broken", "title": line, "type": "dash-db"}));
        return (200, Value::Array(hits));
    }
    if let Some(uid) = path.strip_prefix("/api/dashboards/uid/") {
        let Some(c) = names.iter().find(|c| uid == format!("uid{c}")) else {
            return (500, json!({"message": format!("dashboard failed: {line}")}));
        };
        return (
            200,
            json!({"dashboard": {"uid": uid, "title": format!("Dashboard {c}"), "version": 3, "tags": [c],
                   "panels": [{"id": 1, "type": "timeseries", "title": format!("Panel {c}"),
                               "targets": [{"expr": format!("sum(rate(metric_{c}_total{{job=\"job_{c}\", service=\"svc_{c}\"}}[5m]))"),
                                            "legendFormat": line}]}]},
                   "meta": {"slug": c, "folderTitle": line, "url": format!("/d/{uid}")}}),
        );
    }
    (404, json!({"message": format!("not found {line}")}))
}

fn grafana_denied(_path: &str, _query: &str, echo: &Echo) -> (u16, Value) {
    (
        403,
        json!({"message": format!("permission denied {}", echo.line(""))}),
    )
}

fn kube_status(code: u16, reason: &str, message: String) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

fn resource(name: &str, kind: &str) -> Value {
    json!({"name": name, "singularName": kind.to_lowercase(), "namespaced": true, "kind": kind,
           "verbs": ["get", "list", "watch"]})
}

fn kube_meta(name: &str, c: &str, line: &str) -> Value {
    json!({"name": name, "namespace": "default", "uid": format!("uid-{c}"), "resourceVersion": "7",
           "labels": {"app": format!("app-{c}"), "team": c},
           "annotations": {"note": line, "owner": c}})
}

fn kubernetes(path: &str, _query: &str, echo: &Echo) -> (u16, Value) {
    let line = echo.line("");
    let names = echo.names();
    match path {
        "/api" => (200, json!({"kind": "APIVersions", "versions": ["v1"]})),
        "/apis" => {
            let gv = json!({"groupVersion": "apps/v1", "version": "v1"});
            (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1",
                       "groups": [{"name": "apps", "versions": [gv.clone()], "preferredVersion": gv}]}),
            )
        }
        "/api/v1" => (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
                   "resources": [resource("pods", "Pod"), resource("services", "Service"),
                                 resource("configmaps", "ConfigMap")]}),
        ),
        "/apis/apps/v1" => (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
                   "resources": [resource("deployments", "Deployment")]}),
        ),
        "/apis/apps/v1/deployments" => {
            let items: Vec<Value> = names.iter().map(|c| json!({
                "metadata": kube_meta(&format!("web-{c}"), c, &line),
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": format!("app-{c}")}},
                         "template": {"metadata": {"labels": {"app": format!("app-{c}")}},
                                      "spec": {"containers": [{"name": format!("c-{c}"),
                                               "image": format!("ghcr.io/acme/{}:1", c.to_lowercase()),
                                               "args": [line.clone()]}]}}},
                "status": {"replicas": 2, "readyReplicas": 2}})).collect();
            (
                200,
                json!({"kind": "DeploymentList", "apiVersion": "apps/v1",
                       "metadata": {"resourceVersion": "9"}, "items": items}),
            )
        }
        "/api/v1/pods" => {
            let items: Vec<Value> = names.iter().map(|c| json!({
                "metadata": kube_meta(&format!("pod-{c}"), c, &line),
                "spec": {"containers": [{"name": "app", "image": format!("ghcr.io/acme/{}:1", c.to_lowercase())}]},
                "status": {"phase": "Running", "message": line}})).collect();
            (
                200,
                json!({"kind": "PodList", "apiVersion": "v1",
                       "metadata": {"resourceVersion": "9"}, "items": items}),
            )
        }
        "/api/v1/services" => kube_status(
            403,
            "Forbidden",
            format!("services is forbidden: User \"{line}\" cannot list resource \"services\""),
        ),
        _ => kube_status(500, "InternalError", format!("etcd failed: {line}")),
    }
}

/// A client key and certificate made by openssl, so the kube client can load them.
fn client_key(dir: &Path) -> Option<(String, String)> {
    let key = dir.join("client.key");
    let cert = dir.join("client.crt");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=evident-canary"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    Some((
        std::fs::read_to_string(key).ok()?,
        std::fs::read_to_string(cert).ok()?,
    ))
}

/// The canary of the client key: the first line of its PEM body.
fn key_line(pem: &str) -> String {
    pem.lines()
        .find(|l| !l.starts_with("-----") && l.len() >= 16)
        .unwrap_or_default()
        .to_owned()
}

fn kubeconfig(dir: &Path, port: u16, key_pem: &str, cert_pem: &str) -> std::path::PathBuf {
    let server = format!("http://127.0.0.1:{port}");
    let config = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "tok",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [
            {"name": "tok-user", "user": {"token": KUBE_TOKEN}},
            {"name": "basic-user", "user": {"username": "alice", "password": KUBE_PASSWORD}},
            {"name": "cert-user", "user": {"client-certificate-data": STANDARD.encode(cert_pem),
                                           "client-key-data": STANDARD.encode(key_pem)}}],
        "contexts": [
            {"name": "tok", "context": {"cluster": "fake", "user": "tok-user"}},
            {"name": "basic", "context": {"cluster": "fake", "user": "basic-user"}},
            {"name": "cert", "context": {"cluster": "fake", "user": "cert-user"}}]
    });
    let path = dir.join("kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&config).expect("yaml")).expect("write");
    path
}

/// One way to hand evident its credentials, and the canaries that way gives it.
struct Scenario {
    name: &'static str,
    env: Vec<(&'static str, String)>,
    args: Vec<String>,
    canaries: Vec<(String, String)>,
    work: tempfile::TempDir,
    _repo: Repo,
    _rt: tokio::runtime::Runtime,
}

/// Scenario "tokens": a Prometheus token and URL credentials on Grafana; "urls": URL
/// credentials on Prometheus and a Grafana token. Both read the three kube contexts.
fn scenario(name: &'static str) -> Scenario {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let work = tempfile::tempdir().expect("tempdir");
    let (key_pem, cert_pem) = client_key(work.path()).expect("openssl makes a client key");
    let mut canaries = vec![
        ("kube bearer token".to_owned(), KUBE_TOKEN.to_owned()),
        (
            "kube basic-auth password".to_owned(),
            KUBE_PASSWORD.to_owned(),
        ),
        ("kube client key".to_owned(), key_line(&key_pem)),
        ("kube client key PEM".to_owned(), key_pem.trim().to_owned()),
        ("URL user".to_owned(), URL_USER.to_owned()),
        ("URL password".to_owned(), URL_PASSWORD.to_owned()),
    ];
    let tokens = name == "tokens";
    canaries.push(if tokens {
        ("Prometheus token".to_owned(), PROM_TOKEN.to_owned())
    } else {
        ("Grafana token".to_owned(), GRAFANA_TOKEN.to_owned())
    });
    let echo = Echo {
        canaries: canaries.iter().map(|(_, c)| c.clone()).collect(),
    };
    let prom = serve(&rt, prometheus, echo.clone());
    let prom_denied = serve(&rt, denied, echo.clone());
    let graf = serve(&rt, grafana, echo.clone());
    let graf_denied = serve(&rt, grafana_denied, echo.clone());
    let kube = serve(&rt, kubernetes, echo.clone());
    let cfg = kubeconfig(work.path(), kube, &key_pem, &cert_pem);
    let creds = format!("{URL_USER}:{URL_PASSWORD}@");
    let (prom_creds, graf_creds) = if tokens {
        ("", creds.as_str())
    } else {
        (creds.as_str(), "")
    };
    let mut env = vec![
        ("KUBECONFIG", cfg.display().to_string()),
        (
            "EVIDENT_CACHE_DIR",
            work.path().join("cache").display().to_string(),
        ),
    ];
    env.push(if tokens {
        ("EVIDENT_PROMETHEUS_TOKEN", PROM_TOKEN.to_owned())
    } else {
        ("EVIDENT_GRAFANA_TOKEN", GRAFANA_TOKEN.to_owned())
    });
    // Grafana is read once per scan: the denied one in the "urls" scenario, so both a
    // 403 body and a full read are covered across the two.
    let graf_port = if tokens { graf } else { graf_denied };
    let repo = Repo::new("shop");
    repo.write("README.md", "# shop\n");
    repo.commit("init");
    let args: Vec<String> = vec![
        repo.path().display().to_string(),
        "--prometheus".into(),
        format!("http://{prom_creds}127.0.0.1:{prom}"),
        "--prometheus".into(),
        format!("http://{prom_creds}127.0.0.1:{prom_denied}"),
        "--grafana".into(),
        format!("http://{graf_creds}127.0.0.1:{graf_port}"),
        "--kube-context".into(),
        "tok".into(),
        "--kube-context".into(),
        "basic".into(),
        "--kube-context".into(),
        "cert".into(),
        "--timeout".into(),
        "20".into(),
    ];
    Scenario {
        name,
        env,
        args,
        canaries,
        work,
        _repo: repo,
        _rt: rt,
    }
}

impl Scenario {
    fn run(&self, extra: &[&str], trace: bool) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_evident"));
        cmd.arg(extra[0]);
        if extra[0] != "report" && extra[0] != "bundle" && extra[0] != "keygen" {
            cmd.args(&self.args);
        }
        cmd.args(&extra[1..])
            .env("NO_COLOR", "1")
            .env_remove("EVIDENT_PROMETHEUS_TOKEN")
            .env_remove("EVIDENT_GRAFANA_TOKEN")
            .env_remove("EVIDENT_PROMETHEUS_USER")
            .env_remove("EVIDENT_PROMETHEUS_PASSWORD")
            .current_dir(self.work.path());
        if trace {
            cmd.env("RUST_LOG", "trace");
        } else {
            cmd.env_remove("RUST_LOG");
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().expect("run evident")
    }

    /// Every form of every canary that must not appear.
    fn forms(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (kind, c) in &self.canaries {
            out.push((kind.clone(), c.clone()));
            out.push((format!("{kind} (base64)"), STANDARD.encode(c)));
            out.push((format!("{kind} (base64url)"), URL_SAFE.encode(c)));
            let encoded: String = c
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            out.push((format!("{kind} (URL-encoded)"), encoded));
        }
        out.push((
            "URL user:password (base64)".into(),
            STANDARD.encode(format!("{URL_USER}:{URL_PASSWORD}")),
        ));
        out.push((
            "kube basic auth (base64)".into(),
            STANDARD.encode(format!("alice:{KUBE_PASSWORD}")),
        ));
        out
    }

    /// The canary kinds (and forms) found in `text`, each named with `place`.
    fn leaks(&self, place: &str, text: &str) -> Vec<String> {
        self.forms()
            .into_iter()
            .filter(|(_, form)| text.contains(form.as_str()))
            .map(|(kind, _)| format!("{}: {kind} in {place}", self.name))
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, as text (gzip archives unpacked).
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if path.to_string_lossy().ends_with(".tar.gz") {
                out.extend(bundle_files(&bytes, &path.display().to_string()));
            }
            out.push((path.display().to_string(), text(&bytes)));
        }
    }
    out
}

fn bundle_files(bytes: &[u8], name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().expect("bundle entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").display().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("read entry");
        out.push((format!("{name}!{path}"), text(&content)));
    }
    out
}

fn assert_no_canary(name: &'static str) {
    let s = scenario(name);
    let mut leaks = Vec::new();
    let out_dir = s.work.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let result = out_dir.join("result.json");
    let dump = out_dir.join("input.json");
    let full = s.run(
        &[
            "scan",
            "--format",
            "json",
            "-o",
            result.to_str().expect("utf-8"),
            "--dump-input",
            dump.to_str().expect("utf-8"),
        ],
        true,
    );
    assert_eq!(full.status.code(), Some(0), "{}", text(&full.stderr));
    leaks.extend(s.leaks("logs at RUST_LOG=trace", &text(&full.stderr)));
    leaks.extend(s.leaks("stdout of the traced scan", &text(&full.stdout)));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&result).expect("result")).expect("json");
    // The servers were read: the canaries had every chance to leak.
    let sources = json["sources"].to_string();
    assert!(sources.contains("prometheus"), "{sources}");
    assert!(
        json["evidence"]
            .as_object()
            .is_some_and(|e| e.keys().any(|k| k.starts_with("prometheus:"))),
        "prometheus was read: {sources}"
    );
    assert!(
        json["evidence"]
            .as_object()
            .is_some_and(|e| e.keys().any(|k| k.starts_with("k8s:"))),
        "the cluster was read: {sources}"
    );
    // Ids were redacted the same way everywhere: every cited id is still a record.
    let evidence = json["evidence"].as_object().expect("evidence map");
    assert!(
        evidence.keys().any(|k| k.contains("[redacted]")),
        "server-chosen names reached evidence ids and were redacted there"
    );
    for r in json["results"].as_array().expect("results") {
        for id in r["evidence"].as_array().into_iter().flatten() {
            let id = id.as_str().expect("id");
            assert!(evidence.contains_key(id), "{id} cited but not recorded");
            assert_eq!(evidence[id]["id"], id, "the record's id is its key");
        }
    }
    let kube: Vec<&Value> = json["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter(|s| s["probe"] == "kubernetes")
        .collect();
    assert!(kube.len() >= 3, "the three contexts were tried: {kube:?}");
    support::assert_valid(&json);
    for format in FORMATS {
        let out = s.run(&["scan", "--format", format], false);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            text(&out.stderr)
        );
        leaks.extend(s.leaks(&format!("--format {format} stdout"), &text(&out.stdout)));
        leaks.extend(s.leaks(&format!("--format {format} stderr"), &text(&out.stderr)));
    }
    for format in ["table", "json"] {
        let out = s.run(&["services", "--format", format], false);
        leaks.extend(s.leaks(&format!("services --format {format}"), &text(&out.stdout)));
    }
    let key = s.work.path().join("key");
    let k = s.run(&["keygen", "-o", key.to_str().expect("utf-8")], false);
    assert!(k.status.success(), "{}", text(&k.stderr));
    let bundle = out_dir.join("evidence.tar.gz");
    let b = s.run(
        &[
            "bundle",
            result.to_str().expect("utf-8"),
            "--sign",
            key.to_str().expect("utf-8"),
            "-o",
            bundle.to_str().expect("utf-8"),
        ],
        true,
    );
    assert!(b.status.success(), "{}", text(&b.stderr));
    leaks.extend(s.leaks("bundle command output", &text(&b.stdout)));
    for (path, content) in files_under(&out_dir) {
        leaks.extend(s.leaks(&path, &content));
    }
    for (path, content) in files_under(&s.work.path().join("cache")) {
        leaks.extend(s.leaks(&path, &content));
    }
    assert!(leaks.is_empty(), "canaries leaked:\n{}", leaks.join("\n"));
}

#[test]
fn no_canary_of_a_token_or_kube_credential_reaches_any_output() {
    assert_no_canary("tokens");
}

#[test]
fn no_canary_of_url_credentials_or_kube_credential_reaches_any_output() {
    assert_no_canary("urls");
}

#[test]
fn url_credentials_and_a_token_for_one_source_is_a_usage_error_without_the_values() {
    let work = tempfile::tempdir().expect("tempdir");
    for (flag, var, token) in [
        ("--prometheus", "EVIDENT_PROMETHEUS_TOKEN", PROM_TOKEN),
        ("--grafana", "EVIDENT_GRAFANA_TOKEN", GRAFANA_TOKEN),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_evident"))
            .args([
                "scan",
                flag,
                &format!("http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:9"),
            ])
            .env(var, token)
            .env("NO_COLOR", "1")
            .current_dir(work.path())
            .output()
            .expect("run evident");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(flag) && stderr.contains(var), "{stderr}");
        assert!(stderr.contains("URL"), "{stderr}");
        for secret in [URL_USER, URL_PASSWORD, token] {
            assert!(!stderr.contains(secret), "{secret} in {stderr}");
        }
    }
}
