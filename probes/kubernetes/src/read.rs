//! Reading a live cluster: discovery, then paginated lists, read-only.
//!
//! Every request is a GET (discovery, `list`, metadata-only `list`); the client holds no
//! code path that writes. Lists are paginated (`limit` + `continue`) so memory stays
//! bounded by one page plus the reduced objects; an expired continue token (410 Gone)
//! restarts that list from the beginning, as the API asks; 5xx and 429 answers are retried
//! with backoff; a 403 on one resource type is recorded as a gap for that type only.

use crate::ingest::{Ingest, Ingested, Junk, Keep, ingest};
use evident_core::{SourceStatus, UnreadItem};
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// The most pages one list may take. A server that keeps answering with a continue
    /// token (a bug, or a proxy looping) is cut here, and the list is reported
    /// truncated: what was read is kept, and a `not_met` needs the rest.
    pub max_pages: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            page_size: 500,
            request_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_list_restarts: 3,
            // 1,000 pages of 500: half a million objects of one kind.
            max_pages: 1_000,
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
    /// Listed, completely unless `truncated`.
    Read {
        /// Items listed.
        items: usize,
        /// Pages fetched (including those of restarted lists).
        pages: u32,
        /// Restarts after an expired continue token.
        restarts: u32,
        /// The list was cut at [`ReadOptions::max_pages`] with a continue token left.
        truncated: bool,
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
    /// Items answered that are no readable object, and lists cut at their bound.
    pub unreadable: Vec<UnreadItem>,
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
    /// A replayed request that the recorded read abandoned at its time bound: reported
    /// as the timeout the probe's own bound gives.
    Abandoned,
}

/// How the probe reports a client error that came before any answer: its status and
/// detail (what the snapshot keeps of a transport failure).
pub(crate) fn classify_failure(error: &kube::Error) -> (SourceStatus, String) {
    match classify(error).0 {
        Failure::Fatal(status, detail) => (status, detail),
        Failure::Gone => (SourceStatus::Error, "410 Gone".into()),
        Failure::NotFound => (SourceStatus::Error, "404 Not Found".into()),
        Failure::Abandoned => (SourceStatus::Timeout, "no answer".into()),
    }
}

/// The detail of an answer beyond [`MAX_BODY_BYTES`].
pub(crate) fn too_large() -> String {
    format!("the answer is larger than {MAX_BODY_BYTES} bytes")
}

/// Whether a replayed request is one the recorded read abandoned at its time bound.
fn abandoned(error: &kube::Error) -> bool {
    crate::tape::tape_error(error).is_some_and(crate::tape::TapeError::abandoned)
}

/// A client error for people: a replayed failure reads as the recorded read reported
/// it (kube would wrap it as a service error of its own).
fn describe(error: &kube::Error) -> String {
    match crate::tape::tape_error(error) {
        Some(tape) => tape.message.clone(),
        None => error.to_string(),
    }
}

fn classify(error: &kube::Error) -> (Failure, bool) {
    if let Some(tape) = crate::tape::tape_error(error) {
        if tape.abandoned() {
            return (Failure::Abandoned, false);
        }
        let status = tape.status();
        return (
            Failure::Fatal(status, tape.message.clone()),
            status == SourceStatus::Error,
        );
    }
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

/// The longest a server's `Retry-After` is waited out within a read; a longer wait is
/// reported as `rate_limited` with the wait it asked for, never slept through silently.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The largest answer one request may have (bytes). A page of 500 items is a few MB;
/// a body beyond this is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// One answer as it came: status, the wait a 429 asked for, the body.
struct Answer {
    status: http::StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// `Retry-After` as seconds (the API server sends seconds; an HTTP date is read too).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now()).num_seconds();
    Some(Duration::from_secs(u64::try_from(wait).unwrap_or(0)))
}

/// Sends one request and reads its body up to [`MAX_BODY_BYTES`].
async fn send(client: &Client, request: http::Request<Vec<u8>>) -> Result<Answer, Failure> {
    use http_body_util::BodyExt as _;
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .map_err(|e| classify(&e).0)?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let mut body = response.into_body();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e).0)?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > MAX_BODY_BYTES {
                return Err(Failure::Fatal(SourceStatus::Error, too_large()));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(Answer {
        status,
        retry_after,
        body: bytes,
    })
}

