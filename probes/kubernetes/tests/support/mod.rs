//! A Kubernetes API server for tests, on 127.0.0.1, and the cluster it serves.
//!
//! No kube-apiserver can run here, so this serves the API's shapes field for field:
//! legacy and aggregated discovery (`/api`, `/apis`, `/apis/<g>/<v>`), lists with
//! `metadata.resourceVersion`, `continue` and `remainingItemCount`, metadata-only lists
//! (`PartialObjectMetadataList`), and the failures a real server gives: `403` and `410`
//! with a `Status` body, a `500` once, an answer slower than the client waits.
//! Objects come from the Online Boutique release manifests, turned into what a cluster
//! holds (uid, resourceVersion, ownerReferences, managedFields, status, ReplicaSets and
//! Pods), plus hand-made cases.

#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CANARY: &str = "evident-canary-k8s-5e1d";

/// A resource type the server serves.
#[derive(Debug, Clone)]
pub struct Res {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

pub const RESOURCES: &[Res] = &[
    res("", "v1", "Pod", "pods", true),
    res("", "v1", "Service", "services", true),
    res("", "v1", "ConfigMap", "configmaps", true),
    res("", "v1", "Secret", "secrets", true),
    res("", "v1", "ServiceAccount", "serviceaccounts", true),
    res("", "v1", "Namespace", "namespaces", false),
    res("apps", "v1", "Deployment", "deployments", true),
    res("apps", "v1", "ReplicaSet", "replicasets", true),
    res("apps", "v1", "StatefulSet", "statefulsets", true),
    res("apps", "v1", "DaemonSet", "daemonsets", true),
    res("batch", "v1", "Job", "jobs", true),
    res("batch", "v1", "CronJob", "cronjobs", true),
    res(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    res(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    res("networking.k8s.io", "v1", "Ingress", "ingresses", true),
    res(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        true,
    ),
    res("argoproj.io", "v1alpha1", "Rollout", "rollouts", true),
];

const fn res(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> Res {
    Res {
        group,
        version,
        kind,
        plural,
        namespaced,
    }
}

fn res_of_kind(kind: &str) -> Option<&'static Res> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub accept: String,
    pub status: u16,
}

/// One way an API server (or a proxy in front of it) answers badly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Sleeps `slow_for`, then answers normally.
    Slow,
    /// 500 with a `Status` body, every time.
    Internal,
    /// 502 with an HTML body, as a load balancer gives it.
    BadGatewayHtml,
    /// 429, with `Retry-After` seconds when given.
    TooManyRequests(Option<u64>),
    /// 401 with a `Status` body.
    Unauthorized,
    /// 403 with a `Status` body.
    Forbidden,
    /// 200 with the list cut in the middle.
    TruncatedJson,
    /// 200 with a `Status` failure as the body.
    ErrorEnvelope,
    /// 200 with valid JSON of the wrong shape (`items` is a string).
    WrongShape,
    /// 200 with the list padded to this many bytes (a huge annotation on every item).
    Huge(usize),
    /// Every page carries a continue token.
    Endless,
}

/// What the server serves and how it misbehaves.
#[derive(Debug, Default)]
pub struct State {
    /// Objects by plural, with kind and apiVersion (stripped from list items on the wire).
    pub objects: BTreeMap<String, Vec<Value>>,
    pub aggregated: bool,
    pub forbidden: HashSet<String>,
    pub fail_once: Mutex<HashSet<String>>,
    pub expire_once: Mutex<HashSet<String>>,
    pub slow: HashSet<String>,
    pub slow_for: Duration,
    /// Plurals always answered 429, with this Retry-After (seconds) when given.
    pub rate_limited: BTreeMap<String, Option<u64>>,
    /// Plurals whose every page carries a continue token: a list that never ends.
    pub endless: HashSet<String>,
    /// Faults by plural, or `*` for every request (discovery included).
    pub faults: BTreeMap<String, Fault>,
    /// Echoes the request's Authorization header back, as a careless proxy does: in an
    /// `ETag` and an `X-Echo` header of every answer and in the message of every 403.
    pub echo_authorization: bool,
    pub seen: Mutex<Vec<Seen>>,
}

impl State {
    /// A server state holding these objects.
    pub fn new(objects: &[Value]) -> Self {
        let mut by_plural: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for o in objects {
            let kind = o["kind"].as_str().unwrap_or_default();
            if let Some(r) = res_of_kind(kind) {
                by_plural
                    .entry(r.plural.to_owned())
                    .or_default()
                    .push(o.clone());
            }
        }
        Self {
            objects: by_plural,
            aggregated: true,
            slow_for: Duration::from_secs(30),
            ..Self::default()
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Starts the server; it runs until the test's runtime ends.
pub async fn start(state: Arc<State>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(Arc::clone(&state), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A kube client config for the server.
pub fn config(addr: SocketAddr) -> kube::Config {
    kube::Config::new(format!("http://{addr}").parse().expect("url"))
}

/// The answer a fault gives in place of the real one (`None`: the fault changes the
/// real answer instead, or only delays it).
async fn faulty(state: &State, fault: Fault) -> Option<Response<Full<Bytes>>> {
    let raw = |status: u16, content_type: &str, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
        if let Ok(v) = content_type.parse() {
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
        r
    };
    match fault {
        Fault::Slow => {
            tokio::time::sleep(state.slow_for).await;
            None
        }
        Fault::Internal => Some(respond(
            500,
            "application/json",
            &status_body(500, "InternalError", "Internal error occurred: etcdserver: leader changed", json!({})),
        )),
        Fault::BadGatewayHtml => Some(raw(
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into(),
        )),
        Fault::TooManyRequests(wait) => {
            let mut r = respond(
                429,
                "application/json",
                &status_body(429, "TooManyRequests", "Too many requests, please try again later.", json!({"retryAfterSeconds": wait.unwrap_or(0)})),
            );
            if let Some(w) = wait
                && let Ok(v) = hyper::header::HeaderValue::from_str(&w.to_string())
            {
                r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
            }
            Some(r)
        }
        Fault::Unauthorized => Some(respond(
            401,
            "application/json",
            &status_body(401, "Unauthorized", "Unauthorized", json!({})),
        )),
        Fault::Forbidden => Some(respond(
            403,
            "application/json",
            &status_body(403, "Forbidden", "forbidden: User \"system:anonymous\" cannot list this resource", json!({})),
        )),
        Fault::TruncatedJson => Some(raw(
            200,
            "application/json",
            r#"{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"cut"#.into(),
        )),
        Fault::ErrorEnvelope => Some(respond(
            200,
            "application/json",
            &status_body(500, "InternalError", "an error wrapped in a 200", json!({})),
        )),
        Fault::WrongShape => Some(respond(
            200,
            "application/json",
            &json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": "oops"}),
        )),
        Fault::Huge(_) | Fault::Endless => None,
    }
}

fn respond(status: u16, content_type: &str, body: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn status_body(code: u16, reason: &str, message: &str, details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "details": details, "code": code})
}

fn verbs() -> Value {
    json!([
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch"
    ])
}

fn groups() -> Vec<&'static str> {
    let mut g: Vec<&'static str> = RESOURCES
        .iter()
        .map(|r| r.group)
        .filter(|g| !g.is_empty())
        .collect();
    g.dedup();
    g.sort_unstable();
    g.dedup();
    g
}

fn aggregated_group(group: &str) -> Value {
    let version = RESOURCES
        .iter()
        .find(|r| r.group == group)
        .map_or("v1", |r| r.version);
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group)
        .map(|r| {
            json!({"resource": r.plural,
                   "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                   "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                   "singularResource": r.kind.to_lowercase(), "verbs": verbs()})
        })
        .collect();
    let mut meta = json!({"creationTimestamp": null});
    if !group.is_empty() {
        meta["name"] = json!(group);
    }
    json!({"metadata": meta, "versions": [{"version": version, "resources": resources, "freshness": "Current"}]})
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = req.into_body().collect().await;
    let mut response = route(&state, &method, &path, &query, &accept).await;
    if state.echo_authorization && !authorization.is_empty() {
        if response.status() == hyper::StatusCode::FORBIDDEN {
            let message = format!("forbidden: {authorization} cannot list this resource");
            response = respond(
                403,
                "application/json",
                &status_body(403, "Forbidden", &message, json!({})),
            );
        }
        if let Ok(v) = hyper::header::HeaderValue::from_str(&authorization) {
            response
                .headers_mut()
                .insert(hyper::header::ETAG, v.clone());
            response.headers_mut().insert("x-echo", v);
        }
    }
    if let Ok(mut seen) = state.seen.lock() {
        seen.push(Seen {
            method,
            path,
            query,
            accept,
            status: response.status().as_u16(),
        });
    }
    Ok(response)
}

async fn route(
    state: &State,
    method: &str,
    path: &str,
    query: &str,
    accept: &str,
) -> Response<Full<Bytes>> {
    if method != "GET" {
        return respond(
            405,
            "application/json",
            &status_body(405, "MethodNotAllowed", "read-only test server", json!({})),
        );
    }
    let wants_aggregated = state.aggregated && accept.contains("as=APIGroupDiscoveryList");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let Some(fault) = state.faults.get("*")
        && let Some(r) = faulty(state, *fault).await
    {
        return r;
    }
    if path == "/__requests" {
        let n = state.seen.lock().map(|s| s.len()).unwrap_or(0);
        return respond(200, "application/json", &json!({"requests": n}));
    }
    match parts.as_slice() {
        ["api"] if wants_aggregated => respond(
            200,
            AGGREGATED,
            &json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": [aggregated_group("")]}),
        ),
        ["api"] => respond(
            200,
            "application/json",
            &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]}),
        ),
        ["apis"] if wants_aggregated => respond(
            200,
            AGGREGATED,
            &json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                    "items": groups().into_iter().map(aggregated_group).collect::<Vec<_>>()}),
        ),
        ["apis"] => {
            let list: Vec<Value> = groups()
                .into_iter()
                .map(|g| {
                    let v = RESOURCES
                        .iter()
                        .find(|r| r.group == g)
                        .map_or("v1", |r| r.version);
                    let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
                    json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
                })
                .collect();
            respond(
                200,
                "application/json",
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list}),
            )
        }
        ["api", "v1"] => resource_list("", "v1"),
        ["apis", g, v] => resource_list(g, v),
        ["api", "v1", plural] => list(state, "", "v1", plural, query, accept).await,
        ["apis", g, v, plural] => list(state, g, v, plural, query, accept).await,
        _ => respond(
            404,
            "application/json",
            &status_body(
                404,
                "NotFound",
                "the server could not find the requested resource",
                json!({}),
            ),
        ),
    }
}

