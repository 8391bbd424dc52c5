//! Kubernetes manifests and Prometheus rule files committed to a repository.
//!
//! A Deployment in a repository and the same Deployment in a cluster must yield the same
//! facts, so objects are handed to the shared `evident_kube_facts::extract`; this module
//! only finds them, with the exact lines of each document as evidence.

use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::InventoryEntry;
use crate::yaml_pos::{self, Lines, Node};
use evident_kube_facts::SourcedObject;
use serde_json::{Map, Value, json};

/// API groups whose objects look like Kubernetes objects but are not cluster resources
/// (Backstage entities, kustomize and skaffold configuration).
const NOT_CLUSTER_OBJECTS: [&str; 3] = ["backstage.io/", "kustomize.config.k8s.io/", "skaffold/"];

/// What the YAML documents of one file showed.
#[derive(Default)]
pub(crate) struct Found {
    /// Cluster objects, each with its evidence.
    pub objects: Vec<SourcedObject>,
    /// GitOps objects (Argo CD, Flux) for `inventory.config_as_code`.
    pub gitops: Vec<InventoryEntry>,
    /// Alerting and recording rules from Prometheus rule files.
    pub alert_rules: Vec<Value>,
}

/// Collects the Kubernetes objects (including the items of `kind: List`) and Prometheus
/// rule groups of a parsed YAML file.
pub(crate) fn collect(
    file: &SourceFile,
    docs: &[Node],
    book: &mut EvidenceBook<'_>,
    found: &mut Found,
) {
    let lines = Lines::new(&file.text);
    for doc in docs {
        if !yaml_pos::is_mapping(doc) {
            continue;
        }
        if let Some(groups) = yaml_pos::get(doc, "groups")
            && yaml_pos::get(doc, "apiVersion").is_none()
        {
            collect_rule_groups(file, groups, &lines, book, &mut found.alert_rules);
            continue;
        }
        let (Some(api_version), Some(kind)) = (
            yaml_pos::get_str(doc, "apiVersion"),
            yaml_pos::get_str(doc, "kind"),
        ) else {
            continue;
        };
        if NOT_CLUSTER_OBJECTS
            .iter()
            .any(|p| api_version.starts_with(p))
        {
            continue;
        }
        if kind == "List" || (kind.ends_with("List") && yaml_pos::get(doc, "items").is_some()) {
            for item in yaml_pos::items(yaml_pos::get(doc, "items").unwrap_or(doc)) {
                add_object(file, item, &lines, book, found);
            }
        } else {
            add_object(file, doc, &lines, book, found);
        }
    }
}

fn add_object(
    file: &SourceFile,
    node: &Node,
    lines: &Lines<'_>,
    book: &mut EvidenceBook<'_>,
    found: &mut Found,
) {
    let (start, end) = lines.node_range(node);
    let evidence = book.cite(file, start, end);
    let api_version = yaml_pos::get_str(node, "apiVersion").unwrap_or_default();
    let kind = yaml_pos::get_str(node, "kind").unwrap_or_default();
    let gitops_tool = match kind {
        "Application" | "ApplicationSet" | "AppProject"
            if api_version.starts_with("argoproj.io/") =>
        {
            Some("argocd")
        }
        "Kustomization" if api_version.starts_with("kustomize.toolkit.fluxcd.io/") => Some("flux"),
        "HelmRelease" if api_version.starts_with("helm.toolkit.fluxcd.io/") => Some("flux"),
        _ => None,
    };
    if let Some(tool) = gitops_tool {
        found.gitops.push(InventoryEntry {
            path: file.path.clone(),
            tool: tool.to_owned(),
            evidence: evidence.clone(),
        });
    }
    found.objects.push(SourcedObject {
        object: yaml_pos::to_json(node),
        evidence,
    });
}

/// A Prometheus rule file: `groups: [{name, rules: [{alert|record, expr, labels,
/// annotations}]}]`. Each rule cites its own lines.
fn collect_rule_groups(
    file: &SourceFile,
    groups: &Node,
    lines: &Lines<'_>,
    book: &mut EvidenceBook<'_>,
    out: &mut Vec<Value>,
) {
    for group in yaml_pos::items(groups) {
        let group_name = yaml_pos::get(group, "name")
            .and_then(yaml_pos::scalar_text)
            .unwrap_or_default();
        let Some(rules) = yaml_pos::get(group, "rules") else {
            continue;
        };
        for rule in yaml_pos::items(rules) {
            let (kind, name) = match (
                yaml_pos::get(rule, "alert").and_then(yaml_pos::scalar_text),
                yaml_pos::get(rule, "record").and_then(yaml_pos::scalar_text),
            ) {
                (Some(alert), _) => ("alert", alert),
                (None, Some(record)) => ("record", record),
                (None, None) => continue,
            };
            let (start, end) = lines.node_range(rule);
            let evidence = book.cite(file, start, end);
            let json = yaml_pos::to_json(rule);
            out.push(alert_rule(&group_name, kind, &name, &json, evidence));
        }
    }
}

/// The AlertRule shape of docs/facts.md, from a rule as JSON.
pub(crate) fn alert_rule(
    group: &str,
    kind: &str,
    name: &str,
    rule: &Value,
    evidence: String,
) -> Value {
    let expr = match rule.get("expr") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let labels: Map<String, Value> = rule
        .get("labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), Value::String(text))
                })
                .collect()
        })
        .unwrap_or_default();
    let annotations = rule.get("annotations");
    let runbook_url = annotations
        .and_then(|a| a.get("runbook_url").or_else(|| a.get("runbook")))
        .and_then(Value::as_str);
    let service_hint = ["service", "app", "job"]
        .iter()
        .find_map(|k| labels.get(*k).and_then(Value::as_str).map(str::to_owned))
        .or_else(|| selector_value(&expr));
    json!({
        "group": group,
        "name": name,
        "kind": kind,
        "expr": expr,
        "labels": labels,
        "runbook_url": runbook_url,
        "service_hint": service_hint,
        "evidence": evidence,
    })
}

/// The first `service="x"`, `app="x"` or `job="x"` label matcher of an expression.
fn selector_value(expr: &str) -> Option<String> {
    for label in ["service", "app", "job"] {
        let needle = format!("{label}=\"");
        let mut rest = expr;
        while let Some(pos) = rest.find(&needle) {
            let before = rest[..pos].chars().last();
            let value_start = pos + needle.len();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && let Some(len) = rest[value_start..].find('"')
            {
                let value = &rest[value_start..value_start + len];
                if !value.is_empty() {
                    return Some(value.to_owned());
                }
            }
            rest = &rest[value_start..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_hint_ignores_longer_label_names() {
        assert_eq!(
            selector_value("rate(http_requests_total{myjob=\"x\",job=\"checkout\"}[5m])")
                .as_deref(),
            Some("checkout")
        );
        assert_eq!(selector_value("up == 0"), None);
    }
}
