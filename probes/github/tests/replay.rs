//! `--snapshot` and `evident replay` for the github probe: what the probe read from the
//! mock GitHub is recorded, and replayed with the API pointed at a closed port, the
//! probe's output is the same; failures replay as the same failures, tokens reach no
//! file of the snapshot, and a request never recorded is a failed read, not absence.

use evident_core::{Probe, ProbeOutput, Redactor, ScanContext, SourceStatus};
use evident_github::{Client, GithubConfig, Target};
use evident_github_mock::{
    Deployment, Environment, Fault, Faults, MockGithub, MockRepo, Org, Permission, PullRequest,
    Reviewer, RouteFault, Run, Status, Team,
};
use evident_probe_github::{GithubInput, GithubProbe};
use evident_snapshot::{RunMeta, Tape};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

const TOKEN: &str = "ghp_replay_test_token";
const CANARY: &str = "canary-7f3e-never-in-a-snapshot";
/// The scan's observation time: windows count back from it, so request keys match.
const OBSERVED: &str = "2026-11-30T12:00:00Z";
const CLOSED: &str = "http://127.0.0.1:1";

fn day(d: u32) -> String {
    format!("2026-11-{:02}T10:00:00Z", 30 - d)
}

fn shop() -> MockRepo {
    let mut repo = MockRepo::new("shop").with_protection(&["test"], 1);
    repo.pushed_at = day(1);
    repo.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("alice".into()), Reviewer::Team("ops".into())],
        wait_timer: 0,
    });
    repo.workflow_runs = (0..3)
        .map(|i| Run {
            id: 900 + i,
            created_at: day(i as u32 + 1),
            ..Run::default()
        })
        .collect();
    repo.deployments = (0..2)
        .map(|i| Deployment {
            id: 10 + i,
            created_at: day(i as u32 + 1),
            sha: format!("{:040x}", i + 1),
            statuses: vec![Status {
                state: "success".into(),
                created_at: day(i as u32 + 1),
                log_url: None,
            }],
            ..Deployment::default()
        })
        .collect();
    repo.pull_requests = vec![PullRequest {
        number: 7,
        created_at: day(3),
        merged_at: Some(day(2)),
        first_commit_at: Some(day(4)),
        additions: 30,
        deletions: 5,
        author: Some("bob".into()),
        files: vec!["src/main.rs".into()],
        ..PullRequest::default()
    }];
    repo
}

fn org() -> Org {
    let mut team = Team::new("web");
    team.members = vec!["alice".into(), "bob".into()];
    team.repos = vec![("shop".into(), Permission::Admin)];
    Org::new("acme")
        .with_repo(shop())
        .with_repo(MockRepo::new("docs"))
        .with_team(team)
}

/// Lists `acme` and runs the probe, as the scan does, through a client on `tape`.
async fn read(api: &str, token: &str, tape: &Tape, observed: &str) -> ProbeOutput {
    read_cached(api, token, tape, observed, None).await
}

/// [`read`] with the ETag and answer cache in `cache`.
async fn read_cached(
    api: &str,
    token: &str,
    tape: &Tape,
    observed: &str,
    cache: Option<&Path>,
) -> ProbeOutput {
    let mut config = GithubConfig::new(api, Some(token.to_owned()));
    config.cache_dir = cache.map(Path::to_path_buf);
    config.concurrency = 4;
    config.request_timeout = std::time::Duration::from_secs(5);
    let client = Arc::new(Client::new(config).unwrap().with_tape(tape.clone()));
    let listing =
        evident_github::list(&client, &[Target::Owner("acme".into())], false, false).await;
    let input = GithubInput {
        client,
        repos: listing
            .repos
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect(),
        orgs: listing.orgs.clone(),
        skipped: listing.skipped.clone(),
        failed: listing.failed.clone(),
        incomplete: listing.incomplete.clone(),
    };
    let ctx = ScanContext::new(vec![], observed.to_owned());
    GithubProbe::new(Some(input))
        .with_tape(tape.clone())
        .collect(&ctx)
        .await
}

fn finish(tape: &Tape) {
    let meta = RunMeta {
        schema: String::new(),
        run: "run1".into(),
        tool_version: "test".into(),
        observed_at: OBSERVED.into(),
        plan: Value::Null,
        scan_sha256: String::new(),
    };
    let problems = tape.finish(meta, b"{}").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

/// Records a read of `gh` into `dir`, then replays it against a closed port.
async fn round_trip(gh: MockGithub, dir: &Path, redactor: Redactor) -> (ProbeOutput, ProbeOutput) {
    let tape = Tape::record(dir, Arc::new(redactor)).unwrap();
    let recorded = read(gh.url(), TOKEN, &tape, OBSERVED).await;
    finish(&tape);
    drop(gh);
    let (replay, meta) = Tape::replay(dir, None).unwrap();
    assert_eq!(meta.run, "run1");
    let started = std::time::Instant::now();
    let replayed = read(CLOSED, "ghp_other_token_in_replay", &replay, OBSERVED).await;
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(800),
        "a replay waits for nothing: {took:?}"
    );
    (recorded, replayed)
}

fn json(out: &ProbeOutput) -> Value {
    serde_json::json!({"facts": out.facts, "evidence": out.evidence, "sources": out.sources})
}

