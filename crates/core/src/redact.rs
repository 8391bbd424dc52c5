//! Redaction applied to every excerpt before it becomes evidence.
//!
//! Evidence is written to reports, bundles and logs that travel far beyond the machine that
//! ran the scan. A secret that reaches an excerpt has leaked, so probes never build an
//! excerpt themselves: they pass raw text through [`Redactor::redact`].

use regex::{Regex, RegexSet};
use std::sync::OnceLock;

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// Replaces secret values in text while keeping the surrounding structure readable.
///
/// Three layers, because no single one catches everything: exact values the scan knows
/// are secret (tokens it was given), well-known token shapes (GitHub, GitLab, Slack, AWS,
/// JWT, private keys), and values of keys that name a secret or hold environment values
/// (`password:`, `env:` entries, `value:` of a Kubernetes env var, Dockerfile `ENV`).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    known_secrets: Vec<String>,
}

struct Patterns {
    tokens: Vec<Regex>,
    secret_key_value: Regex,
    env_block_key: Regex,
    yaml_value_line: Regex,
    dockerfile_env: Regex,
    url_credentials: Regex,
    private_key: Regex,
    quick: RegexSet,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        // These literals are fixed and tested below; failing to compile them is a bug in
        // this file, caught by every test run, never by a user.
        let re = |s: &str| Regex::new(s).expect("redaction pattern compiles");
        let token_sources = [
            r"gh[pousr]_[A-Za-z0-9]{20,}",
            r"github_pat_[A-Za-z0-9_]{20,}",
            r"glpat-[A-Za-z0-9_\-]{20,}",
            r"xox[abposr]-[A-Za-z0-9\-]{10,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
            r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}",
        ];
        let quick_sources: Vec<&str> = token_sources
            .iter()
            .copied()
            .chain([r"(?i)(pass|secret|token|key|auth|credential|env|value|://)", "ENV ", "ARG "])
            .collect();
        Patterns {
            tokens: token_sources.iter().map(|s| re(s)).collect(),
            secret_key_value: re(
                r#"(?i)(?P<key>[A-Za-z0-9_.\-]*(?:password|passwd|secret|secure|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?|authorization|auth[_\-]?header)[A-Za-z0-9_.\-]*["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,}]+)"#,
            ),
            env_block_key: re(
                r"(?i)^(?P<indent>\s*)(?:-\s+)?(?:env|environment|variables|vars|envs|secrets|stringData|data|[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?))\s*:\s*$",
            ),
            yaml_value_line: re(
                r#"^(?P<prefix>\s*(?:-\s+)?(?:value|default)\s*:\s*)(?P<value>\S.*)$"#,
            ),
            dockerfile_env: re(r"(?i)^(?P<prefix>\s*(?:ENV|ARG)\s+[A-Za-z_][A-Za-z0-9_]*)(?P<sep>[= ])(?P<value>.+)$"),
            url_credentials: re(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"),
            private_key: re(r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
            quick: RegexSet::new(quick_sources).expect("redaction pattern set compiles"),
        }
    })
}

/// A value that only refers to a secret (`${{ secrets.X }}`, `$VAR`, `{{ .Values.x }}`)
/// names where the secret lives, which an auditor needs to see; it is not the secret.
fn is_reference(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    v.starts_with("${{")
        || v.starts_with("${")
        || v.starts_with("{{")
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || v.is_empty()
}

impl Redactor {
    /// A redactor that knows only the generic patterns.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value this scan knows to be secret (a token from the environment), so it is
    /// replaced wherever it appears, whatever its shape. Values shorter than 4 characters
    /// are ignored: replacing every `a` would destroy the excerpt and protect nothing.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if secret.len() >= 4 {
            self.known_secrets.push(secret);
        }
        self
    }

    /// Returns `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let p = patterns();
        let mut out = text.to_owned();
        for secret in &self.known_secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        if !p.quick.is_match(&out) {
            return out;
        }
        out = p.private_key.replace_all(&out, REDACTED).into_owned();
        for token in &p.tokens {
            out = token.replace_all(&out, REDACTED).into_owned();
        }
        out = p
            .url_credentials
            .replace_all(&out, format!("${{scheme}}{REDACTED}@"))
            .into_owned();
        let mut lines: Vec<String> = Vec::new();
        // Indentation of the `env:`-like key we are inside, if any.
        let mut env_indent: Option<usize> = None;
        for line in out.lines() {
            let indent = line.len() - line.trim_start().len();
            if let Some(block) = env_indent
                && !line.trim().is_empty()
                && indent <= block
                && !line.trim_start().starts_with("- ")
            {
                env_indent = None;
            }
            if let Some(block) = env_indent
                && indent < block
            {
                env_indent = None;
            }
            let mut line = line.to_owned();
            if env_indent.is_some() {
                line = redact_mapping_value(&line);
            }
            if let Some(caps) = p.env_block_key.captures(&line) {
                env_indent = Some(caps.name("indent").map_or(0, |m| m.as_str().len()));
            }
            if let Some(caps) = p.yaml_value_line.captures(&line)
                && !is_reference(&caps["value"])
            {
                line = format!("{}{REDACTED}", &caps["prefix"]);
            }
            if let Some(caps) = p.dockerfile_env.captures(&line)
                && !is_reference(&caps["value"])
            {
                line = format!("{}{}{REDACTED}", &caps["prefix"], &caps["sep"]);
            }
            line = p
                .secret_key_value
                .replace_all(&line, |caps: &regex::Captures<'_>| {
                    if is_reference(&caps["value"]) {
                        caps[0].to_owned()
                    } else {
                        format!("{}{REDACTED}", &caps["key"])
                    }
                })
                .into_owned();
            lines.push(line);
        }
        let mut joined = lines.join("\n");
        if out.ends_with('\n') {
            joined.push('\n');
        }
        joined
    }
}

