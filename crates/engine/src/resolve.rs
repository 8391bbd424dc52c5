//! Entity resolution: which services the facts describe, and who owns each.
//!
//! Order of precedence, as the criteria spec gives it: a Backstage catalog Component; a
//! Kubernetes workload's `app.kubernetes.io/name` (or `app`) label, one service per name
//! (a monorepo yields several); else the repository itself is one service. Owners: the
//! catalog's `spec.owner`, else the repository's CODEOWNERS default owner, else a
//! `team`/`owner`/`part-of` label on the workload.

use evident_core::Service;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The services found, in the two shapes they are needed in.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// For the scan result.
    pub services: Vec<Service>,
    /// For the Rego input (`input.services`): adds the repository and workload keys.
    pub input_services: Map<String, Value>,
    /// For the Rego input (`input.teams`).
    pub teams: Map<String, Value>,
    /// Metric names each `facts.git.prometheus_rules[i]` expression reads (`null` when it
    /// does not parse), parsed once here so rules need no text matching.
    pub rule_metrics: Vec<Value>,
}

#[derive(Default)]
struct Draft {
    team: Option<String>,
    team_source: Option<String>,
    resolved_from: String,
    repos: Vec<String>,
    workloads: Vec<String>,
    live_workloads: Vec<String>,
    found_in: Vec<String>,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn evidence_ids(v: &Value) -> Vec<String> {
    match v.get("evidence") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Which repository a workload came from: its evidence id starts with `git:<repo>@`.
fn workload_repo<'a>(workload: &Value, repo_keys: &'a [String]) -> Option<&'a String> {
    let ids = evidence_ids(workload);
    repo_keys.iter().find(|k| {
        let prefix = format!("git:{k}@");
        ids.iter().any(|id| id.starts_with(&prefix))
    })
}

