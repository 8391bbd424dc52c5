//! The kubernetes probe: live clusters (read-only, paginated) and cluster dumps.
//!
//! Platform teams point evident at their clusters, and auditors get dumps
//! (`kubectl get ... -o json`). Both go through the same reduction ([`ingest`]) and the
//! same extraction as repository manifests (`evident_kube_facts::extract`), so a
//! Deployment read live, from a dump or from a manifest yields the same facts. What only
//! a cluster knows (status, restarts, pods owned through ReplicaSets) is added on top.
//!
//! Access gaps are facts, not failures: a resource type the cluster refuses (403) or that
//! times out is listed in `facts.kubernetes.unread` (and its name in `forbidden`), and the
//! rules that need it answer `unknown`; everything else is judged.

pub mod dump;
pub mod facts;
pub mod ingest;
pub mod read;
pub mod secrets;
mod tape;
mod target_serde;

use async_trait::async_trait;
use evident_core::{Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus};
use std::path::PathBuf;

pub use read::{Outcome, ReadOptions, WANTED, Wanted};
pub use secrets::credential_secrets;

/// The probe's name in facts and evidence ids.
pub const PROBE: &str = "kubernetes";

/// One cluster (or snapshot of one) to read.
#[derive(Debug, Clone)]
pub enum Target {
    /// A kubeconfig context by name (`--kube-context`).
    Context(String),
    /// The current kubeconfig context, or the pod's service account when evident runs in
    /// a cluster (`--kube`).
    Current,
    /// A `kubectl get -o json` (or YAML) List file (`--kube-dump`). `name` overrides the
    /// cluster name, which is the file's stem by default.
    Dump {
        /// The file.
        path: PathBuf,
        /// Cluster name to report it under.
        name: Option<String>,
    },
    /// A ready client configuration (tests, embedding evident as a library).
    Config {
        /// Cluster name to report it under.
        name: String,
        /// The client configuration.
        config: Box<kube::Config>,
    },
}

/// Reads the configured clusters and dumps.
#[derive(Debug, Clone, Default)]
pub struct KubernetesProbe {
    targets: Vec<Target>,
    options: ReadOptions,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl KubernetesProbe {
    /// A probe for these targets with the default bounds.
    pub fn new(targets: Vec<Target>) -> Self {
        Self {
            targets,
            options: ReadOptions::default(),
            tape: Default::default(),
        }
    }

    /// Records every raw answer into, or replays them from, `tape` (`--snapshot`,
    /// `evident replay`); off by default.
    pub fn with_tape(mut self, tape: evident_snapshot::Tape) -> Self {
        self.tape = tape;
        self
    }

    /// Replaces the read bounds (page size, timeouts, retries).
    pub fn with_options(mut self, options: ReadOptions) -> Self {
        self.options = options;
        self
    }

    /// The detail shown when no cluster was given.
    pub const NOT_CONFIGURED: &'static str = "no cluster given: pass --kube-context NAME (or --kube for the current kubeconfig context / in-cluster service account) or --kube-dump FILE";
}

/// What one target produced before facts are merged.
pub(crate) struct TargetResult {
    pub name: String,
    pub kind: &'static str,
    pub source: String,
    pub read: Result<read::ClusterRead, read::ClusterError>,
}

/// What the probe derives from the kubeconfig (or a ready configuration) before it asks
/// the cluster anything: recorded as `value:context`, so a replay needs no kubeconfig.
/// It holds no credential: the server URL is kept without `user:password@`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum ContextRecord {
    /// A client could be made.
    Client {
        /// The cluster name the target is reported under.
        name: String,
        /// The API server URL.
        server: String,
        /// The context's default namespace.
        default_namespace: String,
    },
    /// No client could be made (no such context, no kubeconfig).
    Failed {
        /// How the target is reported.
        status: SourceStatus,
        /// Why.
        detail: String,
    },
}

/// The snapshot source of a live target: `kubernetes:<context name>`, or
/// `kubernetes:current-context` for `--kube` (its name comes from the kubeconfig, which
/// a replay does not read).
fn source_key(target: &Target) -> String {
    match target {
        Target::Context(ctx) => format!("kubernetes:{ctx}"),
        Target::Config { name, .. } => format!("kubernetes:{name}"),
        Target::Current => "kubernetes:current-context".into(),
        Target::Dump { path, .. } => format!("kubernetes:dump:{}", dump::file_name(path)),
    }
}

/// A server URL without the `user:password@` it may carry: what is shown and recorded.
fn without_credentials(url: &http::Uri) -> String {
    let Some(authority) = url.authority().filter(|a| a.as_str().contains('@')) else {
        return url.to_string();
    };
    let host = authority.as_str().rsplit('@').next().unwrap_or_default();
    let scheme = url
        .scheme_str()
        .map(|s| format!("{s}://"))
        .unwrap_or_default();
    let path = url.path_and_query().map_or("", |p| p.as_str());
    format!("{scheme}{host}{path}")
}

