//! Bad input gets a clear message and the right exit code, never a panic, and loses
//! nothing that could still be read.

mod support;

use support::*;

fn no_panic(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_ne!(out.status.code(), Some(101), "panic exit code: {stderr}");
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    let out = evident(&["scan", "/definitely/not/here", "--format", "json"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here does not exist"));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_file_is_not_a_repository() {
    let repo = Repo::new("x");
    repo.write("README.md", "hi");
    let file = repo.path().join("README.md");
    let out = evident(&["scan", file.to_str().expect("utf-8")]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
}

#[test]
fn an_empty_repository_or_a_plain_directory_is_refused_with_the_way_on() {
    // A repository with no commits: nothing committed to judge (exit 2, says so).
    let repo = Repo::new("empty");
    repo.write("README.md", "not committed yet");
    let path = repo.path();
    let out = evident(&["scan", path.to_str().expect("utf-8")]);
    no_panic(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing judged: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("is a git repository with no commits yet"),
        "{stderr}"
    );
    assert!(stderr.contains("--worktree"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Beside a good repository: still refused, naming the empty one.
    let good = Repo::new("good");
    good.write(
        ".github/workflows/ci.yml",
        "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n",
    );
    good.commit("ci");
    let out = evident(&[
        "scan",
        good.path().to_str().expect("utf-8"),
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty"), "{stderr}");
    assert!(
        stderr.contains("is a git repository with no commits"),
        "{stderr}"
    );
    // With --worktree the working tree is read and judged.
    let out = evident(&[
        "scan",
        path.to_str().expect("utf-8"),
        "--worktree",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A directory that is no repository: the same, with the way on.
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("blank");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let out = evident(&["scan", plain.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("blank is not a git repository"), "{stderr}");
    assert!(stderr.contains("--worktree"), "{stderr}");
    // A subdirectory of a repository: names the repository to scan instead.
    good.write("sub/x.txt", "x");
    let out = evident(&["scan", good.path().join("sub").to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is inside the git repository"), "{stderr}");
}

#[test]
fn an_empty_directory_read_with_worktree_is_a_failed_source_never_a_confident_not_met() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("blank");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let out = evident(&[
        "scan",
        plain.to_str().expect("utf-8"),
        "--worktree",
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
    let r = result_of(&result, "ds.smell.limited-ci", "blank");
    assert_eq!(r["status"], "unknown", "{r}");
    assert_eq!(r["reason"], "error", "{r}");
}

#[test]
fn a_kube_dump_that_is_not_a_dump_or_is_missing_is_one_usage_error_naming_the_file() {
    let repo = Repo::new("svc");
    repo.write("README.md", "hi");
    repo.commit("init");
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "notes.txt",
            Some("just some words\n"),
            "is not a Kubernetes object",
        ),
        (
            "broken.json",
            Some("{\"kind\": \"List\", \"items\": [\n"),
            "invalid JSON at line 2",
        ),
        ("empty.json", Some(""), "the file is empty"),
        ("missing.json", None, "cannot read it"),
    ];
    for (name, body, what) in cases {
        let path = dir.path().join(name);
        if let Some(body) = body {
            std::fs::write(&path, body).expect("write");
        }
        let out = evident(&[
            "scan",
            repo.path().to_str().expect("utf-8"),
            "--kube-dump",
            path.to_str().expect("utf-8"),
        ]);
        no_panic(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one message: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(what), "{name}: {stderr}");
        assert!(
            !stderr.contains("ListFile") && !stderr.contains("struct"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_workflow_that_is_not_yaml_is_reported_and_the_rest_is_kept() {
    let repo = Repo::new("broken");
    repo.write(".github/workflows/broken.yml", "jobs: [\n  this is: not: yaml\n")
        .write(
            ".github/workflows/ok.yml",
            "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n",
        );
    repo.commit("mixed");
    let result = scan_json(&repo.path());
    let unreadable = result["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0]["location"], ".github/workflows/broken.yml");
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("could not parse YAML at line 2"),
        "{}",
        unreadable[0]["reason"]
    );
    // ok.yml still counts.
    assert_eq!(
        result_of(&result, "ds.process.ci-all", "broken")["status"],
        "met"
    );
}

#[test]
fn a_workflow_that_cannot_be_read_makes_ci_criteria_unknown_not_not_met() {
    // The only test job sits in a workflow with one byte that is not UTF-8, and a second
    // workflow does not parse: neither may be read as "no job runs tests".
    let repo = Repo::new("badbyte");
    let mut bytes = b"on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./... # caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\n");
    repo.write(".github/workflows/test.yml", bytes).write(
        ".github/workflows/lint.yml",
        "on: [push]\njobs: [\n  lint: : x\n",
    );
    repo.commit("workflows");
    let result = scan_json(&repo.path());
    let unreadable = result["unreadable"].as_array().expect("unreadable");
    assert!(
        unreadable
            .iter()
            .any(|u| u["location"] == ".github/workflows/test.yml"),
        "{unreadable:?}"
    );
    for criterion in [
        "ds.process.ci-all",
        "cams.automation.pipeline",
        "ds.devops.auto-deploy",
        "ds.smell.manual-routines",
    ] {
        let r = result_of(&result, criterion, "badbyte");
        assert_eq!(r["status"], "unknown", "{criterion}: {r}");
        assert_eq!(r["reason"], "error", "{criterion}: {r}");
        let summary = r["summary"].as_str().expect("summary");
        assert!(
            summary.contains(".github/workflows/test.yml could not be read (")
                && summary.contains(".github/workflows/lint.yml could not be read ("),
            "{criterion}: {summary}"
        );
    }
    // A CI file exists, read or not: a CI server is in use.
    assert_eq!(
        result_of(&result, "ds.smell.limited-ci", "badbyte")["status"],
        "met"
    );
}

#[test]
fn a_workload_manifest_without_containers_is_listed_and_never_judged_as_empty() {
    let repo = Repo::new("shop");
    let deployment = |name: &str, containers: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{app.kubernetes.io/part-of: shop}}\n\
             spec:\n  template:\n    spec:\n      containers: {containers}\n"
        )
    };
    repo.write(
        "k8s/web.yaml",
        deployment("web", "[{name: app, image: web:1.0}]"),
    )
    .write("k8s/junk.yaml", deployment("worker", "oops"));
    repo.commit("manifests");
    let result = scan_json(&repo.path());
    let unreadable = result["unreadable"].as_array().expect("unreadable");
    assert!(
        unreadable.iter().any(|u| u["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("default/worker: the Deployment's containers is a string, not a list")),
        "{unreadable:?}"
    );
    // web has no readiness probe: not_met on what was read, but the unreadable worker
    // may belong to the same service, so the absence is not proven.
    let r = result_of(&result, "ds.devops.health-checks", "web");
    assert_eq!(r["status"], "unknown", "{r}");
    assert_eq!(r["reason"], "partial", "{r}");
    assert!(
        r["summary"].as_str().unwrap_or_default().starts_with(
            "not_met would need every workload manifest, but Deployment/default/worker could not be read"
        ),
        "{r}"
    );
}

#[test]
fn a_binary_gitlab_ci_file_is_reported_not_fatal() {
    let repo = Repo::new("binary");
    let mut bytes = vec![0u8, 159, 146, 150, 0, 255, 254];
    bytes.extend(std::iter::repeat_n(0u8, 2048));
    repo.write(".gitlab-ci.yml", bytes);
    repo.commit("binary");
    let result = scan_json(&repo.path());
    let unreadable = result["unreadable"].as_array().expect("unreadable");
    assert!(
        unreadable.iter().any(|u| u["location"] == ".gitlab-ci.yml"),
        "the unreadable file is named: {unreadable:?}"
    );
}

#[test]
fn a_policy_that_does_not_compile_is_a_configuration_error() {
    let repo = Repo::new("p");
    repo.write(
        "policy/bad.rego",
        "package evident.rules.mine\n\nresult := {{{\n",
    );
    repo.commit("a broken policy");
    let out = evident(&[
        "scan",
        repo.path().to_str().expect("utf-8"),
        "--policy",
        repo.path().join("policy").to_str().expect("utf-8"),
    ]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.rego"));
}

#[test]
fn unknown_flags_and_models_are_usage_errors() {
    let out = evident(&["scan", "--frobnicate"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let out = evident(&["scan", ".", "--worktree", "--model", "nope"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("known models"));
}
