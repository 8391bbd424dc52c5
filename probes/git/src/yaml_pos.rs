//! YAML with line positions.
//!
//! Evidence must point at the exact lines that prove a fact, so every YAML file the probe
//! understands is loaded with `saphyr`'s marked nodes rather than a plain value tree. This
//! module turns saphyr's markers into the one-based, inclusive line ranges evidence uses,
//! and offers the few lookups the parsers need without each one matching on node variants.

use saphyr::{LoadableYamlNode, MarkedYamlOwned, Marker, ScalarOwned, YamlDataOwned};
use serde_json::{Map, Value};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A YAML node with its position in the file.
pub(crate) type Node = MarkedYamlOwned;

/// Why a YAML text could not be loaded, with the line a person should look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not parse YAML at line {line}: {message}")]
pub(crate) struct YamlError {
    /// One-based line of the problem.
    pub line: u32,
    /// The parser's own words.
    pub message: String,
}

/// Loads every document of a YAML stream with positions.
///
/// The parser is third-party code fed with arbitrary repository content; a panic inside
/// it must become a parse error for this one file, never a crashed scan.
pub(crate) fn load_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    match load_strict(text) {
        Err(e) if e.message.starts_with("invalid indentation") => load_lenient_flow(text).ok_or(e),
        other => other,
    }
}

/// saphyr follows the YAML 1.2 rule that the lines of a flow collection in block context
/// be indented past the block it sits in; libyaml, and so GitHub, Kubernetes and most
/// tools, accept a closer at the key's own indentation:
///
/// ```yaml
///     paths: [
///       'a/**'
///     ]
/// ```
///
/// Parse what they parse: when saphyr refuses a file for its indentation and libyaml
/// (serde_norway) reads it, the under-indented lines inside flow collections are padded
/// to the column saphyr wants, the padded text is parsed, and every marker is moved back
/// by the padding of its line, so lines and columns still point into the file as written.
/// A file libyaml rejects too stays an error.
fn load_lenient_flow(text: &str) -> Option<Vec<Node>> {
    if serde_yaml::Deserializer::from_str(text)
        .any(|d| <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).is_err())
    {
        return None;
    }
    let pads = flow_padding(text);
    if pads.iter().all(|p| *p == 0) {
        return None;
    }
    let padded: String = text
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| format!("{}{line}", " ".repeat(pads.get(i).copied().unwrap_or(0))))
        .collect();
    let mut docs = load_strict(&padded).ok()?;
    let mut before = Vec::with_capacity(pads.len() + 1);
    let mut sum = 0usize;
    for p in &pads {
        before.push(sum);
        sum += p;
    }
    let unpad = |m: &Marker| -> Marker {
        let line = m.line();
        let pad = line
            .checked_sub(1)
            .and_then(|i| pads.get(i))
            .copied()
            .unwrap_or(0);
        let prior = line
            .checked_sub(1)
            .and_then(|i| before.get(i))
            .copied()
            .unwrap_or(sum);
        let shift = m.col().min(pad);
        Marker::new(
            m.index().saturating_sub(prior + shift),
            line,
            m.col() - shift,
        )
    };
    for doc in &mut docs {
        remap(doc, &unpad);
    }
    Some(docs)
}

/// Moves every marker of `node` and its children with `f`.
fn remap(node: &mut Node, f: &dyn Fn(&Marker) -> Marker) {
    node.span.start = f(&node.span.start);
    node.span.end = f(&node.span.end);
    match &mut node.data {
        YamlDataOwned::Sequence(items) => items.iter_mut().for_each(|n| remap(n, f)),
        YamlDataOwned::Mapping(map) => {
            let entries = std::mem::take(map);
            *map = entries
                .into_iter()
                .map(|(mut k, mut v)| {
                    remap(&mut k, f);
                    remap(&mut v, f);
                    (k, v)
                })
                .collect();
        }
        YamlDataOwned::Tagged(_, inner) => remap(inner, f),
        _ => {}
    }
}

