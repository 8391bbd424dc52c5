//! Renders every format for a synthetic estate of 1,000 services × 72 criteria (the
//! size of the built-in models), and prints each output's size, so the report's budget
//! (all formats well under 2 s, an HTML file a browser opens comfortably) is measured,
//! not asserted in a test.
//!
//! `cargo bench -p evident-report --bench render`; set `EVIDENT_BENCH_WRITE=DIR` to also
//! write the scan result and every rendering there (for timing `evident report`).

use criterion::{Criterion, criterion_group, criterion_main};
use evident_core::{
    Blockers, CriterionInfo, CriterionResult, Evidence, EvidenceLocation, LevelReport, LevelShare,
    SCAN_RESULT_SCHEMA, ScanInfo, ScanResult, Service, SourceReport, SourceStatus, Status,
    ToolInfo, UnknownBlocker,
};
use evident_report::{Format, TableOptions, render};
use std::collections::BTreeMap;
use std::hint::black_box;

const SERVICES: usize = 1_000;
const MODELS: [(&str, usize); 3] = [
    ("distributed-systems", 47),
    ("operations", 11),
    ("devops-cams", 14),
];

fn estate() -> ScanResult {
    let mut criteria = BTreeMap::new();
    let mut ids = Vec::new();
    for (model, n) in MODELS {
        for i in 0..n {
            let id = format!("{}.dim{}.criterion-{i:02}", &model[..3], i % 5);
            criteria.insert(
                id.clone(),
                CriterionInfo {
                    model: model.into(),
                    title: format!("Criterion {i} of {model}, a sentence long"),
                    level: (model != "devops-cams").then_some((i % 4) as u8 + 1),
                    dimension: format!("Dimension {}", i % 5),
                    scope: "service".into(),
                    observability: if i % 12 == 0 { "none" } else { "direct" }.into(),
                    met_when: "Every workload of the service shows the practice in its manifests and pipelines.".into(),
                    remediation: "Add the practice to the manifests and pipelines of the service.".into(),
                },
            );
            ids.push((model, id));
        }
    }
    let mut services = Vec::new();
    let mut results = Vec::new();
    let mut levels = Vec::new();
    let mut evidence = BTreeMap::new();
    for s in 0..SERVICES {
        let sid = format!("service-{s:04}");
        let repo = format!("/src/repo-{:03}", s / 4);
        let mut cited = Vec::new();
        for (k, path) in [
            ".github/workflows/ci.yaml",
            "k8s/deployment.yaml",
            "Dockerfile",
            "catalog-info.yaml",
            "k8s/service.yaml",
            ".gitlab-ci.yml",
        ]
        .iter()
        .enumerate()
        {
            let id = format!(
                "git:repo-{:03}@9f3c1e2:{sid}/{path}#L{}-L{}",
                s / 4,
                k + 1,
                k + 12
            );
            evidence.insert(
                id.clone(),
                Evidence {
                    id: id.clone(),
                    probe: "git".into(),
                    source: repo.clone(),
                    locator: format!("{sid}/{path}#L{}-L{}", k + 1, k + 12),
                    location: Some(EvidenceLocation {
                        path: format!("{sid}/{path}"),
                        start_line: k as u32 + 1,
                        end_line: k as u32 + 12,
                    }),
                    observed_at: "2026-11-20T09:30:00Z".into(),
                    revision: Some("9f3c1e2".into()),
                    sha256: Some(format!("{:064x}", s * 8 + k)),
                    excerpt: "containers:\n  - name: server\n    image: ghcr.io/acme/app:1.2.3\n    readinessProbe:\n      httpGet: {path: /healthz, port: 8080}\n".into(),
                },
            );
            cited.push(id);
        }
        services.push(Service {
            id: sid.clone(),
            team: Some(format!("team-{}", s % 40)),
            team_source: Some("catalog-info.yaml".into()),
            resolved_from: "catalog".into(),
            found_in: vec![cited[3].clone()],
            ..Default::default()
        });
        for (n, (model, id)) in ids.iter().enumerate() {
            let roll = (s * 31 + n * 17) % 100;
            let status = match roll {
                0..25 => Status::Met,
                25..40 => Status::NotMet,
                40..85 => Status::Unknown,
                85..90 => Status::NotApplicable,
                90..98 => Status::Manual,
                _ => Status::Attested,
            };
            let (summary, reason, ev) = match status {
                Status::Met => ("Deployment/app: every container has readiness and liveness probes".to_owned(), None, vec![cited[n % 6].clone()]),
                Status::NotMet => ("Deployment/app container worker has no readiness probe".to_owned(), None, vec![cited[n % 6].clone()]),
                Status::Unknown => ("needs prometheus (not_configured: this version of evident has no Prometheus probe)".to_owned(), Some("not_configured".to_owned()), vec![]),
                Status::NotApplicable => ("no stateful workload".to_owned(), None, vec![]),
                Status::Manual => ("no system can show this; attest it in .evident/attestations.yaml".to_owned(), None, vec![]),
                Status::Attested => ("attested by Jane Doe on 2026-09-01: reviewed in the quarterly audit".to_owned(), Some("attestation".to_owned()), vec![cited[3].clone()]),
            };
            results.push(CriterionResult {
                model: (*model).into(),
                criterion: id.clone(),
                service: sid.clone(),
                status,
                reason,
                summary,
                evidence: ev,
                missing: if status == Status::NotMet {
                    vec!["a readiness probe".into()]
                } else {
                    vec![]
                },
                scoped: None,
            });
        }
        for (model, _) in MODELS {
            levels.push(LevelReport {
                model: model.into(),
                service: sid.clone(),
                attained: (model != "devops-cams").then_some(1),
                attained_name: (model != "devops-cams").then(|| "Baseline".into()),
                next: (model != "devops-cams").then_some(2),
                next_undetermined: false,
                blocked_by: Blockers {
                    not_met: vec![ids[1].1.clone()],
                    unknown: vec![UnknownBlocker {
                        criterion: ids[2].1.clone(),
                        reason: "not_configured".into(),
                    }],
                    manual: vec![],
                },
                shares: vec![LevelShare {
                    level: Some(1),
                    name: "Baseline".into(),
                    met: 5,
                    total: 9,
                    share: 5.0 / 9.0,
                }],
            });
        }
    }
    ScanResult {
        schema: SCAN_RESULT_SCHEMA.into(),
        scan: ScanInfo {
            id: "bench".into(),
            started_at: "2026-11-20T09:29:58Z".into(),
            finished_at: "2026-11-20T09:30:04Z".into(),
            tool: ToolInfo {
                name: "evident".into(),
                version: "0.1.0".into(),
            },
            targets: vec!["/src".into()],
            strict: false,
            policies: vec![],
        },
        sources: vec![SourceReport::new("git", "/src", SourceStatus::Ok, None)],
        services,
        criteria,
        results: results.into(),
        levels,
        evidence,
        unreadable: vec![],
        unresolved: vec![],
        dora: Default::default(),
        warnings: vec![],
    }
}