/// Resolves services from the facts document (`{"git": {...}, ...}`).
pub fn resolve_services(facts: &Value) -> Resolution {
    let git = facts.get("git").cloned().unwrap_or(Value::Null);
    let empty = Map::new();
    let repos = git
        .get("repos")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let workloads = git
        .get("workloads")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let repo_keys: Vec<String> = repos.keys().cloned().collect();

    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    let mut claimed: Vec<&String> = Vec::new();

    for (repo_key, repo) in repos {
        let code_owner = repo
            .get("codeowners")
            .and_then(|c| c.get("default_owners"))
            .and_then(Value::as_array)
            .and_then(|owners| owners.first())
            .and_then(Value::as_str)
            .map(str::to_owned);
        let repo_workloads: Vec<(&String, &Value)> = workloads
            .iter()
            .filter(|(_, w)| workload_repo(w, &repo_keys) == Some(repo_key))
            .collect();
        let mut found_any = false;

        for component in repo
            .get("catalog")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if str_field(component, "kind") != Some("Component") {
                continue;
            }
            let Some(name) = str_field(component, "name") else {
                continue;
            };
            found_any = true;
            let draft = drafts.entry(name.to_owned()).or_default();
            draft.resolved_from = "catalog".into();
            if let Some(owner) = str_field(component, "owner") {
                draft.team = Some(owner.to_owned());
                draft.team_source = Some("catalog-info.yaml".into());
            }
            push_unique(&mut draft.repos, repo_key);
            draft.found_in.extend(evidence_ids(component));
            for (key, w) in &repo_workloads {
                if workload_name(w) == Some(name) {
                    push_unique(&mut draft.workloads, key);
                    claimed.push(key);
                }
            }
        }

        for (key, w) in &repo_workloads {
            if claimed.contains(key) {
                continue;
            }
            let Some(name) = workload_name(w) else {
                continue;
            };
            found_any = true;
            let draft = drafts.entry(name.to_owned()).or_default();
            if draft.resolved_from.is_empty() {
                draft.resolved_from = "workload".into();
            }
            push_unique(&mut draft.repos, repo_key);
            push_unique(&mut draft.workloads, key);
            draft.found_in.extend(evidence_ids(w));
            if draft.team.is_none() {
                if let Some(owner) = &code_owner {
                    draft.team = Some(owner.clone());
                    draft.team_source = Some("CODEOWNERS".into());
                } else if let Some(label) = str_field(w, "team") {
                    draft.team = Some(label.to_owned());
                    draft.team_source = Some("workload label".into());
                }
            }
        }

        if !found_any {
            let draft = drafts.entry(repo_key.clone()).or_default();
            draft.resolved_from = "repository".into();
            push_unique(&mut draft.repos, repo_key);
            if draft.team.is_none()
                && let Some(owner) = &code_owner
            {
                draft.team = Some(owner.clone());
                draft.team_source = Some("CODEOWNERS".into());
            }
            if let Some(co) = repo.get("codeowners").filter(|c| !c.is_null()) {
                draft.found_in.extend(evidence_ids(co));
            }
        }
    }

    // Live workloads (facts.kubernetes.workloads, keys `<cluster>/Kind/ns/name`) join the
    // service their app label (else name) names, in every cluster read. A live workload
    // that names no service found in the repositories starts none: criteria judged from
    // repositories would have nothing to judge it by.
    if let Some(live) = facts
        .pointer("/kubernetes/workloads")
        .and_then(Value::as_object)
    {
        for (key, w) in live {
            if let Some(name) = workload_name(w)
                && let Some(draft) = drafts.get_mut(name)
            {
                push_unique(&mut draft.live_workloads, key);
            }
        }
    }

    // Alerting and recording rules belong to the service their labels name, else to
    // every service of the repository they were read from. Indexed here, once, because
    // matching them inside Rego is a join over services × rules.
    let mut rules_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let rules = git
        .get("prometheus_rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, rule) in rules.iter().enumerate() {
        if let Some(hint) = str_field(rule, "service_hint")
            && drafts.contains_key(hint)
        {
            rules_of.entry(hint.to_owned()).or_default().push(index);
            continue;
        }
        let ids = evidence_ids(rule);
        for (id, d) in &drafts {
            let from_repo = d.repos.iter().any(|k| {
                let prefix = format!("git:{k}@");
                ids.iter().any(|e| e.starts_with(&prefix))
            });
            if from_repo {
                rules_of.entry(id.clone()).or_default().push(index);
            }
        }
    }

    let mut resolution = Resolution {
        rule_metrics: rule_metrics(&git),
        ..Resolution::default()
    };
    let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let prometheus = PrometheusIndex::new(facts);
    for (id, mut d) in drafts {
        let (prom_services, prom_rules) = prometheus.of(&id, &d.workloads, workloads);
        d.found_in.sort();
        d.found_in.dedup();
        if let Some(t) = &d.team {
            teams.entry(t.clone()).or_default().push(id.clone());
        }
        resolution.input_services.insert(
            id.clone(),
            json!({
                "id": id,
                "team": d.team,
                "team_source": d.team_source,
                "resolved_from": d.resolved_from,
                "repos": d.repos,
                "workloads": d.workloads,
                "live_workloads": d.live_workloads,
                "found_in": d.found_in,
                "rules": rules_of.remove(&id).unwrap_or_default(),
                "prometheus": prom_services,
                "prometheus_rules": prom_rules,
            }),
        );
        resolution.services.push(Service {
            id,
            team: d.team,
            team_source: d.team_source,
            resolved_from: d.resolved_from,
            found_in: d.found_in,
        });
    }
    for (team, services) in teams {
        resolution
            .teams
            .insert(team.clone(), json!({ "id": team, "services": services }));
    }
    resolution
}

