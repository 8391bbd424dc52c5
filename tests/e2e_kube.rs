//! The kubernetes capability end to end: a cluster dump judged beside the repository,
//! no cluster flag means not_configured, and secrets in a dump never reach the output.

mod support;

use serde_json::{Value, json};
use support::*;

const CANARY: &str = "evident-canary-e2e-kube-41c7";

fn manifest() -> &'static str {
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/web:1.2.3\n          readinessProbe:\n            httpGet: {path: /, port: 8080}\n          livenessProbe:\n            httpGet: {path: /, port: 8080}\n"
}

/// What runs: the same Deployment, but live it lacks its readiness probe; a log shipper;
/// a Secret and an env value holding the canary.
fn dump() -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "812",
                      "labels": {"app": "web"}, "managedFields": [{"manager": "helm", "operation": "Update"}]},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                      {"name": "app", "image": "ghcr.io/acme/web:1.2.3",
                       "env": [{"name": "TOKEN", "value": CANARY}],
                       "livenessProbe": {"httpGet": {"path": "/", "port": 8080}}}]}}},
         "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": "fluent-bit", "namespace": "logging", "resourceVersion": "90"},
         "spec": {"selector": {"matchLabels": {"app": "fluent-bit"}}, "template": {"metadata": {"labels": {"app": "fluent-bit"}},
                  "spec": {"containers": [{"name": "fb", "image": "fluent/fluent-bit:3.1.9"}]}}},
         "status": {"desiredNumberScheduled": 3, "numberReady": 3}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
         "stringData": {"password": CANARY}}
    ]})
}

#[test]
fn a_dump_is_judged_as_the_live_cluster_and_secrets_stay_out() {
    let repo = Repo::new("shop");
    repo.write("k8s/web.yaml", manifest());
    repo.commit("web");
    let dump_path = repo.dir.path().join("prod.json");
    std::fs::write(&dump_path, dump().to_string()).expect("write dump");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--kube-dump",
        dump_path.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !text.contains(CANARY),
        "a secret or env value reached the output"
    );
    let result: Value = serde_json::from_str(&text).expect("json");
    assert_valid(&result);
    let kube = result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["probe"] == "kubernetes")
        .expect("kubernetes source");
    assert_eq!(kube["status"], "ok", "{kube}");
    let health = result_of(&result, "ds.devops.health-checks", "web");
    assert_eq!(health["status"], "not_met", "{health}");
    assert!(
        health["summary"]
            .as_str()
            .is_some_and(|s| s.contains("judged from cluster prod")),
        "{health}"
    );
    let cited = cited(&result, health);
    assert!(
        cited
            .iter()
            .any(|e| e["id"] == "k8s:prod:Deployment/default/web@812"),
        "{cited:?}"
    );
    let logging = result_of(&result, "ds.devops.central-logging", "web");
    assert_eq!(logging["status"], "met", "{logging}");
}

#[test]
fn without_a_cluster_flag_kubernetes_is_not_configured_and_says_how() {
    let repo = Repo::new("shop");
    repo.write("k8s/web.yaml", manifest());
    repo.commit("web");
    let result = scan_json(&repo.path());
    let kube = result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["probe"] == "kubernetes")
        .expect("kubernetes source");
    assert_eq!(kube["status"], "not_configured");
    assert!(
        kube["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--kube-context") && d.contains("--kube-dump"))
    );
    let logging = result_of(&result, "ds.devops.central-logging", "web");
    assert_eq!(logging["status"], "unknown");
}

#[test]
fn a_missing_dump_is_a_usage_error() {
    let repo = Repo::new("shop");
    repo.write("README.md", "shop");
    repo.commit("init");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--kube-dump",
        "/no/such/dump.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kube-dump /no/such/dump.json"));
}
