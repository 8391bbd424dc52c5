//! Extraction from Kubernetes objects: the cases the established checkers get wrong, and
//! the real Online Boutique manifests.

use evident_kube_facts::{ClusterFacts, Pinning, SourcedObject, extract};
use serde_json::{Value, json};

const CANARY: &str = "evident-canary-7f3a9c1e";

fn objects(values: Vec<Value>) -> Vec<SourcedObject> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, object)| SourcedObject {
            object,
            evidence: format!("E{i}"),
        })
        .collect()
}

fn deployment(name: &str, spec_extra: Value, containers: Value) -> Value {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name, "tier": "web"}}, "spec": {"containers": containers}}
    });
    if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
        for (k, v) in extra {
            s.insert(k.clone(), v.clone());
        }
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
}

fn app(name: &str) -> Value {
    json!({"name": name, "image": "ghcr.io/acme/app:1.0.0",
           "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}, "livenessProbe": {"tcpSocket": {"port": 8080}}})
}

#[test]
fn owned_pods_and_replicasets_are_not_workloads_but_bare_pods_are_findings() {
    let facts = extract(&objects(vec![
        deployment("web", json!({}), json!([app("server")])),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-5d8f", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web"}]}, "spec": {"template": {"spec": {"containers": [app("server")]}}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-5d8f-abc", "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d8f"}]}, "spec": {"containers": [app("server")]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"}, "spec": {"containers": [{"name": "sh", "image": "busybox"}]}}),
    ]));
    let keys: Vec<&String> = facts.workloads.keys().collect();
    assert_eq!(keys, ["Deployment/shop/web", "Pod/shop/debug"]);
    assert_eq!(facts.bare_pods, ["Pod/shop/debug"]);
}

#[test]
fn jobs_and_cronjobs_are_not_long_running() {
    let facts = extract(&objects(vec![
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}, "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "flyway/flyway:10.0.0"}], "restartPolicy": "Never"}}}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "r", "image": "acme/report:2.0.1"}]}}}}}}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report-123", "ownerReferences": [{"kind": "CronJob", "name": "report"}]}, "spec": {}}),
    ]));
    assert_eq!(facts.workloads.len(), 2);
    for w in facts.workloads.values() {
        assert!(!w.long_running, "{}", w.key);
        assert_eq!(w.effective_replicas, None);
        assert_eq!(w.namespace, "default");
    }
    assert_eq!(
        facts.workloads["CronJob/default/report"].containers[0].name,
        "r"
    );
}

#[test]
fn part_of_names_an_application_not_a_team_and_hooks_are_batch() {
    let mut cron = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "cache-warm", "namespace": "shop", "labels": {"app.kubernetes.io/part-of": "frontend"}},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "w", "image": "acme/warm:1.0.0"}]}}}}}});
    cron["metadata"]["labels"]["team"] = json!("web");
    let helm_hook = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "db-init", "namespace": "shop", "annotations": {"helm.sh/hook": "pre-install,pre-upgrade"}},
        "spec": {"template": {"spec": {"containers": [{"name": "init", "image": "acme/init:1.0.0"}]}}}});
    let argo_hook = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "smoke", "namespace": "shop", "annotations": {"argocd.argoproj.io/hook": "PostSync"}},
        "spec": {"template": {"metadata": {"labels": {"app": "smoke"}}, "spec": {"containers": [app("s")]}}}});
    let delete_policy_only = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "annotations": {"argocd.argoproj.io/hook-delete-policy": "HookSucceeded"},
                     "labels": {"app.kubernetes.io/part-of": "shop"}},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [app("server")]}}}});
    let test_pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-test", "namespace": "shop", "annotations": {"helm.sh/hook": "test"}},
        "spec": {"containers": [{"name": "t", "image": "busybox:1.36.1"}]}});
    let facts = extract(&objects(vec![
        cron,
        helm_hook,
        argo_hook,
        delete_policy_only,
        test_pod,
    ]));
    let w = |k: &str| &facts.workloads[k];
    let cron = w("CronJob/shop/cache-warm");
    assert_eq!(cron.part_of.as_deref(), Some("frontend"));
    assert_eq!(cron.team.as_deref(), Some("web"));
    assert!(cron.batch && !cron.long_running && cron.hook.is_none());
    let job = w("Job/shop/db-init");
    assert_eq!(job.hook.as_deref(), Some("helm"));
    assert!(job.batch && !job.long_running);
    let smoke = w("Deployment/shop/smoke");
    assert_eq!(smoke.hook.as_deref(), Some("argocd"));
    assert!(smoke.batch && !smoke.long_running);
    let web = w("Deployment/shop/web");
    assert_eq!(web.part_of.as_deref(), Some("shop"));
    assert_eq!(web.team, None, "part-of is not a team");
    assert!(!web.batch && web.long_running && web.hook.is_none());
    let pod = w("Pod/shop/web-test");
    assert!(pod.batch && pod.hook.as_deref() == Some("helm"));
    assert!(
        facts.bare_pods.is_empty(),
        "a helm test pod is not a bare pod"
    );
}

