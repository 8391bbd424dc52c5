//! Where a store lives: a SQLite file (a path, or `sqlite:PATH`) or a PostgreSQL server
//! (`postgres://` / `postgresql://` URL). Kept apart from the queries so the one rule for
//! reading a location (and for never printing its password) lives in one place.

use crate::StoreError;
use std::path::PathBuf;

/// Which database a location names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite database file, created when absent.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by URL.
    Postgres(String),
}

/// A parsed store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The database it names.
    pub backend: Backend,
}

impl Location {
    /// Reads `location`: `postgres://...` or `postgresql://...` is PostgreSQL;
    /// `sqlite:PATH` (or `sqlite://PATH`) and anything else is a SQLite file path.
    pub fn parse(location: &str) -> Result<Self, StoreError> {
        let trimmed = location.trim();
        if trimmed.is_empty() {
            return Err(StoreError::Location {
                location: String::new(),
                reason: "it is empty".into(),
            });
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres(trimmed.to_owned()),
            });
        }
        let path = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
            .unwrap_or(trimmed);
        if path.is_empty() || path.contains('\0') {
            return Err(StoreError::Location {
                location: redact(trimmed),
                reason: "no SQLite file path".into(),
            });
        }
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(StoreError::Location {
                location: redact(trimmed),
                reason: format!("{scheme}:// is not a supported database"),
            });
        }
        Ok(Self {
            backend: Backend::Sqlite(PathBuf::from(path)),
        })
    }

    /// The location as it may be printed: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match &self.backend {
            Backend::Sqlite(path) => format!("sqlite:{}", path.display()),
            Backend::Postgres(url) => redact(url),
        }
    }

    /// The connection URL for the `Any` driver. SQLite files get an absolute path,
    /// percent-encoded where the URL syntax would misread it, and `mode=rwc` so the file
    /// is created when absent.
    pub(crate) fn url(&self) -> Result<String, StoreError> {
        match &self.backend {
            Backend::Postgres(url) => Ok(url.clone()),
            Backend::Sqlite(path) => {
                let absolute = std::path::absolute(path).map_err(|e| StoreError::Location {
                    location: self.display(),
                    reason: e.to_string(),
                })?;
                let text = absolute.to_str().ok_or_else(|| StoreError::Location {
                    location: self.display(),
                    reason: "the path is not UTF-8".into(),
                })?;
                let mut encoded = String::with_capacity(text.len());
                for c in text.chars() {
                    match c {
                        '%' => encoded.push_str("%25"),
                        '?' => encoded.push_str("%3F"),
                        '#' => encoded.push_str("%23"),
                        ' ' => encoded.push_str("%20"),
                        _ => encoded.push(c),
                    }
                }
                Ok(format!("sqlite://{encoded}?mode=rwc"))
            }
        }
    }
}

/// `url` with the password of its user-info replaced by `[redacted]`, so an error never
/// shows a database password. Text that is not a URL is returned as it is.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some(at) = authority.rfind('@') else {
        return redact_query(url);
    };
    let (userinfo, host) = authority.split_at(at);
    let user = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:{}", evident_core::REDACTED),
        None => userinfo.to_owned(),
    };
    redact_query(&format!("{scheme}://{user}{host}{tail}"))
}

/// Replaces the value of a `password=` query parameter, which libpq-style URLs accept.
fn redact_query(url: &str) -> String {
    let Some((head, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                format!("{k}={}", evident_core::REDACTED)
            }
            _ => p.to_owned(),
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_their_backend() {
        let pg = Location::parse("postgresql://u:p@h/db")
            .map(|l| l.backend)
            .ok();
        assert_eq!(pg, Some(Backend::Postgres("postgresql://u:p@h/db".into())));
        for (given, path) in [
            ("evident.db", "evident.db"),
            ("sqlite:/tmp/x.db", "/tmp/x.db"),
            ("sqlite:///tmp/x.db", "/tmp/x.db"),
        ] {
            let got = Location::parse(given).map(|l| l.backend).ok();
            assert_eq!(got, Some(Backend::Sqlite(path.into())), "{given}");
        }
        assert!(Location::parse("").is_err());
        assert!(Location::parse("mysql://h/db").is_err());
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://alice:s3cret@db:5432/evident"),
            "postgres://alice:[redacted]@db:5432/evident"
        );
        assert_eq!(
            redact("postgres://db/evident?user=a&password=s3cret"),
            "postgres://db/evident?user=a&password=[redacted]"
        );
        assert_eq!(redact("postgres://db/evident"), "postgres://db/evident");
        let err = Location::parse("mysql://u:s3cret@h/db")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn sqlite_urls_escape_what_urls_misread() {
        let url = Location::parse("/tmp/a b?#%.db").and_then(|l| l.url()).ok();
        assert_eq!(
            url.as_deref(),
            Some("sqlite:///tmp/a%20b%3F%23%25.db?mode=rwc")
        );
    }
}
