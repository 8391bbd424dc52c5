//! Recording a scan's Kubernetes reads into a snapshot and replaying them: live clusters
//! (the test API server on 127.0.0.1, then no server at all) and dumps (the file, then
//! no file) give the same probe output; failures replay as the same failures; a request
//! never recorded is a failed source; kubeconfig credentials never reach the snapshot.

mod support;

use evident_core::{Probe, ProbeOutput, Redactor, ScanContext, SourceStatus};
use evident_probe_kubernetes::{KubernetesProbe, ReadOptions, Target, credential_secrets};
use evident_snapshot::{RunMeta, Tape};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::State;

const OBSERVED_AT: &str = "2026-11-23T10:00:00Z";
const TOKEN: &str = "evident-canary-kubeconfig-token-7f3a9c";
const PASSWORD: &str = "evident-canary-kubeconfig-pw-2b8e";

fn ctx() -> ScanContext {
    ScanContext::new(vec![], OBSERVED_AT.into())
}

fn options() -> ReadOptions {
    ReadOptions {
        page_size: 7,
        request_timeout: Duration::from_secs(10),
        retries: 2,
        backoff: Duration::from_millis(10),
        max_list_restarts: 3,
        max_pages: 20,
    }
}

fn meta() -> RunMeta {
    RunMeta {
        schema: String::new(),
        run: "run1".into(),
        tool_version: "test".into(),
        observed_at: OBSERVED_AT.into(),
        plan: json!({}),
        scan_sha256: String::new(),
    }
}

/// The probe output as one JSON document, redacted as every output is.
fn shown(out: &ProbeOutput, redactor: &Redactor) -> Value {
    let mut v = json!({
        "facts": out.facts,
        "evidence": out.evidence,
        "sources": out.sources,
    });
    redactor.redact_json(&mut v);
    v
}

/// Collects `targets` recording into `dir`, then replays them from `dir` with the
/// targets `replay_targets` gives (pointing nowhere), and returns both outputs and how
/// long the replay took.
async fn round_trip(
    dir: &Path,
    targets: Vec<Target>,
    replay_targets: Vec<Target>,
    opts: ReadOptions,
    redactor: Arc<Redactor>,
) -> (ProbeOutput, ProbeOutput, Duration) {
    let tape = Tape::record(dir, redactor).expect("record");
    let recorded = KubernetesProbe::new(targets)
        .with_options(opts.clone())
        .with_tape(tape.clone())
        .collect(&ctx())
        .await;
    let errors = tape.finish(meta(), b"{}").expect("finish");
    assert!(errors.is_empty(), "{errors:?}");
    let (replay, _) = Tape::replay(dir, None).expect("replay");
    let started = Instant::now();
    let replayed = KubernetesProbe::new(replay_targets)
        .with_options(opts)
        .with_tape(replay)
        .collect(&ctx())
        .await;
    (recorded, replayed, started.elapsed())
}

/// A config for the test server, or for a closed port.
fn live(name: &str, config: kube::Config) -> Target {
    Target::Config {
        name: name.into(),
        config: Box::new(config),
    }
}

fn closed_port() -> kube::Config {
    kube::Config::new("http://127.0.0.1:1".parse().expect("url"))
}

fn index(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("runs/run1/index.json")).expect("index");
    serde_json::from_str(&text).expect("index json")
}

