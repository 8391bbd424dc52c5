//! The commands around scanning: listing models, explaining a criterion, testing
//! policies.

mod support;

use support::*;

#[test]
fn models_lists_every_criterion() {
    let out = evident(&["models"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "ds.devops.auto-deploy",
        "ops.self-healing",
        "cams.automation.pipeline",
        "ds.process.agile",
    ] {
        assert!(text.contains(id), "{id} missing");
    }
    let json = evident(&["models", "--json"]);
    let models: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let count: usize = models
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["criteria"].as_array().expect("c").len())
        .sum();
    assert_eq!(count, 72);
}

#[test]
fn explain_prints_the_rule_and_its_decisions() {
    let out = evident(&["explain", "ds.devops.health-checks"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("readiness probe"));
    assert!(text.contains("data.evident.rules.ds.devops.health_checks.result"));
    assert!(
        text.contains("Batch workloads (Jobs, CronJobs"),
        "the rule's doc comment is shown"
    );
    let missing = evident(&["explain", "ds.nope"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn policy_test_runs_test_rules_like_opa() {
    let repo = Repo::new("policies");
    repo.write(
        "p/model.yaml",
        "id: mine\nname: Mine\nkind: profile\ndimensions: [D]\ncriteria:\n  - id: mine\n    title: Mine\n    dimension: D\n    scope: service\n    observability: direct\n    sources: [git]\n    met_when: always\n    remediation: none\n",
    )
    .write(
        "p/mine.rego",
        "# A custom rule.\npackage evident.rules.mine\n\nimport rego.v1\nimport data.evident.lib\n\nresult[sid] := lib.met(\"ok\", [\"x\"]) if some sid, _ in input.services\n",
    )
    .write(
        "p/mine_test.rego",
        "package evident.rules.mine_test\n\nimport rego.v1\n\ntest_met if {\n\tr := data.evident.rules.mine.result with input as {\"services\": {\"a\": {}}}\n\tr.a.status == \"met\"\n}\n\ntest_wrong if {\n\tr := data.evident.rules.mine.result with input as {\"services\": {\"a\": {}}}\n\tr.a.status == \"not_met\"\n}\n",
    );
    let out = evident(&[
        "policy",
        "test",
        repo.path().join("p").to_str().expect("utf-8"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("PASS data.evident.rules.mine_test.test_met"),
        "{text}"
    );
    assert!(
        text.contains("FAIL data.evident.rules.mine_test.test_wrong"),
        "{text}"
    );
    assert!(text.contains("1 passed, 1 failed"), "{text}");
}

#[test]
fn help_explains_exit_codes() {
    let out = evident(&["scan", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--fail-under"));
    let top = String::from_utf8_lossy(&evident(&["--help"]).stdout).to_string();
    assert!(top.contains("Exit codes"));
    // Every probe is named, and every exit code with what it means per command.
    for probe in [
        "GitHub",
        "Kubernetes",
        "Prometheus",
        "Grafana",
        "PagerDuty",
        "Opsgenie",
    ] {
        assert!(top.contains(probe), "--help names {probe}: {top}");
    }
    let flat = top.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "0 the command did its work",
        "2 a usage or configuration error",
        "`scan`, a service is below --fail-under",
        "`policy test`, a policy test failed",
        "`verify`, the bundle was altered",
        "Every other command exits only 0 or 2",
    ] {
        assert!(flat.contains(said), "--help says {said:?}: {flat}");
    }
}

#[test]
fn a_negative_day_count_names_the_range_not_a_wrong_tip() {
    for (flag, range) in [
        ("--history-days", "from 1 to 3650"),
        ("--oncall-days", "from 1 to 365"),
    ] {
        let out = evident(&["scan", flag, "-5"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(range), "{flag}: {stderr}");
        assert!(
            !stderr.contains("-- -5"),
            "{flag}: no tip to pass it after --: {stderr}"
        );
    }
}

#[test]
fn explain_names_a_source_met_needs_apart_from_optional_ones() {
    let out = evident(&["explain", "ds.devops.config-automated"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.contains("met needs:     kubernetes (without it: not_met or unknown, never met)"),
        "{text}"
    );
    assert!(!text.contains("also uses:     kubernetes"), "{text}");
}

fn example_policy() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies/example")
}

#[test]
fn the_example_policy_directory_tests_green() {
    let out = evident(&["policy", "test", example_policy().to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("3 passed, 0 failed"), "{text}");
}

#[test]
fn a_custom_model_is_judged_in_a_scan() {
    let repo = Repo::new("web");
    repo.write(
        "k8s/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: app\n          image: docker.io/library/nginx:1.27.0\n",
    );
    repo.commit("web");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--policy",
        example_policy().to_str().expect("utf-8"),
        "--model",
        "acme-platform",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid(&result);
    let r = result_of(&result, "acme.platform.owned-images", "web");
    assert_eq!(r["status"], "not_met");
    assert_eq!(
        r["missing"][0],
        "Deployment/web container app pulls docker.io/library/nginx:1.27.0"
    );
    assert_eq!(
        result["results"].as_array().expect("results").len(),
        1,
        "--model keeps only that model"
    );
}

/// `evident models | head -1`: a reader that closes its end is no error of the run. The
/// read end is closed before the binary writes, so every write meets a broken pipe.
#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    use std::process::{Command, Stdio};
    for args in [
        &["models"][..],
        &["models", "--json"][..],
        &["explain", "ds.devops.health-checks"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn evident");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.trim().is_empty(), "{args:?} says nothing: {stderr}");
    }
}

/// A server flag given something that is no http(s) URL is a configuration error that
/// names the flag (exit 2), not a source that failed.
#[test]
fn malformed_server_urls_are_usage_errors_naming_the_flag() {
    for (flag, value) in [
        ("--prometheus", "not-a-url"),
        ("--prometheus", "ftp://x"),
        ("--grafana", "not-a-url"),
        ("--pagerduty-url", "api.pagerduty.com"),
        ("--opsgenie-url", "https://"),
        ("--github-url", "github.example.com"),
    ] {
        let mut args = vec!["scan", ".", "--worktree", flag, value];
        if flag == "--github-url" {
            args.extend(["--github", "acme"]);
        }
        let out = evident(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("expected an http(s) URL"),
            "{flag} {value}: {stderr}"
        );
    }
}

/// The README renders as written: every code fence that opens closes, so no section
/// renders as one code block. Fences are paired in order; an opening fence may carry a
/// language, a closing one never does.
#[test]
fn readme_code_fences_balance() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(path).expect("README.md");
    let mut open: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if !t.starts_with("```") {
            continue;
        }
        match open {
            None => open = Some(i + 1),
            Some(_) => {
                assert_eq!(
                    t.trim_end(),
                    "```",
                    "README.md line {}: a closing fence carries text (an opening fence without its close?)",
                    i + 1
                );
                open = None;
            }
        }
    }
    assert_eq!(
        open, None,
        "README.md: the fence opened at line {open:?} never closes"
    );
}

#[test]
fn a_rule_for_a_criterion_no_model_declares_is_an_error_naming_file_and_line() {
    let repo = Repo::new("web");
    repo.write("README.md", "hi");
    repo.commit("init");
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = dir.path().join("orphan.rego");
    std::fs::write(
        &rule,
        "# judges nothing any model declares\npackage evident.rules.acme.nothing.here\n\nimport rego.v1\n\nresult[sid] := {\"status\": \"met\"} if some sid, _ in input.services\n",
    )
    .expect("write");
    let policy = dir.path().to_str().expect("utf-8");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--policy",
        policy,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2", rule.display())),
        "file and line: {stderr}"
    );
    assert!(
        stderr.contains("no model declares the criterion"),
        "{stderr}"
    );
    // In `policy test` it is a failure (exit 1), with the file and line.
    std::fs::write(
        dir.path().join("orphan_test.rego"),
        "package evident.rules.acme.nothing.here_test\n\nimport rego.v1\n\ntest_runs if { true }\n",
    )
    .expect("write");
    let out = evident(&["policy", "test", policy]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL rules judge a declared criterion (")
            && stdout.contains("orphan.rego:2"),
        "{stdout}"
    );
}

#[test]
fn a_rule_status_outside_the_vocabulary_is_an_error_naming_file_and_line() {
    let repo = Repo::new("web");
    repo.write("README.md", "hi");
    repo.commit("init");
    let policy =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies/bad-status");
    let policy = policy.to_str().expect("utf-8");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--policy",
        policy,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("readme.rego:10"), "file and line: {stderr}");
    assert!(
        stderr.contains("status \"passed\", which is not a status")
            && stderr.contains("met, not_met, unknown, not_applicable"),
        "{stderr}"
    );
    // In `policy test` it is a failure (exit 1), with the file and line.
    let out = evident(&["policy", "test", policy]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL rules return statuses of the vocabulary (")
            && stdout.contains("readme.rego:10"),
        "{stdout}"
    );
}

#[test]
fn an_unused_attestation_is_warned_and_fails_under_strict() {
    let repo = Repo::new("web");
    repo.write("README.md", "hi");
    repo.write(
        ".evident/attestations.yaml",
        "attestations:\n  - criterion: acme.no.such-criterion\n    who: Jane Doe\n    when: 2026-10-01\n    why: we believe so\n",
    );
    repo.commit("init");
    let root = repo.path();
    let path = root.to_str().expect("utf-8");
    let out = evident(&["scan", path]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("warning: 1 input(s) not used:"), "{stdout}");
    assert!(
        stdout.contains(
            "(attestation for acme.no.such-criterion): no model of this scan has this criterion"
        ),
        "{stdout}"
    );
    let out = evident(&["scan", path, "--strict", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains(".evident/attestations.yaml#L2-L5 (attestation for acme.no.such-criterion)"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(1));
}
