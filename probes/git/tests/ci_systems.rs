//! CI facts for every system beyond GitHub Actions and GitLab, from fixture repositories:
//! jobs, exact lines, triggers, kinds, reuse; and malformed files reported with a line
//! while the scan goes on.

mod common;

use common::*;
use evident_core::SourceStatus;
use serde_json::Value;

/// Scans a fixture and returns its `ci` facts (evidence ids made stable).
fn ci_of(files: &[(&str, &str)]) -> (Value, Value) {
    let dir = repo_of(files);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out).clone();
    assert!(
        !serde_json::to_string(&out.facts).unwrap().contains(CANARY)
            && !serde_json::to_string(&out.evidence)
                .unwrap()
                .contains(CANARY),
        "a secret leaked into facts or evidence"
    );
    (stabilize(&repo["ci"]), repo)
}

fn lines(job: &Value) -> (u64, u64) {
    (
        job["start_line"].as_u64().unwrap(),
        job["end_line"].as_u64().unwrap(),
    )
}

fn triggers(job: &Value) -> Vec<&str> {
    let t = &job["triggers"];
    let mut out: Vec<&str> = [
        "push_default_branch",
        "push_other",
        "pull_request",
        "tag",
        "schedule",
        "manual",
    ]
    .into_iter()
    .filter(|k| t[*k] == true)
    .collect();
    out.extend(strs(&t["other"]));
    out
}

const JENKINSFILE: &str = r#"@Library('acme-pipeline-lib@v2') _
// Declarative pipeline with a branch-gated, approved deploy.
pipeline {
  agent any
  triggers {
    cron('H 4 * * 1-5')
  }
  environment {
    TOKEN = 'evident-canary-7f3a9c1e'
  }
  stages {
    stage('Build') {
      steps {
        sh 'make build'
      }
    }
    stage('Tests') {
      parallel {
        stage('Unit') {
          steps {
            sh """
              go test ./...
              echo "done ${env.BRANCH_NAME}"
            """
          }
        }
        stage('Contract') {
          steps { sh(script: 'pact-verifier --provider web', returnStatus: true) }
        }
      }
    }
    stage('Deploy') {
      when { branch 'main' }
      input { message 'Ship it?' }
      steps {
        sh '''
          helm upgrade --install web ./chart
        '''
      }
    }
  }
  post { always { junit '**/reports/*.xml' } }
}
"#;

const SCRIPTED: &str = r#"node {
  stage('Checkout') {
    checkout scm
  }
  if (env.BRANCH_NAME == 'main') {
    stage('Release') {
      sh "docker build -t acme/web . && docker push acme/web"
      sh 'kubectl apply -f k8s/'
    }
  }
}
"#;

#[test]
fn jenkins_declarative_and_scripted() {
    let (ci, repo) = ci_of(&[
        ("Jenkinsfile", JENKINSFILE),
        ("ops/Jenkinsfile.release", SCRIPTED),
    ]);
    let deploy = job(&repo, "Jenkinsfile#Deploy");
    // Lines checked by hand: `stage('Deploy') {` is line 32, its `}` line 40.
    assert_eq!(lines(deploy), (32, 40));
    assert_eq!(strs(&deploy["kinds"]), vec!["deploy"]);
    assert_eq!(deploy["signals"][0]["line"], 37);
    assert_eq!(
        deploy["signals"][0]["text"],
        "helm upgrade --install web ./chart"
    );
    assert_eq!(triggers(deploy), vec!["push_default_branch", "manual"]);
    assert_eq!(deploy["automatic"], false);
    assert_eq!(
        strs(&deploy["reuses"]),
        vec!["jenkins-library:acme-pipeline-lib@v2"]
    );
    let unit = job(&repo, "Jenkinsfile#Tests/Unit");
    assert_eq!(lines(unit), (19, 26));
    assert_eq!(unit["signals"][0]["line"], 22);
    assert_eq!(
        triggers(unit),
        vec!["push_default_branch", "push_other", "schedule"]
    );
    let release = job(&repo, "ops/Jenkinsfile.release#Release");
    assert_eq!(lines(release), (6, 9));
    assert_eq!(triggers(release), vec!["push_default_branch"]);
    insta::assert_json_snapshot!("jenkins", ci);
}

#[test]
fn jenkins_without_branch_conditions_has_external_triggers_and_a_note() {
    let (_, repo) = ci_of(&[(
        "Jenkinsfile",
        "pipeline {\n  agent any\n  stages {\n    stage('Test') {\n      steps { sh 'cargo test' }\n    }\n  }\n}\n",
    )]);
    let test = job(&repo, "Jenkinsfile#Test");
    assert_eq!(lines(test), (4, 6));
    assert_eq!(triggers(test), vec!["external-trigger"]);
    assert_eq!(test["automatic"], false);
    let file = &repo["ci"]["files"][0];
    assert!(file["note"].as_str().unwrap().contains("Jenkins job"));
}

