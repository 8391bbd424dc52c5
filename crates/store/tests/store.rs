//! The store's behaviour, one suite run against both backends: every case runs as its own
//! test on a fresh SQLite file, and again on a fresh database of one real PostgreSQL server
//! started for the suite.

mod support;

use evident_core::Status;
use evident_store::{Retention, Store, StoreError};
use support::result_json;

/// Generates a SQLite test per case and one PostgreSQL test that runs every case, each in
/// its own database, and names every case that failed.
macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let dir = tempfile::tempdir().expect("tempdir");
                    super::$case(super::support::sqlite_location(dir.path())).await;
                }
            )*
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres_runs_the_same_suite() {
            let server = support::PgServer::start();
            let mut failed = Vec::new();
            $(
                let url = server.database(stringify!($case));
                if let Err(e) = tokio::spawn($case(url)).await {
                    failed.push(format!("{}: {e}", stringify!($case)));
                }
            )*
            assert!(failed.is_empty(), "failed on PostgreSQL: {failed:#?}");
        }
    };
}

suite!(
    saved_bytes_come_back_exactly,
    saving_again_is_idempotent_and_other_bytes_conflict,
    what_is_not_a_result_is_refused,
    list_is_newest_first_with_failures,
    history_follows_one_service,
    keep_last_prunes_old_scans_and_their_rows,
    max_age_prunes_by_start_time,
    latest_and_previous_name_successful_scans,
    shards_are_saved_replaced_and_loaded_in_order,
    concurrent_claims_have_exactly_one_winner,
    reopening_keeps_everything,
);

async fn open(location: &str) -> Store {
    match Store::open(location).await {
        Ok(store) => store,
        Err(e) => panic!("open {location}: {e}"),
    }
}

async fn save(store: &Store, json: &str) -> String {
    match store.save(json).await {
        Ok(id) => id,
        Err(e) => panic!("save: {e}"),
    }
}

fn three_scans() -> Vec<String> {
    vec![
        result_json(
            "scan-1",
            "2026-11-01T02:00:00+00:00",
            &[
                ("a", "c1", "not_met"),
                ("a", "c2", "unknown"),
                ("b", "c1", "met"),
            ],
            &[("a", Some(1)), ("b", Some(2))],
        ),
        result_json(
            "scan-2",
            "2026-11-02T02:00:00+00:00",
            &[
                ("a", "c1", "met"),
                ("a", "c2", "unknown"),
                ("b", "c1", "met"),
            ],
            &[("a", Some(2)), ("b", Some(2))],
        ),
        result_json(
            "scan-3",
            "2026-11-03T02:00:00+00:00",
            &[
                ("a", "c1", "not_met"),
                ("a", "c2", "met"),
                ("b", "c1", "met"),
            ],
            &[("a", None), ("b", Some(2))],
        ),
    ]
}

async fn saved_bytes_come_back_exactly(location: String) {
    let store = open(&location).await;
    let json = format!("{}\n\n", three_scans()[0]);
    assert_eq!(save(&store, &json).await, "scan-1");
    let back = store.load_json("scan-1").await.ok().flatten();
    assert_eq!(back.as_deref(), Some(json.as_str()), "the exact bytes");
    let parsed = store.load("scan-1").await.ok().flatten();
    let expected: evident_core::ScanResult = serde_json::from_str(&json).expect("parse");
    assert_eq!(parsed, Some(expected));
    assert_eq!(store.load_json("absent").await.ok(), Some(None));
    assert_eq!(store.load("absent").await.ok(), Some(None));
}

async fn saving_again_is_idempotent_and_other_bytes_conflict(location: String) {
    let store = open(&location).await;
    let json = three_scans().remove(0);
    save(&store, &json).await;
    assert_eq!(store.save(&json).await.ok().as_deref(), Some("scan-1"));
    let other = json.replacen("not_met", "met", 1);
    match store.save(&other).await {
        Err(StoreError::Conflict { id }) => assert_eq!(id, "scan-1"),
        r => panic!("expected a conflict, got {r:?}"),
    }
    assert_eq!(store.list(10).await.map(|l| l.len()).ok(), Some(1));
    let history = store.history("a", Some("c1")).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].verdicts.len(), 1, "no duplicated rows");
}

