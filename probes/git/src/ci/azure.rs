//! Azure Pipelines (`azure-pipelines.yml`, and any `azure-pipelines*.yml`).
//!
//! Triggers come from `trigger:` (absent: every branch), `pr:` (absent: pull requests to
//! every branch, as Azure does for GitHub and Bitbucket repositories), `schedules:` and
//! pipeline resources. A pipeline with `trigger: none` and `pr: none` and no schedule
//! only runs when someone queues it. One fact per job (`job:` or `deployment:`; a
//! pipeline of bare `steps:` is one job), narrowed by the usual branch `condition:`s;
//! deployment jobs name their `environment`. `template: x.yml@repo` of a repository
//! resource other than `self` is a shared template (`azure-template:<repo>/<path>@<ref>`).
//! Local templates are not followed (their jobs are not listed); a manual approval is
//! only seen as a `ManualValidation` task, since environment approvals live in Azure.

use super::classify::{Detection, Hit, Kind, Observed, deploy, hit};
use super::support::{self, Parsed};
use super::{JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};
use std::collections::BTreeMap;

/// The `system` value of Azure Pipelines facts.
pub(crate) const SYSTEM: &str = "azure-pipelines";

/// Whether `path` is an Azure pipeline by name.
pub(crate) fn is_pipeline(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("azure-pipelines") && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

struct Ctx<'a> {
    lines: Lines<'a>,
    path: &'a str,
    default_branch: &'a str,
    repos: BTreeMap<String, String>,
    global_reuses: Vec<String>,
    jobs: Vec<JobDraft>,
}

/// Reads one pipeline.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let (ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let root = match support::root_mapping(&docs, "pipeline") {
        Ok(root) => root,
        Err(e) => return Parsed::failed(file, SYSTEM, 1, e, book),
    };
    let mut repos = BTreeMap::new();
    if let Some(list) =
        yaml_pos::get(root, "resources").and_then(|r| yaml_pos::get(r, "repositories"))
    {
        for repo in yaml_pos::items(list) {
            if let Some(alias) = yaml_pos::get_str(repo, "repository") {
                let name = yaml_pos::get_str(repo, "name").unwrap_or(alias);
                let reference = yaml_pos::get_str(repo, "ref")
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default();
                repos.insert(alias.to_owned(), format!("{name}{reference}"));
            }
        }
    }
    let triggers = pipeline_triggers(root, default_branch);
    let mut ctx = Ctx {
        lines: Lines::new(&file.text),
        path: &file.path,
        default_branch,
        repos,
        global_reuses: Vec::new(),
        jobs: Vec::new(),
    };
    if let Some(extends) = yaml_pos::get(root, "extends")
        && let Some(t) = yaml_pos::get_str(extends, "template")
        && let Some(r) = template_reuse(&ctx.repos, t)
    {
        ctx.global_reuses.push(r);
    }
    if let Some(stages) = yaml_pos::get(root, "stages") {
        for stage in yaml_pos::items(stages) {
            let mut t = triggers.clone();
            narrow(&mut t, yaml_pos::get(stage, "condition"), default_branch);
            let stage_name = yaml_pos::get(stage, "stage").and_then(yaml_pos::scalar_text);
            if stage_name.is_none() {
                template_job(&mut ctx, stage, &t);
                continue;
            }
            if let Some(jobs) = yaml_pos::get(stage, "jobs") {
                for job in yaml_pos::items(jobs) {
                    job_fact(&mut ctx, job, stage_name.as_deref(), &t);
                }
            }
        }
    } else if let Some(jobs) = yaml_pos::get(root, "jobs") {
        for job in yaml_pos::items(jobs) {
            job_fact(&mut ctx, job, None, &triggers);
        }
    } else if let Some((key, steps)) = yaml_pos::get_entry(root, "steps") {
        let range = ctx.lines.entry_range(key, steps);
        let mut draft = support::draft(SYSTEM, ctx.path, "Job", "Job", range, triggers.clone());
        observe_steps(&ctx, steps, &mut draft);
        draft.reuses.extend(ctx.global_reuses.iter().cloned());
        ctx.jobs.push(draft);
    }
    if ctx.jobs.is_empty()
        && !ctx.global_reuses.is_empty()
        && let Some((key, value)) = yaml_pos::get_entry(root, "extends")
    {
        let range = ctx.lines.entry_range(key, value);
        let mut draft = support::draft(SYSTEM, ctx.path, "extends", "extends", range, triggers);
        draft.reuses = ctx.global_reuses.clone();
        ctx.jobs.push(draft);
    }
    Parsed {
        file: ci_file,
        jobs: ctx.jobs,
    }
}

