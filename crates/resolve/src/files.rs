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
//! - otherwise: a Dockerfile whose directory is named like the service (or one of its
//!   workloads, or the last path segment of an image they run: `src/cart/Dockerfile` for
//!   image `x/cart`), and a compose service with one of those names or images.
//!
//! Files are indexed by those names once per repository, so assignment stays linear in
//! the number of services and files.

use crate::phases::{Origin, State};
use crate::view::RepoView;
use crate::{ComposeRef, FileRef};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

/// `registry/x/redis:7@sha256:...` → `redis`.
fn image_short_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = last_segment(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// One repository's container files, indexed by the names that tie them to a service.
struct RepoFiles {
    dockerfiles: Vec<FileRef>,
    compose: Vec<ComposeRef>,
    dockerfiles_by_dir: BTreeMap<String, Vec<usize>>,
    compose_by_name: BTreeMap<String, BTreeSet<usize>>,
}

impl RepoFiles {
    fn of(repo_key: &str, repo: &RepoView) -> Self {
        let mut files = RepoFiles {
            dockerfiles: Vec::new(),
            compose: Vec::new(),
            dockerfiles_by_dir: BTreeMap::new(),
            compose_by_name: BTreeMap::new(),
        };
        for (i, f) in repo.dockerfiles.iter().enumerate() {
            files.dockerfiles.push(FileRef {
                repo: repo_key.to_owned(),
                path: f.path.clone(),
            });
            let dir = last_segment(parent_dir(&f.path)).to_owned();
            files.dockerfiles_by_dir.entry(dir).or_default().push(i);
        }
        for file in &repo.compose_files {
            for s in &file.services {
                let i = files.compose.len();
                files.compose.push(ComposeRef {
                    repo: repo_key.to_owned(),
                    path: file.path.clone(),
                    service: s.name.clone(),
                });
                files
                    .compose_by_name
                    .entry(s.name.clone())
                    .or_default()
                    .insert(i);
                if let Some(img) = &s.image {
                    let short = image_short_name(img).to_owned();
                    files.compose_by_name.entry(short).or_default().insert(i);
                }
            }
        }
        files
    }
}

/// Fills `dockerfiles` and `compose` of every draft that has repositories.
pub(crate) fn assign(state: &mut State, _git: Option<&Value>) {
    let indexed: BTreeMap<String, RepoFiles> = state
        .repo_views
        .iter()
        .map(|(k, v)| (k.clone(), RepoFiles::of(k, v)))
        .collect();
    for i in 0..state.drafts.len() {
        let (dockerfiles, compose) = files_of(state, &indexed, i);
        let d = &mut state.drafts[i];
        d.dockerfiles = dockerfiles;
        d.compose = compose;
    }
}

fn files_of(
    state: &State,
    indexed: &BTreeMap<String, RepoFiles>,
    i: usize,
) -> (Vec<FileRef>, Vec<ComposeRef>) {
    let d = &state.drafts[i];
    let mut names: BTreeSet<&str> = d.names.iter().map(String::as_str).collect();
    for img in &d.images {
        names.insert(image_short_name(img));
    }
    let mut dockerfiles = Vec::new();
    let mut compose = Vec::new();
    for repo_key in &d.repos {
        let Some(files) = indexed.get(repo_key) else {
            continue;
        };
        let only_one = state
            .repo_drafts
            .get(repo_key)
            .is_some_and(|v| v.len() == 1);
        let whole_repo =
            d.origin == Origin::Repository || (d.catalog_dir.as_deref() == Some("") && only_one);
        if whole_repo {
            dockerfiles.extend(files.dockerfiles.iter().cloned());
            compose.extend(files.compose.iter().cloned());
            continue;
        }
        let mut picked_docker: BTreeSet<usize> = BTreeSet::new();
        let mut picked_compose: BTreeSet<usize> = BTreeSet::new();
        if let Some(dir) = d.catalog_dir.as_deref().filter(|c| !c.is_empty()) {
            for (n, f) in files.dockerfiles.iter().enumerate() {
                if under(&f.path, dir) {
                    picked_docker.insert(n);
                }
            }
            for (n, c) in files.compose.iter().enumerate() {
                if under(&c.path, dir) {
                    picked_compose.insert(n);
                }
            }
        }
        for name in &names {
            picked_docker.extend(files.dockerfiles_by_dir.get(*name).into_iter().flatten());
            picked_compose.extend(files.compose_by_name.get(*name).into_iter().flatten());
        }
        dockerfiles.extend(
            picked_docker
                .into_iter()
                .map(|n| files.dockerfiles[n].clone()),
        );
        compose.extend(picked_compose.into_iter().map(|n| files.compose[n].clone()));
    }
    (dockerfiles, compose)
}
