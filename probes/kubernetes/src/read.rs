//! Reading a live cluster: discovery, then paginated lists, read-only.
//!
//! Every request is a GET (discovery, `list`, metadata-only `list`); the client holds no
//! code path that writes. Lists are paginated (`limit` + `continue`) so memory stays
//! bounded by one page plus the reduced objects; an expired continue token (410 Gone)
//! restarts that list from the beginning, as the API asks; 5xx and 429 answers are retried
//! with backoff; a 403 on one resource type is recorded as a gap for that type only.

use crate::ingest::{Ingest, Ingested, Keep, ingest};
use evident_core::SourceStatus;
use evident_kube_facts::OwnedPod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::Client;
use kube::api::ListParams;
use kube::core::Request;
use kube::discovery::{Discovery, verbs};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::time::Duration;

/// Bounds of one cluster read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Items per list page (`limit`).
    pub page_size: u32,
    /// Longest one request may take before the resource counts as timed out.
    pub request_timeout: Duration,
    /// Retries of a request answered 5xx / 429 or not answered at all.
    pub retries: u32,
    /// First backoff between retries (doubled each time).
    pub backoff: Duration,
    /// How often a list is restarted after its continue token expired (410 Gone).
    pub max_list_restarts: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            page_size: 500,
            request_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_list_restarts: 3,
        }
    }
}

/// A resource type the probe reads, when the cluster serves it.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Plural resource name, as RBAC and URLs name it.
    pub plural: &'static str,
    /// How much of each object is kept.
    pub keep: Keep,
}

const fn full(group: &'static str, plural: &'static str) -> Wanted {
    Wanted {
        group,
        plural,
        keep: Keep::Full,
    }
}

const fn meta(group: &'static str, plural: &'static str) -> Wanted {
    Wanted {
        group,
        plural,
        keep: Keep::Metadata,
    }
}

/// Every resource type the probe may read. `rbac.yaml` grants exactly these (a test
/// checks it); Secrets are not among them.
pub const WANTED: &[Wanted] = &[
    full("apps", "deployments"),
    full("apps", "statefulsets"),
    full("apps", "daemonsets"),
    full("apps", "replicasets"),
    full("", "pods"),
    full("batch", "jobs"),
    full("batch", "cronjobs"),
    full("", "services"),
    full("policy", "poddisruptionbudgets"),
    full("autoscaling", "horizontalpodautoscalers"),
    full("networking.k8s.io", "ingresses"),
    Wanted {
        group: "",
        plural: "configmaps",
        keep: Keep::Keys,
    },
    meta("", "namespaces"),
    meta("discovery.k8s.io", "endpointslices"),
    full("argoproj.io", "rollouts"),
    meta("argoproj.io", "applications"),
    meta("kustomize.toolkit.fluxcd.io", "kustomizations"),
    meta("helm.toolkit.fluxcd.io", "helmreleases"),
    full("monitoring.coreos.com", "prometheusrules"),
    meta("monitoring.coreos.com", "servicemonitors"),
    meta("monitoring.coreos.com", "podmonitors"),
    meta("monitoring.coreos.com", "probes"),
    full("keda.sh", "scaledobjects"),
    full("autoscaling.k8s.io", "verticalpodautoscalers"),
    full("flagger.app", "canaries"),
    meta("networking.istio.io", "virtualservices"),
    meta("networking.istio.io", "destinationrules"),
    meta("security.istio.io", "peerauthentications"),
    meta("policy.linkerd.io", "servers"),
];

/// How reading one resource type ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Listed completely.
    Read {
        /// Items listed.
        items: usize,
        /// Pages fetched (including those of restarted lists).
        pages: u32,
        /// Restarts after an expired continue token.
        restarts: u32,
    },
    /// The cluster does not serve this resource (its CRD is not installed).
    NotServed,
    /// The list could not be completed; nothing of it is used.
    Failed {
        /// forbidden, timeout, error, rate_limited.
        status: SourceStatus,
        /// What the API said, for people.
        detail: String,
    },
}

/// One resource type and how reading it went.
#[derive(Debug, Clone)]
pub struct ResourceRead {
    /// API group.
    pub group: String,
    /// Plural name.
    pub plural: String,
    /// How it went.
    pub outcome: Outcome,
}

