//! What the YAML-based CI parsers (CircleCI, Azure Pipelines, Bitbucket, Cloud Build,
//! Drone, Buildkite, Travis, Tekton) share: loading a file into a `CiFile`, turning
//! script nodes into classified observations with their exact lines, and matching the
//! branch filters each system writes in its own dialect.
//!
//! Kept in one place so that every system cites lines and reads filters the same way.

use super::classify::{Observed, ShellCommand, classify_command, shell_commands};
use super::{CiFile, JobDraft, Triggers, branch_matches};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};

/// What one CI file yielded: the file (with an error when it could not be read) and its
/// jobs.
pub(crate) struct Parsed {
    pub file: CiFile,
    pub jobs: Vec<JobDraft>,
}

impl Parsed {
    /// A file whose jobs could not be read, with the error and the line it cites.
    pub(crate) fn failed(
        file: &SourceFile,
        system: &'static str,
        line: u32,
        error: String,
        book: &mut EvidenceBook<'_>,
    ) -> Self {
        Parsed {
            file: CiFile {
                path: file.path.clone(),
                system,
                evidence: book.cite(file, line, line),
                error: Some(error),
                note: None,
            },
            jobs: Vec::new(),
        }
    }
}

/// Loads a YAML CI file: the `CiFile` citing the whole file and its documents, or a
/// `Parsed` carrying the parse error.
// The error path is taken once per broken file; boxing it would buy nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn load_yaml(
    file: &SourceFile,
    system: &'static str,
    book: &mut EvidenceBook<'_>,
) -> Result<(CiFile, Vec<Node>), Parsed> {
    match CiFile::load(file, system, book) {
        Ok((mut ci_file, docs)) => {
            ci_file.evidence = book.cite_file(file);
            Ok((ci_file, docs))
        }
        Err((ci_file, _)) => Err(Parsed {
            file: ci_file,
            jobs: Vec::new(),
        }),
    }
}

/// The first document that is a mapping, or an error naming what the file holds.
pub(crate) fn root_mapping<'d>(docs: &'d [Node], what: &str) -> Result<&'d Node, String> {
    docs.iter()
        .find(|d| yaml_pos::is_mapping(d))
        .ok_or_else(|| format!("not a {what}: the file holds no mapping at line 1"))
}

/// A range that ends on the closing bracket of a flow collection spanning several lines
/// (`"steps": [` … `]` in JSON): the positioned tree ends such a node on the line before
/// its closer, which belongs to it.
pub(crate) fn with_flow_closer(lines: &Lines<'_>, node: &Node, range: (u32, u32)) -> (u32, u32) {
    let start = yaml_pos::marker_line(&node.span.start);
    let opener = lines
        .get(start)
        .chars()
        .skip(node.span.start.col())
        .find(|c| !c.is_whitespace());
    let closer = match opener {
        Some('[') => ']',
        Some('{') => '}',
        _ => return range,
    };
    let next = range.1.saturating_add(1);
    if range.1 > start && next <= lines.len() && lines.get(next).trim_start().starts_with(closer) {
        (range.0, next)
    } else {
        range
    }
}

/// A new job draft with no observations yet.
pub(crate) fn draft(
    system: &'static str,
    path: &str,
    key: &str,
    name: &str,
    range: (u32, u32),
    triggers: Triggers,
) -> JobDraft {
    JobDraft {
        name: name.to_owned(),
        key: key.to_owned(),
        system,
        path: path.to_owned(),
        start_line: range.0,
        end_line: range.1,
        triggers,
        manual_only: false,
        environment: None,
        reuses: Vec::new(),
        observed: Vec::new(),
    }
}

/// Classifies one program invocation given as words (a container step's `command` and
/// `args`, not a shell line), cited at `line`.
pub(crate) fn observe_words(words: Vec<String>, line: u32, out: &mut Vec<Observed>) {
    let command = ShellCommand {
        line,
        words,
        piped_from: None,
    };
    out.push(Observed {
        detection: classify_command(&command),
        line,
        path: None,
    });
}

/// Classifies the shell lines of a script node: a string (block or plain) or a list of
/// them, nested lists flattened; other nodes are ignored.
pub(crate) fn observe_script(node: &Node, lines: &Lines<'_>, out: &mut Vec<Observed>) {
    observe_script_depth(node, lines, out, 0);
}

