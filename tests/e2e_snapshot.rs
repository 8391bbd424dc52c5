//! Replayable scans (docs/snapshot.md): `scan --snapshot DIR`, `evident replay DIR`,
//! `bundle --snapshot DIR` and `verify --replay`, run through the built binary.
//!
//! What may differ between a recorded and a replayed result is exactly
//! `evident_scan::replay::MAY_DIFFER` (scan.id, scan.started_at, scan.finished_at): these
//! tests compare the two JSON documents with only those removed.

mod support;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{Repo, evident};

/// The fields a replay writes anew.
const MAY_DIFFER: &[&str] = &["id", "started_at", "finished_at"];

const WORKFLOW: &str = "name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo test --workspace
";

const MANIFEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: registry.acme.example/web:1.2.3
          readinessProbe:
            httpGet: {path: /healthz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
";

const ATTESTATION: &str = "attestations:\n  - criterion: ds.process.agile\n    who: Jane Doe <jane@example.com>\n    when: 2026-09-01\n    why: Two-week iterations with reviews\n";

fn web() -> Repo {
    let repo = Repo::new("web");
    repo.write(".github/workflows/ci.yaml", WORKFLOW)
        .write("k8s/web.yaml", MANIFEST)
        .write(".evident/attestations.yaml", ATTESTATION);
    repo.commit("web");
    repo
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// The result without the fields a replay writes anew.
fn comparable(mut v: Value) -> Value {
    if let Some(scan) = v.get_mut("scan").and_then(Value::as_object_mut) {
        for f in MAY_DIFFER {
            scan.remove(*f);
        }
    }
    v
}

/// Every file under `dir`, as (path, bytes).
fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path, bytes));
            }
        }
    }
    out
}

/// Records a scan of `repo` into `snap`, writing the result to `out`.
fn record(repo: &Path, snap: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        s(repo),
        "--no-cache",
        "--format",
        "json",
        "-o",
        s(out),
        "--snapshot",
        s(snap),
    ];
    args.extend_from_slice(extra);
    let run = evident(&args);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("snapshot: "), "{stderr}");
    assert!(stderr.contains(" answers, "), "{stderr}");
    assert!(stderr.contains(" new blobs, "), "{stderr}");
    run
}

/// (a) A repository scan replays from its snapshot alone, the repository deleted:
/// identical but for the documented fields, and the replay says so (exit 0).
#[test]
fn a_repository_scan_replays_identically_after_the_repository_is_deleted() {
    let repo = web();
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let recorded = work.path().join("scan.json");
    record(&repo.path(), &snap, &recorded, &[]);
    let recorded_json = read_json(&recorded);
    let run = recorded_json["scan"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        std::fs::read(&recorded).expect("scan.json"),
        std::fs::read(snap.join("runs").join(&run).join("scan.json")).expect("run scan.json"),
        "the run keeps the exact bytes the scan wrote"
    );
    let meta = read_json(&snap.join("runs").join(&run).join("run.json"));
    assert_eq!(meta["run"], run.as_str());
    assert!(meta["plan"]["repositories"][0].as_str().is_some(), "{meta}");

    std::fs::remove_dir_all(repo.path()).expect("delete the repository");
    let replayed = work.path().join("replayed.json");
    let out = evident(&["replay", s(&snap), "--format", "json", "-o", s(&replayed)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "replayed run {run}: identical to the recorded scan (except scan.id, scan.started_at, scan.finished_at)"
        )),
        "{stderr}"
    );
    let replayed_json = read_json(&replayed);
    assert_ne!(replayed_json["scan"]["id"], recorded_json["scan"]["id"]);
    assert_eq!(comparable(replayed_json), comparable(recorded_json));
}

