//! One extraction of facts from Kubernetes objects.
//!
//! A Deployment read from a manifest in a repository and the same Deployment read from a
//! live cluster must yield the same facts, or the two probes would disagree about the same
//! service. Both call [`extract`]. The facts follow `docs/facts.md`; rules read them.
//!
//! Where the established checkers are known to be wrong, this extraction is deliberate:
//! pods and ReplicaSets owned by a controller are not workloads of their own; Jobs,
//! CronJobs and Helm / Argo CD hook objects are batch, not long-running (they never need
//! readiness probes), and a hook Pod is not a bare pod; injected mesh
//! proxies and native sidecars are not app containers; Services, PDBs and HPAs are matched
//! with the API's own selector semantics, namespace by namespace; Argo Rollouts are
//! workloads; Kubernetes' defaults (one replica, 25% maxUnavailable) are applied, not
//! assumed away. Environment values are never kept: only names, and whether a value
//! holds an IP literal.

mod image;
pub mod scoped;
mod selector;

pub use image::{ImageRef, Pinning};
pub use selector::{Labels, label_selector_matches, labels_of, service_selects};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// A Kubernetes object as JSON, with the id of the evidence record that shows it
/// (file and lines for a manifest, `kind/ns/name@resourceVersion` for a live object).
#[derive(Debug, Clone)]
pub struct SourcedObject {
    /// The object, as `kubectl get -o json` or a YAML manifest converted to JSON shows it.
    pub object: Value,
    /// Evidence id that points at where the object was read.
    pub evidence: String,
}

/// A port a container listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPort {
    /// Port name (protocol hints such as `http`, `grpc` live here).
    pub name: Option<String>,
    /// Port number.
    pub container_port: i64,
    /// TCP, UDP or SCTP (TCP when unset).
    pub protocol: String,
    /// Declared application protocol.
    pub app_protocol: Option<String>,
}

/// One container, as rules judge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image reference, parsed.
    pub image: ImageRef,
    /// Injected mesh proxy or native sidecar: not judged as an app container.
    pub sidecar: bool,
    /// readinessProbe present.
    pub readiness_probe: bool,
    /// livenessProbe present.
    pub liveness_probe: bool,
    /// startupProbe present.
    pub startup_probe: bool,
    /// Resource requests (`cpu`, `memory`, ...), as strings.
    pub requests: BTreeMap<String, String>,
    /// Resources whose request was not written and is the limit's value, as the API
    /// server defaults it (a limit without a request for the same resource sets the
    /// request to the limit), so `requests` says what the scheduler reserves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests_from_limits: Vec<String>,
    /// Resource limits, as strings.
    pub limits: BTreeMap<String, String>,
    /// securityContext.readOnlyRootFilesystem, when set.
    pub read_only_root_filesystem: Option<bool>,
    /// Declared ports.
    pub ports: Vec<ContainerPort>,
    /// Environment variable names (never values).
    pub env_names: Vec<String>,
    /// `envFrom` sources as `configmap:<name>` / `secret:<name>`.
    pub env_from: Vec<String>,
    /// Names of env vars whose literal value holds an IP address (value not kept).
    pub env_ip_literals: Vec<String>,
    /// lifecycle.preStop present.
    pub pre_stop: bool,
}

/// A volume and its type (the source key: `persistentVolumeClaim`, `hostPath`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// Volume source type.
    #[serde(rename = "type")]
    pub kind: String,
}

/// How a workload rolls out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    /// RollingUpdate, Recreate, OnDelete, Canary, BlueGreen; `None` where the kind has none.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// maxUnavailable as declared, or Kubernetes' default.
    pub max_unavailable: Option<Value>,
    /// maxUnavailable resolved to pods against the effective replicas (percentages
    /// round down, as the Deployment controller does).
    pub max_unavailable_pods: Option<i64>,
}

/// Who applies an object, and how we know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manager {
    /// helm, argocd, flux, kustomize, or a managedFields manager name.
    pub tool: String,
    /// The label, annotation or field that says so.
    pub via: String,
}

/// A workload: something that runs pods on its own account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// `Kind/namespace/name`.
    pub key: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`default` when unset).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `app.kubernetes.io/name` or `app` label (pod template first).
    pub app: Option<String>,
    /// `team` or `owner` label: who runs it, when the manifest says so. Never
    /// `app.kubernetes.io/part-of`, which names an application, not a team.
    pub team: Option<String>,
    /// `app.kubernetes.io/part-of` label (pod template first): the application this
    /// component belongs to. Resolution attaches a batch workload to the service it names
    /// instead of making it a service of its own.
    pub part_of: Option<String>,
    /// `backstage.io/kubernetes-id` label: the catalog Component the workload belongs to,
    /// as Backstage's Kubernetes plugin reads it; resolution's strongest join key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_id: Option<String>,
    /// Labels of the object and its pod template (the template's win): what a catalog
    /// entry's `backstage.io/kubernetes-label-selector` is matched against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    /// `helm` for an object with a `helm.sh/hook` annotation, `argocd` for one with
    /// `argocd.argoproj.io/hook`: it runs at a lifecycle point of a release or sync, not
    /// as part of what the release keeps running. A `hook-delete-policy` alone does not
    /// make a hook (neither tool treats it as one).
    pub hook: Option<String>,
    /// A Job, a CronJob or a hook object: runs to completion. Criteria about long-running
    /// workloads (probes, replicas, rollouts) do not apply to it; requests and image
    /// pinning still do.
    pub batch: bool,
    /// Runs until stopped: not batch (a Job, a CronJob or a hook object).
    pub long_running: bool,
    /// Replicas as declared.
    pub replicas: Option<i64>,
    /// Declared or Kubernetes' default of 1; `None` for DaemonSets, Jobs, CronJobs.
    pub effective_replicas: Option<i64>,
    /// Rollout strategy.
    pub strategy: Strategy,
    /// `argo-rollouts` or `flagger` when a progressive delivery controller rolls it out.
    pub progressive_delivery: Option<String>,
    /// Containers.
    pub containers: Vec<Container>,
    /// Init containers (native sidecars among them are flagged).
    pub init_containers: Vec<Container>,
    /// Pod volumes.
    pub volumes: Vec<Volume>,
    /// StatefulSet volumeClaimTemplates.
    pub volume_claim_templates: u32,
    /// Pod restartPolicy, when set.
    pub restart_policy: Option<String>,
    /// terminationGracePeriodSeconds, when set.
    pub termination_grace_period_seconds: Option<i64>,
    /// topologyKeys of pod anti-affinity terms.
    pub anti_affinity_keys: Vec<String>,
    /// topologyKeys of topology spread constraints.
    pub topology_spread_keys: Vec<String>,
    /// Who applies it.
    pub managers: Vec<Manager>,
    /// Services whose selector matches its pods.
    pub selected_by_services: Vec<String>,
    /// PodDisruptionBudgets that cover its pods.
    pub pdbs: Vec<String>,
    /// Autoscalers (HPA, KEDA) that target it.
    pub hpas: Vec<String>,
    /// Smallest minReplicas of those autoscalers.
    pub min_replicas: Option<i64>,
    /// Evidence ids.
    pub evidence: Vec<String>,
    /// What a live object (or a dump of one) says about its running state; absent for
    /// manifests, which have no `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveStatus>,
    #[serde(skip)]
    pod_labels: Labels,
}

