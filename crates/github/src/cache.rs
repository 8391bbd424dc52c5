//! The on-disk cache that makes a rescan of an unchanged organisation cost no quota:
//! ETags and bodies of REST answers (GitHub does not count a `304 Not Modified`), and
//! GraphQL answers of repositories GitHub lists as unchanged.
//!
//! Entries are keyed by a hash of the API base, the token's fingerprint (two tokens may
//! see different data) and the request; the token itself is never written, and any echo
//! of it in a body is replaced before the body is stored.

use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One cached REST answer.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The ETag GitHub sent with it.
    pub etag: String,
    /// The body, as received (token echoes replaced).
    pub body: Vec<u8>,
}

/// A directory of cached answers for one API base and one token.
#[derive(Debug, Clone)]
pub struct EtagCache {
    dir: PathBuf,
    token: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

impl EtagCache {
    /// The cache for `api` and `token` under `root` (`<cache dir>/github`).
    pub fn new(root: &Path, api: &str, token: Option<&str>) -> Self {
        let who = token.map(|t| digest(&[t])).unwrap_or_default();
        let dir = root.join(&digest(&[api, &who])[..16]);
        Self {
            dir,
            token: token.map(str::to_owned),
        }
    }

    /// The directory entries live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        self.dir.join(kind).join(digest(&[key]))
    }

    /// The cached answer to `GET key`, if any.
    pub fn get(&self, key: &str) -> Option<Cached> {
        let bytes = std::fs::read(self.path("etag", key)).ok()?;
        let split = bytes.iter().position(|b| *b == b'\n')?;
        let etag = String::from_utf8(bytes[..split].to_vec()).ok()?;
        Some(Cached {
            etag,
            body: bytes[split + 1..].to_vec(),
        })
    }

    /// Keeps the answer to `GET key`; a cache that cannot be written only costs quota
    /// next time, so failures are logged, never raised.
    pub fn put(&self, key: &str, etag: &str, body: &[u8]) {
        if etag.contains('\n') {
            return;
        }
        let mut out = Vec::with_capacity(etag.len() + 1 + body.len());
        out.extend_from_slice(etag.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&self.scrub(body));
        self.write(&self.path("etag", key), &out);
    }

    /// A JSON value stored under `key` (a repository's GraphQL answer), if any.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = std::fs::read(self.path("json", key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores `value` under `key`.
    pub fn store<T: Serialize>(&self, key: &str, value: &T) {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.write(&self.path("json", key), &self.scrub(&bytes)),
            Err(e) => tracing::warn!("github cache: could not encode {key}: {e}"),
        }
    }

    fn scrub(&self, body: &[u8]) -> Vec<u8> {
        let Some(token) = self.token.as_deref().filter(|t| !t.is_empty()) else {
            return body.to_vec();
        };
        let Ok(text) = std::str::from_utf8(body) else {
            return body.to_vec();
        };
        if !text.contains(token) {
            return body.to_vec();
        }
        text.replace(token, "[redacted]").into_bytes()
    }

    fn write(&self, path: &Path, bytes: &[u8]) {
        let Some(parent) = path.parent() else { return };
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let result = std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = result {
            tracing::warn!("github cache: could not write {}: {e}", path.display());
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_comes_back_and_the_token_never_reaches_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::new(dir.path(), "https://api.github.com", Some("ghp_secret"));
        cache.put(
            "/orgs/acme/repos",
            "W/\"abc\"",
            b"[{\"name\":\"ghp_secret\"}]",
        );
        let got = cache.get("/orgs/acme/repos").unwrap();
        assert_eq!(got.etag, "W/\"abc\"");
        assert_eq!(got.body, b"[{\"name\":\"[redacted]\"}]");
        let other = EtagCache::new(dir.path(), "https://api.github.com", Some("other"));
        assert!(other.get("/orgs/acme/repos").is_none(), "keyed by token");
    }
}