/// Metric names read by each of `git.prometheus_rules[i]` (`null` when unparseable), in
/// the order of the rules: the `input.index.rule_metrics` rules look up by index.
pub fn rule_metrics(git: &Value) -> Vec<Value> {
    git.get("prometheus_rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    r.get("expr")
                        .and_then(Value::as_str)
                        .and_then(crate::promql::metric_names)
                        .map_or(Value::Null, |names| json!(names))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What Prometheus showed, indexed for resolution: services (as the probe mapped
/// targets) and the service each alerting/recording rule names.
struct PrometheusIndex {
    services: Vec<String>,
    rule_hints: Vec<Option<String>>,
}

impl PrometheusIndex {
    fn new(facts: &Value) -> Self {
        let services = facts
            .pointer("/prometheus/services")
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let rule_hints = facts
            .pointer("/prometheus/rules")
            .and_then(Value::as_array)
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| str_field(r, "service_hint").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            services,
            rule_hints,
        }
    }

    /// Keys of `facts.prometheus.services` and indices of `facts.prometheus.rules` that
    /// belong to a service: its id, or the app label or name of one of its workloads,
    /// equals the name the probe mapped (or the rule names).
    fn of(
        &self,
        id: &str,
        workload_keys: &[String],
        workloads: &Map<String, Value>,
    ) -> (Vec<String>, Vec<usize>) {
        let mut names = vec![id.to_owned()];
        for key in workload_keys {
            if let Some(w) = workloads.get(key) {
                for n in [str_field(w, "app"), str_field(w, "name")]
                    .into_iter()
                    .flatten()
                {
                    push_unique(&mut names, n);
                }
            }
        }
        let services = self
            .services
            .iter()
            .filter(|s| names.contains(s))
            .cloned()
            .collect();
        let rules = self
            .rule_hints
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_ref().is_some_and(|h| names.contains(h)))
            .map(|(i, _)| i)
            .collect();
        (services, rules)
    }
}

fn workload_name(w: &Value) -> Option<&str> {
    str_field(w, "app").or_else(|| str_field(w, "name"))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Value {
        json!({"git": {
            "repos": {
                "shop": {"key": "shop", "codeowners": {"default_owners": ["@acme/web"], "evidence": "git:shop@1:CODEOWNERS#L1"},
                          "catalog": [{"kind": "Component", "name": "cart", "owner": "team-cart", "evidence": "git:shop@1:catalog-info.yaml#L1-L9"}]},
                "tools": {"key": "tools", "codeowners": null, "catalog": []}
            },
            "workloads": {
                "Deployment/default/cart": {"name": "cart", "app": "cart", "evidence": ["git:shop@1:k8s/cart.yaml#L1-L20"]},
                "Deployment/default/front": {"name": "front-v2", "app": "frontend", "team": "label-team", "evidence": ["git:shop@1:k8s/front.yaml#L1-L20"]}
            }
        }})
    }

    #[test]
    fn catalog_then_workloads_then_repository() {
        let r = resolve_services(&facts());
        let ids: Vec<_> = r.services.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["cart", "frontend", "tools"]);
        let cart = &r.services[0];
        assert_eq!(cart.team.as_deref(), Some("team-cart"));
        assert_eq!(cart.resolved_from, "catalog");
        let front = &r.services[1];
        assert_eq!(
            front.team.as_deref(),
            Some("@acme/web"),
            "CODEOWNERS beats labels"
        );
        assert_eq!(front.team_source.as_deref(), Some("CODEOWNERS"));
        let tools = &r.services[2];
        assert_eq!(tools.resolved_from, "repository");
        assert_eq!(tools.team, None);
        assert_eq!(
            r.input_services["cart"]["workloads"],
            json!(["Deployment/default/cart"])
        );
        assert_eq!(r.teams["@acme/web"]["services"], json!(["frontend"]));
    }

    #[test]
    fn prometheus_services_and_rules_join_by_service_and_workload_names() {
        let mut f = facts();
        f["prometheus"] = json!({
            "services": {"frontend": {}, "front-v2": {}, "other": {}},
            "rules": [{"service_hint": "cart"}, {"service_hint": null}, {"service_hint": "front-v2"}]
        });
        let r = resolve_services(&f);
        assert_eq!(
            r.input_services["frontend"]["prometheus"],
            json!(["frontend", "front-v2"])
        );
        assert_eq!(r.input_services["frontend"]["prometheus_rules"], json!([2]));
        assert_eq!(r.input_services["cart"]["prometheus_rules"], json!([0]));
        assert_eq!(r.input_services["tools"]["prometheus"], json!([]));
    }

    #[test]
    fn live_workloads_join_services_by_app_label_in_every_cluster() {
        let mut f = facts();
        f["kubernetes"] = json!({"workloads": {
            "prod/Deployment/shop/cart": {"name": "cart", "app": "cart"},
            "stage/Deployment/shop/cart-v2": {"name": "cart-v2", "app": "cart"},
            "prod/Deployment/kube-system/coredns": {"name": "coredns", "app": "kube-dns"}
        }});
        let r = resolve_services(&f);
        assert_eq!(
            r.input_services["cart"]["live_workloads"],
            json!(["prod/Deployment/shop/cart", "stage/Deployment/shop/cart-v2"])
        );
        assert_eq!(r.input_services["frontend"]["live_workloads"], json!([]));
        assert!(
            !r.input_services.contains_key("kube-dns"),
            "no service from a live workload alone"
        );
    }

    #[test]
    fn no_facts_means_no_services() {
        assert!(resolve_services(&json!({})).services.is_empty());
    }
}