/// The running state of a workload, from its `status` and the pods it owns (through
/// ReplicaSets for Deployments and Rollouts, through Jobs for CronJobs).
///
/// Kept apart from the declared facts because only a cluster can show it: a manifest
/// declares 3 replicas, the cluster shows whether 3 are available.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    /// Pods the controller wants (`spec.replicas`, or DaemonSet `desiredNumberScheduled`).
    pub desired_replicas: Option<i64>,
    /// Pods ready (`status.readyReplicas` / `numberReady`).
    pub ready_replicas: Option<i64>,
    /// Pods available (`status.availableReplicas` / `numberAvailable`).
    pub available_replicas: Option<i64>,
    /// Pods on the current revision (`status.updatedReplicas` / `updatedNumberScheduled`).
    pub updated_replicas: Option<i64>,
    /// Pods read that this workload owns, directly or through a ReplicaSet or Job.
    pub pods: u32,
    /// Sum of container restart counts over those pods.
    pub restarts: i64,
    /// Those pods that are not Ready.
    pub pods_not_ready: u32,
}

/// A port of a Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    /// Port name.
    pub name: Option<String>,
    /// Service port.
    pub port: i64,
    /// targetPort (number or name), when set.
    pub target_port: Option<Value>,
    /// appProtocol.
    pub app_protocol: Option<String>,
}

/// A Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeService {
    /// `Service/namespace/name`.
    pub key: String,
    /// Equality selector.
    pub selector: Labels,
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// Evidence id.
    pub evidence: String,
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pdb {
    /// `PodDisruptionBudget/namespace/name`.
    pub key: String,
    /// minAvailable as declared.
    pub min_available: Option<Value>,
    /// maxUnavailable as declared.
    pub max_unavailable: Option<Value>,
    /// Evidence id.
    pub evidence: String,
}

/// An autoscaler (HPA or KEDA ScaledObject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hpa {
    /// `HorizontalPodAutoscaler/ns/name` or `ScaledObject/ns/name`.
    pub key: String,
    /// Workload key it scales.
    pub target: String,
    /// Minimum replicas (HPA default 1, KEDA default 0).
    pub min_replicas: i64,
    /// Maximum replicas.
    pub max_replicas: Option<i64>,
    /// What it scales on: `cpu`, `memory`, `pods:<m>`, `object:<m>`, `external:<m>`, `keda:<trigger>`.
    pub metrics: Vec<String>,
    /// Evidence id.
    pub evidence: String,
}

/// An alerting or recording rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    /// Rule group.
    pub group: String,
    /// Alert name or recorded series.
    pub name: String,
    /// `alert` or `record`.
    pub kind: String,
    /// PromQL expression.
    pub expr: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `runbook_url` (or `runbook`) annotation.
    pub runbook_url: Option<String>,
    /// `service`, `app` or `job` label, naming the service it is about.
    pub service_hint: Option<String>,
    /// Evidence id.
    pub evidence: String,
}

/// A node agent that ships logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogShipper {
    /// Workload key of the DaemonSet.
    pub key: String,
    /// Which agent.
    pub tool: String,
    /// Evidence id.
    pub evidence: String,
}

/// An object that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Evidence id of the object.
    pub evidence: String,
    /// Why it was skipped.
    pub reason: String,
    /// The object is a workload (`Kind/ns/name`): rules about its service's containers
    /// cannot take what the others show as the whole of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// Everything [`extract`] learned from a set of objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterFacts {
    /// Workloads keyed by `Kind/namespace/name`.
    pub workloads: BTreeMap<String, Workload>,
    /// Services keyed by `Service/namespace/name`.
    pub services: BTreeMap<String, KubeService>,
    /// PodDisruptionBudgets keyed by `PodDisruptionBudget/namespace/name`.
    pub pdbs: BTreeMap<String, Pdb>,
    /// Autoscalers keyed by their key.
    pub hpas: BTreeMap<String, Hpa>,
    /// Keys of pods no controller owns.
    pub bare_pods: Vec<String>,
    /// Alerting and recording rules from PrometheusRule objects.
    pub prometheus_rules: Vec<AlertRule>,
    /// Log-shipping DaemonSets.
    pub log_shippers: Vec<LogShipper>,
    /// Kinds seen and how many of each (`apps/v1 Deployment` → 3).
    pub kinds: BTreeMap<String, u32>,
    /// Objects that could not be read.
    pub skipped: Vec<Skipped>,
    /// Service-mesh control planes (istiod, Linkerd's destination controller).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mesh_control_planes: Vec<Component>,
    /// GitOps controllers (Argo CD, Flux) running in the cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gitops_controllers: Vec<Component>,
}

/// A cluster component recognised by its workload (a mesh control plane, a GitOps
/// controller): estate facts, not a service's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Workload key.
    pub key: String,
    /// Which tool (`istio`, `linkerd`, `argocd`, `flux`).
    pub tool: String,
    /// Evidence id.
    pub evidence: String,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |acc, key| acc.get(key))
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
    })
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| scalar_string(x).map(|s| (k.clone(), s)))
                .collect()
        })
        .unwrap_or_default()
}