fn resource_list(group: &str, version: &str) -> Response<Full<Bytes>> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            json!({"name": r.plural, "singularName": r.kind.to_lowercase(), "namespaced": r.namespaced,
                   "kind": r.kind, "verbs": verbs()})
        })
        .collect();
    if resources.is_empty() {
        return respond(
            404,
            "application/json",
            &status_body(
                404,
                "NotFound",
                "the server could not find the requested resource",
                json!({}),
            ),
        );
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    respond(
        200,
        "application/json",
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

fn param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

async fn list(
    state: &State,
    group: &str,
    version: &str,
    plural: &str,
    query: &str,
    accept: &str,
) -> Response<Full<Bytes>> {
    let Some(r) = RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
    else {
        return respond(
            404,
            "application/json",
            &status_body(
                404,
                "NotFound",
                "the server could not find the requested resource",
                json!({}),
            ),
        );
    };
    if state.forbidden.contains(plural) {
        let message = format!(
            "{plural} is forbidden: User \"system:serviceaccount:evident:evident\" cannot list resource \"{plural}\" in API group \"{group}\" at the cluster scope"
        );
        return respond(
            403,
            "application/json",
            &status_body(
                403,
                "Forbidden",
                &message,
                json!({"group": group, "kind": plural}),
            ),
        );
    }
    if state.slow.contains(plural) {
        tokio::time::sleep(state.slow_for).await;
    }
    if let Some(fault) = state.faults.get(plural)
        && let Some(r) = faulty(state, *fault).await
    {
        return r;
    }
    if let Some(wait) = state.rate_limited.get(plural) {
        let mut response = respond(
            429,
            "application/json",
            &status_body(
                429,
                "TooManyRequests",
                "Too many requests, please try again later.",
                json!({"retryAfterSeconds": wait.unwrap_or(0)}),
            ),
        );
        if let Some(w) = wait
            && let Ok(v) = hyper::header::HeaderValue::from_str(&w.to_string())
        {
            response.headers_mut().insert(hyper::header::RETRY_AFTER, v);
        }
        return response;
    }
    if state.fail_once.lock().is_ok_and(|mut s| s.remove(plural)) {
        return respond(
            500,
            "application/json",
            &status_body(
                500,
                "InternalError",
                "Internal error occurred: etcdserver: request timed out",
                json!({"causes": [{"message": "etcdserver: request timed out"}]}),
            ),
        );
    }
    let continue_token = param(query, "continue");
    if continue_token.is_some() && state.expire_once.lock().is_ok_and(|mut s| s.remove(plural)) {
        return respond(
            410,
            "application/json",
            &status_body(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                json!({}),
            ),
        );
    }
    let all: &[Value] = state.objects.get(plural).map_or(&[], Vec::as_slice);
    let offset: usize = continue_token
        .and_then(|t| t.strip_prefix("c"))
        .and_then(|n| n.split('r').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let limit: usize = param(query, "limit")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(all.len());
    let metadata_only = accept.contains("as=PartialObjectMetadataList");
    let mut items: Vec<Value> = all[offset.min(all.len())..end]
        .iter()
        .map(|o| {
            if metadata_only {
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]})
            } else {
                let mut o = o.clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
                o
            }
        })
        .collect();
    if let Some(Fault::Huge(bytes)) = state.faults.get(plural).or(state.faults.get("*")) {
        // Large managedFields, as real objects carry: the probe keeps only manager and
        // operation of each entry.
        let each = bytes / items.len().max(1);
        let pad = "f".repeat(each);
        for item in &mut items {
            item["metadata"]["managedFields"] =
                json!([{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:pad": pad}}]);
        }
    }
    let mut meta = json!({"resourceVersion": "90210"});
    if end < all.len() {
        meta["continue"] = json!(format!("c{end}"));
        meta["remainingItemCount"] = json!(all.len() - end);
    } else if state.endless.contains(plural)
        || state.faults.get(plural).or(state.faults.get("*")) == Some(&Fault::Endless)
    {
        // The same page again and again, under a new continue token each time: a list
        // that never runs out.
        let n = state.seen.lock().map(|s| s.len()).unwrap_or(0);
        meta["continue"] = json!(format!("c{offset}r{n}"));
    }
    let (kind, api_version) = if metadata_only {
        (
            "PartialObjectMetadataList".to_owned(),
            "meta.k8s.io/v1".to_owned(),
        )
    } else {
        (
            format!("{}List", r.kind),
            if group.is_empty() {
                version.to_owned()
            } else {
                format!("{group}/{version}")
            },
        )
    };
    respond(
        200,
        "application/json",
        &json!({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items}),
    )
}

// ------------------------------------------------------------------ the cluster

struct Maker {
    n: u64,
}

impl Maker {
    fn stamp(&mut self, obj: &mut Value, manager: &str) {
        self.n += 1;
        let n = self.n;
        let is_namespace = obj["kind"] == "Namespace";
        let api_version = obj["apiVersion"].clone();
        let meta = &mut obj["metadata"];
        if meta.get("namespace").is_none() && !is_namespace {
            meta["namespace"] = json!("default");
        }
        meta["uid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
        meta["resourceVersion"] = json!(format!("{}", 1000 + n));
        meta["creationTimestamp"] = json!("2026-11-01T10:00:00Z");
        meta["generation"] = json!(1);
        meta["managedFields"] = json!([
            {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": "2026-11-01T10:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {}}},
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": api_version, "time": "2026-11-01T10:00:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}, "subresource": "status"}
        ]);
    }
}

fn owner(of: &Value) -> Value {
    json!([{"apiVersion": of["apiVersion"], "kind": of["kind"], "name": of["metadata"]["name"],
            "uid": of["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}])
}

/// Pods of a pod template, owned by `owner_obj`.
fn pods(
    m: &mut Maker,
    owner_obj: &Value,
    template: &Value,
    count: i64,
    restarts: i64,
    ready: i64,
) -> Vec<Value> {
    let base = owner_obj["metadata"]["name"]
        .as_str()
        .unwrap_or("x")
        .to_owned();
    (0..count)
        .map(|i| {
            let mut labels = template["metadata"]["labels"].clone();
            if labels.is_null() {
                labels = json!({});
            }
            let names: Vec<Value> = template["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| json!({"name": c["name"], "ready": i < ready, "restartCount": restarts, "image": c["image"], "started": true,
                               "state": {"running": {"startedAt": "2026-11-01T10:01:00Z"}}}))
                .collect();
            let mut pod = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{base}-{i:05x}"), "namespace": owner_obj["metadata"]["namespace"],
                             "labels": labels, "ownerReferences": owner(owner_obj)},
                "spec": template["spec"].clone(),
                "status": {"phase": "Running", "hostIP": "10.0.0.5", "podIP": format!("10.4.0.{}", i % 250),
                           "conditions": [{"type": "Ready", "status": if i < ready { "True" } else { "False" }}],
                           "containerStatuses": names}
            });
            m.stamp(&mut pod, "kubelet");
            pod
        })
        .collect()
}

