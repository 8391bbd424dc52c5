//! The estate config, `estate.yaml`: what a platform team's nightly scan reads, how it
//! judges, when it runs and where it keeps results.
//!
//! [`load`] reads and checks a file. Every problem is one [`EstateError`] naming the file
//! and, where the text has one, the line: an unknown key (so a typo is never an ignored
//! setting), a wrong type, an inline credential (`token:`, `password:`, a URL with
//! `user:password@`), an environment variable name that is not one, a cron expression
//! that does not parse. Credentials are only ever referenced (`*_env`, `*_file`);
//! [`Estate::secret`] reads them, and no message ever carries a value read from the
//! file or from a referenced secret.
//!
//! [`schema`] is the JSON Schema of the format (`schemas/estate.v1.json`, generated).

mod model;

pub use model::*;

use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The schema id of the format, as published under `schemas/`.
pub const SCHEMA_ID: &str = "https://evident.invalid/schemas/estate.v1.json";

/// Keys that would hold a credential inline. The format has none: a credential is given
/// by `*_env` or `*_file`, so a file with one of these keys is refused before it is read
/// further (and its value is never shown).
pub const INLINE_CREDENTIAL_KEYS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "key",
    "api_key",
    "apikey",
    "secret",
    "private_key",
    "bearer",
    "authorization",
    "credentials",
];