const MESH_PROXIES: [&str; 3] = ["istio-proxy", "linkerd-proxy", "envoy-sidecar"];

/// Whether a literal env value holds an IP address (loopback and unspecified addresses
/// are binding addresses, not peers, and do not count).
fn holds_ip_literal(value: &str) -> bool {
    value
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '[' || c == ']'))
        .filter(|t| t.len() >= 3)
        .any(|token| {
            let token = token.trim_matches(':');
            let ip = token
                .parse::<IpAddr>()
                .ok()
                .or_else(|| token.parse::<SocketAddr>().ok().map(|a| a.ip()))
                .or_else(|| {
                    token
                        .rsplit_once(':')
                        .and_then(|(h, _)| h.parse::<IpAddr>().ok())
                });
            ip.is_some_and(|ip| !ip.is_loopback() && !ip.is_unspecified())
        })
}

fn container(c: &Value, mesh_injected: bool, init: bool) -> Option<Container> {
    let name = s(c, &["name"])?.to_owned();
    let image = ImageRef::parse(s(c, &["image"]).unwrap_or_default());
    let native_sidecar = init && s(c, &["restartPolicy"]) == Some("Always");
    let mesh = MESH_PROXIES.contains(&name.as_str()) || (mesh_injected && name.ends_with("-proxy"));
    let mut env_names = Vec::new();
    let mut env_ip_literals = Vec::new();
    for e in arr(c.get("env")) {
        let Some(n) = s(e, &["name"]) else { continue };
        env_names.push(n.to_owned());
        if s(e, &["value"]).is_some_and(holds_ip_literal) {
            env_ip_literals.push(n.to_owned());
        }
    }
    let env_from = arr(c.get("envFrom"))
        .iter()
        .filter_map(|e| {
            s(e, &["configMapRef", "name"])
                .map(|n| format!("configmap:{n}"))
                .or_else(|| s(e, &["secretRef", "name"]).map(|n| format!("secret:{n}")))
        })
        .collect();
    let ports = arr(c.get("ports"))
        .iter()
        .filter_map(|p| {
            Some(ContainerPort {
                name: s(p, &["name"]).map(str::to_owned),
                container_port: int(p.get("containerPort"))?,
                protocol: s(p, &["protocol"]).unwrap_or("TCP").to_owned(),
                app_protocol: s(p, &["appProtocol"]).map(str::to_owned),
            })
        })
        .collect();
    let limits = string_map(get(c, &["resources", "limits"]));
    let (requests, requests_from_limits) =
        effective_requests(string_map(get(c, &["resources", "requests"])), &limits);
    Some(Container {
        name,
        image,
        sidecar: native_sidecar || mesh,
        readiness_probe: c.get("readinessProbe").is_some_and(|p| !p.is_null()),
        liveness_probe: c.get("livenessProbe").is_some_and(|p| !p.is_null()),
        startup_probe: c.get("startupProbe").is_some_and(|p| !p.is_null()),
        requests,
        requests_from_limits,
        limits,
        read_only_root_filesystem: get(c, &["securityContext", "readOnlyRootFilesystem"])
            .and_then(Value::as_bool),
        ports,
        env_names,
        env_from,
        env_ip_literals,
        pre_stop: get(c, &["lifecycle", "preStop"]).is_some_and(|p| !p.is_null()),
    })
}

/// The requests Kubernetes applies: each resource (cpu, memory, ...) with a limit and no
/// request of its own gets the limit as its request, one resource at a time (a memory
/// request does not stop cpu from defaulting). Returns the requests and the resources
/// that were defaulted, so the facts show which values were not written.
fn effective_requests(
    mut requests: BTreeMap<String, String>,
    limits: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut defaulted = Vec::new();
    for (resource, limit) in limits {
        if !requests.contains_key(resource) {
            requests.insert(resource.clone(), limit.clone());
            defaulted.push(resource.clone());
        }
    }
    (requests, defaulted)
}

/// Resolves maxUnavailable (an int or `N%`) against a replica count, rounding down.
fn resolve_unavailable(value: &Value, replicas: Option<i64>) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(text) => match text.strip_suffix('%') {
            Some(pct) => {
                let pct: i64 = pct.trim().parse().ok()?;
                replicas.map(|r| r * pct / 100)
            }
            None => text.parse().ok(),
        },
        _ => None,
    }
}

fn strategy(kind: &str, spec: &Value, effective: Option<i64>) -> Strategy {
    let (declared_type, max_unavailable) = match kind {
        "Deployment" => {
            let t = s(spec, &["strategy", "type"]).unwrap_or("RollingUpdate");
            let mu = (t == "RollingUpdate").then(|| {
                get(spec, &["strategy", "rollingUpdate", "maxUnavailable"])
                    .cloned()
                    .unwrap_or_else(|| Value::from("25%"))
            });
            (Some(t.to_owned()), mu)
        }
        "StatefulSet" | "DaemonSet" => {
            let t = s(spec, &["updateStrategy", "type"]).unwrap_or("RollingUpdate");
            let mu = (t == "RollingUpdate").then(|| {
                get(spec, &["updateStrategy", "rollingUpdate", "maxUnavailable"])
                    .cloned()
                    .unwrap_or_else(|| Value::from(1))
            });
            (Some(t.to_owned()), mu)
        }
        "Rollout" => {
            if spec
                .get("strategy")
                .and_then(|st| st.get("blueGreen"))
                .is_some()
            {
                (Some("BlueGreen".to_owned()), None)
            } else {
                let mu = get(spec, &["strategy", "canary", "maxUnavailable"])
                    .cloned()
                    .unwrap_or_else(|| Value::from("25%"));
                (Some("Canary".to_owned()), Some(mu))
            }
        }
        _ => (None, None),
    };
    let pods = max_unavailable
        .as_ref()
        .and_then(|v| resolve_unavailable(v, effective.or(Some(1))));
    Strategy {
        kind: declared_type,
        max_unavailable,
        max_unavailable_pods: pods,
    }
}