#[test]
fn mesh_proxies_and_native_sidecars_are_not_app_containers() {
    let mut d = deployment(
        "web",
        json!({}),
        json!([app("server"), {"name": "istio-proxy", "image": "istio/proxyv2:1.22.0"}]),
    );
    d["spec"]["template"]["spec"]["initContainers"] = json!([
        {"name": "log-forwarder", "image": "fluent/fluent-bit:3.0.0", "restartPolicy": "Always"},
        {"name": "init-db", "image": "acme/init:1.0.0"}
    ]);
    let facts = extract(&objects(vec![d]));
    let w = &facts.workloads["Deployment/shop/web"];
    assert!(!w.containers[0].sidecar);
    assert!(w.containers[1].sidecar, "istio-proxy");
    assert!(w.init_containers[0].sidecar, "native sidecar");
    assert!(!w.init_containers[1].sidecar);
}

#[test]
fn kubernetes_defaults_are_applied_and_percentages_round_down() {
    let facts = extract(&objects(vec![
        deployment("a", json!({}), json!([app("s")])),
        deployment(
            "b",
            json!({"replicas": 3, "strategy": {"rollingUpdate": {"maxUnavailable": "50%"}}}),
            json!([app("s")]),
        ),
        deployment(
            "c",
            json!({"replicas": 4, "strategy": {"type": "Recreate"}}),
            json!([app("s")]),
        ),
        deployment(
            "d",
            json!({"replicas": 2, "strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}}),
            json!([app("s")]),
        ),
    ]));
    let a = &facts.workloads["Deployment/shop/a"];
    assert_eq!((a.replicas, a.effective_replicas), (None, Some(1)));
    assert_eq!(a.strategy.kind.as_deref(), Some("RollingUpdate"));
    assert_eq!(a.strategy.max_unavailable, Some(json!("25%")));
    assert_eq!(
        a.strategy.max_unavailable_pods,
        Some(0),
        "25% of 1 rounds down to 0"
    );
    assert_eq!(
        facts.workloads["Deployment/shop/b"]
            .strategy
            .max_unavailable_pods,
        Some(1),
        "50% of 3"
    );
    let c = &facts.workloads["Deployment/shop/c"];
    assert_eq!(
        (c.strategy.kind.as_deref(), c.strategy.max_unavailable_pods),
        (Some("Recreate"), None)
    );
    assert_eq!(
        facts.workloads["Deployment/shop/d"]
            .strategy
            .max_unavailable_pods,
        Some(0)
    );
}

#[test]
fn services_pdbs_and_autoscalers_match_with_real_selector_semantics() {
    let facts = extract(&objects(vec![
        deployment("web", json!({"replicas": 2}), json!([app("s")])),
        deployment("api", json!({}), json!([app("s")])),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"app": "web", "tier": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "both", "namespace": "shop"}, "spec": {"selector": {"tier": "web", "app": "nope"}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "other"}, "spec": {"selector": {"app": "web"}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external", "namespace": "shop"}, "spec": {"type": "ExternalName", "externalName": "x.example.com"}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"minAvailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "cart"]}]}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "all", "namespace": "shop"}, "spec": {"maxUnavailable": 1, "selector": {}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "none", "namespace": "shop"}, "spec": {"maxUnavailable": 1}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 3, "maxReplicas": 9, "metrics": [{"type": "Resource", "resource": {"name": "cpu"}}, {"type": "Pods", "pods": {"metric": {"name": "rps"}}}]}}),
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"scaleTargetRef": {"name": "api"}, "triggers": [{"type": "prometheus"}]}}),
    ]));
    let web = &facts.workloads["Deployment/shop/web"];
    assert_eq!(web.selected_by_services, ["Service/shop/web"]);
    assert_eq!(
        web.pdbs,
        [
            "PodDisruptionBudget/shop/all",
            "PodDisruptionBudget/shop/web"
        ]
    );
    assert_eq!(web.hpas, ["HorizontalPodAutoscaler/shop/web"]);
    assert_eq!(web.min_replicas, Some(3));
    assert_eq!(
        facts.hpas["HorizontalPodAutoscaler/shop/web"].metrics,
        ["cpu", "pods:rps"]
    );
    let api = &facts.workloads["Deployment/shop/api"];
    assert!(api.selected_by_services.is_empty());
    assert_eq!(api.pdbs, ["PodDisruptionBudget/shop/all"]);
    assert_eq!(api.min_replicas, Some(0));
    assert_eq!(
        facts.services["Service/shop/web"].ports[0].target_port,
        Some(json!(8080))
    );
}