fn every_file(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.push_str(&every_file(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

#[tokio::test]
async fn a_dump_round_trips_without_its_file() {
    let snap = tempfile::tempdir().expect("tempdir");
    let files = tempfile::tempdir().expect("tempdir");
    // The Online Boutique release manifests (YAML, from the corpus) and the cluster the
    // other tests serve, as `kubectl get -A -o json` writes it.
    let yaml = files.path().join("boutique.yaml");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus/online-boutique/release/kubernetes-manifests.yaml"
        ),
        &yaml,
    )
    .expect("corpus manifests");
    let json_dump = files.path().join("prod.json");
    std::fs::write(&json_dump, support::dump(&support::cluster()).to_string()).expect("write");
    let targets = || {
        vec![
            Target::Dump {
                path: yaml.clone(),
                name: None,
            },
            Target::Dump {
                path: json_dump.clone(),
                name: None,
            },
        ]
    };
    let tape = Tape::record(snap.path(), Arc::new(Redactor::new())).expect("record");
    let recorded = KubernetesProbe::new(targets())
        .with_tape(tape.clone())
        .collect(&ctx())
        .await;
    tape.finish(meta(), b"{}").expect("finish");
    std::fs::remove_file(&yaml).expect("rm");
    std::fs::remove_file(&json_dump).expect("rm");
    let (replay, _) = Tape::replay(snap.path(), None).expect("replay");
    let replayed = KubernetesProbe::new(targets())
        .with_tape(replay)
        .collect(&ctx())
        .await;
    let redactor = Redactor::new();
    assert_eq!(shown(&recorded, &redactor), shown(&replayed, &redactor));
    let statuses: Vec<SourceStatus> = replayed.sources.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [SourceStatus::Ok, SourceStatus::Ok]);
    assert!(
        replayed.facts["workloads"]["prod/Deployment/default/frontend"].is_object(),
        "the JSON dump was judged from the snapshot"
    );
    assert!(replayed.facts["workloads"]["boutique/Deployment/default/frontend"].is_object());
    let entries = index(snap.path())["entries"].clone();
    let keys: Vec<(String, String)> = entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["source"].as_str().unwrap_or_default().to_owned(),
                e["request"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (
                "kubernetes:dump:boutique.yaml".to_owned(),
                "file:boutique.yaml".to_owned()
            ),
            (
                "kubernetes:dump:prod.json".to_owned(),
                "file:prod.json".to_owned()
            ),
        ],
        "keys name the file, never the machine's directory"
    );
}

#[tokio::test]
async fn an_unreadable_or_broken_dump_replays_as_the_same_error() {
    let snap = tempfile::tempdir().expect("tempdir");
    let files = tempfile::tempdir().expect("tempdir");
    let missing = files.path().join("missing.json");
    let not_json = files.path().join("notjson.json");
    std::fs::write(&not_json, "{\"kind\": \"List\", \"items\": [").expect("write");
    let binary = files.path().join("binary.json");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x7b]).expect("write");
    let targets: Vec<Target> = [&missing, &not_json, &binary]
        .into_iter()
        .map(|p: &PathBuf| Target::Dump {
            path: p.clone(),
            name: None,
        })
        .collect();
    let tape = Tape::record(snap.path(), Arc::new(Redactor::new())).expect("record");
    let recorded = KubernetesProbe::new(targets.clone())
        .with_tape(tape.clone())
        .collect(&ctx())
        .await;
    tape.finish(meta(), b"{}").expect("finish");
    std::fs::remove_file(&not_json).expect("rm");
    std::fs::remove_file(&binary).expect("rm");
    let (replay, _) = Tape::replay(snap.path(), None).expect("replay");
    let replayed = KubernetesProbe::new(targets)
        .with_tape(replay)
        .collect(&ctx())
        .await;
    let redactor = Redactor::new();
    assert_eq!(shown(&recorded, &redactor), shown(&replayed, &redactor));
    let details: Vec<(SourceStatus, String)> = replayed
        .sources
        .iter()
        .map(|s| (s.status, s.detail.clone().unwrap_or_default()))
        .collect();
    assert_eq!(details.len(), 3);
    assert!(details.iter().all(|(s, _)| *s == SourceStatus::Error));
    assert!(
        details[0].1.starts_with("cannot read ") && details[0].1.contains("missing.json"),
        "{details:?}"
    );
    assert!(
        details[1].1.contains("is not a Kubernetes List"),
        "{details:?}"
    );
    assert!(details[2].1.contains("valid UTF-8"), "{details:?}");
}

#[tokio::test]
async fn a_live_cluster_round_trips_with_no_server() {
    let state = Arc::new(State::new(&support::cluster()));
    if let Ok(mut s) = state.expire_once.lock() {
        s.insert("pods".into());
    }
    let addr = support::start(Arc::clone(&state)).await;
    let snap = tempfile::tempdir().expect("tempdir");
    let (recorded, replayed, _) = round_trip(
        snap.path(),
        vec![live("boutique", support::config(addr))],
        vec![live("boutique", closed_port())],
        options(),
        Arc::new(Redactor::new()),
    )
    .await;
    assert_eq!(recorded.sources[0].status, SourceStatus::Ok);
    let redactor = Redactor::new();
    assert_eq!(shown(&recorded, &redactor), shown(&replayed, &redactor));
    // The server URL shown is the recorded one, not the closed port replay was given.
    assert_eq!(
        replayed.facts["clusters"]["boutique"]["source"],
        format!("http://{addr}/")
    );
    assert_eq!(
        replayed.facts["clusters"]["boutique"]["resources"]["pods"]["restarts"],
        1
    );
    let entries = index(snap.path())["entries"].clone();
    let has =
        |request: &str| {
            entries.as_array().into_iter().flatten().any(|e| {
                e["source"] == "kubernetes:boutique" && e["request"].as_str() == Some(request)
            })
        };
    assert!(has("value:context"));
    assert!(has("GET /apis as=APIGroupDiscoveryList"), "{entries}");
    let pods_410 = entries.as_array().into_iter().flatten().any(|e| {
        e["request"]
            .as_str()
            .is_some_and(|r| r.starts_with("GET /api/v1/pods?") && r.contains("continue="))
            && e["outcome"]["status"] == 410
    });
    assert!(pods_410, "the expired continue token is recorded");
}

