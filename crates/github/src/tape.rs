//! How GitHub answers are kept in a snapshot and given back (`--snapshot`,
//! `evident replay`): at the level of the answers the client hands to its callers,
//! after retries and after the ETag cache resolved a `304`, so a replay needs neither
//! the network nor the cache, and sleeps for no rate limit.
//!
//! Keys (documented in `docs/snapshot.md`, section "GitHub"): every answer is recorded
//! under the source [`SOURCE`]; a REST read under `GET <path and query as sent>`, a
//! GraphQL query under `POST /graphql <operation> <sha256 of query and variables>`.

use crate::GithubError;
use evident_core::{REDACTED, Redactor};
use evident_snapshot::{Answer as TapeAnswer, ReplayError, Replayed, Tape};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// The source every GitHub answer of a scan is recorded under. One name, not the API
/// URL: the recorded answers stay readable when the plan replayed points elsewhere
/// (the API base the recording read is itself recorded, under [`API_KEY`]).
pub const SOURCE: &str = "github";
/// The API base the recorded client read.
pub const API_KEY: &str = "value:api";
/// The request accounting and quotas the recorded scan reported.
pub const SUMMARY_KEY: &str = "value:summary";

/// An answer as the client's callers see it.
pub(crate) struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Hex sha256 of the body as read: what evidence cites.
    pub sha256: String,
}

impl Got {
    pub fn new(status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            sha256: evident_core::sha256_hex(&body),
            body,
        }
    }
}

/// The request key of a REST read.
pub(crate) fn get_key(path: &str) -> String {
    format!("GET {path}")
}

/// The request key of a GraphQL query: its operation and a digest of what makes two
/// queries differ (the text and the variables, a page cursor included).
pub(crate) fn graphql_key(operation: &str, query: &str, variables: &Value) -> String {
    let mut text = query.to_owned();
    text.push('\n');
    text.push_str(&variables.to_string());
    format!(
        "POST /graphql {operation} {}",
        evident_core::sha256_hex(text.as_bytes())
    )
}

fn read_sha_key(key: &str) -> String {
    format!("value:read-sha256 {key}")
}

/// Records `got` under `key`, the client's own token replaced first (the tape's
/// redactor replaces every secret the plan knows; a token minted during the scan is
/// not among them).
pub(crate) fn record(tape: &Tape, scrubber: &Redactor, key: &str, got: &Result<Got, GithubError>) {
    match got {
        Ok(g) => {
            let body = scrub_bytes(scrubber, &g.body);
            if body != g.body {
                // What evidence cites is the digest of the bytes as read.
                tape.record_value(SOURCE, &read_sha_key(key), &g.sha256);
            }
            let headers: Vec<(String, String)> = g
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    let value = value.to_str().ok()?;
                    Some((name.as_str().to_owned(), scrubber.redact_secrets(value)))
                })
                .collect();
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            tape.record_answer(
                SOURCE,
                key,
                TapeAnswer {
                    status: g.status.as_u16(),
                    headers: &pairs,
                    body: &body,
                },
            );
        }
        Err(e) => {
            let (class, message) = failure_of(e);
            tape.record_failure(SOURCE, key, class, &scrubber.redact_secrets(&message));
        }
    }
}

fn scrub_bytes(scrubber: &Redactor, body: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(body) {
        Ok(text) => scrubber.redact_secrets(text).into_bytes(),
        Err(_) => {
            let lossy = String::from_utf8_lossy(body);
            let scrubbed = scrubber.redact_secrets(&lossy);
            if scrubbed == lossy {
                body.to_vec()
            } else {
                scrubbed.into_bytes()
            }
        }
    }
}

/// The next recorded answer to `key`; a request the recording never made is an
/// ordinary failed read (`error`), never an empty answer.
pub(crate) fn replayed(tape: &Tape, key: &str, path: &str) -> Result<Got, GithubError> {
    match tape.replay_answer(SOURCE, key) {
        Ok(Replayed::Response {
            status,
            headers,
            body,
            raw_sha256,
        }) => {
            let status = StatusCode::from_u16(status).map_err(|e| GithubError::Error {
                path: path.to_owned(),
                reason: format!("the snapshot holds an answer with status {status}: {e}"),
            })?;
            let mut map = HeaderMap::new();
            for (name, value) in &headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    map.append(n, v);
                }
            }
            let mut sha256 = raw_sha256;
            let marked = String::from_utf8_lossy(&body).contains(REDACTED);
            if marked
                && sha256 == evident_core::sha256_hex(&body)
                && let Ok(read) = tape.replay_value::<String>(SOURCE, &read_sha_key(key))
            {
                sha256 = read;
            }
            Ok(Got {
                status,
                headers: map,
                body,
                sha256,
            })
        }
        Ok(Replayed::Failure { class, message }) => Err(error_of(path, &class, message)),
        Err(e) => Err(not_replayed(path, &e)),
    }
}

/// A replay error as the failed read it stands for.
pub fn not_replayed(path: &str, e: &ReplayError) -> GithubError {
    GithubError::Error {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// The class and message a failure is recorded with; [`error_of`] reads them back.
fn failure_of(e: &GithubError) -> (&'static str, String) {
    match e {
        GithubError::RateLimited { detail } => ("rate_limited", detail.clone()),
        GithubError::Forbidden { message, .. } => ("forbidden", message.clone()),
        GithubError::NotFound { .. } => ("not_found", String::new()),
        GithubError::Timeout { secs, .. } => ("timeout", secs.to_string()),
        GithubError::Error { reason, .. } => ("error", reason.clone()),
    }
}

fn error_of(path: &str, class: &str, message: String) -> GithubError {
    let path = path.to_owned();
    match class {
        "rate_limited" => GithubError::RateLimited { detail: message },
        "forbidden" => GithubError::Forbidden { path, message },
        "not_found" => GithubError::NotFound { path },
        "timeout" => GithubError::Timeout {
            path,
            secs: message.parse().unwrap_or_default(),
        },
        _ => GithubError::Error {
            path,
            reason: message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_comes_back_as_it_was_recorded() {
        let errors = [
            GithubError::RateLimited {
                detail: "spent until 12:00".into(),
            },
            GithubError::Forbidden {
                path: "/p".into(),
                message: "403 no".into(),
            },
            GithubError::NotFound { path: "/p".into() },
            GithubError::Timeout {
                path: "/p".into(),
                secs: 20,
            },
            GithubError::Error {
                path: "/p".into(),
                reason: "answered HTTP 500: boom".into(),
            },
        ];
        for e in errors {
            let (class, message) = failure_of(&e);
            let back = error_of("/p", class, message);
            assert_eq!(back.to_string(), e.to_string());
            assert_eq!(back.status(), e.status());
        }
    }

    #[test]
    fn graphql_keys_differ_by_variables_and_name_the_operation() {
        let a = graphql_key("Op", "query", &serde_json::json!({"after": null}));
        let b = graphql_key("Op", "query", &serde_json::json!({"after": "c1"}));
        assert_ne!(a, b);
        assert!(a.starts_with("POST /graphql Op "), "{a}");
    }
}
