//! Helpers shared by the `evident scan --github` end-to-end tests: the built binary run
//! against the mock GitHub, timestamps relative to now, repositories with real files.

use chrono::{Duration, SecondsFormat, Utc};
use evident_github_mock::{BareRepo, MockGithub, MockRepo};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The token every mock accepts.
pub const TOKEN: &str = "ghp_e2e_github_token_0123456789";

/// RFC 3339 `days` days before now.
pub fn ago(days: i64) -> String {
    ago_h(days * 24)
}

/// RFC 3339 `hours` hours before now.
pub fn ago_h(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// RFC 3339 `mins` minutes after `at`.
pub fn plus_min(at: &str, mins: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(at).expect("time");
    (t + Duration::minutes(mins))
        .with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A repository served by the mock with real files, pushed 5 days ago.
pub fn repo(git: &Path, name: &str, files: &[(&str, &str)]) -> MockRepo {
    let bare = BareRepo::with_files(git, name, files, &ago(5)).expect("bare repo");
    let mut r = MockRepo::new(name).with_git(bare.path.clone());
    r.pushed_at = ago(5);
    r
}

/// Runs the built binary with the token and the cache directory.
pub fn run(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("EVIDENT_GITHUB_TOKEN", TOKEN)
        .env("EVIDENT_CACHE_DIR", cache)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident")
}

/// Scans organisation `acme` of `gh` (plus `extra` arguments), asserting exit 0 and a
/// valid document; the parsed result and stderr.
pub fn scan_with(gh: &MockGithub, cache: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec![
        "scan",
        "--github",
        "acme",
        "--github-url",
        gh.url(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(cache, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    super::assert_valid(&result);
    (result, stderr)
}

/// The sources a probe reported.
pub fn source<'a>(result: &'a Value, probe: &str) -> Vec<&'a Value> {
    result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter(|s| s["probe"] == probe)
        .collect()
}

/// The verdict of `criterion` for `service`, if there is one.
pub fn verdict<'a>(result: &'a Value, criterion: &str, service: &str) -> Option<&'a Value> {
    result["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["criterion"] == criterion && r["service"] == service)
}

/// The status, reason and summary of a verdict, for asserting on.
pub fn srs(result: &Value, criterion: &str, service: &str) -> (String, String, String) {
    let v = verdict(result, criterion, service)
        .unwrap_or_else(|| panic!("no verdict for {criterion} / {service}"));
    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
    (s("status"), s("reason"), s("summary"))
}

/// Asserts a verdict's status, its reason (when given) and that its summary contains
/// every one of `words`.
#[track_caller]
pub fn expect(
    result: &Value,
    criterion: &str,
    service: &str,
    status: &str,
    reason: Option<&str>,
    words: &[&str],
) {
    let (st, re, sum) = srs(result, criterion, service);
    assert_eq!(st, status, "{criterion} / {service}: {re} {sum}");
    if let Some(reason) = reason {
        assert_eq!(re, reason, "{criterion} / {service}: {sum}");
    }
    for w in words {
        assert!(
            sum.contains(w),
            "{criterion} / {service}: summary lacks {w:?}: {sum}"
        );
    }
}

/// A multi-thread runtime for the mock.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Every (criterion, service, status, reason, summary) line, for a failure message or a
/// dump while writing a test.
pub fn table(result: &Value) -> String {
    result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            format!(
                "{} | {} | {} | {} | {}",
                r["criterion"].as_str().unwrap_or(""),
                r["service"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                r["reason"].as_str().unwrap_or(""),
                r["summary"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