/// Spaces to add at the start of each line so that every line inside a flow collection
/// opened in block context is indented past that block (one column more than the key or
/// entry that opened it). Quotes and comments are skipped when counting brackets;
/// padding more than needed is harmless inside a flow collection.
fn flow_padding(text: &str) -> Vec<usize> {
    let mut pads = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut min_col = 0usize;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if depth > 0 && quote.is_none() && !blank && indent < min_col {
            pads.push(min_col - indent);
        } else {
            pads.push(0);
        }
        let opened_here = depth == 0;
        let mut prev = ' ';
        for c in line.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '\'' | '"' if matches!(prev, ' ' | ':' | '[' | '{' | ',') => {
                        quote = Some(c);
                    }
                    '#' if prev == ' ' || prev == '\t' => break,
                    '[' | '{' => {
                        if depth == 0 && opened_here {
                            min_col = block_content_col(line) + 1;
                        }
                        depth += 1;
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
        }
        if depth == 0 {
            quote = None;
        }
    }
    pads
}

/// The column of a line's content after its indentation and any `- ` sequence entry
/// indicators: where the block node that holds a flow collection starts.
fn block_content_col(line: &str) -> usize {
    let mut rest = line.trim_start_matches(' ');
    while let Some(after) = rest.strip_prefix("- ") {
        rest = after.trim_start_matches(' ');
    }
    line.len() - rest.len()
}

fn load_strict(text: &str) -> Result<Vec<Node>, YamlError> {
    let loaded = catch_unwind(AssertUnwindSafe(|| MarkedYamlOwned::load_from_str(text)));
    match loaded {
        Ok(Ok(docs)) => Ok(docs),
        Ok(Err(err)) => Err(YamlError {
            line: u32::try_from(err.marker().line())
                .unwrap_or(u32::MAX)
                .max(1),
            message: err.info().to_owned(),
        }),
        Err(_) => Err(YamlError {
            line: 1,
            message: "the YAML parser failed on this input".to_owned(),
        }),
    }
}

/// The text of a file split into lines, used to turn saphyr's "where the next token
/// starts" end markers into the last line that really belongs to a node.
pub(crate) struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    /// Splits `text` into lines (without their terminators).
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    /// Number of lines.
    pub(crate) fn len(&self) -> u32 {
        u32::try_from(self.lines.len()).unwrap_or(u32::MAX)
    }

    /// The text of one-based line `n`, or "" past the end.
    pub(crate) fn get(&self, n: u32) -> &'a str {
        let idx = (n as usize).saturating_sub(1);
        if n == 0 {
            return "";
        }
        self.lines.get(idx).copied().unwrap_or("")
    }

    fn is_blank_or_comment(&self, n: u32) -> bool {
        let t = self.get(n).trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    }

    /// The last line of a node that starts on `start_line` and whose end marker is `end`.
    ///
    /// saphyr ends a block collection where the next token begins, which may be lines
    /// later after blank lines and comments; those lines belong to nobody, so they are
    /// trimmed off.
    pub(crate) fn end_line(&self, start_line: u32, end: &Marker) -> u32 {
        let mut line = marker_line(end);
        let before_marker: String = self.get(line).chars().take(end.col()).collect();
        // A flow collection (`[` ... `]` across lines) ends on its closer, which belongs
        // to it; a block collection ends where the next token begins, which does not.
        let at_marker = self.get(line).chars().nth(end.col());
        let closes_flow = matches!(at_marker, Some(']' | '}'));
        if before_marker.trim().is_empty() && line > start_line && !closes_flow {
            line -= 1;
        }
        line = line.min(self.len().max(start_line));
        while line > start_line && self.is_blank_or_comment(line) {
            line -= 1;
        }
        line.max(start_line)
    }

    /// The line range of a node.
    pub(crate) fn node_range(&self, node: &Node) -> (u32, u32) {
        let start = marker_line(&node.span.start);
        (start, self.end_line(start, &node.span.end))
    }

    /// The line range of a `key: value` entry: from the key to the end of its value.
    pub(crate) fn entry_range(&self, key: &Node, value: &Node) -> (u32, u32) {
        let start = marker_line(&key.span.start);
        let value_start = marker_line(&value.span.start);
        let end = if value.span.end.index() == 0 && value.span.start.index() == 0 {
            // An empty value (`key:` with nothing after it) has no position of its own.
            start
        } else {
            self.end_line(value_start.max(start), &value.span.end)
        };
        (start, end.max(start))
    }

    /// The source lines a scalar value occupies, with their numbers, as written.
    ///
    /// Commands are matched on what the file says line by line, so that a signal can
    /// name the exact line. A block scalar (`run: |`) starts on the line after its
    /// indicator; a plain or quoted scalar starts at its own column.
    pub(crate) fn scalar_lines(&self, node: &Node) -> Vec<(u32, String)> {
        let start = marker_line(&node.span.start);
        let first: String = self
            .get(start)
            .chars()
            .skip(node.span.start.col())
            .collect();
        let trimmed = first.trim_start();
        let block = trimmed.starts_with('|') || trimmed.starts_with('>');
        let end = self.end_line(start, &node.span.end);
        let mut out = Vec::new();
        if !block {
            out.push((start, strip_quotes(&first)));
        }
        for n in (start + 1)..=end {
            out.push((n, strip_quotes(self.get(n))));
        }
        out
    }
}

