//! Entry points for the fuzz targets (`fuzz/`) and their stable replay
//! (`crates/fuzz-harness`): the private parsers of this probe, reachable on bytes without
//! a repository. Nothing here is part of the probe's API.

use crate::ci::{PathSystem, github, gitlab, tekton};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::{containers, manifests, ownership, yaml_pos};
use evident_core::ScanContext;
use evident_kube_facts::SourcedObject;
use std::collections::BTreeMap;

/// What one parser made of one input, so that a fuzz target can check invariants
/// (every line it reports lies in the input) and determinism (the same input twice
/// gives the same `rendered`).
#[doc(hidden)]
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FuzzOutcome {
    /// Lines of the input, as the parsers count them.
    pub line_count: u32,
    /// Every line range reported: `(what, first, last)`, one-based and inclusive.
    pub spans: Vec<(String, u32, u32)>,
    /// Everything extracted, serialised.
    pub rendered: String,
}

impl FuzzOutcome {
    fn new(text: &str) -> Self {
        Self {
            line_count: u32::try_from(text.lines().count()).unwrap_or(u32::MAX),
            ..Self::default()
        }
    }

    fn render(&mut self, what: &str, value: &impl serde::Serialize) {
        let json = serde_json::to_string(value).unwrap_or_else(|e| format!("<{e}>"));
        self.rendered.push_str(what);
        self.rendered.push_str(": ");
        self.rendered.push_str(&json);
        self.rendered.push('\n');
    }

    /// Adds the spans of finished jobs and their signals, and renders them.
    fn jobs(&mut self, jobs: &[crate::ci::CiJob]) {
        for job in jobs {
            self.spans
                .push((format!("job {}", job.id), job.start_line, job.end_line));
            for signal in &job.signals {
                let what = format!("signal {} of {}", signal.kind, job.id);
                self.spans.push((what, signal.line, signal.line));
            }
            self.render("job", job);
        }
    }

    /// Adds the line range of every evidence record.
    fn records(&mut self, book: EvidenceBook<'_>) {
        for record in book.into_records() {
            if let Some(location) = &record.location {
                let what = format!("evidence {}", record.id);
                self.spans
                    .push((what, location.start_line, location.end_line));
            }
        }
    }
}

/// The CI systems [`fuzz_ci_config`] picks from, by the input's first byte.
const SELECTORS: [(u8, &str); 11] = [
    (b'g', ".github/workflows/x.yml"),
    (b'l', ".gitlab-ci.yml"),
    (b't', "tekton/x.yaml"),
    (b'j', "Jenkinsfile"),
    (b'c', ".circleci/config.yml"),
    (b'a', "azure-pipelines.yml"),
    (b'b', "bitbucket-pipelines.yml"),
    (b'u', "cloudbuild.yaml"),
    (b'd', ".drone.yml"),
    (b'k', ".buildkite/pipeline.yml"),
    (b'r', ".travis.yml"),
];

/// The CI file path the first byte of a `ci_config` fuzz input selects: one of the
/// letters of [`SELECTORS`] or, for any other byte, the byte modulo their number.
#[doc(hidden)]
pub fn fuzz_ci_path(selector: u8) -> &'static str {
    SELECTORS
        .iter()
        .find(|(b, _)| *b == selector)
        .map_or(SELECTORS[usize::from(selector) % SELECTORS.len()].1, |s| {
            s.1
        })
}

/// A file from its text, digested as a repository's would be.
fn source(path: String, text: String) -> SourceFile {
    let sha256 = evident_core::sha256_hex(text.as_bytes());
    let text = crate::repo::lone_carriage_returns_as_line_feeds(text);
    SourceFile::with_digest(path, text, sha256)
}

fn context() -> ScanContext {
    ScanContext::new(vec![], "2026-01-01T00:00:00Z".into())
}

/// Reads `data` (its first byte picks the system, see [`fuzz_ci_path`]; the rest is the
/// file) with every CI parser the probe has, and finishes every job it finds.
#[doc(hidden)]
pub fn fuzz_ci_config(data: &[u8]) -> FuzzOutcome {
    let Some((&selector, rest)) = data.split_first() else {
        return FuzzOutcome::default();
    };
    let path = fuzz_ci_path(selector);
    let text = crate::repo::lone_carriage_returns_as_line_feeds(
        String::from_utf8_lossy(rest).into_owned(),
    );
    let ctx = context();
    let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
    let mut out = FuzzOutcome::new(&text);
    let file = source(path.to_owned(), text.clone());
    let mut files = BTreeMap::new();
    files.insert(path.to_owned(), source(path.to_owned(), text.clone()));
    let mut unreadable = Vec::new();
    let (ci_files, drafts) = if let Some(system) = PathSystem::of(path) {
        let parsed = system.scan(&file, &mut book, "main");
        (vec![parsed.file], parsed.jobs)
    } else if path.starts_with(".github/") {
        let w = github::scan_workflows(&[&file], &mut book, "main", None, &mut unreadable);
        (w.files, w.jobs)
    } else if path.starts_with("tekton/") {
        let parsed = tekton::scan(&[&file], &mut book, "main");
        let ci_files = parsed.iter().map(|p| p.file.clone()).collect();
        (ci_files, parsed.into_iter().flat_map(|p| p.jobs).collect())
    } else {
        // GitLab: every include resolves to the same text, so include graphs are
        // exercised (cycles included) without a repository.
        let mut load = |p: &str| Some(source(p.to_owned(), text.clone()));
        let paths = vec!["ci/a.yml".to_owned(), path.to_owned()];
        let p = gitlab::scan_pipeline(file, &mut load, &paths, &mut book, "main", &mut unreadable);
        for included in p.included {
            files.insert(included.path.clone(), included);
        }
        (p.files, p.jobs)
    };
    out.render("files", &ci_files);
    out.render("unreadable", &format!("{unreadable:?}"));
    let jobs: Vec<_> = drafts
        .into_iter()
        .filter_map(|d| d.finish(&mut book, &files))
        .collect();
    out.jobs(&jobs);
    out.records(book);
    out
}

