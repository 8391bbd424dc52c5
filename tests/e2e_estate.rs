//! End to end, the built binary over an estate: a cluster dump alone, a real Prometheus
//! alone, one service seen by a repository, a dump and Prometheus, and two repositories
//! that each declare `frontend`.

#[path = "../probes/prometheus/tests/support/mod.rs"]
mod prom_support;
mod support;

use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::*;

const BOUTIQUE_RELEASE: &str =
    "../../../shared/corpus/online-boutique/release/kubernetes-manifests.yaml";

fn corpus(rel: &str) -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    assert!(p.is_file(), "the shared corpus is missing: {}", p.display());
    p
}

fn run_json(args: &[&str]) -> Value {
    let out = evident(args);
    assert!(
        out.status.success(),
        "evident {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn service_ids(v: &Value) -> Vec<&str> {
    v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect()
}

#[test]
fn a_cluster_dump_alone_yields_online_boutiques_services_judged_from_the_dump() {
    let dump = corpus(BOUTIQUE_RELEASE);
    let empty = tempfile::tempdir().expect("tempdir");
    let out = evident_in(
        empty.path(),
        &[
            "scan",
            "--kube-dump",
            dump.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&result);
    let ids = service_ids(&result);
    assert_eq!(
        ids,
        [
            "adservice",
            "cartservice",
            "checkoutservice",
            "currencyservice",
            "emailservice",
            "frontend",
            "loadgenerator",
            "paymentservice",
            "productcatalogservice",
            "recommendationservice",
            "redis-cart",
            "shippingservice"
        ],
        "the directory the command ran in is no service"
    );
    for s in result["services"].as_array().expect("services") {
        assert_eq!(s["resolved_from"], "cluster", "{s}");
        assert_eq!(
            s["environments"],
            serde_json::json!(["kubernetes-manifests/default"])
        );
    }
    let lg = result_of(&result, "ds.devops.health-checks", "loadgenerator");
    assert_eq!(lg["status"], "not_met", "{lg}");
    assert!(
        lg["summary"]
            .as_str()
            .expect("summary")
            .contains("judged from cluster")
    );
    assert!(
        lg["missing"].to_string().contains("loadgenerator"),
        "the gap names the container: {lg}"
    );
    let fe = result_of(&result, "ds.devops.health-checks", "frontend");
    assert_eq!(fe["status"], "met", "{fe}");
    let redis = result_of(&result, "ds.devops.immutable", "redis-cart");
    assert_eq!(
        redis["status"], "not_met",
        "redis:alpine is a mutable tag: {redis}"
    );
    for service in ids {
        // The dump holds no HorizontalPodAutoscaler: one could scale the service out,
        // and a dump cannot show that none exists.
        let redundant = result_of(&result, "ops.redundant", service);
        assert_eq!(redundant["status"], "unknown", "{redundant}");
        assert_eq!(redundant["reason"], "not_configured");
        assert!(
            redundant["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("the dump holds no HorizontalPodAutoscaler"),
            "{redundant}"
        );
        let ci = result_of(&result, "ds.process.ci-all", service);
        assert_eq!(ci["status"], "unknown", "no repository was read: {ci}");
        assert_eq!(ci["reason"], "not_configured");
    }
}

fn exposition(n: u64) -> String {
    format!(
        "# TYPE http_requests_total counter\nhttp_requests_total{{code=\"200\"}} {}\nhttp_requests_total{{code=\"500\"}} {n}\n\
         # TYPE orders_placed_total counter\norders_placed_total {}\n# TYPE go_goroutines gauge\ngo_goroutines 12\n",
        100 * n,
        3 * n
    )
}

fn prom_config(port: u16) -> String {
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
  - job_name: ledger
    metrics_path: /metrics/ledger
    static_configs:
      - targets: ["127.0.0.1:{port}"]
        labels: {{namespace: finance}}
"#
    )
}

const PROM_RULES: &str = r#"groups:
  - name: checkout
    rules:
      - alert: CheckoutErrors
        expr: sum(rate(http_requests_total{job="checkout",code="500"}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m])) > 0.05
        labels: {severity: page, service: checkout}
        annotations: {runbook_url: "https://runbooks.example.com/checkout"}
      - record: slo:sli_error:ratio_rate5m
        expr: sum(rate(http_requests_total{job="checkout",code="500"}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m]))
        labels: {sloth_service: checkout, sloth_slo: availability, sloth_window: 5m}
"#;

