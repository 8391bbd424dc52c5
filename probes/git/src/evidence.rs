//! Building evidence records for file lines.
//!
//! Every fact the probe emits cites a record made here, so the rules for ids, digests and
//! excerpts live in one place: ids are stable (`git:<repo>@<sha7>:<path>#L1-L9`), the
//! digest is of the whole file as read, and excerpts are always redacted.

use evident_core::{Evidence, EvidenceLocation, ScanContext};
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// Longest excerpt kept, in lines; a citation of a 300-line workflow needs its first
/// lines and the id, not the whole file in every report.
const MAX_EXCERPT_LINES: usize = 40;
/// Longest excerpt kept, in bytes.
const MAX_EXCERPT_BYTES: usize = 4096;
/// Marks an excerpt that was cut.
const CUT_MARKER: &str = "…";

/// A text file as read from the repository, with what citations need.
pub(crate) struct SourceFile {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// The file's text.
    pub text: String,
    /// Hex sha256 of the bytes as read; `None` when the bytes were not read (too large).
    pub sha256: Option<String>,
    /// The whole file redacted once, so that a cited range gets the context (an `env:`
    /// key above it) the redactor needs; `None` when redaction changed the line count.
    redacted_lines: OnceCell<Option<Vec<String>>>,
}

impl SourceFile {
    /// A file from its text (tests build files this way).
    #[cfg(test)]
    pub(crate) fn new(path: String, text: String) -> Self {
        let sha256 = Some(evident_core::sha256_hex(text.as_bytes()));
        Self {
            path,
            text,
            sha256,
            redacted_lines: OnceCell::new(),
        }
    }

    /// A file from its text and the digest of the bytes it was decoded from (which differ
    /// from the text when a byte-order mark was dropped).
    pub(crate) fn with_digest(path: String, text: String, sha256: String) -> Self {
        Self {
            path,
            text,
            sha256: Some(sha256),
            redacted_lines: OnceCell::new(),
        }
    }

    /// A file whose content cannot be shown (binary, too large): citing it proves it is
    /// there, with the digest of its bytes when they were read, and an empty excerpt.
    pub(crate) fn opaque(path: String, sha256: Option<String>) -> Self {
        Self {
            path,
            text: String::new(),
            sha256,
            redacted_lines: OnceCell::new(),
        }
    }

    /// Number of lines.
    pub(crate) fn line_count(&self) -> u32 {
        u32::try_from(self.text.lines().count()).unwrap_or(u32::MAX)
    }

    /// Lines `start..=end` (one-based), redacted with the whole file as context.
    fn redacted_range(&self, ctx: &ScanContext, start: u32, end: u32) -> Vec<String> {
        let whole = self.redacted_lines.get_or_init(|| {
            let redacted = ctx.redactor.redact(&self.text);
            let lines: Vec<String> = redacted.lines().map(str::to_owned).collect();
            (lines.len() == self.text.lines().count()).then_some(lines)
        });
        let (from, to) = ((start as usize).saturating_sub(1), end as usize);
        match whole {
            Some(lines) => lines
                .get(from..to.min(lines.len()))
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
            None => {
                let raw: Vec<&str> = self.text.lines().collect();
                let slice = raw.get(from..to.min(raw.len())).unwrap_or_default();
                ctx.redactor
                    .redact(&slice.join("\n"))
                    .lines()
                    .map(str::to_owned)
                    .collect()
            }
        }
    }

    /// One line, redacted, trimmed: the `text` of a signal.
    pub(crate) fn redacted_line(&self, ctx: &ScanContext, line: u32) -> String {
        let lines = self.redacted_range(ctx, line, line);
        let text = lines.first().map(|l| l.trim()).unwrap_or_default();
        ctx.redactor.redact(&cut(text))
    }
}

fn cut(text: &str) -> String {
    if text.len() <= MAX_EXCERPT_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_EXCERPT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT_MARKER}", &text[..end])
}

/// Collects the evidence records of one repository scan.
pub(crate) struct EvidenceBook<'c> {
    ctx: &'c ScanContext,
    repo_key: String,
    /// `9f3c1e2`, or `worktree` when the working tree was read.
    revision_label: String,
    revision: Option<String>,
    source: String,
    records: BTreeMap<String, Evidence>,
}

impl<'c> EvidenceBook<'c> {
    /// A book for one repository read at `revision` (None: working tree).
    pub(crate) fn new(
        ctx: &'c ScanContext,
        repo_key: &str,
        source: &str,
        revision: Option<&str>,
    ) -> Self {
        let revision_label = match revision {
            Some(sha) => sha.chars().take(7).collect(),
            None => "worktree".to_owned(),
        };
        Self {
            ctx,
            repo_key: repo_key.to_owned(),
            revision_label,
            revision: revision.map(str::to_owned),
            source: source.to_owned(),
            records: BTreeMap::new(),
        }
    }

