//! The probe against a Kubernetes API served on 127.0.0.1: discovery, pagination, 410,
//! 403, 500, slow answers; live and dump give the same facts; nothing secret leaves.

mod support;

use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use evident_probe_kubernetes::{KubernetesProbe, ReadOptions, Target};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use support::{CANARY, State};

fn ctx() -> ScanContext {
    ScanContext::new(vec![], "2026-11-23T10:00:00Z".into())
}

fn options() -> ReadOptions {
    ReadOptions {
        page_size: 7,
        request_timeout: Duration::from_secs(10),
        retries: 2,
        backoff: Duration::from_millis(10),
        max_list_restarts: 3,
        max_pages: 20,
    }
}

async fn scan_live(state: State, opts: ReadOptions) -> (ProbeOutput, Arc<State>) {
    let state = Arc::new(state);
    let addr = support::start(Arc::clone(&state)).await;
    let probe = KubernetesProbe::new(vec![Target::Config {
        name: "boutique".into(),
        config: Box::new(support::config(addr)),
    }])
    .with_options(opts);
    (probe.collect(&ctx()).await, state)
}

fn facts_without_clusters(out: &ProbeOutput) -> Value {
    let mut f = out.facts.clone();
    if let Some(m) = f.as_object_mut() {
        m.remove("clusters");
    }
    f
}