/// Everything read from one cluster.
#[derive(Debug, Default)]
pub struct ClusterRead {
    /// Objects, reduced.
    pub objects: Vec<Ingested>,
    /// Pods controllers own, reduced to owner, restarts and readiness.
    pub owned_pods: Vec<OwnedPod>,
    /// One entry per wanted resource type.
    pub resources: Vec<ResourceRead>,
    /// `aggregated` or `legacy` discovery.
    pub discovery: String,
    /// The API path each kept object can be re-read at, by locator.
    pub api_paths: std::collections::HashMap<String, String>,
}

/// Why a cluster could not be read at all.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct ClusterError {
    /// Source status to report.
    pub status: SourceStatus,
    /// What went wrong.
    pub detail: String,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Option<Vec<Box<RawValue>>>,
}

enum Failure {
    Gone,
    NotFound,
    Fatal(SourceStatus, String),
}

fn classify(error: &kube::Error) -> (Failure, bool) {
    match error {
        kube::Error::Api(status) => {
            let what = if status.message.is_empty() {
                status.reason.clone()
            } else {
                status.message.clone()
            };
            let detail = format!("{} {}", status.code, what);
            match status.code {
                401 | 403 => (Failure::Fatal(SourceStatus::Forbidden, detail), false),
                404 => (Failure::NotFound, false),
                410 => (Failure::Gone, false),
                429 => (Failure::Fatal(SourceStatus::RateLimited, detail), true),
                500..=599 => (Failure::Fatal(SourceStatus::Error, detail), true),
                _ => (Failure::Fatal(SourceStatus::Error, detail), false),
            }
        }
        kube::Error::SerdeError(e) => (
            Failure::Fatal(
                SourceStatus::Error,
                format!("the answer is not a Kubernetes list: {e}"),
            ),
            false,
        ),
        other => {
            let text = other.to_string();
            let status = if text.contains("timed out") || text.contains("Timeout") {
                SourceStatus::Timeout
            } else {
                SourceStatus::Error
            };
            let retry = status == SourceStatus::Error;
            (Failure::Fatal(status, text), retry)
        }
    }
}

