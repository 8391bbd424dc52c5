//! `evident serve` end to end: the built binary scans fixture repositories every two
//! seconds into a SQLite store, a change between two scans shows in the diff, the page
//! (opened in headless Chromium) shows the trend, the API and /metrics need the token,
//! and a real Prometheus scrapes /metrics.

#[path = "../probes/prometheus/tests/support/mod.rs"]
mod prom_support;
mod support;

use support::browser::{artifacts, run_chromium};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const TOKEN: &str = "serve-token-3b9d";

const WORKFLOW: &str = "name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo test --workspace
";

/// A Deployment named `name`, with readiness and liveness probes when `probes`.
fn deployment(name: &str, probes: bool) -> String {
    let probes = if probes {
        "          readinessProbe:\n            httpGet: {path: /healthz, port: 8080}\n          livenessProbe:\n            httpGet: {path: /healthz, port: 8080}\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: server\n          image: ghcr.io/acme/{name}:1.2.3\n{probes}"
    )
}

fn catalog(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

/// Two repositories: `cart` (team-payments, with probes) and `mailer` (team-growth, a
/// Deployment without probes, until the change).
fn repos() -> (Repo, Repo) {
    let cart = Repo::new("cart");
    cart.write(".github/workflows/ci.yaml", WORKFLOW)
        .write("k8s/app.yaml", deployment("cart", true))
        .write("catalog-info.yaml", catalog("cart", "team-payments"));
    cart.commit("initial");
    let mailer = Repo::new("mailer");
    mailer
        .write("k8s/app.yaml", deployment("mailer", false))
        .write("catalog-info.yaml", catalog("mailer", "team-growth"));
    mailer.commit("initial");
    (cart, mailer)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A running `evident serve`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(args: &[&str], log: PathBuf) -> Server {
        Self::start_with(args, log, Some(TOKEN))
    }

    fn start_with(args: &[&str], log: PathBuf, token: Option<&str>) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_evident"));
        match token {
            Some(t) => cmd.env("EVIDENT_SERVE_TOKEN", t),
            None => cmd.env_remove("EVIDENT_SERVE_TOKEN"),
        };
        let child = cmd
            .arg("serve")
            .args(args)
            .args(["--listen", &listen, "--no-cache"])
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("start evident serve");
        let server = Server {
            child,
            url: format!("http://{listen}"),
            log,
        };
        server.wait_until("/healthz answers", Duration::from_secs(60), |s| {
            s.get("/healthz", None).is_some()
        });
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET `path`: the status and body, or `None` when nothing answers.
    fn get(&self, path: &str, token: Option<&str>) -> Option<(u16, String)> {
        let client = reqwest::blocking::Client::new();
        let mut req = client
            .get(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(20));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().ok()?;
        let status = res.status().as_u16();
        Some((status, res.text().ok()?))
    }

    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path, Some(TOKEN)).expect("answer");
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    fn wait_until(&self, what: &str, limit: Duration, check: impl Fn(&Server) -> bool) {
        let deadline = Instant::now() + limit;
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "gave up waiting for {what}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ok_scans(&self) -> usize {
        let list = self.json("/api/scans");
        list["scans"]
            .as_array()
            .map_or(0, |s| s.iter().filter(|x| x["ok"] == true).count())
    }

    /// SIGTERM, then the exit status (within 30 s).
    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves over the two repositories every 2 s until two scans are stored, with mailer's
/// probes added between them; then stops it (SIGTERM: exit 0).
fn two_scans_with_a_change(dir: &Path, paths: &[&str], mailer: &Repo, store: &str) {
    let mut args = paths.to_vec();
    args.extend(["--store", store, "--schedule", "*/2 * * * * *"]);
    let mut server = Server::start(&args, dir.join("serve-1.log"));
    server.wait_until("the first scan", Duration::from_secs(120), |s| {
        s.ok_scans() >= 1
    });
    mailer.write("k8s/app.yaml", deployment("mailer", true));
    mailer.commit("mailer: readiness and liveness probes");
    server.wait_until("the second scan", Duration::from_secs(120), |s| {
        s.ok_scans() >= 2
    });
    let status = server.stop();
    assert!(
        status.success(),
        "SIGTERM ends serve cleanly: {status}; log:\n{}",
        server.log()
    );
}

#[test]
fn serve_scans_on_schedule_and_shows_the_trend_the_diff_and_the_metrics() {
    let dir = tempfile::tempdir().expect("tmp");
    let (cart, mailer) = repos();
    let (cart_path, mailer_path) = (cart.path(), mailer.path());
    let paths = [
        cart_path.to_str().expect("utf-8"),
        mailer_path.to_str().expect("utf-8"),
    ];
    let store = format!("sqlite:{}", dir.path().join("history.db").display());
    two_scans_with_a_change(dir.path(), &paths, &mailer, &store);

    // The same store served again, with no scan due for a year: the page shows exactly
    // the two scans.
    let mut args = paths.to_vec();
    args.extend(["--store", &store, "--schedule", "0 0 1 1 *"]);
    let server = Server::start(&args, dir.path().join("serve-2.log"));
    let scans = server.json("/api/scans");
    assert_eq!(scans["scans"].as_array().map(Vec::len), Some(2), "{scans}");

    // The token: everything but /healthz refuses a request without it.
    for path in [
        "/",
        "/api/scans",
        "/metrics",
        "/services/mailer",
        "/api/diff/latest",
    ] {
        let (status, body) = server.get(path, None).expect("answer");
        assert_eq!(status, 401, "{path} without the token");
        assert!(!body.contains("mailer"), "{path} leaks without the token");
        assert_eq!(server.get(path, Some("wrong")).expect("answer").0, 401);
        assert_eq!(
            server.get(path, Some(TOKEN)).expect("answer").0,
            200,
            "{path}"
        );
    }
    let (status, health) = server.get("/healthz", None).expect("healthz");
    assert_eq!(status, 200, "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");

    // The diff names exactly the change: mailer's health checks, now met.
    let diff = server.json("/api/diff/latest");
    let d = &diff["diff"];
    let improved: Vec<(&str, &str)> = d["improvements"]
        .as_array()
        .expect("improvements")
        .iter()
        .map(|c| {
            (
                c["service"].as_str().unwrap_or(""),
                c["criterion"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        improved.contains(&("mailer", "ds.devops.health-checks")),
        "{diff}"
    );
    assert!(
        improved.iter().all(|(s, _)| *s == "mailer"),
        "only mailer changed: {diff}"
    );
    assert_eq!(d["regressions"].as_array().map(Vec::len), Some(0), "{diff}");

    // The API: services with teams and levels, a service's history, a scan's bytes.
    let services = server.json("/api/services");
    let list = services["services"].as_array().expect("services");
    let team_of = |id: &str| {
        list.iter()
            .find(|s| s["id"] == id)
            .map(|s| s["team"].clone())
            .unwrap_or_default()
    };
    assert_eq!(team_of("cart"), "team-payments");
    assert_eq!(team_of("mailer"), "team-growth");
    let history = server.json("/api/services/mailer/history?criterion=ds.devops.health-checks");
    let statuses: Vec<&str> = history["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["verdicts"][0]["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["not_met", "met"], "{history}");
    let latest = server.json("/api/scans/latest");
    assert_valid(&latest);

    // The service page: each verdict with its reason and evidence locators.
    let (_, page) = server.get("/services/mailer", Some(TOKEN)).expect("page");
    assert!(page.contains("ds.devops.health-checks"));
    assert!(
        page.contains("k8s/app.yaml#L"),
        "evidence locator on the page"
    );

    // The page in a real browser: the trend SVG is in the DOM, and a screenshot is kept.
    // Chromium cannot send a bearer token: the same store served on loopback without
    // one (allowed there, and only there, without --insecure-no-auth).
    let mut open_args = paths.to_vec();
    open_args.extend(["--store", &store, "--schedule", "0 0 1 1 *"]);
    let open = Server::start_with(&open_args, dir.path().join("serve-3.log"), None);
    page_in_chromium(&open);

    // /metrics parses as the exposition format and a real Prometheus scrapes it.
    metrics_parse(&server);
    prometheus_scrapes(&server);
    drop((cart, mailer));
}

/// The overview in headless Chromium: the DOM holds the trend SVGs and the levels; the
/// screenshot is kept under the target dir.
fn page_in_chromium(server: &Server) {
    let url = format!("{}/", server.url);
    let dom = run_chromium(&["--dump-dom".to_owned()], &url);
    assert!(
        dom.contains("<svg"),
        "no trend chart in the DOM: {}",
        &dom[..dom.len().min(800)]
    );
    assert!(dom.contains("class=\"trend\""), "the trend SVG");
    assert!(dom.contains("services at each level"), "the chart's title");
    assert!(dom.contains("team-payments") && dom.contains("team-growth"));
    assert!(
        dom.contains("improvement"),
        "the diff section shows the change"
    );
    let shot = artifacts().join("evident-serve.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,2000".to_owned(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 10_000, "the page rendered nearly empty");
    println!("screenshot: {}", shot.display());
}

/// /metrics through a Prometheus exposition parser.
fn metrics_parse(server: &Server) {
    let (status, text) = server.get("/metrics", Some(TOKEN)).expect("metrics");
    assert_eq!(status, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("the exposition parses");
    let level = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "evident_service_level"
                && s.labels.get("service") == Some("cart")
                && s.labels.get("model") == Some("distributed-systems")
        })
        .expect("cart's level");
    assert_eq!(level.labels.get("team"), Some("team-payments"));
    for name in [
        "evident_criteria",
        "evident_scan_duration_seconds",
        "evident_last_success_timestamp_seconds",
        "evident_scans_total",
        "evident_scan_running",
    ] {
        assert!(
            scrape.samples.iter().any(|s| s.metric == name),
            "{name} missing:\n{text}"
        );
    }
}

/// A real Prometheus scrapes /metrics with the token: the target is up and a level is
/// readable by PromQL.
fn prometheus_scrapes(server: &Server) {
    let target = server.url.trim_start_matches("http://");
    let config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: evident\n    scrape_interval: 1s\n    authorization:\n      credentials: {TOKEN}\n    static_configs:\n      - targets: ['{target}']\n"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let prom = prom_support::start_prometheus(&config, "groups: []\n").await;
        let query = |q: &'static str| {
            let url = format!("{}/api/v1/query?query={}", prom.url, q);
            async move { prom_support::get_json(&url).await }
        };
        prom_support::wait_for(Duration::from_secs(60), "the evident target to be up", || async {
            query("up%7Bjob%3D%22evident%22%7D").await.is_some_and(|v| {
                v["data"]["result"][0]["value"][1] == "1"
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        prom_support::wait_for(Duration::from_secs(30), "a level sample in PromQL", || async {
            query("evident_service_level%7Bservice%3D%22cart%22%2Cmodel%3D%22distributed-systems%22%7D")
                .await
                .is_some_and(|v| {
                    v["data"]["result"][0]["metric"]["team"] == "team-payments"
                        && v["data"]["result"][0]["value"][1].is_string()
                })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    });
}

#[test]
fn serve_refuses_a_public_address_without_a_token_and_a_bad_schedule() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(["serve", ".", "--store", &store, "--listen", "0.0.0.0:0"])
        .env_remove("EVIDENT_SERVE_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("EVIDENT_SERVE_TOKEN") && err.contains("--insecure-no-auth"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(["serve", ".", "--store", &store, "--schedule", "every night"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--schedule") && err.contains("every night"),
        "{err}"
    );
}
