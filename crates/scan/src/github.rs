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
use evident_snapshot::Tape;
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

/// Lists the targets and prepares a git target for every repository listed. With a
/// replaying `tape` nothing is asked of GitHub, no token is minted, nothing is cloned
/// and no directory is made: the listing and the placement of every repository (key,
/// path, clone or local checkout) come back as recorded.
pub(crate) async fn prepare(
    plan: &GithubPlan,
    local: &[PathBuf],
    progress: &Arc<dyn evident_core::Progress>,
    tape: &Tape,
) -> Result<Prepared, String> {
    let mut config = plan.config.clone();
    let mut minted = None;
    if let Some(app) = config.app.as_ref().filter(|_| !tape.is_replaying()) {
        // An App installation reads with a token GitHub mints for this scan.
        let token =
            evident_github::installation_token(&config.api_url, app, config.request_timeout)
                .await
                .map_err(|e| e.to_string())?;
        config.token = Some(token.clone());
        minted = Some(token);
    }
    let client = Arc::new(
        Client::new(config.clone())
            .map_err(|e| e.to_string())?
            .with_tape(tape.clone()),
    );
    let mut listing: Listing = evident_github::list(
        &client,
        &plan.targets,
        plan.include_archived,
        plan.include_forks,
    )
    .await;
    let placed = if tape.is_replaying() {
        replayed_placement(tape, &listing)
    } else {
        let placed = place(plan, &config, local, &listing, progress).await?;
        if tape.is_recording() {
            // Names GitHub echoed the token into never reach the snapshot (the tape's
            // redactor may not know a token minted for an App installation).
            let mut entries = serde_json::to_value(placed.entries()).unwrap_or_default();
            evident_core::Redactor::new()
                .with_secrets(config.token.clone())
                .redact_json(&mut entries);
            tape.record_value(evident_github::tape::SOURCE, CLONES_KEY, &entries);
        }
        Ok(placed)
    };
    let placed = match placed {
        Ok(p) => p,
        Err(e) => {
            // Without the recorded placement no repository can be keyed as the git
            // probe keyed it: the github source fails with the reason, nothing is read.
            listing.failed.push((
                "the recorded clone list".into(),
                evident_github::tape::not_replayed(CLONES_KEY, &e),
            ));
            Placed::default()
        }
    };
    Ok(Prepared {
        input: GithubInput {
            client,
            repos: placed.repos,
            orgs: listing.orgs,
            skipped: listing.skipped,
            failed: listing.failed,
            incomplete: listing.incomplete,
        },
        clones: placed.clones,
        failed: placed.failed,
        minted_token: minted,
        _scratch: placed.scratch,
    })
}

/// The value key of the clone list (see docs/snapshot.md, "GitHub").
pub const CLONES_KEY: &str = "value:clones";

/// One listed repository as the scan placed it: what a replay needs to key it, and
/// to hand the git probe the same targets, without cloning anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloneEntry {
    /// `owner/name`.
    pub full_name: String,
    /// The git probe's key of the repository.
    pub key: String,
    /// Where the git probe read it (a clone, or the local checkout).
    pub path: PathBuf,
    /// Where it was cloned from, without credentials.
    pub clone_url: String,
    /// A local checkout of the plan (whose `origin` is the repository), not a clone.
    pub local: bool,
    /// Why the clone could not be made or brought up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// Where every listed repository is read from.
#[derive(Default)]
struct Placed {
    repos: Vec<(String, RepoListing)>,
    clones: Vec<PathBuf>,
    failed: HashMap<PathBuf, String>,
    /// Paths in the order of `repos`, and which of them are local checkouts.
    paths: Vec<(PathBuf, bool)>,
    scratch: Option<tempfile::TempDir>,
}

impl Placed {
    fn entries(&self) -> Vec<CloneEntry> {
        self.repos
            .iter()
            .zip(&self.paths)
            .map(|((key, listing), (path, local))| CloneEntry {
                full_name: listing.full_name.clone(),
                key: key.clone(),
                path: path.clone(),
                clone_url: without_credentials(&listing.clone_url),
                local: *local,
                failed: self.failed.get(path).cloned(),
            })
            .collect()
    }
}