fn managers(metadata: &Value) -> Vec<Manager> {
    let labels = labels_of(metadata.get("labels"));
    let annotations = labels_of(metadata.get("annotations"));
    let mut out = Vec::new();
    let mut add = |tool: &str, via: String| {
        if !out.iter().any(|m: &Manager| m.tool == tool) {
            out.push(Manager {
                tool: tool.to_owned(),
                via,
            });
        }
    };
    if let Some(by) = labels.get("app.kubernetes.io/managed-by") {
        let tool = if by.eq_ignore_ascii_case("helm") {
            "helm".to_owned()
        } else {
            by.to_lowercase()
        };
        add(&tool, format!("label app.kubernetes.io/managed-by={by}"));
    }
    if labels.contains_key("helm.sh/chart") {
        add("helm", "label helm.sh/chart".into());
    }
    if annotations.contains_key("meta.helm.sh/release-name") {
        add("helm", "annotation meta.helm.sh/release-name".into());
    }
    if labels.contains_key("argocd.argoproj.io/instance") {
        add("argocd", "label argocd.argoproj.io/instance".into());
    }
    if annotations.contains_key("argocd.argoproj.io/tracking-id") {
        add("argocd", "annotation argocd.argoproj.io/tracking-id".into());
    }
    for key in [
        "kustomize.toolkit.fluxcd.io/name",
        "helm.toolkit.fluxcd.io/name",
    ] {
        if labels.contains_key(key) {
            add("flux", format!("label {key}"));
        }
    }
    const BY_HAND: [&str; 6] = [
        "kubectl",
        "kubectl-client-side-apply",
        "kubectl-edit",
        "kubectl-create",
        "kubectl-patch",
        "kubectl-replace",
    ];
    for f in arr(metadata.get("managedFields")) {
        let Some(manager) = s(f, &["manager"]) else {
            continue;
        };
        // GitOps controllers apply under their own manager names, which look like
        // built-in controllers; they are the manager that matters most.
        if let Some(tool) = gitops_manager(manager) {
            add(tool, format!("managedFields manager {manager}"));
            continue;
        }
        let builtin = manager.starts_with("kube-")
            || manager.ends_with("-controller")
            || manager == "kubelet";
        if !BY_HAND.contains(&manager) && !builtin {
            add(manager, format!("managedFields manager {manager}"));
        }
    }
    out
}

/// The tool behind a managedFields manager name that belongs to a GitOps controller or
/// Helm (server-side apply managers of Argo CD, Flux and Helm).
fn gitops_manager(manager: &str) -> Option<&'static str> {
    match manager {
        "argocd-controller" | "argocd-application-controller" | "argocd" => Some("argocd"),
        "kustomize-controller" | "helm-controller" | "flux" | "flux-client-side-apply" => {
            Some("flux")
        }
        "helm" => Some("helm"),
        _ => None,
    }
}

/// The running state a live object reports in `status`; `None` when the object has no
/// status (a manifest).
fn live_status(kind: &str, obj: &Value) -> Option<LiveStatus> {
    let status = obj.get("status").filter(|v| v.is_object())?;
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let st = |k: &str| int(status.get(k));
    let mut live = LiveStatus::default();
    match kind {
        "DaemonSet" => {
            live.desired_replicas = st("desiredNumberScheduled");
            live.ready_replicas = st("numberReady");
            live.available_replicas = st("numberAvailable");
            live.updated_replicas = st("updatedNumberScheduled");
        }
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Rollout" => {
            live.desired_replicas = int(spec.get("replicas")).or(Some(1));
            // The API omits zero counts: a status without readyReplicas means none ready.
            live.ready_replicas = st("readyReplicas").or(Some(0));
            live.available_replicas = st("availableReplicas").or(Some(0));
            live.updated_replicas = st("updatedReplicas").or(Some(0));
        }
        "Pod" => {
            live.desired_replicas = Some(1);
            let ready = pod_ready(obj);
            live.ready_replicas = Some(i64::from(ready));
            live.available_replicas = Some(i64::from(ready));
            live.pods = 1;
            live.pods_not_ready = u32::from(!ready);
            live.restarts = pod_restarts(obj);
        }
        _ => {}
    }
    Some(live)
}

/// Whether a pod's `Ready` condition is true.
fn pod_ready(pod: &Value) -> bool {
    arr(get(pod, &["status", "conditions"]))
        .iter()
        .any(|c| s(c, &["type"]) == Some("Ready") && s(c, &["status"]) == Some("True"))
}

/// Restarts of all of a pod's containers (init containers included).
fn pod_restarts(pod: &Value) -> i64 {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .flat_map(|k| arr(get(pod, &["status", k])))
        .filter_map(|c| int(c.get("restartCount")))
        .sum()
}

/// The controller owner of an object: the ownerReference with `controller: true`, else
/// the first one.
fn controller_of(obj: &Value) -> Option<(String, String)> {
    let refs = arr(get(obj, &["metadata", "ownerReferences"]));
    refs.iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())
        .and_then(|r| Some((s(r, &["kind"])?.to_owned(), s(r, &["name"])?.to_owned())))
}

/// The tool whose hook an object is, from its own annotations: `helm.sh/hook` (Helm, and
/// Argo CD, which honours Helm hooks) or `argocd.argoproj.io/hook`.
fn hook_of(metadata: &Value) -> Option<String> {
    let annotations = labels_of(metadata.get("annotations"));
    if annotations.contains_key("helm.sh/hook") {
        Some("helm".to_owned())
    } else if annotations.contains_key("argocd.argoproj.io/hook") {
        Some("argocd".to_owned())
    } else {
        None
    }
}

fn label_of(template_labels: &Labels, object_labels: &Labels, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        template_labels
            .get(*k)
            .or_else(|| object_labels.get(*k))
            .cloned()
    })
}

/// The name an object is known by: `metadata.name`, else, for an object created with
/// `metadata.generateName` (Jobs made by `kubectl create`, hooks), the prefix followed by
/// `(generated)`, since the API server appends a random suffix nobody can predict. Such
/// objects are judged like named ones; the name says it was not written in full.
pub fn object_name(metadata: &Value) -> Option<String> {
    if let Some(name) = s(metadata, &["name"]).filter(|n| !n.is_empty()) {
        return Some(name.to_owned());
    }
    s(metadata, &["generateName"])
        .filter(|n| !n.is_empty())
        .map(|prefix| format!("{prefix}(generated)"))
}

