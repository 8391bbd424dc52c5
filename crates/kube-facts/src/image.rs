//! Container image references, parsed as OCI references, and how firmly each is pinned.

use serde::{Deserialize, Serialize};

/// How firmly an image reference names one immutable image.
///
/// Decision: only a digest or a full release version (`MAJOR.MINOR.PATCH`, with an
/// optional suffix such as `-alpine`) or a commit-SHA-like tag counts as pinned. Tags such
/// as `7`, `7.2`, `alpine` or `stable` are moved by their publishers to newer images (`7.2`
/// follows patch releases), so an auditor cannot tie a running container to one build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pinning {
    /// `@sha256:...`: one image, forever.
    Digest,
    /// A full version or commit tag: immutable by convention.
    VersionTag,
    /// A tag that publishers move.
    MutableTag,
    /// The `latest` tag.
    Latest,
    /// No tag and no digest: Kubernetes pulls `latest`.
    Untagged,
}

/// An image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// As written in the manifest.
    pub raw: String,
    /// Registry host (and port), when the reference names one.
    pub registry: Option<String>,
    /// Repository path without registry.
    pub repository: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Digest (`sha256:...`), if any.
    pub digest: Option<String>,
    /// Digest or version tag.
    pub pinned: bool,
    /// How it is pinned.
    pub pinning: Pinning,
}

fn is_full_version(tag: &str) -> bool {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts = t.splitn(3, '.');
    let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let patch: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[patch.len()..];
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    numeric(major)
        && numeric(minor)
        && !patch.is_empty()
        && (after.is_empty() || after.starts_with(['-', '+', '.', '_']))
}

fn is_commit_like(tag: &str) -> bool {
    (7..=40).contains(&tag.len())
        && tag.chars().all(|c| c.is_ascii_hexdigit())
        && tag.chars().any(|c| c.is_ascii_alphabetic())
}

impl ImageRef {
    /// Parses `[registry[:port]/]path[:tag][@digest]`. The first path component is a
    /// registry only when it contains `.` or `:` or is `localhost`, as the Docker
    /// reference grammar says, so `redis:alpine` is Docker Hub's `redis` and
    /// `localhost:5000/app` is a local registry.
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        let (name_tag, digest) = match trimmed.split_once('@') {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (trimmed, None),
        };
        let (registry, rest) = match name_tag.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_owned()), rest)
            }
            _ => (None, name_tag),
        };
        // A tag is after the last ':' of the path (never inside the registry part).
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') && !tag.is_empty() => {
                (repo.to_owned(), Some(tag.to_owned()))
            }
            _ => (rest.to_owned(), None),
        };
        let pinning = if digest.is_some() {
            Pinning::Digest
        } else {
            match tag.as_deref() {
                None => Pinning::Untagged,
                Some("latest") => Pinning::Latest,
                Some(t) if is_full_version(t) || is_commit_like(t) => Pinning::VersionTag,
                Some(_) => Pinning::MutableTag,
            }
        };
        ImageRef {
            raw: raw.to_owned(),
            registry,
            repository,
            tag,
            digest,
            pinned: matches!(pinning, Pinning::Digest | Pinning::VersionTag),
            pinning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// raw, registry, repository, tag, pinned, pinning
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        bool,
        Pinning,
    );

    #[test]
    fn references_parse_as_the_oci_grammar_says() {
        let d = "sha256:2d2f2bd7a9d8f1f1e6f1b2a6b6b4e0a9d1e7c0b2f7b0e9c4d3a2b1c0d9e8f7a6";
        let cases: Vec<Case> = vec![
            (
                "redis:alpine",
                None,
                "redis",
                Some("alpine"),
                false,
                Pinning::MutableTag,
            ),
            ("redis", None, "redis", None, false, Pinning::Untagged),
            (
                "redis:latest",
                None,
                "redis",
                Some("latest"),
                false,
                Pinning::Latest,
            ),
            (
                "redis:7",
                None,
                "redis",
                Some("7"),
                false,
                Pinning::MutableTag,
            ),
            (
                "redis:7.2",
                None,
                "redis",
                Some("7.2"),
                false,
                Pinning::MutableTag,
            ),
            (
                "docker.io/library/redis:7.2.4",
                Some("docker.io"),
                "library/redis",
                Some("7.2.4"),
                true,
                Pinning::VersionTag,
            ),
            (
                "localhost:5000/app",
                Some("localhost:5000"),
                "app",
                None,
                false,
                Pinning::Untagged,
            ),
            (
                "localhost/app:v1.0.0",
                Some("localhost"),
                "app",
                Some("v1.0.0"),
                true,
                Pinning::VersionTag,
            ),
            (
                "registry.example.com:5000/team/app:1.2.3-rc.1",
                Some("registry.example.com:5000"),
                "team/app",
                Some("1.2.3-rc.1"),
                true,
                Pinning::VersionTag,
            ),
            (
                "gcr.io/p/img:v1.2.3-alpine",
                Some("gcr.io"),
                "p/img",
                Some("v1.2.3-alpine"),
                true,
                Pinning::VersionTag,
            ),
            (
                "ghcr.io/acme/app:3f9c1e2",
                Some("ghcr.io"),
                "acme/app",
                Some("3f9c1e2"),
                true,
                Pinning::VersionTag,
            ),
            (
                "acme/app:1234567",
                None,
                "acme/app",
                Some("1234567"),
                false,
                Pinning::MutableTag,
            ),
            ("frontend", None, "frontend", None, false, Pinning::Untagged),
            (
                "us-central1-docker.pkg.dev/p/r/frontend:v0.10.3",
                Some("us-central1-docker.pkg.dev"),
                "p/r/frontend",
                Some("v0.10.3"),
                true,
                Pinning::VersionTag,
            ),
            (
                "quay.io/prometheus/node-exporter:main",
                Some("quay.io"),
                "prometheus/node-exporter",
                Some("main"),
                false,
                Pinning::MutableTag,
            ),
        ];
        for (raw, registry, repository, tag, pinned, pinning) in cases {
            let r = ImageRef::parse(raw);
            assert_eq!(r.registry.as_deref(), registry, "{raw}");
            assert_eq!(r.repository, repository, "{raw}");
            assert_eq!(r.tag.as_deref(), tag, "{raw}");
            assert_eq!(r.pinned, pinned, "{raw}");
            assert_eq!(r.pinning, pinning, "{raw}");
        }
        let by_digest = ImageRef::parse(&format!("busybox@{d}"));
        assert_eq!(by_digest.pinning, Pinning::Digest);
        assert_eq!(by_digest.repository, "busybox");
        assert_eq!(by_digest.digest.as_deref(), Some(d));
        let both = ImageRef::parse(&format!("localhost:5000/busybox:1.36@{d}"));
        assert_eq!(
            (both.registry.as_deref(), both.tag.as_deref(), both.pinning),
            (Some("localhost:5000"), Some("1.36"), Pinning::Digest)
        );
    }
}