#[tokio::test]
async fn failures_replay_as_the_same_failures_without_waiting() {
    let mut state = State::new(&support::cluster());
    state.forbidden.insert("pods".into());
    state.slow.insert("ingresses".into());
    state.rate_limited.insert("jobs".into(), Some(3600));
    state.rate_limited.insert("cronjobs".into(), None);
    if let Ok(mut s) = state.fail_once.lock() {
        s.insert("services".into());
    }
    if let Ok(mut s) = state.expire_once.lock() {
        s.insert("deployments".into());
    }
    let state = Arc::new(state);
    let addr = support::start(Arc::clone(&state)).await;
    let mut slow = State::new(&support::cluster());
    slow.faults.insert("*".into(), support::Fault::Slow);
    let slow_addr = support::start(Arc::new(slow)).await;
    let opts = ReadOptions {
        request_timeout: Duration::from_millis(400),
        backoff: Duration::from_millis(200),
        ..options()
    };
    let snap = tempfile::tempdir().expect("tempdir");
    let (recorded, replayed, took) = round_trip(
        snap.path(),
        vec![
            live("prod", support::config(addr)),
            live("stuck", support::config(slow_addr)),
            live("gone", closed_port()),
            Target::Context("evident-test-no-such-context".into()),
        ],
        vec![
            live("prod", closed_port()),
            live("stuck", closed_port()),
            live("gone", closed_port()),
            Target::Context("evident-test-no-such-context".into()),
        ],
        opts,
        Arc::new(Redactor::new()),
    )
    .await;
    let redactor = Redactor::new();
    assert_eq!(shown(&recorded, &redactor), shown(&replayed, &redactor));
    let resources = &replayed.facts["clusters"]["prod"]["resources"];
    assert_eq!(resources["pods"]["status"], "forbidden", "{resources}");
    assert_eq!(
        resources["networking.k8s.io/ingresses"]["status"],
        "timeout"
    );
    assert_eq!(resources["batch/jobs"]["status"], "rate_limited");
    assert_eq!(resources["batch/cronjobs"]["status"], "rate_limited");
    assert_eq!(resources["services"]["status"], "read");
    assert_eq!(resources["apps/deployments"]["restarts"], 1);
    let statuses: Vec<SourceStatus> = replayed.sources.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            SourceStatus::Ok,
            SourceStatus::Timeout,
            SourceStatus::Error,
            SourceStatus::NotConfigured
        ],
        "{:?}",
        replayed.sources
    );
    let stuck = replayed.sources[1].detail.clone().unwrap_or_default();
    assert!(stuck.contains("did not answer within"), "{stuck}");
    // Neither the timeouts nor the retries' backoff are waited out again.
    assert!(took < Duration::from_millis(400), "replay took {took:?}");
}

#[tokio::test]
async fn kubeconfig_credentials_never_enter_the_snapshot() {
    let mut state = State::new(&support::cluster());
    state.echo_authorization = true;
    state.forbidden.insert("pods".into());
    let addr = support::start(Arc::new(state)).await;
    let config = |url: String| {
        let mut config = kube::Config::new(url.parse().expect("url"));
        config.auth_info = serde_json::from_value(json!({"token": TOKEN})).expect("auth");
        config
    };
    let mut basic = kube::Config::new(format!("http://{addr}").parse().expect("url"));
    basic.auth_info =
        serde_json::from_value(json!({"username": "alice", "password": PASSWORD})).expect("auth");
    let targets = vec![
        live("bearer", config(format!("http://{addr}"))),
        live("basic", basic),
    ];
    // The redactor a scan builds knows the targets' credentials (ScanPlan::secrets).
    let redactor = Arc::new(Redactor::new().with_secrets(credential_secrets(&targets)));
    let snap = tempfile::tempdir().expect("tempdir");
    let (recorded, replayed, _) = round_trip(
        snap.path(),
        targets,
        vec![live("bearer", closed_port()), live("basic", closed_port())],
        options(),
        Arc::clone(&redactor),
    )
    .await;
    // The server did echo them: the recorded read saw the token.
    let seen = format!("{:?}", recorded.sources);
    assert!(seen.contains(TOKEN), "the fake server echoes the token");
    let everything = every_file(snap.path());
    assert!(!everything.contains(TOKEN), "token in the snapshot");
    assert!(!everything.contains(PASSWORD), "password in the snapshot");
    use base64::Engine as _;
    let basic_b64 = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    assert!(
        !everything.contains(&basic_b64),
        "basic credentials in the snapshot"
    );
    assert_eq!(shown(&recorded, &redactor), shown(&replayed, &redactor));
}