/// What a non-2xx answer means: its `Status` message when the body is one (an HTML or
/// plain body is named by its status line only: it is nothing a person needs verbatim).
fn refusal(answer: &Answer) -> (Failure, Option<Duration>) {
    let code = answer.status.as_u16();
    let message = serde_json::from_slice::<kube::core::Status>(&answer.body)
        .ok()
        .map(|s| {
            if s.message.is_empty() {
                s.reason
            } else {
                s.message
            }
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            answer
                .status
                .canonical_reason()
                .unwrap_or("no reason given")
                .to_owned()
        });
    let detail = format!("{code} {message}");
    let failure = match code {
        401 | 403 => Failure::Fatal(SourceStatus::Forbidden, detail),
        404 => Failure::NotFound,
        410 => Failure::Gone,
        429 => {
            let wait = answer.retry_after.map_or_else(
                || "; it gave no Retry-After".to_owned(),
                |w| format!("; it asked to wait {}s", w.as_secs()),
            );
            Failure::Fatal(SourceStatus::RateLimited, format!("{detail}{wait}"))
        }
        _ => Failure::Fatal(SourceStatus::Error, detail),
    };
    let retry = match code {
        429 => Some(answer.retry_after.unwrap_or(Duration::ZERO)),
        500..=599 => Some(Duration::ZERO),
        _ => None,
    };
    (failure, retry)
}

/// One GET with retries and a time bound. `build` makes the request anew for each try.
/// 5xx and 429 are retried (at most `options.retries` times) with backoff, or after the
/// `Retry-After` the server asked for when that is within [`MAX_RETRY_AFTER`].
async fn fetch<T: serde::de::DeserializeOwned>(
    client: &Client,
    options: &ReadOptions,
    replaying: bool,
    build: impl Fn() -> Result<http::Request<Vec<u8>>, kube::core::request::Error>,
) -> Result<T, Failure> {
    let mut attempt = 0;
    loop {
        let request = build().map_err(|e| {
            Failure::Fatal(SourceStatus::Error, format!("could not build request: {e}"))
        })?;
        let path = request.uri().path().to_owned();
        let timed_out = || {
            Failure::Fatal(
                SourceStatus::Timeout,
                format!(
                    "{path}: no answer within {}s",
                    options.request_timeout.as_secs_f32()
                ),
            )
        };
        let answer =
            match tokio::time::timeout(options.request_timeout, send(client, request)).await {
                Ok(Err(Failure::Abandoned)) | Err(_) => Err(timed_out()),
                Ok(answered) => Ok(answered),
            };
        let (failure, wait) = match answer {
            Ok(Ok(a)) if a.status.is_success() => {
                return serde_json::from_slice(&a.body).map_err(|e| {
                    Failure::Fatal(
                        SourceStatus::Error,
                        format!("{path}: the answer is not a Kubernetes list: {e}"),
                    )
                });
            }
            Ok(Ok(a)) => refusal(&a),
            Ok(Err(f)) => {
                let retry = matches!(&f, Failure::Fatal(SourceStatus::Error, _));
                (f, retry.then_some(Duration::ZERO))
            }
            Err(f) => (f, None),
        };
        let wait = match wait {
            Some(w) if attempt < options.retries && w <= MAX_RETRY_AFTER => w,
            _ => return Err(with_path(failure, &path)),
        };
        tracing::debug!(attempt, path, "retrying");
        // A replay waits for nothing: the recorded answers are there already.
        if !replaying {
            tokio::time::sleep(wait.max(options.backoff * 2u32.saturating_pow(attempt))).await;
        }
        attempt += 1;
    }
}