#[test]
fn argo_rollouts_are_workloads_and_flagger_canaries_mark_their_target() {
    let facts = extract(&objects(vec![
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "checkout"}, "spec": {"replicas": 5, "strategy": {"canary": {"steps": [{"setWeight": 20}]}}, "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [app("s")]}}}}),
        deployment("web", json!({}), json!([app("s")])),
        json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}}),
    ]));
    let r = &facts.workloads["Rollout/default/checkout"];
    assert_eq!(r.progressive_delivery.as_deref(), Some("argo-rollouts"));
    assert_eq!(r.strategy.kind.as_deref(), Some("Canary"));
    assert_eq!(
        facts.workloads["Deployment/shop/web"]
            .progressive_delivery
            .as_deref(),
        Some("flagger")
    );
}

#[test]
fn env_values_never_leave_but_ip_literals_are_flagged_by_name() {
    let facts = extract(&objects(vec![
        deployment(
            "web",
            json!({}),
            json!([{"name": "s", "image": "acme/web:1.0.0",
            "env": [
                {"name": "DB_PASSWORD", "value": CANARY},
                {"name": "PEER", "value": "http://10.12.0.7:8080/api"},
                {"name": "PEER6", "value": "[fd00::12]:9090"},
                {"name": "BIND", "value": "0.0.0.0:8080"},
                {"name": "LOCAL", "value": "127.0.0.1"},
                {"name": "VERSION", "value": "1.2.3"},
                {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
            ],
            "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "creds"}}]}]),
        ),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "data": {"token": CANARY}, "stringData": {"pw": CANARY}}),
    ]));
    let text = serde_json::to_string(&facts).expect("json");
    assert!(!text.contains(CANARY), "a secret value leaked into facts");
    let c = &facts.workloads["Deployment/shop/web"].containers[0];
    assert_eq!(
        c.env_names,
        [
            "DB_PASSWORD",
            "PEER",
            "PEER6",
            "BIND",
            "LOCAL",
            "VERSION",
            "FROM_SECRET"
        ]
    );
    assert_eq!(c.env_ip_literals, ["PEER", "PEER6"]);
    assert_eq!(c.env_from, ["configmap:cfg", "secret:creds"]);
}

#[test]
fn managers_come_from_labels_annotations_and_managed_fields() {
    let mut d = deployment("web", json!({}), json!([app("s")]));
    d["metadata"]["labels"] =
        json!({"app.kubernetes.io/managed-by": "Helm", "argocd.argoproj.io/instance": "shop"});
    d["metadata"]["managedFields"] = json!([{"manager": "kubectl-client-side-apply"}, {"manager": "kube-controller-manager"}, {"manager": "terraform-provider-kubernetes"}]);
    let facts = extract(&objects(vec![
        d,
        deployment("bare", json!({}), json!([app("s")])),
    ]));
    let tools: Vec<&str> = facts.workloads["Deployment/shop/web"]
        .managers
        .iter()
        .map(|m| m.tool.as_str())
        .collect();
    assert_eq!(tools, ["helm", "argocd", "terraform-provider-kubernetes"]);
    assert!(facts.workloads["Deployment/shop/bare"].managers.is_empty());
}

#[test]
fn malformed_objects_are_skipped_not_fatal() {
    let facts = extract(&objects(vec![
        json!({"kind": "Deployment"}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {"containers": "nope"}}}}),
        json!("just a string"),
        json!({"apiVersion": "v1", "kind": "List", "items": [deployment("listed", json!({}), json!([app("s")]))]}),
    ]));
    assert_eq!(facts.skipped.len(), 4);
    // A workload without a list of containers is no workload with none: every "each
    // container has …" rule would be vacuously true of it.
    assert!(!facts.workloads.contains_key("Deployment/default/x"));
    let x = facts
        .skipped
        .iter()
        .find(|s| s.workload.as_deref() == Some("Deployment/default/x"))
        .expect("x is listed");
    assert_eq!(
        x.reason,
        "default/x: the Deployment's containers is a string, not a list"
    );
    assert!(
        facts.workloads.contains_key("Deployment/shop/listed"),
        "kind: List items are read"
    );
}