async fn real_prometheus() -> prom_support::Prometheus {
    use prom_support::*;
    let scrapes = Arc::new(AtomicU64::new(1));
    let handler: Handler = Arc::new(move |req: Request| {
        let n = scrapes.fetch_add(1, Ordering::Relaxed);
        match req.path.as_str() {
            "/metrics/checkout" | "/metrics/ledger" => Response::text(exposition(n)),
            _ => Response::json(404, "{}"),
        }
    });
    let port = serve(handler).await;
    let prom = start_prometheus(&prom_config(port), PROM_RULES).await;
    let url = prom.url.clone();
    wait_for(
        Duration::from_secs(90),
        "both targets up and rules evaluated",
        || {
            let url = url.clone();
            async move {
                let targets = get_json(&format!("{url}/api/v1/targets?state=active")).await;
                let up = targets.is_some_and(|t| {
                    t["data"]["activeTargets"]
                        .as_array()
                        .is_some_and(|a| a.len() == 2 && a.iter().all(|t| t["health"] == "up"))
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
                up && evaluated
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    prom
}

const CHECKOUT_DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n  namespace: shop\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: checkout\n    spec:\n      containers:\n        - name: server\n          image: registry.example.com/shop/checkout:1.4.2\n";

/// A `kubectl get -o json` dump in which the cluster runs the checkout image under
/// another name (`checkout-prod`): only the image ties it to the repository.
fn checkout_dump(dir: &Path) -> std::path::PathBuf {
    let dump = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "checkout-prod", "namespace": "shop", "resourceVersion": "4711"},
        "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "checkout-prod"}},
                 "spec": {"containers": [{"name": "server", "image": "registry.example.com/shop/checkout:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "updatedReplicas": 3}
    }]});
    let path = dir.join("prod.json");
    std::fs::write(&path, dump.to_string()).expect("write dump");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_alone_and_one_service_seen_by_a_repository_a_dump_and_prometheus() {
    let prom = real_prometheus().await;
    let url = prom.url.clone();
    let empty = tempfile::tempdir().expect("tempdir");

    // Prometheus alone: the services its jobs name, with SLO, runbook and metric verdicts.
    let out = evident_in(
        empty.path(),
        &["scan", "--prometheus", &url, "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&result);
    assert_eq!(service_ids(&result), ["checkout", "ledger"]);
    let slo = result_of(&result, "ds.devops.sla-monitored", "checkout");
    assert_ne!(slo["status"], "unknown", "judged from Prometheus: {slo}");
    let runbooks = result_of(&result, "ops.sops-codified", "checkout");
    assert_ne!(
        runbooks["status"], "unknown",
        "judged from Prometheus: {runbooks}"
    );
    let business = result_of(&result, "cams.measurement.business", "checkout");
    assert_eq!(business["status"], "met", "orders_placed_total: {business}");
    let ci = result_of(&result, "ds.process.ci-all", "ledger");
    assert_eq!(ci["status"], "unknown", "{ci}");

    // One service, three views: the repository declares it, the dump runs its image,
    // Prometheus scrapes it.
    let repo = Repo::new("shop");
    repo.write("k8s/checkout.yaml", CHECKOUT_DEPLOYMENT);
    repo.commit("checkout");
    let dump = checkout_dump(empty.path());
    let path = repo.path();
    let listing = run_json(&[
        "services",
        path.to_str().expect("utf-8"),
        "--kube-dump",
        dump.to_str().expect("utf-8"),
        "--prometheus",
        &url,
        "--format",
        "json",
    ]);
    assert_eq!(listing["schema"], "evident/services/v1");
    assert_eq!(service_ids(&listing), ["checkout", "ledger"], "{listing:#}");
    let checkout = &listing["services"][0];
    let joins: Vec<(String, String)> = checkout["joins"]
        .as_array()
        .expect("joins")
        .iter()
        .map(|j| {
            (
                j["source"].as_str().unwrap_or("").to_owned(),
                j["by"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        joins,
        [
            ("git".to_owned(), "declared in repository shop".to_owned()),
            (
                "kubernetes".to_owned(),
                "image registry.example.com/shop/checkout".to_owned()
            ),
            (
                "prometheus".to_owned(),
                "name checkout (matched by name)".to_owned()
            ),
        ]
    );
    assert_eq!(checkout["environments"], serde_json::json!(["prod/shop"]));
    let table = evident(&[
        "services",
        path.to_str().expect("utf-8"),
        "--kube-dump",
        dump.to_str().expect("utf-8"),
        "--prometheus",
        &url,
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("← image registry.example.com/shop/checkout"),
        "{text}"
    );
    drop(prom);
}

fn frontend_repo(name: &str, team: &str, with_ci: bool) -> Repo {
    let repo = Repo::new(name);
    repo.write("CODEOWNERS", format!("* {team}\n"));
    repo.write(
        "k8s/frontend.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0.0\n",
    );
    if with_ci {
        repo.write(
            ".github/workflows/ci.yml",
            "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: go test ./...\n",
        );
    }
    repo.commit("frontend");
    repo
}

#[test]
fn two_repositories_declaring_frontend_are_two_services_with_their_own_team_and_ci() {
    let a = frontend_repo("shop-a", "@org/team-a", true);
    let b = frontend_repo("shop-b", "@org/team-b", false);
    let (pa, pb) = (a.path(), b.path());
    let result = run_json(&[
        "scan",
        pa.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_valid(&result);
    assert_eq!(service_ids(&result), ["shop-a/frontend", "shop-b/frontend"]);
    let services = result["services"].as_array().expect("services");
    assert_eq!(services[0]["team"], "@org/team-a");
    assert_eq!(services[1]["team"], "@org/team-b");
    let ci_a = result_of(&result, "ds.process.ci-all", "shop-a/frontend");
    assert_eq!(ci_a["status"], "met", "{ci_a}");
    let ci_b = result_of(&result, "ds.process.ci-all", "shop-b/frontend");
    assert_eq!(
        ci_b["status"], "not_met",
        "b's CI is not borrowed from a: {ci_b}"
    );
    for id in cited(&result, ci_a) {
        let id = id["id"].as_str().unwrap_or("");
        assert!(
            id.starts_with("git:shop-a@"),
            "a's verdict cites only a: {id}"
        );
    }
}

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: web\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/web:2.0.1\n          readinessProbe: {httpGet: {path: /ready, port: 8080}}\n          livenessProbe: {httpGet: {path: /live, port: 8080}}\n          resources: {requests: {cpu: 100m, memory: 64Mi}}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: web-cleanup\n  labels:\n    app.kubernetes.io/part-of: web\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: cleanup\n              image: ghcr.io/acme/web-tools:2.0.1\n";

const REPORT: &str = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"0 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: report\n              image: ghcr.io/acme/report:1.2.0\n              resources: {requests: {cpu: 50m, memory: 32Mi}}\n";

#[test]
fn batch_only_services_patches_and_the_root_dockerfile() {
    let repo = Repo::new("jobs");
    repo.write("Dockerfile", "FROM alpine:3.20\nCMD [\"sh\"]\n");
    repo.write(
        "docker-compose.yml",
        "services:\n  devdb:\n    image: postgres:16\n",
    );
    repo.write("k8s/base/web.yaml", WEB);
    repo.write("k8s/base/report.yaml", REPORT);
    repo.write(
        "k8s/base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml, report.yaml]\n",
    );
    repo.write(
        "k8s/prod/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatches:\n  - path: tuner.yaml\n",
    );
    repo.write(
        "k8s/prod/tuner.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n",
    );
    repo.commit("web, a report CronJob, a prod patch");
    let result = scan_json(&repo.path());
    assert_eq!(
        service_ids(&result),
        ["report", "web"],
        "the part-of CronJob joins web; the patch is no service; the repository is no service of its own"
    );
    let web = &result["services"][1];
    let web_items: Vec<&str> = web["joins"]
        .as_array()
        .expect("joins")
        .iter()
        .filter_map(|j| j["item"].as_str())
        .collect();
    assert!(
        web_items.contains(&"jobs/CronJob/default/web-cleanup"),
        "{web_items:?}"
    );

    let health = result_of(&result, "ds.devops.health-checks", "report");
    assert_eq!(health["status"], "not_applicable", "{health}");
    assert!(
        health["summary"]
            .as_str()
            .expect("summary")
            .contains("only batch workloads"),
        "{health}"
    );
    let requests = result_of(&result, "ops.capacity-reactive", "report");
    assert_eq!(
        requests["status"], "met",
        "requests are judged on batch containers: {requests}"
    );
    let web_health = result_of(&result, "ds.devops.health-checks", "web");
    assert_eq!(web_health["status"], "met", "{web_health}");

    for r in result["results"].as_array().expect("results") {
        for id in r["evidence"].as_array().into_iter().flatten() {
            let id = id.as_str().unwrap_or("");
            assert!(
                !id.ends_with(":Dockerfile") && !id.contains(":Dockerfile#"),
                "{} of {} cites the root Dockerfile, which no workload builds from: {id}",
                r["criterion"],
                r["service"]
            );
            assert!(
                !id.contains("docker-compose.yml"),
                "{} cites the local compose file",
                r["criterion"]
            );
        }
    }
}

#[test]
fn a_password_in_a_server_url_reaches_no_target_and_no_output() {
    let empty = tempfile::tempdir().expect("tempdir");
    let port = prom_support::closed_port();
    let url = format!("http://bob:{CANARY}@127.0.0.1:{port}");
    let out = evident_in(
        empty.path(),
        &["scan", "--prometheus", &url, "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(CANARY),
        "the URL password leaked into the result"
    );
    let result: Value = serde_json::from_str(&text).expect("json");
    let targets = result["scan"]["targets"].to_string();
    assert!(
        targets.contains("127.0.0.1"),
        "the target is still named: {targets}"
    );
    let listing = evident_in(empty.path(), &["services", "--prometheus", &url]);
    assert!(!String::from_utf8_lossy(&listing.stdout).contains(CANARY));
}
