//! Derived names and ids shared by the REST and GraphQL sides, so both report the same repository
//! the same way.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::model::{MockRepo, Model};

/// A repository name as served: with the caller's token appended when the echo canary is on.
pub(crate) fn display(name: &str, canary: Option<&str>) -> String {
    match canary {
        Some(t) => format!("{name}-canary-{t}"),
        None => name.to_string(),
    }
}

/// The model name behind a served name (undoes `display`).
pub(crate) fn strip_canary<'a>(name: &'a str, canary: Option<&str>) -> &'a str {
    match canary {
        Some(t) => name.strip_suffix(&format!("-canary-{t}")).unwrap_or(name),
        None => name,
    }
}

/// A stable 40-hex-digit object id derived from `seed` (for commits the model does not name).
pub(crate) fn fake_oid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

/// A GraphQL-style global node id.
pub(crate) fn node_id(prefix: &str, id: u64) -> String {
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("id:{id}"))
    )
}

/// The default branch head: the model's, else the bare repository's, else derived.
pub(crate) fn head_oid(owner: &str, repo: &MockRepo) -> String {
    if !repo.head_oid.is_empty() {
        return repo.head_oid.clone();
    }
    if let Some(path) = &repo.git
        && let Ok(git) = git2::Repository::open_bare(path)
        && let Ok(r) = git.find_reference(&format!("refs/heads/{}", repo.default_branch))
        && let Some(oid) = r.target()
    {
        return oid.to_string();
    }
    fake_oid(&format!("{owner}/{}", repo.name))
}

/// Gives every organisation, user and repository without an id one (ids start at 1000 for
/// owners and 100000 for repositories, in model order), so answers are stable.
pub(crate) fn assign_ids(model: &mut Model) {
    let mut next_repo = 100_000;
    let max_repo = model
        .orgs
        .iter()
        .chain(model.users.iter())
        .flat_map(|o| o.repos.iter())
        .map(|r| r.id)
        .max();
    if let Some(m) = max_repo {
        next_repo = next_repo.max(m + 1);
    }
    for (i, owner) in model
        .orgs
        .iter_mut()
        .chain(model.users.iter_mut())
        .enumerate()
    {
        if owner.id == 0 {
            owner.id = 1000 + i as u64;
        }
        for repo in &mut owner.repos {
            if repo.id == 0 {
                repo.id = next_repo;
                next_repo += 1;
            }
        }
    }
}