fn strip_quotes(s: &str) -> String {
    s.trim()
        .trim_start_matches(['"', '\''])
        .trim_end_matches(['"', '\''])
        .to_owned()
}

/// The one-based line of a marker (saphyr already counts lines from one).
pub(crate) fn marker_line(m: &Marker) -> u32 {
    u32::try_from(m.line()).unwrap_or(u32::MAX).max(1)
}

/// The node itself, or what a tag (`!reference`, `!Ref`) wraps.
pub(crate) fn untag(node: &Node) -> &Node {
    match &node.data {
        YamlDataOwned::Tagged(_, inner) => untag(inner),
        _ => node,
    }
}

/// The string of a string scalar.
pub(crate) fn as_str(node: &Node) -> Option<&str> {
    match &untag(node).data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.as_str()),
        YamlDataOwned::Representation(s, _, _) => Some(s.as_str()),
        _ => None,
    }
}

/// Any scalar as text (`true`, `3`, `main`), for values people write unquoted.
pub(crate) fn scalar_text(node: &Node) -> Option<String> {
    match &untag(node).data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
        YamlDataOwned::Representation(s, _, _) => Some(s.clone()),
        _ => None,
    }
}

/// Whether the node is a mapping.
pub(crate) fn is_mapping(node: &Node) -> bool {
    matches!(untag(node).data, YamlDataOwned::Mapping(_))
}

/// The entries of a mapping in file order; empty for anything else.
///
/// YAML merge keys (`<<: *defaults`) are common in CI files; their entries are listed
/// after the mapping's own so that own keys win in lookups.
pub(crate) fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    let mut own = Vec::new();
    let mut merged = Vec::new();
    if let YamlDataOwned::Mapping(map) = &untag(node).data {
        for (k, v) in map {
            if as_str(k) == Some("<<") {
                match &untag(v).data {
                    YamlDataOwned::Sequence(items) => {
                        for item in items {
                            merged.extend(entries(item));
                        }
                    }
                    _ => merged.extend(entries(v)),
                }
            } else {
                own.push((k, v));
            }
        }
    }
    own.extend(merged);
    own
}

/// The value of `key` in a mapping, with the key node (for its line).
pub(crate) fn get_entry<'a>(node: &'a Node, key: &str) -> Option<(&'a Node, &'a Node)> {
    entries(node)
        .into_iter()
        .find(|(k, _)| as_str(k) == Some(key))
}

/// The value of `key` in a mapping.
pub(crate) fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    get_entry(node, key).map(|(_, v)| v)
}

/// The string value of `key` in a mapping.
pub(crate) fn get_str<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    get(node, key).and_then(as_str)
}

/// The items of a sequence; empty for anything else.
pub(crate) fn items(node: &Node) -> &[Node] {
    match &untag(node).data {
        YamlDataOwned::Sequence(items) => items.as_slice(),
        _ => &[],
    }
}

