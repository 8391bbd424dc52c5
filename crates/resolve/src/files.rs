//! Which Dockerfiles and compose services belong to a service.
//!
//! A rule that falls back to container files when a service has no Kubernetes workload
//! must read the service's own files only: the repository's root Dockerfile is not
//! evidence about a workload that does not build from it. A file belongs to a service
//! when:
//! - the service is the repository itself (a repository without catalog entries or
//!   workloads): every file of it;
//! - the service has a catalog entry outside the repository root: the files under that
//!   entry's directory; at the root of a repository with one service: every file;
//! - otherwise: a Dockerfile whose directory is named like the service or like the last
//!   path segment of an image its workloads run (`src/cart/Dockerfile` for image
//!   `x/cart`), and a compose service with the service's name or one of those images.

use crate::phases::{Origin, State, repo_view};
use crate::{ComposeRef, FileRef};
use serde_json::Value;
use std::collections::BTreeSet;

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

/// Fills `dockerfiles` and `compose` of every draft that has repositories.
pub(crate) fn assign(state: &mut State, _git: Option<&Value>) {
    for i in 0..state.drafts.len() {
        let (dockerfiles, compose) = files_of(state, i);
        let d = &mut state.drafts[i];
        d.dockerfiles = dockerfiles;
        d.compose = compose;
    }
}

fn files_of(state: &State, i: usize) -> (Vec<FileRef>, Vec<ComposeRef>) {
    let d = &state.drafts[i];
    let mut names: BTreeSet<&str> = d.names.iter().map(String::as_str).collect();
    for img in &d.images {
        names.insert(last_segment(img));
    }
    let mut dockerfiles = Vec::new();
    let mut compose = Vec::new();
    for repo_key in &d.repos {
        let Some(repo) = repo_view(state, repo_key) else {
            continue;
        };
        let only_one = state
            .repo_drafts
            .get(repo_key)
            .is_some_and(|v| v.len() == 1);
        let whole_repo =
            d.origin == Origin::Repository || (d.catalog_dir.as_deref() == Some("") && only_one);
        let catalog_dir = d.catalog_dir.as_deref().filter(|c| !c.is_empty());
        let owns_path = |path: &str| {
            whole_repo
                || catalog_dir.is_some_and(|dir| under(path, dir))
                || names.contains(last_segment(parent_dir(path)))
        };
        for f in &repo.dockerfiles {
            if owns_path(&f.path) {
                dockerfiles.push(FileRef {
                    repo: repo_key.clone(),
                    path: f.path.clone(),
                });
            }
        }
        for file in &repo.compose_files {
            for s in &file.services {
                let image_name = s.image.as_deref().map(|img| {
                    let no_tag = img.split('@').next().unwrap_or(img);
                    let repo_part = last_segment(no_tag);
                    repo_part.split(':').next().unwrap_or(repo_part)
                });
                let owned = whole_repo
                    || catalog_dir.is_some_and(|dir| under(&file.path, dir))
                    || names.contains(s.name.as_str())
                    || image_name.is_some_and(|n| names.contains(n));
                if owned {
                    compose.push(ComposeRef {
                        repo: repo_key.clone(),
                        path: file.path.clone(),
                        service: s.name.clone(),
                    });
                }
            }
        }
    }
    (dockerfiles, compose)
}
