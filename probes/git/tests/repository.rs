//! Whole-repository behaviour: limits and bad input, manifests, containers, ownership,
//! inventory, secrets, and the probe contract.

mod common;

use common::*;
use evident_core::{Probe, ScanContext, SourceStatus};
use evident_probe_git::GitProbe;
use serde_json::Value;

const DEPLOYMENTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.2.3
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /live, port: 8080}
          env:
            - name: API_KEY
              value: evident-canary-7f3a9c1e
---
# worker has no probes
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:latest
"#;

fn unreadable_reason<'a>(repo: &'a serde_json::Value, path: &str) -> Option<&'a str> {
    repo["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["path"] == path)
        .and_then(|u| u["reason"].as_str())
}

#[test]
fn manifest_documents_are_cited_by_their_own_lines() {
    let dir = repo_of(&[("k8s/app.yaml", DEPLOYMENTS)]);
    let out = scan(&dir);
    let ids: Vec<String> = out.evidence.iter().map(|e| stable_id(&e.id)).collect();
    assert!(ids.contains(&"k8s/app.yaml#L1-L22".to_owned()), "{ids:?}");
    assert!(ids.contains(&"k8s/app.yaml#L25-L34".to_owned()), "{ids:?}");
    let web = out
        .evidence
        .iter()
        .find(|e| e.id.ends_with("#L1-L22"))
        .unwrap();
    assert!(web.excerpt.contains("readinessProbe"));
    assert!(web.excerpt.contains("API_KEY"), "env names stay visible");
    let worker = out
        .evidence
        .iter()
        .find(|e| e.id.ends_with("#L25-L34"))
        .unwrap();
    assert!(
        worker
            .excerpt
            .starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker")
    );
    for key in ["workloads", "services", "pdbs", "hpas"] {
        assert!(out.facts[key].is_object(), "{key}");
    }
    assert!(out.facts["bare_pods"].is_array());
    // Once kube-facts extracts workloads, each must cite its own document.
    let workloads = out.facts["workloads"].as_object().unwrap();
    for (key, range) in [
        ("Deployment/default/web", "k8s/app.yaml#L1-L22"),
        ("Deployment/default/worker", "k8s/app.yaml#L25-L34"),
    ] {
        if let Some(w) = workloads.get(key) {
            let cited: Vec<String> = w["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| stable_id(e.as_str().unwrap()))
                .collect();
            assert_eq!(cited, vec![range.to_owned()], "{key}");
        }
    }
}

#[test]
fn the_secrets_canary_never_reaches_facts_or_evidence() {
    let workflow = format!(
        "on: push\nenv:\n  TOKEN: {CANARY}\njobs:\n  a:\n    runs-on: x\n    env:\n      DB_PASSWORD: {CANARY}\n    steps:\n      - run: cargo test\n"
    );
    let catalog = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\n  annotations:\n    github.com/project-slug: acme/web\n    example.com/api-token: {CANARY}\nspec:\n  owner: team-web\n"
    );
    let dir = repo_of(&[
        (".github/workflows/ci.yml", &workflow),
        ("k8s/app.yaml", DEPLOYMENTS),
        ("catalog-info.yaml", &catalog),
    ]);
    let out = scan(&dir);
    let facts = serde_json::to_string(&out.facts).unwrap();
    let evidence = serde_json::to_string(&out.evidence).unwrap();
    assert!(!facts.contains(CANARY), "{facts}");
    assert!(!evidence.contains(CANARY), "{evidence}");
    let repo = the_repo(&out);
    assert_eq!(
        repo["catalog"][0]["annotations"]["github.com/project-slug"],
        "acme/web"
    );
    assert_eq!(
        repo["catalog"][0]["annotations"]["example.com/api-token"],
        "[redacted]"
    );
}

#[test]
fn a_repository_without_commits_is_an_error_source_that_says_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let out = scan(&dir);
    assert_eq!(out.sources.len(), 1);
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    assert_eq!(
        out.sources[0].detail.as_deref(),
        Some(
            format!(
                "{} has no commits; nothing at HEAD to read (pass --worktree to read the working tree)",
                dir.path().display()
            )
            .as_str()
        )
    );
    // The repository stays listed, with nothing read from it.
    let repo = the_repo(&out);
    assert!(repo["head"].is_null());
    assert!(repo["ci"]["jobs"].as_array().unwrap().is_empty());
    // With --worktree its files are read.
    let mut worktree = ctx(dir.path());
    worktree.worktree = true;
    let out = evident_probe_git::scan_repository(dir.path(), &worktree);
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    assert_eq!(the_repo(&out)["dockerfiles"][0]["path"], "Dockerfile");
}

