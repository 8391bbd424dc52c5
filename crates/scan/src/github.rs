//! Before any probe runs: list what `--github` names, and make every repository a
//! target of the git probe (a clone in the cache, fetched incrementally, or the
//! checkout being scanned when its `origin` is that repository).
//!
//! Clones are bare mirrors (`refs/heads/*`, `refs/tags/*`): the git probe reads HEAD
//! and history from the object database, so no working tree is written. A repository
//! GitHub lists with the same `pushed_at` as the clone's last fetch is not fetched
//! again. Cloning speaks git, not the REST API, so it costs no quota.

use evident_github::{Client, GithubConfig, Listing, RepoListing, Target};
use evident_probe_github::GithubInput;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `--github` asks for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GithubPlan {
    /// Client settings: API, token, bounds, cache.
    pub config: GithubConfig,
    /// Organisations, users and repositories.
    pub targets: Vec<Target>,
    /// Scan archived repositories too.
    pub include_archived: bool,
    /// Scan forks too.
    pub include_forks: bool,
    /// Clones at most this many repositories at once.
    pub clone_concurrency: usize,
}

/// The listing and the clones, ready for the probes.
pub(crate) struct Prepared {
    /// The github probe's input.
    pub input: GithubInput,
    /// Repository paths for the git probe, after the plan's own.
    pub clones: Vec<PathBuf>,
    /// Clones that could not be made or brought up to date: path → why. Their git
    /// source report says so, and their services' git verdicts are `unknown`.
    pub failed: HashMap<PathBuf, String>,
    /// The installation token minted for a GitHub App, to be redacted like the others.
    pub minted_token: Option<String>,
    /// Keeps clones of a scan without a cache directory alive until it ends.
    pub _scratch: Option<tempfile::TempDir>,
}

/// Where the clones of `config` live (a scratch directory when there is no cache).
fn clone_root(config: &GithubConfig) -> std::io::Result<(PathBuf, Option<tempfile::TempDir>)> {
    match &config.cache_dir {
        Some(dir) => Ok((
            dir.join("github").join("clones").join(config.web_host()),
            None,
        )),
        None => {
            let scratch = tempfile::Builder::new()
                .prefix("evident-clones-")
                .tempdir()?;
            Ok((scratch.path().to_path_buf(), Some(scratch)))
        }
    }
}

/// `owner/name` of a local repository whose `origin` is on `host`.
fn origin_of(path: &Path, host: &str) -> Option<String> {
    let repo = git2::Repository::open(path).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url().ok()?.to_owned();
    let rest = url
        .split_once(&format!("{host}/"))
        .or_else(|| url.split_once(&format!("{host}:")))?
        .1;
    let name = rest.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = name.rsplitn(3, '/');
    let repo_name = parts.next()?;
    let owner = parts.next()?;
    Some(format!("{owner}/{repo_name}").to_lowercase())
}

/// Lists the targets and prepares a git target for every repository listed.
pub(crate) async fn prepare(
    plan: &GithubPlan,
    local: &[PathBuf],
    progress: &Arc<dyn evident_core::Progress>,
) -> Result<Prepared, String> {
    let mut config = plan.config.clone();
    let mut minted = None;
    if let Some(app) = &config.app {
        // An App installation reads with a token GitHub mints for this scan.
        let token =
            evident_github::installation_token(&config.api_url, app, config.request_timeout)
                .await
                .map_err(|e| e.to_string())?;
        config.token = Some(token.clone());
        minted = Some(token);
    }
    let client = Arc::new(Client::new(config.clone()).map_err(|e| e.to_string())?);
    let listing: Listing = evident_github::list(
        &client,
        &plan.targets,
        plan.include_archived,
        plan.include_forks,
    )
    .await;
    let host = plan.config.web_host();
    let locals: HashMap<String, PathBuf> = local
        .iter()
        .filter_map(|p| origin_of(p, &host).map(|o| (o, p.clone())))
        .collect();
    let (root, scratch) =
        clone_root(&plan.config).map_err(|e| format!("no place for clones: {e}"))?;
    let mut placed: Vec<(PathBuf, RepoListing)> = Vec::new();
    let mut to_clone: Vec<(PathBuf, RepoListing)> = Vec::new();
    for repo in &listing.repos {
        match locals.get(&repo.full_name.to_lowercase()) {
            Some(path) => placed.push((path.clone(), repo.clone())),
            None => {
                let path = root.join(&repo.owner).join(&repo.name);
                to_clone.push((path, repo.clone()));
            }
        }
    }
    progress.begin("Cloning repositories", to_clone.len() as u64);
    let failed = clone_all(&to_clone, config.token.clone(), plan, progress).await;
    progress.end("Cloning repositories");
    let clones: Vec<PathBuf> = to_clone.iter().map(|(p, _)| p.clone()).collect();
    placed.extend(to_clone);
    // The git probe's keys for every path of the scan, local ones first, as it makes them.
    let all: Vec<PathBuf> = local.iter().chain(clones.iter()).cloned().collect();
    let keys: HashMap<PathBuf, String> = all
        .iter()
        .cloned()
        .zip(evident_probe_git::repo_keys(&all))
        .collect();
    let repos = placed
        .into_iter()
        .filter_map(|(path, listing)| keys.get(&path).map(|k| (k.clone(), listing)))
        .collect();
    Ok(Prepared {
        input: GithubInput {
            client,
            repos,
            orgs: listing.orgs,
            skipped: listing.skipped,
            failed: listing.failed,
            incomplete: listing.incomplete,
        },
        clones,
        failed,
        minted_token: minted,
        _scratch: scratch,
    })
}