/// Why an estate config cannot be used. Each names the file and, when known, the line;
/// none carries a value from the file that could be a secret.
#[derive(Debug, thiserror::Error)]
pub enum EstateError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The config file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A problem at a place in the file.
    #[error("{path}: line {line}: {message}")]
    At {
        /// The config file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A problem no single line shows (a missing key, two settings that conflict).
    #[error("{path}: {message}")]
    Invalid {
        /// The config file.
        path: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// A loaded, checked estate config and the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Estate {
    /// The config file as given.
    pub path: PathBuf,
    /// The directory relative paths in the file start from.
    pub dir: PathBuf,
    /// The parsed file.
    pub file: EstateFile,
    text: String,
}

/// Reads, parses and checks an estate config.
pub fn load(path: &Path) -> Result<Estate, EstateError> {
    let text = std::fs::read_to_string(path).map_err(|source| EstateError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and checks an estate config's text; `path` names it in errors and anchors its
/// relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Estate, EstateError> {
    let shown = path.display().to_string();
    refuse_inline_credentials(&shown, text)?;
    let file: EstateFile = serde_yaml::from_str(text).map_err(|e| yaml_error(&shown, &e))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let dir = dir.canonicalize().unwrap_or(dir);
    let estate = Estate {
        path: path.to_path_buf(),
        dir,
        file,
        text: text.to_owned(),
    };
    estate.check()?;
    Ok(estate)
}

/// The JSON Schema of `estate.yaml`, version 1, as committed in `schemas/estate.v1.json`.
pub fn schema() -> serde_json::Value {
    let mut value =
        serde_json::to_value(schemars::schema_for!(EstateFile)).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = value.as_object_mut() {
        obj.insert("$id".into(), SCHEMA_ID.into());
    }
    value
}

/// The schema as it is committed: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

static KEY_LINE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*(?:-\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*:(?:\s|$)"#).ok());
static URL_USERINFO: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@'"]*:[^/\s@'"]*@"#).ok());
static QUOTED: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r#""[^"]*""#).ok());
static ENV_NAME: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^[A-Z_][A-Z0-9_]*$").ok());

/// Refuses a key of [`INLINE_CREDENTIAL_KEYS`] and a URL carrying `user:password@`, by
/// line, before parsing: the message names the key and line, never the value.
fn refuse_inline_credentials(path: &str, text: &str) -> Result<(), EstateError> {
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let at = |message: String| EstateError::At {
            path: path.to_owned(),
            line: i + 1,
            message,
        };
        if let Some(key) = KEY_LINE
            .as_ref()
            .and_then(|re| re.captures(line))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_lowercase())
            && INLINE_CREDENTIAL_KEYS.contains(&key.as_str())
        {
            return Err(at(format!(
                "`{key}` would hold a credential inline, which estate.yaml never does: reference it with `{key}_env` (an environment variable's name) or `{key}_file` (a path) where the source takes one, e.g. `token_env: GITHUB_TOKEN`"
            )));
        }
        if URL_USERINFO.as_ref().is_some_and(|re| re.is_match(line)) {
            return Err(at(
                "a URL carries user:password@, a credential inline: remove it and give the password by `password_env` or `password_file` (or a token by `token_env`/`token_file`)".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A parse error with its line, its quoted values removed (a wrong-typed value could
/// be a secret written in the wrong place).
fn yaml_error(path: &str, e: &serde_yaml::Error) -> EstateError {
    let full = e.to_string();
    // serde_norway appends " at line L column C"; the line goes in front instead.
    let message = full
        .split(" at line ")
        .next()
        .unwrap_or(full.as_str())
        .to_owned();
    let message = match QUOTED.as_ref() {
        Some(re) => re.replace_all(&message, "a value").into_owned(),
        None => "the file is not valid estate YAML".to_owned(),
    };
    match e.location() {
        Some(loc) => EstateError::At {
            path: path.to_owned(),
            line: loc.line(),
            message: format!("{message} (column {})", loc.column()),
        },
        None => EstateError::Invalid {
            path: path.to_owned(),
            message,
        },
    }
}

impl Estate {
    /// A path of the file, made absolute from the file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The repositories, each made absolute from the file's directory.
    pub fn repositories(&self) -> Vec<PathBuf> {
        self.file
            .sources
            .repositories
            .iter()
            .map(|p| self.resolve(p))
            .collect()
    }

    /// Reads a referenced secret: the variable `env` names, else the file `file` names
    /// (trailing whitespace trimmed). `None` when neither is given. An unset or empty
    /// variable and an unreadable file are errors naming the key (never a value), so a
    /// configured credential that is missing is not a scan without one.
    pub fn secret(
        &self,
        key: &str,
        env: Option<&str>,
        file: Option<&Path>,
    ) -> Result<Option<String>, EstateError> {
        if let Some(name) = env {
            return match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_owned())),
                _ => Err(self.at_key(
                    &format!("{key}_env"),
                    format!(
                        "`{key}_env: {name}`: the environment variable {name} is not set (or empty)"
                    ),
                )),
            };
        }
        if let Some(file) = file {
            let full = self.resolve(file);
            return match std::fs::read_to_string(&full) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim_end().to_owned())),
                Ok(_) => Err(self.at_key(
                    &format!("{key}_file"),
                    format!("`{key}_file`: {} is empty", full.display()),
                )),
                Err(e) => Err(self.at_key(
                    &format!("{key}_file"),
                    format!("`{key}_file`: {}: {e}", full.display()),
                )),
            };
        }
        Ok(None)
    }

    /// An error at the first line that sets `key`, or for the whole file when no line
    /// does (a default, a key in flow style).
    pub fn at_key(&self, key: &str, message: String) -> EstateError {
        let path = self.path.display().to_string();
        match line_of(&self.text, key) {
            Some(line) => EstateError::At {
                path,
                line,
                message,
            },
            None => EstateError::Invalid { path, message },
        }
    }

    /// Checks what types alone cannot: the version, names of environment variables, one
    /// credential per source, URLs, the schedule, ranges.
    fn check(&self) -> Result<(), EstateError> {
        let f = &self.file;
        if f.version != 1 {
            return Err(self.at_key(
                "version",
                format!(
                    "version {} is not known to this evident; write `version: 1`",
                    f.version
                ),
            ));
        }
        self.check_env_names()?;
        let s = &f.sources;
        if let Some(g) = &s.github {
            self.one_of("token", g.token_env.is_some(), g.token_file.is_some())?;
            if let Some(url) = &g.url {
                self.http_url("url", url)?;
            }
            if g.orgs.is_empty() && g.repos.is_empty() {
                return Err(self.at_key(
                    "github",
                    "`sources.github` names no `orgs` or `repos` to read".to_owned(),
                ));
            }
            if let Some(r) = g.repos.iter().find(|r| r.split('/').count() != 2) {
                return Err(self.at_key(
                    "repos",
                    format!("`sources.github.repos`: {r} is not owner/name"),
                ));
            }
        }
        for server in s.prometheus.iter().chain(s.grafana.iter()) {
            self.http_url("url", &server.url)?;
            self.one_of(
                "token",
                server.token_env.is_some(),
                server.token_file.is_some(),
            )?;
            self.one_of(
                "password",
                server.password_env.is_some(),
                server.password_file.is_some(),
            )?;
        }
        self.check_prometheus_auth()?;
        if let Some(g) = &s.grafana
            && (g.user_env.is_some() || g.password_env.is_some() || g.password_file.is_some())
        {
            return Err(self.at_key(
                "grafana",
                "`sources.grafana` takes a service-account token (`token_env` or `token_file`), not a user and password".to_owned(),
            ));
        }
        for oncall in s.pagerduty.iter().chain(s.opsgenie.iter()) {
            self.one_of(
                "token",
                oncall.token_env.is_some(),
                oncall.token_file.is_some(),
            )?;
            if let Some(url) = &oncall.url {
                self.http_url("url", url)?;
            }
        }
        self.check_values()
    }

    /// Schedule, shares and production patterns.
    fn check_values(&self) -> Result<(), EstateError> {
        let f = &self.file;
        if let Some(expr) = &f.schedule {
            check_cron(expr).map_err(|why| {
                self.at_key(
                    "schedule",
                    format!("`schedule`: not a cron expression: {why}"),
                )
            })?;
        }
        if let Some(share) = f.rules.on_call_share
            && !(0.0..=1.0).contains(&share)
        {
            return Err(self.at_key(
                "on_call_share",
                format!("`rules.on_call_share` {share} is not a share between 0 and 1"),
            ));
        }
        if f.rules.max_team_size == Some(0) {
            return Err(self.at_key(
                "max_team_size",
                "`rules.max_team_size` must be at least 1".to_owned(),
            ));
        }
        if let Some(p) = f
            .environments
            .production
            .iter()
            .find(|p| p.split('/').count() != 2)
        {
            return Err(self.at_key(
                "production",
                format!(
                    "`environments.production`: {p} is not CLUSTER/NAMESPACE (`*` matches any)"
                ),
            ));
        }
        Ok(())
    }

    /// Every `*_env` value must look like a variable's name: a value that does not is
    /// probably the secret itself, and is neither used nor shown.
    fn check_env_names(&self) -> Result<(), EstateError> {
        let s = &self.file.sources;
        let mut names: Vec<(&str, &String)> = Vec::new();
        if let Some(g) = &s.github {
            names.extend(g.token_env.iter().map(|n| ("token_env", n)));
        }
        for server in s.prometheus.iter().chain(s.grafana.iter()) {
            names.extend(server.token_env.iter().map(|n| ("token_env", n)));
            names.extend(server.user_env.iter().map(|n| ("user_env", n)));
            names.extend(server.password_env.iter().map(|n| ("password_env", n)));
        }
        for oncall in s.pagerduty.iter().chain(s.opsgenie.iter()) {
            names.extend(oncall.token_env.iter().map(|n| ("token_env", n)));
        }
        for (key, name) in names {
            if !ENV_NAME.as_ref().is_some_and(|re| re.is_match(name)) {
                let line = line_of_value(&self.text, key, name);
                let message = format!(
                    "`{key}` must name an environment variable (upper-case letters, digits and _, such as GITHUB_TOKEN); the value given is not one and is not shown, in case it is the secret itself"
                );
                return Err(match line {
                    Some(line) => EstateError::At {
                        path: self.path.display().to_string(),
                        line,
                        message,
                    },
                    None => self.at_key(key, message),
                });
            }
        }
        Ok(())
    }

    /// This version sends one credential to every Prometheus server of a scan.
    fn check_prometheus_auth(&self) -> Result<(), EstateError> {
        let auth = |s: &Server| {
            (
                s.token_env.clone(),
                s.token_file.clone(),
                s.user_env.clone(),
                s.password_env.clone(),
                s.password_file.clone(),
            )
        };
        let servers = &self.file.sources.prometheus;
        if let Some(first) = servers.first()
            && servers.iter().any(|s| auth(s) != auth(first))
        {
            return Err(self.at_key(
                "prometheus",
                "`sources.prometheus`: every server must use the same credential in this version of evident (one scan sends one Prometheus credential)".to_owned(),
            ));
        }
        for s in servers {
            if s.user_env.is_some() != (s.password_env.is_some() || s.password_file.is_some()) {
                return Err(self.at_key(
                    "user_env",
                    "`sources.prometheus`: basic auth needs both `user_env` and `password_env` (or `password_file`)".to_owned(),
                ));
            }
            if (s.token_env.is_some() || s.token_file.is_some()) && s.user_env.is_some() {
                return Err(self.at_key(
                    "user_env",
                    "`sources.prometheus`: give a token or a user and password, not both"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }

    fn one_of(&self, key: &str, env: bool, file: bool) -> Result<(), EstateError> {
        if env && file {
            return Err(self.at_key(
                &format!("{key}_file"),
                format!("`{key}_env` and `{key}_file` are both given; give one"),
            ));
        }
        Ok(())
    }

    fn http_url(&self, key: &str, url: &str) -> Result<(), EstateError> {
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| rest.split(['/', '?', '#']).next());
        match host {
            Some(h) if !h.is_empty() && !h.starts_with(':') && !h.contains('@') => Ok(()),
            _ => Err(self.at_key_value(
                key,
                url,
                "expected an http(s) URL such as https://prometheus.example.com".to_owned(),
            )),
        }
    }

    fn at_key_value(&self, key: &str, value: &str, message: String) -> EstateError {
        match line_of_value(&self.text, key, value) {
            Some(line) => EstateError::At {
                path: self.path.display().to_string(),
                line,
                message: format!("`{key}`: {message}"),
            },
            None => self.at_key(key, format!("`{key}`: {message}")),
        }
    }
}

/// Validates a cron expression as `evident serve` will run it (croner; 5 fields, or 6
/// with seconds).
pub fn check_cron(expr: &str) -> Result<(), String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(expr)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The first line setting `key:` (block style).
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            !l.trim_start().starts_with('#')
                && KEY_LINE
                    .as_ref()
                    .and_then(|re| re.captures(l))
                    .and_then(|c| c.get(1))
                    .is_some_and(|m| m.as_str() == key)
        })
        .map(|i| i + 1)
}

/// The first line setting `key:` to `value`.
fn line_of_value(text: &str, key: &str, value: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            !l.trim_start().starts_with('#')
                && KEY_LINE
                    .as_ref()
                    .and_then(|re| re.captures(l))
                    .and_then(|c| c.get(1))
                    .is_some_and(|m| m.as_str() == key)
                && l.contains(value)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests;