async fn what_is_not_a_result_is_refused(location: String) {
    let store = open(&location).await;
    for bad in ["{}", "not json", r#"{"schema": "evident/scan-result/v9"}"#] {
        assert!(
            matches!(store.save(bad).await, Err(StoreError::InvalidResult(_))),
            "{bad}"
        );
    }
    let no_id = result_json("", "2026-11-01T02:00:00Z", &[], &[]);
    assert!(matches!(
        store.save(&no_id).await,
        Err(StoreError::InvalidResult(_))
    ));
    assert_eq!(store.list(10).await.map(|l| l.len()).ok(), Some(0));
}

async fn list_is_newest_first_with_failures(location: String) {
    let store = open(&location).await;
    for json in three_scans() {
        save(&store, &json).await;
    }
    store
        .save_failure(
            "2026-11-04T02:00:00Z",
            "2026-11-04T02:00:01.5Z",
            "GitHub: 502",
        )
        .await
        .expect("save failure");
    let list = store.list(10).await.expect("list");
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(&ids[1..], ["scan-3", "scan-2", "scan-1"]);
    assert!(!list[0].ok);
    assert_eq!(list[0].error.as_deref(), Some("GitHub: 502"));
    assert_eq!(list[0].duration_ms, 1_500);
    assert!(list[1].ok && list[1].error.is_none());
    assert_eq!(list[1].duration_ms, 3_000);
    assert_eq!(list[1].started_at, "2026-11-03T02:00:00+00:00");
    assert_eq!(store.list(2).await.map(|l| l.len()).ok(), Some(2));
    assert_eq!(
        store.load_json(&list[0].id).await.ok(),
        Some(None),
        "no result"
    );
}

async fn history_follows_one_service(location: String) {
    let store = open(&location).await;
    for json in three_scans() {
        save(&store, &json).await;
    }
    store
        .save_failure("2026-11-04T02:00:00Z", "2026-11-04T02:00:01Z", "boom")
        .await
        .expect("save failure");
    let points = store.history("a", Some("c1")).await.expect("history");
    let ids: Vec<&str> = points.iter().map(|p| p.scan_id.as_str()).collect();
    assert_eq!(
        ids,
        ["scan-1", "scan-2", "scan-3"],
        "oldest first, no failures"
    );
    let statuses: Vec<Status> = points.iter().map(|p| p.verdicts[0].status).collect();
    assert_eq!(statuses, [Status::NotMet, Status::Met, Status::NotMet]);
    assert!(points.iter().all(|p| p.verdicts.len() == 1));
    let levels: Vec<Option<u8>> = points.iter().map(|p| p.levels[0].attained).collect();
    assert_eq!(levels, [Some(1), Some(2), None]);
    let all = store.history("a", None).await.expect("history");
    assert_eq!(all[0].verdicts.len(), 2);
    assert_eq!(all[0].verdicts[1].criterion, "c2");
    assert_eq!(all[0].verdicts[1].reason.as_deref(), Some("not_configured"));
    let limited = store.history_limited("a", None, 2).await.expect("history");
    let ids: Vec<&str> = limited.iter().map(|p| p.scan_id.as_str()).collect();
    assert_eq!(ids, ["scan-2", "scan-3"], "the newest two");
    assert!(
        store
            .history("nobody", None)
            .await
            .expect("history")
            .is_empty()
    );
    assert!(
        store.history("a", Some("c9")).await.expect("history")[0]
            .verdicts
            .is_empty()
    );
}

async fn keep_last_prunes_old_scans_and_their_rows(location: String) {
    let store = open(&location).await;
    for json in three_scans() {
        save(&store, &json).await;
    }
    let keep = Retention {
        keep_last: Some(2),
        max_age_days: None,
    };
    assert_eq!(store.prune(&keep).await.ok(), Some(1));
    assert_eq!(
        store.ids().await.ok(),
        Some(vec!["scan-3".into(), "scan-2".into()])
    );
    assert_eq!(store.load_json("scan-1").await.ok(), Some(None));
    let history = store.history("b", None).await.expect("history");
    assert_eq!(history.len(), 2, "its rows went with it");
    assert_eq!(
        store.prune(&keep).await.ok(),
        Some(0),
        "nothing more to prune"
    );
    let none = Retention {
        keep_last: Some(0),
        max_age_days: None,
    };
    assert_eq!(store.prune(&none).await.ok(), Some(2));
    assert!(store.history("b", None).await.expect("history").is_empty());
}