const CIRCLECI: &str = r#"version: 2.1
orbs:
  aws-ecr: circleci/aws-ecr@9.0.4
  kubernetes: circleci/kubernetes@1.3.1
jobs:
  test:
    docker:
      - image: cimg/go:1.22
    steps:
      - checkout
      - run: go test ./...
      - run:
          name: lint
          command: |
            golangci-lint run
  deploy:
    docker:
      - image: cimg/base:stable
    steps:
      - kubernetes/install-kubectl
      - run: kubectl apply -f k8s/
workflows:
  main:
    jobs:
      - test
      - aws-ecr/build-and-push-image:
          repo: web
          filters:
            branches:
              only: main
      - hold:
          type: approval
          requires: [test]
      - deploy:
          requires: [hold]
          filters:
            branches:
              only: main
            tags:
              only: /^v.*/
  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * *"
          filters:
            branches:
              only: main
    jobs:
      - test
"#;

#[test]
fn circleci_workflows_filters_approvals_and_orbs() {
    let (ci, repo) = ci_of(&[(".circleci/config.yml", CIRCLECI)]);
    let test = job(&repo, ".circleci/config.yml#test");
    // Lines checked by hand: `  test:` is line 6, its last line `golangci-lint run` 15.
    assert_eq!(lines(test), (6, 15));
    assert_eq!(strs(&test["kinds"]), vec!["test", "lint"]);
    assert_eq!(
        triggers(test),
        vec!["push_default_branch", "push_other", "schedule"]
    );
    let deploy = job(&repo, ".circleci/config.yml#deploy");
    assert_eq!(lines(deploy), (16, 21));
    assert_eq!(deploy["automatic"], false);
    assert_eq!(
        triggers(deploy),
        vec!["push_default_branch", "tag", "manual"]
    );
    assert_eq!(
        strs(&deploy["reuses"]),
        vec!["orb:circleci/kubernetes@1.3.1"]
    );
    let ecr = job(&repo, ".circleci/config.yml#aws-ecr/build-and-push-image");
    assert_eq!(lines(ecr), (26, 30));
    assert_eq!(strs(&ecr["kinds"]), vec!["build", "release"]);
    insta::assert_json_snapshot!("circleci", ci);
}

const AZURE: &str = r#"trigger:
  branches:
    include: [main]
pr:
  branches:
    include: ['*']
schedules:
  - cron: "0 2 * * *"
    branches: {include: [main]}
resources:
  repositories:
    - repository: templates
      type: git
      name: platform/pipeline-templates
      ref: refs/tags/v3
