//! Issue 14's whole-estate claim, end to end with the built binary: an estate of three
//! teams and twelve services (twelve git repositories whose catalog names each service
//! and its team, a cluster dump with a Deployment per service, a real Prometheus with a
//! scrape job per service, a mocked PagerDuty account) described by one `estate.yaml`
//! whose `store:` is a SQLite file beside it. Two scans with one change between them;
//! `diff` names exactly that change and exits 1; `history` shows both scans; four shards
//! with a run id judge the same verdicts and levels as the unsharded scan; `serve` over
//! the same config exposes every service's level on /metrics and draws the trend in a
//! real browser.

#[path = "../probes/prometheus/tests/support/mod.rs"]
mod prom_support;
mod support;

use support::browser::{artifacts, run_chromium};

use chrono::Utc;
use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Faults, MockServer};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Repo, assert_valid, result_of};

const TOKEN: &str = "estate-serve-token-51c2";
const TEAMS: [&str; 3] = ["team-payments", "team-growth", "team-platform"];
/// The one service the change between the two scans touches.
const CHANGED: &str = "ledger";

/// Twelve services, four per team.
fn services() -> Vec<(&'static str, &'static str)> {
    let names = [
        ["cart", "checkout", "ledger", "billing"],
        ["mailer", "search", "recommend", "ads"],
        ["gateway", "auth", "config", "audit"],
    ];
    TEAMS
        .iter()
        .zip(names)
        .flat_map(|(team, names)| names.into_iter().map(move |n| (n, *team)))
        .collect()
}

const WORKFLOW: &str = "name: ci\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test --workspace\n";

fn catalog(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

/// One repository per service: its catalog entry (name and owning team) and CI.
fn repos() -> Vec<Repo> {
    services()
        .into_iter()
        .map(|(name, team)| {
            let repo = Repo::new(name);
            repo.write("catalog-info.yaml", catalog(name, team))
                .write(".github/workflows/ci.yaml", WORKFLOW);
            repo.commit("initial");
            repo
        })
        .collect()
}

/// A `kubectl get -A -o json` dump with a Deployment per service; `without_readiness`
/// names the service whose readiness probe was dropped.
fn write_dump(path: &Path, without_readiness: Option<&str>) {
    let items: Vec<Value> = services()
        .into_iter()
        .map(|(name, _)| {
            let mut container = serde_json::json!({
                "name": "server",
                "image": format!("ghcr.io/acme/{name}:1.2.3"),
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}
            });
            if without_readiness == Some(name)
                && let Some(c) = container.as_object_mut()
            {
                c.remove("readinessProbe");
            }
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "shop", "resourceVersion": "100"},
                "spec": {"replicas": 2,
                         "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [container]}}},
                "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2}
            })
        })
        .collect();
    let dump = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(path, dump.to_string()).expect("write dump");
}

