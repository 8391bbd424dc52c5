//! Sharding: an estate split over several processes (the pods of a Kubernetes Indexed
//! Job). Every target has a stable identity; its shard is the first 8 bytes of the
//! identity's SHA-256, as a big-endian u64, modulo the shard count. A shard *collects*
//! (runs the probes over its targets only, [`collect_shard`]) and writes what it found
//! as [`ShardFacts`]; a merge *judges* the union ([`crate::judge_shards`]) exactly as a
//! single scan does. A single scan is itself one shard of one, so there is one path.

use crate::{ScanError, ScanPlan};
use evident_core::{Evidence, SourceReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The schema name of [`ShardFacts`] documents.
pub const SHARD_SCHEMA: &str = "evident/shard/v1";

/// One shard of `total`: `index` in `0..total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards the estate is split into.
    pub total: u32,
}

impl Shard {
    /// The whole estate as one shard.
    pub const ALL: Shard = Shard { index: 0, total: 1 };

    /// Whether the target named `identity` belongs to this shard.
    pub fn holds(&self, identity: &str) -> bool {
        shard_of(identity, self.total) == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `I/N` with `I` in `0..N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text}: expected I/N with 0 <= I < N, such as 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let total: u32 = n.trim().parse().map_err(|_| bad())?;
        if total == 0 || index >= total {
            return Err(bad());
        }
        Ok(Shard { index, total })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// The shard of a target identity among `total`: SHA-256 of the identity, first 8 bytes
/// as a big-endian u64, modulo `total`. Stable across processes, machines and versions.
pub fn shard_of(identity: &str, total: u32) -> u32 {
    if total <= 1 {
        return 0;
    }
    let digest = Sha256::digest(identity.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(total)) as u32
}

/// What one probe produced in one shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeFacts {
    /// The probe's name (`git`, `kubernetes`, ...).
    pub probe: String,
    /// Its section of the facts document.
    pub facts: Value,
    /// The evidence its facts cite.
    pub evidence: Vec<Evidence>,
    /// How each of its sources answered.
    pub sources: Vec<SourceReport>,
}

/// A repository's `.evident/attestations.yaml` as read at collection time (the file
/// lives in the repository, which the judging process may not have).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttestationFile {
    /// The repository's key.
    pub key: String,
    /// The repository's root, as the git facts name it.
    pub root: String,
    /// The commit it was read at; `None` for a working tree.
    pub revision: Option<String>,
    /// The file's text.
    pub text: String,
}

/// What a shard collected: every probe's output over the shard's targets, already
/// redacted of the plan's secrets. Serialisable (`evident/shard/v1`) so pods can hand
/// their part to the one that judges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFacts {
    /// Always [`SHARD_SCHEMA`].
    pub schema: String,
    /// Which shard this is.
    pub shard: Shard,
    /// The observation time stamped on this shard's evidence.
    pub observed_at: String,
    /// The identities of the targets this shard read.
    pub targets: Vec<String>,
    /// One entry per probe that ran in this shard, in the registry's order.
    pub probes: Vec<ProbeFacts>,
    /// Attestation files of this shard's repositories.
    pub attestations: Vec<AttestationFile>,
    /// Attestation files that could not be read.
    pub attestation_problems: Vec<SourceReport>,
}

/// The identity of a local repository: its path relative to the plan's identity root
/// (the estate config's directory) when under it, else its absolute path.
pub(crate) fn repo_identity(plan: &ScanPlan, path: &Path) -> String {
    let shown = plan
        .identity_root
        .as_ref()
        .and_then(|root| path.strip_prefix(root).ok())
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf);
    let text = shown.display().to_string();
    format!("repo {}", if text.is_empty() { "." } else { &text })
}

/// A URL without `user:password@`, so an identity never carries a credential.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The identity of a cluster target.
pub(crate) fn kube_identity(plan: &ScanPlan, t: &evident_probe_kubernetes::Target) -> String {
    use evident_probe_kubernetes::Target;
    match t {
        Target::Context(c) => format!("kube-context {c}"),
        Target::Current => "kube current context".into(),
        Target::Dump { path, .. } => {
            let rel = plan
                .identity_root
                .as_ref()
                .and_then(|root| path.strip_prefix(root).ok())
                .map_or_else(|| path.to_path_buf(), Path::to_path_buf);
            format!("kube-dump {}", rel.display())
        }
        Target::Config { name, .. } => format!("cluster {name}"),
    }
}

/// The identity of a GitHub target.
pub(crate) fn github_identity(t: &evident_github::Target) -> String {
    match t {
        evident_github::Target::Owner(o) => format!("github {}", o.to_lowercase()),
        evident_github::Target::Repo { owner, name } => {
            format!("github {}/{}", owner.to_lowercase(), name.to_lowercase())
        }
    }
}

/// The identity of an HTTP source: the kind and the URL without credentials.
pub(crate) fn server_identity(kind: &str, url: &str) -> String {
    format!("{kind} {}", without_userinfo(url.trim_end_matches('/')))
}

/// The plan restricted to `shard`'s targets, and the identities kept.
pub(crate) fn restrict(plan: &ScanPlan, shard: Shard) -> (ScanPlan, Vec<String>) {
    let mut sub = plan.clone();
    let mut kept = Vec::new();
    let mut keep = |id: String| {
        let yes = shard.holds(&id);
        if yes {
            kept.push(id);
        }
        yes
    };
    sub.repositories.retain(|p| keep(repo_identity(plan, p)));
    if let Some(g) = &mut sub.github {
        g.targets.retain(|t| keep(github_identity(t)));
        if g.targets.is_empty() {
            sub.github = None;
        }
    }
    sub.kube_targets.retain(|t| keep(kube_identity(plan, t)));
    sub.prometheus
        .urls
        .retain(|u| keep(server_identity("prometheus", u)));
    if let Some(url) = &sub.grafana.url
        && !keep(server_identity("grafana", url))
    {
        sub.grafana.url = None;
    }
    if let Some(url) = &sub.pagerduty.api_url
        && !keep(server_identity("pagerduty", url))
    {
        sub.pagerduty = evident_probe_pagerduty::PagerdutyConfig::none();
    }
    if let Some(url) = &sub.opsgenie.api_url
        && !keep(server_identity("opsgenie", url))
    {
        sub.opsgenie = evident_probe_opsgenie::OpsgenieConfig::none();
    }
    (sub, kept)
}

/// Whether a probe has anything to read in `plan`. A probe with nothing to read in the
/// whole estate still runs once (in shard 0) to report `not_configured`; one with
/// targets runs only in the shards holding some.
pub(crate) fn has_targets(plan: &ScanPlan, probe: &str) -> bool {
    match probe {
        "git" | "git_history" | "source_code" => {
            !plan.repositories.is_empty() || plan.github.is_some()
        }
        "prometheus" => !plan.prometheus.urls.is_empty(),
        "grafana" => plan.grafana.url.is_some(),
        "kubernetes" => !plan.kube_targets.is_empty(),
        "github" => plan.github.is_some(),
        "pagerduty" => plan.pagerduty.api_url.is_some(),
        "opsgenie" => plan.opsgenie.api_url.is_some(),
        _ => true,
    }
}

/// Canonical orders the merge restores: the estate's repository keys and cluster names,
/// and the order of every source the plan names.
pub(crate) struct Order {
    repos: HashMap<String, usize>,
    clusters: HashMap<String, usize>,
    sources: HashMap<String, usize>,
}

impl Order {
    /// The orders of the whole plan (not of one shard).
    pub(crate) fn of(plan: &ScanPlan) -> Self {
        let keys = evident_probe_git::repo_keys(&plan.repositories);
        let repos = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
        let clusters = plan
            .kube_targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| cluster_name(t).map(|n| (n, i)))
            .collect();
        let mut sources: HashMap<String, usize> = HashMap::new();
        let named = plan
            .repositories
            .iter()
            .map(|p| p.display().to_string())
            .chain(plan.kube_targets.iter().filter_map(|t| match t {
                evident_probe_kubernetes::Target::Dump { path, .. } => {
                    Some(path.display().to_string())
                }
                _ => cluster_name(t),
            }))
            .chain(plan.prometheus.urls.iter().cloned());
        for (i, s) in named.enumerate() {
            sources.entry(s).or_insert(i);
        }
        Order {
            repos,
            clusters,
            sources,
        }
    }

    /// Sources in the plan's order (a stable sort: those it does not name keep theirs).
    pub(crate) fn sort_sources(&self, sources: &mut [SourceReport]) {
        sources.sort_by_key(|r| self.sources.get(&r.source).copied().unwrap_or(usize::MAX));
    }

    /// Lists of a probe's facts whose items carry `repo` (git) or `cluster`
    /// (kubernetes), in the estate's order of repositories or clusters (stable).
    pub(crate) fn sort_facts(&self, probe: &str, facts: &mut Value) {
        let (field, order) = match probe {
            "git" | "git_history" => ("repo", &self.repos),
            "kubernetes" => ("cluster", &self.clusters),
            _ => return,
        };
        let Some(map) = facts.as_object_mut() else {
            return;
        };
        for value in map.values_mut() {
            let Some(items) = value.as_array_mut() else {
                continue;
            };
            if !items
                .iter()
                .all(|i| i.get(field).is_some_and(Value::is_string))
            {
                continue;
            }
            items.sort_by_key(|i| {
                i.get(field)
                    .and_then(Value::as_str)
                    .and_then(|k| order.get(k).copied())
                    .unwrap_or(usize::MAX)
            });
        }
    }
}

/// The cluster name the kubernetes probe reports a target under, when the plan alone
/// tells it.
fn cluster_name(t: &evident_probe_kubernetes::Target) -> Option<String> {
    use evident_probe_kubernetes::Target;
    match t {
        Target::Context(c) => Some(c.clone()),
        Target::Dump { path, name } => Some(
            name.clone()
                .unwrap_or_else(|| evident_probe_kubernetes::dump::default_name(path)),
        ),
        Target::Config { name, .. } => Some(name.clone()),
        Target::Current => None,
    }
}

/// Merges one probe's facts from two shards: objects key by key, lists appended, and
/// counts added: those of `kinds` (the git probe sums manifests per kind over its
/// repositories) and `deployable_count` (source_code counts the estate's deployables,
/// which estate-scoped rules divide by; the first shard's count alone would judge a
/// sharded estate as a smaller one).
pub(crate) fn merge_facts(into: &mut Value, from: Value, key: &str) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(Value::Number(n)) if key == "kinds" || k == "deployable_count" => {
                        if let (Some(x), Some(y)) = (n.as_u64(), v.as_u64()) {
                            *n = serde_json::Number::from(x + y);
                        }
                    }
                    Some(existing) => merge_facts(existing, v, &k),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (slot @ Value::Null, v) => *slot = v,
        _ => {}
    }
}

/// The full-estate keys of a shard's repositories, followed by the keys of its GitHub
/// clones as the shard names them.
pub(crate) fn shard_repo_keys(
    plan: &ScanPlan,
    local: &[PathBuf],
    clones: &[PathBuf],
) -> Vec<String> {
    let all = evident_probe_git::repo_keys(&plan.repositories);
    let by_path: HashMap<&PathBuf, &String> = plan.repositories.iter().zip(all.iter()).collect();
    let mut keys: Vec<String> = local
        .iter()
        .map(|p| by_path.get(p).map_or_else(String::new, |k| (*k).clone()))
        .collect();
    let shard_all: Vec<PathBuf> = local.iter().chain(clones.iter()).cloned().collect();
    keys.extend(
        evident_probe_git::repo_keys(&shard_all)
            .into_iter()
            .skip(local.len()),
    );
    keys
}

/// Checks that the shards given are exactly the shards of one split: same total, each
/// index once, none missing. A missing shard would silently drop its targets.
pub(crate) fn check_complete(shards: &[ShardFacts]) -> Result<(), ScanError> {
    let Some(first) = shards.first() else {
        return Err(ScanError::Config("no shard to merge".into()));
    };
    let total = first.shard.total;
    let mut seen = vec![false; total as usize];
    for s in shards {
        if s.schema != SHARD_SCHEMA {
            return Err(ScanError::Config(format!(
                "a shard document of schema {} is not {SHARD_SCHEMA}",
                s.schema
            )));
        }
        if s.shard.total != total || s.shard.index >= total {
            return Err(ScanError::Config(format!(
                "shard {} does not belong to a split into {total}",
                s.shard
            )));
        }
        let slot = &mut seen[s.shard.index as usize];
        if *slot {
            return Err(ScanError::Config(format!("shard {} given twice", s.shard)));
        }
        *slot = true;
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| format!("{i}/{total}"))
        .collect();
    if !missing.is_empty() {
        return Err(ScanError::Config(format!(
            "shard(s) {} missing: a merge judges the whole estate only",
            missing.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_spread() {
        // Fixed by the definition (sha256, first 8 bytes big-endian, mod N): a change
        // would move every estate's targets between pods.
        assert_eq!(shard_of("repo shop", 1), 0);
        let counts = (0..400).fold([0u32; 4], |mut c, i| {
            c[shard_of(&format!("repo r{i}"), 4) as usize] += 1;
            c
        });
        assert!(counts.iter().all(|&n| n > 60), "{counts:?}");
        assert_eq!(shard_of("repo r1", 4), shard_of("repo r1", 4));
    }

    #[test]
    fn shard_text_is_i_of_n() {
        let s: Shard = "1/4".parse().unwrap_or(Shard::ALL);
        assert_eq!(s, Shard { index: 1, total: 4 });
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn identities_carry_no_credentials() {
        assert_eq!(
            server_identity("prometheus", "http://bob:pw@prom:9090/"),
            "prometheus http://prom:9090"
        );
    }

    #[test]
    fn kinds_add_up_and_lists_append() {
        let mut a = serde_json::json!({"kinds": {"Deployment": 2}, "skipped": [1]});
        merge_facts(
            &mut a,
            serde_json::json!({"kinds": {"Deployment": 3, "Service": 1}, "skipped": [2]}),
            "",
        );
        assert_eq!(
            a,
            serde_json::json!({"kinds": {"Deployment": 5, "Service": 1}, "skipped": [1, 2]})
        );
    }

    #[test]
    fn deployable_counts_add_up() {
        let mut a = serde_json::json!({"deployable_count": 2, "repos": {"a": {}}});
        merge_facts(
            &mut a,
            serde_json::json!({"deployable_count": 3, "repos": {"b": {}}}),
            "",
        );
        assert_eq!(
            a,
            serde_json::json!({"deployable_count": 5, "repos": {"a": {}, "b": {}}})
        );
    }

    #[test]
    fn a_missing_or_repeated_shard_is_refused() {
        let doc = |index| ShardFacts {
            schema: SHARD_SCHEMA.into(),
            shard: Shard { index, total: 3 },
            observed_at: String::new(),
            targets: vec![],
            probes: vec![],
            attestations: vec![],
            attestation_problems: vec![],
        };
        let e = check_complete(&[doc(0), doc(2)])
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("1/3"));
        let e = check_complete(&[doc(0), doc(0), doc(1)])
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("twice"));
        assert!(check_complete(&[doc(2), doc(0), doc(1)]).is_ok());
    }
}