/// What makes a workload unreadable, as a phrase about `kind` ("the Deployment's
/// containers is a string, not a list"): no pod spec, or `containers` missing, empty, not
/// a list, or holding an entry that is not a named object. The API server refuses such an
/// object, so it was damaged on the way or is no manifest at all; judging it as a
/// workload with no containers would make every "each container has …" rule vacuously
/// true. A Rollout that points at a Deployment (`workloadRef`) has no pod spec of its
/// own; kinds that are no workload have no problem. One check for manifests (here) and
/// for live and dumped objects (the kubernetes probe's ingest).
pub fn container_problem(kind: &str, obj: &Value) -> Option<String> {
    let path: &[&str] = match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "Rollout" if get(obj, &["spec", "workloadRef"]).is_some() => return None,
        "Rollout" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Pod" => &["spec"],
        _ => return None,
    };
    let Some(spec) = get(obj, path) else {
        return Some(format!("the {kind} has no pod spec at {}", path.join(".")));
    };
    let containers = match spec.get("containers") {
        Some(Value::Array(c)) if !c.is_empty() => c,
        Some(Value::Array(_)) => return Some(format!("the {kind}'s containers list is empty")),
        Some(other) => {
            return Some(format!(
                "the {kind}'s containers is {}, not a list",
                json_type(other)
            ));
        }
        None => return Some(format!("the {kind} has no containers")),
    };
    containers.iter().enumerate().find_map(|(i, c)| {
        let named = c.get("name").is_some_and(Value::is_string);
        (!named).then(|| format!("the {kind}'s container {i} is not a named object"))
    })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn workload(kind: &str, obj: &Value, evidence: &str) -> Option<Workload> {
    let metadata = obj.get("metadata")?;
    let name = object_name(metadata)?;
    let namespace = s(metadata, &["namespace"]).unwrap_or("default").to_owned();
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let (template_meta, pod_spec) = match kind {
        "Pod" => (metadata.clone(), spec.clone()),
        "CronJob" => (
            get(&spec, &["jobTemplate", "spec", "template", "metadata"])
                .cloned()
                .unwrap_or(Value::Null),
            get(&spec, &["jobTemplate", "spec", "template", "spec"])
                .cloned()
                .unwrap_or(Value::Null),
        ),
        _ => (
            get(&spec, &["template", "metadata"])
                .cloned()
                .unwrap_or(Value::Null),
            get(&spec, &["template", "spec"])
                .cloned()
                .unwrap_or(Value::Null),
        ),
    };
    let object_labels = labels_of(metadata.get("labels"));
    let pod_labels = labels_of(template_meta.get("labels"));
    let annotations = labels_of(template_meta.get("annotations"));
    let mesh_injected = annotations.contains_key("sidecar.istio.io/status")
        || annotations.contains_key("linkerd.io/proxy-version");
    let hook = hook_of(metadata);
    let batch = matches!(kind, "Job" | "CronJob") || hook.is_some();
    let long_running = !batch;
    let replicas = match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Rollout" => {
            int(spec.get("replicas"))
        }
        _ => None,
    };
    let effective_replicas = match kind {
        "DaemonSet" | "Job" | "CronJob" => None,
        _ => Some(replicas.unwrap_or(1)),
    };
    let mut anti_affinity_keys: Vec<String> = Vec::new();
    let anti = get(&pod_spec, &["affinity", "podAntiAffinity"]);
    for term in arr(anti.and_then(|a| a.get("requiredDuringSchedulingIgnoredDuringExecution"))) {
        if let Some(k) = s(term, &["topologyKey"]) {
            anti_affinity_keys.push(k.to_owned());
        }
    }
    for term in arr(anti.and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution"))) {
        if let Some(k) = s(term, &["podAffinityTerm", "topologyKey"]) {
            anti_affinity_keys.push(k.to_owned());
        }
    }
    anti_affinity_keys.sort();
    anti_affinity_keys.dedup();
    let mut topology_spread_keys: Vec<String> = arr(pod_spec.get("topologySpreadConstraints"))
        .iter()
        .filter_map(|t| s(t, &["topologyKey"]).map(str::to_owned))
        .collect();
    topology_spread_keys.sort();
    topology_spread_keys.dedup();
    let mut containers: Vec<Container> = arr(pod_spec.get("containers"))
        .iter()
        .filter_map(|c| container(c, mesh_injected, false))
        .collect();
    // A proxy is a sidecar only beside an app container. A pod whose only container is
    // `istio-proxy` (an ingress or egress gateway) runs the proxy as its app, and must be
    // judged as one; otherwise it would have no app container and pass every container
    // check vacuously.
    if containers.iter().all(|c| c.sidecar) {
        for c in &mut containers {
            c.sidecar = false;
        }
    }
    Some(Workload {
        key: format!("{kind}/{namespace}/{name}"),
        kind: kind.to_owned(),
        app: label_of(
            &pod_labels,
            &object_labels,
            &["app.kubernetes.io/name", "app"],
        ),
        team: label_of(&pod_labels, &object_labels, &["team", "owner"]),
        part_of: label_of(&pod_labels, &object_labels, &["app.kubernetes.io/part-of"]),
        kubernetes_id: label_of(&pod_labels, &object_labels, &["backstage.io/kubernetes-id"]),
        labels: object_labels
            .iter()
            .chain(pod_labels.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        hook,
        batch,
        namespace,
        name,
        long_running,
        replicas,
        effective_replicas,
        strategy: strategy(kind, &spec, effective_replicas),
        progressive_delivery: (kind == "Rollout").then(|| "argo-rollouts".to_owned()),
        containers,
        init_containers: arr(pod_spec.get("initContainers"))
            .iter()
            .filter_map(|c| container(c, mesh_injected, true))
            .collect(),
        volumes: arr(pod_spec.get("volumes"))
            .iter()
            .filter_map(|v| {
                let obj = v.as_object()?;
                let name = obj.get("name")?.as_str()?.to_owned();
                let kind = obj
                    .keys()
                    .find(|k| *k != "name")
                    .cloned()
                    .unwrap_or_else(|| "emptyDir".to_owned());
                Some(Volume { name, kind })
            })
            .collect(),
        volume_claim_templates: arr(spec.get("volumeClaimTemplates")).len() as u32,
        restart_policy: s(&pod_spec, &["restartPolicy"]).map(str::to_owned),
        termination_grace_period_seconds: int(pod_spec.get("terminationGracePeriodSeconds")),
        anti_affinity_keys,
        topology_spread_keys,
        managers: managers(metadata),
        selected_by_services: Vec::new(),
        pdbs: Vec::new(),
        hpas: Vec::new(),
        min_replicas: None,
        evidence: vec![evidence.to_owned()],
        live: live_status(kind, obj),
        pod_labels,
    })
}

