//! CI configuration: which pipelines exist, what each job does and when it runs.
//!
//! Most delivery criteria (continuous integration, automated deploys, contract and
//! compatibility checks, reused templates) are judged from these facts, so each job is
//! cited by its exact line range and each kind by the line that caused it.

pub(crate) mod azure;
pub(crate) mod bitbucket;
pub(crate) mod buildkite;
pub(crate) mod circleci;
pub(crate) mod classify;
pub(crate) mod cloudbuild;
pub(crate) mod drone;
pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod jenkins;
pub(crate) mod support;
pub(crate) mod tekton;
pub(crate) mod travis;

use crate::evidence::{EvidenceBook, SourceFile};
use classify::{Observed, summarize};
use serde::Serialize;
use std::collections::BTreeMap;

/// A CI configuration file, parsed or not (`CiFile` in docs/facts.md).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CiFile {
    pub path: String,
    pub system: &'static str,
    pub evidence: String,
    pub error: Option<String>,
    /// What the file cannot tell (triggers configured outside it), so a reader knows
    /// why its jobs are not automatic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CiFile {
    /// Parses a CI file's YAML documents. On a parse error the returned `CiFile` carries
    /// the error and cites its line, so the file is reported and the scan goes on.
    // The error path is taken once per broken file; boxing it would buy nothing.
    #[allow(clippy::result_large_err)]
    pub(crate) fn load(
        file: &SourceFile,
        system: &'static str,
        book: &mut EvidenceBook<'_>,
    ) -> Result<(CiFile, Vec<crate::yaml_pos::Node>), (CiFile, crate::yaml_pos::YamlError)> {
        let mut ci_file = CiFile {
            path: file.path.clone(),
            system,
            evidence: String::new(),
            error: None,
            note: None,
        };
        match crate::yaml_pos::load_documents(&file.text) {
            Ok(docs) => Ok((ci_file, docs)),
            Err(e) => {
                ci_file.evidence = book.cite(file, e.line, e.line);
                ci_file.error = Some(e.to_string());
                Err((ci_file, e))
            }
        }
    }
}

/// When a job runs (`CiJob.triggers` in docs/facts.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Triggers {
    pub push_default_branch: bool,
    pub push_other: bool,
    pub pull_request: bool,
    pub tag: bool,
    pub schedule: bool,
    pub manual: bool,
    pub other: Vec<String>,
}

impl Triggers {
    /// Adds an event name to `other` once.
    pub(crate) fn add_other(&mut self, event: &str) {
        if !self.other.iter().any(|e| e == event) {
            self.other.push(event.to_owned());
        }
    }

    /// Whether some trigger starts the job without a person: pushes, tags, merge
    /// requests, schedules, and events other than manual dispatch and reusable calls
    /// (`workflow_run`, `repository_dispatch`, ...: fired by automation). A GitLab rule
    /// on a variable evident cannot see being set (`condition`) does not count.
    pub(crate) fn any_automatic(&self) -> bool {
        self.push_default_branch
            || self.push_other
            || self.pull_request
            || self.tag
            || self.schedule
            || self.other.iter().any(|e| {
                !matches!(
                    e.as_str(),
                    "workflow_call"
                        | "workflow_dispatch"
                        | "web"
                        | "condition"
                        | support::EXTERNAL_TRIGGER
                )
            })
    }

    /// Union of two trigger sets.
    pub(crate) fn merge(&mut self, other: &Triggers) {
        self.push_default_branch |= other.push_default_branch;
        self.push_other |= other.push_other;
        self.pull_request |= other.pull_request;
        self.tag |= other.tag;
        self.schedule |= other.schedule;
        self.manual |= other.manual;
        for e in &other.other {
            self.add_other(e);
        }
    }
}

/// Why a job was given a kind.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Signal {
    pub kind: String,
    pub line: u32,
    pub text: String,
    /// Set only when the line is in another file than the job (a template from an
    /// included file, a local reusable workflow): `line` then counts in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One CI job (`CiJob` in docs/facts.md).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CiJob {
    pub id: String,
    pub name: String,
    pub system: &'static str,
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub triggers: Triggers,
    pub automatic: bool,
    pub kinds: Vec<&'static str>,
    pub deploy_targets: Vec<String>,
    pub local_cluster: bool,
    pub environment: Option<String>,
    pub reuses: Vec<String>,
    pub evidence: String,
    pub signals: Vec<Signal>,
}

/// `ci` of a Repo.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct CiFacts {
    pub files: Vec<CiFile>,
    pub jobs: Vec<CiJob>,
}

/// A job as a parser saw it, before its observations are folded into kinds.
pub(crate) struct JobDraft {
    pub name: String,
    pub key: String,
    pub system: &'static str,
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub triggers: Triggers,
    /// Whether it needs a person even when its triggers fire (GitLab `when: manual`).
    pub manual_only: bool,
    pub environment: Option<String>,
    pub reuses: Vec<String>,
    pub observed: Vec<Observed>,
}