const FORMATS: [(Format, &str); 7] = [
    (Format::Table, "table"),
    (Format::Json, "json"),
    (Format::Html, "html"),
    (Format::Markdown, "md"),
    (Format::Csv, "csv"),
    (Format::Sarif, "sarif"),
    (Format::Oscal, "oscal"),
];

fn bench(c: &mut Criterion) {
    let result = estate();
    let write_to = std::env::var_os("EVIDENT_BENCH_WRITE").map(std::path::PathBuf::from);
    for (format, name) in FORMATS {
        let started = std::time::Instant::now();
        let out = render(&result, format, TableOptions::default()).expect("render");
        eprintln!(
            "{name}: {} bytes ({:.1} MB) in {:?} (one run)",
            out.len(),
            out.len() as f64 / 1e6,
            started.elapsed()
        );
        if let Some(dir) = &write_to {
            std::fs::create_dir_all(dir).expect("dir");
            std::fs::write(dir.join(format!("report.{name}")), &out).expect("write");
        }
    }
    if let Some(dir) = &write_to {
        let json = evident_report::render_json(&result).expect("json");
        std::fs::write(dir.join("scan-1000.json"), json).expect("write");
    }
    let mut group = c.benchmark_group("1000 services x 72 criteria");
    group.sample_size(10);
    group.bench_function("all formats", |b| {
        b.iter(|| {
            for (format, _) in FORMATS {
                black_box(
                    render(black_box(&result), format, TableOptions::default()).expect("render"),
                );
            }
        })
    });
    for (format, name) in FORMATS {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    render(black_box(&result), format, TableOptions::default()).expect("render"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
