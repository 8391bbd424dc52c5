//! Files recognised by path or by a telling top-level key: infrastructure as code,
//! dependency update bots, API definitions, contracts, migrations, runbooks, SOAP/ESB
//! descriptors and deploy scripts.
//!
//! Several criteria only need to know that such a file exists in the service's repo
//! (config automated, dependency updates automated, runbooks codified); the rules then
//! combine it with what CI does with it.

use crate::facts::{Inventory, InventoryEntry};
use std::collections::BTreeSet;

/// The lists of `Repo.inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Category {
    ConfigAsCode,
    DependencyUpdates,
    ApiDefinitions,
    Contracts,
    Migrations,
    Runbooks,
    SoapEsb,
    DeployScripts,
    /// Monitoring and reliability configuration kept in the repository: dashboards,
    /// SLO specs (OpenSLO, Sloth, Pyrra), synthetic probes, scrape configuration.
    OpsAsCode,
}

/// A path that is evidence of a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathMatch {
    pub category: Category,
    pub tool: &'static str,
    /// One entry per directory (terraform modules, migration folders), not per file.
    pub per_directory: bool,
}

fn m(category: Category, tool: &'static str, per_directory: bool) -> PathMatch {
    PathMatch {
        category,
        tool,
        per_directory,
    }
}

/// What the whole path list shows that single paths cannot.
#[derive(Debug, Default)]
pub(crate) struct RepoPaths {
    /// A Cargo.toml mentions sqlx (checked by the caller).
    pub uses_sqlx: bool,
    /// Directories that have a `recipes/` subdirectory (Chef cookbooks).
    pub cookbook_dirs: BTreeSet<String>,
}

impl RepoPaths {
    /// Gathers directory facts from all paths.
    pub(crate) fn from_paths<'a>(paths: impl Iterator<Item = &'a str>) -> Self {
        let mut out = Self::default();
        for p in paths {
            if let Some(pos) = p.find("recipes/") {
                let dir = p[..pos].trim_end_matches('/');
                if pos == 0 || p[..pos].ends_with('/') {
                    out.cookbook_dirs.insert(dir.to_owned());
                }
            }
        }
        out
    }
}