#[test]
fn an_empty_directory_is_an_error_source_with_no_files_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    assert_eq!(
        out.sources[0].detail.as_deref(),
        Some(format!("{}: no files to read", dir.path().display()).as_str())
    );
    // One file, however irrelevant, is a complete read.
    std::fs::write(dir.path().join("README.md"), "hello\n").unwrap();
    assert_eq!(scan(&dir).sources[0].status, SourceStatus::Ok);
}

#[test]
fn a_missing_directory_is_an_error_source_not_a_crash() {
    let path = std::path::Path::new("/nonexistent/evident/repo");
    let out = evident_probe_git::scan_repository(path, &ctx(path));
    assert_eq!(out.sources[0].status, SourceStatus::Error);
    assert!(
        out.sources[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("is not a directory")
    );
    assert!(out.facts["repos"].as_object().unwrap().is_empty());
}

#[test]
fn symlinks_out_of_the_repository_are_never_read() {
    let dir = repo(&[
        Item::Symlink("config/app.yaml", "../../etc/passwd"),
        Item::Symlink("docs/passwd", "/etc/passwd"),
        Item::Symlink("README.link", "README.md"),
        Item::File("README.md", b"hello\n"),
    ]);
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    assert_eq!(
        unreadable_reason(repo, "config/app.yaml"),
        Some("symlink not followed")
    );
    assert_eq!(
        unreadable_reason(repo, "docs/passwd"),
        Some("symlink not followed")
    );
    assert_eq!(
        unreadable_reason(repo, "README.link"),
        None,
        "harmless links are not noise"
    );
    let all = format!(
        "{}{}",
        out.facts,
        serde_json::to_string(&out.evidence).unwrap()
    );
    assert!(!all.contains("root:"), "nothing from /etc/passwd");
}

#[test]
fn files_over_the_limit_are_skipped_with_a_note() {
    let mut big = String::from("a: |\n");
    while big.len() < 6 * 1024 * 1024 {
        big.push_str("  0123456789012345678901234567890123456789012345678901234567890123456789\n");
    }
    let dir = repo_of(&[
        ("big.yaml", &big),
        ("Dockerfile", "FROM alpine\nHEALTHCHECK CMD true\n"),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    assert_eq!(
        unreadable_reason(repo, "big.yaml"),
        Some("skipped: 6.0 MB is over the 5 MB limit")
    );
    assert_eq!(repo["dockerfiles"][0]["healthcheck"], true);
}

#[test]
fn malformed_yaml_and_json_are_reported_with_their_line() {
    let dir = repo_of(&[
        (
            "k8s/broken.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: x\n",
        ),
        (
            "api/openapi.json",
            "{\n  \"openapi\": \"3.0.0\",\n  \"info\": \n}\n",
        ),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let yaml = unreadable_reason(repo, "k8s/broken.yaml").unwrap();
    assert!(yaml.starts_with("could not parse YAML at line"), "{yaml}");
    let json = unreadable_reason(repo, "api/openapi.json").unwrap();
    assert!(json.starts_with("could not parse JSON at line 4"), "{json}");
}

#[test]
fn dockerfiles_compose_codeowners_and_catalog() {
    let dockerfile = "FROM rust:1.80 AS build\nRUN cargo build --release\n\nFROM debian:bookworm-slim\nCOPY --from=build /app /app\nUSER app\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/health\n";
    let compose = "services:\n  web:\n    image: web\n    restart: always\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n  db:\n    image: postgres\n";
    let codeowners = "# root\n*       @acme/web\n/infra/ @acme/platform\n";
    let catalog = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: shop\nspec:\n  owner: team-shop\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: service\n  owner: team-web\n  system: shop\n";
    let dir = repo_of(&[
        ("Dockerfile", dockerfile),
        ("docker-compose.yml", compose),
        (".github/CODEOWNERS", codeowners),
        ("CODEOWNERS", "* @someone-else\n"),
        ("catalog-info.yaml", catalog),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let d = &repo["dockerfiles"][0];
    assert_eq!(d["healthcheck"], true);
    assert_eq!(
        strs(&d["base_images"]),
        vec!["rust:1.80", "debian:bookworm-slim"]
    );
    assert_eq!(d["user"], "app");
    assert_eq!(
        stable_id(d["evidence"].as_str().unwrap()),
        "Dockerfile#L1-L7"
    );

    let c = &repo["compose_files"][0];
    assert_eq!(c["services"][0]["name"], "web");
    assert_eq!(c["services"][0]["healthcheck"], true);
    assert_eq!(c["services"][0]["restart"], "always");
    assert_eq!(c["services"][1]["healthcheck"], false);

    let owners = &repo["codeowners"];
    assert_eq!(
        owners["path"], ".github/CODEOWNERS",
        "first found wins, as on GitHub"
    );
    assert_eq!(strs(&owners["default_owners"]), vec!["@acme/web"]);
    assert_eq!(owners["rules"][1]["line"], 3);
    assert_eq!(
        stable_id(owners["evidence"].as_str().unwrap()),
        ".github/CODEOWNERS#L2"
    );

    let catalog = repo["catalog"].as_array().unwrap();
    assert_eq!(catalog.len(), 2);
    assert_eq!(catalog[1]["name"], "web");
    assert_eq!(catalog[1]["kind"], "Component");
    assert_eq!(catalog[1]["owner"], "team-web");
    assert_eq!(catalog[1]["system"], "shop");
    assert_eq!(
        stable_id(catalog[1]["evidence"].as_str().unwrap()),
        "catalog-info.yaml#L8-L15"
    );
}

#[test]
fn inventory_by_path_and_content() {
    let dir = repo_of(&[
        ("infra/main.tf", "terraform {}\n"),
        ("infra/vars.tf", "variable \"x\" {}\n"),
        ("infra/modules/db/main.tf", "resource \"x\" \"y\" {}\n"),
        (".github/dependabot.yml", "version: 2\nupdates: []\n"),
        (
            "api/openapi.yaml",
            "# spec\nopenapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n",
        ),
        ("proto/shop.proto", "syntax = \"proto3\";\n"),
        ("db/migration/V1__init.sql", "create table x (id int);\n"),
        ("docs/runbooks/latency.md", "# Latency\n"),
        (
            "Makefile",
            "build:\n\tcargo build\n\ndeploy: build\n\tkubectl apply -f k8s/\n",
        ),
        (
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "charts/web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
        ),
        (
            "charts/web/templates/service.yaml",
            "{{- if .Values.service }}\n",
        ),
        ("deploy/kustomization.yaml", "resources: [app.yaml]\n"),
        (
            "deploy/argo.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n",
        ),
        (
            "monitoring/rules.yml",
            "groups:\n  - name: web\n    rules:\n      - alert: HighErrorRate\n        expr: rate(http_errors_total{job=\"web\"}[5m]) > 1\n        labels: {severity: page}\n        annotations:\n          runbook_url: https://runbooks.example/web\n      - record: job:http_requests:rate5m\n        expr: sum by (job) (rate(http_requests_total[5m]))\n",
        ),
        ("service.wsdl", "<definitions/>\n"),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let inv = &repo["inventory"];
    let tools = |list: &str| -> Vec<(String, String)> {
        inv[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap().to_owned(),
                    e["tool"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let iac = tools("config_as_code");
    assert!(
        iac.contains(&("infra/main.tf".into(), "terraform".into())),
        "{iac:?}"
    );
    assert!(iac.contains(&("infra/modules/db/main.tf".into(), "terraform".into())));
    assert!(
        !iac.iter().any(|(p, _)| p == "infra/vars.tf"),
        "one terraform entry per directory"
    );
    assert!(iac.contains(&("charts/web/Chart.yaml".into(), "helm".into())));
    assert!(iac.contains(&("deploy/kustomization.yaml".into(), "kustomize".into())));
    assert!(iac.contains(&("deploy/argo.yaml".into(), "argocd".into())));
    assert_eq!(
        tools("dependency_updates"),
        vec![(".github/dependabot.yml".into(), "dependabot".into())]
    );
    let apis = tools("api_definitions");
    assert!(apis.contains(&("api/openapi.yaml".into(), "openapi".into())));
    assert!(apis.contains(&("proto/shop.proto".into(), "protobuf".into())));
    let openapi = inv["api_definitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["tool"] == "openapi")
        .unwrap();
    assert_eq!(
        stable_id(openapi["evidence"].as_str().unwrap()),
        "api/openapi.yaml#L2"
    );
    assert_eq!(
        tools("migrations"),
        vec![("db/migration/V1__init.sql".into(), "flyway".into())]
    );
    assert_eq!(
        tools("runbooks"),
        vec![("docs/runbooks/latency.md".into(), "runbooks".into())]
    );
    assert_eq!(
        tools("soap_esb"),
        vec![("service.wsdl".into(), "wsdl".into())]
    );
    let scripts = inv["deploy_scripts"].as_array().unwrap();
    assert_eq!(scripts[0]["tool"], "make");
    assert_eq!(
        stable_id(scripts[0]["evidence"].as_str().unwrap()),
        "Makefile#L4"
    );

    assert_eq!(
        unreadable_reason(repo, "charts/web/templates/"),
        Some("Helm templates not rendered")
    );
    assert_eq!(
        repo["unreadable"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["reason"] == "Helm templates not rendered")
            .count(),
        1
    );

    let rules = out.facts["prometheus_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["name"], "HighErrorRate");
    assert_eq!(rules[0]["kind"], "alert");
    assert_eq!(rules[0]["group"], "web");
    assert_eq!(rules[0]["runbook_url"], "https://runbooks.example/web");
    assert_eq!(rules[0]["service_hint"], "web");
    assert_eq!(
        stable_id(rules[0]["evidence"].as_str().unwrap()),
        "monitoring/rules.yml#L4-L8"
    );
    assert_eq!(rules[1]["kind"], "record");
}

#[test]
fn a_plain_directory_is_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(
        dir.path().join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: go test ./...\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    std::fs::write(dir.path().join("node_modules/x/Dockerfile"), "FROM x\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("Dockerfile")).unwrap();
    let out = scan(&dir);
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let repo = the_repo(&out);
    assert!(repo["head"].is_null());
    let job = &repo["ci"]["jobs"][0];
    assert_eq!(strs(&job["kinds"]), vec!["test"]);
    assert!(job["evidence"].as_str().unwrap().contains("@worktree:"));
    assert!(
        repo["dockerfiles"].as_array().unwrap().is_empty(),
        "node_modules skipped, symlink not followed"
    );
    assert_eq!(
        unreadable_reason(repo, "Dockerfile"),
        Some("symlink not followed")
    );
    assert!(out.evidence.iter().all(|e| e.revision.is_none()));
}

#[tokio::test]
async fn collect_scans_every_repository_and_keeps_keys_unique() {
    let a = repo_of(&[("Dockerfile", "FROM a\n")]);
    let b = repo_of(&[("Dockerfile", "FROM b\n")]);
    let mut ctx = ScanContext::new(
        vec![
            a.path().to_path_buf(),
            b.path().to_path_buf(),
            a.path().to_path_buf(),
            "/nonexistent/x".into(),
        ],
        "2026-01-01T00:00:00Z".into(),
    );
    ctx.worktree = false;
    let probe = GitProbe::new();
    assert_eq!(probe.name(), "git");
    let out = probe.collect(&ctx).await;
    assert_eq!(out.sources.len(), 4);
    assert_eq!(
        out.sources
            .iter()
            .filter(|s| s.status == SourceStatus::Ok)
            .count(),
        3
    );
    assert_eq!(out.sources[3].status, SourceStatus::Error);
    let repos = out.facts["repos"].as_object().unwrap();
    assert_eq!(repos.len(), 3);
    let mut ids: Vec<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), total, "evidence ids are unique");
}

#[test]
fn operations_as_code_helm_charts_and_owners_files() {
    let dir = repo_of(&[
        (
            "slo/openslo.yaml",
            "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: web-availability\nspec:\n  service: web\n",
        ),
        (
            "slo/sloth.yaml",
            "version: \"prometheus/v1\"\nservice: \"web\"\nslos:\n  - name: requests-availability\n    objective: 99.9\n",
        ),
        (
            "slo/pyrra.yaml",
            "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: web\n",
        ),
        (
            "monitoring/blackbox.yml",
            "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n",
        ),
        (
            "monitoring/probe.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n---\napiVersion: monitoring.coreos.com/v1\nkind: Probe\nmetadata:\n  name: web-up\n",
        ),
        (
            "monitoring/dashboard-cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-dash\n  labels:\n    grafana_dashboard: \"1\"\ndata:\n  web.json: \"{}\"\n",
        ),
        (
            "dashboards/web.json",
            "{\n  \"title\": \"Web\",\n  \"schemaVersion\": 39,\n  \"panels\": [\n    {\"type\": \"timeseries\", \"targets\": [{\"expr\": \"rate(http_requests_total[5m])\"}]}\n  ]\n}\n",
        ),
        ("dashboards/broken.json", "{\n  \"panels\": [\n"),
        (
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.3.1\nappVersion: \"1.4.0\"\n",
        ),
        (
            "charts/web/values.yaml",
            "image:\n  repository: ghcr.io/acme/web\n  tag: 1.4.0\nreplicaCount: 2\n",
        ),
        ("charts/web/values-prod.yaml", "replicaCount: 3\n"),
        (
            "charts/web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
        ),
        (
            "OWNERS",
            "approvers:\n  - alice\n  - bob\nreviewers:\n  - carol\n",
        ),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let ops: Vec<(String, String)> = repo["inventory"]["ops_as_code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["tool"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    insta::assert_json_snapshot!("ops_as_code", ops);
    let chart = &repo["helm_charts"][0];
    assert_eq!(chart["name"], "web");
    assert_eq!(chart["version"], "0.3.1");
    assert_eq!(chart["app_version"], "1.4.0");
    assert_eq!(chart["rendered"], false);
    assert_eq!(chart["templates"], 1);
    assert_eq!(
        chart["values_files"],
        serde_json::json!(["charts/web/values-prod.yaml", "charts/web/values.yaml"])
    );
    assert_eq!(
        chart["values_keys"],
        serde_json::json!(["image", "replicaCount"])
    );
    let owners = &repo["owners_files"][0];
    assert_eq!(owners["approvers"], serde_json::json!(["alice", "bob"]));
    assert_eq!(owners["reviewers"], serde_json::json!(["carol"]));
    // The broken dashboard is reported with its line and the rest is kept.
    let unreadable = repo["unreadable"].as_array().unwrap();
    assert!(
        unreadable
            .iter()
            .any(|u| u["path"] == "dashboards/broken.json"
                && u["reason"].as_str().unwrap().contains("line")),
        "{unreadable:?}"
    );
    // Every cited id exists.
    let ids: std::collections::BTreeSet<&str> =
        out.evidence.iter().map(|e| e.id.as_str()).collect();
    for e in repo["inventory"]["ops_as_code"].as_array().unwrap() {
        assert!(ids.contains(e["evidence"].as_str().unwrap()));
    }
}

/// The whole online-boutique corpus as a plain directory: the facts its README lists.
#[test]
fn the_online_boutique_corpus_yields_its_known_facts() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/online-boutique");
    assert!(
        corpus.is_dir(),
        "the shared corpus is missing at {}",
        corpus.display()
    );
    let out = evident_probe_git::scan_repository(&corpus, &ctx(&corpus));
    let workloads = out.facts["workloads"].as_object().unwrap();
    let plain: Vec<&Value> = workloads
        .values()
        .filter(|w| {
            w["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|id| id.as_str().unwrap().contains("kubernetes-manifests/"))
                && w["kind"] == "Deployment"
        })
        .collect();
    assert!(plain.len() >= 11, "{} deployments", plain.len());
    for w in &plain {
        let name = w["name"].as_str().unwrap();
        let probed = w["containers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["readiness_probe"] == true && c["liveness_probe"] == true);
        assert_eq!(probed, name != "loadgenerator", "{name}");
    }
    let redis: Vec<&Value> = workloads
        .values()
        .filter(|w| w["name"] == "redis-cart")
        .collect();
    assert!(!redis.is_empty());
    for w in redis {
        assert_eq!(w["containers"][0]["image"]["pinning"], "mutable_tag", "{w}");
    }
    assert_eq!(out.facts["pdbs"], serde_json::json!({}), "no PDB anywhere");
    let repo = the_repo(&out);
    let chart = &repo["helm_charts"][0];
    assert_eq!(chart["path"], "helm-chart/Chart.yaml");
    assert_eq!(chart["rendered"], false);
    assert!(chart["templates"].as_u64().unwrap() > 0);
}

#[test]
fn kustomize_patches_are_not_workloads() {
    let base = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.2.3
"#;
    let kustomization = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
patches:
  - path: replicas.yaml
  - path: ./a-memory.yaml
    target: {kind: Deployment, name: web}
  - patch: |-
      - op: replace
        path: /spec/replicas
        value: 4
patchesStrategicMerge:
  - ../../patches/image.yaml
patchesJson6902:
  - path: json-patch.yaml
    target: {group: apps, version: v1, kind: Deployment, name: web}
"#;
    let replicas =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n";
    // Sorts before the kustomization that lists it.
    let memory = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          resources: {requests: {memory: 64Mi}}\n";
    let image = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1.2.4\n";
    let json_patch = "- op: replace\n  path: /spec/replicas\n  value: 5\n";
    // A kustomization without apiVersion, in a Component directory.
    let component = "patches:\n  - path: probe.yaml\n";
    let probe = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          readinessProbe: {httpGet: {path: /, port: 8080}}\n";
    let dir = repo_of(&[
        ("k8s/base/deployment.yaml", base),
        (
            "k8s/base/kustomization.yaml",
            "resources:\n  - deployment.yaml\n",
        ),
        ("k8s/overlays/prod/kustomization.yaml", kustomization),
        ("k8s/overlays/prod/replicas.yaml", replicas),
        ("k8s/overlays/prod/a-memory.yaml", memory),
        ("k8s/overlays/prod/json-patch.yaml", json_patch),
        ("k8s/patches/image.yaml", image),
        ("k8s/components/probes/kustomization.yaml", component),
        ("k8s/components/probes/probe.yaml", probe),
    ]);
    let out = scan(&dir);
    // Keys are qualified by the repository key (the fixture directory's name).
    let keys: Vec<String> = out.facts["workloads"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| {
            k.split_once('/')
                .map_or(k.clone(), |(_, rest)| rest.to_owned())
        })
        .collect();
    assert_eq!(
        keys,
        ["Deployment/default/web"],
        "patches are not declarations"
    );
    let web = out.facts["workloads"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(
        stable_id(web["evidence"][0].as_str().unwrap()),
        "k8s/base/deployment.yaml#L1-L12"
    );
    let skipped: Vec<(String, String)> = out.facts["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                stable_id(s["evidence"].as_str().unwrap()),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let prod = "kustomize patch (of k8s/overlays/prod/kustomization.yaml), not a workload";
    let expected = [
        (
            "k8s/components/probes/probe.yaml#L1-L10",
            "kustomize patch (of k8s/components/probes/kustomization.yaml), not a workload",
        ),
        ("k8s/overlays/prod/a-memory.yaml#L1-L10", prod),
        ("k8s/overlays/prod/replicas.yaml#L1-L6", prod),
        ("k8s/patches/image.yaml#L1-L10", prod),
    ];
    for (id, reason) in expected {
        assert!(
            skipped.iter().any(|(i, r)| i == id && r == reason),
            "{id}: {skipped:?}"
        );
    }
    assert_eq!(skipped.len(), expected.len(), "{skipped:?}");
    // Each skipped entry cites evidence the scan recorded.
    for (id, _) in &skipped {
        assert!(out.evidence.iter().any(|e| &stable_id(&e.id) == id), "{id}");
    }
}

#[test]
fn an_overlay_with_a_remote_base_is_never_fetched_and_is_disclosed() {
    let dir = repo_of(&[
        ("k8s/base/kustomization.yaml", "resources:\n  - web.yaml\n"),
        ("k8s/base/web.yaml", DEPLOYMENTS),
        (
            "k8s/prod/kustomization.yaml",
            "resources:\n  - ../base\n  - github.com/acme/platform//monitoring?ref=v1\n",
        ),
    ]);
    let out = scan(&dir);
    let repo = the_repo(&out);
    let reason = unreadable_reason(repo, "k8s/prod/kustomization.yaml").expect("disclosed");
    assert_eq!(
        reason,
        "kustomize overlay not rendered: lists remote resources, which evident does not fetch (github.com/acme/platform//monitoring?ref=v1)"
    );
    // The base's workloads are what the overlay builds on: marked, not judged as deployed.
    let web = &out.facts["workloads"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.ends_with("Deployment/default/web"))
        .expect("web")
        .1;
    assert!(
        web["unrendered_overlay"].as_str().unwrap().starts_with(
            "k8s/prod/kustomization.yaml: kustomize overlay not rendered: lists remote resources"
        ),
        "{web}"
    );
}
