//! Randomised inputs for every parser: whatever bytes a repository holds, no parser may
//! panic. A small deterministic generator keeps failures reproducible without a
//! property-testing dependency.

use crate::ci::classify::{classify_command, shell_commands};
use crate::ci::{github, gitlab};
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

const SEEDS: [&str; 4] = [
    "on:\n  push:\n    branches: [main]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v5\n        with: {push: true}\n      - run: |\n          kubectl apply -f k8s/ \\\n            --prune\n",
    "include:\n  - local: /ci/*.yml\n.t: &t\n  script: [make test]\njob:\n  <<: *t\n  extends: [.t, .missing]\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: manual\n  script:\n    - !reference [.t, script]\n",
    "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a}\n---\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
    "FROM a AS b\nHEALTHCHECK \\\nCMD x\nUSER\n* @o\napiVersion: backstage.io/v1alpha1\nkind: Component\n",
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