/// Whether the node is a sequence.
pub(crate) fn is_sequence(node: &Node) -> bool {
    matches!(untag(node).data, YamlDataOwned::Sequence(_))
}

/// Whether the node is an empty document or explicit null.
pub(crate) fn is_null(node: &Node) -> bool {
    matches!(
        untag(node).data,
        YamlDataOwned::Value(ScalarOwned::Null) | YamlDataOwned::BadValue
    )
}

/// Converts a node to JSON, as `kubectl` would see the object: merge keys applied, tags
/// dropped, non-string keys written as text.
pub(crate) fn to_json(node: &Node) -> Value {
    to_json_depth(node, 0)
}

fn to_json_depth(node: &Node, depth: usize) -> Value {
    // Aliases are expanded by the loader (within its own node budget); the depth bound
    // keeps pathological nesting from exhausting the stack here.
    if depth > 200 {
        return Value::Null;
    }
    match &untag(node).data {
        YamlDataOwned::Value(scalar) => scalar_to_json(scalar),
        YamlDataOwned::Representation(s, _, _) => Value::String(s.clone()),
        YamlDataOwned::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|item| to_json_depth(item, depth + 1))
                .collect(),
        ),
        YamlDataOwned::Mapping(_) => {
            let mut map = Map::new();
            for (k, v) in entries(node) {
                let key = scalar_text(k).unwrap_or_default();
                if !map.contains_key(&key) {
                    map.insert(key, to_json_depth(v, depth + 1));
                }
            }
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

fn scalar_to_json(scalar: &ScalarOwned) -> Value {
    match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(*b),
        ScalarOwned::Integer(i) => Value::from(*i),
        ScalarOwned::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        ScalarOwned::String(s) => Value::String(s.clone()),
    }
}

#[cfg(test)]
mod flow_tests {
    use super::*;

