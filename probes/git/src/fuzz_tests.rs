//! Randomised inputs for every parser: whatever bytes a repository holds, no parser may
//! panic. A small deterministic generator keeps failures reproducible without a
//! property-testing dependency.

use crate::ci::classify::{classify_command, shell_commands};
use crate::ci::{PathSystem, github, gitlab, jenkins, tekton};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::{containers, manifests, ownership, yaml_pos};
use evident_core::ScanContext;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: [&str; 9] = [
    "on:\n  push:\n    branches: [main]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v5\n        with: {push: true}\n      - run: |\n          kubectl apply -f k8s/ \\\n            --prune\n",
    "include:\n  - local: /ci/*.yml\n.t: &t\n  script: [make test]\njob:\n  <<: *t\n  extends: [.t, .missing]\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: manual\n  script:\n    - !reference [.t, script]\n",
    "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a}\n---\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
    "FROM a AS b\nHEALTHCHECK \\\nCMD x\nUSER\n* @o\napiVersion: backstage.io/v1alpha1\nkind: Component\n",
    "version: 2.1\norbs: {k: circleci/kubernetes@1}\njobs:\n  d:\n    steps: [checkout, {run: {command: kubectl apply -f x}}, k/apply]\nworkflows:\n  w:\n    triggers: [{schedule: {cron: x}}]\n    jobs: [{h: {type: approval}}, {d: {requires: [h], filters: {branches: {only: /ma.*/}, tags: {only: /v.*/}}}}]\n",
    "trigger: none\npr: [main]\nresources: {repositories: [{repository: t, name: o/t}]}\nextends: {template: x.yml@t}\nstages:\n  - stage: S\n    condition: eq(variables['Build.Reason'], 'Manual')\n    jobs:\n      - deployment: D\n        environment: {name: prod}\n        strategy: {runOnce: {deploy: {steps: [{task: HelmDeploy@0, inputs: {command: upgrade}}, {bash: terraform apply}]}}}\n  - template: s.yml@t\n",
    "pipelines:\n  branches:\n    main:\n      - step: {trigger: manual, deployment: p, script: [{pipe: atlassian/kubectl-run:1}]}\n      - parallel: {steps: [{step: {script: [make test]}}]}\n      - stage: {steps: [{step: {script: [x]}}]}\n  custom: {c: [{step: {script: [y]}}]}\nsteps:\n  - name: gcr.io/cloud-builders/gcloud\n    entrypoint: bash\n    args: [-c, gcloud run deploy]\nimages: [x]\n",
    "kind: pipeline\ntrigger: {event: {exclude: [pull_request]}, branch: {include: [main]}}\nsteps:\n  - name: p\n    image: plugins/helm3\n    settings: {dry_run: true}\n    when: {event: [promote], target: [prod]}\n---\napiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec: {tasks: [{name: a, taskRef: {name: kaniko}}, {name: b, taskSpec: {steps: [{command: [sh, -c], args: [kubectl apply -f x]}]}}]}\n---\napiVersion: triggers.tekton.dev/v1beta1\nkind: EventListener\nmetadata: {name: l}\nspec: {triggers: [{triggerRef: t}, {template: {ref: tt}}]}\n",
    "steps:\n  - block: ok\n  - group: g\n    steps:\n      - {label: d, command: [kubectl apply -f x], plugins: [{a/b#v1: {}}]}\nbranches: {only: [main], except: [/x/]}\nscript: [pytest]\njobs: {include: [{stage: s, if: type = cron, deploy: [{provider: releases}, {provider: script, script: helm upgrade x}]}]}\ndeploy: {provider: heroku, on: {tags: true}}\n",
];
const NOISE: &[u8] = b":-[]{}&*!|>\"'\t\n #%@`?,\\";