fn owner_kinds(obj: &Value) -> Vec<String> {
    arr(get(obj, &["metadata", "ownerReferences"]))
        .iter()
        .filter_map(|o| s(o, &["kind"]).map(str::to_owned))
        .collect()
}

const LOG_AGENTS: [(&str, &str); 12] = [
    ("fluent-bit", "fluent-bit"),
    ("fluentbit", "fluent-bit"),
    ("fluentd", "fluentd"),
    ("vector", "vector"),
    ("promtail", "promtail"),
    ("grafana/alloy", "grafana alloy"),
    ("grafana/agent", "grafana agent"),
    ("opentelemetry-collector", "otel collector"),
    ("otel/opentelemetry", "otel collector"),
    ("datadog/agent", "datadog agent"),
    ("splunk", "splunk"),
    ("filebeat", "elastic filebeat"),
];

/// Extracts facts from objects. Malformed objects are skipped with a reason; nothing
/// panics and everything else is kept.
pub fn extract(objects: &[SourcedObject]) -> ClusterFacts {
    extract_with_pods(objects, &[])
}

/// [`extract`], with owned pods already reduced (counted as `v1 Pod` among the kinds and
/// on their workloads' live status exactly as Pod objects would be).
pub fn extract_with_pods(objects: &[SourcedObject], pods: &[OwnedPod]) -> ClusterFacts {
    let mut facts = ClusterFacts::default();
    if !pods.is_empty() {
        *facts.kinds.entry("v1 Pod".to_owned()).or_default() += pods.len() as u32;
    }
    let mut flagger_targets: Vec<String> = Vec::new();
    let mut pdb_selectors: Vec<(String, String, Option<Value>)> = Vec::new();
    let mut expanded: Vec<(&Value, &str)> = Vec::new();
    let mut list_items: Vec<(Value, String)> = Vec::new();
    // `ReplicaSet/ns/name` → its controller (kind, name), for pods owned through it.
    let mut intermediate: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut owned_pods: Vec<OwnedPod> = Vec::new();
    for o in objects {
        if s(&o.object, &["kind"]).is_some_and(|k| k.ends_with("List")) {
            for item in arr(o.object.get("items")) {
                list_items.push((item.clone(), o.evidence.clone()));
            }
        } else {
            expanded.push((&o.object, &o.evidence));
        }
    }
    expanded.extend(list_items.iter().map(|(v, e)| (v, e.as_str())));

    for (obj, evidence) in expanded {
        let (Some(kind), Some(api)) = (s(obj, &["kind"]), s(obj, &["apiVersion"])) else {
            facts.skipped.push(Skipped {
                evidence: evidence.to_owned(),
                reason: "no kind or apiVersion".into(),
                workload: None,
            });
            continue;
        };
        *facts.kinds.entry(format!("{api} {kind}")).or_default() += 1;
        let Some(name) = obj.get("metadata").and_then(object_name) else {
            facts.skipped.push(Skipped {
                evidence: evidence.to_owned(),
                reason: format!("{kind} without metadata.name or metadata.generateName"),
                workload: None,
            });
            continue;
        };
        let name = name.as_str();
        let namespace = s(obj, &["metadata", "namespace"]).unwrap_or("default");
        let owners = owner_kinds(obj);
        match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicationController" | "CronJob" => {}
            "ReplicaSet" if owners.iter().any(|k| k == "Deployment" || k == "Rollout") => {
                if let Some(owner) = controller_of(obj) {
                    intermediate.insert(format!("ReplicaSet/{namespace}/{name}"), owner);
                }
                continue;
            }
            "ReplicaSet" => {}
            "Rollout" if api.starts_with("argoproj.io/") => {}
            "Job" if owners.iter().any(|k| k == "CronJob") => {
                if let Some(owner) = controller_of(obj) {
                    intermediate.insert(format!("Job/{namespace}/{name}"), owner);
                }
                continue;
            }
            "Job" => {}
            "Pod" if !owners.is_empty() => {
                owned_pods.extend(OwnedPod::from_object(obj));
                continue;
            }
            // A hook Pod (`helm test`) runs once by design: batch, not a bare pod.
            "Pod" if obj.get("metadata").and_then(hook_of).is_some() => {}
            "Pod" => facts.bare_pods.push(format!("Pod/{namespace}/{name}")),
            "Service" => {
                let ports = arr(get(obj, &["spec", "ports"]))
                    .iter()
                    .filter_map(|p| {
                        Some(ServicePort {
                            name: s(p, &["name"]).map(str::to_owned),
                            port: int(p.get("port"))?,
                            target_port: p.get("targetPort").cloned(),
                            app_protocol: s(p, &["appProtocol"]).map(str::to_owned),
                        })
                    })
                    .collect();
                let key = format!("Service/{namespace}/{name}");
                facts.services.insert(
                    key.clone(),
                    KubeService {
                        key,
                        selector: labels_of(get(obj, &["spec", "selector"])),
                        ports,
                        evidence: evidence.to_owned(),
                    },
                );
                continue;
            }
            "PodDisruptionBudget" => {
                let key = format!("PodDisruptionBudget/{namespace}/{name}");
                pdb_selectors.push((
                    key.clone(),
                    namespace.to_owned(),
                    get(obj, &["spec", "selector"]).cloned(),
                ));
                facts.pdbs.insert(
                    key.clone(),
                    Pdb {
                        key,
                        min_available: get(obj, &["spec", "minAvailable"]).cloned(),
                        max_unavailable: get(obj, &["spec", "maxUnavailable"]).cloned(),
                        evidence: evidence.to_owned(),
                    },
                );
                continue;
            }
            "HorizontalPodAutoscaler" => {
                let target_kind =
                    s(obj, &["spec", "scaleTargetRef", "kind"]).unwrap_or("Deployment");
                let target_name = s(obj, &["spec", "scaleTargetRef", "name"]).unwrap_or_default();
                let mut metrics: Vec<String> = arr(get(obj, &["spec", "metrics"]))
                    .iter()
                    .filter_map(|m| match s(m, &["type"]) {
                        Some("Resource") => s(m, &["resource", "name"]).map(str::to_owned),
                        Some("ContainerResource") => {
                            s(m, &["containerResource", "name"]).map(str::to_owned)
                        }
                        Some("Pods") => {
                            s(m, &["pods", "metric", "name"]).map(|n| format!("pods:{n}"))
                        }
                        Some("Object") => {
                            s(m, &["object", "metric", "name"]).map(|n| format!("object:{n}"))
                        }
                        Some("External") => {
                            s(m, &["external", "metric", "name"]).map(|n| format!("external:{n}"))
                        }
                        _ => None,
                    })
                    .collect();
                // autoscaling/v1's only metric; v2 without metrics defaults to CPU.
                if metrics.is_empty() {
                    metrics.push("cpu".into());
                }
                let key = format!("HorizontalPodAutoscaler/{namespace}/{name}");
                facts.hpas.insert(
                    key.clone(),
                    Hpa {
                        key,
                        target: format!("{target_kind}/{namespace}/{target_name}"),
                        min_replicas: int(get(obj, &["spec", "minReplicas"])).unwrap_or(1),
                        max_replicas: int(get(obj, &["spec", "maxReplicas"])),
                        metrics,
                        evidence: evidence.to_owned(),
                    },
                );
                continue;
            }
            "ScaledObject" if api.starts_with("keda.sh/") => {
                let target_kind =
                    s(obj, &["spec", "scaleTargetRef", "kind"]).unwrap_or("Deployment");
                let target_name = s(obj, &["spec", "scaleTargetRef", "name"]).unwrap_or_default();
                let key = format!("ScaledObject/{namespace}/{name}");
                facts.hpas.insert(
                    key.clone(),
                    Hpa {
                        key,
                        target: format!("{target_kind}/{namespace}/{target_name}"),
                        min_replicas: int(get(obj, &["spec", "minReplicaCount"])).unwrap_or(0),
                        max_replicas: int(get(obj, &["spec", "maxReplicaCount"])).or(Some(100)),
                        metrics: arr(get(obj, &["spec", "triggers"]))
                            .iter()
                            .filter_map(|t| s(t, &["type"]).map(|t| format!("keda:{t}")))
                            .collect(),
                        evidence: evidence.to_owned(),
                    },
                );
                continue;
            }
            "Canary" if api.starts_with("flagger.app/") => {
                let target_kind = s(obj, &["spec", "targetRef", "kind"]).unwrap_or("Deployment");
                if let Some(target) = s(obj, &["spec", "targetRef", "name"]) {
                    flagger_targets.push(format!("{target_kind}/{namespace}/{target}"));
                }
                continue;
            }
            "PrometheusRule" if api.starts_with("monitoring.coreos.com/") => {
                facts.prometheus_rules.extend(rules_of_groups(
                    arr(get(obj, &["spec", "groups"])),
                    evidence,
                ));
                continue;
            }
            _ => continue,
        }
        if let Some(problem) = container_problem(kind, obj) {
            facts.skipped.push(Skipped {
                evidence: evidence.to_owned(),
                reason: format!("{namespace}/{name}: {problem}"),
                workload: Some(format!("{kind}/{namespace}/{name}")),
            });
            continue;
        }
        match workload(kind, obj, evidence) {
            Some(w) => {
                if w.kind == "DaemonSet" {
                    let names: Vec<String> = std::iter::once(w.name.clone())
                        .chain(w.containers.iter().map(|c| c.image.repository.clone()))
                        .collect();
                    if let Some((_, tool)) = LOG_AGENTS
                        .iter()
                        .find(|(m, _)| names.iter().any(|n| n.contains(m)))
                    {
                        facts.log_shippers.push(LogShipper {
                            key: w.key.clone(),
                            tool: (*tool).to_owned(),
                            evidence: evidence.to_owned(),
                        });
                    }
                }
                if let Some(component) = component_of(&w, evidence) {
                    if component.tool == "istio" || component.tool == "linkerd" {
                        facts.mesh_control_planes.push(component);
                    } else {
                        facts.gitops_controllers.push(component);
                    }
                }
                // The same workload can be declared in several files (a base, a
                // release copy, a kustomize base). Each declaration is kept and judged:
                // the first under `Kind/ns/name`, the next ones under `Kind/ns/name#2`...
                let mut w = w;
                let mut n = 2;
                let base = w.key.clone();
                while facts.workloads.contains_key(&w.key) {
                    w.key = format!("{base}#{n}");
                    n += 1;
                }
                facts.workloads.insert(w.key.clone(), w);
            }
            None => facts.skipped.push(Skipped {
                evidence: evidence.to_owned(),
                reason: format!("{kind} {name} could not be read"),
                workload: Some(format!("{kind}/{namespace}/{name}")),
            }),
        }
    }
    link(&mut facts, &flagger_targets);
    link_pdbs(&mut facts, &pdb_selectors);
    owned_pods.extend_from_slice(pods);
    attach_pods(&mut facts, &intermediate, &owned_pods);
    facts
}

