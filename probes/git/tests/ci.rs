//! CI facts from fixture repositories: jobs, exact lines, triggers and kinds.

mod common;

use common::*;
use evident_core::{SourceStatus, sha256_hex};

const CI_YML: &str = r#"name: ci
on:
  push:
    branches: [main]
  pull_request:
env:
  DEPLOY_TOKEN: evident-canary-7f3a9c1e
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo test --workspace

  deploy:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - name: Deploy
        run: |
          kubectl config use-context prod
          kubectl apply -f k8s/
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: helm/kind-action@v1
      - run: |
          kubectl apply -f k8s/
          helm install web ./chart
  release:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/web:1 . && docker push ghcr.io/acme/web:1
      - uses: softprops/action-gh-release@v2
"#;

const MANUAL_YML: &str = r#"on:
  workflow_dispatch:
    inputs:
      version:
        type: string
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: >-
          helm upgrade --install web ./chart
          --set image.tag=${{ inputs.version }}
  reuse:
    uses: acme/platform/.github/workflows/deploy.yml@v3
"#;

#[test]
fn github_actions_jobs_lines_triggers_and_kinds() {
    let dir = repo_of(&[
        (".github/workflows/ci.yml", CI_YML),
        (".github/workflows/manual.yaml", MANUAL_YML),
    ]);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    assert_eq!(repo["default_branch"], "main");
    let head = repo["head"].as_str().unwrap();
    let key = repo["key"].as_str().unwrap();

    let test = job(repo, ".github/workflows/ci.yml#test");
    assert_eq!(strs(&test["kinds"]), vec!["test"]);
    assert_eq!(
        (test["start_line"].as_u64(), test["end_line"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(test["triggers"]["push_default_branch"], true);
    assert_eq!(test["triggers"]["push_other"], false);
    assert_eq!(test["triggers"]["pull_request"], true);
    assert_eq!(test["automatic"], true);

    let deploy = job(repo, ".github/workflows/ci.yml#deploy");
    assert_eq!(strs(&deploy["kinds"]), vec!["deploy"]);
    assert_eq!(strs(&deploy["deploy_targets"]), vec!["kubectl"]);
    assert_eq!(
        (deploy["start_line"].as_u64(), deploy["end_line"].as_u64()),
        (Some(15), Some(25))
    );
    assert_eq!(deploy["environment"], "production");
    assert_eq!(deploy["triggers"]["push_default_branch"], true);
    assert_eq!(
        deploy["triggers"]["pull_request"], false,
        "narrowed by the job's if:"
    );
    assert_eq!(deploy["automatic"], true);
    assert_eq!(deploy["signals"][0]["kind"], "deploy");
    assert_eq!(deploy["signals"][0]["line"], 25);
    assert_eq!(deploy["signals"][0]["text"], "kubectl apply -f k8s/");

    let id = deploy["evidence"].as_str().unwrap();
    assert_eq!(
        id,
        format!("git:{key}@{}:.github/workflows/ci.yml#L15-L25", &head[..7])
    );
    let record = out.evidence.iter().find(|e| e.id == id).unwrap();
    assert_eq!(record.probe, "git");
    assert_eq!(record.revision.as_deref(), Some(head));
    assert_eq!(
        record.sha256.as_deref(),
        Some(sha256_hex(CI_YML.as_bytes()).as_str())
    );
    let loc = record.location.as_ref().unwrap();
    assert_eq!((loc.start_line, loc.end_line), (15, 25));
    assert!(
        record.excerpt.starts_with("  deploy:\n    needs: test\n"),
        "{}",
        record.excerpt
    );
    assert!(record.excerpt.contains("kubectl apply -f k8s/"));
    assert_eq!(record.observed_at, "2026-01-01T00:00:00Z");

    let e2e = job(repo, ".github/workflows/ci.yml#e2e");
    assert_eq!(e2e["local_cluster"], true);
    assert_eq!(
        strs(&e2e["kinds"]),
        vec!["test"],
        "installs into a kind cluster are tests"
    );
    assert!(e2e["deploy_targets"].as_array().unwrap().is_empty());

    let release = job(repo, ".github/workflows/ci.yml#release");
    assert_eq!(strs(&release["kinds"]), vec!["build", "release"]);
    assert!(release["deploy_targets"].as_array().unwrap().is_empty());

    let ship = job(repo, ".github/workflows/manual.yaml#ship");
    assert_eq!(strs(&ship["kinds"]), vec!["deploy"]);
    assert_eq!(strs(&ship["deploy_targets"]), vec!["helm"]);
    assert_eq!(ship["triggers"]["manual"], true);
    assert_eq!(ship["automatic"], false);
    assert_eq!(ship["signals"][0]["line"], 11);

    let reuse = job(repo, ".github/workflows/manual.yaml#reuse");
    assert_eq!(
        strs(&reuse["reuses"]),
        vec!["acme/platform/.github/workflows/deploy.yml@v3"]
    );

    insta::assert_json_snapshot!("github_actions_ci", stabilize(&repo["ci"]));
}

#[test]
fn a_local_reusable_workflow_lends_its_kinds_to_the_caller() {
    let caller = "on:\n  push:\n    branches: [main]\njobs:\n  go:\n    uses: ./.github/workflows/deploy.yml\n";
    let callee = "on: workflow_call\njobs:\n  apply:\n    runs-on: x\n    steps:\n      - run: kubectl apply -f k8s/\n";
    let dir = repo_of(&[
        (".github/workflows/main.yml", caller),
        (".github/workflows/deploy.yml", callee),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let go = job(repo, ".github/workflows/main.yml#go");
    assert_eq!(strs(&go["kinds"]), vec!["deploy"]);
    assert_eq!(go["automatic"], true);
    assert_eq!(go["signals"][0]["path"], ".github/workflows/deploy.yml");
    assert_eq!(go["signals"][0]["line"], 6);
    assert!(
        go["reuses"].as_array().unwrap().is_empty(),
        "local calls are not reuse"
    );
    let apply = job(repo, ".github/workflows/deploy.yml#apply");
    assert_eq!(apply["automatic"], false);
    assert_eq!(strs(&apply["triggers"]["other"]), vec!["workflow_call"]);
}

const GITLAB_CI: &str = r#"include:
  - local: /ci/templates.yml
  - project: group/templates
    file: /deploy.yml
stages: [build, test, deploy]
default:
  image: alpine
.rust:
  image: rust
  before_script:
    - rustc --version
unit:
  extends: .rust
  stage: test
  script:
    - cargo test
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
deploy-prod:
  extends: .deploy
  stage: deploy
  environment:
    name: production
  when: manual
release:
  stage: deploy
  script:
    - docker push registry.example.com/x:$CI_COMMIT_TAG
  rules:
    - if: $CI_COMMIT_TAG
"#;

const GITLAB_TEMPLATES: &str = r#".deploy:
  script:
    - helm upgrade --install web ./chart
staging:
  extends: .deploy
  environment: staging
  only:
    - main
"#;

#[test]
fn gitlab_ci_templates_includes_rules_and_manual_jobs() {
    let dir = repo_of(&[
        (".gitlab-ci.yml", GITLAB_CI),
        ("ci/templates.yml", GITLAB_TEMPLATES),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let files: Vec<&str> = repo["ci"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec![".gitlab-ci.yml", "ci/templates.yml"]);

    let unit = job(repo, ".gitlab-ci.yml#unit");
    assert_eq!(strs(&unit["kinds"]), vec!["test"]);
    assert_eq!(
        (unit["start_line"].as_u64(), unit["end_line"].as_u64()),
        (Some(12), Some(19))
    );
    assert_eq!(unit["triggers"]["pull_request"], true);
    assert_eq!(unit["triggers"]["push_default_branch"], true);
    assert_eq!(unit["triggers"]["push_other"], false);
    assert_eq!(unit["automatic"], true);
    assert_eq!(strs(&unit["reuses"]), vec!["project:group/templates"]);

    let prod = job(repo, ".gitlab-ci.yml#deploy-prod");
    assert_eq!(strs(&prod["kinds"]), vec!["deploy"]);
    assert_eq!(strs(&prod["deploy_targets"]), vec!["helm"]);
    assert_eq!(prod["triggers"]["manual"], true);
    assert_eq!(prod["automatic"], false);
    assert_eq!(prod["environment"], "production");
    assert_eq!(prod["signals"][0]["path"], "ci/templates.yml");
    assert_eq!(prod["signals"][0]["line"], 3);

    let staging = job(repo, "ci/templates.yml#staging");
    assert_eq!(staging["automatic"], true);
    assert_eq!(staging["triggers"]["push_default_branch"], true);
    assert_eq!(staging["triggers"]["push_other"], false);
    assert_eq!(staging["environment"], "staging");
    assert_eq!(strs(&staging["kinds"]), vec!["deploy"]);

    let release = job(repo, ".gitlab-ci.yml#release");
    assert_eq!(strs(&release["kinds"]), vec!["release"]);
    assert_eq!(release["triggers"]["tag"], true);
    assert_eq!(release["triggers"]["push_default_branch"], false);

    assert!(
        repo["ci"]["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| !j["name"].as_str().unwrap().starts_with('.')),
        "hidden templates are not jobs"
    );
    insta::assert_json_snapshot!("gitlab_ci", stabilize(&repo["ci"]));
}

#[test]
fn a_broken_workflow_is_reported_and_the_scan_goes_on() {
    let bad = "on: [push\njobs:\n  a:\n    runs-on: x\n";
    let dir = repo_of(&[
        (".github/workflows/bad.yml", bad),
        (".github/workflows/ci.yml", CI_YML),
        ("Dockerfile", "FROM alpine\n"),
    ]);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    let bad_file = repo["ci"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ".github/workflows/bad.yml")
        .unwrap();
    let error = bad_file["error"].as_str().unwrap();
    assert!(
        error.starts_with("could not parse YAML at line "),
        "{error}"
    );
    let reasons: Vec<&str> = repo["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("could not parse YAML at line ")),
        "{reasons:?}"
    );
    assert!(
        repo["ci"]["jobs"].as_array().unwrap().len() >= 4,
        "the good workflow is still read"
    );
    assert_eq!(repo["dockerfiles"].as_array().unwrap().len(), 1);
}

#[test]
fn a_workflow_github_would_reject_has_no_jobs_and_an_error() {
    let wrong = "on: push\njobs:\n  a:\n    steps:\n      - run: make deploy\n";
    let dir = repo_of(&[(".github/workflows/wrong.yml", wrong)]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let error = repo["ci"]["files"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("could not parse workflow at line"),
        "{error}"
    );
    assert!(repo["ci"]["jobs"].as_array().unwrap().is_empty());
}

#[test]
fn a_binary_gitlab_ci_file_is_not_text() {
    let dir = repo(&[Item::File(
        ".gitlab-ci.yml",
        &[0x00, 0xff, 0xfe, 0x01, 0x02],
    )]);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    assert_eq!(repo["ci"]["files"][0]["error"], "not text");
    assert_eq!(repo["ci"]["files"][0]["system"], "gitlab-ci");
    assert_eq!(repo["unreadable"][0]["reason"], "not text");
    assert!(repo["ci"]["jobs"].as_array().unwrap().is_empty());
}

#[test]
fn a_flow_sequence_closed_at_the_key_s_indentation_is_read_as_github_reads_it() {
    // The shape of bank-of-anthos' terraform-validate workflow: GitHub runs it.
    let wf = "name: tf\non:\n  push:\n    branches: [main]\n    paths: [\n      'infra/**',\n      '.github/workflows/tf.yaml'\n    ]\n  pull_request:\n    paths: [\n      'infra/**'\n    ]\njobs:\n  validate:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: terraform validate\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n";
    let dir = repo_of(&[(".github/workflows/tf.yaml", wf)]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    assert!(
        repo["unreadable"].as_array().unwrap().is_empty(),
        "{}",
        repo["unreadable"]
    );
    assert!(repo["ci"]["files"][0]["error"].is_null());
    let test = job(repo, ".github/workflows/tf.yaml#test");
    assert_eq!(
        (test["start_line"].as_u64(), test["end_line"].as_u64()),
        (Some(19), Some(22))
    );
    assert_eq!(test["triggers"]["push_default_branch"], true);
    assert_eq!(test["triggers"]["pull_request"], true);
    assert!(strs(&test["kinds"]).contains(&"test"));
    let validate = job(repo, ".github/workflows/tf.yaml#validate");
    assert_eq!(validate["start_line"], 14);
}