/// Reads `data` as a manifest file (`k8s/x.yaml`): the probe's manifest collection,
/// then the shared `evident_kube_facts` extraction on what it collected and on every
/// document converted to JSON.
#[doc(hidden)]
pub fn fuzz_manifests(data: &[u8]) -> FuzzOutcome {
    let text = crate::repo::lone_carriage_returns_as_line_feeds(
        String::from_utf8_lossy(data).into_owned(),
    );
    let ctx = context();
    let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
    let mut out = FuzzOutcome::new(&text);
    let docs = match yaml_pos::load_documents(&text) {
        Ok(docs) => docs,
        Err(e) => {
            out.rendered = format!("error: {e}");
            return out;
        }
    };
    let file = source("k8s/x.yaml".into(), text.clone());
    let mut found = manifests::Found::default();
    manifests::collect(&file, &docs, &mut book, &mut found);
    let skipped = found.set_aside_kustomize_patches();
    out.render("skipped", &skipped);
    out.render("gitops", &found.gitops);
    out.render("alert_rules", &found.alert_rules);
    out.render("facts", &evident_kube_facts::extract(&found.objects));
    let raw: Vec<SourcedObject> = docs
        .iter()
        .map(|doc| SourcedObject {
            object: yaml_pos::to_json(doc),
            evidence: "fuzz".into(),
        })
        .collect();
    out.render("raw facts", &evident_kube_facts::extract(&raw));
    out.render(
        "catalog",
        &ownership::catalog_entries(&file, &docs, &mut book),
    );
    out.render(
        "compose",
        &containers::compose_file(&file, &docs, &mut book),
    );
    out.records(book);
    out
}

/// Reads `data` as a Dockerfile.
#[doc(hidden)]
pub fn fuzz_dockerfile(data: &[u8]) -> FuzzOutcome {
    let text = crate::repo::lone_carriage_returns_as_line_feeds(
        String::from_utf8_lossy(data).into_owned(),
    );
    let ctx = context();
    let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
    let mut out = FuzzOutcome::new(&text);
    let file = source("Dockerfile".into(), text);
    out.render("dockerfile", &containers::dockerfile(&file, &mut book));
    out.records(book);
    out
}

/// Reads `data` as a CODEOWNERS file.
#[doc(hidden)]
pub fn fuzz_codeowners(data: &[u8]) -> FuzzOutcome {
    let text = crate::repo::lone_carriage_returns_as_line_feeds(
        String::from_utf8_lossy(data).into_owned(),
    );
    let ctx = context();
    let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
    let mut out = FuzzOutcome::new(&text);
    let file = source(".github/CODEOWNERS".into(), text);
    let owners = ownership::codeowners(&file, &mut book);
    for rule in &owners.rules {
        let what = format!("rule {}", rule.pattern);
        out.spans.push((what, rule.line, rule.line));
    }
    out.render("codeowners", &owners);
    out.records(book);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz/regressions/ci_config/lone-carriage-return-line-numbers): YAML
    /// took a lone CR as a line break, `str::lines` did not, so jobs cited lines past the
    /// end of the file.
    #[test]
    fn a_lone_carriage_return_is_a_line_break_for_every_parser() {
        for input in [
            &b"rdeploy:\r {provider: script, script: x}\n"[..],
            b"gon: push\njobs:\r  a:\r    runs-on: x\r    steps:\r      - run: make\n",
            b"ljob:\r  script: [x]\n",
        ] {
            let out = fuzz_ci_config(input);
            assert!(!out.spans.is_empty());
            for (what, start, end) in &out.spans {
                assert!(
                    *start <= *end && *end <= out.line_count,
                    "{what}: {start}..={end}"
                );
            }
        }
        assert_eq!(
            crate::repo::lone_carriage_returns_as_line_feeds("a\rb\r\nc\r".into()),
            "a\nb\r\nc\n"
        );
    }
}