/// A pod a controller owns, reduced to what its workload's live status needs.
///
/// A cluster has far more pods than workloads; a live probe reduces each owned pod to
/// this as it arrives (see [`extract_with_pods`]) instead of keeping its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPod {
    /// `Kind/namespace/name` of its controller (a ReplicaSet, Job, StatefulSet, ...).
    pub owner: String,
    /// Namespace of the pod.
    pub namespace: String,
    /// Sum of its containers' restart counts.
    pub restarts: i64,
    /// Whether its `Ready` condition is true.
    pub ready: bool,
}

impl OwnedPod {
    /// Reads a Pod object; `None` when no controller owns it (a bare pod).
    pub fn from_object(pod: &Value) -> Option<Self> {
        let namespace = s(pod, &["metadata", "namespace"]).unwrap_or("default");
        let (kind, name) = controller_of(pod)?;
        Some(Self {
            owner: format!("{kind}/{namespace}/{name}"),
            namespace: namespace.to_owned(),
            restarts: pod_restarts(pod),
            ready: pod_ready(pod),
        })
    }
}

/// Counts each owned pod on its top owner: Pod → ReplicaSet → Deployment or Rollout,
/// Pod → Job → CronJob, Pod → StatefulSet / DaemonSet directly.
fn attach_pods(
    facts: &mut ClusterFacts,
    intermediate: &BTreeMap<String, (String, String)>,
    pods: &[OwnedPod],
) {
    for pod in pods {
        let top = intermediate.get(&pod.owner).map_or_else(
            || pod.owner.clone(),
            |(kind, name)| format!("{kind}/{}/{name}", pod.namespace),
        );
        let Some(w) = facts.workloads.get_mut(&top) else {
            continue;
        };
        let live = w.live.get_or_insert_with(LiveStatus::default);
        live.pods += 1;
        live.restarts += pod.restarts;
        live.pods_not_ready += u32::from(!pod.ready);
    }
}