#[test]
fn prometheus_rule_objects_become_alert_rules() {
    let facts = extract(&objects(vec![
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "web"}, "spec": {"groups": [{"name": "web", "rules": [
            {"alert": "WebDown", "expr": "up{job=\"web\"} == 0", "labels": {"severity": "page", "service": "web"}, "annotations": {"runbook_url": "https://runbooks/web-down"}},
            {"record": "job:http_requests:rate5m", "expr": "sum by (job) (rate(http_requests_total[5m]))"}
        ]}]}}),
    ]));
    assert_eq!(facts.prometheus_rules.len(), 2);
    assert_eq!(
        facts.prometheus_rules[0].runbook_url.as_deref(),
        Some("https://runbooks/web-down")
    );
    assert_eq!(
        facts.prometheus_rules[0].service_hint.as_deref(),
        Some("web")
    );
    assert_eq!(facts.prometheus_rules[1].kind, "record");
}

fn corpus(rel: &str) -> Vec<SourcedObject> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/online-boutique")
        .join(rel);
    assert!(
        dir.exists(),
        "the shared corpus is missing at {}",
        dir.display()
    );
    let files: Vec<std::path::PathBuf> = if dir.is_dir() {
        let mut f: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        f.sort();
        f
    } else {
        vec![dir]
    };
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for (i, doc) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            let value: Value = match serde::Deserialize::deserialize(doc) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if value.is_null() {
                continue;
            }
            out.push(SourcedObject {
                object: value,
                // Relative to the corpus, so snapshots do not depend on the checkout's place.
                evidence: format!(
                    "{rel}/{}#{i}",
                    file.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ),
            });
        }
    }
    out
}

fn boutique(facts: &ClusterFacts) {
    let deployments: Vec<_> = facts
        .workloads
        .values()
        .filter(|w| w.kind == "Deployment")
        .collect();
    assert_eq!(deployments.len(), 12, "11 services and redis-cart");
    for w in &deployments {
        let c = &w.containers[0];
        if w.name == "loadgenerator" {
            assert!(
                !c.readiness_probe && !c.liveness_probe,
                "loadgenerator has no probes"
            );
            assert_eq!(w.replicas, Some(1), "only loadgenerator states replicas: 1");
            assert!(w.selected_by_services.is_empty());
        } else {
            assert!(
                c.readiness_probe && c.liveness_probe,
                "{} has probes",
                w.name
            );
            assert_eq!(
                w.replicas, None,
                "{} leaves replicas to the default",
                w.name
            );
            assert_eq!(w.effective_replicas, Some(1));
            assert!(
                !w.selected_by_services.is_empty(),
                "{} is behind a Service",
                w.name
            );
        }
        assert!(w.pdbs.is_empty(), "no PDB anywhere");
    }
    assert!(facts.pdbs.is_empty());
    let redis = &facts.workloads["Deployment/default/redis-cart"].containers[0];
    assert_eq!(redis.image.raw, "redis:alpine");
    assert_eq!(redis.image.pinning, Pinning::MutableTag);
    let init = &facts.workloads["Deployment/default/loadgenerator"].init_containers[0];
    assert_eq!(
        init.image.pinning,
        Pinning::Digest,
        "busybox pinned by digest"
    );
}