/// Inside an `env:` block every `KEY: value` (and `KEY=value` list item) is an environment
/// value; keep the key, drop the value.
fn redact_mapping_value(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let (dash, body) = match trimmed.strip_prefix("- ") {
        Some(rest) => ("- ", rest),
        None => ("", trimmed),
    };
    if body.starts_with('#') || body.is_empty() {
        return line.to_owned();
    }
    // `name:` and `valueFrom:` inside a Kubernetes env list are structure, not values.
    for structural in [
        "name:",
        "valueFrom:",
        "secretKeyRef:",
        "configMapKeyRef:",
        "key:",
    ] {
        if body.starts_with(structural) {
            return line.to_owned();
        }
    }
    if let Some((key, value)) = body.split_once(':')
        && !key.contains(' ')
        && !value.trim().is_empty()
    {
        if is_reference(value) {
            return line.to_owned();
        }
        return format!("{indent}{dash}{key}: {REDACTED}");
    }
    if let Some((key, value)) = body.split_once('=')
        && !key.contains(' ')
        && !is_reference(value)
    {
        return format!("{indent}{dash}{key}={REDACTED}");
    }
    line.to_owned()
}

#[cfg(test)]
mod nested_secret_tests {
    use super::*;

    #[test]
    fn a_secret_key_whose_value_is_a_nested_block_is_blanked() {
        let text = "deploy:\n  provider: heroku\n  api_key:\n    secure: evident-canary-nested\n  app: web\n";
        let out = Redactor::new().redact(text);
        assert!(!out.contains("evident-canary-nested"), "{out}");
        assert!(out.contains("app: web"), "{out}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "evident-canary-7f3a9c1e";

    #[test]
    fn known_secret_is_replaced_wherever_it_appears() {
        let r = Redactor::new().with_secret(CANARY);
        let out = r.redact(&format!(
            "curl -H 'X-Thing: {CANARY}' https://x\n# {CANARY}"
        ));
        assert!(!out.contains(CANARY), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 2);
    }

    #[test]
    fn kubernetes_env_values_are_dropped_but_names_kept() {
        let yaml = format!(
            "        env:\n        - name: DB_PASSWORD\n          value: {CANARY}\n        - name: FROM_SECRET\n          valueFrom:\n            secretKeyRef:\n              name: db\n              key: pw\n        ports:\n        - containerPort: 8080\n"
        );
        let out = Redactor::new().redact(&yaml);
        assert!(!out.contains(CANARY), "{out}");
        assert!(out.contains("DB_PASSWORD"));
        assert!(out.contains("secretKeyRef"));
        assert!(out.contains("containerPort: 8080"), "{out}");
    }

    #[test]
    fn workflow_env_block_values_are_dropped() {
        let yaml = format!(
            "jobs:\n  deploy:\n    env:\n      API_TOKEN: {CANARY}\n      REGION: eu-west-1\n      GH: ${{{{ secrets.GH_TOKEN }}}}\n    steps:\n      - run: make deploy\n"
        );
        let out = Redactor::new().redact(&yaml);
        assert!(!out.contains(CANARY), "{out}");
        assert!(!out.contains("eu-west-1"), "env values are values: {out}");
        assert!(
            out.contains("secrets.GH_TOKEN"),
            "references stay visible: {out}"
        );
        assert!(out.contains("run: make deploy"), "{out}");
    }

    #[test]
    fn token_shapes_are_recognised_without_being_told() {
        let samples = [
            "ghp_0123456789abcdefghijABCDEFGHIJ012345",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "glpat-abcdefghij0123456789",
            "xoxb-1234567890-abcdefghij",
            "AKIAIOSFODNN7EXAMPLE",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ];
        for s in samples {
            let out = Redactor::new().redact(&format!("run: deploy --with {s} now"));
            assert!(!out.contains(s), "{s} leaked: {out}");
        }
    }

    #[test]
    fn authorization_headers_urls_and_keys_are_redacted() {
        let text = format!(
            "Authorization: Bearer {CANARY}xyz\nurl: https://bob:{CANARY}@example.com/x\npassword={CANARY}\n-----BEGIN RSA PRIVATE KEY-----\nMIIB{CANARY}\n-----END RSA PRIVATE KEY-----\nENV SECRET_THING={CANARY}\n"
        );
        let out = Redactor::new().redact(&text);
        assert!(!out.contains(CANARY), "{out}");
        assert!(out.contains("https://[redacted]@example.com/x"), "{out}");
    }

    #[test]
    fn harmless_text_is_left_alone() {
        let text = "steps:\n  - uses: actions/checkout@v4\n  - run: cargo test --workspace\n";
        assert_eq!(Redactor::new().redact(text), text);
    }
}