/// Mesh control planes and GitOps controllers, recognised by workload name or image.
fn component_of(w: &Workload, evidence: &str) -> Option<Component> {
    const KNOWN: [(&str, &str); 9] = [
        ("istiod", "istio"),
        ("istio/pilot", "istio"),
        ("linkerd-destination", "linkerd"),
        ("linkerd/controller", "linkerd"),
        ("argocd-application-controller", "argocd"),
        ("argoproj/argocd", "argocd"),
        ("argocd/argocd", "argocd"),
        ("kustomize-controller", "flux"),
        ("helm-controller", "flux"),
    ];
    let names: Vec<&str> = std::iter::once(w.name.as_str())
        .chain(w.containers.iter().map(|c| c.image.repository.as_str()))
        .collect();
    let (_, tool) = KNOWN
        .iter()
        .find(|(m, _)| names.iter().any(|n| n.ends_with(m)))?;
    Some(Component {
        key: w.key.clone(),
        tool: (*tool).to_owned(),
        evidence: evidence.to_owned(),
    })
}

/// Reads Prometheus rule groups (`groups: [{name, rules: [...]}]`), as PrometheusRule
/// objects and rule files both hold them.
pub fn rules_of_groups(groups: &[Value], evidence: &str) -> Vec<AlertRule> {
    let mut out = Vec::new();
    for g in groups {
        let group = s(g, &["name"]).unwrap_or_default().to_owned();
        for r in arr(g.get("rules")) {
            let (kind, name) = match (s(r, &["alert"]), s(r, &["record"])) {
                (Some(a), _) => ("alert", a),
                (None, Some(rec)) => ("record", rec),
                _ => continue,
            };
            let labels = string_map(r.get("labels"));
            let annotations = string_map(r.get("annotations"));
            out.push(AlertRule {
                group: group.clone(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                expr: r.get("expr").and_then(scalar_string).unwrap_or_default(),
                runbook_url: annotations
                    .get("runbook_url")
                    .or_else(|| annotations.get("runbook"))
                    .cloned(),
                service_hint: ["service", "app", "job"]
                    .iter()
                    .find_map(|k| labels.get(*k).cloned()),
                labels,
                evidence: evidence.to_owned(),
            });
        }
    }
    out
}

/// Connects Services, PDBs, autoscalers and progressive delivery to the workloads they
/// act on: same namespace, real selector semantics.
fn link(facts: &mut ClusterFacts, flagger_targets: &[String]) {
    // Services by namespace, once: a cluster has thousands of each, and matching every
    // workload against every Service of every namespace is quadratic.
    let mut services_in: BTreeMap<&str, Vec<&KubeService>> = BTreeMap::new();
    for svc in facts.services.values() {
        if let Some(ns) = svc
            .key
            .strip_prefix("Service/")
            .and_then(|rest| rest.split('/').next())
        {
            services_in.entry(ns).or_default().push(svc);
        }
    }
    let mut hpas_of: BTreeMap<&str, Vec<&Hpa>> = BTreeMap::new();
    for h in facts.hpas.values() {
        hpas_of.entry(h.target.as_str()).or_default().push(h);
    }
    for w in facts.workloads.values_mut() {
        w.selected_by_services = services_in
            .get(w.namespace.as_str())
            .into_iter()
            .flatten()
            .filter(|svc| service_selects(&svc.selector, &w.pod_labels))
            .map(|svc| svc.key.clone())
            .collect();
        // Declarations kept under `Kind/ns/name#2` are still that object for targets.
        let object_key = format!("{}/{}/{}", w.kind, w.namespace, w.name);
        let scalers = hpas_of
            .get(object_key.as_str())
            .map_or(&[][..], Vec::as_slice);
        w.hpas = scalers.iter().map(|h| h.key.clone()).collect();
        w.min_replicas = scalers.iter().map(|h| h.min_replicas).min();
        if flagger_targets.contains(&object_key) {
            w.progressive_delivery = Some("flagger".into());
        }
    }
}

/// Matches PDBs to workloads with `LabelSelector` semantics (an empty selector covers
/// every pod of the namespace, an absent one none).
/// A PDB's key, namespace and selector.
type PdbSelector = (String, String, Option<Value>);

fn link_pdbs(facts: &mut ClusterFacts, pdb_selectors: &[PdbSelector]) {
    let mut by_namespace: BTreeMap<&str, Vec<&PdbSelector>> = BTreeMap::new();
    for p in pdb_selectors {
        by_namespace.entry(p.1.as_str()).or_default().push(p);
    }
    for w in facts.workloads.values_mut() {
        w.pdbs = by_namespace
            .get(w.namespace.as_str())
            .into_iter()
            .flatten()
            .filter(|(_, _, sel)| label_selector_matches(sel.as_ref(), &w.pod_labels))
            .map(|(key, _, _)| key.clone())
            .collect();
        w.pdbs.sort();
    }
}
