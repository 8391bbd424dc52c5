//! Over the estate: which packages are internal, who uses each, ESBs and datastores.

use crate::SourceCodeConfig;
use crate::facts::{InternalPackage, Package, RepoFacts};
use crate::scan::RepoScan;
use evident_core::{Evidence, ProbeOutput};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Maven and Gradle publish into one namespace; every other ecosystem is its own.
fn family(ecosystem: &str) -> &str {
    match ecosystem {
        "gradle" => "maven",
        other => other,
    }
}

/// The published package a dependency names, if any: the same name in the same family,
/// or (Go) a package path under a published module.
fn published<'a>(packages: &'a [Package], ecosystem: &str, name: &str) -> Option<&'a Package> {
    packages.iter().find(|p| {
        family(&p.ecosystem) == family(ecosystem)
            && (p.name.eq_ignore_ascii_case(name)
                || (ecosystem == "go" && name.starts_with(&format!("{}/", p.name))))
    })
}

/// Joins every repository's scan into `facts.source_code`.
pub(crate) fn assemble(scans: Vec<RepoScan>, config: &SourceCodeConfig) -> ProbeOutput {
    let mut sources = Vec::new();
    let mut evidence: BTreeMap<String, Evidence> = BTreeMap::new();
    let mut repos = Vec::new();
    for scan in scans {
        sources.push(scan.report);
        for e in scan.evidence {
            evidence.entry(e.id.clone()).or_insert(e);
        }
        repos.extend(scan.facts);
    }
    ProbeOutput {
        facts: estate_facts(repos, config),
        evidence: evidence.into_values().collect(),
        sources,
    }
}

/// Derives the estate's part of `facts.source_code` again from the repositories' part,
/// for facts merged from several shards: each shard saw only its own repositories, so
/// which packages are internal, who uses them and how many deployables there are must
/// be decided over all of them, in the estate's order of repositories (`keys`), exactly
/// as one collection over the whole estate decides it.
pub fn reassemble(facts: &mut Value, config: &SourceCodeConfig, keys: &[String]) {
    let Some(Value::Object(repos)) = facts.get("repos") else {
        return;
    };
    let mut parsed = Vec::with_capacity(repos.len());
    for (key, repo) in repos {
        match serde_json::from_value::<RepoFacts>(repo.clone()) {
            Ok(r) => parsed.push(r),
            Err(e) => {
                tracing::warn!(repo = %key, "source_code facts of a shard do not read back: {e}");
                return;
            }
        }
    }
    let rank = |k: &str| keys.iter().position(|x| x == k).unwrap_or(usize::MAX);
    parsed.sort_by_key(|r| rank(&r.key));
    *facts = estate_facts(parsed, config);
}

/// The estate's facts over every repository's facts, in the order given.
fn estate_facts(mut repos: Vec<RepoFacts>, config: &SourceCodeConfig) -> Value {
    let packages: Vec<Package> = repos
        .iter()
        .flat_map(|r| r.packages.iter().cloned())
        .collect();
    let mut internal: BTreeMap<(String, String), InternalPackage> = BTreeMap::new();
    let mut esb = Vec::new();
    let mut datastores = Vec::new();
    let mut deployable_count = 0usize;
    for repo in &mut repos {
        for d in &mut repo.deployables {
            deployable_count += 1;
            for dep in &mut d.dependencies {
                let found = published(&packages, &dep.ecosystem, &dep.name);
                let by_prefix = config
                    .internal_prefixes
                    .iter()
                    .any(|p| !p.is_empty() && dep.name.starts_with(p.as_str()));
                // A Gradle `project(':x')` is a project of the same build: internal.
                let gradle_project = dep.ecosystem == "gradle" && !dep.name.contains(':');
                dep.internal = found.is_some() || by_prefix || gradle_project;
                if let Some(product) = &dep.esb {
                    esb.push(json!({"product": product, "deployable": d.id, "dependency": dep.name, "evidence": dep.evidence}));
                }
                if let Some(store) = &dep.datastore {
                    datastores.push(json!({"technology": store.technology, "kind": store.kind, "deployable": d.id, "dependency": dep.name, "scope": dep.scope, "evidence": dep.evidence}));
                }
                if !dep.internal
                    || d.publishes
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&dep.name))
                {
                    continue;
                }
                let name = found.map_or_else(|| dep.name.clone(), |p| p.name.clone());
                let entry = internal
                    .entry((family(&dep.ecosystem).to_owned(), name.clone()))
                    .or_insert_with(|| InternalPackage {
                        name,
                        ecosystem: found
                            .map_or_else(|| dep.ecosystem.clone(), |p| p.ecosystem.clone()),
                        repo: found.map(|p| p.repo.clone()),
                        dir: found.map(|p| p.dir.clone()),
                        code_lines: found.map(|p| p.code_lines),
                        used_by: Vec::new(),
                        evidence: found.map(|p| p.evidence.clone()).into_iter().collect(),
                    });
                entry.evidence.push(dep.evidence.clone());
                // Test-only use is not reliance on a framework.
                if dep.scope != "dev" && !entry.used_by.contains(&d.id) {
                    entry.used_by.push(d.id.clone());
                }
            }
        }
    }
    let unreadable: Vec<Value> = repos
        .iter()
        .flat_map(|r| {
            r.unreadable
                .iter()
                .map(|u| json!({"location": u.location, "reason": u.reason}))
        })
        .collect();
    let mut repo_map = Map::new();
    for r in repos {
        repo_map.insert(
            r.key.clone(),
            serde_json::to_value(&r).unwrap_or(Value::Null),
        );
    }
    let internal: Vec<Value> = internal
        .into_values()
        .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
        .collect();
    json!({
        "repos": repo_map,
        "deployable_count": deployable_count,
        "internal_packages": internal,
        "esb": esb,
        "datastores": datastores,
        "unreadable": unreadable,
    })
}