fn template_reuse(repos: &BTreeMap<String, String>, template: &str) -> Option<String> {
    let (path, alias) = template.rsplit_once('@')?;
    if alias == "self" {
        return None;
    }
    let repo = repos.get(alias).map_or(alias, String::as_str);
    let (name, reference) = repo.split_once('@').map_or((repo, ""), |(n, r)| (n, r));
    let reference = if reference.is_empty() {
        String::new()
    } else {
        format!("@{reference}")
    };
    Some(format!("azure-template:{name}/{path}{reference}"))
}

/// A `- template: x.yml@repo` entry in a list of stages or jobs: a fact of its own so
/// the reuse is seen, with no kinds (the template's content is elsewhere).
fn template_job(ctx: &mut Ctx<'_>, item: &Node, triggers: &Triggers) {
    let Some(template) = yaml_pos::get_str(item, "template") else {
        return;
    };
    let Some(reuse) = template_reuse(&ctx.repos, template) else {
        return;
    };
    let range = ctx.lines.node_range(item);
    let key = format!("template:{template}");
    let mut draft = support::draft(SYSTEM, ctx.path, &key, template, range, triggers.clone());
    draft.reuses.push(reuse);
    draft.reuses.extend(ctx.global_reuses.iter().cloned());
    ctx.jobs.push(draft);
}

fn job_fact(ctx: &mut Ctx<'_>, job: &Node, stage: Option<&str>, triggers: &Triggers) {
    let name = yaml_pos::get(job, "job")
        .or_else(|| yaml_pos::get(job, "deployment"))
        .and_then(yaml_pos::scalar_text);
    let Some(name) = name else {
        template_job(ctx, job, triggers);
        return;
    };
    let mut t = triggers.clone();
    narrow(&mut t, yaml_pos::get(job, "condition"), ctx.default_branch);
    let key = match stage {
        Some(s) => format!("{s}.{name}"),
        None => name.clone(),
    };
    let display = yaml_pos::get_str(job, "displayName").map_or_else(|| name.clone(), str::to_owned);
    let mut draft = support::draft(
        SYSTEM,
        ctx.path,
        &key,
        &display,
        ctx.lines.node_range(job),
        t,
    );
    if let Some(env) = yaml_pos::get(job, "environment") {
        draft.environment = yaml_pos::scalar_text(env)
            .or_else(|| yaml_pos::get(env, "name").and_then(yaml_pos::scalar_text))
            .map(|e| e.split('.').next().unwrap_or(&e).to_owned());
    }
    if let Some(steps) = yaml_pos::get(job, "steps") {
        observe_steps(ctx, steps, &mut draft);
    }
    // Deployment strategies: runOnce/rolling/canary hooks each hold steps.
    if let Some(strategy) = yaml_pos::get(job, "strategy") {
        for (_, s) in yaml_pos::entries(strategy) {
            for (_, hook) in yaml_pos::entries(s) {
                if let Some(steps) = yaml_pos::get(hook, "steps") {
                    observe_steps(ctx, steps, &mut draft);
                }
            }
        }
    }
    draft.reuses.extend(ctx.global_reuses.iter().cloned());
    ctx.jobs.push(draft);
}

fn observe_steps(ctx: &Ctx<'_>, steps: &Node, draft: &mut JobDraft) {
    for step in yaml_pos::items(steps) {
        for key in ["script", "bash", "pwsh", "powershell"] {
            if let Some(script) = yaml_pos::get(step, key) {
                support::observe_script(script, &ctx.lines, &mut draft.observed);
            }
        }
        if let Some(template) = yaml_pos::get_str(step, "template")
            && let Some(r) = template_reuse(&ctx.repos, template)
            && !draft.reuses.contains(&r)
        {
            draft.reuses.push(r);
        }
        let Some(task_node) = yaml_pos::get(step, "task") else {
            continue;
        };
        let Some(task) = yaml_pos::as_str(task_node) else {
            continue;
        };
        let inputs = yaml_pos::get(step, "inputs");
        let input = |k: &str| {
            inputs
                .and_then(|i| yaml_pos::get(i, k))
                .and_then(yaml_pos::scalar_text)
                .map(|v| v.to_lowercase())
        };
        for k in ["script", "inlineScript", "inline"] {
            if let Some(script) = inputs.and_then(|i| yaml_pos::get(i, k)) {
                support::observe_script(script, &ctx.lines, &mut draft.observed);
            }
        }
        let name = task.split('@').next().unwrap_or(task);
        if name == "ManualValidation" {
            draft.manual_only = true;
            draft.triggers.manual = true;
            continue;
        }
        let hits = task_hits(name, &input);
        if !hits.is_empty() {
            draft.observed.push(Observed {
                detection: Detection::of(hits),
                line: yaml_pos::marker_line(&task_node.span.start),
                path: None,
            });
        }
    }
}