fn mutate(rng: &mut XorShift, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(8) {
        let pos = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => bytes.insert(pos.min(bytes.len()), NOISE[rng.below(NOISE.len())]),
            1 if pos < bytes.len() => {
                bytes.remove(pos);
            }
            2 if pos < bytes.len() => bytes[pos] = NOISE[rng.below(NOISE.len())],
            _ => bytes.insert(pos.min(bytes.len()), (rng.next() & 0xff) as u8),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn exercise(text: &str, ctx: &ScanContext) {
    let mut book = EvidenceBook::new(ctx, "fuzz", "/fuzz", Some("0123456789"));
    let workflow = SourceFile::new(".github/workflows/x.yml".into(), text.to_owned());
    let mut unreadable = Vec::new();
    let _ = github::scan_workflows(
        &[&workflow],
        &mut book,
        "main",
        Some("acme"),
        &mut unreadable,
    );
    let root = SourceFile::new(".gitlab-ci.yml".into(), text.to_owned());
    let mut load = |p: &str| Some(SourceFile::new(p.to_owned(), text.to_owned()));
    let paths = vec!["ci/a.yml".to_owned(), ".gitlab-ci.yml".to_owned()];
    let pipeline =
        gitlab::scan_pipeline(root, &mut load, &paths, &mut book, "main", &mut unreadable);
    let mut files = std::collections::BTreeMap::new();
    files.insert(
        ".gitlab-ci.yml".to_owned(),
        SourceFile::new(".gitlab-ci.yml".into(), text.to_owned()),
    );
    for job in pipeline.jobs {
        let _ = job.finish(&mut book, &files);
    }
    if let Ok(docs) = yaml_pos::load_documents(text) {
        let file = SourceFile::new("k8s/x.yaml".into(), text.to_owned());
        let mut found = manifests::Found::default();
        manifests::collect(&file, &docs, &mut book, &mut found);
        let _ = ownership::catalog_entries(&file, &docs, &mut book);
        let _ = containers::compose_file(&file, &docs, &mut book);
        for doc in &docs {
            let _ = yaml_pos::to_json(doc);
        }
    }
    exercise_other_ci(text, &mut book);
    let plain = SourceFile::new("Dockerfile".into(), text.to_owned());
    let _ = containers::dockerfile(&plain, &mut book);
    let _ = ownership::codeowners(&plain, &mut book);
    let lines: Vec<(u32, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l.to_owned()))
        .collect();
    for command in shell_commands(&lines) {
        let _ = classify_command(&command);
    }
    let _ = book.into_records();
}

/// Every CI system found by path, and Tekton, on the same text; each job is finished
/// (cited) so line arithmetic on hostile input is exercised too.
fn exercise_other_ci(text: &str, book: &mut EvidenceBook<'_>) {
    let mut files = std::collections::BTreeMap::new();
    for path in [
        "Jenkinsfile",
        ".circleci/config.yml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        "cloudbuild.yaml",
        ".drone.yml",
        ".buildkite/pipeline.yml",
        ".travis.yml",
    ] {
        files.insert(
            path.to_owned(),
            SourceFile::new(path.into(), text.to_owned()),
        );
    }
    let mut drafts = Vec::new();
    for (path, file) in &files {
        let Some(system) = PathSystem::of(path) else {
            panic!("{path} is not recognised");
        };
        drafts.extend(system.scan(file, book, "main").jobs);
    }
    let tekton_file = SourceFile::new("tekton/x.yaml".into(), text.to_owned());
    for parsed in tekton::scan(&[&tekton_file], book, "main") {
        drafts.extend(parsed.jobs);
    }
    files.insert("tekton/x.yaml".to_owned(), tekton_file);
    for draft in drafts {
        let _ = draft.finish(book, &files);
    }
}

/// Groovy-shaped seeds for the Jenkinsfile scanner.
const GROOVY_SEEDS: [&str; 3] = [
    "@Library('lib@v1') _\npipeline {\n  triggers { cron('H 4 * * *') }\n  stages {\n    stage('a') {\n      when { anyOf { branch 'main'; buildingTag() } }\n      steps { sh \"make ${x.collect { \"}\" }}\" }\n    }\n    stage('b') { parallel { stage('c') { steps { sh '''\n  kubectl apply -f k8s/\n''' } } } }\n  }\n}\n",
    "node {\n  /* { */ stage('x') {\n    if (env.BRANCH_NAME == 'main') { input 'ok?'; sh \"\"\"helm upgrade x ./c\"\"\" }\n  }\n}\n// }\n",
    "#!groovy\nproperties([pipelineTriggers([pollSCM('H/5 * * * *')])])\nstage('s') { sh(script: 'cargo test', returnStdout: true).trim() }\n",
];
const GROOVY_NOISE: &[u8] = b"{}()[]'\"/*\\$\n ;,:.@#";

#[test]
fn the_jenkinsfile_scanner_never_panics() {
    let ctx = ScanContext::new(vec![], "t".into());
    let mut rng = XorShift(0x0dd_ba11_cafe_f00d);
    for round in 0..1500 {
        let seed = GROOVY_SEEDS[round % GROOVY_SEEDS.len()];
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..=rng.below(12) {
            let pos = rng.below(bytes.len() + 1).min(bytes.len());
            match rng.below(3) {
                0 => bytes.insert(pos, GROOVY_NOISE[rng.below(GROOVY_NOISE.len())]),
                1 if pos < bytes.len() => {
                    bytes.remove(pos);
                }
                _ => {
                    // Duplicate a slice: deeper nesting, repeated quotes.
                    let end = (pos + rng.below(40)).min(bytes.len());
                    let slice = bytes[pos..end].to_vec();
                    bytes.splice(pos..pos, slice);
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
        let file = SourceFile::new("Jenkinsfile".into(), text.clone());
        let parsed = jenkins::scan(&file, &mut book, "main");
        let mut files = std::collections::BTreeMap::new();
        files.insert("Jenkinsfile".to_owned(), file);
        for job in parsed.jobs {
            let job = job.finish(&mut book, &files);
            if let Some(job) = job {
                assert!(job.start_line <= job.end_line, "{text}");
            }
        }
        let random: Vec<u8> = (0..rng.below(400))
            .map(|_| GROOVY_NOISE[rng.below(GROOVY_NOISE.len())])
            .collect();
        let file = SourceFile::new(
            "Jenkinsfile".into(),
            String::from_utf8_lossy(&random).into_owned(),
        );
        let _ = jenkins::scan(&file, &mut book, "main");
    }
    for seed in GROOVY_SEEDS {
        let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
        let file = SourceFile::new("Jenkinsfile".into(), seed.to_owned());
        let parsed = jenkins::scan(&file, &mut book, "main");
        assert!(
            parsed.file.error.is_none(),
            "{seed}: {:?}",
            parsed.file.error
        );
        assert!(!parsed.jobs.is_empty(), "{seed}");
    }
    // Pathological shapes: deep nesting, endless interpolation, unclosed everything.
    for text in [
        format!("{}{}", "a {\n".repeat(20_000), "}\n".repeat(20_000)),
        format!("stage('x') {{ sh \"{}\" }}", "${\"".repeat(5_000)),
        "'''".repeat(3_001),
        "/*".repeat(10_000),
        "(".repeat(50_000),
    ] {
        let mut book = EvidenceBook::new(&ctx, "fuzz", "/fuzz", Some("0123456789"));
        let file = SourceFile::new("Jenkinsfile".into(), text);
        let _ = jenkins::scan(&file, &mut book, "main");
    }
}

#[test]
fn no_parser_panics_on_mutated_or_random_input() {
    let ctx = ScanContext::new(vec![], "t".into());
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    for round in 0..400 {
        let seed = SEEDS[round % SEEDS.len()];
        exercise(&mutate(&mut rng, seed), &ctx);
        let random: Vec<u8> = (0..rng.below(300))
            .map(|_| (rng.next() & 0xff) as u8)
            .collect();
        exercise(&String::from_utf8_lossy(&random), &ctx);
    }
    for seed in SEEDS {
        exercise(seed, &ctx);
    }
}

#[test]
fn deep_nesting_and_alias_bombs_do_not_panic() {
    let ctx = ScanContext::new(vec![], "t".into());
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    exercise(&deep, &ctx);
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!(
            "b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    exercise(&bomb, &ctx);
}