/// A real Prometheus with a scrape job per service, all served by one local exporter.
async fn prometheus() -> prom_support::Prometheus {
    use prom_support::*;
    let handler: Handler = Arc::new(|req: Request| {
        if req.path.starts_with("/metrics/") {
            Response::text(
                "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 100\n\
                 # TYPE go_goroutines gauge\ngo_goroutines 12\n",
            )
        } else {
            Response::json(404, "{}")
        }
    });
    let port = serve(handler).await;
    let mut config = String::from("global:\n  scrape_interval: 1s\nscrape_configs:\n");
    for (name, _) in services() {
        config.push_str(&format!(
            "  - job_name: {name}\n    metrics_path: /metrics/{name}\n    static_configs:\n      - targets: [\"127.0.0.1:{port}\"]\n        labels: {{namespace: shop}}\n"
        ));
    }
    let prom = start_prometheus(&config, "groups: []\n").await;
    let url = prom.url.clone();
    wait_for(Duration::from_secs(90), "all twelve targets up", || {
        let url = url.clone();
        async move {
            get_json(&format!("{url}/api/v1/targets?state=active"))
                .await
                .is_some_and(|t| {
                    t["data"]["activeTargets"]
                        .as_array()
                        .is_some_and(|a| a.len() == 12 && a.iter().all(|t| t["health"] == "up"))
                })
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    prom
}

fn estate_yaml(repos: &[Repo], prometheus: &str, pagerduty: &str) -> String {
    let mut text = String::from("version: 1\nsources:\n  repositories:\n");
    for r in repos {
        text.push_str(&format!("    - {}\n", r.path().display()));
    }
    text.push_str(&format!(
        "  kubernetes:\n    dumps: [cluster.json]\n  prometheus:\n    - url: {prometheus}\n  pagerduty:\n    url: {pagerduty}\n    token_env: ESTATE_PAGERDUTY_TOKEN\nschedule: \"0 0 1 1 *\"\nstore: evident.db\n"
    ));
    text
}

/// The built binary in the estate's directory, with the PagerDuty token in its
/// environment.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(args)
        .current_dir(dir)
        .env("ESTATE_PAGERDUTY_TOKEN", PagerdutyModel::TOKEN)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident")
}

fn ok(out: &Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// The latest scan a store holds, as stored.
fn stored_latest(location: &str) -> Value {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let text = rt.block_on(async {
        let store = evident_store::Store::open(location).await.expect("open");
        let id = store
            .resolve("latest")
            .await
            .expect("resolve")
            .expect("a scan");
        store.load_json(&id).await.expect("load").expect("stored")
    });
    serde_json::from_str(&text).expect("stored json")
}

/// (service, criterion) -> status of every verdict.
fn statuses(result: &Value) -> std::collections::BTreeMap<(String, String), String> {
    result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                (
                    r["service"].as_str().unwrap_or("").to_owned(),
                    r["criterion"].as_str().unwrap_or("").to_owned(),
                ),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_whole_estate_scanned_twice_diffed_sharded_and_served() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (prom, pagerduty) = rt.block_on(async {
        let pd = MockServer::start(
            PagerdutyApi::new(PagerdutyModel::small(Utc::now())),
            Faults::default(),
        )
        .await
        .expect("PagerDuty mock");
        (prometheus().await, pd)
    });
    let repos = repos();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_dump(&d.join("cluster.json"), None);
    let config = d.join("estate.yaml");
    std::fs::write(&config, estate_yaml(&repos, &prom.url, pagerduty.url())).expect("config");
    let config = config.to_str().expect("utf-8");
    let store = d.join("evident.db");
    let store = store.to_str().expect("utf-8");

    // Scan 1, the change (ledger's readiness probe dropped in the cluster), scan 2.
    let (a, b) = (d.join("a.json"), d.join("b.json"));
    let scan = |file: &Path| {
        let f = file.to_str().expect("utf-8");
        ok(
            &run_in(
                d,
                &["scan", "--config", config, "--format", "json", "-o", f],
            ),
            "scan",
        );
        read_json(file)
    };
    let first = scan(&a);
    assert_valid(&first);
    assert_estate(&first);
    write_dump(&d.join("cluster.json"), Some(CHANGED));
    let second = scan(&b);
    assert_valid(&second);
    assert_estate(&second);
    assert!(
        Path::new(store).is_file(),
        "the config's store: beside the config"
    );

    assert_diff(d, store, &first, &second);
    assert_history(d, store);
    assert_shards(d, config, &second);
    serve_metrics_and_page(d, config);
    let recorded = d.join("recorded.json");
    let f = recorded.to_str().expect("utf-8");
    let args = ["scan", "--config", config, "--format", "json", "-o", f];
    let out = run_in(d, &[&args[..], &["--snapshot", "snap"]].concat());
    ok(&out, "scan --snapshot");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("answers"), "{said}");
    // Every source gone: Prometheus and PagerDuty stopped, repositories and dump deleted.
    drop((prom, pagerduty, repos));
    std::fs::remove_file(d.join("cluster.json")).expect("remove dump");
    replay_after_every_source_is_gone(d, &read_json(&recorded));
}

/// The estate's snapshot (git, history, source_code, a cluster dump, a real Prometheus,
/// PagerDuty) replays to the recorded result, verdict for verdict and field for field.
fn replay_after_every_source_is_gone(d: &Path, recorded: &Value) {
    let out = run_in(
        d,
        &["replay", "snap", "--format", "json", "-o", "replayed.json"],
    );
    ok(&out, "replay");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("identical to the recorded scan"), "{said}");
    let replayed = read_json(&d.join("replayed.json"));
    assert_eq!(statuses(&replayed), statuses(recorded));
    assert_eq!(replayed["sources"], recorded["sources"]);
    let sources = replayed["sources"].to_string();
    for source in ["prometheus", "pagerduty", "kubernetes", "git"] {
        assert!(sources.contains(source), "{source} in {sources}");
    }
}

/// Twelve services, each with its team, joined from the repository, the cluster and
/// Prometheus; the mocked PagerDuty account was read (its service `search` joins our
/// `search` by name and has no escalation policy).
fn assert_estate(result: &Value) {
    let paged = result_of(result, "cams.feedback.ops-to-dev", "search");
    assert_eq!(paged["status"], "not_met", "{paged}");
    assert!(
        paged["summary"]
            .as_str()
            .is_some_and(|s| s.contains("no escalation policy") && s.contains("pagerduty/PSVC2")),
        "the reason is PagerDuty's answer: {paged}"
    );
    let unpaged = result_of(result, "cams.feedback.ops-to-dev", "cart");
    assert_eq!(
        (unpaged["status"].as_str(), unpaged["reason"].as_str()),
        (Some("unknown"), Some("not_configured")),
        "{unpaged}"
    );
    assert!(
        unpaged["summary"]
            .as_str()
            .is_some_and(|s| s.contains("no on-call service of pagerduty is tied to cart")),
        "{unpaged}"
    );
    let list = result["services"].as_array().expect("services");
    let got: BTreeSet<(String, String)> = list
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_owned(),
                s["team"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = services()
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect();
    assert_eq!(got, want, "twelve services with their teams");
    for s in list {
        let sources: BTreeSet<&str> = s["joins"]
            .as_array()
            .expect("joins")
            .iter()
            .filter_map(|j| j["source"].as_str())
            .collect();
        for source in ["git", "kubernetes", "prometheus"] {
            assert!(sources.contains(source), "{source} joins {}: {s}", s["id"]);
        }
    }
}

/// `diff previous latest` exits 1 and names exactly the criteria of the one service that
/// changed, as the two stored results say.
fn assert_diff(d: &Path, store: &str, first: &Value, second: &Value) {
    let out = run_in(
        d,
        &[
            "diff", "previous", "latest", "--store", store, "--format", "json",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a regression fails the gate: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value = serde_json::from_str(&text).expect("diff json");
    let changes = |key: &str| -> BTreeSet<(String, String)> {
        diff[key]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| {
                (
                    c["service"].as_str().unwrap_or("").to_owned(),
                    c["criterion"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let named: BTreeSet<_> = changes("regressions")
        .union(&changes("improvements"))
        .cloned()
        .collect();
    let (before, after) = (statuses(first), statuses(second));
    let changed: BTreeSet<(String, String)> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!named.is_empty(), "{text}");
    assert_eq!(
        named, changed,
        "the diff is what the stored results differ by"
    );
    assert!(
        named.iter().all(|(s, _)| s == CHANGED),
        "only {CHANGED} changed: {named:?}"
    );
    assert!(
        named.contains(&(CHANGED.to_owned(), "ds.devops.health-checks".to_owned())),
        "{named:?}"
    );
    let health = diff["regressions"]
        .as_array()
        .expect("regressions")
        .iter()
        .find(|r| r["criterion"] == "ds.devops.health-checks")
        .expect("health checks regressed");
    assert_eq!(
        (health["before"].as_str(), health["after"].as_str()),
        (Some("met"), Some("not_met"))
    );
    let verdict = result_of(second, "ds.devops.health-checks", CHANGED);
    assert_eq!(verdict["status"], "not_met", "{verdict}");
    assert!(
        verdict["summary"]
            .as_str()
            .is_some_and(|s| s.contains("cluster"))
            && verdict["missing"].to_string().contains("readiness"),
        "the reason names the cluster and the missing readiness probe: {verdict}"
    );
    let kept = result_of(second, "ds.devops.health-checks", "cart");
    assert_eq!(kept["status"], "met", "{kept}");
}

/// `history SERVICE` shows both scans.
fn assert_history(d: &Path, store: &str) {
    let out = run_in(
        d,
        &[
            "history",
            CHANGED,
            "--criterion",
            "ds.devops.health-checks",
            "--store",
            store,
            "--format",
            "json",
        ],
    );
    let history: Value = serde_json::from_str(&ok(&out, "history")).expect("history json");
    let statuses: Vec<&str> = history["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["verdicts"][0]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["met", "not_met"], "{history}");
    let table = ok(
        &run_in(d, &["history", CHANGED, "--store", store]),
        "history",
    );
    assert!(table.contains("2 scans, oldest first"), "{table}");
}

/// Four shards of one run into another store: only the last judges, and the stored scan
/// has the unsharded scan's services, verdicts and levels.
fn assert_shards(d: &Path, config: &str, unsharded: &Value) {
    let shard_store = format!("sqlite:{}", d.join("shards.db").display());
    let mut judged = 0;
    for i in 0..4 {
        let shard = format!("{i}/4");
        let out = run_in(
            d,
            &[
                "scan",
                "--config",
                config,
                "--shard",
                &shard,
                "--run-id",
                "nightly-1",
                "--store",
                &shard_store,
                "--format",
                "json",
            ],
        );
        let stdout = ok(&out, "shard");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if i < 3 {
            assert!(
                stderr.contains("saved; the shard that completes"),
                "{stderr}"
            );
            assert!(stdout.trim().is_empty(), "shard {i} judged: {stdout}");
        } else {
            judged += 1;
        }
    }
    assert_eq!(judged, 1);
    let merged = stored_latest(&shard_store);
    assert_valid(&merged);
    assert_eq!(merged["services"], unsharded["services"]);
    assert_eq!(merged["levels"], unsharded["levels"]);
    let (m, u) = (
        merged["results"].as_array().expect("results"),
        unsharded["results"].as_array().expect("results"),
    );
    let differ: Vec<(&Value, &Value)> = m.iter().zip(u).filter(|(a, b)| a != b).collect();
    assert!(
        differ.is_empty() && m.len() == u.len(),
        "{} of {} verdicts differ (sharded, unsharded): {differ:#?}",
        differ.len(),
        u.len()
    );
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A running `evident serve`, killed on drop.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, config: &str, token: Option<&str>, log: &str) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let log = dir.join(log);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_evident"));
        match token {
            Some(t) => cmd.env("EVIDENT_SERVE_TOKEN", t),
            None => cmd.env_remove("EVIDENT_SERVE_TOKEN"),
        };
        let child = cmd
            .args(["serve", "--config", config, "--listen", &listen])
            .args(["--schedule", "0 0 1 1 *"])
            .current_dir(dir)
            .env("ESTATE_PAGERDUTY_TOKEN", PagerdutyModel::TOKEN)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("start evident serve");
        let server = Server {
            child,
            url: format!("http://{listen}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.get("/healthz", None).is_none() {
            assert!(
                Instant::now() < deadline,
                "serve did not answer; log:\n{}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn get(&self, path: &str, token: Option<&str>) -> Option<(u16, String)> {
        let mut req = reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(20));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().ok()?;
        let status = res.status().as_u16();
        Some((status, res.text().ok()?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` over the estate config: /metrics (with the token) has every service's level;
/// the page in headless Chromium holds the trend SVG, and its screenshot is kept.
fn serve_metrics_and_page(d: &Path, config: &str) {
    let server = Server::start(d, config, Some(TOKEN), "serve.log");
    let (status, _) = server.get("/metrics", None).expect("answer");
    assert_eq!(status, 401, "/metrics needs the token");
    let (status, text) = server.get("/metrics", Some(TOKEN)).expect("metrics");
    assert_eq!(status, 200, "{text}");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("the exposition parses");
    let levels: BTreeSet<(String, String)> = scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == "evident_service_level"
                && s.labels.get("model") == Some("distributed-systems")
        })
        .map(|s| {
            (
                s.labels.get("service").unwrap_or("").to_owned(),
                s.labels.get("team").unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = services()
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect();
    assert_eq!(levels, want, "a level per service, with its team:\n{text}");
    drop(server);

    // Chromium cannot send a bearer token: the same config served on loopback without
    // one (allowed there only), as tests/e2e_serve.rs does.
    let open = Server::start(d, config, None, "serve-open.log");
    let url = format!("{}/", open.url);
    let dom = run_chromium(&["--dump-dom".to_owned()], &url);
    assert!(
        dom.contains("class=\"trend\""),
        "the trend SVG: {}",
        &dom[..dom.len().min(800)]
    );
    assert!(dom.contains("<svg"), "an SVG in the DOM");
    for team in TEAMS {
        assert!(dom.contains(team), "{team} on the page");
    }
    let shot = artifacts().join("evident-estate-runs.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,2400".to_owned(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 10_000, "the page rendered nearly empty");
    println!("screenshot: {}", shot.display());
}
