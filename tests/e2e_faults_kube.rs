//! The fault matrix, Kubernetes part: the built binary scans the Online Boutique
//! repository beside a live cluster served on 127.0.0.1 that misbehaves one way at a time,
//! on one endpoint (Deployments) and on every endpoint (discovery included), and a dump
//! that is damaged one way at a time.
//!
//! For every cell: the scan exits 0, and every verdict is identical to the fault-free run
//! except verdicts of criteria reading Kubernetes, which become `unknown` with the reason
//! the fault deserves (compared as data, row by row). A fault that only slows or bloats
//! an answer changes nothing.

#[path = "../probes/kubernetes/tests/support/mod.rs"]
mod kube_support;
mod support;

use kube_support::{Fault, State};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const REPO: &str = "../../../shared/corpus/online-boutique";

fn repo() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(REPO);
    assert!(p.is_dir(), "the shared corpus is missing: {}", p.display());
    p
}

fn kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: shop\n  cluster:\n    server: {server}\n\
         contexts:\n- name: shop\n  context:\n    cluster: shop\n    user: reader\n\
         current-context: shop\nusers:\n- name: reader\n  user: {{}}\n"
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

/// One verdict as the diff compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    status: String,
    reason: String,
    summary: String,
    missing: String,
}

/// What one scan gave: exit code, the sources that were not ok, the verdicts by
/// `model criterion service`.
struct Scan {
    code: i32,
    sources_not_ok: Vec<String>,
    rows: BTreeMap<String, Row>,
    unreadable: usize,
    /// Service id → where it was resolved from (`repository`, `cluster`, ...).
    services: BTreeMap<String, String>,
    /// Peak RSS of the scan in KiB, when GNU time is there to measure it (reported in the
    /// table, never asserted: figures are not tests).
    max_rss_kib: Option<u64>,
}

fn scan(args: &[&str], kubeconfig: Option<&Path>) -> Scan {
    let cwd = tempfile::tempdir().expect("tempdir");
    let gnu_time = Path::new("/usr/bin/time");
    let rss_file = cwd.path().join("rss");
    let mut cmd = if gnu_time.is_file() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file);
        c.arg(env!("CARGO_BIN_EXE_evident"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_evident"))
    };
    cmd.args(args)
        // The corpus is a plain directory, not a repository: read as it is on disk.
        .args(["--format", "json", "--no-cache", "--worktree"])
        .current_dir(cwd.path())
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    match kubeconfig {
        Some(k) => cmd.env("KUBECONFIG", k),
        None => cmd.env_remove("KUBECONFIG"),
    };
    let out = cmd.output().expect("run evident");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let rows = result["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                format!(
                    "{} {} {}",
                    text(r, "model"),
                    text(r, "criterion"),
                    text(r, "service")
                ),
                Row {
                    status: text(r, "status"),
                    reason: text(r, "reason"),
                    summary: text(r, "summary"),
                    missing: r["missing"].to_string(),
                },
            )
        })
        .collect();
    let sources_not_ok = result["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["status"] != "ok" && s["status"] != "not_configured")
        .map(|s| {
            format!(
                "{} {}: {}",
                text(s, "probe"),
                text(s, "status"),
                text(s, "detail")
            )
        })
        .collect();
    let services = result["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (text(s, "id"), text(s, "resolved_from")))
        .collect();
    let max_rss_kib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|t| t.trim().lines().last().and_then(|l| l.trim().parse().ok()));
    Scan {
        max_rss_kib,
        services,
        code: out.status.code().unwrap_or(-1),
        sources_not_ok,
        rows,
        unreadable: result["unreadable"].as_array().map_or(0, Vec::len),
    }
}

