//! Four shards of one estate, collected apart and merged, judge exactly as one scan:
//! the same result field for field but `scan.id`, `scan.started_at` and
//! `scan.finished_at`. The estate: five repositories made with real `git` (manifests,
//! Dockerfiles, CI, a catalog, one attestation) and a cluster dump of the shared corpus.

use evident_scan::{ScanPlan, Shard, ShardFacts, collect_shard, judge_shards, scan, shard_of};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const DUMP: &str = "../../../shared/corpus/online-boutique/release/kubernetes-manifests.yaml";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn repo(root: &Path, name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = root.join(name);
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "initial"]);
    dir.canonicalize().expect("canonical")
}

fn deployment(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          image: ghcr.io/acme/{name}:1.0\n          readinessProbe:\n            httpGet: {{path: /ready, port: 8080}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
    )
}

fn estate(root: &Path) -> Vec<PathBuf> {
    let ci = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n".to_owned();
    let mut repos = Vec::new();
    for (i, name) in ["shop", "cart", "frontend", "payments", "ledger"]
        .iter()
        .enumerate()
    {
        let mut files = vec![
            ("deploy/app.yaml", deployment(name)),
            ("Dockerfile", "FROM alpine:3.20\nUSER 1000\n".to_owned()),
            (
                "catalog-info.yaml",
                format!(
                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  owner: team-{}\n  lifecycle: production\n",
                    i % 2
                ),
            ),
        ];
        if i % 2 == 0 {
            files.push((".github/workflows/ci.yaml", ci.clone()));
        }
        if *name == "ledger" {
            files.push((
                ".evident/attestations.yaml",
                "attestations:\n  - criterion: ds.org.small-teams\n    service: ledger\n    by: alice\n    date: 2026-10-01\n    note: two people\n".to_owned(),
            ));
        }
        repos.push(repo(root, name, &files));
    }
    repos
}

fn plan(root: &Path, repos: Vec<PathBuf>) -> ScanPlan {
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join(DUMP);
    assert!(
        dump.is_file(),
        "the shared corpus is missing: {}",
        dump.display()
    );
    let mut plan = ScanPlan::for_repositories(repos);
    plan.kube_targets = vec![evident_probe_kubernetes::Target::Dump {
        path: dump,
        name: Some("prod".into()),
    }];
    plan.identity_root = Some(root.canonicalize().expect("root"));
    plan.observed_at = Some("2026-12-01T12:00:00Z".into());
    plan
}

fn comparable(result: &evident_core::ScanResult) -> Value {
    let mut v = serde_json::to_value(result).expect("json");
    for key in ["id", "started_at", "finished_at"] {
        v["scan"][key] = Value::Null;
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shards_merged_equal_one_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = estate(dir.path());
    let whole = plan(dir.path(), repos);

    let single = scan(&whole).await.expect("scan");
    let mut shards: Vec<ShardFacts> = Vec::new();
    for index in (0..4).rev() {
        let mut part = whole.clone();
        part.shard = Some(Shard { index, total: 4 });
        let facts = collect_shard(&part).await.expect("collect");
        // Each shard round-trips through its serialised form, as pods hand it on.
        let text = serde_json::to_string(&facts).expect("serialise");
        shards.push(serde_json::from_str(&text).expect("deserialise"));
    }
    let busy = shards.iter().filter(|s| !s.targets.is_empty()).count();
    assert!(busy >= 2, "the estate spread over one shard only: {busy}");
    let all: usize = shards.iter().map(|s| s.targets.len()).sum();
    assert_eq!(
        all, 6,
        "five repositories and one dump, each in exactly one shard"
    );
    for s in &shards {
        for t in &s.targets {
            assert_eq!(shard_of(t, 4), s.shard.index, "{t}");
        }
    }
    let merged = judge_shards(&whole, shards).await.expect("merge");

    assert!(!single.services.is_empty() && single.services.len() >= 5);
    let (a, b) = (comparable(&single), comparable(&merged));
    // Exact: the same JSON text, every list in the same order.
    assert_eq!(
        serde_json::to_string_pretty(&a).expect("text"),
        serde_json::to_string_pretty(&b).expect("text")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_without_every_shard_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = estate(dir.path());
    let whole = plan(dir.path(), repos);
    let mut part = whole.clone();
    part.shard = Some(Shard { index: 1, total: 2 });
    let one = collect_shard(&part).await.expect("collect");
    let err = judge_shards(&whole, vec![one])
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        err.unwrap_or_default().contains("0/2"),
        "missing shard named"
    );
}
