//! The history store end to end: `scan --store` twice with a change between, then
//! `history` and `diff` read it back. The stored bytes equal what `--format json` wrote,
//! and `diff` names exactly what the change did (and exits 1 on it, for CI gates).

mod support;

use serde_json::Value;
use support::{Repo, evident};

const WITH_PROBES: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /live, port: 8080}
";

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = evident(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stored_json(location: &str, id: &str) -> Option<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = evident_store::Store::open(location).await.expect("open");
        store.load_json(id).await.expect("load")
    })
}

#[test]
fn two_scans_with_a_change_between_diff_to_exactly_that_change() {
    let repo = Repo::new("shop");
    repo.write("k8s/api.yaml", WITH_PROBES);
    repo.commit("with probes");
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("history/evident.db");
    let store = store.to_str().expect("utf-8");
    let (a, b) = (work.path().join("a.json"), work.path().join("b.json"));
    let path = repo.path();
    let path = path.to_str().expect("utf-8");
    for (file, keep) in [(&a, "5"), (&b, "5")] {
        if file == &b {
            repo.write(
                "k8s/api.yaml",
                WITH_PROBES.replace("readinessProbe", "x-ready"),
            );
            repo.commit("probes dropped");
        }
        let file = file.to_str().expect("utf-8");
        let (code, _, err) = run(&[
            "scan",
            path,
            "--format",
            "json",
            "-o",
            file,
            "--store",
            store,
            "--keep-last",
            keep,
        ]);
        assert_eq!(code, Some(0), "{err}");
    }
    let b_text = std::fs::read_to_string(&b).expect("read b");
    let b_doc: Value = serde_json::from_str(&b_text).expect("json");
    let b_id = b_doc["scan"]["id"].as_str().expect("id");
    assert_eq!(
        stored_json(store, b_id).as_deref(),
        Some(b_text.as_str()),
        "the store keeps the bytes --format json wrote"
    );

    let (code, out, err) = run(&[
        "diff", "previous", "latest", "--store", store, "--format", "json",
    ]);
    assert_eq!(code, Some(1), "a regression fails the gate: {err}");
    let diff: Value = serde_json::from_str(&out).expect("diff json");
    assert_eq!(diff["schema"], "evident/scan-diff/v1");
    let regressions = diff["regressions"].as_array().expect("regressions");
    // Dropping the readiness probe is what changed: the criteria that read probes, and
    // nothing else, fell from met to not_met.
    let fell: Vec<&str> = regressions
        .iter()
        .filter_map(|r| r["criterion"].as_str())
        .collect();
    assert_eq!(
        fell,
        [
            "ds.arch.stateless",
            "ds.devops.health-checks",
            "ds.devops.zero-downtime"
        ],
        "exactly the change: {out}"
    );
    for r in regressions {
        assert_eq!(r["service"], "api");
        assert_eq!(
            (r["before"].as_str(), r["after"].as_str()),
            (Some("met"), Some("not_met"))
        );
        assert!(
            r["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "the reason after: {r}"
        );
    }
    assert!(
        diff["improvements"].as_array().is_some_and(Vec::is_empty),
        "{out}"
    );

    // The same comparison from the files gives the same answer.
    let (code, from_files, _) = run(&[
        "diff",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(from_files, out);
    let (code, table, _) = run(&["diff", "previous", "latest", "--store", store]);
    assert_eq!(code, Some(1));
    assert!(table.contains("regressions (3):"), "{table}");
    assert!(
        table.contains("ds.devops.health-checks  met -> not_met"),
        "{table}"
    );
    let (code, same, _) = run(&["diff", "latest", "latest", "--store", store]);
    assert_eq!(code, Some(0), "{same}");

    let (code, out, err) = run(&[
        "history",
        "api",
        "--criterion",
        "ds.devops.health-checks",
        "--store",
        store,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let history: Value = serde_json::from_str(&out).expect("history json");
    let statuses: Vec<&str> = history["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["verdicts"][0]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["met", "not_met"]);
    let (code, table, _) = run(&["history", "api", "--store", store]);
    assert_eq!(code, Some(0));
    assert!(table.contains("2 scans, oldest first"), "{table}");
}

#[test]
fn diff_without_a_store_or_file_is_a_usage_error() {
    let (code, _, err) = run(&["diff", "latest", "previous"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no --store"), "{err}");
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("empty.db");
    let (code, _, err) = run(&[
        "diff",
        "latest",
        "previous",
        "--store",
        store.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no scan \"latest\""), "{err}");
    let (code, _, _) = run(&["scan", ".", "--keep-last", "0", "--store", "x.db"]);
    assert_eq!(
        code,
        Some(2),
        "--keep-last 0 would delete the scan just saved"
    );
}

#[test]
fn a_store_password_never_shows() {
    let (code, _, err) = run(&[
        "history",
        "api",
        "--store",
        "postgres://evident:s3cret-pw@127.0.0.1:1/db",
    ]);
    assert_eq!(code, Some(2));
    assert!(!err.contains("s3cret-pw"), "{err}");
    let out = evident(&["history", "--help"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}