#[test]
fn online_boutique_plain_manifests() {
    let facts = extract(&corpus("kubernetes-manifests"));
    boutique(&facts);
    let frontend = &facts.workloads["Deployment/default/frontend"].containers[0];
    assert_eq!(
        frontend.image.pinning,
        Pinning::Untagged,
        "bare names are rewritten at deploy time"
    );
    insta::assert_yaml_snapshot!(
        "boutique_frontend",
        facts.workloads["Deployment/default/frontend"]
    );
}

#[test]
fn online_boutique_release_manifests_pin_versions() {
    let facts = extract(&corpus("release/kubernetes-manifests.yaml"));
    boutique(&facts);
    for w in facts.workloads.values().filter(|w| w.name != "redis-cart") {
        assert!(
            w.containers[0].image.pinned,
            "{} {}",
            w.name, w.containers[0].image.raw
        );
    }
}

#[test]
fn a_workload_declared_in_two_files_is_kept_twice() {
    let facts = extract(&[
        SourcedObject {
            object: deployment("web", json!({}), json!([app("s")])),
            evidence: "base.yaml#L1-L20".into(),
        },
        SourcedObject {
            object: deployment("web", json!({"replicas": 3}), json!([app("s")])),
            evidence: "release.yaml#L1-L22".into(),
        },
        SourcedObject {
            object: json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2}}),
            evidence: "hpa.yaml#L1-L9".into(),
        },
    ]);
    let keys: Vec<&String> = facts.workloads.keys().collect();
    assert_eq!(keys, ["Deployment/shop/web", "Deployment/shop/web#2"]);
    assert_eq!(facts.workloads["Deployment/shop/web#2"].replicas, Some(3));
    assert_eq!(
        facts.workloads["Deployment/shop/web#2"].evidence,
        ["release.yaml#L1-L22"]
    );
    assert_eq!(
        facts.workloads["Deployment/shop/web#2"].hpas,
        ["HorizontalPodAutoscaler/shop/web"],
        "both declarations are scaled"
    );
}

#[test]
fn a_lone_proxy_is_the_app_not_a_sidecar() {
    let gateway = deployment(
        "istio-ingressgateway",
        json!({}),
        json!([{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"}]),
    );
    let facts = extract(&objects(vec![gateway]));
    let w = &facts.workloads["Deployment/shop/istio-ingressgateway"];
    assert!(
        !w.containers[0].sidecar,
        "a gateway's only container is its app and must be judged"
    );
}

#[test]
fn live_status_counts_pods_through_replicasets_and_jobs() {
    let mut d = deployment("web", json!({"replicas": 3}), json!([app("server")]));
    d["status"] =
        json!({"replicas": 3, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 3});
    let pod = |name: &str, owner_kind: &str, owner: &str, restarts: i64, ready: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop",
               "ownerReferences": [{"kind": owner_kind, "name": owner, "controller": true}]},
               "status": {"conditions": [{"type": "Ready", "status": ready}],
                          "containerStatuses": [{"name": "server", "restartCount": restarts}]}})
    };
    let facts = extract(&objects(vec![
        d,
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-5d", "namespace": "shop",
               "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]}}),
        pod("web-5d-a", "ReplicaSet", "web-5d", 3, "True"),
        pod("web-5d-b", "ReplicaSet", "web-5d", 4, "True"),
        pod("web-5d-c", "ReplicaSet", "web-5d", 0, "False"),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "shop"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "r", "image": "r:1.0.0"}]}}}}}}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report-1", "namespace": "shop",
               "ownerReferences": [{"kind": "CronJob", "name": "report", "controller": true}]}}),
        pod("report-1-x", "Job", "report-1", 2, "False"),
    ]));
    let live = facts.workloads["Deployment/shop/web"]
        .live
        .clone()
        .expect("live status");
    assert_eq!(live.desired_replicas, Some(3));
    assert_eq!(live.available_replicas, Some(2));
    assert_eq!((live.pods, live.restarts, live.pods_not_ready), (3, 7, 1));
    let cron = facts.workloads["CronJob/shop/report"]
        .live
        .clone()
        .expect("pods make it live");
    assert_eq!((cron.pods, cron.restarts), (1, 2));
    assert_eq!(facts.workloads.len(), 2);
}