    #[test]
    fn a_multi_line_flow_sequence_ends_on_its_closing_bracket() {
        let text = "{\n  \"steps\": [\n    {\"name\": \"a\"},\n    {\"name\": \"b\"}\n  ],\n  \"x\": 1\n}\n";
        let docs = load_documents(text).expect("parses");
        let lines = Lines::new(text);
        let (_, steps) = get_entry(&docs[0], "steps").expect("steps");
        assert_eq!(lines.node_range(steps), (2, 5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str, path: &[&str]) -> (u32, u32) {
        let docs = load_documents(text).unwrap();
        let lines = Lines::new(text);
        let mut node = &docs[0];
        let mut key = None;
        for p in path {
            let (k, v) = get_entry(node, p).unwrap();
            key = Some(k);
            node = v;
        }
        lines.entry_range(key.unwrap(), node)
    }

    #[test]
    fn block_mapping_ends_before_trailing_blank_lines_and_comments() {
        let text = "jobs:\n  a:\n    x: 1\n    y: 2\n\n  # about b\n  b:\n    z: 3\n";
        assert_eq!(ranges(text, &["jobs", "a"]), (2, 4));
        assert_eq!(ranges(text, &["jobs", "b"]), (7, 8));
        assert_eq!(ranges(text, &["jobs"]), (1, 8));
    }

    #[test]
    fn block_scalar_lines_start_after_the_indicator() {
        let text = "run: |\n  cargo test\n  kubectl apply -f k8s/\n\nnext: 1\n";
        let docs = load_documents(text).unwrap();
        let lines = Lines::new(text);
        let run = get(&docs[0], "run").unwrap();
        let got = lines.scalar_lines(run);
        assert_eq!(
            got,
            vec![
                (2, "cargo test".into()),
                (3, "kubectl apply -f k8s/".into())
            ]
        );
        let text = "a:\n  - run: echo hi\n  - run: >\n      one\n      two\n";
        let docs = load_documents(text).unwrap();
        let lines = Lines::new(text);
        let steps = items(get(&docs[0], "a").unwrap());
        assert_eq!(
            lines.scalar_lines(get(&steps[0], "run").unwrap()),
            vec![(2, "echo hi".into())]
        );
        assert_eq!(
            lines.scalar_lines(get(&steps[1], "run").unwrap()),
            vec![(4, "one".into()), (5, "two".into())]
        );
    }

    #[test]
    fn last_entry_of_file_without_trailing_newline() {
        let text = "a:\n  b: 1\n  c: [1, 2]";
        assert_eq!(ranges(text, &["a"]), (1, 3));
        assert_eq!(ranges(text, &["a", "c"]), (3, 3));
    }

    #[test]
    fn errors_carry_the_line() {
        let err = load_documents("a: 1\nb: [\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
        assert!(err.to_string().starts_with("could not parse YAML at line"));
    }

    #[test]
    fn merge_keys_are_applied_and_own_keys_win() {
        let text = "base: &b\n  x: 1\n  y: 2\njob:\n  <<: *b\n  y: 3\n";
        let docs = load_documents(text).unwrap();
        let job = to_json(get(&docs[0], "job").unwrap());
        assert_eq!(job, serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn multi_document_ranges() {
        let text = "a: 1\nb: 2\n---\n# c\nc: 3\n";
        let docs = load_documents(text).unwrap();
        let lines = Lines::new(text);
        assert_eq!(lines.node_range(&docs[0]), (1, 2));
        assert_eq!(lines.node_range(&docs[1]), (5, 5));
    }
}

#[cfg(test)]
mod lenient_flow_tests {
    use super::*;

    /// As GitHub reads it (bank-of-anthos' terraform-validate workflow has this shape):
    /// the closer sits at the key's indentation.
    const WORKFLOW: &str = "on:\n  push:\n    paths: [\n      'a/**',\n      'b/**'\n    ]\n  pull_request:\n    paths: ['c/**',\n    'd/**']\njobs:\n  test:\n    runs-on: ubuntu-latest\n";

    #[test]
    fn a_flow_closer_at_the_key_s_indentation_parses_with_exact_lines() {
        let docs = load_documents(WORKFLOW).expect("GitHub parses this");
        let lines = Lines::new(WORKFLOW);
        let on = get(&docs[0], "on").expect("on");
        let push = get(on, "push").expect("push");
        let paths = get(push, "paths").expect("paths");
        let names: Vec<String> = items(paths).iter().filter_map(scalar_text).collect();
        assert_eq!(names, ["a/**", "b/**"]);
        assert_eq!(lines.node_range(paths), (3, 6));
        // Markers point into the file as written, columns included.
        let b = &items(paths)[1];
        assert_eq!((marker_line(&b.span.start), b.span.start.col()), (5, 6));
        let pr = get(get(on, "pull_request").expect("pr"), "paths").expect("paths");
        let d = &items(pr)[1];
        assert_eq!((marker_line(&d.span.start), d.span.start.col()), (9, 4));
        assert_eq!(
            lines
                .get(9)
                .chars()
                .skip(d.span.start.col())
                .collect::<String>(),
            "'d/**']"
        );
        let (key, _) = get_entry(&docs[0], "jobs").expect("jobs");
        assert_eq!(marker_line(&key.span.start), 10);
        assert_eq!(
            key.span.start.index(),
            WORKFLOW.find("jobs:").expect("jobs")
        );
    }

    #[test]
    fn an_apostrophe_inside_a_flow_word_is_not_a_quote() {
        let text = "a:\n  b: [don't,\n  c]\nd: 1\n";
        let docs = load_documents(text).expect("libyaml reads it");
        let b = get(get(&docs[0], "a").expect("a"), "b").expect("b");
        let names: Vec<String> = items(b).iter().filter_map(scalar_text).collect();
        assert_eq!(names, ["don't", "c"]);
        let (d, _) = get_entry(&docs[0], "d").expect("d");
        assert_eq!(marker_line(&d.span.start), 4);
    }

    #[test]
    fn what_libyaml_rejects_stays_an_error() {
        let bad = "a:\n  b: [\n  c\n  - d\n";
        assert!(load_documents(bad).is_err());
        // Block indentation errors are not flow problems: still refused.
        assert!(load_documents("a:\n    b: 1\n  c: 2\n").is_err());
    }
}
