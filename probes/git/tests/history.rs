//! History facts from real repositories built with the git command line, with commit
//! dates fixed so every figure can be checked by hand.

use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use evident_probe_git::{GitHistoryProbe, HistoryLimits};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const NOW: &str = "2026-11-23T00:00:00Z";

fn git(dir: &Path, args: &[&str], date: &str, email: &str) {
    let status = Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Appends `lines` lines to `file` and commits them on the current branch.
fn commit_lines(dir: &Path, file: &str, lines: usize, date: &str, email: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
        .expect("open");
    for n in 0..lines {
        writeln!(f, "{file} line {n} {date}").expect("write");
    }
    git(dir, &["add", "-A"], date, email);
    git(
        dir,
        &["commit", "-q", "-m", &format!("{lines} lines to {file}")],
        date,
        email,
    );
}

/// main: A (outside the window, v1.0.0) · B +10 (v1.1.0) · C +20 · D merges feature
/// (+30 in two commits, v1.2.0) · E +5. Branch `stale` holds three commits from April;
/// `fresh` one from three days ago; `latest` is a tag that is not a release.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (alice, bob) = ("alice@example.invalid", "bob@example.invalid");
    git(d, &["init", "-q"], "2026-03-01T10:00:00Z", alice);
    commit_lines(d, "a.txt", 100, "2026-03-01T10:00:00Z", alice);
    git(d, &["tag", "v1.0.0"], "2026-03-01T10:00:00Z", alice);
    git(d, &["branch", "stale"], "2026-03-01T10:00:00Z", alice);
    commit_lines(d, "b.txt", 10, "2026-06-01T10:00:00Z", alice);
    git(d, &["tag", "v1.1.0"], "2026-06-01T10:00:00Z", alice);
    git(d, &["tag", "latest"], "2026-06-01T10:00:00Z", alice);
    commit_lines(d, "c.txt", 20, "2026-07-01T10:00:00Z", bob);
    git(
        d,
        &["checkout", "-q", "-b", "feature"],
        "2026-07-10T10:00:00Z",
        bob,
    );
    commit_lines(d, "f.txt", 10, "2026-07-10T10:00:00Z", bob);
    commit_lines(d, "f.txt", 20, "2026-07-20T10:00:00Z", bob);
    git(
        d,
        &["checkout", "-q", "main"],
        "2026-08-01T10:00:00Z",
        alice,
    );
    git(
        d,
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
        "2026-08-01T10:00:00Z",
        alice,
    );
    git(d, &["tag", "v1.2.0"], "2026-08-01T10:00:00Z", alice);
    commit_lines(d, "e.txt", 5, "2026-11-01T10:00:00Z", alice);
    git(d, &["checkout", "-q", "stale"], "2026-04-01T10:00:00Z", bob);
    commit_lines(d, "s.txt", 1, "2026-04-01T10:00:00Z", bob);
    commit_lines(d, "s.txt", 1, "2026-04-02T10:00:00Z", bob);
    commit_lines(d, "s.txt", 1, "2026-04-03T10:00:00Z", bob);
    git(
        d,
        &["checkout", "-q", "-b", "fresh", "main"],
        "2026-11-20T10:00:00Z",
        bob,
    );
    commit_lines(d, "n.txt", 1, "2026-11-20T10:00:00Z", bob);
    git(d, &["checkout", "-q", "main"], "2026-11-20T10:00:00Z", bob);
    dir
}

fn collect(path: &Path) -> ProbeOutput {
    let ctx = ScanContext::new(vec![path.to_path_buf()], NOW.into());
    let probe = GitHistoryProbe::new(HistoryLimits::default());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(probe.collect(&ctx))
}

fn only_repo(out: &ProbeOutput) -> &Value {
    let repos = out.facts["repos"].as_object().expect("repos");
    assert_eq!(repos.len(), 1, "{repos:?}");
    repos.values().next().expect("repo")
}

#[test]
fn figures_match_the_history_as_built() {
    let dir = fixture();
    let out = collect(dir.path());
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    let h = only_repo(&out);
    assert_eq!(h["default_branch"], "main");
    assert_eq!(h["since"], "2026-05-27T00:00:00Z");
    // The report says which period the history covers, for the HTML cover.
    let window = out.sources[0].window.as_ref().expect("a window");
    assert_eq!(
        (window.from.as_str(), window.what.as_str()),
        (
            "2026-05-27T00:00:00Z",
            "commits and merges on main, 180 days"
        )
    );
    assert_eq!(h["complete"], true);
    // B, C, two feature commits, the merge, E.
    assert_eq!(h["commits"], 6);
    assert_eq!(h["authors"], 2);
    // First-parent line in the window: B, C, D (the merge, 30 lines), E.
    assert_eq!(h["changes"]["count"], 4);
    assert_eq!(h["change_lines"], serde_json::json!([5, 30, 20, 10]));
    assert_eq!(h["changes"]["median_lines"], 10);
    assert_eq!(h["changes_90d"]["count"], 1);
    let releases: Vec<(&str, f64, u64)> = h["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|r| {
            (
                r["tag"].as_str().expect("tag"),
                r["interval_days"].as_f64().expect("interval"),
                r["diff_lines"].as_u64().expect("diff"),
            )
        })
        .collect();
    assert_eq!(releases, vec![("v1.1.0", 92.0, 10), ("v1.2.0", 61.0, 50)]);
    assert_eq!(h["median_release_interval_days"], 61.0);
    let stale: Vec<(&str, u64, u64)> = h["stale_branches"]
        .as_array()
        .expect("branches")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().expect("name"),
                b["unmerged_commits"].as_u64().expect("count"),
                b["age_days"].as_u64().expect("age"),
            )
        })
        .collect();
    assert_eq!(stale, vec![("stale", 3, 235)]);
    // Every cited record exists and none leaks an e-mail address.
    let ids: Vec<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    assert!(ids.contains(&h["evidence"].as_str().expect("id")));
    assert!(ids.contains(&h["release_evidence"].as_str().expect("id")));
    assert!(ids.contains(&h["stale_branches"][0]["evidence"].as_str().expect("id")));
    let text = serde_json::to_string(&out.facts).expect("json")
        + &serde_json::to_string(&out.evidence).expect("json");
    assert!(
        !text.contains("@example.invalid"),
        "author e-mails stay out"
    );
}