impl JobDraft {
    /// Folds the draft into a job, citing its lines and the lines of its signals.
    pub(crate) fn finish(
        self,
        book: &mut EvidenceBook<'_>,
        files: &BTreeMap<String, SourceFile>,
    ) -> Option<CiJob> {
        let own = files.get(&self.path)?;
        let evidence = book.cite(own, self.start_line, self.end_line);
        let summary = summarize(&self.observed);
        let ctx = book.ctx();
        let signals = summary
            .reasons
            .iter()
            .map(|(kind, line, path)| {
                let file = path.as_ref().and_then(|p| files.get(p)).unwrap_or(own);
                Signal {
                    kind: (*kind).to_owned(),
                    line: *line,
                    text: command_text(&file.redacted_line(ctx, *line)),
                    path: path.clone(),
                }
            })
            .collect();
        let mut reuses = self.reuses;
        reuses.dedup();
        Some(CiJob {
            id: format!("{}#{}", self.path, self.key),
            name: self.name,
            system: self.system,
            path: self.path,
            start_line: self.start_line,
            end_line: self.end_line,
            automatic: self.triggers.any_automatic() && !self.manual_only,
            triggers: self.triggers,
            kinds: summary.kinds.iter().map(|k| k.as_str()).collect(),
            deploy_targets: summary.deploy_targets.into_iter().collect(),
            local_cluster: summary.local_cluster,
            environment: self.environment,
            reuses,
            evidence,
            signals,
        })
    }
}

/// The command part of a (redacted) YAML line: `- run: cargo test` reads `cargo test`,
/// `- uses: x/y@v1` keeps its `uses:` so the reader sees it is an action.
fn command_text(line: &str) -> String {
    let mut text = line.trim();
    text = text.strip_prefix("- ").unwrap_or(text).trim_start();
    for key in ["run:", "script:"] {
        if let Some(rest) = text.strip_prefix(key) {
            text = rest.trim_start();
        }
    }
    let unquoted = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .unwrap_or(text);
    unquoted.to_owned()
}

/// Whether a branch name matches a GitHub-style branch filter (`*` stays within a path
/// segment, `**` crosses them); an invalid pattern matches only itself.
pub(crate) fn branch_matches(pattern: &str, branch: &str) -> bool {
    match globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    {
        Ok(glob) => glob.compile_matcher().is_match(branch),
        Err(_) => pattern == branch,
    }
}

/// A CI system whose configuration is found by its path alone (GitHub Actions, GitLab CI
/// and Tekton are found otherwise: by directory, by include graph, by content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathSystem {
    /// `Jenkinsfile`.
    Jenkins,
    /// `.circleci/config.yml`.
    CircleCi,
    /// `azure-pipelines*.yml`.
    Azure,
    /// `bitbucket-pipelines.yml`.
    Bitbucket,
    /// `cloudbuild.yaml`/`.json`.
    CloudBuild,
    /// `.drone.yml`.
    Drone,
    /// `.buildkite/pipeline.yml`.
    Buildkite,
    /// `.travis.yml`.
    Travis,
}

impl PathSystem {
    /// The system that reads `path`, if any.
    pub(crate) fn of(path: &str) -> Option<Self> {
        if jenkins::is_jenkinsfile(path) {
            Some(Self::Jenkins)
        } else if circleci::is_config(path) {
            Some(Self::CircleCi)
        } else if azure::is_pipeline(path) {
            Some(Self::Azure)
        } else if path == bitbucket::FILE {
            Some(Self::Bitbucket)
        } else if cloudbuild::is_config(path) {
            Some(Self::CloudBuild)
        } else if drone::is_config(path) {
            Some(Self::Drone)
        } else if buildkite::is_pipeline(path) {
            Some(Self::Buildkite)
        } else if path == travis::FILE {
            Some(Self::Travis)
        } else {
            None
        }
    }

    /// The `system` value of its facts.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Jenkins => jenkins::SYSTEM,
            Self::CircleCi => circleci::SYSTEM,
            Self::Azure => azure::SYSTEM,
            Self::Bitbucket => bitbucket::SYSTEM,
            Self::CloudBuild => cloudbuild::SYSTEM,
            Self::Drone => drone::SYSTEM,
            Self::Buildkite => buildkite::SYSTEM,
            Self::Travis => travis::SYSTEM,
        }
    }

    /// Reads one file of this system; a malformed file yields an error, never a panic.
    pub(crate) fn scan(
        self,
        file: &SourceFile,
        book: &mut EvidenceBook<'_>,
        default_branch: &str,
    ) -> support::Parsed {
        match self {
            Self::Jenkins => jenkins::scan(file, book, default_branch),
            Self::CircleCi => circleci::scan(file, book, default_branch),
            Self::Azure => azure::scan(file, book, default_branch),
            Self::Bitbucket => bitbucket::scan(file, book, default_branch),
            Self::CloudBuild => cloudbuild::scan(file, book),
            Self::Drone => drone::scan(file, book, default_branch),
            Self::Buildkite => buildkite::scan(file, book),
            Self::Travis => travis::scan(file, book, default_branch),
        }
    }
}
