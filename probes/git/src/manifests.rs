//! Kubernetes manifests and Prometheus rule files committed to a repository.
//!
//! A Deployment in a repository and the same Deployment in a cluster must yield the same
//! facts, so objects are handed to the shared `evident_kube_facts::extract`; this module
//! only finds them, with the exact lines of each document as evidence.
//!
//! A file a kustomization lists as a patch (`patches:`, `patchesStrategicMerge:`,
//! `patchesJson6902:`) holds fragments of objects declared elsewhere: a Deployment patch
//! that sets one image is not a Deployment of its own, and extracting it would make a
//! service without probes, replicas or requests out of nothing. Such objects are set
//! aside with a `skipped` entry that says so.

use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::InventoryEntry;
use crate::inventory;
use crate::yaml_pos::{self, Lines, Node};
use evident_kube_facts::SourcedObject;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

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
    /// The file each of `objects` was read from (same order), so that patches listed by a
    /// kustomization read later can still be set aside.
    pub origins: Vec<String>,
    /// Patch file → the kustomization that lists it as a patch.
    patches: BTreeMap<String, String>,
    /// Every kustomization (and kustomize Component) read, for rendering overlays.
    pub kustomizations: Vec<crate::kustomize::Kustomization>,
    /// `(kind, name, kustomization)` of each object set aside as a patch.
    pub patch_targets: Vec<(String, String, String)>,
}

impl Found {
    /// Removes the objects of files that a kustomization lists as patches, and returns a
    /// `skipped` entry (`{evidence, reason}`, as `facts.git.skipped` holds them) for each.
    ///
    /// Done once every file was read, because a kustomization can sort after its patches.
    pub(crate) fn set_aside_kustomize_patches(&mut self) -> Vec<Value> {
        self.patch_targets.clear();
        if self.patches.is_empty() {
            return Vec::new();
        }
        let mut skipped = Vec::new();
        let mut kept = Vec::with_capacity(self.objects.len());
        let mut kept_origins = Vec::with_capacity(self.origins.len());
        let objects = std::mem::take(&mut self.objects);
        let origins = std::mem::take(&mut self.origins);
        for (object, origin) in objects.into_iter().zip(origins) {
            match self.patches.get(&origin) {
                Some(kustomization) => {
                    let field = |k: &str| {
                        object
                            .object
                            .pointer(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    self.patch_targets.push((
                        field("/kind"),
                        field("/metadata/name"),
                        kustomization.clone(),
                    ));
                    skipped.push(json!({
                        "evidence": object.evidence,
                        "reason": format!("kustomize patch (of {kustomization}), not a workload"),
                    }));
                }
                None => {
                    kept.push(object);
                    kept_origins.push(origin);
                }
            }
        }
        self.objects = kept;
        self.origins = kept_origins;
        skipped
    }
}

/// Whether a document is a kustomization: by its kustomize apiVersion (`Kustomization`,
/// `Component`), or by file name when it has no apiVersion (kustomize does not need one).
fn is_kustomization(path: &str, doc: &Node) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match yaml_pos::get_str(doc, "apiVersion") {
        Some(api) => api.starts_with("kustomize.config.k8s.io/"),
        None => matches!(name, "kustomization.yaml" | "kustomization.yml"),
    }
}

/// The repository paths a kustomization lists as patch files. Inline patches (`patch:`,
/// a multi-line strategic merge string) name no file; paths that leave the repository
/// are ignored.
fn kustomize_patch_paths(kustomization: &str, doc: &Node) -> Vec<String> {
    let dir = inventory::dir_of(kustomization);
    let mut out = Vec::new();
    for key in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
        let Some(list) = yaml_pos::get(doc, key) else {
            continue;
        };
        for item in yaml_pos::items(list) {
            let path = if yaml_pos::is_mapping(item) {
                yaml_pos::get(item, "path").and_then(yaml_pos::scalar_text)
            } else {
                yaml_pos::scalar_text(item).filter(|t| !t.contains('\n'))
            };
            if let Some(joined) = path.and_then(|p| join_relative(dir, p.trim())) {
                out.push(joined);
            }
        }
    }
    out
}

/// `dir/rel` with `.` and `..` resolved; `None` when it leaves the repository or is
/// absolute or a URL.
pub(crate) fn join_relative(dir: &str, rel: &str) -> Option<String> {
    if rel.is_empty() || rel.starts_with('/') || rel.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
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
        if is_kustomization(&file.path, doc) {
            found
                .kustomizations
                .push(crate::kustomize::Kustomization::read(&file.path, doc));
            for patch in kustomize_patch_paths(&file.path, doc) {
                found
                    .patches
                    .entry(patch)
                    .or_insert_with(|| file.path.clone());
            }
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
    found.origins.push(file.path.clone());
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
    fn patch_paths_resolve_against_the_kustomization() {
        assert_eq!(
            join_relative("overlays/prod", "../../base/patch.yaml").as_deref(),
            Some("base/patch.yaml")
        );
        assert_eq!(join_relative("", "./p.yaml").as_deref(), Some("p.yaml"));
        assert_eq!(join_relative("k", "../../x.yaml"), None);
        assert_eq!(join_relative("k", "https://example.com/p.yaml"), None);
    }

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