stages:
  - stage: Build
    jobs:
      - job: Test
        steps:
          - script: dotnet test
          - task: Docker@2
            inputs:
              command: buildAndPush
              repository: web
          - template: steps/scan.yml@templates
  - stage: Deploy
    condition: and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))
    jobs:
      - deployment: Web
        environment: production.web
        strategy:
          runOnce:
            deploy:
              steps:
                - task: KubernetesManifest@1
                  inputs:
                    action: deploy
                    manifests: k8s/*.yaml
                - bash: |
                    dotnet ef database update
  - template: stages/smoke.yml@templates
"#;

#[test]
fn azure_stages_jobs_deployments_and_templates() {
    let (ci, repo) = ci_of(&[("azure-pipelines.yml", AZURE)]);
    let test = job(&repo, "azure-pipelines.yml#Build.Test");
    // Lines checked by hand: `- job: Test` is line 19, `- template: …` line 26.
    assert_eq!(lines(test), (19, 26));
    assert_eq!(strs(&test["kinds"]), vec!["build", "test", "release"]);
    assert_eq!(
        strs(&test["reuses"]),
        vec!["azure-template:platform/pipeline-templates/steps/scan.yml@refs/tags/v3"]
    );
    assert_eq!(
        triggers(test),
        vec!["push_default_branch", "pull_request", "schedule"]
    );
    let web = job(&repo, "azure-pipelines.yml#Deploy.Web");
    assert_eq!(lines(web), (30, 41));
    assert_eq!(web["environment"], "production");
    assert_eq!(strs(&web["kinds"]), vec!["deploy", "db_migration"]);
    assert_eq!(strs(&web["deploy_targets"]), vec!["kubectl"]);
    assert_eq!(triggers(web), vec!["push_default_branch", "schedule"]);
    insta::assert_json_snapshot!("azure", ci);
}

const BITBUCKET: &str = r#"image: node:20
definitions:
  steps:
    - step: &test
        name: Test
        script:
          - npm ci
          - npm test
pipelines:
  default:
    - step: *test
  pull-requests:
    '**':
      - step: *test
  branches:
    main:
      - step: *test
      - step:
          name: Deploy
          deployment: production
          trigger: manual
          script:
            - pipe: atlassian/aws-ecs-deploy:1.12.1
              variables:
                CLUSTER_NAME: web
      - step:
          name: Smoke
          script:
            - k6 run smoke.js
  tags:
    'v*':
      - step:
          name: Publish
          script:
            - npm publish
  custom:
    migrate:
      - step:
          name: Migrate
          script:
            - npx prisma migrate deploy
"#;

#[test]
fn bitbucket_sections_manual_steps_and_pipes() {
    let (ci, repo) = ci_of(&[("bitbucket-pipelines.yml", BITBUCKET)]);
    let deploy = job(&repo, "bitbucket-pipelines.yml#branches/main/2");
    // Lines checked by hand: `- step:` line 18 to `CLUSTER_NAME: web` line 25.
    assert_eq!(lines(deploy), (18, 25));
    assert_eq!(deploy["environment"], "production");
    assert_eq!(strs(&deploy["kinds"]), vec!["deploy"]);
    assert_eq!(
        strs(&deploy["reuses"]),
        vec!["pipe:atlassian/aws-ecs-deploy:1.12.1"]
    );
    assert_eq!(deploy["automatic"], false);
    let smoke = job(&repo, "bitbucket-pipelines.yml#branches/main/3");
    assert_eq!(
        smoke["automatic"], false,
        "steps after a manual step wait too"
    );
    let default = job(&repo, "bitbucket-pipelines.yml#default/1");
    assert_eq!(triggers(default), vec!["push_other"]);
    assert_eq!(strs(&default["kinds"]), vec!["test"]);
    let migrate = job(&repo, "bitbucket-pipelines.yml#custom/migrate/1");
    assert_eq!(triggers(migrate), vec!["manual"]);
    assert_eq!(strs(&migrate["kinds"]), vec!["db_migration"]);
    insta::assert_json_snapshot!("bitbucket", ci);
}

const CLOUDBUILD: &str = r#"steps:
  - name: gcr.io/cloud-builders/docker
    args: ['build', '-t', 'gcr.io/$PROJECT_ID/web', '.']
  - name: golang:1.22
    entrypoint: go
    args: ['test', './...']
  - name: gcr.io/google.com/cloudsdktool/cloud-sdk
    entrypoint: bash
    args:
      - -c
      - |
        gcloud run deploy web --image gcr.io/$PROJECT_ID/web --region europe-west1
images:
  - gcr.io/$PROJECT_ID/web
"#;

const CLOUDBUILD_JSON: &str = r#"{
  "steps": [
    {
      "name": "gcr.io/cloud-builders/kubectl",
      "args": ["apply", "-f", "k8s/"]
    }
  ]
}
"#;

#[test]
fn cloud_build_steps_and_unknown_triggers() {
    let (ci, repo) = ci_of(&[
        ("cloudbuild.yaml", CLOUDBUILD),
        ("deploy/cloudbuild.json", CLOUDBUILD_JSON),
    ]);
    let build = job(&repo, "cloudbuild.yaml#steps");
    // Lines checked by hand: `steps:` line 1 to the `gcloud run deploy` line 12.
    assert_eq!(lines(build), (1, 12));
    assert_eq!(
        strs(&build["kinds"]),
        vec!["build", "test", "deploy", "release"]
    );
    assert_eq!(triggers(build), vec!["external-trigger"]);
    assert_eq!(build["automatic"], false);
    let json = job(&repo, "deploy/cloudbuild.json#steps");
    assert_eq!(lines(json), (2, 7));
    assert_eq!(strs(&json["deploy_targets"]), vec!["kubectl"]);
    assert!(
        repo["ci"]["files"][0]["note"]
            .as_str()
            .unwrap()
            .contains("triggers unknown")
    );
    insta::assert_json_snapshot!("cloud_build", ci);
}

const DRONE: &str = r#"kind: pipeline
type: docker
name: ci
trigger:
  event: [push, pull_request, tag]
steps:
  - name: test
    image: golang:1.22
    commands:
      - go vet ./...
      - go test ./...
  - name: publish
    image: plugins/docker
    settings:
      repo: acme/web
      password:
        from_secret: docker_password
    when:
      branch: [main]
      event: [push]
---
kind: pipeline
name: deploy
trigger:
  event: [promote]
  target: [production]
steps:
  - name: helm
    image: alpine/helm:3.14
    commands:
      - helm upgrade --install web ./chart
    when:
      target: [production]
---
kind: secret
name: docker_password
"#;

#[test]
fn drone_pipelines_conditions_and_plugins() {
    let (ci, repo) = ci_of(&[(".drone.yml", DRONE)]);
    let publish = job(&repo, ".drone.yml#ci/publish");
    // Lines checked by hand: `- name: publish` line 12 to `event: [push]` line 20.
    assert_eq!(lines(publish), (12, 20));
    assert_eq!(triggers(publish), vec!["push_default_branch"]);
    assert_eq!(strs(&publish["kinds"]), vec!["build", "release"]);
    let test = job(&repo, ".drone.yml#ci/test");
    assert_eq!(
        triggers(test),
        vec!["push_default_branch", "push_other", "pull_request", "tag"]
    );
    let helm = job(&repo, ".drone.yml#deploy/helm");
    assert_eq!(triggers(helm), vec!["manual"]);
    assert_eq!(helm["automatic"], false);
    assert_eq!(helm["environment"], "production");
    insta::assert_json_snapshot!("drone", ci);
}

const BUILDKITE: &str = r#"steps:
  - label: ":test_tube: Test"
    key: test
    commands:
      - make lint
      - make test
    plugins:
      - docker-compose#v5.0.0:
          run: app
  - wait
  - block: ":rocket: Release?"
    branches: main
  - label: Deploy
    command: ./scripts/deploy.sh production
    branches: main
    plugins:
      - acme/ship#v1.2.0: ~
"#;

#[test]
fn buildkite_steps_blocks_and_plugins() {
    let (ci, repo) = ci_of(&[(".buildkite/pipeline.yml", BUILDKITE)]);
    let test = job(&repo, ".buildkite/pipeline.yml#test");
    // Lines checked by hand: `- label:` line 2 to `run: app` line 9.
    assert_eq!(lines(test), (2, 9));
    assert_eq!(strs(&test["kinds"]), vec!["test", "lint"]);
    assert_eq!(
        strs(&test["reuses"]),
        vec!["buildkite-plugin:docker-compose#v5.0.0"]
    );
    let deploy = job(&repo, ".buildkite/pipeline.yml#Deploy");
    assert_eq!(lines(deploy), (13, 17));
    assert_eq!(triggers(deploy), vec!["manual", "external-trigger"]);
    assert_eq!(strs(&deploy["kinds"]), vec!["deploy"]);
    insta::assert_json_snapshot!("buildkite", ci);
}

const TRAVIS: &str = r#"language: python
branches:
  only:
    - main
    - /^release-.*$/
install:
  - pip install -r requirements.txt
script:
  - pytest
  - flake8
stages:
  - test
  - name: migrate
    if: branch = main AND type = push
jobs:
  include:
    - stage: migrate
      script: alembic upgrade head
    - stage: load
      if: type = cron
      script: locust -f load.py --headless
deploy:
  provider: heroku
  api_key: evident-canary-7f3a9c1e
  on:
    branch: main
"#;

#[test]
fn travis_phases_jobs_and_deploy() {
    let (ci, repo) = ci_of(&[(".travis.yml", TRAVIS)]);
    let script = job(&repo, ".travis.yml#script");
    // Lines checked by hand: `install:` line 6 to `- flake8` line 10.
    assert_eq!(lines(script), (6, 10));
    assert_eq!(strs(&script["kinds"]), vec!["test", "lint"]);
    assert_eq!(
        triggers(script),
        vec!["push_default_branch", "push_other", "pull_request", "tag"]
    );
    let migrate = job(&repo, ".travis.yml#jobs/1");
    assert_eq!(triggers(migrate), vec!["push_default_branch"]);
    assert_eq!(strs(&migrate["kinds"]), vec!["db_migration"]);
    let load = job(&repo, ".travis.yml#jobs/2");
    assert_eq!(triggers(load), vec!["schedule"]);
    let deploy = job(&repo, ".travis.yml#deploy");
    assert_eq!(lines(deploy), (22, 26));
    assert_eq!(triggers(deploy), vec!["push_default_branch"]);
    assert_eq!(strs(&deploy["deploy_targets"]), vec!["travis:heroku"]);
    insta::assert_json_snapshot!("travis", ci);
}

const TEKTON_TASKS: &str = r#"apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: unit-test
spec:
  steps:
    - name: test
      image: golang:1.22
      script: |
        #!/bin/sh
        go test ./...
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: ci
spec:
  tasks:
    - name: clone
      taskRef:
        resolver: hub
        params:
          - name: name
            value: git-clone
    - name: test
      taskRef:
        name: unit-test
      runAfter: [clone]
    - name: deploy
      runAfter: [test]
      taskSpec:
        steps:
          - name: apply
            image: bitnami/kubectl
            command: ["kubectl"]
            args: ["apply", "-f", "k8s/"]
"#;

const TEKTON_TRIGGERS: &str = r#"apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata:
  name: ci-run
spec:
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata:
        generateName: ci-
      spec:
        pipelineRef:
          name: ci
---
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata:
  name: github
spec:
  triggers:
    - name: on-push
      interceptors:
        - ref:
            name: github
          params:
            - name: eventTypes
              value: ["push"]
      template:
        ref: ci-run
"#;

#[test]
fn tekton_tasks_pipelines_and_event_listeners() {
    let (ci, repo) = ci_of(&[
        ("tekton/pipeline.yaml", TEKTON_TASKS),
        ("tekton/triggers.yaml", TEKTON_TRIGGERS),
        (
            "k8s/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
        ),
    ]);
    let task = job(&repo, "tekton/pipeline.yaml#Task/unit-test");
    // Lines checked by hand: the Task document is lines 1-11, `go test` line 11.
    assert_eq!(lines(task), (1, 11));
    assert_eq!(task["signals"][0]["line"], 11);
    assert_eq!(triggers(task), vec!["push_default_branch", "push_other"]);
    assert_eq!(task["automatic"], true);
    let deploy = job(&repo, "tekton/pipeline.yaml#ci/deploy");
    assert_eq!(lines(deploy), (29, 36));
    assert_eq!(strs(&deploy["kinds"]), vec!["deploy"]);
    let clone = job(&repo, "tekton/pipeline.yaml#ci/clone");
    assert_eq!(strs(&clone["reuses"]), vec!["tekton-task:git-clone"]);
    let files: Vec<&str> = repo["ci"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec!["tekton/pipeline.yaml", "tekton/triggers.yaml"]);
    insta::assert_json_snapshot!("tekton", ci);
}

#[test]
fn malformed_files_of_every_system_are_reported_with_a_line_and_the_scan_goes_on() {
    let dir = repo_of(&[
        (
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('a') {\n      steps { sh 'make }\n    }\n  }\n}\n",
        ),
        (".circleci/config.yml", "version: 2.1\njobs:\n  a: [\n"),
        (
            "azure-pipelines.yml",
            "trigger: [main\nsteps:\n  - script: x\n",
        ),
        (
            "bitbucket-pipelines.yml",
            "pipelines:\n  default:\n    - step: {script: [\n",
        ),
        (
            "cloudbuild.json",
            "{\n  \"steps\": [\n    {\"name\": \"x\"}\n",
        ),
        (
            ".drone.yml",
            "kind: pipeline\nsteps:\n  - name: a\n   commands: [x]\n",
        ),
        (
            ".buildkite/pipeline.yml",
            "steps:\n  - command: \"make test\n",
        ),
        (".travis.yml", "script:\n  - make\n   - bad: [\n"),
        (
            "tekton/task.yaml",
            "apiVersion: tekton.dev/v1\nkind: Task\nspec: {steps: [\n",
        ),
        (
            ".github/workflows/ok.yml",
            "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: cargo test\n",
        ),
    ]);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    let files = repo["ci"]["files"].as_array().unwrap();
    let mut errors: Vec<(String, String)> = files
        .iter()
        .filter(|f| !f["error"].is_null())
        .map(|f| {
            (
                f["system"].as_str().unwrap().to_owned(),
                f["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    errors.sort();
    let systems: Vec<&str> = errors.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        systems,
        vec![
            "azure-pipelines",
            "bitbucket-pipelines",
            "buildkite",
            "circleci",
            "cloud-build",
            "drone",
            "jenkins",
            "tekton",
            "travis"
        ],
        "{errors:#?}"
    );
    for (system, error) in &errors {
        assert!(error.contains("at line "), "{system}: {error}");
    }
    let jenkins = errors.iter().find(|(s, _)| s == "jenkins").unwrap();
    assert_eq!(
        jenkins.1,
        "could not parse Jenkinsfile at line 4: string not closed on its line"
    );
    // The good workflow next to them is still read.
    job(repo, ".github/workflows/ok.yml#t");
    let unreadable = repo["unreadable"].as_array().unwrap();
    assert!(unreadable.iter().any(|u| u["path"] == "Jenkinsfile"));
}
