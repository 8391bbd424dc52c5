//! Models, criteria and the Rego sources that judge them.
//!
//! Models are data (YAML) so that adding a criterion is one entry and one rule file, and
//! so that users can ship their own next to the built-in ones (`--policy DIR`).

use crate::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// Whether a model has levels (CMM-style, no leap-frogging) or is a practice profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Levels in order; a level is attained only with all lower ones.
    Leveled,
    /// No levels: the share of practices met per dimension.
    Profile,
}

/// Where a criterion is judged once: per service, per owning team, or for the estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Judged for each service.
    Service,
    /// Judged once per team, reported on each of its services.
    Team,
    /// Judged once, reported on every service.
    Estate,
}

/// How far systems can prove a criterion; `none` means only a person can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observability {
    /// Systems hold direct proof.
    Direct,
    /// Inferred from signals that correlate; the output says so.
    Proxy,
    /// No system holds proof: `manual` unless attested.
    None,
}

impl Scope {
    /// Lower-case name as in the model files.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Service => "service",
            Scope::Team => "team",
            Scope::Estate => "estate",
        }
    }
}

impl Observability {
    /// Lower-case name as in the model files.
    pub fn as_str(self) -> &'static str {
        match self {
            Observability::Direct => "direct",
            Observability::Proxy => "proxy",
            Observability::None => "none",
        }
    }
}

/// A level of a leveled model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelDef {
    /// Its number.
    pub level: u8,
    /// Its name ("Baseline").
    pub name: String,
}

/// One criterion as the model file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable id, `<model prefix>.<dimension>.<name>`.
    pub id: String,
    /// The seed text.
    pub title: String,
    /// Level, for leveled models.
    #[serde(default)]
    pub level: Option<u8>,
    /// Dimension.
    pub dimension: String,
    /// Where it is judged.
    pub scope: Scope,
    /// How far systems can prove it.
    pub observability: Observability,
    /// Smells are met when absent.
    #[serde(default)]
    pub smell: bool,
    /// Capabilities that must be `ok` for the rule to run; otherwise `unknown`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Capabilities the rule uses when present and notes as unchecked when not.
    #[serde(default)]
    pub optional_sources: Vec<String>,
    /// Capabilities without which the criterion can be `not_met` but never `met` (the
    /// rule answers `unknown` instead of `met` while they are unread): neither required
    /// (the rule judges a failing part without them) nor optional (`met` depends on them),
    /// so `evident explain` says so instead of calling them optional.
    #[serde(default)]
    pub met_needs: Vec<String>,
    /// Judged exactly as another criterion ("as ds.devops.auto-deploy").
    #[serde(default)]
    pub same_as: Option<String>,
    /// Rego package of the rule, when it differs from the one derived from the id.
    #[serde(default)]
    pub rule: Option<String>,
    /// What makes it met.
    pub met_when: String,
    /// What to do when it is not.
    pub remediation: String,
}

impl Criterion {
    /// Every source the rule reads when present: optional ones and those `met` needs. A
    /// failure of any of them gates the criterion (see [`crate::gate`]).
    pub fn read_when_present(&self) -> Vec<String> {
        self.optional_sources
            .iter()
            .chain(&self.met_needs)
            .cloned()
            .collect()
    }

    /// The Rego package that judges this criterion: `evident.rules.` + the id with `-`
    /// turned into `_` (Rego names cannot hold `-`), unless the model names one.
    pub fn package(&self) -> String {
        self.rule
            .clone()
            .unwrap_or_else(|| format!("evident.rules.{}", self.id.replace('-', "_")))
    }
}

/// A maturity model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Stable id (`distributed-systems`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The publication it is seeded from.
    #[serde(default)]
    pub seed: Option<String>,
    /// Leveled or profile.
    pub kind: ModelKind,
    /// The level every service has without meeting anything (leveled models).
    #[serde(default)]
    pub floor: Option<u8>,
    /// Levels in ascending order.
    #[serde(default)]
    pub levels: Vec<LevelDef>,
    /// Dimensions in display order.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Its criteria.
    pub criteria: Vec<Criterion>,
}

impl Model {
    /// Name of a level, or its number when the model does not name it.
    pub fn level_name(&self, level: u8) -> String {
        self.levels
            .iter()
            .find(|l| l.level == level)
            .map_or_else(|| format!("level {level}"), |l| l.name.clone())
    }
}

/// One Rego file, with the package it declares and its leading doc comment.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Where it came from (`builtin:ds.devops.auto-deploy.rego` or a path).
    pub path: String,
    /// The Rego text.
    pub text: String,
    /// The declared package, without `data.`.
    pub package: Option<String>,
    /// The `#` comment block above `package`, which explains the rule's decisions.
    pub doc: String,
}

impl RuleSource {
    /// Reads the package and doc comment out of Rego text.
    pub fn new(path: String, text: String) -> Self {
        let mut doc_lines = Vec::new();
        let mut package = None;
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(rest) = trimmed.strip_prefix("package ") {
                package = Some(rest.trim().to_owned());
                break;
            }
            if let Some(comment) = trimmed.strip_prefix('#') {
                doc_lines.push(comment.strip_prefix(' ').unwrap_or(comment).to_owned());
            } else if trimmed.is_empty() {
                doc_lines.push(String::new());
            }
        }
        let doc = doc_lines.join("\n").trim().to_owned();
        Self {
            path,
            text,
            package,
            doc,
        }
    }
}