/// What a built-in Azure task does, from its name and inputs.
fn task_hits(name: &str, input: &dyn Fn(&str) -> Option<String>) -> Vec<Hit> {
    let command = input("command")
        .or_else(|| input("action"))
        .unwrap_or_default();
    match name {
        "KubernetesManifest" if command == "deploy" || command == "promote" => {
            vec![deploy("kubectl")]
        }
        "Kubernetes" if matches!(command.as_str(), "apply" | "set" | "rollout") => {
            vec![deploy("kubectl")]
        }
        "HelmDeploy" if matches!(command.as_str(), "upgrade" | "install") => vec![deploy("helm")],
        "HelmDeploy" if command == "lint" => vec![hit(Kind::Lint)],
        "HelmDeploy" if command == "package" => vec![hit(Kind::Build)],
        "AzureWebApp"
        | "AzureRmWebAppDeployment"
        | "AzureFunctionApp"
        | "AzureWebAppContainer"
        | "AzureFunctionAppContainer"
        | "AzureContainerApps"
        | "AzureSpringCloud"
        | "AzureAppServiceManage" => {
            vec![deploy("az")]
        }
        "AzureResourceManagerTemplateDeployment" | "AzureResourceGroupDeployment" => {
            vec![deploy("az"), hit(Kind::InfraApply)]
        }
        "TerraformTaskV1" | "TerraformTaskV2" | "TerraformTaskV3" | "TerraformTaskV4"
        | "TerraformCLI"
            if command == "apply" =>
        {
            vec![deploy("terraform"), hit(Kind::InfraApply)]
        }
        "TerraformTaskV1" | "TerraformTaskV2" | "TerraformTaskV3" | "TerraformTaskV4"
        | "TerraformCLI"
            if command == "validate" =>
        {
            vec![hit(Kind::Lint)]
        }
        "Docker" => match command.as_str() {
            "buildandpush" => vec![hit(Kind::Build), hit(Kind::Release)],
            "push" => vec![hit(Kind::Release)],
            "build" => vec![hit(Kind::Build)],
            _ => vec![],
        },
        "DotNetCoreCLI" => match command.as_str() {
            "test" => vec![hit(Kind::Test)],
            "build" | "publish" | "pack" => vec![hit(Kind::Build)],
            "push" => vec![hit(Kind::Release)],
            _ => vec![],
        },
        "VSTest" | "PublishTestResults" | "PublishCodeCoverageResults" => vec![hit(Kind::Test)],
        "VSBuild" | "MSBuild" => vec![hit(Kind::Build)],
        "NuGetCommand" if command == "push" => vec![hit(Kind::Release)],
        "Npm" if command == "publish" => vec![hit(Kind::Release)],
        "GitHubRelease" => vec![hit(Kind::Release)],
        "SonarQubeAnalyze" | "SonarCloudAnalyze" => vec![hit(Kind::Lint)],
        "dependency-check-build-task"
        | "WhiteSource"
        | "Snyk"
        | "SnykSecurityScan"
        | "MicrosoftSecurityDevOps"
        | "CredScan" => vec![hit(Kind::Security)],
        _ => vec![],
    }
}

/// The branch list of `trigger:`/`pr:`: `none`, a list, or `{branches: {include, exclude}}`.
fn branch_lists(node: &Node) -> Option<(Vec<String>, Vec<String>)> {
    if yaml_pos::as_str(node) == Some("none") {
        return None;
    }
    if yaml_pos::is_sequence(node) {
        return Some((support::strings(node), Vec::new()));
    }
    let strip = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|b| {
                b.strip_prefix("refs/heads/")
                    .map_or(b.clone(), str::to_owned)
            })
            .collect()
    };
    let branches = yaml_pos::get(node, "branches");
    let list = |k: &str| {
        strip(
            branches
                .and_then(|b| yaml_pos::get(b, k))
                .map(support::strings)
                .unwrap_or_default(),
        )
    };
    Some((list("include"), list("exclude")))
}