async fn max_age_prunes_by_start_time(location: String) {
    let store = open(&location).await;
    for json in three_scans() {
        save(&store, &json).await;
    }
    let now = chrono::Utc::now();
    let recent = (now - chrono::Duration::days(1)).to_rfc3339();
    save(
        &store,
        &result_json("recent", &recent, &[("a", "c1", "met")], &[]),
    )
    .await;
    let age = Retention {
        keep_last: None,
        max_age_days: Some(7),
    };
    assert_eq!(store.prune(&age).await.ok(), Some(3));
    assert_eq!(store.ids().await.ok(), Some(vec!["recent".into()]));
    assert_eq!(
        store.history("a", None).await.map(|h| h.len()).ok(),
        Some(1)
    );
}

async fn latest_and_previous_name_successful_scans(location: String) {
    let store = open(&location).await;
    assert_eq!(store.resolve("latest").await.ok(), Some(None));
    for json in three_scans() {
        save(&store, &json).await;
    }
    store
        .save_failure("2026-11-05T02:00:00Z", "2026-11-05T02:00:01Z", "boom")
        .await
        .expect("save failure");
    assert_eq!(
        store.resolve("latest").await.ok(),
        Some(Some("scan-3".into()))
    );
    assert_eq!(
        store.resolve("previous").await.ok(),
        Some(Some("scan-2".into()))
    );
    assert_eq!(
        store.resolve("scan-1").await.ok(),
        Some(Some("scan-1".into()))
    );
    assert_eq!(store.resolve("scan-9").await.ok(), Some(None));
    // Scan times have whole seconds: two scans in one second are in the order saved.
    let same_second = result_json(
        "scan-0",
        "2026-11-03T02:00:00+00:00",
        &[("a", "c1", "met")],
        &[],
    );
    save(&store, &same_second).await;
    assert_eq!(
        store.resolve("latest").await.ok(),
        Some(Some("scan-0".into()))
    );
    assert_eq!(
        store.resolve("previous").await.ok(),
        Some(Some("scan-3".into()))
    );
}

async fn shards_are_saved_replaced_and_loaded_in_order(location: String) {
    let store = open(&location).await;
    assert_eq!(store.shard_count("run").await.ok(), Some(None));
    for i in [2u32, 0, 1] {
        let json = format!(r#"{{"shard": {i}}}"#);
        store
            .save_shard("run", i, 3, &json)
            .await
            .expect("save shard");
    }
    store
        .save_shard("run", 1, 3, r#"{"shard": 1, "retried": true}"#)
        .await
        .expect("save shard again");
    let shards = store.load_shards("run").await.expect("load");
    assert_eq!(
        shards,
        [
            r#"{"shard": 0}"#,
            r#"{"shard": 1, "retried": true}"#,
            r#"{"shard": 2}"#
        ]
    );
    assert_eq!(store.shard_count("run").await.ok(), Some(Some((3, 3))));
    assert!(store.load_shards("other").await.expect("load").is_empty());
    for (index, total) in [(3, 3), (0, 0), (0, 4)] {
        let r = store.save_shard("run", index, total, "{}").await;
        assert!(
            matches!(r, Err(StoreError::InvalidShard { .. })),
            "{index}/{total}: {r:?}"
        );
    }
    let r = store.save_shard("run2", 0, 2, "not json").await;
    assert!(matches!(r, Err(StoreError::InvalidResult(_))));
}

async fn concurrent_claims_have_exactly_one_winner(location: String) {
    // Several stores (as several pods would open) racing several claims each.
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(open(&location).await);
    }
    let mut tasks = Vec::new();
    for store in &stores {
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.claim_run("job-7").await }));
        }
    }
    let mut wins = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(true)) => wins += 1,
            Ok(Ok(false)) => {}
            other => panic!("claim failed: {other:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one claimant wins");
    assert_eq!(stores[0].claim_run("job-7").await.ok(), Some(false));
    assert_eq!(stores[1].claim_run("job-8").await.ok(), Some(true));
}

async fn reopening_keeps_everything(location: String) {
    {
        let store = open(&location).await;
        save(&store, &three_scans()[0]).await;
    }
    let store = open(&location).await;
    assert_eq!(store.ids().await.ok(), Some(vec!["scan-1".into()]));
    assert!(!store.location().is_empty());
}
