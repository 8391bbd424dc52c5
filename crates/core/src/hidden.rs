//! Serialisers for credential fields of plans and configurations: a credential is
//! written as present but hidden ([`REDACTED`]), never as its value.
//!
//! A scan plan is written into every snapshot (`runs/<run>/run.json`) so that a replay
//! judges with the same configuration. The redactor's last pass would catch a known
//! secret too, but a plan field is written by these functions explicitly, so a secret
//! the redactor does not know (a new field, a value shorter than it looks for) still
//! never reaches a file. Deserialising gives back the placeholder: a replayed plan knows
//! that a credential was configured, not what it was.

use crate::REDACTED;
use serde::Serializer;

/// A secret string: always [`REDACTED`].
pub fn secret<S: Serializer>(_value: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(REDACTED)
}

/// An optional secret: `null` when absent, [`REDACTED`] when present.
pub fn opt_secret<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_some(REDACTED),
        None => s.serialize_none(),
    }
}

/// A list of secrets: as many [`REDACTED`] as there are values.
pub fn secret_list<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|_| REDACTED))
}

/// A URL: written as given but for any `user:password@` (or `token@`), which becomes
/// `[redacted]@`.
pub fn url<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hide_userinfo(value))
}

/// An optional URL, as [`url`].
pub fn opt_url<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_some(&hide_userinfo(v)),
        None => s.serialize_none(),
    }
}

/// A list of URLs, as [`url`].
pub fn url_list<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|v| hide_userinfo(v)))
}

/// `scheme://user:password@host/...` as `scheme://[redacted]@host/...`; any other text
/// unchanged.
pub fn hide_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{REDACTED}@{host}{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_and_the_rest_kept() {
        assert_eq!(
            hide_userinfo("http://bob:pw@h:9/a@b?x=1"),
            "http://[redacted]@h:9/a@b?x=1"
        );
        assert_eq!(hide_userinfo("https://tok3n@h"), "https://[redacted]@h");
        assert_eq!(hide_userinfo("http://h:9/a@b"), "http://h:9/a@b");
        assert_eq!(hide_userinfo("not a url"), "not a url");
    }
}
