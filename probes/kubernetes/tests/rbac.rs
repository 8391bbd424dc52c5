//! The shipped ClusterRole (`rbac.yaml`) allows every request the probe makes, and grants
//! nothing the probe does not use.

mod support;

use evident_core::{Probe, ScanContext};
use evident_probe_kubernetes::{KubernetesProbe, ReadOptions, Target, WANTED};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    urls: Vec<String>,
    verbs: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn cluster_role() -> Vec<Rule> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rbac.yaml"))
        .expect("rbac.yaml");
    let role: Value = serde_yaml::from_str(&text).expect("rbac.yaml is YAML");
    assert_eq!(role["kind"], "ClusterRole");
    role["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| Rule {
            groups: strings(&r["apiGroups"]),
            resources: strings(&r["resources"]),
            urls: strings(&r["nonResourceURLs"]),
            verbs: strings(&r["verbs"]),
        })
        .collect()
}

/// The RBAC attributes of a GET: a non-resource URL, or (group, resource, verb).
enum Attr {
    Url(String),
    Resource {
        group: String,
        resource: String,
        verb: &'static str,
    },
}

fn attributes(path: &str) -> Attr {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _version, rest @ ..] => (String::new(), rest.to_vec()),
        ["apis", group, _version, rest @ ..] => ((*group).to_owned(), rest.to_vec()),
        _ => return Attr::Url(path.to_owned()),
    };
    match rest.as_slice() {
        [] => Attr::Url(path.to_owned()),
        [resource] => Attr::Resource {
            group,
            resource: (*resource).to_owned(),
            verb: "list",
        },
        ["namespaces", _ns, resource] => Attr::Resource {
            group,
            resource: (*resource).to_owned(),
            verb: "list",
        },
        [resource, _name] | ["namespaces", _, resource, _name] => Attr::Resource {
            group,
            resource: (*resource).to_owned(),
            verb: "get",
        },
        _ => Attr::Url(path.to_owned()),
    }
}

fn url_allowed(rule: &Rule, path: &str) -> bool {
    rule.verbs.iter().any(|v| v == "get")
        && rule.urls.iter().any(|u| match u.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => u == path,
        })
}

fn allowed(rules: &[Rule], attr: &Attr) -> bool {
    rules.iter().any(|r| match attr {
        Attr::Url(path) => url_allowed(r, path),
        Attr::Resource {
            group,
            resource,
            verb,
        } => {
            r.groups.iter().any(|g| g == group)
                && r.resources.iter().any(|x| x == resource)
                && r.verbs.iter().any(|v| v == verb)
        }
    })
}

#[tokio::test]
async fn every_request_the_probe_makes_is_allowed_by_the_cluster_role() {
    let rules = cluster_role();
    for r in &rules {
        for v in &r.verbs {
            assert!(
                v == "get" || v == "list",
                "the role grants {v}: read-only means get and list"
            );
        }
    }
    let state = Arc::new(support::State::new(&support::cluster()));
    let addr = support::start(Arc::clone(&state)).await;
    let probe = KubernetesProbe::new(vec![Target::Config {
        name: "rbac".into(),
        config: Box::new(support::config(addr)),
    }])
    .with_options(ReadOptions {
        page_size: 5,
        request_timeout: Duration::from_secs(10),
        ..ReadOptions::default()
    });
    let _ = probe
        .collect(&ScanContext::new(vec![], "2026-11-23T10:00:00Z".into()))
        .await;
    let seen = state.requests();
    assert!(seen.len() > 10, "the probe made requests");
    for req in &seen {
        assert_eq!(req.method, "GET", "{}", req.path);
        assert!(
            allowed(&rules, &attributes(&req.path)),
            "not allowed by rbac.yaml: GET {}",
            req.path
        );
    }
}

#[test]
fn the_cluster_role_grants_exactly_what_the_probe_reads() {
    let rules = cluster_role();
    let granted: BTreeSet<(String, String)> = rules
        .iter()
        .flat_map(|r| {
            r.groups
                .iter()
                .flat_map(|g| r.resources.iter().map(move |x| (g.clone(), x.clone())))
                .collect::<Vec<_>>()
        })
        .collect();
    let wanted: BTreeSet<(String, String)> = WANTED
        .iter()
        .map(|w| (w.group.to_owned(), w.plural.to_owned()))
        .collect();
    assert_eq!(granted, wanted);
    assert!(!granted.iter().any(|(_, r)| r == "secrets"));
}