fn observe_script_depth(node: &Node, lines: &Lines<'_>, out: &mut Vec<Observed>, depth: usize) {
    if depth > 16 {
        return;
    }
    if yaml_pos::is_sequence(node) {
        for item in yaml_pos::items(node) {
            observe_script_depth(item, lines, out, depth + 1);
        }
    } else if yaml_pos::as_str(node).is_some() {
        observe_lines(&lines.scalar_lines(node), out);
    }
}

/// Classifies shell lines already numbered.
pub(crate) fn observe_lines(numbered: &[(u32, String)], out: &mut Vec<Observed>) {
    for command in shell_commands(numbered) {
        out.push(Observed {
            detection: classify_command(&command),
            line: command.line,
            path: None,
        });
    }
}

/// Strings of a node that is one string or a list of them.
pub(crate) fn strings(node: &Node) -> Vec<String> {
    if yaml_pos::is_sequence(node) {
        yaml_pos::items(node)
            .iter()
            .filter_map(yaml_pos::scalar_text)
            .collect()
    } else {
        yaml_pos::scalar_text(node).into_iter().collect()
    }
}

/// Whether a branch or tag filter pattern matches `name`. `/re/` is a regular expression
/// (CircleCI, Travis); anything else a glob (`*`, `**`), or the name itself.
pub(crate) fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim();
    if pattern.len() > 2 && pattern.starts_with('/') && pattern.ends_with('/') {
        let inner = &pattern[1..pattern.len() - 1];
        return regex::Regex::new(&format!("^(?:{inner})$")).is_ok_and(|re| re.is_match(name));
    }
    pattern == name || (is_glob(pattern) && branch_matches(pattern, name))
}

/// Whether a pattern has glob syntax; a plain name needs no matcher compiled.
pub(crate) fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// Whether a pattern can match a branch other than `default_branch`.
pub(crate) fn matches_other(pattern: &str, default_branch: &str) -> bool {
    let p = pattern.trim();
    p != default_branch && !p.is_empty()
}

/// Push events allowed by `only`/`ignore` branch lists (either may be empty = absent):
/// `(default branch, other branches)`.
pub(crate) fn branch_filter(
    only: &[String],
    ignore: &[String],
    default_branch: &str,
) -> (bool, bool) {
    let (mut default, mut other) = if only.is_empty() {
        (true, true)
    } else {
        (
            only.iter().any(|p| pattern_matches(p, default_branch)),
            only.iter().any(|p| matches_other(p, default_branch)),
        )
    };
    if ignore.iter().any(|p| pattern_matches(p, default_branch)) {
        default = false;
    }
    if ignore
        .iter()
        .any(|p| matches!(p.trim(), "/.*/" | "*" | "**" | "/.+/"))
    {
        other = false;
    }
    (default, other)
}

/// Triggers of a job started only from outside the file (a Cloud Build trigger, a
/// Jenkins job's configuration): nothing evident can see says it runs by itself.
pub(crate) fn external() -> Triggers {
    let mut t = Triggers::default();
    t.add_other(EXTERNAL_TRIGGER);
    t
}

/// The `other` trigger of jobs whose triggers live outside the file.
pub(crate) const EXTERNAL_TRIGGER: &str = "external-trigger";

/// Keeps only the events allowed by both (a job condition narrowing its pipeline's
/// triggers); `other` events survive only when both name them.
pub(crate) fn intersect(a: &Triggers, b: &Triggers) -> Triggers {
    Triggers {
        push_default_branch: a.push_default_branch && b.push_default_branch,
        push_other: a.push_other && b.push_other,
        pull_request: a.pull_request && b.pull_request,
        tag: a.tag && b.tag,
        schedule: a.schedule && b.schedule,
        manual: a.manual && b.manual,
        other: a
            .other
            .iter()
            .filter(|e| b.other.contains(e))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(branch_filter(&s(&["main"]), &[], "main"), (true, false));
        assert_eq!(branch_filter(&s(&["/rel-.*/"]), &[], "main"), (false, true));
        assert_eq!(branch_filter(&s(&["/ma.*/"]), &[], "main"), (true, true));
        assert_eq!(branch_filter(&[], &s(&["main"]), "main"), (false, true));
        assert_eq!(branch_filter(&[], &s(&["/.*/"]), "main"), (false, false));
        assert_eq!(
            branch_filter(&s(&["release/*"]), &[], "main"),
            (false, true)
        );
        assert!(pattern_matches("/^v.*/", "v1.0") || pattern_matches("/v.*/", "v1.0"));
    }
}
