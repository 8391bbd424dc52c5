//! Snapshots of the git and git_history probes: what a recording run keeps is enough to
//! replay it with the repository gone, the outputs are the same, secrets never reach the
//! snapshot, and a read the snapshot lacks is a failed source, never an absence.

use evident_core::{Probe, ProbeOutput, Redactor, ScanContext, SourceStatus};
use evident_probe_git::{GitHistoryProbe, GitProbe, HistoryLimits};
use evident_snapshot::{RunMeta, Tape};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const NOW: &str = "2026-11-23T00:00:00Z";
/// A token-shaped canary: the redactor knows the shape, no configuration needed.
const CANARY: &str = "ghp_Zq8cN3vR5tW7yA9bC1dE3fG5hJ7kL9mN1pQ3";

fn git(dir: &Path, args: &[&str], date: &str) {
    let status = Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["-c", "tag.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

/// A repository with CI, CODEOWNERS, a manifest, a Cargo.toml, three commits and two
/// release tags, plus files that cannot be read: over 5 MB, not text, a symlink out of
/// the repository; and a committed token.
fn fixture(parent: &Path) -> PathBuf {
    let root = parent.join("shop");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q"], "2026-09-01T10:00:00Z");
    write(
        &root,
        ".github/workflows/ci.yml",
        b"name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n",
    );
    write(&root, "Cargo.toml", b"[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1\"\n");
    write(
        &root,
        "src/main.rs",
        b"fn main() {\n    println!(\"hi\");\n}\n",
    );
    git(&root, &["add", "-A"], "2026-09-01T10:00:00Z");
    git(&root, &["commit", "-qm", "start"], "2026-09-01T10:00:00Z");
    git(&root, &["tag", "v1.0.0"], "2026-09-01T10:00:00Z");
    write(&root, "CODEOWNERS", b"* @acme/shop-team\n");
    write(
        &root,
        "k8s/deploy.yaml",
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: shop:1.0\n",
    );
    write(
        &root,
        "config/app.yaml",
        format!("# deploy token, committed by mistake: {CANARY}\nname: shop\n").as_bytes(),
    );
    git(&root, &["add", "-A"], "2026-10-01T10:00:00Z");
    git(&root, &["commit", "-qm", "deploy"], "2026-10-01T10:00:00Z");
    git(&root, &["tag", "v1.1.0"], "2026-10-01T10:00:00Z");
    write(&root, "big.yaml", &vec![b'a'; 6 * 1024 * 1024]);
    write(&root, "data.json", b"{\"a\":\0\x01\x02}");
    std::os::unix::fs::symlink("/etc/passwd", root.join("passwd.yaml")).unwrap();
    git(&root, &["add", "-A"], "2026-11-01T10:00:00Z");
    git(&root, &["commit", "-qm", "more"], "2026-11-01T10:00:00Z");
    root
}

fn context(paths: Vec<PathBuf>, worktree: bool) -> ScanContext {
    let mut ctx = ScanContext::new(paths, NOW.to_owned());
    ctx.worktree = worktree;
    ctx
}

async fn collect_all(ctx: &ScanContext, tape: &Tape) -> (ProbeOutput, ProbeOutput) {
    let files = GitProbe::new().with_tape(tape.clone()).collect(ctx).await;
    let history = GitHistoryProbe::new(HistoryLimits::default())
        .with_tape(tape.clone())
        .collect(ctx)
        .await;
    (files, history)
}

/// Everything of an output a scan result carries, as one JSON value to compare.
fn whole(out: &ProbeOutput) -> Value {
    json!({
        "facts": out.facts,
        "evidence": out.evidence,
        "sources": out.sources,
    })
}

fn record(snap: &Path) -> Tape {
    Tape::record(snap, Arc::new(Redactor::default())).unwrap()
}

fn finish(tape: &Tape) {
    let meta = RunMeta {
        schema: String::new(),
        run: "run1".into(),
        tool_version: "test".into(),
        observed_at: NOW.into(),
        plan: json!({}),
        scan_sha256: String::new(),
    };
    let errors = tape.finish(meta, b"{}").unwrap();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Every file under `dir`, as text.
fn everything(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.push_str(&everything(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn unreadable(out: &ProbeOutput) -> Vec<(String, String)> {
    out.facts
        .pointer("/repos/shop/unreadable")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|u| {
            (
                u["path"].as_str().unwrap_or_default().to_owned(),
                u["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_recorded_scan_replays_identically_with_the_repository_deleted() {
    let work = tempfile::tempdir().unwrap();
    let root = fixture(work.path());
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![root.clone()], false);

    let tape = record(snap.path());
    let (files, history) = collect_all(&ctx, &tape).await;
    finish(&tape);
    assert_eq!(
        files.sources[0].status,
        SourceStatus::Ok,
        "{:?}",
        files.sources
    );
    assert_eq!(
        history.sources[0].status,
        SourceStatus::Ok,
        "{:?}",
        history.sources
    );
    assert_eq!(
        history.facts.pointer("/repos/shop/releases/1/tag"),
        Some(&json!("v1.1.0")),
        "{}",
        history.facts
    );
    let missing = unreadable(&files);
    for (path, why) in [
        ("big.yaml", "over the 5 MB limit"),
        ("data.json", "not text"),
        ("passwd.yaml", "symlink not followed"),
    ] {
        assert!(
            missing.iter().any(|(p, r)| p == path && r.contains(why)),
            "{path}: {missing:?}"
        );
    }

    std::fs::remove_dir_all(&root).unwrap();
    assert!(!root.exists());
    let (replay, meta) = Tape::replay(snap.path(), None).unwrap();
    assert_eq!(meta.observed_at, NOW);
    let (files_again, history_again) = collect_all(&ctx, &replay).await;
    assert_eq!(whole(&files_again), whole(&files));
    assert_eq!(whole(&history_again), whole(&history));
    assert_eq!(
        unreadable(&files_again),
        missing,
        "the same files unreadable, for the same reasons"
    );

    let stored = everything(snap.path());
    assert!(
        !stored.contains(CANARY),
        "the committed token reached the snapshot"
    );
    assert!(
        stored.contains("git:shop"),
        "sources are keyed by the repository key"
    );
    assert!(
        !stored.contains(&work.path().display().to_string()),
        "no local path in the keys or values of the snapshot"
    );
}

#[tokio::test]
async fn a_repository_the_snapshot_never_saw_is_a_failed_source_not_an_empty_one() {
    let work = tempfile::tempdir().unwrap();
    let root = fixture(work.path());
    let snap = tempfile::tempdir().unwrap();
    let tape = record(snap.path());
    collect_all(&context(vec![root], false), &tape).await;
    finish(&tape);

    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let other = context(vec![work.path().join("cart")], false);
    let (files, history) = collect_all(&other, &replay).await;
    for out in [&files, &history] {
        assert_eq!(out.sources.len(), 1);
        assert_eq!(out.sources[0].status, SourceStatus::Error);
        let detail = out.sources[0].detail.clone().unwrap_or_default();
        assert!(detail.contains("not in the snapshot"), "{detail}");
        assert!(detail.contains("git:cart"), "{detail}");
    }
    assert_eq!(files.facts.pointer("/repos"), Some(&json!({})));
    assert_eq!(history.facts.pointer("/repos"), Some(&json!({})));
}

#[tokio::test]
async fn a_corpus_directory_read_as_a_worktree_round_trips() {
    let corpus = Path::new("/work/shared/corpus/online-boutique");
    if !corpus.is_dir() {
        panic!("the corpus is missing: {}", corpus.display());
    }
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![corpus.to_path_buf()], true);
    let tape = record(snap.path());
    let (files, history) = collect_all(&ctx, &tape).await;
    finish(&tape);
    assert_eq!(
        files.sources[0].status,
        SourceStatus::Ok,
        "{:?}",
        files.sources
    );
    assert!(!files.evidence.is_empty());

    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let (files_again, history_again) = collect_all(&ctx, &replay).await;
    assert_eq!(whole(&files_again), whole(&files));
    assert_eq!(whole(&history_again), whole(&history));
    assert!(!everything(snap.path()).contains("/work/shared/corpus"));
}

/// An overlay is rendered by kubectl when recording (or said not rendered when kubectl
/// is missing); the replay takes the render from the snapshot and runs nothing.
#[tokio::test]
async fn a_kustomize_render_is_kept_and_replayed() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("shop");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q"], "2026-11-01T10:00:00Z");
    write(
        &root,
        "k8s/base/kustomization.yaml",
        b"resources:\n  - deploy.yaml\n",
    );
    write(
        &root,
        "k8s/base/deploy.yaml",
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: shop:1.0\n",
    );
    write(
        &root,
        "k8s/prod/kustomization.yaml",
        b"resources:\n  - ../base\nreplicas:\n  - name: shop\n    count: 3\n",
    );
    git(&root, &["add", "-A"], "2026-11-01T10:00:00Z");
    git(&root, &["commit", "-qm", "k8s"], "2026-11-01T10:00:00Z");
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![root.clone()], false);
    let tape = record(snap.path());
    let (files, _) = collect_all(&ctx, &tape).await;
    finish(&tape);
    assert!(everything(snap.path()).contains("value:kustomize:k8s/prod"));
    let rendered = whole(&files).to_string();
    if which_kubectl() {
        assert!(
            rendered.contains("git:shop@") && rendered.contains("k8s/prod/kustomization.yaml#L1"),
            "the rendered objects cite the overlay: {rendered}"
        );
    } else {
        eprintln!("kubectl is not on PATH: the overlay is recorded as not rendered");
    }
    std::fs::remove_dir_all(&root).unwrap();
    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let (files_again, _) = collect_all(&ctx, &replay).await;
    assert_eq!(whole(&files_again), whole(&files));
}

#[tokio::test]
async fn a_repository_that_failed_to_open_replays_as_the_same_failure() {
    let work = tempfile::tempdir().unwrap();
    let gone = work.path().join("shop");
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![gone], false);
    let tape = record(snap.path());
    let (files, history) = collect_all(&ctx, &tape).await;
    finish(&tape);
    assert_eq!(files.sources[0].status, SourceStatus::Error);
    assert_eq!(history.sources[0].status, SourceStatus::NotConfigured);
    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let (files_again, history_again) = collect_all(&ctx, &replay).await;
    assert_eq!(whole(&files_again), whole(&files));
    assert_eq!(whole(&history_again), whole(&history));
    let stored = everything(snap.path());
    assert!(
        !stored.contains(&work.path().display().to_string()),
        "{stored}"
    );
}

/// A directory nested past PATH_MAX: its entries cannot be read by full path, even by
/// root (which reads a `chmod 000` directory all the same).
fn too_deep(root: &Path) -> String {
    let name = "d".repeat(250);
    // bash with `set -P` changes directory by the relative name (sh keeps the full one).
    let script = format!(
        "set -P; cd '{}' && for i in $(seq 18); do mkdir {name} && cd {name} || exit 1; done && echo x > f.yaml",
        root.display()
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    vec![name; 17].join("/")
}

#[tokio::test]
async fn directories_the_walk_cannot_read_are_unreadable_not_absent_and_replay_so() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("shop");
    std::fs::create_dir_all(root.join("locked")).unwrap();
    write(&root, "ci.yml", b"name: x\n");
    write(&root, "locked/deploy.yaml", b"kind: Deployment\n");
    let deep = too_deep(&root);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let locked_readable = std::fs::read_dir(root.join("locked")).is_ok();

    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![root.clone()], true);
    let tape = record(snap.path());
    let (files, _) = collect_all(&ctx, &tape).await;
    finish(&tape);
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let missing = unreadable(&files);
    assert!(
        missing
            .iter()
            .any(|(p, r)| p.starts_with(&deep) && r.contains("not read") && r.contains("too long")),
        "{missing:?}"
    );
    if locked_readable {
        eprintln!(
            "running as root: a chmod 000 directory stays readable, so only the too-deep one is checked"
        );
    } else {
        assert!(
            missing
                .iter()
                .any(|(p, r)| p == "locked" && r.contains("directory not listed")),
            "{missing:?}"
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let (files_again, _) = collect_all(&ctx, &replay).await;
    assert_eq!(unreadable(&files_again), missing);
    assert_eq!(whole(&files_again), whole(&files));
}

#[tokio::test]
async fn a_token_in_a_workflow_value_is_kept_out_and_the_replay_matches() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("shop");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q"], "2026-11-01T10:00:00Z");
    write(
        &root,
        ".github/workflows/deploy.yml",
        format!("name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      GH_TOKEN: {CANARY}\n    steps:\n      - run: ./deploy.sh --token {CANARY}\n").as_bytes(),
    );
    git(&root, &["add", "-A"], "2026-11-01T10:00:00Z");
    git(&root, &["commit", "-qm", "deploy"], "2026-11-01T10:00:00Z");
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![root.clone()], false);
    let tape = record(snap.path());
    let (files, _) = collect_all(&ctx, &tape).await;
    finish(&tape);
    assert!(!everything(snap.path()).contains(CANARY));
    std::fs::remove_dir_all(&root).unwrap();
    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let (files_again, _) = collect_all(&ctx, &replay).await;
    // `GH_TOKEN: [redacted]` read as YAML would be a list and the workflow would not
    // parse: the replay reads it as a plain placeholder its excerpts redact again.
    assert_eq!(whole(&files_again), whole(&files));
    let replayed = whole(&files_again).to_string();
    assert!(!replayed.contains("evident-replayed-secret"), "{replayed}");
    assert!(replayed.contains("GH_TOKEN: [redacted]"), "{replayed}");
}

fn which_kubectl() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("kubectl").is_file()))
}

#[tokio::test]
async fn a_replay_neither_reads_nor_writes_the_history_size_cache() {
    let work = tempfile::tempdir().unwrap();
    let root = fixture(work.path());
    let snap = tempfile::tempdir().unwrap();
    let ctx = context(vec![root.clone()], false);
    let cache = work.path().join("cache");
    let limits = |dir: &Path| HistoryLimits {
        cache_dir: Some(dir.to_path_buf()),
        ..HistoryLimits::default()
    };
    let tape = record(snap.path());
    let recorded = GitHistoryProbe::new(limits(&cache))
        .with_tape(tape.clone())
        .collect(&ctx)
        .await;
    finish(&tape);
    assert!(
        cache.join("history-sizes").is_dir(),
        "recording keeps sizes as usual"
    );
    std::fs::remove_dir_all(&root).unwrap();
    let untouched = work.path().join("replay-cache");
    let (replay, _) = Tape::replay(snap.path(), None).unwrap();
    let replayed = GitHistoryProbe::new(limits(&untouched))
        .with_tape(replay)
        .collect(&ctx)
        .await;
    assert_eq!(whole(&replayed), whole(&recorded));
    assert!(!untouched.exists(), "the replay wrote a size cache");
}