#[tokio::test]
async fn live_and_dump_of_the_same_objects_give_the_same_facts() {
    let objects = support::cluster();
    let (live, _) = scan_live(State::new(&objects), options()).await;
    assert_eq!(
        live.sources[0].status,
        SourceStatus::Ok,
        "{:?}",
        live.sources
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("boutique.json");
    std::fs::write(&path, support::dump(&objects).to_string()).expect("write dump");
    let dumped = KubernetesProbe::new(vec![Target::Dump { path, name: None }])
        .collect(&ctx())
        .await;
    assert_eq!(dumped.sources[0].status, SourceStatus::Ok);
    assert_eq!(
        facts_without_clusters(&live),
        facts_without_clusters(&dumped)
    );
    let ids = |o: &ProbeOutput| {
        o.evidence
            .iter()
            .map(|e| e.id.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&live), ids(&dumped));
    assert!(
        live.facts["workloads"]
            .as_object()
            .is_some_and(|w| w.len() > 12)
    );
}

#[tokio::test]
async fn live_facts_follow_owners_status_and_sidecars() {
    let (out, _) = scan_live(State::new(&support::cluster()), options()).await;
    let f = &out.facts;
    let w = |k: &str| &f["workloads"][format!("boutique/{k}")];
    // Pods owned through ReplicaSets count on the Deployment; ReplicaSets and owned pods
    // are not workloads.
    let cart = w("Deployment/default/cartservice");
    assert_eq!(cart["live"]["pods"], 2);
    assert_eq!(cart["live"]["restarts"], 14);
    assert_eq!(cart["live"]["desired_replicas"], 2);
    assert_eq!(cart["live"]["available_replicas"], 1);
    assert_eq!(cart["live"]["pods_not_ready"], 1);
    assert_eq!(cart["cluster"], "boutique");
    let keys: Vec<&String> = f["workloads"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert!(
        keys.iter()
            .all(|k| !k.contains("ReplicaSet/") && !k.contains("-7d4b9c-")),
        "{keys:?}"
    );
    // Rollout pods, CronJob pods through their Job.
    assert_eq!(w("Rollout/shop/checkout")["live"]["pods"], 2);
    assert_eq!(w("CronJob/shop/report")["live"]["restarts"], 1);
    assert_eq!(w("CronJob/shop/report")["long_running"], false);
    // Bare pod.
    assert_eq!(f["bare_pods"], json!(["boutique/Pod/shop/debug"]));
    // Mesh sidecar vs a gateway whose only container is the proxy.
    let payments = w("Deployment/shop/payments");
    assert_eq!(payments["containers"][1]["name"], "istio-proxy");
    assert_eq!(payments["containers"][1]["sidecar"], true);
    assert_eq!(payments["containers"][0]["sidecar"], false);
    assert_eq!(
        w("Deployment/istio-system/istio-ingressgateway")["containers"][0]["sidecar"],
        false
    );
    // PDB with matchExpressions, HPA, manager from managedFields.
    assert_eq!(
        payments["pdbs"],
        json!(["boutique/PodDisruptionBudget/shop/payments"])
    );
    assert_eq!(
        w("Rollout/shop/checkout")["pdbs"],
        json!(["boutique/PodDisruptionBudget/shop/payments"])
    );
    assert_eq!(
        payments["hpas"],
        json!(["boutique/HorizontalPodAutoscaler/shop/payments"])
    );
    assert_eq!(payments["managers"][0]["tool"], "argocd");
    assert_eq!(
        payments["containers"][0]["env_ip_literals"],
        json!(["PEER"])
    );
    assert_eq!(
        w("Deployment/default/frontend")["selected_by_services"],
        json!([
            "boutique/Service/default/frontend",
            "boutique/Service/default/frontend-external"
        ])
    );
    // Cluster components.
    assert_eq!(
        f["log_shippers"][0]["key"],
        "boutique/DaemonSet/logging/fluent-bit"
    );
    assert_eq!(f["mesh_control_planes"][0]["tool"], "istio");
    // Evidence names the object, its version and the API path to re-read it.
    let ev = out
        .evidence
        .iter()
        .find(|e| e.id.starts_with("k8s:boutique:Deployment/shop/payments@"))
        .expect("evidence");
    assert!(
        ev.locator
            .contains("GET /apis/apps/v1/namespaces/shop/deployments/payments"),
        "{}",
        ev.locator
    );
    assert!(ev.revision.is_some());
}

#[tokio::test]
async fn pages_follow_continue_and_an_expired_token_restarts_the_list() {
    let state = State::new(&support::cluster());
    if let Ok(mut s) = state.expire_once.lock() {
        s.insert("pods".into());
    }
    let (out, state) = scan_live(state, options()).await;
    let pods = &out.facts["clusters"]["boutique"]["resources"]["pods"];
    assert_eq!(pods["status"], "read", "{pods}");
    assert_eq!(pods["restarts"], 1);
    let expected = state.objects["pods"].len();
    assert_eq!(pods["items"], expected);
    let seen = state.requests();
    assert!(
        seen.iter()
            .any(|r| r.path == "/api/v1/pods" && r.status == 410)
    );
    assert!(
        seen.iter().any(|r| r.path == "/api/v1/pods"
            && r.query.contains("continue=c7")
            && r.status == 200)
    );
    assert!(
        seen.iter()
            .filter(|r| r.path == "/api/v1/pods")
            .all(|r| r.query.contains("limit=7"))
    );
}

#[tokio::test]
async fn a_forbidden_resource_is_a_gap_for_that_resource_only() {
    let mut state = State::new(&support::cluster());
    state.forbidden.insert("pods".into());
    let (out, _) = scan_live(state, options()).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("pods forbidden"), "{detail}");
    assert_eq!(out.facts["forbidden"], json!(["pods"]));
    assert_eq!(out.facts["unread"][0]["resource"], "pods");
    assert_eq!(out.facts["unread"][0]["status"], "forbidden");
    assert!(out.facts["workloads"]["boutique/Deployment/default/frontend"].is_object());
}

#[tokio::test]
async fn a_500_is_retried_and_a_slow_answer_times_out() {
    let mut state = State::new(&support::cluster());
    if let Ok(mut s) = state.fail_once.lock() {
        s.insert("services".into());
    }
    state.slow.insert("ingresses".into());
    let opts = ReadOptions {
        request_timeout: Duration::from_millis(500),
        ..options()
    };
    let (out, state) = scan_live(state, opts).await;
    let resources = &out.facts["clusters"]["boutique"]["resources"];
    assert_eq!(resources["services"]["status"], "read");
    assert_eq!(
        resources["networking.k8s.io/ingresses"]["status"],
        "timeout"
    );
    assert!(out.facts["services"]["boutique/Service/default/frontend"].is_object());
    assert!(
        state
            .requests()
            .iter()
            .any(|r| r.path == "/api/v1/services" && r.status == 500)
    );
}

#[tokio::test]
async fn legacy_discovery_when_the_server_has_no_aggregated_discovery() {
    let mut state = State::new(&support::cluster());
    state.aggregated = false;
    let (out, state) = scan_live(state, options()).await;
    assert_eq!(out.facts["clusters"]["boutique"]["discovery"], "legacy");
    assert!(state.requests().iter().any(|r| r.path == "/apis/apps/v1"));
    assert!(out.facts["workloads"]["boutique/Deployment/default/frontend"].is_object());
}

#[tokio::test]
async fn metadata_only_lists_where_labels_suffice_and_secrets_are_never_listed() {
    let (_, state) = scan_live(State::new(&support::cluster()), options()).await;
    let seen = state.requests();
    let ns = seen
        .iter()
        .find(|r| r.path == "/api/v1/namespaces")
        .expect("namespaces listed");
    assert!(
        ns.accept.contains("as=PartialObjectMetadataList"),
        "{}",
        ns.accept
    );
    assert!(seen.iter().all(|r| !r.path.contains("secrets")));
    assert!(seen.iter().all(|r| r.method == "GET"));
    assert!(
        state
            .requests()
            .iter()
            .any(|r| r.path == "/apis" && r.accept.contains("APIGroupDiscoveryList"))
    );
}

#[tokio::test]
async fn no_secret_env_value_or_configmap_value_leaves_the_probe() {
    let objects = support::cluster();
    let (live, _) = scan_live(State::new(&objects), options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("d.json");
    std::fs::write(&path, support::dump(&objects).to_string()).expect("write");
    let dumped = KubernetesProbe::new(vec![Target::Dump { path, name: None }])
        .collect(&ctx())
        .await;
    for out in [live, dumped] {
        let text = format!(
            "{} {} {:?}",
            out.facts,
            serde_json::to_string(&out.evidence).unwrap_or_default(),
            out.sources
        );
        assert!(!text.contains(CANARY), "canary leaked");
        assert!(!text.contains("ZXZpZGVudC1jYW5hcnk="), "secret data leaked");
    }
}

#[tokio::test]
async fn no_target_is_not_configured_and_a_bad_dump_is_an_error_not_a_panic() {
    let out = KubernetesProbe::new(vec![]).collect(&ctx()).await;
    assert_eq!(out.sources[0].status, SourceStatus::NotConfigured);
    assert!(
        out.sources[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("--kube-context"))
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"kind\": \"List\", \"items\": [").expect("write");
    let out = KubernetesProbe::new(vec![Target::Dump { path, name: None }])
        .collect(&ctx())
        .await;
    assert_eq!(out.sources[0].status, SourceStatus::Error);
}

#[tokio::test]
async fn a_cluster_that_cannot_be_read_beside_one_that_can_is_a_gap_for_everything() {
    let state = Arc::new(State::new(&support::cluster()));
    let addr = support::start(Arc::clone(&state)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("stage.json");
    std::fs::write(&bad, "not json").expect("write");
    let out = KubernetesProbe::new(vec![
        Target::Config {
            name: "prod".into(),
            config: Box::new(support::config(addr)),
        },
        Target::Dump {
            path: bad,
            name: None,
        },
    ])
    .with_options(options())
    .collect(&ctx())
    .await;
    let statuses: Vec<SourceStatus> = out.sources.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [SourceStatus::Ok, SourceStatus::Error]);
    assert_eq!(out.facts["unread"][0]["cluster"], "stage");
    assert_eq!(out.facts["unread"][0]["resource"], "*");
    assert!(out.facts["workloads"]["prod/Deployment/default/frontend"].is_object());
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_wait_it_asked_for_not_a_timeout() {
    let mut state = State::new(&support::cluster());
    state.rate_limited.insert("services".into(), Some(3600));
    state.rate_limited.insert("ingresses".into(), None);
    let started = std::time::Instant::now();
    let (out, state) = scan_live(state, options()).await;
    // An hour-long Retry-After is reported, not slept through.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let resources = &out.facts["clusters"]["boutique"]["resources"];
    assert_eq!(
        resources["services"]["status"], "rate_limited",
        "{resources}"
    );
    let detail = resources["services"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("429") && detail.contains("asked to wait 3600s"),
        "{detail}"
    );
    assert!(detail.starts_with("/api/v1/services"), "{detail}");
    let ingresses = &resources["networking.k8s.io/ingresses"];
    assert_eq!(ingresses["status"], "rate_limited");
    assert!(
        ingresses["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no Retry-After")
    );
    // Without Retry-After the client retried with its backoff, a bounded number of times.
    let tries = state
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/ingresses"))
        .count();
    assert_eq!(tries, 3, "one try and two retries");
}

#[tokio::test]
async fn an_endless_continue_token_is_cut_at_the_page_bound_and_said() {
    let mut state = State::new(&support::cluster());
    state.endless.insert("services".into());
    let (out, state) = scan_live(state, options()).await;
    let services = &out.facts["clusters"]["boutique"]["resources"]["services"];
    assert_eq!(services["status"], "read");
    assert_eq!(services["truncated"], true, "{services}");
    let requests = state
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/services")
        .count();
    assert_eq!(requests, 20, "the bound, not the probe timeout, stopped it");
    let cut = &out.sources[0].incomplete;
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!(cut[0].location, "/api/v1/services");
    assert!(cut[0].reason.starts_with("truncated"), "{}", cut[0].reason);
}

#[tokio::test]
async fn junk_items_are_listed_as_unread_live_and_in_a_dump() {
    let mut objects = support::cluster();
    objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "junk", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": "oops"}}}}));
    objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "hollow", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": []}}}}));
    let (live, _) = scan_live(State::new(&objects), options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("boutique.json");
    std::fs::write(&path, support::dump(&objects).to_string()).expect("write dump");
    let dumped = KubernetesProbe::new(vec![Target::Dump {
        path: path.clone(),
        name: Some("boutique".into()),
    }])
    .collect(&ctx())
    .await;
    for out in [&live, &dumped] {
        assert_eq!(out.sources[0].status, SourceStatus::Ok);
        let mut reasons: Vec<(String, String)> = out.sources[0]
            .incomplete
            .iter()
            .map(|i| {
                (
                    i.location.split(' ').next().unwrap_or("").to_owned(),
                    i.reason.clone(),
                )
            })
            .collect();
        reasons.sort();
        assert_eq!(
            reasons,
            vec![
                (
                    "Deployment/shop/hollow".to_owned(),
                    "the Deployment's containers list is empty".to_owned()
                ),
                (
                    "Deployment/shop/junk".to_owned(),
                    "the Deployment's containers is a string, not a list".to_owned()
                ),
            ]
        );
        assert!(
            out.facts["workloads"]
                .get("boutique/Deployment/shop/junk")
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_dump_without_daemonsets_says_it_cannot_show_them() {
    let objects: Vec<Value> = support::cluster()
        .into_iter()
        .filter(|o| o["kind"] != "DaemonSet")
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("boutique.json");
    std::fs::write(&path, support::dump(&objects).to_string()).expect("write dump");
    let out = KubernetesProbe::new(vec![Target::Dump {
        path,
        name: Some("boutique".into()),
    }])
    .collect(&ctx())
    .await;
    let absent: Vec<&Value> = out.facts["unread"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["absent_from_dump"] == true)
        .collect();
    assert!(
        absent
            .iter()
            .any(|u| u["resource"] == "daemonsets" && u["status"] == "not_configured"),
        "{absent:?}"
    );
    // The dump holds Services: those are read, not absent.
    assert!(
        !absent.iter().any(|u| u["resource"] == "services"),
        "{absent:?}"
    );
}