/// A snapshot that cannot be read is exit 2 with what is wrong: no run, an unknown run,
/// a damaged index, a plan this evident cannot read. Nothing is judged.
#[test]
fn an_unreadable_snapshot_exits_2_saying_why() {
    let repo = web();
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let scan = work.path().join("scan.json");
    record(&repo.path(), &snap, &scan, &[]);
    let run = read_json(&scan)["scan"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let expect_2 = |args: &[&str], says: &str| {
        let out = evident(args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{says}: {}",
            text(&out)
        );
        assert!(out.stdout.is_empty(), "nothing judged: {}", text(&out));
    };
    expect_2(
        &["replay", s(&work.path().join("nothing-here"))],
        "no recorded run",
    );
    expect_2(
        &["replay", s(&snap), "--run", "no-such-run"],
        "no recorded run named no-such-run",
    );
    let run_json = snap.join("runs").join(&run).join("run.json");
    let mut meta = read_json(&run_json);
    meta["plan"] = serde_json::json!({"repositories": 5});
    std::fs::write(&run_json, meta.to_string()).expect("write");
    expect_2(
        &["replay", s(&snap)],
        "the recorded plan is not one this evident reads",
    );
    std::fs::write(snap.join("runs").join(&run).join("index.json"), "{").expect("write");
    expect_2(
        &["replay", s(&snap)],
        "not a snapshot file this evident can read",
    );
}

/// The example policy with another registry: the same estate, a stricter rule.
fn stricter_policy(dir: &Path) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies/example");
    let out = dir.join("stricter");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::copy(example.join("model.yaml"), out.join("model.yaml")).expect("copy model");
    let rego = std::fs::read_to_string(example.join("owned-images.rego")).expect("rego");
    let changed = rego.replace(
        "registry := \"registry.acme.example\"",
        "registry := \"registry.other.example\"",
    );
    assert_ne!(rego, changed, "the fixture's registry line moved");
    std::fs::write(out.join("owned-images.rego"), changed).expect("write rego");
    out
}

/// (b) `replay --policy`: last night's estate under a changed rule; the message names
/// each verdict that differs, with both statuses, and exits 1.
#[test]
fn a_policy_given_at_replay_names_the_verdicts_that_differ() {
    let repo = web();
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies/example");
    let recorded = work.path().join("scan.json");
    record(
        &repo.path(),
        &snap,
        &recorded,
        &["--policy", s(&example), "--model", "acme-platform"],
    );
    let stricter = stricter_policy(work.path());
    let out = evident(&[
        "replay",
        s(&snap),
        "--policy",
        s(&stricter),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "re-judged with evident {v} and --policy {} (recorded with {v}): 1 verdicts differ from the recorded scan",
            stricter.display(),
            v = env!("CARGO_PKG_VERSION")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("  web acme.platform.owned-images (acme-platform): met -> not_met"),
        "{stderr}"
    );
    let replayed: Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(replayed["results"][0]["status"], "not_met", "{replayed}");

    let same = evident(&["replay", s(&snap), "--policy", s(&example)]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
}

/// The rules travel with the snapshot: a replay judges with the policy files as they were
/// read, although the directory now holds a stricter rule (and then none at all); only
/// `--policy` makes it read the directory again.
#[test]
fn a_replay_judges_with_the_recorded_policy_files_not_todays() {
    let repo = web();
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let stricter = stricter_policy(work.path());
    let rules = work.path().join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies/example");
    for file in ["model.yaml", "owned-images.rego"] {
        std::fs::copy(example.join(file), rules.join(file)).expect("copy policy");
    }
    let recorded = work.path().join("scan.json");
    record(
        &repo.path(),
        &snap,
        &recorded,
        &["--policy", s(&rules), "--model", "acme-platform"],
    );
    let kept = walk_text(&snap);
    assert!(
        kept.contains("registry.acme.example"),
        "the rule's text is in the snapshot"
    );

    // The directory now holds the stricter rule.
    std::fs::copy(
        stricter.join("owned-images.rego"),
        rules.join("owned-images.rego"),
    )
    .expect("overwrite rule");
    let same = evident(&["replay", s(&snap)]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(
        String::from_utf8_lossy(&same.stderr).contains("identical to the recorded scan"),
        "{}",
        text(&same)
    );
    let rejudged = evident(&["replay", s(&snap), "--policy", s(&rules)]);
    assert_eq!(rejudged.status.code(), Some(1), "{}", text(&rejudged));
    assert!(
        String::from_utf8_lossy(&rejudged.stderr)
            .contains("web acme.platform.owned-images (acme-platform): met -> not_met"),
        "{}",
        text(&rejudged)
    );

    // And gone altogether.
    std::fs::remove_dir_all(&rules).expect("remove rules");
    let gone = evident(&["replay", s(&snap)]);
    assert_eq!(gone.status.code(), Some(0), "{}", text(&gone));
}

/// Every file under `dir`, as text, concatenated.
fn walk_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.push_str(&walk_text(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

/// Replaces `from` by `to` in every file of a gzip tar, keeping the rest.
fn tamper_bundle(bundle: &[u8], only_under: &str, from: &str, to: &str) -> (Vec<u8>, usize) {
    use std::io::Read as _;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bundle));
    let mut files = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        files.push((path, bytes));
    }
    let mut changed = 0;
    for (path, bytes) in &mut files {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if path.starts_with(only_under) && text.contains(from) {
            *bytes = text.replace(from, to).into_bytes();
            changed += 1;
        }
    }
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, bytes.as_slice())
            .expect("append");
    }
    let bytes = tar.into_inner().expect("tar").finish().expect("gzip");
    (bytes, changed)
}