/// Turns the git source report of each clone that failed into that failure (the git
/// probe saw only an empty directory), so the repository's services are `unknown` for
/// what files would have told, with the reason, and the others are judged.
pub(crate) fn mark_failed_clones(
    sources: &mut Vec<evident_core::SourceReport>,
    failed: &HashMap<PathBuf, String>,
) {
    for (path, why) in failed {
        let shown = path.display().to_string();
        let report = sources
            .iter_mut()
            .find(|r| r.probe == "git" && r.source == shown);
        match report {
            Some(r) => {
                r.status = evident_core::SourceStatus::Error;
                r.detail = Some(why.clone());
            }
            None => sources.push(evident_core::SourceReport::new(
                "git",
                shown,
                evident_core::SourceStatus::Error,
                Some(why.clone()),
            )),
        }
    }
}

/// Clones (or fetches) every repository, a few at a time on blocking threads.
async fn clone_all(
    repos: &[(PathBuf, RepoListing)],
    token: Option<String>,
    plan: &GithubPlan,
    progress: &Arc<dyn evident_core::Progress>,
) -> HashMap<PathBuf, String> {
    let permits = Arc::new(tokio::sync::Semaphore::new(plan.clone_concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (path, listing) in repos.iter().cloned() {
        let permits = Arc::clone(&permits);
        let token = token.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcome = tokio::task::spawn_blocking({
                let path = path.clone();
                move || mirror(&path, &listing, token.as_deref())
            })
            .await
            .unwrap_or_else(|e| Err(format!("the clone stopped unexpectedly: {e}")));
            (path, outcome)
        });
    }
    let mut failed = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        progress.advance("Cloning repositories");
        if let Ok((path, Err(why))) = done {
            tracing::warn!("{}: {why}", path.display());
            failed.insert(path, why);
        }
    }
    failed
}

const MARKER: &str = "evident-pushed-at";

/// Brings the bare mirror at `path` up to `listing`: cloned when new, fetched when
/// GitHub's `pushed_at` moved, left alone otherwise. A failure leaves an empty
/// directory (so the repository still appears, its git verdicts `unknown`) and says why.
fn mirror(path: &Path, listing: &RepoListing, token: Option<&str>) -> Result<(), String> {
    let marker = path.join(MARKER);
    let pushed = listing.pushed_at.clone().unwrap_or_default();
    if let Ok(repo) = git2::Repository::open_bare(path) {
        if std::fs::read_to_string(&marker).ok().as_deref() == Some(pushed.as_str()) {
            return Ok(());
        }
        return fetch(&repo, listing, token)
            .and_then(|()| std::fs::write(&marker, &pushed).map_err(|e| e.to_string()))
            .map_err(|e| format!("could not fetch {}: {e}", listing.full_name));
    }
    let _ = std::fs::remove_dir_all(path);
    let made = std::fs::create_dir_all(path)
        .map_err(|e| e.to_string())
        .and_then(|()| git2::Repository::init_bare(path).map_err(|e| e.message().to_owned()))
        .and_then(|repo| {
            repo.remote("origin", &listing.clone_url)
                .map_err(|e| e.message().to_owned())?;
            fetch(&repo, listing, token)?;
            std::fs::write(&marker, &pushed).map_err(|e| e.to_string())
        });
    made.map_err(|e| {
        // An empty directory, not a half-made repository, is what the git probe reads.
        let _ = std::fs::remove_dir_all(path);
        let _ = std::fs::create_dir_all(path);
        format!("could not clone {}: {e}", listing.full_name)
    })
}

/// Fetches branches and tags into the mirror and points HEAD at the default branch.
fn fetch(
    repo: &git2::Repository,
    listing: &RepoListing,
    token: Option<&str>,
) -> Result<(), String> {
    let mut remote = repo
        .find_remote("origin")
        .map_err(|e| e.message().to_owned())?;
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut tries = 0;
    let token = token.map(str::to_owned);
    callbacks.credentials(move |_url, _user, _allowed| {
        tries += 1;
        match (&token, tries) {
            // GitHub takes a token as the password of any user name.
            (Some(t), 1) => git2::Cred::userpass_plaintext("x-access-token", t),
            _ => Err(git2::Error::from_str(
                "the token was refused (or none was given)",
            )),
        }
    });
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    options.download_tags(git2::AutotagOption::All);
    remote
        .fetch(
            &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            Some(&mut options),
            None,
        )
        .map_err(|e| e.message().to_owned())?;
    if let Some(branch) = &listing.default_branch {
        repo.set_head(&format!("refs/heads/{branch}"))
            .map_err(|e| e.message().to_owned())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub serves clones over https: a libgit2 built without TLS would fail every
    /// real clone with "unsupported URL protocol" while the http mock's tests pass.
    #[test]
    fn libgit2_can_clone_over_https() {
        assert!(
            git2::Version::get().https(),
            "libgit2 was built without HTTPS: enable git2's `https` feature"
        );
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut remote = repo
            .remote_anonymous(&format!("https://127.0.0.1:{port}/o/r.git"))
            .unwrap();
        let err = remote
            .fetch(&["refs/heads/*:refs/heads/*"], None, None)
            .unwrap_err();
        assert!(
            !err.message().contains("unsupported URL protocol"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn an_origin_on_the_host_names_its_repository() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        repo.remote("origin", "git@github.com:Acme/Shop.git")
            .unwrap();
        assert_eq!(
            origin_of(dir.path(), "github.com").as_deref(),
            Some("acme/shop")
        );
        assert_eq!(origin_of(dir.path(), "ghe.example.com"), None);
    }
}
