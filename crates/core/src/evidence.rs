//! Evidence records: the proof behind every fact a rule can cite.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One thing a person can open to check a claim: a file's lines, an API response, an
/// object at a resourceVersion, a PromQL query.
///
/// Every field of the architecture's evidence table is here, so that a saved scan result
/// alone lets an auditor find and re-read the original, and detect that it changed
/// (`revision`, `sha256`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Stable id, e.g. `git:checkout@9f3c1e2:.github/workflows/ci.yaml#L12-L31`.
    pub id: String,
    /// The probe that collected it (`git`, `kubernetes`, ...).
    pub probe: String,
    /// Where it came from: repository path or URL, API base URL, cluster context.
    pub source: String,
    /// Where inside the source: path and line range, API path, `kind/ns/name@rv`, PromQL.
    pub locator: String,
    /// The same place in structured form when it is a file, so renderers (SARIF, HTML)
    /// need not parse `locator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<EvidenceLocation>,
    /// RFC 3339 time of collection.
    pub observed_at: String,
    /// Commit SHA, resourceVersion or ETag of what was read, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Hex sha256 of the raw bytes the fact was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The few lines or fields that prove the point, already redacted.
    pub excerpt: String,
}

/// A file position, one-based and inclusive, as editors and SARIF count lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLocation {
    /// Path relative to the source's root, with `/` separators.
    pub path: String,
    /// First line of the cited range.
    pub start_line: u32,
    /// Last line of the cited range (equal to `start_line` for one line).
    pub end_line: u32,
}

impl EvidenceLocation {
    /// The `#Lstart-Lend` fragment GitHub and most code browsers understand.
    pub fn fragment(&self) -> String {
        if self.start_line == self.end_line {
            format!("#L{}", self.start_line)
        } else {
            format!("#L{}-L{}", self.start_line, self.end_line)
        }
    }
}

/// Hex sha256 of bytes; evidence carries it so tampering and drift are detectable.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_published_constant() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn fragment_collapses_single_lines() {
        let one = EvidenceLocation {
            path: "a".into(),
            start_line: 3,
            end_line: 3,
        };
        let many = EvidenceLocation {
            path: "a".into(),
            start_line: 3,
            end_line: 9,
        };
        assert_eq!(one.fragment(), "#L3");
        assert_eq!(many.fragment(), "#L3-L9");
    }
}
