//! Replayable scans against the Opsgenie mock: a read recorded on a tape replays to the
//! same output with the mock stopped; a 500, a timeout and a retried 429 replay as they
//! happened; the key the mock echoes is in no file of the snapshot; a request the tape
//! never saw makes the account an error, never an empty account.

use evident_core::{Probe, ProbeOutput, Redactor, ScanContext, SourceStatus};
use evident_http::Retry;
use evident_oncall_mock::opsgenie::{KEY, OpsgenieApi, OpsgenieModel};
use evident_oncall_mock::{Fault, Faults, MockServer, RouteFault, replay};
use evident_probe_opsgenie::{OpsgenieConfig, OpsgenieProbe};
use evident_snapshot::Tape;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const NOW: &str = "2026-03-01T12:00:00Z";
const TOKEN: &str = KEY;

fn ctx() -> ScanContext {
    let mut c = ScanContext::new(vec![], NOW.into());
    c.redactor = Arc::new(Redactor::new().with_secret(TOKEN));
    c
}

fn config(url: &str) -> OpsgenieConfig {
    let mut c = OpsgenieConfig::none();
    c.api_url = Some(url.to_owned());
    c.token = Some(TOKEN.to_owned());
    c.request_timeout = Duration::from_millis(500);
    c.retry = Retry {
        attempts: 2,
        max_wait: Duration::from_secs(5),
    };
    c
}

fn written(out: &ProbeOutput) -> Value {
    replay::written(out, &ctx().redactor)
}

fn walk(dir: &Path) -> String {
    replay::snapshot_text(dir).expect("read the snapshot")
}

fn finish(tape: &Tape) {
    let errors = replay::finish(tape, NOW).expect("finish");
    assert!(errors.is_empty(), "{errors:?}");
}

/// Records a read of the mock with `faults`, stops the mock, replays the same plan;
/// returns both outputs as written and the snapshot's text.
async fn round_trip(faults: Faults) -> (Value, Value, String) {
    let model = OpsgenieModel::small(
        chrono::DateTime::parse_from_rfc3339(NOW)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
    );
    let server = MockServer::start(OpsgenieApi::new(model), faults)
        .await
        .expect("mock starts");
    let url = server.url().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let tape = Tape::record(dir.path(), ctx().redactor.clone()).expect("tape");
    let probe = OpsgenieProbe::new(config(&url)).with_tape(tape.clone());
    let recorded = probe.collect(&ctx()).await;
    finish(&tape);
    drop(server);

    let (replay, _) = Tape::replay(dir.path(), None).expect("replay");
    let again = OpsgenieProbe::new(config(&url)).with_tape(replay);
    let replayed = again.collect(&ctx()).await;
    assert_eq!(again.requests_sent(), probe.requests_sent());
    (written(&recorded), written(&replayed), walk(dir.path()))
}

fn part_status(out: &Value, part: &str) -> Value {
    out["sources"][0]["parts"][part]["status"].clone()
}

#[tokio::test]
async fn a_recorded_read_replays_the_same_with_the_mock_stopped() {
    let faults = Faults {
        echo_canary: true,
        ..Faults::default()
    };
    let (recorded, replayed, snapshot) = round_trip(faults).await;
    assert_eq!(
        recorded["sources"][0]["status"], "ok",
        "{}",
        recorded["sources"]
    );
    let services = &recorded["facts"]["services"];
    assert!(
        services.as_array().is_some_and(|a| a.len() == 2)
            || services.as_object().is_some_and(|o| o.len() == 2),
        "{}",
        recorded["facts"]
    );
    assert_eq!(recorded, replayed);
    assert!(!snapshot.contains(TOKEN), "the token reached the snapshot");
    assert!(
        snapshot.contains("[redacted]"),
        "the echo was kept, redacted"
    );
}

#[tokio::test]
async fn a_500_a_timeout_and_a_retried_429_replay_as_they_happened() {
    let faults = Faults {
        routes: vec![
            RouteFault::new("incidents", Fault::Status(500)),
            RouteFault::new("schedules", Fault::Hang { ms: 3_000 }),
            RouteFault::new(
                "services",
                Fault::RateLimited {
                    retry_after_secs: 0,
                },
            )
            .times(1),
        ],
        ..Faults::default()
    };
    let (recorded, replayed, _) = round_trip(faults).await;
    assert_eq!(
        part_status(&recorded, "incidents"),
        "error",
        "{}",
        recorded["sources"]
    );
    assert_eq!(
        part_status(&recorded, "schedules"),
        "timeout",
        "{}",
        recorded["sources"]
    );
    assert_eq!(
        part_status(&recorded, "services"),
        "ok",
        "{}",
        recorded["sources"]
    );
    assert_eq!(recorded, replayed);
}

#[tokio::test]
async fn a_request_never_recorded_fails_the_account_never_empties_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    finish(&Tape::record(dir.path(), ctx().redactor.clone()).expect("tape"));
    let (replay, _) = Tape::replay(dir.path(), None).expect("replay");
    let out = OpsgenieProbe::new(config("http://127.0.0.1:1"))
        .with_tape(replay)
        .collect(&ctx())
        .await;
    assert_eq!(
        out.sources[0].status,
        SourceStatus::Error,
        "{:?}",
        out.sources
    );
    let text = format!("{:?}", out.sources);
    assert!(text.contains("not in the snapshot"), "{text}");
}