/// A client for a live target: built from its configuration (recording every answer
/// when the tape records), or, when the tape replays, on the recorded answers with the
/// recorded name and server, reading no kubeconfig, environment or token.
async fn live_client(
    target: &Target,
    options: &ReadOptions,
    tape: &evident_snapshot::Tape,
) -> Result<(String, String, kube::Client), read::ClusterError> {
    let source = source_key(target);
    if tape.is_replaying() {
        return match tape.replay_value::<ContextRecord>(&source, tape::CONTEXT_KEY) {
            Ok(ContextRecord::Client {
                name,
                server,
                default_namespace,
            }) => {
                let service = tape::ReplayService {
                    tape: tape.clone(),
                    source,
                };
                Ok((name, server, kube::Client::new(service, default_namespace)))
            }
            Ok(ContextRecord::Failed { status, detail }) => {
                Err(read::ClusterError { status, detail })
            }
            Err(e) => Err(read::ClusterError {
                status: SourceStatus::Error,
                detail: e.to_string(),
            }),
        };
    }
    let made = client_for(target, options, tape, &source).await;
    if tape.is_recording() {
        let record = match &made {
            Ok((name, server, client)) => ContextRecord::Client {
                name: name.clone(),
                server: server.clone(),
                default_namespace: client.default_namespace().to_owned(),
            },
            Err(e) => ContextRecord::Failed {
                status: e.status,
                detail: e.detail.clone(),
            },
        };
        tape.record_value(&source, tape::CONTEXT_KEY, &record);
    }
    made
}

async fn client_for(
    target: &Target,
    options: &ReadOptions,
    tape: &evident_snapshot::Tape,
    source: &str,
) -> Result<(String, String, kube::Client), read::ClusterError> {
    let error = |status, detail: String| read::ClusterError { status, detail };
    let (name, mut config) = match target {
        Target::Context(ctx) => {
            let opts = kube::config::KubeConfigOptions {
                context: Some(ctx.clone()),
                ..Default::default()
            };
            let config = kube::Config::from_kubeconfig(&opts).await.map_err(|e| {
                error(
                    SourceStatus::NotConfigured,
                    format!("kubeconfig context {ctx}: {e}"),
                )
            })?;
            (ctx.clone(), config)
        }
        Target::Current => {
            let name = kube::config::Kubeconfig::read()
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_else(|| "in-cluster".to_owned());
            let config = kube::Config::infer().await.map_err(|e| {
                error(
                    SourceStatus::NotConfigured,
                    format!("no kubeconfig and not running in a cluster: {e}"),
                )
            })?;
            (name, config)
        }
        Target::Config { name, config } => (name.clone(), (**config).clone()),
        Target::Dump { .. } => {
            return Err(error(SourceStatus::Error, "a dump has no client".into()));
        }
    };
    // A backstop only: the probe bounds every request itself (and discovery at twice
    // the request bound), so a slow server is reported `timeout`; kube's own read timeout
    // would surface as an opaque transport error.
    config.read_timeout = Some(options.request_timeout * 3);
    // kube's own retry layer backs off on 429/503/504 without a count the probe can see
    // and without reading Retry-After: a rate-limited list then looked like a timeout.
    // The probe retries itself (read::fetch), bounded and honouring Retry-After.
    config.default_retry = false;
    let server = without_credentials(&config.cluster_url);
    let builder = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| error(SourceStatus::Error, format!("client for {name}: {e}")))?;
    let client = if tape.is_recording() {
        builder
            .with_layer(&tape::RecordLayer {
                tape: tape.clone(),
                source: source.to_owned(),
            })
            .build()
    } else {
        builder.build()
    };
    Ok((name, server, client))
}

#[async_trait]
impl Probe for KubernetesProbe {
    fn name(&self) -> &'static str {
        PROBE
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &[PROBE]
    }

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        if self.targets.is_empty() {
            return ProbeOutput::failed(
                PROBE,
                PROBE,
                SourceStatus::NotConfigured,
                Self::NOT_CONFIGURED,
            );
        }
        let mut results = Vec::new();
        for target in &self.targets {
            let result = match target {
                Target::Dump { path, name } => {
                    let name = name.clone().unwrap_or_else(|| dump::default_name(path));
                    TargetResult {
                        name,
                        kind: "dump",
                        source: path.display().to_string(),
                        read: dump::read_dump_taped(path, &self.tape),
                    }
                }
                _ => match live_client(target, &self.options, &self.tape).await {
                    Ok((name, server, client)) => TargetResult {
                        name,
                        kind: if matches!(target, Target::Current) {
                            "current-context"
                        } else {
                            "context"
                        },
                        source: server,
                        read: read::read_cluster_paced(
                            &client,
                            &self.options,
                            self.tape.is_replaying(),
                        )
                        .await,
                    },
                    Err(e) => TargetResult {
                        name: match target {
                            Target::Context(c) => c.clone(),
                            Target::Config { name, .. } => name.clone(),
                            _ => "current-context".into(),
                        },
                        kind: "context",
                        source: String::new(),
                        read: Err(e),
                    },
                },
            };
            results.push(result);
        }
        facts::assemble(results, ctx)
    }
}

/// A source report for one target (also used by the facts assembly).
pub(crate) fn report(
    source: &str,
    status: SourceStatus,
    detail: impl Into<String>,
) -> SourceReport {
    SourceReport::new(
        PROBE.to_owned(),
        source.to_owned(),
        status,
        Some(detail.into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_url_is_shown_and_recorded_without_its_credentials() {
        let url: http::Uri = "https://alice:pw-canary@10.0.0.1:6443/base"
            .parse()
            .unwrap();
        assert_eq!(without_credentials(&url), "https://10.0.0.1:6443/base");
        let plain: http::Uri = "https://10.0.0.1:6443".parse().unwrap();
        assert_eq!(without_credentials(&plain), "https://10.0.0.1:6443/");
    }

    #[test]
    fn source_keys_name_the_context_or_the_dump_file_never_its_directory() {
        assert_eq!(
            source_key(&Target::Context("prod".into())),
            "kubernetes:prod"
        );
        assert_eq!(source_key(&Target::Current), "kubernetes:current-context");
        let dump = Target::Dump {
            path: PathBuf::from("/tmp/x/abc/cluster.json"),
            name: None,
        };
        assert_eq!(source_key(&dump), "kubernetes:dump:cluster.json");
    }
}