/// Everything the engine judges with: models and their rules.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Models in display order.
    pub models: Vec<Model>,
    /// Rego sources (the shared library included).
    pub rules: Vec<RuleSource>,
    /// Policy directories loaded on top of the built-ins.
    pub policy_dirs: Vec<String>,
}

impl Catalog {
    /// The three built-in models and their rules.
    pub fn builtin() -> Result<Self> {
        let mut catalog = Catalog::default();
        for (name, text) in builtin::MODELS {
            catalog.add_model(&format!("builtin:models/{name}"), text)?;
        }
        // Leveled models first, broadest first: the order people read them in.
        const ORDER: [&str; 3] = ["distributed-systems", "operations", "devops-cams"];
        catalog.models.sort_by_key(|m| {
            ORDER
                .iter()
                .position(|id| *id == m.id)
                .unwrap_or(ORDER.len())
        });
        for (name, text) in builtin::RULES {
            catalog.rules.push(RuleSource::new(
                format!("builtin:rules/{name}"),
                (*text).to_owned(),
            ));
        }
        Ok(catalog)
    }

    fn add_model(&mut self, path: &str, text: &str) -> Result<()> {
        let model: Model = serde_yaml::from_str(text).map_err(|e| EngineError::Model {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        // A model with a known id replaces its criteria one by one (overrides) and adds
        // new ones; an unknown id is a new model.
        if let Some(existing) = self.models.iter_mut().find(|m| m.id == model.id) {
            for criterion in model.criteria {
                match existing.criteria.iter_mut().find(|c| c.id == criterion.id) {
                    Some(slot) => *slot = criterion,
                    None => existing.criteria.push(criterion),
                }
            }
        } else {
            self.models.push(model);
        }
        Ok(())
    }

    /// Adds a user's policy directory: every `*.yaml`/`*.yml` is a model (or overrides of
    /// a model with the same id) and every `*.rego` a rule; a rule whose package equals a
    /// built-in one replaces it.
    pub fn load_policy_dir(&mut self, dir: &Path) -> Result<()> {
        let files = read_policy_dir(dir)?;
        self.load_policy_files(&dir.display().to_string(), files)
    }

    /// Adds the files of a policy directory already read ([`read_policy_dir`]): what a
    /// replay does with the files a snapshot kept, so a verdict is re-derived under the
    /// rules it was judged with, not under whatever the directory holds today.
    pub fn load_policy_files(&mut self, dir: &str, files: Vec<PolicyFile>) -> Result<()> {
        for file in files {
            if file.is_model() {
                self.add_model(&file.path, &file.text)?;
            } else {
                let source = RuleSource::new(file.path, file.text);
                if let Some(pkg) = &source.package {
                    self.rules
                        .retain(|r| r.package.as_deref() != Some(pkg.as_str()));
                }
                self.rules.push(source);
            }
        }
        self.policy_dirs.push(dir.to_owned());
        self.validate()
    }

    /// Refuses a rule of a policy directory that judges no criterion: a `result` rule in
    /// a package no model's criterion maps to would never run, and a scan that ignores it
    /// silently looks like a scan that applied it. Names the file and the line of its
    /// `package`, and the package a criterion id maps to. Test packages (`_test`) and
    /// helper packages without a `result` rule are not rules.
    pub fn judges_a_criterion(&self, dir: &str) -> Result<()> {
        let judged: std::collections::HashSet<String> = self
            .models
            .iter()
            .flat_map(|m| m.criteria.iter().map(Criterion::package))
            .collect();
        for rule in self.rules.iter().filter(|r| r.path.starts_with(dir)) {
            let Some(pkg) = &rule.package else { continue };
            let has_result = rule.text.lines().any(|l| {
                l.starts_with("result[") || l.starts_with("result ") || l.starts_with("result:")
            });
            if pkg.ends_with("_test") || !has_result || judged.contains(pkg) {
                continue;
            }
            let line = rule
                .text
                .lines()
                .position(|l| l.trim_start().starts_with("package "))
                .map_or(1, |i| i + 1);
            return Err(EngineError::Policy {
                path: format!("{}:{line}", rule.path),
                message: format!(
                    "package {pkg} has a result rule but no model declares the criterion it would judge, so it would never run; declare the criterion in a model YAML of the policy directory (criterion id a.b.c-d is judged by package evident.rules.a.b.c_d) or set its `rule:` to {pkg}"
                ),
            });
        }
        Ok(())
    }

    /// Refuses a rule of a policy directory that writes a status outside the vocabulary
    /// (`"status": "passed"`): it would only ever show as `unknown`, which reads as a
    /// source failing rather than a mistake in the policy. Names the file and line.
    pub fn statuses_in_vocabulary(&self, dir: &str) -> Result<()> {
        // Test packages build inputs (`{"status": "ok"}` for a source), not verdicts.
        let is_test = |r: &RuleSource| r.package.as_deref().is_some_and(|p| p.ends_with("_test"));
        for rule in self
            .rules
            .iter()
            .filter(|r| r.path.starts_with(dir) && !is_test(r))
        {
            if let Some((path, message)) = crate::vocabulary::check_source(rule) {
                return Err(EngineError::Policy { path, message });
            }
        }
        Ok(())
    }

    /// Checks what would otherwise fail late: duplicate ids across models, `same_as`
    /// pointing nowhere, levels a leveled model does not define.
    pub fn validate(&self) -> Result<()> {
        let mut seen = BTreeMap::new();
        for model in &self.models {
            for c in &model.criteria {
                if let Some(other) = seen.insert(c.id.clone(), model.id.clone())
                    && other != model.id
                {
                    return Err(EngineError::Model {
                        path: model.id.clone(),
                        message: format!("criterion {} is also defined by model {other}", c.id),
                    });
                }
                if model.kind == ModelKind::Leveled
                    && !c
                        .level
                        .is_some_and(|l| model.levels.iter().any(|d| d.level == l))
                {
                    return Err(EngineError::Model {
                        path: model.id.clone(),
                        message: format!("criterion {} has no level the model defines", c.id),
                    });
                }
            }
        }
        for model in &self.models {
            for c in &model.criteria {
                if let Some(target) = &c.same_as
                    && !seen.contains_key(target)
                {
                    return Err(EngineError::Model {
                        path: model.id.clone(),
                        message: format!(
                            "criterion {} is same_as unknown criterion {target}",
                            c.id
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Finds a criterion and its model by id.
    pub fn criterion(&self, id: &str) -> Option<(&Model, &Criterion)> {
        self.models
            .iter()
            .find_map(|m| m.criteria.iter().find(|c| c.id == id).map(|c| (m, c)))
    }

    /// The rule source that declares a package.
    pub fn rule_for(&self, package: &str) -> Option<&RuleSource> {
        self.rules
            .iter()
            .find(|r| r.package.as_deref() == Some(package))
    }

    /// Keeps only the named models (`--model`); unknown names are an error listing the
    /// known ones.
    pub fn retain_models(&mut self, ids: &[String]) -> Result<()> {
        for id in ids {
            if !self.models.iter().any(|m| &m.id == id) {
                let known: Vec<_> = self.models.iter().map(|m| m.id.as_str()).collect();
                return Err(EngineError::Model {
                    path: id.clone(),
                    message: format!("no such model; known models: {}", known.join(", ")),
                });
            }
        }
        self.models.retain(|m| ids.contains(&m.id));
        Ok(())
    }
}

/// One model or rule file of a policy directory, as read: what a snapshot keeps of the
/// rules a scan judged with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFile {
    /// The path as shown in errors and in the result (`DIR/name.rego`).
    pub path: String,
    /// The file's text.
    pub text: String,
}

impl PolicyFile {
    fn is_model(&self) -> bool {
        self.path.ends_with(".yaml") || self.path.ends_with(".yml")
    }
}

/// The model (`*.yaml`, `*.yml`) and rule (`*.rego`) files of a policy directory, in
/// name order; other files are not policies and are left out.
pub fn read_policy_dir(dir: &Path) -> Result<Vec<PolicyFile>> {
    let io = |path: &Path, e| EngineError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "rego")
            )
        })
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            Ok(PolicyFile {
                path: path.display().to_string(),
                text,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_three_models_and_validates() {
        let c = Catalog::builtin().unwrap();
        c.validate().unwrap();
        let ids: Vec<_> = c.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["distributed-systems", "operations", "devops-cams"]);
        let total: usize = c.models.iter().map(|m| m.criteria.len()).sum();
        assert_eq!(total, 47 + 11 + 14);
    }

    #[test]
    fn every_rule_file_declares_a_package_and_documents_itself() {
        let c = Catalog::builtin().unwrap();
        for r in &c.rules {
            assert!(r.package.is_some(), "{} declares no package", r.path);
            assert!(r.doc.len() > 40, "{} has no doc comment", r.path);
        }
    }

    #[test]
    fn every_rule_belongs_to_a_criterion_and_observable_criteria_name_their_sources() {
        let c = Catalog::builtin().unwrap();
        for r in &c.rules {
            let pkg = r.package.as_deref().unwrap_or_default();
            if pkg == "evident.lib" {
                continue;
            }
            let owner = c
                .models
                .iter()
                .flat_map(|m| &m.criteria)
                .find(|k| k.package() == pkg);
            assert!(owner.is_some(), "{} judges no criterion", r.path);
        }
        for m in &c.models {
            for k in &m.criteria {
                if k.observability != Observability::None && k.same_as.is_none() {
                    assert!(!k.sources.is_empty(), "{} names no sources", k.id);
                }
            }
        }
    }

    #[test]
    fn package_names_replace_dashes() {
        let c = Catalog::builtin().unwrap();
        let (_, k) = c.criterion("ds.devops.auto-deploy").unwrap();
        assert_eq!(k.package(), "evident.rules.ds.devops.auto_deploy");
    }
}