#[tokio::test]
async fn a_recorded_read_replays_to_the_same_output_without_github() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (recorded, replayed) = round_trip(gh, dir.path(), Redactor::new().with_secret(TOKEN)).await;
    assert_eq!(
        recorded.sources[0].status,
        SourceStatus::Ok,
        "{:?}",
        recorded.sources
    );
    assert_eq!(recorded.facts["repos"]["shop"]["runs"]["count"], 3);
    assert_eq!(
        recorded.facts["teams"]["acme/web"]["repos"]["shop"], "admin",
        "{}",
        recorded.facts["teams"]
    );
    // The facts name the API the recording read, not the closed port.
    assert_ne!(replayed.facts["api"], CLOSED);
    assert_eq!(json(&replayed), json(&recorded));
    assert!(
        recorded.evidence.iter().any(|e| e.sha256.is_some()),
        "evidence cites digests, and the replay cites the same"
    );
}

#[tokio::test]
async fn a_server_error_and_a_spent_quota_replay_as_the_same_failures() {
    let faults = Faults {
        // The listing and one more request, then 403 with x-ratelimit-reset.
        core_limit: 2,
        routes: vec![RouteFault::new("graphql", Fault::Status(500)).on_repo("acme/docs")],
        ..Faults::default()
    };
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .faults(faults)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (recorded, replayed) = round_trip(gh, dir.path(), Redactor::new().with_secret(TOKEN)).await;
    let docs = &recorded.facts["repos"]["docs"]["unread"]["all"];
    assert_eq!(docs["status"], "error", "{docs}");
    assert!(
        docs["detail"].as_str().unwrap().contains("HTTP 500"),
        "{docs}"
    );
    let limited: Vec<&Value> = recorded.facts["repos"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["unread"]["runs"]["status"] == "rate_limited")
        .collect();
    assert!(!limited.is_empty(), "{}", recorded.facts["repos"]);
    assert!(
        limited[0]["unread"]["runs"]["detail"]
            .as_str()
            .unwrap()
            .contains("quota is spent until"),
        "{}",
        limited[0]["unread"]
    );
    assert_eq!(json(&replayed), json(&recorded));
}

fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn a_token_the_mock_echoes_reaches_no_file_of_the_snapshot() {
    let faults = Faults {
        echo_canary: true,
        ..Faults::default()
    };
    let gh = MockGithub::builder()
        .org(org())
        .token(CANARY, true)
        .faults(faults)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The tape's redactor does not know the token (as with a token minted for a GitHub
    // App during the scan): the client replaces its own token before recording.
    let tape = Tape::record(dir.path(), Arc::new(Redactor::new())).unwrap();
    let out = read(gh.url(), CANARY, &tape, OBSERVED).await;
    finish(&tape);
    assert!(
        serde_json::to_string(&out.facts).unwrap().contains("acme/"),
        "the mock answered"
    );
    let files = every_file(dir.path());
    assert!(files.len() > 3, "{}", files.len());
    assert!(
        files
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("[redacted]")),
        "the mock echoed the token and it was replaced"
    );
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(CANARY), "{path} holds the token");
    }
}

#[tokio::test]
async fn a_request_the_recording_never_made_is_a_failed_read_not_an_absence() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::record(dir.path(), Arc::new(Redactor::new())).unwrap();
    read(gh.url(), TOKEN, &tape, OBSERVED).await;
    finish(&tape);
    drop(gh);
    // A day later the runs window starts a day later: a request never recorded.
    let (replay, _) = Tape::replay(dir.path(), None).unwrap();
    let out = read(CLOSED, TOKEN, &replay, "2026-12-01T12:00:00Z").await;
    let runs = &out.facts["repos"]["shop"]["unread"]["runs"];
    assert_eq!(runs["status"], "error", "{runs}");
    assert!(
        runs["detail"]
            .as_str()
            .unwrap()
            .contains("not in the snapshot"),
        "{runs}"
    );
    assert!(
        out.facts["repos"]["shop"]["runs"].is_null(),
        "never a count of 0"
    );
    // An empty snapshot: the listing itself fails, and says why.
    let empty = tempfile::tempdir().unwrap();
    finish(&Tape::record(empty.path(), Arc::new(Redactor::new())).unwrap());
    let (replay, _) = Tape::replay(empty.path(), None).unwrap();
    let out = read(CLOSED, TOKEN, &replay, OBSERVED).await;
    assert_eq!(
        out.sources[0].status,
        SourceStatus::Error,
        "{:?}",
        out.sources
    );
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("not in the snapshot"), "{detail}");
}

#[tokio::test]
async fn a_rescan_the_cache_answered_replays_without_the_cache() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    // A first scan fills the cache; the recorded second one is answered 304 and reuses
    // the GraphQL answers and team pages.
    read_cached(gh.url(), TOKEN, &Tape::off(), OBSERVED, Some(cache.path())).await;
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::record(dir.path(), Arc::new(Redactor::new().with_secret(TOKEN))).unwrap();
    let recorded = read_cached(gh.url(), TOKEN, &tape, OBSERVED, Some(cache.path())).await;
    finish(&tape);
    drop(gh);
    let detail = recorded.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("GraphQL answers reused"), "{detail}");
    assert!(!detail.contains(" 0 answered 304"), "{detail}");
    assert!(!detail.contains(" 0 GraphQL answers reused"), "{detail}");
    let index = std::fs::read_to_string(dir.path().join("runs/run1/index.json")).unwrap();
    assert!(index.contains("\"status\": 304"), "{index}");
    assert!(index.contains("value:graphql-reused acme/shop"), "{index}");
    // The cache is gone and the replay does not need it.
    drop(cache);
    let (replay, _) = Tape::replay(dir.path(), None).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let cache_dir = elsewhere.path().join("cache");
    let replayed = read_cached(CLOSED, TOKEN, &replay, OBSERVED, Some(&cache_dir)).await;
    assert_eq!(json(&replayed), json(&recorded));
    assert!(!cache_dir.exists(), "a replay writes no cache");
}