fn pipeline_triggers(root: &Node, default_branch: &str) -> Triggers {
    let mut t = Triggers::default();
    match yaml_pos::get(root, "trigger") {
        None => {
            t.push_default_branch = true;
            t.push_other = true;
        }
        Some(trigger) => {
            if let Some((include, exclude)) = branch_lists(trigger) {
                let tags_only = yaml_pos::get(trigger, "branches").is_none()
                    && yaml_pos::get(trigger, "tags").is_some();
                if !tags_only {
                    let (d, o) = support::branch_filter(&include, &exclude, default_branch);
                    t.push_default_branch = d;
                    t.push_other = o;
                }
                t.tag = yaml_pos::get(trigger, "tags")
                    .and_then(|tags| yaml_pos::get(tags, "include"))
                    .is_some_and(|i| !support::strings(i).is_empty());
            }
        }
    }
    match yaml_pos::get(root, "pr") {
        None => t.pull_request = true,
        Some(pr) => {
            t.pull_request =
                branch_lists(pr).is_some_and(|(include, _)| include.iter().all(|b| !b.is_empty()))
        }
    }
    if let Some(schedules) = yaml_pos::get(root, "schedules") {
        t.schedule = !yaml_pos::items(schedules).is_empty();
    }
    if let Some(pipelines) =
        yaml_pos::get(root, "resources").and_then(|r| yaml_pos::get(r, "pipelines"))
        && yaml_pos::items(pipelines)
            .iter()
            .any(|p| yaml_pos::get(p, "trigger").is_some())
    {
        t.add_other("pipeline-completion");
    }
    if !t.push_default_branch
        && !t.push_other
        && !t.pull_request
        && !t.tag
        && !t.schedule
        && t.other.is_empty()
    {
        t.manual = true;
    }
    t
}

/// Narrows by a `condition:` that tests the source branch or the build reason. An
/// `or(`/`ne(`/`not(` condition is left alone: narrowing it could hide a trigger.
fn narrow(t: &mut Triggers, condition: Option<&Node>, default_branch: &str) {
    let Some(text) = condition.and_then(yaml_pos::scalar_text) else {
        return;
    };
    let c: String = text
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect::<String>()
        .replace('"', "'");
    if c.contains("or(") || c.contains("ne(") || c.contains("not(") {
        return;
    }
    if c.contains(&format!("'refs/heads/{default_branch}')"))
        || c.contains(&format!("Build.SourceBranchName'],'{default_branch}')"))
    {
        t.push_other = false;
        t.pull_request = false;
        t.tag = false;
    }
    if c.contains("startsWith(variables['Build.SourceBranch'],'refs/tags/") {
        t.push_default_branch = false;
        t.push_other = false;
        t.pull_request = false;
    }
    if c.contains("'Build.Reason'],'Manual')") {
        *t = Triggers {
            manual: true,
            ..Triggers::default()
        };
    }
    if c.contains("'Build.Reason'],'Schedule')") {
        *t = Triggers {
            schedule: t.schedule,
            ..Triggers::default()
        };
    }
    if c.contains("'Build.Reason'],'PullRequest')") {
        *t = Triggers {
            pull_request: t.pull_request,
            ..Triggers::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(text: &str) -> Triggers {
        let docs = yaml_pos::load_documents(text).unwrap();
        pipeline_triggers(&docs[0], "main")
    }

    #[test]
    fn pipeline_triggers_and_defaults() {
        let t = triggers("steps: []\n");
        assert!(t.push_default_branch && t.push_other && t.pull_request && !t.tag);
        let t = triggers("trigger: none\npr: none\nsteps: []\n");
        assert!(t.manual && !t.any_automatic());
        let t = triggers("trigger: [main]\npr: none\n");
        assert!(t.push_default_branch && !t.push_other && !t.pull_request);
        let t = triggers("trigger:\n  branches: {exclude: [main]}\n  tags: {include: ['v*']}\n");
        assert!(!t.push_default_branch && t.push_other && t.tag);
        let t = triggers("trigger:\n  tags: {include: ['v*']}\n");
        assert!(!t.push_default_branch && !t.push_other && t.tag);
        let t = triggers(
            "trigger: none\npr: none\nresources:\n  pipelines:\n    - pipeline: build\n      source: ci\n      trigger: true\n",
        );
        assert_eq!(t.other, vec!["pipeline-completion".to_owned()]);
    }

    #[test]
    fn conditions_narrow_only_when_they_cannot_hide_a_trigger() {
        let docs = yaml_pos::load_documents(
            "a: and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))\nb: or(eq(variables['Build.SourceBranch'], 'refs/heads/main'), true)\n",
        )
        .unwrap();
        let all = triggers("steps: []\n");
        let mut t = all.clone();
        narrow(&mut t, yaml_pos::get(&docs[0], "a"), "main");
        assert!(t.push_default_branch && !t.push_other && !t.pull_request);
        let mut t = all.clone();
        narrow(&mut t, yaml_pos::get(&docs[0], "b"), "main");
        assert_eq!(t, all);
    }
}
