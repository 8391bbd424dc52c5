//! Redaction applied to every excerpt before it becomes evidence.
//!
//! Evidence is written to reports, bundles and logs that travel far beyond the machine that
//! ran the scan. A secret that reaches an excerpt has leaked, so probes never build an
//! excerpt themselves: they pass raw text through [`Redactor::redact`].

use base64::Engine as _;
use regex::{Regex, RegexSet};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
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
    quick_shapes: RegexSet,
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
        let shape_sources: Vec<&str> = token_sources
            .iter()
            .copied()
            .chain(["PRIVATE KEY", "://"])
            .collect();
        Patterns {
            quick_shapes: RegexSet::new(shape_sources).expect("redaction pattern set compiles"),
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

/// Shorter values are not treated as secrets (see [`Redactor::with_secret`]).
const MIN_SECRET_LEN: usize = 4;

/// Shortest base64 fragment of a secret that is matched inside a longer base64 text:
/// shorter fragments would match unrelated text by chance.
const MIN_FRAGMENT_LEN: usize = 8;

/// The forms in which a secret can appear in what a server answers: as given, base64
/// (whole, padded or not, standard or URL-safe, and the part that is the same at any
/// of the three byte alignments inside a longer base64 text such as `user:password`),
/// and percent-encoded.
fn encoded_forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bytes = secret.as_bytes();
    let mut forms = vec![
        secret.to_owned(),
        STANDARD.encode(bytes),
        URL_SAFE.encode(bytes),
        percent_encode(secret),
    ];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for offset in 0..3usize {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let encoded = engine.encode(&padded);
            // Characters that mix in bits of the bytes before or after the secret differ
            // with the text around it; keep only those made of the secret's bits alone.
            let start = (offset * 8).div_ceil(6);
            let end = (padded.len() * 8) / 6;
            if let Some(core) = encoded.get(start..end)
                && core.len() >= MIN_FRAGMENT_LEN
            {
                forms.push(core.to_owned());
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Percent-encodes every byte outside the URL's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Longest text a token shape needs to be recognised across a chunk boundary.
const MAX_SHAPE_LEN: usize = 512;

/// Reads a serialised document chunk by chunk, keeping the end of each chunk so a
/// secret split between two chunks is still seen.
struct Detector<'a> {
    redactor: &'a Redactor,
    tail: Vec<u8>,
    keep: usize,
    found: bool,
}

impl std::io::Write for Detector<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.found {
            return Ok(buf.len());
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(buf);
        if self
            .redactor
            .matches_anything(&String::from_utf8_lossy(&window))
        {
            self.found = true;
        } else {
            let start = window.len().saturating_sub(self.keep);
            self.tail = window.split_off(start);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    /// replaced wherever it appears, whatever its shape, and so are its encoded forms
    /// (base64 at any alignment inside a longer base64 text, URL-safe base64, percent
    /// encoding): a server that echoes an `Authorization: Basic` header or a query
    /// string shows the secret only encoded. Values shorter than 4 characters are
    /// ignored: replacing every `a` would destroy the excerpt and protect nothing.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LEN {
            return self;
        }
        for form in encoded_forms(&secret) {
            if form.len() >= MIN_SECRET_LEN && !self.known_secrets.contains(&form) {
                self.known_secrets.push(form);
            }
        }
        // Longest first: a secret that contains another is replaced whole.
        self.known_secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self
    }

    /// Adds several secrets at once (see [`Redactor::with_secret`]).
    pub fn with_secrets<S: Into<String>>(self, secrets: impl IntoIterator<Item = S>) -> Self {
        secrets.into_iter().fold(self, Redactor::with_secret)
    }

    /// Whether this redactor was given any secret value (beyond the generic patterns).
    pub fn knows_secrets(&self) -> bool {
        !self.known_secrets.is_empty()
    }

    /// Whether [`Redactor::redact_secrets`] could change any string of `document`,
    /// read from its JSON serialisation without keeping it. A secret that JSON would
    /// escape (quotes, backslashes, control characters) cannot be looked for that way,
    /// so then the answer is yes.
    pub fn finds_anything_in<T: Serialize>(&self, document: &T) -> Result<bool, serde_json::Error> {
        if self
            .known_secrets
            .iter()
            .any(|s| s.chars().any(|c| c == '"' || c == '\\' || c.is_control()))
        {
            return Ok(true);
        }
        let longest = self.known_secrets.first().map_or(0, String::len);
        let mut detector = std::io::BufWriter::with_capacity(
            1 << 16,
            Detector {
                redactor: self,
                tail: Vec::new(),
                keep: longest.max(MAX_SHAPE_LEN),
                found: false,
            },
        );
        serde_json::to_writer(&mut detector, document)?;
        let detector = detector
            .into_inner()
            .map_err(|e| serde_json::Error::io(e.into_error()))?;
        Ok(detector.found)
    }

    /// Whether `text` holds a known secret or a shape [`Redactor::redact_secrets`] replaces.
    fn matches_anything(&self, text: &str) -> bool {
        let p = patterns();
        self.known_secrets.iter().any(|s| text.contains(s.as_str()))
            || p.private_key.is_match(text)
            || p.url_credentials.is_match(text)
            || p.tokens.iter().any(|t| t.is_match(text))
    }

    fn replace_known(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.known_secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// Returns `text` with the known secrets (and their encoded forms), token shapes,
    /// `user:password@` of URLs and private keys replaced, leaving everything else as
    /// it was. Unlike [`Redactor::redact`] it reads no `key: value` structure, so it can
    /// run over ids, names and summaries (the last pass over a scan result) without
    /// rewording them; excerpts get the full [`Redactor::redact`] when they are built.
    pub fn redact_secrets(&self, text: &str) -> String {
        let p = patterns();
        let mut out = self.replace_known(text);
        if !p.quick_shapes.is_match(&out) {
            return out;
        }
        out = p.private_key.replace_all(&out, REDACTED).into_owned();
        for token in &p.tokens {
            out = token.replace_all(&out, REDACTED).into_owned();
        }
        p.url_credentials
            .replace_all(&out, format!("${{scheme}}{REDACTED}@"))
            .into_owned()
    }

    /// Applies [`Redactor::redact_secrets`] to every string of a JSON document, map keys
    /// included, and says whether anything changed. The same text always becomes the
    /// same redacted text, so an evidence id stays equal to every reference to it; when
    /// two keys of one map become equal, the first one's value is kept.
    pub fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => {
                let redacted = self.redact_secrets(s);
                let changed = redacted != *s;
                if changed {
                    *s = redacted;
                }
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, v| self.redact_json(v) | changed),
            Value::Object(map) => {
                let mut changed = map
                    .values_mut()
                    .fold(false, |changed, v| self.redact_json(v) | changed);
                if map.keys().any(|k| self.redact_secrets(k) != *k) {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.entry(self.redact_secrets(&k)).or_insert(v);
                    }
                    changed = true;
                }
                changed
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }

    /// Redacts every string of any serialisable document (a scan result, a service
    /// listing) through its JSON form; returns it unchanged, without a copy back, when
    /// nothing needed redacting.
    pub fn redact_serde<T: Serialize + DeserializeOwned>(
        &self,
        document: T,
    ) -> Result<T, serde_json::Error> {
        // An estate's result is hundreds of megabytes: look for anything to redact in
        // its serialised stream first, and build the JSON tree only when there is.
        if !self.finds_anything_in(&document)? {
            return Ok(document);
        }
        let mut value = serde_json::to_value(&document)?;
        if !self.redact_json(&mut value) {
            return Ok(document);
        }
        serde_json::from_value(value)
    }

    /// Returns `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let p = patterns();
        let mut out = self.replace_known(text);
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
                    if is_reference(&caps["value"]) || is_permission(&caps["key"], &caps["value"]) {
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

/// Whether `key: value` is a CI permission grant rather than a secret: GitHub Actions'
/// `id-token: read|write|none` (the OIDC token permission) holds a permission level, not
/// a token. Only that key and those three levels: `id-token: abc123` stays redacted.
fn is_permission(key: &str, value: &str) -> bool {
    let name = key
        .trim_end()
        .trim_end_matches([':', '='])
        .trim_end()
        .trim_matches(['"', '\''])
        .to_ascii_lowercase();
    name == "id-token"
        && matches!(
            value
                .trim_matches(['"', '\''])
                .to_ascii_lowercase()
                .as_str(),
            "read" | "write" | "none"
        )
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
    fn an_id_token_permission_is_no_secret_but_an_id_token_value_is() {
        let r = Redactor::new();
        let text = "permissions:\n  id-token: write\n  contents: read\n";
        assert_eq!(r.redact(text), text);
        assert_eq!(r.redact("  id-token: \"none\"\n"), "  id-token: \"none\"\n");
        assert!(
            !r.redact("id-token: eyJhbGciOiJSUzI1NiJ9.abc")
                .contains("eyJ")
        );
        assert!(
            !r.redact("ID_TOKEN=write-me-secret")
                .contains("write-me-secret")
        );
        assert!(
            !r.redact("token: write").contains("write"),
            "only id-token is a permission key"
        );
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

#[cfg(test)]
mod walk_tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    const TOKEN: &str = "evcanaryWalkTok93ab";

    fn redactor() -> Redactor {
        Redactor::new().with_secret(TOKEN)
    }

    #[test]
    fn every_string_is_redacted_keys_and_nested_arrays_included() {
        let mut doc = json!({
            "evidence": {format!("prometheus:h:/rules/{TOKEN}"): {"id": format!("prometheus:h:/rules/{TOKEN}"),
                          "locator": format!("/rules/{TOKEN}")}},
            "results": [{"evidence": [format!("prometheus:h:/rules/{TOKEN}")],
                         "missing": [[format!("deep {TOKEN}")], {"k": [TOKEN]}]}],
            "n": 3, "ok": true, "none": null
        });
        assert!(redactor().redact_json(&mut doc));
        let text = doc.to_string();
        assert!(!text.contains(TOKEN), "{text}");
        let id = "prometheus:h:/rules/[redacted]";
        assert!(doc["evidence"].get(id).is_some(), "{text}");
        assert_eq!(
            doc["evidence"][id]["id"], id,
            "the record keeps its key as id"
        );
        assert_eq!(
            doc["results"][0]["evidence"][0], id,
            "references still resolve"
        );
        assert_eq!(doc["n"], 3);
        assert_eq!(doc["ok"], true);
    }

    #[test]
    fn a_secret_split_across_serialised_chunks_is_still_found() {
        let long = format!("{}{TOKEN}", "x".repeat((1 << 16) - 7));
        let doc = vec![long.clone()];
        let clean = redactor().redact_serde(doc).expect("redact");
        assert!(!clean[0].contains(TOKEN));
        let plain = vec!["x".repeat(1 << 17)];
        assert!(!redactor().finds_anything_in(&plain).expect("scan"));
        let quoted = Redactor::new().with_secret("pw\"quoted\"1");
        assert!(
            quoted.finds_anything_in(&plain).expect("scan"),
            "escaped secrets take the tree path"
        );
    }

    #[test]
    fn keys_that_become_equal_keep_the_first_value() {
        let mut doc = json!({format!("a{TOKEN}"): 1, "a[redacted]": 2, "b": 3});
        redactor().redact_json(&mut doc);
        assert_eq!(doc, json!({"a[redacted]": 1, "b": 3}));
    }

    #[test]
    fn nothing_changes_when_nothing_is_secret() {
        let mut doc = json!({"id": "git:checkout@9f3:ci.yaml#L1", "summary": "secret-scanning: on; value: 3",
                             "list": ["basic", "token"]});
        let before = doc.clone();
        assert!(!redactor().redact_json(&mut doc));
        assert_eq!(doc, before, "no key: value heuristics in the last pass");
    }

    #[test]
    fn encoded_forms_of_a_known_secret_are_redacted() {
        let r = Redactor::new()
            .with_secret(TOKEN)
            .with_secret("pw/Canary+77x");
        let basic = STANDARD.encode(format!("bob:{TOKEN}"));
        let percent = "pw%2FCanary%2B77x";
        for text in [
            STANDARD.encode(TOKEN),
            basic.clone(),
            format!("Authorization: Basic {basic}"),
            format!("q=x&t={percent}"),
        ] {
            let out = r.redact_secrets(&text);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(!out.contains(&STANDARD.encode(TOKEN)[..12]), "{out}");
        }
    }

    #[test]
    fn token_shapes_and_url_credentials_are_redacted_without_being_told() {
        let out = Redactor::new().redact_secrets(
            "see http://bob:hunter22@h:9090/x and ghp_0123456789abcdefghijABCDEFGHIJ012345",
        );
        assert_eq!(out, "see http://[redacted]@h:9090/x and [redacted]");
    }

    #[test]
    fn a_typed_document_round_trips_and_is_redacted() {
        let ev = crate::Evidence {
            id: format!("k8s:c:Pod/{TOKEN}"),
            probe: "kubernetes".into(),
            source: "c".into(),
            locator: format!("Pod/{TOKEN}"),
            location: None,
            observed_at: "2026-01-01T00:00:00Z".into(),
            revision: None,
            sha256: None,
            excerpt: String::new(),
        };
        let clean = redactor().redact_serde(vec![ev]).expect("round trip");
        assert_eq!(clean[0].id, "k8s:c:Pod/[redacted]");
        assert_eq!(clean[0].locator, "Pod/[redacted]");
    }
}