#[tokio::test]
async fn a_request_never_recorded_is_a_failed_source_not_absence() {
    let addr = support::start(Arc::new(State::new(&support::cluster()))).await;
    let snap = tempfile::tempdir().expect("tempdir");
    let tape = Tape::record(snap.path(), Arc::new(Redactor::new())).expect("record");
    KubernetesProbe::new(vec![live("boutique", support::config(addr))])
        .with_options(options())
        .with_tape(tape.clone())
        .collect(&ctx())
        .await;
    tape.finish(meta(), b"{}").expect("finish");

    // Pages of another size: every list asks what was never recorded.
    let (replay, _) = Tape::replay(snap.path(), None).expect("replay");
    let out = KubernetesProbe::new(vec![live("boutique", closed_port())])
        .with_options(ReadOptions {
            page_size: 5,
            ..options()
        })
        .with_tape(replay)
        .collect(&ctx())
        .await;
    assert_eq!(
        out.sources[0].status,
        SourceStatus::Error,
        "{:?}",
        out.sources
    );
    let detail = out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("not in the snapshot"), "{detail}");
    let deployments = &out.facts["clusters"]["boutique"]["resources"]["apps/deployments"];
    assert_eq!(deployments["status"], "error", "{deployments}");
    assert!(
        out.facts["workloads"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "nothing is judged absent from answers never read"
    );

    // A cluster and a dump the recorded scan never read.
    let (replay, _) = Tape::replay(snap.path(), None).expect("replay");
    let out = KubernetesProbe::new(vec![
        live("staging", closed_port()),
        Target::Dump {
            path: PathBuf::from("/nowhere/never.json"),
            name: None,
        },
    ])
    .with_options(options())
    .with_tape(replay)
    .collect(&ctx())
    .await;
    for source in &out.sources {
        assert_eq!(source.status, SourceStatus::Error, "{source:?}");
        let detail = source.detail.clone().unwrap_or_default();
        assert!(detail.contains("not in the snapshot"), "{detail}");
    }
    assert_eq!(out.facts["unread"][0]["resource"], "*");
}

/// A server with one of each failure, fresh (its one-time faults not yet spent).
async fn faulty_server() -> std::net::SocketAddr {
    let mut state = State::new(&support::cluster());
    state.forbidden.insert("pods".into());
    state.slow.insert("ingresses".into());
    state.rate_limited.insert("cronjobs".into(), None);
    if let Ok(mut s) = state.fail_once.lock() {
        s.insert("services".into());
    }
    if let Ok(mut s) = state.expire_once.lock() {
        s.insert("deployments".into());
    }
    support::start(Arc::new(state)).await
}

#[tokio::test]
async fn recording_changes_nothing_the_probe_reports() {
    let opts = ReadOptions {
        request_timeout: Duration::from_millis(400),
        ..options()
    };
    let collect = |addr: std::net::SocketAddr, tape: Tape| {
        let opts = opts.clone();
        async move {
            KubernetesProbe::new(vec![
                live("prod", support::config(addr)),
                live("gone", closed_port()),
            ])
            .with_options(opts)
            .with_tape(tape)
            .collect(&ctx())
            .await
        }
    };
    let plain_addr = faulty_server().await;
    let plain = collect(plain_addr, Tape::off()).await;
    let snap = tempfile::tempdir().expect("tempdir");
    let tape = Tape::record(snap.path(), Arc::new(Redactor::new())).expect("record");
    let recorded_addr = faulty_server().await;
    let recorded = collect(recorded_addr, tape).await;
    let redactor = Redactor::new();
    let plain = shown(&plain, &redactor)
        .to_string()
        .replace(&plain_addr.to_string(), "ADDR");
    let recorded = shown(&recorded, &redactor)
        .to_string()
        .replace(&recorded_addr.to_string(), "ADDR");
    assert_eq!(plain, recorded);
    assert!(
        plain.contains("ServiceError"),
        "the transport failure is there: {plain}"
    );
}