#[test]
fn a_shallow_clone_is_an_error_not_a_short_history() {
    let dir = fixture();
    let shallow = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", dir.path().display());
    let target = shallow.path().join("clone");
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(&target)
        .status()
        .expect("git clone");
    assert!(status.success());
    let out = collect(&target);
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    let detail = out.sources[0].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("shallow"), "{detail}");
    assert_eq!(out.facts["repos"], serde_json::json!({}));
}

#[test]
fn a_plain_directory_has_no_history_to_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("README"), "hello").expect("write");
    let out = collect(dir.path());
    assert_eq!(out.sources[0].status, SourceStatus::NotConfigured);
}

#[test]
fn limits_cut_the_walk_and_say_so() {
    let dir = fixture();
    let ctx = ScanContext::new(vec![dir.path().to_path_buf()], NOW.into());
    let limits = HistoryLimits {
        max_commits: 3,
        max_measured_changes: 2,
        ..HistoryLimits::default()
    };
    let out = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(GitHistoryProbe::new(limits).collect(&ctx));
    let h = only_repo(&out);
    assert_eq!(h["complete"], false);
    assert!(
        h["truncated"]
            .as_str()
            .expect("truncated")
            .contains("after 3")
    );
    assert_eq!(h["changes"]["measured"], 2);
    assert!(h["sampled"].as_str().expect("sampled").contains("newest 2"));
}

#[test]
fn kept_sizes_give_the_same_figures_as_measuring() {
    let dir = fixture();
    let cache = tempfile::tempdir().expect("tempdir");
    let ctx = ScanContext::new(vec![dir.path().to_path_buf()], NOW.into());
    let limits = HistoryLimits {
        cache_dir: Some(cache.path().to_path_buf()),
        ..HistoryLimits::default()
    };
    let run = || {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(GitHistoryProbe::new(limits.clone()).collect(&ctx))
    };
    let cold = run();
    let kept: Vec<_> = std::fs::read_dir(cache.path().join("history-sizes"))
        .expect("cache written")
        .collect();
    assert_eq!(kept.len(), 1);
    let warm = run();
    assert_eq!(only_repo(&cold), only_repo(&warm));
    assert_eq!(
        only_repo(&warm)["change_lines"],
        serde_json::json!([5, 30, 20, 10])
    );
}

#[test]
fn publishing_and_unrelated_branches_are_never_stale_branches() {
    let dir = fixture();
    let d = dir.path();
    let alice = "alice@example.invalid";
    // gh-pages branched from main in the usual way (shares history), 60 commits since
    // April; `site` an orphan branch of built pages; `stale` still counts.
    git(
        d,
        &["checkout", "-q", "-b", "gh-pages", "v1.0.0"],
        "2026-04-01T10:00:00Z",
        alice,
    );
    for n in 0..60 {
        commit_lines(
            d,
            "index.html",
            1,
            &format!("2026-04-{:02}T10:00:00Z", 1 + n % 28),
            alice,
        );
    }
    git(
        d,
        &["checkout", "-q", "--orphan", "site"],
        "2026-04-01T10:00:00Z",
        alice,
    );
    git(
        d,
        &["rm", "-rq", "--cached", "."],
        "2026-04-01T10:00:00Z",
        alice,
    );
    commit_lines(d, "site.html", 3, "2026-04-05T10:00:00Z", alice);
    git(
        d,
        &["checkout", "-q", "-f", "main"],
        "2026-11-20T10:00:00Z",
        alice,
    );
    let out = collect(d);
    let h = only_repo(&out);
    let stale: Vec<&str> = h["stale_branches"]
        .as_array()
        .expect("branches")
        .iter()
        .map(|b| b["name"].as_str().expect("name"))
        .collect();
    assert_eq!(stale, ["stale"]);
    assert_eq!(
        h["excluded_branches"],
        serde_json::json!([
            {"name": "gh-pages", "why": "publishing branch (GitHub Pages), never merged"},
            {"name": "site", "why": "shares no commit with main: unrelated history, never merged"}
        ])
    );
}
