//! The shell part of the GitHub composite action (scripts/github-action.sh), run as a
//! runner would run it: a real git repository as GITHUB_WORKSPACE, the runner's files
//! (RUNNER_TEMP, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT) in a temporary directory, the built
//! binary on PATH, no network and no token.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/github-action.sh")
}

/// A fake runner: its temporary directory, summary and output files.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        Runner {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn temp(&self) -> PathBuf {
        self.dir.path().join("temp")
    }

    fn summary(&self) -> PathBuf {
        self.dir.path().join("step-summary.md")
    }

    fn outputs(&self) -> PathBuf {
        self.dir.path().join("github-output")
    }

    /// Runs the script with `env` on top of a runner's environment, the built evident
    /// first on PATH and every token removed.
    fn run(&self, workspace: &Path, env: &[(&str, &str)]) -> Output {
        std::fs::create_dir_all(self.temp()).expect("runner temp");
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_evident"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(script())
            .env("PATH", path)
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_API_URL", "https://api.github.com")
            .env("RUNNER_TEMP", self.temp())
            .env("GITHUB_STEP_SUMMARY", self.summary())
            .env("GITHUB_OUTPUT", self.outputs())
            .env("NO_COLOR", "1")
            .env_remove("EVIDENT_GITHUB_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env_remove("EVIDENT_FAIL_UNDER")
            .env_remove("EVIDENT_SCAN_PATH")
            .env_remove("EVIDENT_BIN")
            .env_remove("EVIDENT_ARGS")
            .env_remove("RUST_LOG")
            .current_dir(workspace);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run the action script")
    }
}

fn workspace() -> Repo {
    let repo = Repo::new("shop");
    repo.write("README.md", "# shop\n")
        .write(
            "Dockerfile",
            "FROM alpine:3.20\nUSER 1000\nCMD [\"/shop\"]\n",
        )
        .write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
        );
    repo.commit("initial");
    repo
}

fn outputs(runner: &Runner) -> Vec<(String, String)> {
    std::fs::read_to_string(runner.outputs())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn output(runner: &Runner, key: &str) -> Option<String> {
    outputs(runner)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn without_a_token_the_script_scans_once_writes_sarif_and_the_summary_and_skips_github() {
    let repo = workspace();
    let runner = Runner::new();
    let out = runner.run(&repo.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("no github-token given; --github skipped"),
        "says why GitHub was not read: {stdout}"
    );

    let sarif_path = output(&runner, "sarif").expect("sarif output");
    assert_eq!(
        PathBuf::from(&sarif_path),
        runner.temp().join("evident/evident.sarif")
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).expect("SARIF written"))
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["runs"].as_array().is_some_and(|r| !r.is_empty()));

    let result_path = output(&runner, "result").expect("result output");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result_path).expect("result written"))
            .expect("result is JSON");
    assert_eq!(result["schema"], "evident/scan-result/v2");
    assert!(
        result.get("dora").is_none(),
        "no GitHub source, no DORA section"
    );

    let summary = std::fs::read_to_string(runner.summary()).expect("step summary written");
    assert!(summary.starts_with("## evident:"), "{summary}");
    assert!(summary.contains("### Levels"), "{summary}");
    assert_eq!(output(&runner, "exit-code").as_deref(), Some("0"));
}

#[test]
fn the_exit_code_follows_fail_under_and_the_reports_are_written_anyway() {
    let repo = workspace();
    let runner = Runner::new();
    let below = runner.run(&repo.path(), &[("EVIDENT_FAIL_UNDER", "baseline")]);
    assert_eq!(
        below.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&below.stderr)
    );
    assert!(String::from_utf8_lossy(&below.stderr).contains("below --fail-under baseline"));
    let sarif = std::fs::read_to_string(runner.temp().join("evident/evident.sarif"))
        .expect("SARIF written when the gate fails");
    serde_json::from_str::<serde_json::Value>(&sarif).expect("SARIF is JSON");
    assert!(
        std::fs::read_to_string(runner.summary())
            .expect("summary")
            .contains("## evident:")
    );
    assert_eq!(output(&runner, "exit-code").as_deref(), Some("1"));

    // A level that does not exist is a usage error: exit 2, and no stale SARIF left.
    let bad = runner.run(&repo.path(), &[("EVIDENT_FAIL_UNDER", "legendary")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!runner.temp().join("evident/evident.sarif").exists());
}

#[test]
fn with_a_token_github_is_passed_and_the_token_stays_off_the_command_line() {
    // A stand-in binary records its arguments and the token it sees, then stops: the
    // GitHub flags belong to the real CLI, this checks only what the script passes.
    let repo = workspace();
    let runner = Runner::new();
    let stub = runner.dir.path().join("evident-stub");
    let log = runner.dir.path().join("args.log");
    std::fs::write(
        &stub,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{}'\necho \"token=$EVIDENT_GITHUB_TOKEN\" >> '{}'\nexit 3\n",
            log.display(),
            log.display()
        ),
    )
    .expect("stub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let stub_path = stub.to_str().expect("utf-8");
    let out = runner.run(
        &repo.path(),
        &[
            ("EVIDENT_BIN", stub_path),
            ("EVIDENT_GITHUB_TOKEN", CANARY),
            ("EVIDENT_GITHUB_API_URL", "https://ghe.example/api/v3"),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "the scan's own code is kept");
    let args = std::fs::read_to_string(&log).expect("stub ran");
    let lines: Vec<&str> = args.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "--github")
        .expect("--github passed");
    assert_eq!(lines[at + 1], "acme/shop");
    let url = lines
        .iter()
        .position(|l| *l == "--github-url")
        .expect("--github-url for a non-github.com API");
    assert_eq!(lines[url + 1], "https://ghe.example/api/v3");
    assert_eq!(
        lines.iter().filter(|l| l.contains(CANARY)).count(),
        1,
        "the token reaches the binary through the environment only: {args}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("token={CANARY}").as_str())
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(CANARY));
    }

    // On github.com no --github-url is passed.
    let out = runner.run(
        &repo.path(),
        &[("EVIDENT_BIN", stub_path), ("EVIDENT_GITHUB_TOKEN", CANARY)],
    );
    assert_eq!(out.status.code(), Some(3));
    let args = std::fs::read_to_string(&log).expect("stub ran");
    assert!(args.lines().any(|l| l == "--github"));
    assert!(!args.lines().any(|l| l == "--github-url"));
}
