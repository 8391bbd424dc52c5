//! Who owns the code: CODEOWNERS and Backstage catalog entities.
//!
//! Every criterion is judged per service and reported to its owning team; an unowned
//! service is itself a finding. Owners are read from the same files GitHub and
//! Backstage use, in the same precedence.

use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::{CatalogEntry, Codeowners, CodeownersRule};
use crate::yaml_pos::{self, Lines, Node};
use evident_core::{REDACTED, ScanContext};

/// Where GitHub looks for CODEOWNERS, in the order it looks: the first found wins.
pub(crate) const CODEOWNERS_PATHS: [&str; 3] =
    [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// Parses a CODEOWNERS file. The default owners are those of the last rule that
/// matches every path (`*`, `**`, `/**`): in CODEOWNERS the last match wins.
pub(crate) fn codeowners(file: &SourceFile, book: &mut EvidenceBook<'_>) -> Codeowners {
    let mut rules = Vec::new();
    for (i, raw) in file.text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(pattern) = parts.next() else {
            continue;
        };
        rules.push(CodeownersRule {
            pattern: pattern.to_owned(),
            owners: parts.map(str::to_owned).collect(),
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
        });
    }
    let default_rule = rules
        .iter()
        .rev()
        .find(|r| matches!(r.pattern.as_str(), "*" | "**" | "/*" | "/**" | "/"));
    let evidence = match default_rule {
        Some(rule) => book.cite(file, rule.line, rule.line),
        None => book.cite_file(file),
    };
    Codeowners {
        path: file.path.clone(),
        default_owners: default_rule.map(|r| r.owners.clone()).unwrap_or_default(),
        rules,
        evidence,
    }
}

/// Backstage entities of a YAML file (any file with `apiVersion: backstage.io/...`).
pub(crate) fn catalog_entries(
    file: &SourceFile,
    docs: &[Node],
    book: &mut EvidenceBook<'_>,
) -> Vec<CatalogEntry> {
    let lines = Lines::new(&file.text);
    let ctx = book.ctx();
    let mut out = Vec::new();
    for doc in docs {
        let is_backstage =
            yaml_pos::get_str(doc, "apiVersion").is_some_and(|v| v.starts_with("backstage.io/"));
        let Some(kind) = yaml_pos::get_str(doc, "kind").filter(|_| is_backstage) else {
            continue;
        };
        let metadata = yaml_pos::get(doc, "metadata");
        let spec = yaml_pos::get(doc, "spec");
        let Some(name) = metadata
            .and_then(|m| yaml_pos::get(m, "name"))
            .and_then(yaml_pos::scalar_text)
        else {
            continue;
        };
        let text_of = |node: Option<&Node>, key: &str| {
            node.and_then(|n| yaml_pos::get(n, key))
                .and_then(yaml_pos::scalar_text)
        };
        let annotations = metadata
            .and_then(|m| yaml_pos::get(m, "annotations"))
            .map(|a| {
                yaml_pos::entries(a)
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let key = yaml_pos::scalar_text(k)?;
                        let value = yaml_pos::scalar_text(v).unwrap_or_default();
                        Some((key.clone(), redact_value(ctx, &key, &value)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (start, end) = lines.node_range(doc);
        let (email_hash, members) = people_of(kind, spec);
        out.push(CatalogEntry {
            name,
            kind: kind.to_owned(),
            owner: text_of(spec, "owner"),
            system: text_of(spec, "system"),
            annotations,
            email_hash,
            members,
            evidence: book.cite(file, start, end),
        });
    }
    out
}

/// What a `User` entity (the hash of `spec.profile.email`) or a `Group` entity
/// (`spec.members`) says about people: the keys resolution joins on-call users and team
/// members by. Other kinds give none.
fn people_of(kind: &str, spec: Option<&Node>) -> (Option<String>, Vec<String>) {
    match kind {
        "User" => {
            let email = spec
                .and_then(|s| yaml_pos::get(s, "profile"))
                .and_then(|p| yaml_pos::get(p, "email"))
                .and_then(yaml_pos::scalar_text)
                .filter(|e| !e.trim().is_empty());
            (email.as_deref().map(evident_oncall::email_key), Vec::new())
        }
        "Group" => {
            let members = spec
                .and_then(|s| yaml_pos::get(s, "members"))
                .map(yaml_pos::items)
                .unwrap_or_default()
                .iter()
                .filter_map(yaml_pos::scalar_text)
                .filter(|m| !m.trim().is_empty())
                .collect();
            (None, members)
        }
        _ => (None, Vec::new()),
    }
}

/// An annotation value as the redactor would show it in its `key: value` line, so a
/// token in an annotation never reaches the facts.
fn redact_value(ctx: &ScanContext, key: &str, value: &str) -> String {
    let line = format!("{key}: {value}");
    let redacted = ctx.redactor.redact(&line);
    if redacted == line {
        value.to_owned()
    } else {
        REDACTED.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_catch_all_rule_gives_the_default_owners() {
        let ctx = ScanContext::new(vec![], "t".into());
        let mut book = EvidenceBook::new(&ctx, "r", "/r", Some("abcdef0"));
        let text = "# owners\n* @org/old\n/docs/ @org/docs # docs team\n*   @org/web @alice\n";
        let file = SourceFile::new(".github/CODEOWNERS".into(), text.into());
        let c = codeowners(&file, &mut book);
        assert_eq!(c.default_owners, vec!["@org/web", "@alice"]);
        assert_eq!(c.rules.len(), 3);
        assert_eq!(c.rules[1].owners, vec!["@org/docs"]);
        assert_eq!(c.rules[1].line, 3);
        assert!(c.evidence.ends_with("#L4"));
    }

    #[test]
    fn user_entities_give_an_email_hash_never_the_address_and_groups_their_members() {
        let ctx = ScanContext::new(vec![], "t".into());
        let mut book = EvidenceBook::new(&ctx, "r", "/r", Some("abcdef0"));
        let text = "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: alice\n  annotations:\n    github.com/user-login: Alice-GH\nspec:\n  profile:\n    email: Alice@Example.com\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: web\nspec:\n  type: team\n  members: [alice, user:default/bob]\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\nspec:\n  owner: web\n";
        let file = SourceFile::new("catalog-info.yaml".into(), text.into());
        let docs = yaml_pos::load_documents(text).unwrap_or_default();
        let entries = catalog_entries(&file, &docs, &mut book);
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0].email_hash.as_deref(),
            Some(evident_oncall::email_key("alice@example.com").as_str())
        );
        assert_eq!(entries[1].members, ["alice", "user:default/bob"]);
        let component = serde_json::to_value(&entries[2]).unwrap_or_default();
        assert!(component.get("email_hash").is_none() && component.get("members").is_none());
        let user = serde_json::to_string(&entries[0]).unwrap_or_default();
        assert!(!user.to_lowercase().contains("alice@example.com"), "{user}");
    }
}