/// `url` without any `user:password@` (or `token@`) before its host.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_end = rest.find('/').unwrap_or(rest.len());
            match rest[..host_end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// The placement the recorded scan made, matched to the replayed listing.
fn replayed_placement(
    tape: &Tape,
    listing: &Listing,
) -> Result<Placed, evident_snapshot::ReplayError> {
    let entries: Vec<CloneEntry> = tape.replay_value(evident_github::tape::SOURCE, CLONES_KEY)?;
    let mut placed = Placed::default();
    for entry in entries {
        let Some(repo) = listing
            .repos
            .iter()
            .find(|r| r.full_name == entry.full_name)
        else {
            tracing::warn!(
                "github replay: {} was placed but not listed; left out",
                entry.full_name
            );
            continue;
        };
        if !entry.local {
            placed.clones.push(entry.path.clone());
        }
        if let Some(why) = entry.failed {
            placed.failed.insert(entry.path.clone(), why);
        }
        placed.paths.push((entry.path, entry.local));
        placed.repos.push((entry.key, repo.clone()));
    }
    Ok(placed)
}

/// Places every listed repository: a local checkout whose `origin` it is, else a
/// clone (made or brought up to date now).
async fn place(
    plan: &GithubPlan,
    config: &GithubConfig,
    local: &[PathBuf],
    listing: &Listing,
    progress: &Arc<dyn evident_core::Progress>,
) -> Result<Placed, String> {
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
    let local_count = placed.len();
    placed.extend(to_clone);
    // The git probe's keys for every path of the scan, local ones first, as it makes them.
    let all: Vec<PathBuf> = local.iter().chain(clones.iter()).cloned().collect();
    let keys: HashMap<PathBuf, String> = all
        .iter()
        .cloned()
        .zip(evident_probe_git::repo_keys(&all))
        .collect();
    let mut out = Placed {
        clones,
        failed,
        scratch,
        ..Placed::default()
    };
    for (i, (path, listing)) in placed.into_iter().enumerate() {
        if let Some(k) = keys.get(&path) {
            out.repos.push((k.clone(), listing));
            out.paths.push((path, i < local_count));
        }
    }
    Ok(out)
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
    fn a_clone_url_loses_its_credentials() {
        assert_eq!(
            without_credentials("https://x-access-token:t0ken@github.com/acme/shop.git"),
            "https://github.com/acme/shop.git"
        );
        assert_eq!(
            without_credentials("https://github.com/a@b/c.git"),
            "https://github.com/a@b/c.git"
        );
    }

    /// Recording lists and clones; replaying (the API at a closed port, another cache
    /// directory) places every repository where the recording did, with the same keys
    /// and clone failures, and clones nothing and makes no directory.
    #[tokio::test]
    async fn a_replayed_preparation_places_every_repository_as_recorded_and_clones_nothing() {
        use evident_github_mock::{BareRepo, MockGithub, MockRepo, Org};
        const TOKEN: &str = "ghp_prepare_replay_token";
        let git = tempfile::tempdir().unwrap();
        let shop = BareRepo::with_files(
            git.path(),
            "shop",
            &[("README.md", "shop\n")],
            "2026-11-01T00:00:00Z",
        )
        .unwrap();
        let gh = MockGithub::builder()
            .org(
                Org::new("acme")
                    .with_repo(MockRepo::new("shop").with_git(shop.path.clone()))
                    .with_repo(MockRepo::new("web"))
                    .with_repo(MockRepo::new("api")),
            )
            .token(TOKEN, true)
            .start()
            .await
            .unwrap();
        // A local checkout of acme/web: placed, not cloned.
        let work = tempfile::tempdir().unwrap();
        let web = work.path().join("web-checkout");
        let local = git2::Repository::init(&web).unwrap();
        let host = GithubConfig::new(gh.url(), None).web_host();
        local
            .remote("origin", &format!("http://{host}/acme/web.git"))
            .unwrap();
        let cache = tempfile::tempdir().unwrap();
        let mut config = GithubConfig::new(gh.url(), Some(TOKEN.into()));
        config.cache_dir = Some(cache.path().join("c"));
        let plan = GithubPlan {
            config,
            targets: vec![Target::Owner("acme".into())],
            include_archived: false,
            include_forks: false,
            clone_concurrency: 2,
        };
        let progress: Arc<dyn evident_core::Progress> = Arc::new(evident_core::NoProgress);
        let snap = tempfile::tempdir().unwrap();
        let tape = Tape::record(snap.path(), Arc::new(evident_core::Redactor::new())).unwrap();
        let locals = vec![web.clone()];
        let recorded = prepare(&plan, &locals, &progress, &tape).await.unwrap();
        let meta = evident_snapshot::RunMeta {
            schema: String::new(),
            run: "r".into(),
            tool_version: "test".into(),
            observed_at: "2026-11-30T12:00:00Z".into(),
            plan: serde_json::Value::Null,
            scan_sha256: String::new(),
        };
        assert!(tape.finish(meta, b"{}").unwrap().is_empty());
        assert_eq!(recorded.clones.len(), 2, "{:?}", recorded.clones);
        assert_eq!(recorded.failed.len(), 1, "{:?}", recorded.failed);
        drop(gh);
        std::fs::remove_dir_all(cache.path().join("c")).unwrap();

        let (replay, _) = Tape::replay(snap.path(), None).unwrap();
        let mut again = plan.clone();
        again.config.api_url = "http://127.0.0.1:1".into();
        let other = tempfile::tempdir().unwrap();
        again.config.cache_dir = Some(other.path().join("c"));
        let replayed = prepare(&again, &locals, &progress, &replay).await.unwrap();
        assert_eq!(replayed.clones, recorded.clones);
        assert_eq!(replayed.failed, recorded.failed);
        let names = |p: &Prepared| -> Vec<(String, String)> {
            p.input
                .repos
                .iter()
                .map(|(k, l)| (k.clone(), l.full_name.clone()))
                .collect()
        };
        assert_eq!(names(&replayed), names(&recorded));
        assert!(names(&recorded).contains(&("web-checkout".into(), "acme/web".into())));
        // The keys the scan gives the git probe (recomputed from the paths, which no
        // longer exist) are those the recording gave.
        let all: Vec<PathBuf> = locals.iter().chain(&replayed.clones).cloned().collect();
        let keys = evident_probe_git::repo_keys(&all);
        for (key, _) in &recorded.input.repos {
            assert!(keys.contains(key), "{key} not among {keys:?}");
        }
        assert!(
            replayed.input.failed.is_empty(),
            "{:?}",
            replayed.input.failed
        );
        assert!(!cache.path().join("c").exists(), "nothing cloned again");
        assert!(!other.path().join("c").exists(), "no directory made");
        assert!(replayed._scratch.is_none());
        assert!(replayed.minted_token.is_none());
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