/// One GET with retries and a time bound. `build` makes the request anew for each try.
async fn fetch<T: serde::de::DeserializeOwned>(
    client: &Client,
    options: &ReadOptions,
    build: impl Fn() -> Result<http::Request<Vec<u8>>, kube::core::request::Error>,
) -> Result<T, Failure> {
    let mut attempt = 0;
    loop {
        let request = build().map_err(|e| {
            Failure::Fatal(SourceStatus::Error, format!("could not build request: {e}"))
        })?;
        let answer = tokio::time::timeout(options.request_timeout, client.request::<T>(request))
            .await
            .map_err(|_| {
                Failure::Fatal(
                    SourceStatus::Timeout,
                    format!(
                        "no answer within {}s",
                        options.request_timeout.as_secs_f32()
                    ),
                )
            })?;
        match answer {
            Ok(v) => return Ok(v),
            Err(e) => {
                let (failure, retry) = classify(&e);
                if !retry || attempt >= options.retries {
                    return Err(failure);
                }
                tracing::debug!(attempt, "retrying after: {e}");
                tokio::time::sleep(options.backoff * 2u32.saturating_pow(attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// The groups discovery is asked about (all others are skipped).
fn wanted_groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = WANTED.iter().map(|w| w.group).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
}

async fn discover(
    client: &Client,
    options: &ReadOptions,
) -> Result<(Discovery, String), ClusterError> {
    let groups = wanted_groups();
    let bound = options.request_timeout * 2;
    let aggregated = tokio::time::timeout(
        bound,
        Discovery::new(client.clone())
            .filter(&groups)
            .run_aggregated(),
    )
    .await;
    match aggregated {
        // A server without aggregated discovery answers the plain APIGroupList, which
        // parses as an empty discovery list: only a result with the core group counts.
        Ok(Ok(d)) if d.has_group("") => return Ok((d, "aggregated".into())),
        Ok(Ok(_)) => tracing::debug!("no aggregated discovery; using per-group discovery"),
        Ok(Err(e)) => {
            if let (Failure::Fatal(SourceStatus::Forbidden, detail), _) = classify(&e) {
                return Err(ClusterError {
                    status: SourceStatus::Forbidden,
                    detail: format!("API discovery refused: {detail}"),
                });
            }
            tracing::debug!("aggregated discovery unavailable ({e}); using per-group discovery");
        }
        Err(_) => tracing::debug!("aggregated discovery timed out; using per-group discovery"),
    }
    match tokio::time::timeout(bound, Discovery::new(client.clone()).filter(&groups).run()).await {
        Ok(Ok(d)) => Ok((d, "legacy".into())),
        Ok(Err(e)) => {
            let status = match classify(&e).0 {
                Failure::Fatal(s, _) => s,
                _ => SourceStatus::Error,
            };
            Err(ClusterError {
                status,
                detail: format!("API discovery failed: {e}"),
            })
        }
        Err(_) => Err(ClusterError {
            status: SourceStatus::Timeout,
            detail: format!("API discovery did not answer within {}s", bound.as_secs()),
        }),
    }
}

/// Reads every wanted resource type the cluster serves.
pub async fn read_cluster(
    client: &Client,
    options: &ReadOptions,
) -> Result<ClusterRead, ClusterError> {
    let (discovery, mode) = discover(client, options).await?;
    let mut read = ClusterRead {
        discovery: mode,
        ..ClusterRead::default()
    };
    for wanted in WANTED {
        let served = discovery.get(wanted.group).and_then(|g| {
            g.recommended_resources().into_iter().find(|(ar, caps)| {
                ar.plural == wanted.plural && caps.supports_operation(verbs::LIST)
            })
        });
        let Some((ar, _)) = served else {
            read.resources.push(ResourceRead {
                group: wanted.group.into(),
                plural: wanted.plural.into(),
                outcome: Outcome::NotServed,
            });
            continue;
        };
        let base = if ar.group.is_empty() {
            format!("/api/{}", ar.api_version)
        } else {
            format!("/apis/{}", ar.api_version)
        };
        let path = format!("{base}/{}", ar.plural);
        let outcome = list_all(
            client,
            options,
            &path,
            &ar.api_version,
            &ar.kind,
            wanted.keep,
            &mut read,
            &base,
            &ar.plural,
        )
        .await;
        read.resources.push(ResourceRead {
            group: wanted.group.into(),
            plural: wanted.plural.into(),
            outcome,
        });
    }
    Ok(read)
}

#[allow(clippy::too_many_arguments)]
async fn list_all(
    client: &Client,
    options: &ReadOptions,
    path: &str,
    api_version: &str,
    kind: &str,
    keep: Keep,
    read: &mut ClusterRead,
    base: &str,
    plural: &str,
) -> Outcome {
    let mut restarts = 0;
    let mut pages = 0;
    'list: loop {
        let mut items: Vec<Ingested> = Vec::new();
        let mut pods: Vec<OwnedPod> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let params = ListParams {
                limit: Some(options.page_size),
                continue_token: token.clone(),
                ..ListParams::default()
            };
            let request = Request::new(path);
            let page: Result<Page, Failure> = fetch(client, options, || match keep {
                Keep::Metadata => request.list_metadata(&params),
                _ => request.list(&params),
            })
            .await;
            match page {
                Ok(page) => {
                    pages += 1;
                    for raw in page.items.unwrap_or_default() {
                        match ingest(&raw, Some(api_version), Some(kind), keep) {
                            Some(Ingest::Object(item)) => items.push(item),
                            Some(Ingest::OwnedPod(pod)) => pods.push(pod),
                            None => {}
                        }
                    }
                    token = page.metadata.continue_.filter(|t| !t.is_empty());
                    if token.is_none() {
                        break;
                    }
                }
                Err(Failure::Gone) if token.is_some() && restarts < options.max_list_restarts => {
                    tracing::debug!(path, "continue token expired; restarting the list");
                    restarts += 1;
                    continue 'list;
                }
                Err(Failure::Gone) => {
                    return Outcome::Failed {
                        status: SourceStatus::Error,
                        detail: format!(
                            "the list expired (410 Gone) {restarts} time(s) before it could be completed"
                        ),
                    };
                }
                Err(Failure::NotFound) => return Outcome::NotServed,
                Err(Failure::Fatal(status, detail)) => return Outcome::Failed { status, detail },
            }
        }
        let count = items.len() + pods.len();
        read.owned_pods.extend(pods);
        for item in &items {
            if item.cited {
                let (ns, name) = namespace_and_name(&item.object);
                let at = match ns {
                    Some(ns) => format!("{base}/namespaces/{ns}/{plural}/{name}"),
                    None => format!("{base}/{plural}/{name}"),
                };
                read.api_paths.insert(item.locator.clone(), at);
            }
        }
        read.objects.extend(items);
        return Outcome::Read {
            items: count,
            pages,
            restarts,
        };
    }
}

fn namespace_and_name(object: &serde_json::Value) -> (Option<String>, String) {
    let meta = object.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    (field("namespace"), field("name").unwrap_or_default())
}