#[test]
fn manifests_have_no_live_status() {
    let facts = extract(&objects(vec![deployment(
        "web",
        json!({}),
        json!([app("s")]),
    )]));
    assert!(facts.workloads["Deployment/shop/web"].live.is_none());
    let json = serde_json::to_value(&facts).expect("json");
    assert!(
        json["workloads"]["Deployment/shop/web"]
            .get("live")
            .is_none()
    );
}

#[test]
fn gitops_controllers_are_managers_and_cluster_components() {
    let mut d = deployment("web", json!({}), json!([app("s")]));
    d["metadata"]["managedFields"] =
        json!([{"manager": "kustomize-controller", "operation": "Apply"}]);
    let mut argo = deployment(
        "argocd-application-controller",
        json!({}),
        json!([{"name": "c", "image": "quay.io/argoproj/argocd:v2.13.0"}]),
    );
    argo["metadata"]["managedFields"] =
        json!([{"manager": "argocd-controller", "operation": "Apply"}]);
    let facts = extract(&objects(vec![d, argo]));
    assert_eq!(
        facts.workloads["Deployment/shop/web"].managers[0].tool,
        "flux"
    );
    assert_eq!(facts.gitops_controllers.len(), 1);
    assert_eq!(facts.gitops_controllers[0].tool, "argocd");
}

#[test]
fn a_limit_without_a_request_is_the_request_per_resource() {
    let mut limited = app("server");
    limited["resources"] =
        json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"memory": "128Mi"}});
    let mut only_limits = app("worker");
    only_limits["resources"] = json!({"limits": {"cpu": "1", "memory": "1Gi"}});
    let facts = extract(&objects(vec![deployment(
        "web",
        json!({}),
        json!([limited, only_limits, app("bare")]),
    )]));
    let cs = &facts.workloads["Deployment/shop/web"].containers;
    // memory was requested; cpu defaults to its limit, as the API server does.
    assert_eq!(cs[0].requests["memory"], "128Mi");
    assert_eq!(cs[0].requests["cpu"], "500m");
    assert_eq!(cs[0].requests_from_limits, ["cpu"]);
    assert_eq!(cs[1].requests["cpu"], "1");
    assert_eq!(cs[1].requests["memory"], "1Gi");
    assert_eq!(cs[1].requests_from_limits, ["cpu", "memory"]);
    // No limits, no requests: nothing to default.
    assert!(cs[2].requests.is_empty());
    assert!(cs[2].requests_from_limits.is_empty());
}

#[test]
fn objects_with_generate_name_are_judged_and_named_by_their_prefix() {
    let facts = extract(&objects(vec![
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "migrate-", "namespace": "shop"},
               "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "flyway/flyway:10.0.0"}], "restartPolicy": "Never"}}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "debug-"}, "spec": {"containers": [{"name": "sh", "image": "busybox"}]}}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"namespace": "shop"}, "spec": {}}),
    ]));
    let keys: Vec<&String> = facts.workloads.keys().collect();
    assert_eq!(
        keys,
        [
            "Job/shop/migrate-(generated)",
            "Pod/default/debug-(generated)"
        ]
    );
    let job = &facts.workloads["Job/shop/migrate-(generated)"];
    assert_eq!(job.name, "migrate-(generated)");
    assert!(job.batch);
    assert_eq!(facts.bare_pods, ["Pod/default/debug-(generated)"]);
    // Neither a name nor a prefix: set aside and said so.
    assert_eq!(facts.skipped.len(), 1);
    assert_eq!(
        facts.skipped[0].reason,
        "Job without metadata.name or metadata.generateName"
    );
}