/// Puts the API path in front of a failure's detail, so a person can re-ask it.
fn with_path(failure: Failure, path: &str) -> Failure {
    match failure {
        Failure::Fatal(s, d) if !d.starts_with(path) => Failure::Fatal(s, format!("{path}: {d}")),
        other => other,
    }
}

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
    // A replayed request the recorded read abandoned is the same timeout.
    let aggregated = match aggregated {
        Ok(Err(e)) if abandoned(&e) => None,
        Ok(answered) => Some(answered),
        Err(_) => None,
    };
    match aggregated {
        // A server without aggregated discovery answers the plain APIGroupList, which
        // parses as an empty discovery list: only a result with the core group counts.
        Some(Ok(d)) if d.has_group("") => return Ok((d, "aggregated".into())),
        Some(Ok(_)) => tracing::debug!("no aggregated discovery; using per-group discovery"),
        Some(Err(e)) => {
            if let (Failure::Fatal(SourceStatus::Forbidden, detail), _) = classify(&e) {
                return Err(ClusterError {
                    status: SourceStatus::Forbidden,
                    detail: format!("API discovery refused: {detail}"),
                });
            }
            tracing::debug!("aggregated discovery unavailable ({e}); using per-group discovery");
        }
        None => tracing::debug!("aggregated discovery timed out; using per-group discovery"),
    }
    let legacy = tokio::time::timeout(bound, Discovery::new(client.clone()).filter(&groups).run())
        .await
        .ok()
        .filter(|r| !matches!(r, Err(e) if abandoned(e)));
    match legacy {
        Some(Ok(d)) => Ok((d, "legacy".into())),
        Some(Err(e)) => {
            let status = match classify(&e).0 {
                Failure::Fatal(s, _) => s,
                _ => SourceStatus::Error,
            };
            Err(ClusterError {
                status,
                detail: format!("API discovery failed: {}", describe(&e)),
            })
        }
        None => Err(ClusterError {
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
    read_cluster_paced(client, options, false).await
}

/// [`read_cluster`]; `replaying` when the client answers from a snapshot, so retries
/// wait for nothing.
pub(crate) async fn read_cluster_paced(
    client: &Client,
    options: &ReadOptions,
    replaying: bool,
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
            (client, replaying),
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
    (client, replaying): (&Client, bool),
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
        let mut pages_this_list = 0;
        let mut truncated = false;
        // A list holds each object once: a server that repeats objects (a looping
        // proxy) must not multiply them, and repeating a continue token is a loop.
        let mut seen_locators: std::collections::HashSet<String> = Default::default();
        let mut seen_tokens: std::collections::HashSet<String> = Default::default();
        loop {
            if pages_this_list >= options.max_pages {
                truncated = true;
                read.unreadable.push(UnreadItem::new(
                    path,
                    format!(
                        "truncated: the list was cut at {} pages of {} (the server kept answering with a continue token); the rest was not read",
                        options.max_pages, options.page_size
                    ),
                ));
                break;
            }
            let params = ListParams {
                limit: Some(options.page_size),
                continue_token: token.clone(),
                ..ListParams::default()
            };
            let request = Request::new(path);
            let page: Result<Page, Failure> = fetch(client, options, replaying, || match keep {
                Keep::Metadata => request.list_metadata(&params),
                _ => request.list(&params),
            })
            .await;
            match page {
                Ok(page) => {
                    pages += 1;
                    pages_this_list += 1;
                    let Some(page_items) = page.items else {
                        return Outcome::Failed {
                            status: SourceStatus::Error,
                            detail: format!("{path}: the answer has no items list"),
                        };
                    };
                    for (i, raw) in page_items.iter().enumerate() {
                        match ingest(raw, Some(api_version), Some(kind), keep) {
                            Ok(Some(Ingest::Object(item))) => {
                                if seen_locators.insert(item.locator.clone()) {
                                    items.push(item);
                                }
                            }
                            Ok(Some(Ingest::OwnedPod(pod))) => pods.push(pod),
                            Ok(None) => {}
                            Err(junk) => read.unreadable.push(junk_item(path, pages, i, junk)),
                        }
                    }
                    token = page.metadata.continue_.filter(|t| !t.is_empty());
                    let Some(next) = &token else {
                        break;
                    };
                    if !seen_tokens.insert(next.clone()) {
                        truncated = true;
                        read.unreadable.push(UnreadItem::new(
                            path,
                            format!("truncated: the server answered continue token {next:?} a second time (a loop); the list was stopped after {pages_this_list} pages"),
                        ));
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
                Err(Failure::Abandoned) => {
                    return Outcome::Failed {
                        status: SourceStatus::Timeout,
                        detail: format!("{path}: no answer"),
                    };
                }
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
            truncated,
        };
    }
}

/// An item of a list page that is no readable object, located so a person can find it.
pub(crate) fn junk_item(path: &str, page: u32, index: usize, junk: Junk) -> UnreadItem {
    let location = match junk.locator {
        Some(l) => format!("{l} ({path})"),
        None => format!("{path} page {page} item {index}"),
    };
    UnreadItem::new(location, junk.reason)
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