/// A Deployment (or Rollout) with its ReplicaSet and pods, as a cluster holds them.
fn with_replicas(
    m: &mut Maker,
    mut d: Value,
    manager: &str,
    restarts: i64,
    not_ready: i64,
) -> Vec<Value> {
    m.stamp(&mut d, manager);
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let ready = replicas - not_ready;
    d["status"] = json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                         "readyReplicas": ready, "availableReplicas": ready,
                         "conditions": [{"type": "Available", "status": if not_ready == 0 { "True" } else { "False" }}]});
    let name = d["metadata"]["name"].as_str().unwrap_or("x").to_owned();
    let mut template = d["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!("7d4b9c");
    let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{name}-7d4b9c"), "namespace": d["metadata"]["namespace"],
                     "labels": template["metadata"]["labels"], "ownerReferences": owner(&d)},
        "spec": {"replicas": replicas, "selector": d["spec"]["selector"], "template": template},
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}});
    m.stamp(&mut rs, "kube-controller-manager");
    let mut out = pods(m, &rs, &template, replicas, restarts, ready);
    out.insert(0, rs);
    out.insert(0, d);
    out
}

fn container(name: &str, image: &str, probes: bool) -> Value {
    let mut c = json!({"name": name, "image": image, "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                       "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}});
    if probes {
        c["readinessProbe"] = json!({"httpGet": {"path": "/healthz", "port": 8080}});
        c["livenessProbe"] = json!({"httpGet": {"path": "/healthz", "port": 8080}});
    }
    c
}

