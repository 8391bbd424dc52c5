//! Self-attestations: the only way a criterion no system can prove becomes more than
//! `manual`.
//!
//! The file is committed to the repository (`.evident/attestations.yaml`), so an
//! attestation has an author, a date, a reason and a review trail like any other change,
//! and it is cited as evidence with its file and lines.

use chrono::NaiveDate;
use evident_core::{Evidence, EvidenceLocation, Redactor, sha256_hex};
use serde::Deserialize;

/// Where attestations live inside a repository.
pub const ATTESTATION_PATH: &str = ".evident/attestations.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttestationFile {
    attestations: Vec<RawAttestation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestation {
    criterion: String,
    #[serde(default)]
    service: Option<String>,
    who: String,
    when: String,
    why: String,
    #[serde(default)]
    expires: Option<String>,
}

/// One person's statement that a criterion holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The criterion attested.
    pub criterion: String,
    /// The service it is limited to; `None` attests for every service.
    pub service: Option<String>,
    /// Who attests (name and contact).
    pub who: String,
    /// When, as an ISO date.
    pub when: NaiveDate,
    /// Why it holds, in the attester's words.
    pub why: String,
    /// After this date the attestation no longer counts.
    pub expires: Option<NaiveDate>,
    /// Evidence id of the entry's lines.
    pub evidence: String,
}

/// All attestations of a scan.
#[derive(Debug, Clone, Default)]
pub struct AttestationSet {
    /// In file order.
    pub items: Vec<Attestation>,
}

/// Where the file was read from, so its evidence records point back at it.
#[derive(Debug, Clone)]
pub struct AttestationOrigin {
    /// Evidence id prefix (`git:<repo>@<sha7>:`).
    pub id_prefix: String,
    /// Evidence source (the repository path).
    pub source: String,
    /// Commit the file was read at, if known.
    pub revision: Option<String>,
    /// Scan observation time.
    pub observed_at: String,
}

fn parse_date(field: &str, value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{field} must be a date like 2026-01-31, not {value:?}"))
}

impl AttestationSet {
    /// Parses the file's text. Returns the attestations and one evidence record per
    /// entry, or a message saying what is wrong and where.
    pub fn parse(
        text: &str,
        origin: &AttestationOrigin,
        redactor: &Redactor,
    ) -> Result<(Self, Vec<Evidence>), String> {
        let file: AttestationFile = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" at line {}", l.line()))
                .unwrap_or_default();
            format!("could not parse {ATTESTATION_PATH}{at}: {e}")
        })?;
        let lines: Vec<&str> = text.lines().collect();
        let starts: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("- "))
            .map(|(i, _)| i)
            .collect();
        let sha = sha256_hex(text.as_bytes());
        let mut set = AttestationSet::default();
        let mut evidence = Vec::new();
        for (n, raw) in file.attestations.into_iter().enumerate() {
            let start = starts.get(n).copied().unwrap_or(0);
            let mut end = starts
                .get(n + 1)
                .map_or(lines.len(), |s| *s)
                .saturating_sub(1);
            while end > start && lines.get(end).is_some_and(|l| l.trim().is_empty()) {
                end -= 1;
            }
            let location = EvidenceLocation {
                path: ATTESTATION_PATH.to_owned(),
                start_line: start as u32 + 1,
                end_line: end as u32 + 1,
            };
            let id = format!(
                "{}{}{}",
                origin.id_prefix,
                ATTESTATION_PATH,
                location.fragment()
            );
            let excerpt = lines
                .get(start..=end)
                .map(|l| l.join("\n"))
                .unwrap_or_default();
            evidence.push(Evidence {
                id: id.clone(),
                probe: "git".into(),
                source: origin.source.clone(),
                locator: format!("{ATTESTATION_PATH}{}", location.fragment()),
                location: Some(location),
                observed_at: origin.observed_at.clone(),
                revision: origin.revision.clone(),
                sha256: Some(sha.clone()),
                excerpt: redactor.redact(&excerpt),
            });
            let entry = format!("attestation {} ({})", n + 1, raw.criterion);
            set.items.push(Attestation {
                when: parse_date("when", &raw.when).map_err(|e| format!("{entry}: {e}"))?,
                expires: raw
                    .expires
                    .as_deref()
                    .map(|d| parse_date("expires", d))
                    .transpose()
                    .map_err(|e| format!("{entry}: {e}"))?,
                criterion: raw.criterion,
                service: raw.service,
                who: raw.who,
                why: raw.why,
                evidence: id,
            });
        }
        Ok((set, evidence))
    }

    /// The attestation that applies to a criterion and service on a date, and whether
    /// the newest candidate had expired (so the result can say so instead of silently
    /// falling back to `manual`).
    pub fn find(&self, criterion: &str, service: &str, today: NaiveDate) -> Lookup<'_> {
        let mut expired = None;
        for a in self.items.iter().rev() {
            if a.criterion != criterion || a.service.as_deref().is_some_and(|s| s != service) {
                continue;
            }
            match a.expires {
                Some(exp) if exp < today => expired = expired.or(Some(a)),
                _ => return Lookup::Valid(a),
            }
        }
        expired.map_or(Lookup::None, Lookup::Expired)
    }
}

/// The outcome of looking for an attestation.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// One applies.
    Valid(&'a Attestation),
    /// Only expired ones exist.
    Expired(&'a Attestation),
    /// None exists.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> AttestationOrigin {
        AttestationOrigin {
            id_prefix: "git:shop@abc1234:".into(),
            source: "/repo".into(),
            revision: Some("abc1234".into()),
            observed_at: "2026-11-23T00:00:00Z".into(),
        }
    }

    const FILE: &str = "attestations:\n  - criterion: ds.process.agile\n    who: Jane Doe <jane@example.com>\n    when: 2026-09-01\n    why: Two-week iterations with reviews\n\n  - criterion: ds.arch.idempotency\n    service: cart\n    who: Bob\n    when: 2025-01-01\n    why: Idempotency keys on every write\n    expires: 2025-06-30\n";

    #[test]
    fn entries_cite_their_own_lines() {
        let (set, ev) = AttestationSet::parse(FILE, &origin(), &Redactor::new()).unwrap();
        assert_eq!(set.items.len(), 2);
        assert_eq!(
            ev[0].id,
            "git:shop@abc1234:.evident/attestations.yaml#L2-L5"
        );
        assert_eq!(
            ev[1].id,
            "git:shop@abc1234:.evident/attestations.yaml#L7-L12"
        );
        assert!(ev[0].excerpt.contains("Jane Doe"));
    }

    #[test]
    fn expiry_and_service_limits_apply() {
        let (set, _) = AttestationSet::parse(FILE, &origin(), &Redactor::new()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(matches!(
            set.find("ds.process.agile", "any", today),
            Lookup::Valid(_)
        ));
        assert!(matches!(
            set.find("ds.arch.idempotency", "cart", today),
            Lookup::Expired(_)
        ));
        assert_eq!(
            set.find("ds.arch.idempotency", "other", today),
            Lookup::None
        );
    }

    #[test]
    fn bad_files_say_what_and_where() {
        let err =
            AttestationSet::parse("attestations: [", &origin(), &Redactor::new()).unwrap_err();
        assert!(
            err.contains("could not parse .evident/attestations.yaml"),
            "{err}"
        );
        let bad_date =
            "attestations:\n  - criterion: x\n    who: a\n    when: yesterday\n    why: b\n";
        let err = AttestationSet::parse(bad_date, &origin(), &Redactor::new()).unwrap_err();
        assert!(err.contains("when must be a date"), "{err}");
    }
}