    /// The scan context (for redaction).
    pub(crate) fn ctx(&self) -> &'c ScanContext {
        self.ctx
    }

    /// Cites lines `start..=end` of `file` and returns the evidence id. Lines are clamped
    /// to the file; citing the same range twice yields the same id and one record.
    pub(crate) fn cite(&mut self, file: &SourceFile, start: u32, end: u32) -> String {
        let last = file.line_count().max(1);
        let start = start.clamp(1, last);
        let end = meaningful_end(file, start, end.clamp(start, last), last);
        let location = EvidenceLocation {
            path: file.path.clone(),
            start_line: start,
            end_line: end,
        };
        let locator = format!("{}{}", file.path, location.fragment());
        let id = format!("git:{}@{}:{locator}", self.repo_key, self.revision_label);
        if self.records.contains_key(&id) {
            return id;
        }
        let lines = file.redacted_range(self.ctx, start, end);
        let excerpt = self.ctx.redactor.redact(&excerpt_of(&lines));
        self.records.insert(
            id.clone(),
            Evidence {
                id: id.clone(),
                probe: "git".to_owned(),
                source: self.source.clone(),
                locator,
                location: Some(location),
                observed_at: self.ctx.observed_at.clone(),
                revision: self.revision.clone(),
                sha256: file.sha256.clone(),
                excerpt,
            },
        );
        id
    }

    /// Cites a whole file (its first line when it is long: the excerpt is capped anyway).
    pub(crate) fn cite_file(&mut self, file: &SourceFile) -> String {
        let end = file.line_count().max(1);
        self.cite(file, 1, end)
    }

    /// All records, in id order.
    pub(crate) fn into_records(self) -> Vec<Evidence> {
        self.records.into_values().collect()
    }
}

/// Lines a citation may grow by when it holds only punctuation (a lone `{`, `- `, `]`).
const MAX_EXTEND_LINES: u32 = 5;

/// The end of a citation that shows something: when lines `start..=end` carry no letter
/// or digit (a lone `{` opening a JSON object tells a reader nothing), the citation is
/// extended to the next line with content, by at most [`MAX_EXTEND_LINES`]; the
/// location and the excerpt then cover the same lines.
fn meaningful_end(file: &SourceFile, start: u32, end: u32, last: u32) -> u32 {
    let has_content = |l: &str| l.chars().any(char::is_alphanumeric);
    let bound = end.saturating_add(MAX_EXTEND_LINES).min(last);
    // Only the cited lines and the few after them are looked at.
    let window: Vec<&str> = file
        .text
        .lines()
        .skip(start as usize - 1)
        .take((bound - start + 1) as usize)
        .collect();
    let cited = (end - start + 1) as usize;
    if window.iter().take(cited).any(|l| has_content(l)) {
        return end;
    }
    window
        .iter()
        .skip(cited)
        .position(|l| has_content(l))
        .map_or(end, |i| end + 1 + i as u32)
}

fn excerpt_of(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i >= MAX_EXCERPT_LINES || out.len() + line.len() > MAX_EXCERPT_BYTES {
            out.push_str(CUT_MARKER);
            return out;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ScanContext {
        ScanContext::new(vec![], "2026-01-01T00:00:00Z".into())
    }

    #[test]
    fn a_citation_of_only_punctuation_extends_to_the_next_line_with_content() {
        let ctx = ctx();
        let mut book = EvidenceBook::new(&ctx, "shop", "/r/shop", Some("0123456789abcdef"));
        let file = SourceFile::new(
            "package.json".into(),
            "{\n\n  \"name\": \"shop\",\n  \"private\": true\n}\n".into(),
        );
        let id = book.cite(&file, 1, 1);
        assert_eq!(id, "git:shop@0123456:package.json#L1-L3");
        // A lone bracket with nothing after it within the bound stays as cited.
        let braces = SourceFile::new("b.json".into(), "[\n]\n".into());
        assert_eq!(book.cite(&braces, 2, 2), "git:shop@0123456:b.json#L2");
        let records = book.into_records();
        let rec = records.iter().find(|r| r.id == id).unwrap();
        assert_eq!(rec.excerpt, "{\n\n  \"name\": \"shop\",\n");
    }

    #[test]
    fn ids_are_stable_and_records_deduplicated() {
        let ctx = ctx();
        let mut book = EvidenceBook::new(&ctx, "shop", "/r/shop", Some("0123456789abcdef"));
        let file = SourceFile::new("a.yaml".into(), "a: 1\nb: 2\nc: 3\n".into());
        let id = book.cite(&file, 2, 3);
        assert_eq!(id, "git:shop@0123456:a.yaml#L2-L3");
        assert_eq!(book.cite(&file, 2, 3), id);
        assert_eq!(book.cite(&file, 1, 1), "git:shop@0123456:a.yaml#L1");
        let records = book.into_records();
        assert_eq!(records.len(), 2);
        let rec = records.iter().find(|r| r.id == id).unwrap();
        assert_eq!(rec.excerpt, "b: 2\nc: 3\n");
        assert_eq!(
            rec.sha256.as_deref(),
            Some(evident_core::sha256_hex(b"a: 1\nb: 2\nc: 3\n").as_str())
        );
        assert_eq!(rec.revision.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn excerpts_are_capped_and_redacted_with_context() {
        let ctx = ctx();
        let mut book = EvidenceBook::new(&ctx, "shop", "/r/shop", None);
        let mut text = String::from("env:\n  TOKEN_A: hunter2-canary\n");
        for i in 0..100 {
            text.push_str(&format!("line{i}: x\n"));
        }
        let file = SourceFile::new("w.yml".into(), text);
        let id = book.cite(&file, 2, 2);
        assert!(id.starts_with("git:shop@worktree:w.yml#L2"));
        let all = book.cite_file(&file);
        let records = book.into_records();
        for r in &records {
            assert!(!r.excerpt.contains("hunter2-canary"), "{}", r.excerpt);
        }
        let whole = records.iter().find(|r| r.id == all).unwrap();
        assert!(whole.excerpt.ends_with(CUT_MARKER));
        assert!(whole.excerpt.lines().count() <= MAX_EXCERPT_LINES + 1);
    }
}