/// (c) `bundle --snapshot` + `verify --replay` passes; a blob of the bundled snapshot
/// altered makes `verify --replay` name the digest mismatch, the altered blob and the
/// verdicts that no longer follow.
#[test]
fn a_bundled_snapshot_replays_and_an_altered_blob_is_named_with_its_verdicts() {
    let repo = web();
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let scan = work.path().join("scan.json");
    record(&repo.path(), &snap, &scan, &[]);
    let key = work.path().join("key.pem");
    let keygen = evident(&["keygen", "-o", s(&key)]);
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen));
    let public = work.path().join("key.pem.pub");
    let bundle = work.path().join("bundle.tar.gz");
    let made = evident(&[
        "bundle",
        s(&scan),
        "--sign",
        s(&key),
        "-o",
        s(&bundle),
        "--snapshot",
        s(&snap),
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    assert!(text(&made).contains("a snapshot of"), "{}", text(&made));
    std::fs::remove_dir_all(repo.path()).expect("delete the repository");

    let ok = evident(&["verify", s(&bundle), "--key", s(&public), "--replay"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("every verdict of scan.json follows from the snapshot"),
        "{}",
        text(&ok)
    );

    // The attestation as recorded, made to attest another criterion.
    let (tampered, changed) = tamper_bundle(
        &std::fs::read(&bundle).expect("bundle"),
        "snapshot/blobs/",
        "criterion: ds.process.agile",
        "criterion: ds.process.self-organized",
    );
    assert!(changed > 0, "no blob holds the attestation");
    let bad_bundle = work.path().join("tampered.tar.gz");
    std::fs::write(&bad_bundle, tampered).expect("write");
    let bad = evident(&["verify", s(&bad_bundle), "--key", s(&public), "--replay"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let t = text(&bad);
    assert!(t.contains("changed: snapshot/blobs/"), "{t}");
    assert!(t.contains("altered blob "), "{t}");
    assert!(
        t.contains("verdicts of scan.json do not follow from the snapshot"),
        "{t}"
    );
    assert!(
        t.contains("ds.process.agile (distributed-systems): attested -> "),
        "{t}"
    );
}

/// A well-formed answer for the Prometheus and Grafana paths the probes ask, `echo` in
/// its names and labels; an empty object elsewhere. (Bodies a probe fails to parse carry
/// no echo: a parse error's column is counted in the body as read, which redaction
/// shortens, so such a message would differ between the scan and its replay.)
fn answer(path: &str, echo: &str) -> Value {
    use serde_json::json;
    let metric = json!({"job": echo, "service": echo, "__name__": "up"});
    match path {
        "/api/v1/targets" => json!({"status": "success", "data": {"activeTargets": [
            {"labels": {"job": echo, "instance": "127.0.0.1:9"}, "discoveredLabels": {}, "scrapePool": echo,
             "scrapeUrl": "http://127.0.0.1:9/metrics", "health": "up", "lastError": echo}
        ], "droppedTargets": []}}),
        "/api/v1/query" => json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": metric, "value": [1_700_000_000, "1"]}]}}),
        "/api/v1/query_range" => json!({"status": "success", "data": {"resultType": "matrix",
            "result": [{"metric": metric, "values": [[1_700_000_000, "1"]]}]}}),
        "/api/v1/rules" => json!({"status": "success", "data": {"groups": []}}),
        "/api/v1/alerts" => json!({"status": "success", "data": {"alerts": []}}),
        p if p.starts_with("/api/v1/label/") => json!({"status": "success", "data": ["up"]}),
        "/api/search" => json!([]),
        _ => json!({}),
    }
}

/// A fake HTTP server that answers every request with [`answer`], echoing the
/// `Authorization` header it got and `echo`; counts the connections it accepts.
fn echo_server(rt: &tokio::runtime::Runtime, echo: String) -> (u16, Arc<AtomicUsize>) {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let echo = echo.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let body = answer(req.uri().path(), &format!("{echo} {auth}"));
                    let header = format!("{echo} {auth}");
                    async move {
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .header("x-echo", header)
                                .body(Full::new(Bytes::from(body.to_string())))
                                .expect("response"),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, connections)
}

const TOKEN: &str = "cnrySnapTok8K2q";
const PASSWORD: &str = "cnrySnapPass3V9x";

/// (d) A token given through the environment and a URL password, both echoed back by
/// the server in bodies and headers, reach no file of the snapshot (nor their base64
/// forms). (e) The replay then opens no connection to any configured server.
#[test]
fn secrets_reach_no_snapshot_file_and_a_replay_opens_no_connection() {
    use base64::Engine as _;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (port, connections) = echo_server(&rt, format!("{TOKEN} {PASSWORD}"));
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let scan = work.path().join("scan.json");
    let prometheus = format!("http://svc-snap:{PASSWORD}@127.0.0.1:{port}");
    let grafana = format!("http://127.0.0.1:{port}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evident"))
        .args([
            "scan",
            "--prometheus",
            &prometheus,
            "--grafana",
            &grafana,
            "--format",
            "json",
            "-o",
            s(&scan),
            "--snapshot",
            s(&snap),
        ])
        .env("EVIDENT_GRAFANA_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the scan read the server"
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let forms = [
        TOKEN.to_owned(),
        PASSWORD.to_owned(),
        b64.encode(format!("svc-snap:{PASSWORD}")),
    ];
    let files = walk(&snap);
    assert!(
        files
            .iter()
            .any(|(path, bytes)| path.to_string_lossy().contains("blobs")
                && String::from_utf8_lossy(bytes).contains("[redacted]")),
        "the echoed secrets were recorded, redacted"
    );
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "{} holds {form}: {text}",
                path.display()
            );
        }
    }

    let before = connections.load(Ordering::SeqCst);
    let replayed = work.path().join("replayed.json");
    let out = evident(&["replay", s(&snap), "--format", "json", "-o", s(&replayed)]);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        before,
        "a replay opens no connection: {}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        comparable(read_json(&replayed)),
        comparable(read_json(&scan))
    );

    // The server gone, its port closed: the replay is the same.
    drop(rt);
    let again = evident(&["replay", s(&snap), "--format", "json", "-o", s(&replayed)]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(
        comparable(read_json(&replayed)),
        comparable(read_json(&scan))
    );
}

/// A `--github` scan (listing, GraphQL, REST, clones through git) replays identically
/// with the clone cache deleted, sending the mock no request; the token is in no file.
#[test]
fn a_github_scan_replays_without_github_or_its_clones() {
    use support::github::{TOKEN, repo, run};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let git = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let org = evident_github_mock::Org::new("acme").with_repo(repo(
        git.path(),
        "shop",
        &[
            (".github/workflows/ci.yaml", WORKFLOW),
            ("k8s/web.yaml", MANIFEST),
        ],
    ));
    let gh = rt
        .block_on(
            evident_github_mock::MockGithub::builder()
                .org(org)
                .token(TOKEN, true)
                .start(),
        )
        .expect("mock");
    let work = tempfile::tempdir().expect("tempdir");
    let snap = work.path().join("snap");
    let scan = work.path().join("scan.json");
    let out = run(
        cache.path(),
        &[
            "scan",
            "--github",
            "acme",
            "--github-url",
            gh.url(),
            "--format",
            "json",
            "-o",
            s(&scan),
            "--snapshot",
            s(&snap),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (path, bytes) in walk(&snap) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "{} holds the token",
            path.display()
        );
    }
    let asked = gh.stats().requests;
    std::fs::remove_dir_all(cache.path()).expect("delete the clones");
    let replayed = work.path().join("replayed.json");
    let out = evident(&["replay", s(&snap), "--format", "json", "-o", s(&replayed)]);
    assert_eq!(gh.stats().requests, asked, "a replay asks GitHub nothing");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("identical to the recorded scan"),
        "{}",
        text(&out)
    );
    assert_eq!(
        comparable(read_json(&replayed)),
        comparable(read_json(&scan))
    );
}

/// A cluster dump scan replays identically after the dump file is deleted.
#[test]
fn a_cluster_dump_scan_replays_after_the_dump_is_deleted() {
    let work = tempfile::tempdir().expect("tempdir");
    let dump = work.path().join("prod.json");
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "7", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "app",
                        "image": "registry.acme.example/web:1.2.3",
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}
                    }]}
                }
            }
        }]
    });
    std::fs::write(&dump, list.to_string()).expect("write dump");
    let snap = work.path().join("snap");
    let scan = work.path().join("scan.json");
    let out = evident(&[
        "scan",
        "--kube-dump",
        s(&dump),
        "--format",
        "json",
        "-o",
        s(&scan),
        "--snapshot",
        s(&snap),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::remove_file(&dump).expect("delete the dump");
    let replayed = work.path().join("replayed.json");
    let out = evident(&["replay", s(&snap), "--format", "json", "-o", s(&replayed)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        comparable(read_json(&replayed)),
        comparable(read_json(&scan))
    );
}