/// The rows that differ from the fault-free run; each must be an `unknown` of a
/// criterion reading Kubernetes with one of the `reasons`. Returns how many changed.
fn assert_only_kubernetes_unknown(cell: &str, base: &Scan, got: &Scan, reasons: &[&str]) -> usize {
    assert_eq!(got.code, 0, "{cell}: exit code");
    // A service seen only in the cluster cannot be seen when the cluster cannot be read;
    // every other service stays, with every criterion.
    for (id, from) in &base.services {
        if !got.services.contains_key(id) {
            assert_eq!(from, "cluster", "{cell}: service {id} ({from}) vanished");
        }
    }
    assert!(
        got.services.keys().all(|id| base.services.contains_key(id)),
        "{cell}: a service appeared: {:?}",
        got.services
            .keys()
            .filter(|id| !base.services.contains_key(*id))
            .collect::<Vec<_>>()
    );
    let mut changed = 0;
    for (key, before) in &base.rows {
        let service = key.rsplit(' ').next().unwrap_or_default();
        let Some(after) = got.rows.get(key) else {
            assert!(
                !got.services.contains_key(service),
                "{cell}: {key} is no longer judged"
            );
            continue;
        };
        // Summaries of estate findings count the other services, some of which a
        // failed cluster hides: status and reason are what must not move.
        if after.status == before.status && after.reason == before.reason {
            continue;
        }
        changed += 1;
        assert_eq!(
            after.status, "unknown",
            "{cell}: {key} went {before:?} -> {after:?}"
        );
        assert!(
            reasons.contains(&after.reason.as_str()),
            "{cell}: {key} has reason {:?}, expected one of {reasons:?}: {}",
            after.reason,
            after.summary
        );
        assert!(
            after.missing.contains("kubernetes") || after.summary.contains("kubernetes"),
            "{cell}: {key} is unknown without naming kubernetes: {after:?}"
        );
        if after.reason == "partial" {
            assert!(
                matches!(before.status.as_str(), "not_met" | "not_applicable"),
                "{cell}: only a claim of absence becomes partial: {key} was {before:?}"
            );
        }
    }
    changed
}