fn deployment(ns: &str, name: &str, replicas: i64, containers: Value, annotations: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                                 "spec": {"containers": containers}}}})
}

/// The Online Boutique release manifests as a cluster holds them, plus hand-made cases.
pub fn cluster() -> Vec<Value> {
    let manifests = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/online-boutique/release/kubernetes-manifests.yaml"
    );
    let text =
        std::fs::read_to_string(manifests).expect("online boutique manifests (../shared/corpus)");
    let mut m = Maker { n: 0 };
    let mut out: Vec<Value> = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let Ok(v) = <Value as serde::Deserialize>::deserialize(doc) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        match v["kind"].as_str() {
            Some("Deployment") => {
                let name = v["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let (restarts, not_ready) = match name.as_str() {
                    "cartservice" => (7, 1),
                    "frontend" => (2, 0),
                    _ => (0, 0),
                };
                let mut d = v.clone();
                if d["spec"]["replicas"].is_null() {
                    d["spec"]["replicas"] = json!(if name == "cartservice" { 2 } else { 1 });
                }
                out.extend(with_replicas(
                    &mut m,
                    d,
                    "kubectl-client-side-apply",
                    restarts,
                    not_ready,
                ));
            }
            _ => {
                let mut o = v.clone();
                m.stamp(&mut o, "kubectl-client-side-apply");
                if o["kind"] == "Service" {
                    o["spec"]["clusterIP"] = json!("10.96.0.10");
                    o["status"] = json!({"loadBalancer": {}});
                }
                out.push(o);
            }
        }
    }
    // Namespaces.
    for ns in ["default", "shop", "istio-system", "logging"] {
        let mut n = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        m.stamp(&mut n, "kube-apiserver");
        out.push(n);
    }
    // A mesh-injected app: istio-proxy beside the app container; env value is a canary.
    let mut app = container("app", "ghcr.io/acme/payments:2.3.1", true);
    app["env"] =
        json!([{"name": "API_TOKEN", "value": CANARY}, {"name": "PEER", "value": "10.1.2.3:9000"}]);
    let payments = deployment(
        "shop",
        "payments",
        3,
        json!([
            app,
            container("istio-proxy", "docker.io/istio/proxyv2:1.24.0", false)
        ]),
        json!({"sidecar.istio.io/status": "{\"containers\":[\"istio-proxy\"]}"}),
    );
    out.extend(with_replicas(&mut m, payments, "argocd-controller", 1, 0));
    // A gateway whose only container is the proxy: the proxy is its app.
    let gw = deployment(
        "istio-system",
        "istio-ingressgateway",
        2,
        json!([container(
            "istio-proxy",
            "docker.io/istio/proxyv2:1.24.0",
            false
        )]),
        json!({}),
    );
    out.extend(with_replicas(&mut m, gw, "helm", 0, 0));
    let istiod = deployment(
        "istio-system",
        "istiod",
        1,
        json!([container("discovery", "docker.io/istio/pilot:1.24.0", true)]),
        json!({}),
    );
    out.extend(with_replicas(&mut m, istiod, "helm", 0, 0));
    // An Argo Rollout with its ReplicaSet and pods.
    let mut rollout = deployment(
        "shop",
        "checkout",
        2,
        json!([container(
            "app",
            "ghcr.io/acme/checkout@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            true
        )]),
        json!({}),
    );
    rollout["apiVersion"] = json!("argoproj.io/v1alpha1");
    rollout["kind"] = json!("Rollout");
    rollout["spec"]["strategy"] =
        json!({"canary": {"maxUnavailable": 0, "steps": [{"setWeight": 20}, {"pause": {}}]}});
    out.extend(with_replicas(&mut m, rollout, "argocd-controller", 0, 0));
    // A bare pod.
    let mut bare = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop", "labels": {"app": "debug"}},
        "spec": {"containers": [{"name": "sh", "image": "busybox:1.36", "command": ["sleep", "infinity"]}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "sh", "restartCount": 3}]}});
    m.stamp(&mut bare, "kubectl-run");
    out.push(bare);
    // A Job with its pod; a CronJob with a Job and pod.
    let mut job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"job-name": "migrate"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "flyway/flyway:10.0.0"}]}}},
        "status": {"succeeded": 1}});
    m.stamp(&mut job, "kubectl-client-side-apply");
    let job_pods = pods(&mut m, &job, &job["spec"]["template"].clone(), 1, 0, 0);
    out.push(job);
    out.extend(job_pods);
    let mut cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "shop"},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "r", "image": "ghcr.io/acme/report:1.0.0"}]}}}}},
        "status": {}});
    m.stamp(&mut cron, "helm");
    let mut cron_job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report-29000000", "namespace": "shop", "ownerReferences": owner(&cron)},
        "spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "r", "image": "ghcr.io/acme/report:1.0.0"}]}}}, "status": {"succeeded": 1}});
    m.stamp(&mut cron_job, "kube-controller-manager");
    let cron_pods = pods(
        &mut m,
        &cron_job,
        &cron_job["spec"]["template"].clone(),
        1,
        1,
        0,
    );
    out.push(cron);
    out.push(cron_job);
    out.extend(cron_pods);
    // A log shipper on every node.
    let mut fb = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "fluent-bit", "namespace": "logging", "labels": {"app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/managed-by": "Helm"}},
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "fluent-bit"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "fluent-bit"}}, "spec": {"containers": [container("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", true)]}}},
        "status": {"desiredNumberScheduled": 3, "numberReady": 3, "numberAvailable": 3, "updatedNumberScheduled": 3}});
    m.stamp(&mut fb, "helm");
    let fb_pods = pods(&mut m, &fb, &fb["spec"]["template"].clone(), 3, 0, 3);
    out.push(fb);
    out.extend(fb_pods);
    // A PDB with matchExpressions, an HPA, a Secret and a ConfigMap holding canaries.
    let mut pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "payments", "namespace": "shop"},
        "spec": {"minAvailable": 2, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["payments", "checkout"]}]}},
        "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3}});
    m.stamp(&mut pdb, "argocd-controller");
    out.push(pdb);
    let mut hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "payments", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "payments"}, "minReplicas": 3, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3}});
    m.stamp(&mut hpa, "argocd-controller");
    out.push(hpa);
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "payments-db", "namespace": "shop"}, "type": "Opaque",
        "data": {"password": "ZXZpZGVudC1jYW5hcnk="}, "stringData": {"token": CANARY}});
    m.stamp(&mut secret, "kubectl-client-side-apply");
    out.push(secret);
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "payments-config", "namespace": "shop",
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"data\":{{\"DB_PASSWORD\":\"{CANARY}\"}}}}")}},
        "data": {"DB_PASSWORD": CANARY, "LOG_LEVEL": "info"}});
    m.stamp(&mut cm, "kubectl-client-side-apply");
    out.push(cm);
    out
}

/// The objects as `kubectl get ... -A -o json` writes them: one List.
pub fn dump(objects: &[Value]) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": objects})
}

/// A synthetic cluster for the benchmark: `workloads` Deployments of `pods_per` pods each.
pub fn synthetic(workloads: usize, pods_per: usize) -> Vec<Value> {
    let mut m = Maker { n: 0 };
    let mut out = Vec::new();
    for i in 0..workloads {
        let ns = format!("team-{:03}", i % 200);
        let name = format!("svc-{i:05}");
        let mut app = container("app", &format!("ghcr.io/acme/{name}:1.{i}.0"), i % 3 != 0);
        app["env"] = json!([{"name": "PORT", "value": "8080"}, {"name": "DB_URL", "value": "postgres://db:5432/app"}]);
        let mut d = deployment(&ns, &name, pods_per as i64, json!([app]), json!({}));
        d["metadata"]["labels"]["app.kubernetes.io/managed-by"] = json!("Helm");
        out.extend(with_replicas(&mut m, d, "helm", (i % 4) as i64, 0));
        let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}});
        m.stamp(&mut svc, "helm");
        out.push(svc);
    }
    out
}
