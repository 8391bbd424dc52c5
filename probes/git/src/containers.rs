//! Dockerfiles and compose files.
//!
//! Without Kubernetes, a container's own health check is the evidence for health
//! checks, and its base images and user matter for immutability and hardening.

use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::{ComposeFile, ComposeService, Dockerfile};
use crate::yaml_pos::{self, Lines, Node};

/// Whether `path` is a Dockerfile by name: `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`.
pub(crate) fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name == "Containerfile"
}

/// Whether `path` is a compose file by name.
pub(crate) fn is_compose_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// Reads a Dockerfile's instructions.
///
/// The image that runs is the last stage, so `HEALTHCHECK` and `USER` count only there
/// (a health check in a build stage checks nothing at run time); `base_images` lists the
/// `FROM` of every stage except references to earlier stages.
pub(crate) fn dockerfile(file: &SourceFile, book: &mut EvidenceBook<'_>) -> Dockerfile {
    let mut base_images = Vec::new();
    let mut stage_names: Vec<String> = Vec::new();
    let mut first_from: Option<u32> = None;
    let mut healthcheck: Option<u32> = None;
    let mut user: Option<(u32, String)> = None;
    let mut last_relevant = 1;
    for (line, instruction) in instructions(&file.text) {
        let mut words = instruction.split_whitespace();
        let Some(keyword) = words.next().map(str::to_uppercase) else {
            continue;
        };
        let args: Vec<&str> = words.collect();
        match keyword.as_str() {
            "FROM" => {
                let mut rest = args.iter().filter(|a| !a.starts_with("--"));
                if let Some(image) = rest.next()
                    && !stage_names.iter().any(|s| s.eq_ignore_ascii_case(image))
                {
                    base_images.push((*image).to_owned());
                }
                if let Some(pos) = args.iter().position(|a| a.eq_ignore_ascii_case("as"))
                    && let Some(name) = args.get(pos + 1)
                {
                    stage_names.push((*name).to_owned());
                }
                first_from.get_or_insert(line);
                healthcheck = None;
                user = None;
                last_relevant = line;
            }
            "HEALTHCHECK" => {
                let disabled = args.first().is_some_and(|a| a.eq_ignore_ascii_case("NONE"));
                healthcheck = (!disabled).then_some(line);
                last_relevant = line;
            }
            "USER" => {
                if let Some(u) = args.first() {
                    user = Some((line, (*u).to_owned()));
                    last_relevant = line;
                }
            }
            _ => {}
        }
    }
    let start = first_from.unwrap_or(1);
    let evidence = book.cite(file, start, last_relevant.max(start));
    Dockerfile {
        path: file.path.clone(),
        healthcheck: healthcheck.is_some(),
        base_images,
        user: user.map(|(_, u)| u),
        evidence,
    }
}

/// Instructions with the line they start on: continuations joined, comments dropped.
fn instructions(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_none()) {
            continue;
        }
        let (body, continued) = match trimmed.strip_suffix('\\') {
            Some(b) => (b.to_owned(), true),
            None => (trimmed.to_owned(), false),
        };
        let entry = match pending.take() {
            Some((start, mut acc)) => {
                acc.push(' ');
                acc.push_str(&body);
                (start, acc)
            }
            None => (n, body),
        };
        if continued {
            pending = Some(entry);
        } else {
            out.push(entry);
        }
    }
    if let Some(entry) = pending {
        out.push(entry);
    }
    out
}

/// Reads a compose file's services: health check (unless disabled) and restart policy.
pub(crate) fn compose_file(
    file: &SourceFile,
    docs: &[Node],
    book: &mut EvidenceBook<'_>,
) -> Option<ComposeFile> {
    let doc = docs.iter().find(|d| yaml_pos::is_mapping(d))?;
    let (services_key, services) = yaml_pos::get_entry(doc, "services")?;
    let lines = Lines::new(&file.text);
    let (start, end) = lines.entry_range(services_key, services);
    let evidence = book.cite(file, start, end);
    let services = yaml_pos::entries(services)
        .into_iter()
        .filter_map(|(name, svc)| {
            let name = yaml_pos::scalar_text(name)?;
            let healthcheck = yaml_pos::get(svc, "healthcheck").is_some_and(|h| {
                yaml_pos::get(h, "disable")
                    .and_then(yaml_pos::scalar_text)
                    .as_deref()
                    != Some("true")
                    && !yaml_pos::is_null(h)
            });
            let restart = yaml_pos::get(svc, "restart").and_then(yaml_pos::scalar_text);
            let image = yaml_pos::get(svc, "image").and_then(yaml_pos::scalar_text);
            Some(ComposeService {
                name,
                healthcheck,
                restart,
                image,
            })
        })
        .collect();
    Some(ComposeFile {
        path: file.path.clone(),
        services,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::ScanContext;

    #[test]
    fn last_stage_decides_healthcheck_and_user() {
        let text = "FROM golang:1.22 AS build\nHEALTHCHECK CMD true\nUSER builder\nRUN go build \\\n  ./...\n\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\nUSER app\nHEALTHCHECK --interval=30s \\\n  CMD [\"/app\", \"health\"]\n";
        let ctx = ScanContext::new(vec![], "t".into());
        let mut book = EvidenceBook::new(&ctx, "r", "/r", Some("abcdef0123"));
        let file = SourceFile::new("Dockerfile".into(), text.into());
        let d = dockerfile(&file, &mut book);
        assert!(d.healthcheck);
        assert_eq!(
            d.base_images,
            vec!["golang:1.22", "gcr.io/distroless/static"]
        );
        assert_eq!(d.user.as_deref(), Some("app"));
        assert_eq!(d.evidence, "git:r@abcdef0:Dockerfile#L1-L10");
        let none = SourceFile::new("Dockerfile".into(), "FROM x\nHEALTHCHECK NONE\n".into());
        assert!(!dockerfile(&none, &mut book).healthcheck);
    }
}