fn cells() -> Vec<(&'static str, Fault, &'static [&'static str])> {
    vec![
        ("500", Fault::Internal, &["error"]),
        ("502 html", Fault::BadGatewayHtml, &["error"]),
        (
            "429 Retry-After 3600",
            Fault::TooManyRequests(Some(3600)),
            &["rate_limited"],
        ),
        (
            "429 without Retry-After",
            Fault::TooManyRequests(None),
            &["rate_limited"],
        ),
        ("401", Fault::Unauthorized, &["forbidden"]),
        ("403", Fault::Forbidden, &["forbidden"]),
        ("truncated JSON", Fault::TruncatedJson, &["error"]),
        ("200 error envelope", Fault::ErrorEnvelope, &["error"]),
        ("wrong shape", Fault::WrongShape, &["error"]),
        ("endless pagination", Fault::Endless, &["partial"]),
        ("timeout", Fault::Slow, &["timeout"]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_live_cluster_fault_on_one_endpoint_and_on_all_only_unknowns_kubernetes() {
    let repo = repo();
    let repo_arg = repo.to_str().expect("utf-8").to_owned();
    let objects = kube_support::cluster();
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |state: State, name: &str, timeout: &'static str| {
        let objects_dir = dir.path().join(name);
        let repo_arg = repo_arg.clone();
        async move {
            std::fs::create_dir_all(&objects_dir).expect("dir");
            let state = Arc::new(state);
            let addr = kube_support::start(Arc::clone(&state)).await;
            let config = kubeconfig(&objects_dir, &format!("http://{addr}"));
            let scanned = tokio::task::spawn_blocking(move || {
                scan(
                    &[
                        "scan",
                        &repo_arg,
                        "--kube-context",
                        "shop",
                        "--timeout",
                        timeout,
                        "--request-timeout",
                        "3",
                    ],
                    Some(&config),
                )
            })
            .await
            .expect("scan task");
            (scanned, state.requests().len())
        }
    };
    let (base, base_requests) = run(State::new(&objects), "base", "120").await;
    assert_eq!(base.code, 0);
    assert!(base.sources_not_ok.is_empty(), "{:?}", base.sources_not_ok);
    let mut table = vec![format!(
        "{:<28} {:<12} exit  changed  not-ok  requests  time  peak RSS",
        "cell", "scope"
    )];
    let rss = |s: &Scan| {
        s.max_rss_kib
            .map_or("-".to_owned(), |k| format!("{} MB", k / 1024))
    };
    for (name, fault, reasons) in cells() {
        for scope in ["deployments", "*"] {
            let mut state = State::new(&objects);
            state.faults.insert(scope.into(), fault);
            state.slow_for = Duration::from_secs(20);
            // Each request is bounded at 3 s: a slow answer times out its own resource
            // type (or discovery), never the whole probe.
            let timeout = "120";
            let started = std::time::Instant::now();
            let (got, requests) = run(
                state,
                &format!("{name}-{}", scope.replace('*', "all")),
                timeout,
            )
            .await;
            let took = started.elapsed();
            let cell = format!("{name} on {scope}");
            let changed = assert_only_kubernetes_unknown(&cell, &base, &got, reasons);
            assert!(changed > 0, "{cell}: the fault changed no verdict");
            table.push(format!(
                "{name:<28} {scope:<12} {:<5} {changed:<8} {:<7} {requests:<9} {:.1}s  {}",
                got.code,
                got.sources_not_ok.len(),
                took.as_secs_f32(),
                rss(&got)
            ));
        }
    }
    // A large answer (50 MB of managedFields) is read, reduced, and changes nothing.
    let mut state = State::new(&objects);
    state
        .faults
        .insert("deployments".into(), Fault::Huge(50 * 1024 * 1024));
    let (got, huge_requests) = run(state, "huge", "120").await;
    let changed = assert_only_kubernetes_unknown("50 MB body", &base, &got, &[]);
    assert_eq!(changed, 0, "a large answer is no fault");
    table.push(format!(
        "{:<28} {:<12} {:<5} {changed:<8} {:<7} {huge_requests:<9} -     {}",
        "50 MB body",
        "deployments",
        got.code,
        got.sources_not_ok.len(),
        rss(&got)
    ));
    table.push(format!(
        "{:<28} {:<12} {:<5} {:<8} {:<7} {base_requests:<9} -     {}",
        "fault-free",
        "-",
        base.code,
        0,
        0,
        rss(&base)
    ));
    eprintln!("{}", table.join("\n"));
}

#[test]
fn every_dump_fault_only_unknowns_kubernetes() {
    let repo = repo();
    let repo_arg = repo.to_str().expect("utf-8");
    let dump_src = repo.join("release/kubernetes-manifests.yaml");
    let text = std::fs::read_to_string(&dump_src).expect("read release manifests");
    let dir = tempfile::tempdir().expect("tempdir");
    // One file name in a directory per cell: the dump's name is its cluster's name.
    let write = |cell: &str, body: &str| {
        let d = dir.path().join(cell.replace(' ', "-"));
        std::fs::create_dir_all(&d).expect("dir");
        let p = d.join("shop.yaml");
        std::fs::write(&p, body).expect("write dump");
        p
    };
    let base_dump = write("base", &text);
    let run = |dump: &Path| {
        scan(
            &[
                "scan",
                repo_arg,
                "--kube-dump",
                dump.to_str().expect("utf-8"),
            ],
            None,
        )
    };
    let base = run(&base_dump);
    assert_eq!(base.code, 0);
    let junk = format!(
        "{text}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cartservice-canary\n  namespace: default\n\
         spec:\n  template:\n    spec:\n      containers: oops\n"
    );
    let truncated = &text[..text.len() / 2];
    let truncated = &truncated[..truncated.rfind("\n  ").unwrap_or(truncated.len())];
    let truncated = format!("{truncated}\n  - name: [unclosed");
    let scalar = format!("{text}\n---\njust a string\n");
    // 100,000 more objects (ConfigMaps in namespaces no service uses): read, reduced to
    // their keys, and no verdict moves.
    let mut many = text.clone();
    for i in 0..100_000 {
        many.push_str(&format!(
            "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}, namespace: bulk{}}}\ndata: {{k: v}}\n",
            i % 100
        ));
    }
    let got = run(&write("100k items", &many));
    assert_eq!(
        assert_only_kubernetes_unknown("100k items", &base, &got, &[]),
        0,
        "100k items change no verdict"
    );
    eprintln!(
        "dump cell 100k items: exit {}, peak RSS {:?} KiB",
        got.code, got.max_rss_kib
    );
    // A file that is no dump at all is the wrong file: refused before the scan (exit 2),
    // once, naming the file and what is wrong.
    for (name, body, what) in [
        ("truncated file", &truncated, "invalid YAML at line"),
        (
            "a document that is no object",
            &scalar,
            "is not a Kubernetes object",
        ),
    ] {
        let dump = write(name, body);
        let out = Command::new(env!("CARGO_BIN_EXE_evident"))
            .args(["scan", repo_arg, "--worktree", "--kube-dump"])
            .arg(&dump)
            .output()
            .expect("run evident");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: no result is written");
        assert!(
            stderr.contains(&dump.display().to_string()),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(what), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: said once: {stderr}");
    }
    let cells: Vec<(&str, String, &[&str])> = vec![("junk item", junk, &["partial"])];
    for (name, body, reasons) in cells {
        let got = run(&write(name, &body));
        let changed = assert_only_kubernetes_unknown(name, &base, &got, reasons);
        assert!(changed > 0, "{name}: the fault changed no verdict");
        if name == "junk item" {
            assert!(
                got.unreadable > base.unreadable,
                "{name}: the junk item is listed"
            );
        }
    }
}