/// The directory of a path ("" for the root).
pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn ext(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// What a path alone proves.
pub(crate) fn by_path(path: &str, repo: &RepoPaths) -> Vec<PathMatch> {
    use Category::*;
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_lowercase();
    let dir = dir_of(path);
    let in_dir = |segment: &str| {
        path.starts_with(&format!("{segment}/")) || path.contains(&format!("/{segment}/"))
    };
    let mut out = Vec::new();
    match ext(&lower) {
        "tf" => out.push(m(ConfigAsCode, "terraform", true)),
        "pp" => out.push(m(ConfigAsCode, "puppet", true)),
        "sls" => out.push(m(ConfigAsCode, "salt", true)),
        "proto" => out.push(m(ApiDefinitions, "protobuf", false)),
        "graphql" | "gql" | "graphqls" => out.push(m(ApiDefinitions, "graphql", false)),
        "wsdl" => out.push(m(SoapEsb, "wsdl", false)),
        _ => {}
    }
    match name {
        "Pulumi.yaml" | "Pulumi.yml" => out.push(m(ConfigAsCode, "pulumi", false)),
        "cdk.json" => out.push(m(ConfigAsCode, "cdk", false)),
        "ansible.cfg" => out.push(m(ConfigAsCode, "ansible", false)),
        "Chart.yaml" => out.push(m(ConfigAsCode, "helm", false)),
        "kustomization.yaml" | "kustomization.yml" | "Kustomization" => {
            out.push(m(ConfigAsCode, "kustomize", false));
        }
        "skaffold.yaml" | "skaffold.yml" => out.push(m(ConfigAsCode, "skaffold", false)),
        "metadata.rb" if repo.cookbook_dirs.contains(dir) => {
            out.push(m(ConfigAsCode, "chef", false));
        }
        "mule-artifact.json" => out.push(m(SoapEsb, "esb", false)),
        "alembic.ini" => out.push(m(Migrations, "alembic", false)),
        "renovate.json" | "renovate.json5" | ".renovaterc" | ".renovaterc.json"
        | ".renovaterc.json5" => out.push(m(DependencyUpdates, "renovate", false)),
        _ => {}
    }
    if (lower.starts_with("playbook") && matches!(ext(&lower), "yml" | "yaml"))
        || (in_dir("roles") && path.ends_with("/tasks/main.yml"))
    {
        out.push(m(ConfigAsCode, "ansible", false));
    }
    if matches!(path, ".github/dependabot.yml" | ".github/dependabot.yaml") {
        out.push(m(DependencyUpdates, "dependabot", false));
    }
    if dir.ends_with("pacts") && lower.ends_with(".json") {
        out.push(m(Contracts, "pact", false));
    }
    if in_dir("src/test/resources/contracts") {
        out.push(m(Contracts, "spring-cloud-contract", true));
    }
    // Migrations.
    if dir.ends_with("db/migration")
        && name.starts_with('V')
        && name.contains("__")
        && lower.ends_with(".sql")
    {
        out.push(m(Migrations, "flyway", true));
    }
    if lower.starts_with("db.changelog") || lower.contains("changelog-master") {
        out.push(m(Migrations, "liquibase", false));
    }
    if in_dir("alembic/versions") && lower.ends_with(".py") {
        out.push(m(Migrations, "alembic", true));
    }
    if lower.ends_with(".up.sql") {
        out.push(m(Migrations, "golang-migrate", true));
    } else if repo.uses_sqlx && dir.ends_with("migrations") && lower.ends_with(".sql") {
        out.push(m(Migrations, "sqlx", true));
    }
    if in_dir("prisma/migrations") {
        out.push(m(Migrations, "prisma", true));
    }
    if dir.ends_with("db/migrate") && lower.ends_with(".rb") {
        out.push(m(Migrations, "rails", true));
    }
    if dir.ends_with("/migrations") && name.starts_with('0') && lower.ends_with(".py") {
        out.push(m(Migrations, "django", true));
    }
    if dir.ends_with("Migrations") && lower.ends_with(".cs") {
        out.push(m(Migrations, "ef-core", true));
    }
    // Runbooks.
    let doc_ext = matches!(ext(&lower), "md" | "adoc" | "rst" | "txt" | "org");
    if doc_ext && (in_dir("runbooks") || lower.contains("runbook")) {
        out.push(m(Runbooks, "runbooks", false));
    }
    // Deploy scripts.
    let script_ext =
        matches!(ext(&lower), "sh" | "bash" | "ps1" | "py" | "") || lower.ends_with(".sh");
    if (lower.starts_with("deploy") && lower.ends_with(".sh"))
        || (dir.ends_with("scripts") && lower.starts_with("deploy") && script_ext)
    {
        out.push(m(DeployScripts, "script", false));
    }
    out
}

/// The line of a Makefile target that deploys (`deploy`, `deploy-prod`,
/// `release-to-staging`, `rollout`), if any.
pub(crate) fn makefile_deploy_target(text: &str) -> Option<u32> {
    for (i, line) in text.lines().enumerate() {
        if line.starts_with([' ', '\t', '#', '.']) {
            continue;
        }
        let Some((targets, rest)) = line.split_once(':') else {
            continue;
        };
        if rest.starts_with('=') {
            continue;
        }
        let deploys = targets.split_whitespace().any(|t| {
            t == "deploy"
                || t.starts_with("deploy-")
                || t.starts_with("deploy_")
                || t.starts_with("release-to-")
                || t == "rollout"
        });
        if deploys {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}

/// Collects entries, one per directory where the tool asks for it.
#[derive(Debug, Default)]
pub(crate) struct InventoryBuilder {
    inventory: Inventory,
    seen: BTreeSet<(Category, String, String)>,
}

impl InventoryBuilder {
    /// Whether an entry for this match and path would be new (checked before reading).
    pub(crate) fn wants(&self, found: &PathMatch, path: &str) -> bool {
        !self.seen.contains(&Self::key(
            found.category,
            found.tool,
            path,
            found.per_directory,
        ))
    }

    fn key(
        category: Category,
        tool: &str,
        path: &str,
        per_directory: bool,
    ) -> (Category, String, String) {
        let place = if per_directory { dir_of(path) } else { path };
        (category, tool.to_owned(), place.to_owned())
    }

    /// Adds an entry unless one exists for the same tool and place.
    pub(crate) fn add(
        &mut self,
        category: Category,
        tool: &str,
        per_directory: bool,
        path: &str,
        evidence: String,
    ) {
        if !self
            .seen
            .insert(Self::key(category, tool, path, per_directory))
        {
            return;
        }
        let entry = InventoryEntry {
            path: path.to_owned(),
            tool: tool.to_owned(),
            evidence,
        };
        let list = match category {
            Category::ConfigAsCode => &mut self.inventory.config_as_code,
            Category::DependencyUpdates => &mut self.inventory.dependency_updates,
            Category::ApiDefinitions => &mut self.inventory.api_definitions,
            Category::Contracts => &mut self.inventory.contracts,
            Category::Migrations => &mut self.inventory.migrations,
            Category::Runbooks => &mut self.inventory.runbooks,
            Category::SoapEsb => &mut self.inventory.soap_esb,
            Category::DeployScripts => &mut self.inventory.deploy_scripts,
            Category::OpsAsCode => &mut self.inventory.ops_as_code,
        };
        list.push(entry);
    }

    /// The finished inventory.
    pub(crate) fn finish(self) -> Inventory {
        self.inventory
    }
}

/// What a parsed YAML or JSON document's top-level keys prove: an OpenAPI, Swagger or
/// AsyncAPI definition, a CloudFormation/SAM template, a Pact file. Returns the
/// category, tool and the key that proves it (to cite its line).
pub(crate) fn by_top_level_keys(
    keys: &[&str],
    transform: Option<&str>,
) -> Option<(Category, &'static str, &'static str)> {
    use Category::*;
    let has = |k: &str| keys.contains(&k);
    if has("openapi") {
        Some((ApiDefinitions, "openapi", "openapi"))
    } else if has("swagger") {
        Some((ApiDefinitions, "openapi", "swagger"))
    } else if has("asyncapi") {
        Some((ApiDefinitions, "asyncapi", "asyncapi"))
    } else if has("AWSTemplateFormatVersion") {
        Some((ConfigAsCode, "cloudformation", "AWSTemplateFormatVersion"))
    } else if transform.is_some_and(|t| t.starts_with("AWS::Serverless")) {
        Some((ConfigAsCode, "cloudformation", "Transform"))
    } else if has("consumer") && has("provider") && (has("interactions") || has("messages")) {
        Some((Contracts, "pact", "consumer"))
    } else {
        None
    }
}

/// What a Kubernetes-style document (`apiVersion`, `kind`, labels) or a plain config
/// document proves about operations kept as code: the tool, and the key whose line is
/// cited. Rules read these for SLOs, dashboards and synthetic checks.
pub(crate) fn ops_by_kind(
    api_version: &str,
    kind: &str,
    dashboard_label: bool,
    keys: &[&str],
    blackbox_modules: bool,
) -> Option<(&'static str, &'static str)> {
    let group = api_version.split('/').next().unwrap_or_default();
    let tool = match (group, kind) {
        ("openslo", _) => "openslo",
        ("sloth.slok.dev", _) => "sloth",
        ("pyrra.dev", _) => "pyrra",
        ("grafana.integreatly.org", "GrafanaDashboard") => "grafana-dashboard",
        ("monitoring.coreos.com", "Probe") => "blackbox-probe",
        ("monitoring.coreos.com", "ServiceMonitor" | "PodMonitor") => "scrape-config",
        ("", "ConfigMap") | ("v1", "ConfigMap") if dashboard_label => "grafana-dashboard",
        _ if api_version.is_empty() && keys.contains(&"slos") && keys.contains(&"service") => {
            // Sloth's plain spec: `version: prometheus/v1`, `service`, `slos`.
            return Some(("sloth", "slos"));
        }
        _ if api_version.is_empty() && blackbox_modules => {
            return Some(("blackbox-exporter", "modules"));
        }
        _ => return None,
    };
    Some((tool, "kind"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_as_code_is_recognised_by_kind() {
        let none: &[&str] = &[];
        assert_eq!(
            ops_by_kind("openslo/v1", "SLO", false, none, false),
            Some(("openslo", "kind"))
        );
        assert_eq!(
            ops_by_kind(
                "sloth.slok.dev/v1",
                "PrometheusServiceLevel",
                false,
                none,
                false
            ),
            Some(("sloth", "kind"))
        );
        assert_eq!(
            ops_by_kind(
                "pyrra.dev/v1alpha1",
                "ServiceLevelObjective",
                false,
                none,
                false
            ),
            Some(("pyrra", "kind"))
        );
        assert_eq!(
            ops_by_kind("v1", "ConfigMap", true, none, false),
            Some(("grafana-dashboard", "kind"))
        );
        assert_eq!(ops_by_kind("v1", "ConfigMap", false, none, false), None);
        assert_eq!(
            ops_by_kind("", "", false, &["version", "service", "slos"], false),
            Some(("sloth", "slos"))
        );
        assert_eq!(
            ops_by_kind("", "", false, &["modules"], true),
            Some(("blackbox-exporter", "modules"))
        );
        assert_eq!(
            ops_by_kind("apps/v1", "Deployment", false, none, false),
            None
        );
    }

    fn tools(path: &str) -> Vec<&'static str> {
        by_path(
            path,
            &RepoPaths {
                uses_sqlx: true,
                ..RepoPaths::default()
            },
        )
        .into_iter()
        .map(|m| m.tool)
        .collect()
    }

    #[test]
    fn paths() {
        assert_eq!(tools("infra/main.tf"), vec!["terraform"]);
        assert_eq!(tools(".github/dependabot.yml"), vec!["dependabot"]);
        assert_eq!(tools("api/v1/shop.proto"), vec!["protobuf"]);
        assert_eq!(
            tools("src/main/resources/db/migration/V1__init.sql"),
            vec!["flyway"]
        );
        assert_eq!(tools("migrations/0001_init.up.sql"), vec!["golang-migrate"]);
        assert_eq!(tools("migrations/20240101_init.sql"), vec!["sqlx"]);
        assert_eq!(tools("shop/migrations/0001_initial.py"), vec!["django"]);
        assert_eq!(tools("docs/runbooks/high-latency.md"), vec!["runbooks"]);
        assert_eq!(tools("deploy.sh"), vec!["script"]);
        assert_eq!(tools("service.wsdl"), vec!["wsdl"]);
        assert!(tools("src/main.rs").is_empty());
    }

    #[test]
    fn makefile_targets() {
        assert_eq!(
            makefile_deploy_target("build:\n\tcargo build\ndeploy-prod: build\n\t./x\n"),
            Some(3)
        );
        assert_eq!(makefile_deploy_target("DEPLOY:=1\nall:\n"), None);
    }
}
