//! End to end, the built binary over an estate config: `scan --config`, the config's
//! errors (an unknown key, an inline token: exit 2, the line named, no value echoed),
//! and an estate collected in four shards then merged.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const DUMP: &str = "../../../shared/corpus/online-boutique/release/kubernetes-manifests.yaml";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}");
}

/// An estate directory: three repositories and `estate.yaml` naming them relatively,
/// with the shared corpus's cluster dump.
fn estate() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["shop", "cart", "ledger"] {
        let repo = dir.path().join("repos").join(name);
        std::fs::create_dir_all(repo.join("deploy")).expect("mkdir");
        std::fs::write(
            repo.join("deploy/app.yaml"),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          image: ghcr.io/acme/{name}:1.0\n"),
        )
        .expect("write");
        std::fs::write(repo.join("Dockerfile"), "FROM alpine:3.20\n").expect("write");
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "initial"]);
    }
    let dump = Path::new(env!("CARGO_MANIFEST_DIR")).join(DUMP);
    assert!(
        dump.is_file(),
        "the shared corpus is missing: {}",
        dump.display()
    );
    let config = dir.path().join("estate.yaml");
    std::fs::write(
        &config,
        format!(
            "version: 1\nsources:\n  repositories: [repos/shop, repos/cart, repos/ledger]\n  kubernetes:\n    dumps: [{}]\nrules:\n  max_team_size: 8\nscan:\n  history_days: 30\n",
            dump.display()
        ),
    )
    .expect("write config");
    (dir, config)
}

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Services, verdicts and levels: what a merge must judge as the single scan does.
fn verdicts(v: &Value) -> Value {
    serde_json::json!({
        "services": v["services"],
        "results": v["results"].as_array().map(|rs| rs.iter().map(|r| serde_json::json!([r["criterion"], r["service"], r["status"], r["summary"]])).collect::<Vec<_>>()),
        "levels": v["levels"],
        "targets": v["scan"]["targets"],
    })
}

#[test]
fn a_scan_reads_the_estate_the_config_names() {
    let (dir, config) = estate();
    let out = evident_in(
        dir.path(),
        &[
            "scan",
            "--config",
            config.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
    );
    let result = json_of(&out);
    assert_valid(&result);
    let ids: Vec<&str> = result["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    for id in ["shop", "cart", "ledger", "frontend", "cartservice"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let targets = result["scan"]["targets"].to_string();
    assert!(targets.contains("kube-dump"), "{targets}");
}

#[test]
fn an_unknown_key_exits_2_naming_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("estate.yaml");
    std::fs::write(
        &config,
        "version: 1\nsources:\n  repositories: []\n  prometeus: []\n",
    )
    .expect("write");
    let out = evident(&["scan", "--config", config.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 4") && stderr.contains("prometeus"),
        "{stderr}"
    );
}

#[test]
fn an_inline_token_exits_2_without_echoing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("estate.yaml");
    std::fs::write(
        &config,
        format!("version: 1\nsources:\n  pagerduty:\n    region: eu\n    token: {CANARY}\n"),
    )
    .expect("write");
    let out = evident(&["scan", "--config", config.to_str().expect("utf-8")]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 5") && stderr.contains("token_env"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(CANARY) && !stdout.contains(CANARY),
        "{stderr}"
    );
}

#[test]
fn four_shards_collected_then_merged_judge_as_one_scan() {
    let (dir, config) = estate();
    let config = config.to_str().expect("utf-8");
    let single = json_of(&evident_in(
        dir.path(),
        &["scan", "--config", config, "--format", "json"],
    ));
    let mut files = Vec::new();
    for i in 0..4 {
        let file = dir.path().join(format!("shard-{i}.json"));
        let shard = format!("{i}/4");
        let out = evident_in(
            dir.path(),
            &[
                "scan",
                "--config",
                config,
                "--shard",
                &shard,
                "--collect-only",
                "-o",
                file.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("shard")).expect("json");
        assert_eq!(doc["schema"], "evident/shard/v1");
        files.push(file.to_str().expect("utf-8").to_owned());
    }
    let mut args = vec!["merge", "--config", config, "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let merged = json_of(&evident_in(dir.path(), &args));
    assert_valid(&merged);
    assert_eq!(verdicts(&single), verdicts(&merged));

    // A merge without every shard would judge part of the estate as the whole: refused.
    let mut partial = vec!["merge", "--config", config];
    partial.extend(files.iter().skip(1).map(String::as_str));
    let out = evident_in(dir.path(), &partial);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("0/4") && stderr.contains("missing"),
        "{stderr}"
    );
}

#[test]
fn a_shard_without_collect_only_is_a_usage_error() {
    let (dir, config) = estate();
    let out = evident_in(
        dir.path(),
        &[
            "scan",
            "--config",
            config.to_str().expect("utf-8"),
            "--shard",
            "0/2",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}
